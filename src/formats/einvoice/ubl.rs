//! UBL 2.1 Invoice and CreditNote reader (PEPPOL BIS 3, XRechnung UBL).
//!
//! The document is streamed once through the guarded reader, no DOM. Each
//! aggregate has its own function that reads its direct children and skips
//! the rest, so an element is told apart by where it sits: the document's
//! cbc:ID from a party's, a line's or a reference's, the document's
//! LineExtensionAmount from a line's. Rules are not applied here (the caller
//! runs `rules::check`); this only maps what the document says.

mod party;
mod prolog;
mod value;

use std::io::BufRead;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::model::{EInvoice, Line, SchemedId, Syntax, TaxBreakdown, Totals};
pub use super::value::parse_decimal;
use super::DocumentError;
use crate::formats::xml::{GuardedReader, Limits, XmlEvent};
use party::{party, wrapped_party};
pub use value::parse_date;
use value::{amount, date};

pub const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
pub const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// Reads a UBL 2.1 Invoice or CreditNote.
pub fn read_ubl<R: BufRead>(input: R, limits: Limits) -> Result<EInvoice, DocumentError> {
    let (input, prolog) = prolog::tee(input);
    let mut r = GuardedReader::new(input, limits);
    let unknown = |message: String| Err(DocumentError::UnknownFormat { message });
    let credit_note = match r.next()? {
        Some(XmlEvent::Start { local, .. }) => {
            let ns = prolog.root_namespace();
            match (local.as_str(), ns.as_deref()) {
                ("Invoice", Some(INVOICE_NS)) => false,
                ("CreditNote", Some(CREDIT_NOTE_NS)) => true,
                (_, ns) => {
                    return unknown(format!(
                    "root element {local} in namespace {} is not a UBL 2.1 Invoice or CreditNote",
                    ns.unwrap_or("(none)")
                ))
                }
            }
        }
        Some(_) => return unknown("content before the root element: not XML".into()),
        None => return unknown("no root element".into()),
    };
    let mut doc = EInvoice::empty(Syntax::Ubl);
    doc.credit_note_document = credit_note;
    read_document(&mut r, &mut doc)?;
    // Anything but comments after the root is not one well-formed document.
    if r.next()?.is_some() {
        return Err(DocumentError::malformed(
            "/",
            "content after the root element",
        ));
    }
    Ok(doc)
}

/// `read_ubl` over bytes in memory.
pub fn read_ubl_bytes(bytes: &[u8], limits: Limits) -> Result<EInvoice, DocumentError> {
    read_ubl(bytes, limits)
}

/// What was read of one cac:TaxTotal; the one in the document currency is
/// kept once all are read.
struct TaxTotalRead {
    currency: Option<String>,
    amount: Option<Decimal>,
    breakdowns: Vec<TaxBreakdown>,
}

