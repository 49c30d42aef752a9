//! UBL 2.1 writer: an `EInvoice` as an Invoice, or as a CreditNote when it
//! was read from one, with elements in the order the UBL 2.1 schemas
//! require. This is how factored invoices (type codes 393 and 396) leave
//! factorgate, the factor named as payee (cac:PayeeParty).
//!
//! What the model does not hold is not invented, with two exceptions the
//! schema forces: cbc:PaymentMeansCode (30, credit transfer, with an
//! account; 1, not defined, for a credit note's due date alone) and an
//! empty cac:Item on each line.

use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use rust_decimal::Decimal;

use super::model::{EInvoice, Party, SchemedId};
use super::ubl::{CAC_NS, CBC_NS, CREDIT_NOTE_NS, INVOICE_NS};
use super::DocumentError;

type W<T> = Writer<T>;

/// Writes `doc` as UBL 2.1. Amounts are written as their decimals were
/// read (scale kept), with the document currency as currencyID.
pub fn write_ubl<T: Write>(doc: &EInvoice, out: T) -> Result<(), DocumentError> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    write_document(&mut w, doc)
        .and_then(|()| w.get_mut().flush())
        .map_err(|e| DocumentError::malformed("/", format!("cannot write the UBL document: {e}")))
}

/// `write_ubl` into a new buffer.
pub fn write_ubl_bytes(doc: &EInvoice) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::with_capacity(4096);
    write_ubl(doc, &mut out)?;
    Ok(out)
}

fn write_document<T: Write>(w: &mut W<T>, doc: &EInvoice) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (root, ns) = if doc.credit_note_document {
        ("CreditNote", CREDIT_NOTE_NS)
    } else {
        ("Invoice", INVOICE_NS)
    };
    w.create_element(root)
        .with_attributes([("xmlns", ns), ("xmlns:cac", CAC_NS), ("xmlns:cbc", CBC_NS)])
        .write_inner_content(|w| body(w, doc))?;
    Ok(())
}

fn body<T: Write>(w: &mut W<T>, doc: &EInvoice) -> io::Result<()> {
    let cur = doc.currency.as_str();
    let credit_note = doc.credit_note_document;
    if let Some(profile) = &doc.profile {
        text(w, "cbc:CustomizationID", profile)?;
    }
    text(w, "cbc:ID", &doc.number)?;
    if let Some(d) = doc.issue_date {
        text(w, "cbc:IssueDate", &d.to_string())?;
    }
    if credit_note {
        if !doc.type_code.is_empty() {
            text(w, "cbc:CreditNoteTypeCode", &doc.type_code)?;
        }
    } else {
        if let Some(d) = doc.due_date {
            text(w, "cbc:DueDate", &d.to_string())?;
        }
        if !doc.type_code.is_empty() {
            text(w, "cbc:InvoiceTypeCode", &doc.type_code)?;
        }
    }
    if !cur.is_empty() {
        text(w, "cbc:DocumentCurrencyCode", cur)?;
    }
    if let Some(r) = &doc.buyer_reference {
        text(w, "cbc:BuyerReference", r)?;
    }
    if let Some(r) = &doc.order_reference {
        inner(w, "cac:OrderReference", |w| text(w, "cbc:ID", r))?;
    }
    for r in &doc.billing_references {
        inner(w, "cac:BillingReference", |w| {
            inner(w, "cac:InvoiceDocumentReference", |w| text(w, "cbc:ID", r))
        })?;
    }
    inner(w, "cac:AccountingSupplierParty", |w| {
        inner(w, "cac:Party", |w| party(w, &doc.seller, true))
    })?;
    inner(w, "cac:AccountingCustomerParty", |w| {
        inner(w, "cac:Party", |w| party(w, &doc.buyer, true))
    })?;
    if let Some(payee) = &doc.payee {
        // BT-59, the payee's name, is its PartyName.
        inner(w, "cac:PayeeParty", |w| party(w, payee, false))?;
    }
    payment_means(w, doc)?;
    if let Some(terms) = &doc.payment_terms {
        inner(w, "cac:PaymentTerms", |w| text(w, "cbc:Note", terms))?;
    }
    if doc.totals.tax_total.is_some() || !doc.tax_breakdowns.is_empty() {
        inner(w, "cac:TaxTotal", |w| {
            if let Some(tax) = doc.totals.tax_total {
                amount(w, "cbc:TaxAmount", tax, cur)?;
            }
            for b in &doc.tax_breakdowns {
                inner(w, "cac:TaxSubtotal", |w| {
                    amount(w, "cbc:TaxableAmount", b.taxable_amount, cur)?;
                    amount(w, "cbc:TaxAmount", b.tax_amount, cur)?;
                    inner(w, "cac:TaxCategory", |w| {
                        if !b.category.is_empty() {
                            text(w, "cbc:ID", &b.category)?;
                        }
                        if let Some(rate) = b.rate {
                            text(w, "cbc:Percent", &rate.to_string())?;
                        }
                        vat_scheme(w)
                    })
                })?;
            }
            Ok(())
        })?;
    }
    let t = &doc.totals;
    inner(w, "cac:LegalMonetaryTotal", |w| {
        // The schema's order, not the business terms' numbering.
        let fields = [
            ("cbc:LineExtensionAmount", t.line_total),
            ("cbc:TaxExclusiveAmount", t.tax_exclusive),
            ("cbc:TaxInclusiveAmount", t.tax_inclusive),
            ("cbc:AllowanceTotalAmount", t.allowances),
            ("cbc:ChargeTotalAmount", t.charges),
            ("cbc:PrepaidAmount", t.prepaid),
            ("cbc:PayableRoundingAmount", t.rounding),
            ("cbc:PayableAmount", t.payable),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                amount(w, name, v, cur)?;
            }
        }
        Ok(())
    })?;
    let line_name = if credit_note {
        "cac:CreditNoteLine"
    } else {
        "cac:InvoiceLine"
    };
    for line in &doc.lines {
        inner(w, line_name, |w| {
            text(w, "cbc:ID", &line.id)?;
            amount(w, "cbc:LineExtensionAmount", line.net_amount, cur)?;
            // Required by the schema; the model keeps no item details.
            w.create_element("cac:Item").write_empty()?;
            Ok(())
        })?;
    }
    Ok(())
}

