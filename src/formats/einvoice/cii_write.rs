//! Writes the e-invoice model as a UN/CEFACT CrossIndustryInvoice, in the
//! element order of the Factur-X EN 16931 schema. Everything the model
//! holds that CII can carry is written; elements the schema requires but the
//! model does not hold (a line's item name, quantity, price and VAT
//! category, a payment means code) get the most neutral value that keeps
//! the document schema-valid. `read_cii` of the output gives back the model.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use rust_decimal::Decimal;

use super::model::{EInvoice, Party, SchemedId};
use super::DocumentError;

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// BT-24 when the document states none: plain EN 16931.
const DEFAULT_PROFILE: &str = "urn:cen.eu:en16931:2017";

/// Writes `doc` as a CII invoice. Fails (`Malformed`, naming the element)
/// on text XML cannot carry, a date beyond year 9999, or a write error.
pub fn write_cii<W: Write>(doc: &EInvoice, out: W) -> Result<(), DocumentError> {
    let mut o = Out {
        w: Writer::new_with_indent(out, b' ', 2),
        open: Vec::with_capacity(8),
    };
    o.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("rsm:CrossIndustryInvoice");
    for (prefix, ns) in [
        ("xmlns:rsm", RSM),
        ("xmlns:ram", RAM),
        ("xmlns:qdt", QDT),
        ("xmlns:udt", UDT),
    ] {
        root.push_attribute((prefix, ns));
    }
    o.event(Event::Start(root))?;
    o.open.push("rsm:CrossIndustryInvoice");

    o.open("rsm:ExchangedDocumentContext")?;
    o.open("ram:GuidelineSpecifiedDocumentContextParameter")?;
    o.leaf("ram:ID", doc.profile.as_deref().unwrap_or(DEFAULT_PROFILE))?;
    o.close("ram:GuidelineSpecifiedDocumentContextParameter")?;
    o.close("rsm:ExchangedDocumentContext")?;

    o.open("rsm:ExchangedDocument")?;
    o.leaf("ram:ID", &doc.number)?;
    o.leaf("ram:TypeCode", &doc.type_code)?;
    if let Some(date) = doc.issue_date {
        o.date("ram:IssueDateTime", date)?;
    }
    o.close("rsm:ExchangedDocument")?;

    o.open("rsm:SupplyChainTradeTransaction")?;
    lines(&mut o, doc)?;
    agreement(&mut o, doc)?;
    o.empty("ram:ApplicableHeaderTradeDelivery")?;
    settlement(&mut o, doc)?;
    o.close("rsm:SupplyChainTradeTransaction")?;

    o.close("rsm:CrossIndustryInvoice")?;
    o.w.get_mut()
        .flush()
        .map_err(|e| DocumentError::malformed("/", format!("cannot write the document: {e}")))
}

/// The line VAT category (BT-151/152) is not in the model: it is only known
/// when every breakdown has the same category and rate.
fn line_tax(doc: &EInvoice) -> (&str, Option<Decimal>) {
    match doc.tax_breakdowns.split_first() {
        Some((first, rest))
            if rest
                .iter()
                .all(|b| b.category == first.category && b.rate == first.rate) =>
        {
            (first.category.as_str(), first.rate)
        }
        _ => ("", None),
    }
}