fn read_document<R: BufRead>(
    r: &mut GuardedReader<R>,
    doc: &mut EInvoice,
) -> Result<(), DocumentError> {
    let mut due = None;
    let mut means_due = None;
    let mut tax_totals: Vec<TaxTotalRead> = Vec::new();
    while let Some((local, _)) = r.child()? {
        match local.as_str() {
            "CustomizationID" => doc.profile = Some(r.text()?),
            "ID" => doc.number = r.text()?,
            "IssueDate" => doc.issue_date = Some(date(r)?),
            "DueDate" => due = Some(date(r)?),
            "InvoiceTypeCode" | "CreditNoteTypeCode" => doc.type_code = r.text()?,
            "DocumentCurrencyCode" => doc.currency = r.text()?,
            "BuyerReference" => doc.buyer_reference = Some(r.text()?),
            "OrderReference" => {
                if let Some(id) = id_of(r)? {
                    doc.order_reference = Some(id);
                }
            }
            "BillingReference" => {
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "InvoiceDocumentReference" => {
                            if let Some(id) = id_of(r)? {
                                doc.billing_references.push(id);
                            }
                        }
                        _ => r.skip()?,
                    }
                }
            }
            "AccountingSupplierParty" => doc.seller = wrapped_party(r)?,
            "AccountingCustomerParty" => doc.buyer = wrapped_party(r)?,
            "PayeeParty" => doc.payee = Some(party(r)?),
            "PaymentMeans" => payment_means(r, &mut means_due, &mut doc.payment_accounts)?,
            "PaymentTerms" => {
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "Note" => {
                            let note = r.text()?;
                            // Several notes are kept as one text, a line each
                            // (empty ones left out, so the text reads back).
                            match &mut doc.payment_terms {
                                Some(terms) if terms.is_empty() => *terms = note,
                                Some(terms) if !note.is_empty() => {
                                    terms.push('\n');
                                    terms.push_str(&note);
                                }
                                Some(_) => {}
                                None => doc.payment_terms = Some(note),
                            }
                        }
                        _ => r.skip()?,
                    }
                }
            }
            "TaxTotal" => tax_totals.push(tax_total(r)?),
            "LegalMonetaryTotal" => monetary_total(r, &mut doc.totals)?,
            "InvoiceLine" | "CreditNoteLine" => {
                let n = doc.lines.len() + 1;
                doc.lines.push(line(r, &local, n)?);
            }
            _ => r.skip()?,
        }
    }
    if doc.credit_note_document && doc.type_code.is_empty() {
        doc.type_code = "381".into();
    }
    // A CreditNote has no cbc:DueDate in UBL 2.1: its due date is in the
    // payment means, which invoices may use too.
    doc.due_date = due.or(means_due);
    // A document may state its VAT total twice, the second time in the
    // accounting currency (BT-111): keep the one in the invoice currency.
    let chosen = tax_totals
        .iter()
        .position(|t| !doc.currency.is_empty() && t.currency.as_deref() == Some(&doc.currency))
        .unwrap_or(0);
    if chosen < tax_totals.len() {
        let total = tax_totals.swap_remove(chosen);
        doc.totals.tax_total = total.amount;
        doc.tax_breakdowns = total.breakdowns;
    }
    Ok(())
}