/// One cac:PaymentMeans per payee account. A credit note's due date has no
/// other place than the first payment means' PaymentDueDate.
fn payment_means<T: Write>(w: &mut W<T>, doc: &EInvoice) -> io::Result<()> {
    let due = doc
        .due_date
        .filter(|_| doc.credit_note_document)
        .map(|d| d.to_string());
    if doc.payment_accounts.is_empty() {
        if let Some(due) = &due {
            inner(w, "cac:PaymentMeans", |w| {
                text(w, "cbc:PaymentMeansCode", "1")?;
                text(w, "cbc:PaymentDueDate", due)
            })?;
        }
        return Ok(());
    }
    for (i, account) in doc.payment_accounts.iter().enumerate() {
        inner(w, "cac:PaymentMeans", |w| {
            text(w, "cbc:PaymentMeansCode", "30")?;
            if let (0, Some(due)) = (i, &due) {
                text(w, "cbc:PaymentDueDate", due)?;
            }
            inner(w, "cac:PayeeFinancialAccount", |w| {
                text(w, "cbc:ID", account)
            })
        })?;
    }
    Ok(())
}

/// The content of a cac:Party / cac:PayeeParty, in the schema's order.
/// Seller and buyer names go in PartyLegalEntity/RegistrationName (BT-27,
/// BT-44), the payee's in PartyName/Name (BT-59). Every identifier is
/// written as PartyIdentification: the model does not tell which one was
/// the electronic address (EndpointID).
fn party<T: Write>(w: &mut W<T>, p: &Party, name_is_legal: bool) -> io::Result<()> {
    for id in &p.ids {
        inner(w, "cac:PartyIdentification", |w| schemed(w, "cbc:ID", id))?;
    }
    let name = (!p.name.is_empty()).then_some(p.name.as_str());
    if let (Some(name), false) = (name, name_is_legal) {
        inner(w, "cac:PartyName", |w| text(w, "cbc:Name", name))?;
    }
    if let Some(country) = &p.country {
        inner(w, "cac:PostalAddress", |w| {
            inner(w, "cac:Country", |w| {
                text(w, "cbc:IdentificationCode", country)
            })
        })?;
    }
    if let Some(vat) = &p.vat_id {
        inner(w, "cac:PartyTaxScheme", |w| {
            text(w, "cbc:CompanyID", vat)?;
            vat_scheme(w)
        })?;
    }
    let legal_name = name.filter(|_| name_is_legal);
    if legal_name.is_some() || p.legal_id.is_some() {
        inner(w, "cac:PartyLegalEntity", |w| {
            if let Some(name) = legal_name {
                text(w, "cbc:RegistrationName", name)?;
            }
            if let Some(id) = &p.legal_id {
                schemed(w, "cbc:CompanyID", id)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn vat_scheme<T: Write>(w: &mut W<T>) -> io::Result<()> {
    inner(w, "cac:TaxScheme", |w| text(w, "cbc:ID", "VAT"))
}

fn inner<T: Write>(
    w: &mut W<T>,
    name: &str,
    content: impl FnOnce(&mut W<T>) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name).write_inner_content(content)?;
    Ok(())
}

fn text<T: Write>(w: &mut W<T>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn schemed<T: Write>(w: &mut W<T>, name: &str, id: &SchemedId) -> io::Result<()> {
    let mut e = w.create_element(name);
    if let Some(scheme) = &id.scheme {
        e = e.with_attribute(("schemeID", scheme.as_str()));
    }
    e.write_text_content(BytesText::new(&id.value))?;
    Ok(())
}

/// An amount as its own string (trailing zeros kept) in the document
/// currency; without a currency there is no currencyID to give.
fn amount<T: Write>(w: &mut W<T>, name: &str, value: Decimal, currency: &str) -> io::Result<()> {
    let mut e = w.create_element(name);
    if !currency.is_empty() {
        e = e.with_attribute(("currencyID", currency));
    }
    e.write_text_content(BytesText::new(&value.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::einvoice::model::{Line, Syntax, TaxBreakdown, Totals};
    use crate::formats::einvoice::ubl::read_ubl_bytes;
    use crate::formats::xml::Limits;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn id(value: &str, scheme: Option<&str>) -> SchemedId {
        SchemedId {
            value: value.into(),
            scheme: scheme.map(Into::into),
        }
    }

    /// A factored invoice using every field of the model.
    fn factored() -> EInvoice {
        let mut d = EInvoice::empty(Syntax::Ubl);
        d.profile = Some("urn:cen.eu:en16931:2017".into());
        d.number = "F-2026-001".into();
        d.type_code = "393".into();
        d.issue_date = NaiveDate::from_ymd_opt(2026, 3, 1);
        d.due_date = NaiveDate::from_ymd_opt(2026, 3, 31);
        d.payment_terms = Some("30 days net\nassigned to the factor".into());
        d.currency = "EUR".into();
        d.buyer_reference = Some("BR & <1>".into());
        d.order_reference = Some("PO-7".into());
        d.billing_references = vec!["F-2025-099".into(), "F-2025-100".into()];
        d.seller = Party {
            name: "Seller SAS".into(),
            country: Some("FR".into()),
            vat_id: Some("FR32123456789".into()),
            legal_id: Some(id("123456789", Some("0002"))),
            ids: vec![id("3025", None), id("12345678900011", Some("0009"))],
        };
        d.buyer = Party {
            name: "Buyer GmbH".into(),
            country: Some("DE".into()),
            ..Party::default()
        };
        d.payee = Some(Party {
            name: "Factor SA".into(),
            legal_id: Some(id("552120222", Some("0002"))),
            ids: vec![id("FR-FACTOR", None)],
            ..Party::default()
        });
        d.payment_accounts = vec!["FR7630006000011234567890189".into(), "DE02".into()];
        d.lines = vec![
            Line {
                id: "1".into(),
                net_amount: dec!(100.00),
            },
            Line {
                id: "2".into(),
                net_amount: dec!(-0.5),
            },
        ];
        d.tax_breakdowns = vec![TaxBreakdown {
            category: "S".into(),
            rate: Some(dec!(20.0)),
            taxable_amount: dec!(99.50),
            tax_amount: dec!(19.90),
        }];
        d.totals = Totals {
            line_total: Some(dec!(99.50)),
            allowances: Some(dec!(0)),
            charges: Some(dec!(0.00)),
            tax_exclusive: Some(dec!(99.50)),
            tax_total: Some(dec!(19.90)),
            tax_inclusive: Some(dec!(119.40)),
            prepaid: Some(dec!(10)),
            rounding: Some(dec!(0.60)),
            payable: Some(dec!(110.00)),
        };
        d
    }

    fn written(doc: &EInvoice) -> String {
        String::from_utf8(write_ubl_bytes(doc).unwrap()).unwrap()
    }

    /// The names of the root's children, in document order.
    fn top_level(xml: &str) -> Vec<String> {
        let mut r = crate::formats::xml::GuardedReader::new(xml.as_bytes(), Limits::default());
        let mut out = Vec::new();
        while let Some(e) = r.next().unwrap() {
            if let crate::formats::xml::XmlEvent::Start { local, .. } = e {
                if r.depth() == 2 {
                    out.push(local);
                }
            }
        }
        out.dedup();
        out
    }

    #[test]
    fn an_invoice_round_trips_with_elements_in_schema_order() {
        let doc = factored();
        let xml = written(&doc);
        assert_eq!(
            top_level(&xml),
            [
                "CustomizationID",
                "ID",
                "IssueDate",
                "DueDate",
                "InvoiceTypeCode",
                "DocumentCurrencyCode",
                "BuyerReference",
                "OrderReference",
                "BillingReference",
                "AccountingSupplierParty",
                "AccountingCustomerParty",
                "PayeeParty",
                "PaymentMeans",
                "PaymentTerms",
                "TaxTotal",
                "LegalMonetaryTotal",
                "InvoiceLine",
            ]
        );
        assert!(xml.contains(
            r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2""#
        ));
        // Decimals keep the scale they were given.
        assert!(xml.contains(
            r#"<cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>"#
        ));
        assert!(
            xml.contains(r#"<cbc:ChargeTotalAmount currencyID="EUR">0.00</cbc:ChargeTotalAmount>"#)
        );
        assert!(xml.contains("<cbc:Percent>20.0</cbc:Percent>"));
        assert!(xml.contains("BR &amp; &lt;1&gt;"));
        // The factor is the payee, named in its PartyName.
        let payee =
            &xml[xml.find("<cac:PayeeParty>").unwrap()..xml.find("</cac:PayeeParty>").unwrap()];
        assert!(payee.contains("<cbc:Name>Factor SA</cbc:Name>"), "{payee}");
        let back = read_ubl_bytes(xml.as_bytes(), Limits::default()).unwrap();
        assert_eq!(back, doc);
        assert_eq!(back.totals.line_total.unwrap().scale(), 2);
    }

    #[test]
    fn a_credit_note_keeps_its_due_date_in_the_payment_means() {
        let mut doc = factored();
        doc.credit_note_document = true;
        doc.type_code = "396".into();
        let xml = written(&doc);
        let top = top_level(&xml);
        assert_eq!(
            &top[..4],
            ["CustomizationID", "ID", "IssueDate", "CreditNoteTypeCode"]
        );
        assert!(
            !top.iter().any(|n| n == "DueDate" || n == "InvoiceLine"),
            "{top:?}"
        );
        assert_eq!(top.last().map(String::as_str), Some("CreditNoteLine"));
        assert_eq!(
            xml.matches("<cbc:PaymentDueDate>2026-03-31</cbc:PaymentDueDate>")
                .count(),
            1
        );
        assert_eq!(
            read_ubl_bytes(xml.as_bytes(), Limits::default()).unwrap(),
            doc
        );
        // Without an account the due date still has its payment means.
        doc.payment_accounts.clear();
        let xml = written(&doc);
        assert!(xml.contains("<cbc:PaymentMeansCode>1</cbc:PaymentMeansCode>"));
        assert_eq!(
            read_ubl_bytes(xml.as_bytes(), Limits::default()).unwrap(),
            doc
        );
    }

    #[test]
    fn an_empty_document_writes_and_reads_back_empty() {
        let doc = EInvoice::empty(Syntax::Ubl);
        let xml = written(&doc);
        assert!(!xml.contains("currencyID"), "{xml}");
        assert_eq!(
            read_ubl_bytes(xml.as_bytes(), Limits::default()).unwrap(),
            doc
        );
    }
}