fn lines<W: Write>(o: &mut Out<W>, doc: &EInvoice) -> Result<(), DocumentError> {
    let (category, rate) = line_tax(doc);
    for line in &doc.lines {
        o.open("ram:IncludedSupplyChainTradeLineItem")?;
        o.open("ram:AssociatedDocumentLineDocument")?;
        o.leaf("ram:LineID", &line.id)?;
        o.close("ram:AssociatedDocumentLineDocument")?;
        // Item name, price and quantity are not in the model: one unit
        // priced at the net amount (prices are never negative, BR-27).
        o.open("ram:SpecifiedTradeProduct")?;
        o.leaf("ram:Name", "")?;
        o.close("ram:SpecifiedTradeProduct")?;
        o.open("ram:SpecifiedLineTradeAgreement")?;
        o.open("ram:NetPriceProductTradePrice")?;
        o.amount("ram:ChargeAmount", line.net_amount.abs())?;
        o.close("ram:NetPriceProductTradePrice")?;
        o.close("ram:SpecifiedLineTradeAgreement")?;
        o.open("ram:SpecifiedLineTradeDelivery")?;
        let quantity = if line.net_amount.is_sign_negative() && !line.net_amount.is_zero() {
            "-1"
        } else {
            "1"
        };
        o.leaf_with("ram:BilledQuantity", &[("unitCode", "C62")], quantity)?;
        o.close("ram:SpecifiedLineTradeDelivery")?;
        o.open("ram:SpecifiedLineTradeSettlement")?;
        o.open("ram:ApplicableTradeTax")?;
        o.leaf("ram:TypeCode", "VAT")?;
        o.leaf("ram:CategoryCode", category)?;
        if let Some(rate) = rate {
            o.amount("ram:RateApplicablePercent", rate)?;
        }
        o.close("ram:ApplicableTradeTax")?;
        o.open("ram:SpecifiedTradeSettlementLineMonetarySummation")?;
        o.amount("ram:LineTotalAmount", line.net_amount)?;
        o.close("ram:SpecifiedTradeSettlementLineMonetarySummation")?;
        o.close("ram:SpecifiedLineTradeSettlement")?;
        o.close("ram:IncludedSupplyChainTradeLineItem")?;
    }
    Ok(())
}

fn agreement<W: Write>(o: &mut Out<W>, doc: &EInvoice) -> Result<(), DocumentError> {
    o.open("ram:ApplicableHeaderTradeAgreement")?;
    if let Some(reference) = &doc.buyer_reference {
        o.leaf("ram:BuyerReference", reference)?;
    }
    party(o, "ram:SellerTradeParty", &doc.seller)?;
    party(o, "ram:BuyerTradeParty", &doc.buyer)?;
    if let Some(order) = &doc.order_reference {
        o.open("ram:BuyerOrderReferencedDocument")?;
        o.leaf("ram:IssuerAssignedID", order)?;
        o.close("ram:BuyerOrderReferencedDocument")?;
    }
    o.close("ram:ApplicableHeaderTradeAgreement")
}

fn settlement<W: Write>(o: &mut Out<W>, doc: &EInvoice) -> Result<(), DocumentError> {
    o.open("ram:ApplicableHeaderTradeSettlement")?;
    o.leaf("ram:InvoiceCurrencyCode", &doc.currency)?;
    // A factored invoice (393) or credit note (396) names the factor here:
    // the party the buyer has to pay.
    if let Some(payee) = &doc.payee {
        party(o, "ram:PayeeTradeParty", payee)?;
    }
    for account in doc.payment_accounts.iter().filter(|a| !a.is_empty()) {
        o.open("ram:SpecifiedTradeSettlementPaymentMeans")?;
        // BT-81 is not in the model: SEPA credit transfer for an IBAN in
        // euro, credit transfer otherwise.
        let iban = is_iban(account);
        let code = if iban && doc.currency == "EUR" {
            "58"
        } else {
            "30"
        };
        o.leaf("ram:TypeCode", code)?;
        o.open("ram:PayeePartyCreditorFinancialAccount")?;
        o.leaf(
            if iban {
                "ram:IBANID"
            } else {
                "ram:ProprietaryID"
            },
            account,
        )?;
        o.close("ram:PayeePartyCreditorFinancialAccount")?;
        o.close("ram:SpecifiedTradeSettlementPaymentMeans")?;
    }
    for b in &doc.tax_breakdowns {
        o.open("ram:ApplicableTradeTax")?;
        o.amount("ram:CalculatedAmount", b.tax_amount)?;
        o.leaf("ram:TypeCode", "VAT")?;
        o.amount("ram:BasisAmount", b.taxable_amount)?;
        o.leaf("ram:CategoryCode", &b.category)?;
        if let Some(rate) = b.rate {
            o.amount("ram:RateApplicablePercent", rate)?;
        }
        o.close("ram:ApplicableTradeTax")?;
    }
    if doc.payment_terms.is_some() || doc.due_date.is_some() {
        o.open("ram:SpecifiedTradePaymentTerms")?;
        if let Some(terms) = &doc.payment_terms {
            o.leaf("ram:Description", terms)?;
        }
        if let Some(due) = doc.due_date {
            o.date("ram:DueDateDateTime", due)?;
        }
        o.close("ram:SpecifiedTradePaymentTerms")?;
    }
    let t = &doc.totals;
    o.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")?;
    o.opt_amount("ram:LineTotalAmount", t.line_total)?;
    o.opt_amount("ram:ChargeTotalAmount", t.charges)?;
    o.opt_amount("ram:AllowanceTotalAmount", t.allowances)?;
    o.opt_amount("ram:TaxBasisTotalAmount", t.tax_exclusive)?;
    if let Some(tax) = t.tax_total {
        // The currency says this is BT-110, not the tax-currency total.
        let text = tax.to_string();
        if doc.currency.is_empty() {
            o.leaf("ram:TaxTotalAmount", &text)?;
        } else {
            o.leaf_with(
                "ram:TaxTotalAmount",
                &[("currencyID", &doc.currency)],
                &text,
            )?;
        }
    }
    o.opt_amount("ram:RoundingAmount", t.rounding)?;
    o.opt_amount("ram:GrandTotalAmount", t.tax_inclusive)?;
    o.opt_amount("ram:TotalPrepaidAmount", t.prepaid)?;
    o.opt_amount("ram:DuePayableAmount", t.payable)?;
    o.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation")?;
    for reference in doc.billing_references.iter().filter(|r| !r.is_empty()) {
        o.open("ram:InvoiceReferencedDocument")?;
        o.leaf("ram:IssuerAssignedID", reference)?;
        o.close("ram:InvoiceReferencedDocument")?;
    }
    o.close("ram:ApplicableHeaderTradeSettlement")
}