fn attr(attrs: Vec<(String, String)>, name: &str) -> Option<String> {
    attrs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The cbc:ID child of a reference aggregate.
fn id_of<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Option<String>, DocumentError> {
    let mut id = None;
    while let Some((local, _)) = r.child()? {
        match local.as_str() {
            "ID" => id = Some(r.text()?),
            _ => r.skip()?,
        }
    }
    Ok(id)
}

fn schemed<R: BufRead>(
    r: &mut GuardedReader<R>,
    attrs: Vec<(String, String)>,
) -> Result<SchemedId, DocumentError> {
    Ok(SchemedId {
        value: r.text()?,
        scheme: attr(attrs, "schemeID"),
    })
}

fn payment_means<R: BufRead>(
    r: &mut GuardedReader<R>,
    due: &mut Option<NaiveDate>,
    accounts: &mut Vec<String>,
) -> Result<(), DocumentError> {
    while let Some((local, _)) = r.child()? {
        match local.as_str() {
            "PaymentDueDate" => {
                let d = date(r)?;
                due.get_or_insert(d);
            }
            // Only the account to be paid: PaymentMandate holds the payer's.
            "PayeeFinancialAccount" => {
                if let Some(id) = id_of(r)? {
                    accounts.push(id);
                }
            }
            _ => r.skip()?,
        }
    }
    Ok(())
}

fn tax_total<R: BufRead>(r: &mut GuardedReader<R>) -> Result<TaxTotalRead, DocumentError> {
    let mut total = TaxTotalRead {
        currency: None,
        amount: None,
        breakdowns: Vec::new(),
    };
    while let Some((local, attrs)) = r.child()? {
        match local.as_str() {
            "TaxAmount" => {
                total.currency = attr(attrs, "currencyID");
                total.amount = Some(amount(r)?);
            }
            "TaxSubtotal" => {
                let n = total.breakdowns.len() + 1;
                total.breakdowns.push(tax_subtotal(r, n)?);
            }
            _ => r.skip()?,
        }
    }
    Ok(total)
}

fn tax_subtotal<R: BufRead>(
    r: &mut GuardedReader<R>,
    n: usize,
) -> Result<TaxBreakdown, DocumentError> {
    let mut category = String::new();
    let mut rate = None;
    let mut taxable = None;
    let mut tax = None;
    while let Some((local, _)) = r.child()? {
        match local.as_str() {
            "TaxableAmount" => taxable = Some(amount(r)?),
            "TaxAmount" => tax = Some(amount(r)?),
            "TaxCategory" => {
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "ID" => category = r.text()?,
                        "Percent" => rate = Some(amount(r)?),
                        _ => r.skip()?,
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    // The model needs both amounts; a breakdown without one cannot be kept.
    let missing = |what: &str| {
        DocumentError::malformed(
            format!("{}/cac:TaxSubtotal", r.path()),
            format!("VAT breakdown {n} ({category}) has no {what}"),
        )
    };
    Ok(TaxBreakdown {
        taxable_amount: taxable.ok_or_else(|| missing("TaxableAmount"))?,
        tax_amount: tax.ok_or_else(|| missing("TaxAmount"))?,
        category,
        rate,
    })
}

fn monetary_total<R: BufRead>(
    r: &mut GuardedReader<R>,
    t: &mut Totals,
) -> Result<(), DocumentError> {
    while let Some((local, _)) = r.child()? {
        let slot = match local.as_str() {
            "LineExtensionAmount" => &mut t.line_total,
            "AllowanceTotalAmount" => &mut t.allowances,
            "ChargeTotalAmount" => &mut t.charges,
            "TaxExclusiveAmount" => &mut t.tax_exclusive,
            "TaxInclusiveAmount" => &mut t.tax_inclusive,
            "PrepaidAmount" => &mut t.prepaid,
            "PayableRoundingAmount" => &mut t.rounding,
            "PayableAmount" => &mut t.payable,
            _ => {
                r.skip()?;
                continue;
            }
        };
        *slot = Some(amount(r)?);
    }
    Ok(())
}

/// An InvoiceLine or CreditNoteLine: its own ID and net amount, not those of
/// its sub-lines, item or price.
fn line<R: BufRead>(
    r: &mut GuardedReader<R>,
    local: &str,
    n: usize,
) -> Result<Line, DocumentError> {
    let mut id = String::new();
    let mut net = None;
    while let Some((child_local, _)) = r.child()? {
        match child_local.as_str() {
            "ID" => id = r.text()?,
            "LineExtensionAmount" => net = Some(amount(r)?),
            _ => r.skip()?,
        }
    }
    match net {
        Some(net_amount) => Ok(Line { id, net_amount }),
        None => Err(DocumentError::malformed(
            format!("{}/cac:{local}", r.path()),
            format!("line {n} ({id}) has no LineExtensionAmount"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::einvoice::model::Party;
    use rust_decimal_macros::dec;

    const NS: &str = r#"xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2""#;

    fn invoice(body: &str) -> String {
        format!(r#"<?xml version="1.0"?><Invoice xmlns="{INVOICE_NS}" {NS}>{body}</Invoice>"#)
    }

    fn read(xml: &str) -> Result<EInvoice, DocumentError> {
        read_ubl(xml.as_bytes(), Limits::default())
    }

    fn malformed(xml: &str) -> (String, String) {
        match read(xml) {
            Err(DocumentError::Malformed { path, message }) => (path, message),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn same_names_are_told_apart_by_position() {
        let doc = read(&invoice(
            r#"<cbc:ID>INV-1</cbc:ID>
            <cac:OrderReference><cbc:ID>PO-9</cbc:ID></cac:OrderReference>
            <cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>INV-0</cbc:ID>
              </cac:InvoiceDocumentReference></cac:BillingReference>
            <cac:AccountingSupplierParty><cac:Party>
              <cbc:EndpointID schemeID="0088">111</cbc:EndpointID>
              <cac:PartyIdentification><cbc:ID>S-1</cbc:ID></cac:PartyIdentification>
              <cac:PartyName><cbc:Name>Trading</cbc:Name></cac:PartyName>
              <cac:PartyTaxScheme><cbc:CompanyID>201/113</cbc:CompanyID>
                <cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
              <cac:PartyTaxScheme><cbc:CompanyID>DE1</cbc:CompanyID>
                <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
              <cac:PartyLegalEntity><cbc:RegistrationName>Legal</cbc:RegistrationName>
                <cbc:CompanyID schemeID="0002">123</cbc:CompanyID></cac:PartyLegalEntity>
            </cac:Party></cac:AccountingSupplierParty>
            <cac:PaymentMeans><cbc:PaymentMeansCode>59</cbc:PaymentMeansCode>
              <cac:PaymentMandate><cac:PayerFinancialAccount><cbc:ID>PAYER</cbc:ID>
              </cac:PayerFinancialAccount></cac:PaymentMandate></cac:PaymentMeans>
            <cac:PaymentMeans><cac:PayeeFinancialAccount><cbc:ID>FR76</cbc:ID>
              </cac:PayeeFinancialAccount></cac:PaymentMeans>
            <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount>
              </cac:LegalMonetaryTotal>
            <cac:InvoiceLine><cbc:ID>L1</cbc:ID><cbc:LineExtensionAmount>7.50</cbc:LineExtensionAmount>
              <cac:TaxTotal><cbc:TaxAmount>9.99</cbc:TaxAmount></cac:TaxTotal>
              <cac:SubInvoiceLine><cbc:ID>L1.1</cbc:ID><cbc:LineExtensionAmount>1</cbc:LineExtensionAmount>
              </cac:SubInvoiceLine>
              <cac:Item><cac:SellersItemIdentification><cbc:ID>X</cbc:ID></cac:SellersItemIdentification></cac:Item>
            </cac:InvoiceLine>"#,
        ))
        .unwrap();
        assert_eq!(doc.number, "INV-1");
        assert_eq!(doc.order_reference.as_deref(), Some("PO-9"));
        assert_eq!(doc.billing_references, vec!["INV-0"]);
        assert_eq!(doc.seller.name, "Legal");
        assert_eq!(doc.seller.vat_id.as_deref(), Some("DE1"));
        let legal = doc.seller.legal_id.as_ref().unwrap();
        assert_eq!(
            (legal.value.as_str(), legal.scheme.as_deref()),
            ("123", Some("0002"))
        );
        let ids: Vec<_> = doc
            .seller
            .ids
            .iter()
            .map(|i| (i.value.as_str(), i.scheme.as_deref()))
            .collect();
        assert_eq!(ids, vec![("S-1", None), ("111", Some("0088"))]);
        assert_eq!(doc.payment_accounts, vec!["FR76"]);
        assert_eq!(doc.totals.line_total, Some(dec!(10.00)));
        assert_eq!(doc.totals.tax_total, None);
        assert_eq!(
            doc.lines,
            vec![Line {
                id: "L1".into(),
                net_amount: dec!(7.50)
            }]
        );
        assert_eq!(doc.buyer, Party::default());
        assert!(!doc.credit_note_document);
    }

    #[test]
    fn a_credit_note_defaults_its_type_and_takes_the_payment_due_date() {
        let xml = format!(
            r#"<CreditNote xmlns="{CREDIT_NOTE_NS}" {NS}><cbc:ID>CN-1</cbc:ID>
            <cbc:IssueDate>2026-01-31</cbc:IssueDate>
            <cac:PaymentMeans><cbc:PaymentDueDate>2026-02-28</cbc:PaymentDueDate></cac:PaymentMeans>
            <cac:PaymentMeans><cbc:PaymentDueDate>2026-03-31</cbc:PaymentDueDate></cac:PaymentMeans>
            <cac:CreditNoteLine><cbc:ID>1</cbc:ID><cbc:LineExtensionAmount>5</cbc:LineExtensionAmount>
            </cac:CreditNoteLine></CreditNote>"#
        );
        let doc = read(&xml).unwrap();
        assert!(doc.credit_note_document);
        assert_eq!(doc.type_code, "381");
        assert_eq!(doc.due_date, NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(doc.lines.len(), 1);
        let typed = xml.replace(
            "<cbc:IssueDate>",
            "<cbc:CreditNoteTypeCode>396</cbc:CreditNoteTypeCode><cbc:IssueDate>",
        );
        assert_eq!(read(&typed).unwrap().type_code, "396");
        // An invoice's own DueDate wins over the payment means'.
        let inv = read(&invoice(
            "<cbc:DueDate>2026-01-15</cbc:DueDate><cac:PaymentMeans>\
             <cbc:PaymentDueDate>2026-02-28</cbc:PaymentDueDate></cac:PaymentMeans>",
        ))
        .unwrap();
        assert_eq!(inv.due_date, NaiveDate::from_ymd_opt(2026, 1, 15));
        assert_eq!(inv.type_code, "");
    }

    #[test]
    fn the_tax_total_in_the_document_currency_is_kept() {
        let totals = r#"<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">13.40</cbc:TaxAmount></cac:TaxTotal>
            <cac:TaxTotal><cbc:TaxAmount currencyID="DKK">100.00</cbc:TaxAmount>
              <cac:TaxSubtotal><cbc:TaxableAmount currencyID="DKK">400.00</cbc:TaxableAmount>
                <cbc:TaxAmount currencyID="DKK">100.00</cbc:TaxAmount>
                <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent>
                  <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
              </cac:TaxSubtotal></cac:TaxTotal>"#;
        let doc = read(&invoice(&format!(
            "<cbc:DocumentCurrencyCode>DKK</cbc:DocumentCurrencyCode>{totals}"
        )))
        .unwrap();
        assert_eq!(doc.totals.tax_total, Some(dec!(100.00)));
        let b = &doc.tax_breakdowns;
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].category.as_str(), b[0].rate), ("S", Some(dec!(25))));
        assert_eq!(
            (b[0].taxable_amount, b[0].tax_amount),
            (dec!(400.00), dec!(100.00))
        );
        // No match (or no currency at all): the first one.
        let doc = read(&invoice(totals)).unwrap();
        assert_eq!(doc.totals.tax_total, Some(dec!(13.40)));
        assert!(doc.tax_breakdowns.is_empty());
        let doc = read(&invoice(
            "<cac:TaxTotal><cbc:TaxAmount>1.5</cbc:TaxAmount></cac:TaxTotal>",
        ))
        .unwrap();
        assert_eq!(doc.totals.tax_total, Some(dec!(1.5)));
    }

    #[test]
    fn other_roots_and_namespaces_are_unknown_formats() {
        let unknown = |xml: &str| matches!(read(xml), Err(DocumentError::UnknownFormat { .. }));
        assert!(unknown(
            r#"<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>"#
        ));
        assert!(unknown("<Invoice><cbc:ID>1</cbc:ID></Invoice>"));
        assert!(unknown(&format!(r#"<Order xmlns="{INVOICE_NS}"/>"#)));
        assert!(unknown(
            r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>"#
        ));
        assert!(unknown(r#"{"number": "F-1"}"#));
        assert!(unknown(""));
        // A prefixed root is as good as a default namespace.
        let prefixed = format!(
            r#"<ubl:Invoice xmlns:ubl="{INVOICE_NS}" {NS}><cbc:ID>7</cbc:ID></ubl:Invoice>"#
        );
        assert_eq!(read(&prefixed).unwrap().number, "7");
    }

    #[test]
    fn bad_values_are_malformed_with_their_path_and_text() {
        let (path, message) = malformed(&invoice(
            "<cac:LegalMonetaryTotal><cbc:PayableAmount>12,50</cbc:PayableAmount></cac:LegalMonetaryTotal>",
        ));
        assert_eq!(path, "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount");
        assert!(message.contains("\"12,50\""), "{message}");
        let (path, message) = malformed(&invoice("<cbc:IssueDate>2026-02-30</cbc:IssueDate>"));
        assert_eq!(path, "/Invoice/cbc:IssueDate");
        assert!(message.contains("YYYY-MM-DD"), "{message}");
        let long = "9".repeat(400);
        let (_, message) = malformed(&invoice(&format!(
            "<cac:LegalMonetaryTotal><cbc:PayableAmount>{long}</cbc:PayableAmount></cac:LegalMonetaryTotal>"
        )));
        assert!(
            message.chars().count() < 100,
            "echo is truncated: {message}"
        );
        let (path, _) = malformed(&invoice(
            "<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:Note>no amount</cbc:Note></cac:InvoiceLine>",
        ));
        assert_eq!(path, "/Invoice/cac:InvoiceLine");
        let (_, message) = malformed(&invoice(
            "<cac:TaxTotal><cac:TaxSubtotal><cbc:TaxAmount>1</cbc:TaxAmount></cac:TaxSubtotal></cac:TaxTotal>",
        ));
        assert!(message.contains("TaxableAmount"), "{message}");
        let (path, _) = malformed(&format!("{}<Invoice/>", invoice("")));
        assert_eq!(path, "/");
    }
}
