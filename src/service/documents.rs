//! An invoice we hold, as an e-invoice document (UBL or CII): what a factor
//! or a buyer receives. Factored invoices (type 393/396) carry the factor
//! as payee.

use rust_decimal::Decimal;

use super::invoices::{get_invoice, Invoice};
use super::parties::{get_buyer, get_seller, Buyer, Seller};
use super::ServiceError;
use crate::domain::ids::LegalIdScheme;
use crate::domain::invoice::InvoiceKind;
use crate::formats::einvoice::{EInvoice, Line, Party, SchemedId, Syntax, TaxBreakdown, Totals};
use crate::money::Money;
use crate::store::DbConnection;

/// ISO 6523 code of a stored scheme name.
fn iso6523(scheme: &str) -> Option<&'static str> {
    scheme.parse::<LegalIdScheme>().ok()?.iso6523()
}

fn seller_party(s: &Seller) -> Party {
    Party {
        name: s.name.clone(),
        // Our sellers are French companies (SIREN); a VAT number says otherwise.
        country: Some(
            s.vat
                .as_deref()
                .and_then(|v| v.get(..2))
                .unwrap_or("FR")
                .to_string(),
        ),
        vat_id: s.vat.clone(),
        legal_id: s.siren.as_ref().map(|v| SchemedId {
            value: v.clone(),
            scheme: Some("0002".into()),
        }),
        ids: Vec::new(),
    }
}

fn buyer_party(b: &Buyer) -> Party {
    let verified = || b.legal_ids.iter().filter(|l| l.verified);
    let legal = verified()
        .find(|l| l.scheme == "siret")
        .or_else(|| verified().find(|l| l.scheme == "siren"));
    Party {
        name: b.name.clone(),
        country: Some(b.country.clone()),
        vat_id: verified()
            .find(|l| l.scheme == "vat")
            .map(|l| l.value.clone()),
        legal_id: legal.map(|l| SchemedId {
            value: l.value.clone(),
            scheme: iso6523(&l.scheme).map(str::to_string),
        }),
        ids: verified()
            .filter(|l| !matches!(l.scheme.as_str(), "vat" | "siren" | "siret"))
            .filter_map(|l| {
                Some(SchemedId {
                    value: l.value.clone(),
                    scheme: Some(iso6523(&l.scheme)?.to_string()),
                })
            })
            .collect(),
    }
}

fn dec(m: Money) -> Decimal {
    m.to_decimal()
}

/// The document for a recorded invoice or credit note. We keep no line
/// detail, so it has one line carrying the line total, and one VAT
/// breakdown (standard rate when there is VAT, zero-rated otherwise).
pub fn document_of(inv: &Invoice, seller: &Seller, buyer: &Buyer, syntax: Syntax) -> EInvoice {
    let mut doc = EInvoice::empty(syntax);
    doc.profile = Some(
        inv.profile
            .clone()
            .unwrap_or_else(|| "urn:cen.eu:en16931:2017".to_string()),
    );
    doc.number = inv.number.clone();
    doc.type_code = inv.type_code.clone();
    doc.credit_note_document = inv.kind == InvoiceKind::CreditNote;
    doc.issue_date = Some(inv.issue_date);
    doc.due_date = Some(inv.due_date);
    doc.payment_terms = inv.payment_terms.clone();
    doc.currency = inv.currency.clone();
    doc.buyer_reference = inv.buyer_reference.clone();
    doc.order_reference = inv.order_reference.clone();
    doc.seller = seller_party(seller);
    doc.buyer = buyer_party(buyer);
    // EN 16931 gives the payee a name, identifiers and a legal registration
    // id (BT-59..61), no VAT number: the id we hold goes as BT-61.
    doc.payee = inv.payee_name.as_ref().map(|name| Party {
        name: name.clone(),
        legal_id: inv.payee_id.as_ref().map(|id| SchemedId {
            value: id.clone(),
            scheme: None,
        }),
        ..Party::default()
    });
    doc.payment_accounts = inv
        .seller_iban
        .clone()
        .or_else(|| seller.iban.clone())
        .into_iter()
        .collect();
    let line_total = inv.line_total.unwrap_or(inv.net);
    doc.lines = vec![Line {
        id: "1".into(),
        net_amount: dec(line_total),
    }];
    doc.tax_breakdowns = vec![TaxBreakdown {
        category: if inv.tax.is_zero() { "Z" } else { "S" }.into(),
        rate: None,
        taxable_amount: dec(inv.net),
        tax_amount: dec(inv.tax),
    }];
    let payable = inv.payable.unwrap_or(inv.gross);
    let prepaid = (!inv.prepaid.is_zero()).then(|| dec(inv.prepaid));
    let net = dec(inv.net);
    let lines = dec(line_total);
    doc.totals = Totals {
        line_total: Some(lines),
        allowances: (lines > net).then(|| lines - net),
        charges: (net > lines).then(|| net - lines),
        tax_exclusive: Some(net),
        tax_total: Some(dec(inv.tax)),
        tax_inclusive: Some(dec(inv.gross)),
        prepaid,
        rounding: {
            let r = dec(payable) - dec(inv.gross) + prepaid.unwrap_or_default();
            (!r.is_zero()).then_some(r)
        },
        payable: Some(dec(payable)),
    };
    doc
}

/// A recorded invoice's document, loaded with its parties.
pub fn invoice_document(
    conn: &mut DbConnection,
    id: &str,
    syntax: Syntax,
) -> Result<EInvoice, ServiceError> {
    let inv = get_invoice(conn, id)?;
    let seller = get_seller(conn, &inv.seller_id)?;
    let buyer = get_buyer(conn, &inv.buyer_id)?;
    let mut doc = document_of(&inv, &seller, &buyer, syntax);
    super::factoring::notify::apply_factoring(conn, &inv.id, &mut doc)?;
    if let Some(credited) = &inv.credited_invoice_id {
        doc.billing_references = vec![get_invoice(conn, credited)?.number];
    }
    Ok(doc)
}