/// Which identifier, if any, is the electronic address (BT-34/BT-49): the
/// model keeps it last among the ids. Only one URIID fits the schema, so it
/// is the last id when its scheme is an EAS-only code ("EM", "99xx") or its
/// value an e-mail address, or when it has no scheme after schemed ones
/// (an `ID` could not come there). Any other id stays an `ID`/`GlobalID`,
/// which reads back in the same order.
fn electronic_address(ids: &[SchemedId]) -> Option<usize> {
    let last = ids.len().checked_sub(1)?;
    let id = &ids[last];
    let eas_only = id
        .scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("EM") || s.starts_with("99"));
    let after_schemed = id.scheme.is_none() && ids[..last].iter().any(|i| i.scheme.is_some());
    (eas_only || id.value.contains('@') || after_schemed).then_some(last)
}

fn party<W: Write>(o: &mut Out<W>, tag: &'static str, p: &Party) -> Result<(), DocumentError> {
    o.open(tag)?;
    let uri = electronic_address(&p.ids);
    let others = || {
        p.ids
            .iter()
            .enumerate()
            .filter(move |(i, id)| Some(*i) != uri && !id.value.is_empty())
            .map(|(_, id)| id)
    };
    for id in others().filter(|id| id.scheme.is_none()) {
        o.leaf("ram:ID", &id.value)?;
    }
    for id in others() {
        if let Some(scheme) = &id.scheme {
            o.leaf_with("ram:GlobalID", &[("schemeID", scheme)], &id.value)?;
        }
    }
    if !p.name.is_empty() {
        o.leaf("ram:Name", &p.name)?;
    }
    if let Some(legal) = &p.legal_id {
        o.open("ram:SpecifiedLegalOrganization")?;
        o.schemed("ram:ID", legal)?;
        o.close("ram:SpecifiedLegalOrganization")?;
    }
    if let Some(country) = &p.country {
        o.open("ram:PostalTradeAddress")?;
        o.leaf("ram:CountryID", country)?;
        o.close("ram:PostalTradeAddress")?;
    }
    if let Some(id) = uri.and_then(|i| p.ids.get(i)) {
        o.open("ram:URIUniversalCommunication")?;
        o.schemed("ram:URIID", id)?;
        o.close("ram:URIUniversalCommunication")?;
    }
    if let Some(vat) = &p.vat_id {
        o.open("ram:SpecifiedTaxRegistration")?;
        o.leaf_with("ram:ID", &[("schemeID", "VA")], vat)?;
        o.close("ram:SpecifiedTaxRegistration")?;
    }
    o.close(tag)
}

/// An IBAN by its shape and ISO 13616 check digits (spaces allowed).
fn is_iban(account: &str) -> bool {
    let compact: Vec<u8> = account.bytes().filter(|b| *b != b' ').collect();
    if !(15..=34).contains(&compact.len())
        || !compact[..2].iter().all(u8::is_ascii_uppercase)
        || !compact[2..4].iter().all(u8::is_ascii_digit)
        || !compact.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rotated = compact[4..].iter().chain(&compact[..4]);
    let remainder = rotated.fold(0u32, |acc, &c| {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        let shift = if value >= 10 { 100 } else { 10 };
        (acc * shift + value) % 97
    });
    remainder == 1
}

/// Characters XML 1.0 cannot carry, even escaped.
fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// A quick-xml writer with errors mapped to `DocumentError`, naming the
/// element being written by its path.
struct Out<W: Write> {
    w: Writer<W>,
    open: Vec<&'static str>,
}

impl<W: Write> Out<W> {
    fn path(&self, name: &str) -> String {
        let mut path = String::new();
        let last = (!name.is_empty()).then_some(name);
        for open in self.open.iter().copied().chain(last) {
            path.push('/');
            path.push_str(open);
        }
        path
    }

    fn event(&mut self, event: Event<'_>) -> Result<(), DocumentError> {
        self.w.write_event(event).map_err(|e| {
            DocumentError::malformed(self.path(""), format!("cannot write the document: {e}"))
        })
    }

    fn open(&mut self, name: &'static str) -> Result<(), DocumentError> {
        self.event(Event::Start(BytesStart::new(name)))?;
        self.open.push(name);
        Ok(())
    }

    fn close(&mut self, name: &'static str) -> Result<(), DocumentError> {
        self.open.pop();
        self.event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &'static str) -> Result<(), DocumentError> {
        self.event(Event::Empty(BytesStart::new(name)))
    }

    fn leaf(&mut self, name: &'static str, text: &str) -> Result<(), DocumentError> {
        self.leaf_with(name, &[], text)
    }

    fn leaf_with(
        &mut self,
        name: &'static str,
        attrs: &[(&str, &str)],
        text: &str,
    ) -> Result<(), DocumentError> {
        let bad = attrs
            .iter()
            .map(|(_, v)| *v)
            .chain([text])
            .find(|s| !s.chars().all(xml_char));
        if let Some(bad) = bad {
            let shown: String = bad.chars().take(40).collect();
            return Err(DocumentError::malformed(
                self.path(name),
                format!("{shown:?} holds a character XML cannot carry"),
            ));
        }
        let mut start = BytesStart::new(name);
        for &attr in attrs {
            start.push_attribute(attr);
        }
        self.event(Event::Start(start))?;
        self.event(Event::Text(BytesText::new(text)))?;
        self.event(Event::End(BytesEnd::new(name)))
    }

    fn schemed(&mut self, name: &'static str, id: &SchemedId) -> Result<(), DocumentError> {
        match id.scheme.as_deref().filter(|s| !s.is_empty()) {
            Some(scheme) => self.leaf_with(name, &[("schemeID", scheme)], &id.value),
            None => self.leaf(name, &id.value),
        }
    }

    /// Amounts are written as the decimal states them (scale kept).
    fn amount(&mut self, name: &'static str, value: Decimal) -> Result<(), DocumentError> {
        self.leaf(name, &value.to_string())
    }

    fn opt_amount(
        &mut self,
        name: &'static str,
        value: Option<Decimal>,
    ) -> Result<(), DocumentError> {
        value.map_or(Ok(()), |v| self.amount(name, v))
    }

    /// A `...DateTime` element holding a format 102 (YYYYMMDD) date.
    fn date(&mut self, name: &'static str, date: NaiveDate) -> Result<(), DocumentError> {
        if !(0..=9999).contains(&date.year()) {
            return Err(DocumentError::malformed(
                self.path(name),
                format!("{date} does not fit format 102 (YYYYMMDD)"),
            ));
        }
        let text = format!("{:04}{:02}{:02}", date.year(), date.month(), date.day());
        self.open(name)?;
        self.leaf_with("udt:DateTimeString", &[("format", "102")], &text)?;
        self.close(name)
    }
}

#[cfg(test)]
mod tests;
