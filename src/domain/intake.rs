//! From an e-invoice as read to what we record: the invoice in minor units,
//! who the seller is, and how the buyer is identified. Pure: the store
//! resolves parties afterwards.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ids::{self, country_of_vat, LegalId, LegalIdScheme};
use super::invoice::{BuyerRef, IntakeDetails, InvoiceKind, ValidInvoice};
use super::terms::{exceeds_lme_cap, PaymentTerms};
use crate::formats::einvoice::terms::Term;
use crate::formats::einvoice::{check, DocumentError, EInvoice, Party, Syntax, Violation};
use crate::money::{Currency, Money};

/// How a document's seller may be one of ours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SellerKeys {
    pub vat: Option<String>,
    pub siren: Option<String>,
}

/// How a document identifies its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerIdentity {
    pub name: String,
    /// Needed only to create the buyer (EN 16931 BR-11).
    pub country: Option<String>,
    /// Ids that passed their check.
    pub verified: Vec<LegalId>,
    /// Ids of a known scheme that fail their check (test data, typos).
    pub unverified: Vec<LegalId>,
}

impl BuyerIdentity {
    /// A key that is the same for the same buyer within one import.
    pub fn key(&self) -> String {
        match self.verified.first().or(self.unverified.first()) {
            Some(id) => id.to_string(),
            None => format!(
                "name:{}|{}",
                self.country.as_deref().unwrap_or(""),
                self.name.to_lowercase()
            ),
        }
    }
}

/// A document mapped: the invoice (seller and buyer still to be resolved),
/// and what was decided along the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedInvoice {
    pub seller: SellerKeys,
    pub buyer: BuyerIdentity,
    pub invoice: ValidInvoice,
    /// Choices made that the user should know about.
    pub notes: Vec<String>,
}

/// UNTDID 1001 codes of the credit-note family.
const CREDIT_NOTE_CODES: &[&str] = &["381", "396", "261", "262", "296", "308", "532"];

fn rule(doc: &EInvoice, rule: &'static str, term: Term, message: String) -> DocumentError {
    DocumentError::Rules {
        violations: vec![Violation {
            rule,
            path: term.path(doc.syntax, doc.credit_note_document),
            message,
        }],
    }
}

fn minor(
    doc: &EInvoice,
    value: Decimal,
    currency: Currency,
    term: Term,
) -> Result<i64, DocumentError> {
    Money::from_decimal_exact(value, currency)
        .map(|m| m.minor())
        .map_err(|e| {
            rule(
                doc,
                "BR-DEC",
                term,
                format!("{value} {}: {e}", currency.code()),
            )
        })
}

/// Free text into a single printable line of at most `max` characters.
fn clean(text: &str, max: usize) -> Option<String> {
    let one_line: String = text
        .split(|c: char| c.is_control())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let cut: String = one_line.chars().take(max).collect();
    Some(cut).filter(|s| !s.is_empty())
}

/// Maps a document read from a file. Its EN 16931 rules are checked first;
/// a document that breaks one is refused whole.
pub fn map_document(doc: &EInvoice) -> Result<MappedInvoice, DocumentError> {
    let violations = check(doc);
    if !violations.is_empty() {
        return Err(DocumentError::Rules { violations });
    }
    let mut notes = Vec::new();
    let currency = Currency::from_code(doc.currency.trim())
        .map_err(|e| rule(doc, "BR-CL-04", Term::Currency, e.to_string()))?;
    let t = &doc.totals;
    let zero = Decimal::ZERO;
    let mut net = minor(
        doc,
        t.tax_exclusive.unwrap_or(zero),
        currency,
        Term::TaxExclusive,
    )?;
    let mut tax = minor(doc, t.tax_total.unwrap_or(zero), currency, Term::TaxTotal)?;
    let mut gross = minor(
        doc,
        t.tax_inclusive.unwrap_or(zero),
        currency,
        Term::TaxInclusive,
    )?;
    let mut prepaid = minor(doc, t.prepaid.unwrap_or(zero), currency, Term::Prepaid)?;
    let mut payable = minor(doc, t.payable.unwrap_or(zero), currency, Term::Payable)?;
    let mut line_total = t
        .line_total
        .map(|v| minor(doc, v, currency, Term::LineTotal))
        .transpose()?;
    let type_code = doc.type_code.trim().to_string();
    let mut kind = if doc.credit_note_document || CREDIT_NOTE_CODES.contains(&type_code.as_str()) {
        InvoiceKind::CreditNote
    } else {
        InvoiceKind::Invoice
    };
    // A negative invoice is a credit note in substance (and, in EN 16931, a
    // negative credit note an invoice): we keep amounts positive and flip
    // the kind. Accounting exports (CSV, JSON) write credit notes with
    // negative amounts: there the sign only confirms the kind.
    let flat = matches!(doc.syntax, Syntax::Csv | Syntax::Json);
    if gross < 0 || (gross == 0 && net < 0) {
        let stated = kind;
        if !(flat && stated == InvoiceKind::CreditNote) {
            kind = match kind {
                InvoiceKind::Invoice => InvoiceKind::CreditNote,
                InvoiceKind::CreditNote => InvoiceKind::Invoice,
            };
        }
        for v in [&mut net, &mut tax, &mut gross, &mut prepaid, &mut payable] {
            *v = -*v;
        }
        line_total = line_total.map(|v| -v);
        if kind != stated {
            notes.push(format!(
                "negative totals under type code {type_code}: recorded as a {} with positive amounts",
                kind.as_str().replace('_', " ")
            ));
        }
    }
    if kind == InvoiceKind::CreditNote && prepaid != 0 {
        notes.push("a prepaid amount on a credit note is not settled at issue".into());
        prepaid = 0;
    }
    let issue_date = doc.issue_date.ok_or_else(|| {
        rule(
            doc,
            "BR-03",
            Term::IssueDate,
            "the issue date is required".into(),
        )
    })?;
    let payment_terms = doc.payment_terms.as_deref().and_then(|t| clean(t, 200));
    let due_date = match doc.due_date {
        Some(d) => d,
        None => match payment_terms
            .as_deref()
            .and_then(terms_due_date(issue_date))
        {
            Some(d) => {
                notes.push(format!("due date {d} derived from the stated terms"));
                d
            }
            None => {
                notes.push("no due date nor readable terms: due on the issue date".into());
                issue_date
            }
        },
    };
    if due_date < issue_date {
        return Err(rule(
            doc,
            "BR-CO-25",
            Term::DueDate,
            format!("the due date {due_date} is before the issue date {issue_date}"),
        ));
    }
    let number = clean(&doc.number, 100).ok_or_else(|| {
        rule(
            doc,
            "BR-02",
            Term::Number,
            "the invoice number is required".into(),
        )
    })?;
    let credited_invoice = match kind {
        InvoiceKind::CreditNote => doc.billing_references.first().and_then(|r| clean(r, 100)),
        InvoiceKind::Invoice => None,
    };
    let payee = doc.payee.as_ref().filter(|p| !p.name.trim().is_empty());
    let invoice = ValidInvoice {
        // Resolved by the store: placeholders until then.
        seller: String::new(),
        buyer: BuyerRef::Id(String::new()),
        number,
        kind,
        issue_date,
        due_date,
        currency,
        net,
        tax,
        gross,
        payment_terms,
        credited_invoice,
        buyer_reference: doc.buyer_reference.as_deref().and_then(|r| clean(r, 200)),
        order_reference: doc.order_reference.as_deref().and_then(|r| clean(r, 200)),
        lme_exceeded: kind == InvoiceKind::Invoice && exceeds_lme_cap(issue_date, due_date),
        intake: Some(IntakeDetails {
            type_code,
            line_total,
            prepaid,
            payable,
            payee_name: payee.and_then(|p| clean(&p.name, 200)),
            payee_id: payee.and_then(|p| {
                p.vat_id
                    .clone()
                    .or_else(|| p.legal_id.as_ref().map(|l| l.value.clone()))
            }),
            seller_iban: doc
                .payment_accounts
                .first()
                .map(|a| a.split_whitespace().collect::<String>().to_uppercase()),
            source_format: doc.syntax.as_str().to_string(),
            profile: doc.profile.as_deref().and_then(|p| clean(p, 200)),
        }),
    };
    Ok(MappedInvoice {
        seller: seller_keys(&doc.seller),
        buyer: buyer_identity(doc)?,
        invoice,
        notes,
    })
}

fn terms_due_date(issue: NaiveDate) -> impl Fn(&str) -> Option<NaiveDate> {
    move |text: &str| {
        text.parse::<PaymentTerms>()
            .ok()
            .and_then(|t| t.due_date(issue))
    }
}

/// The scheme of an identifier as a document gives it: an ISO 6523 code, or
/// none (then a French 9- or 14-digit number is a SIREN or a SIRET).
fn scheme_of(
    id: &crate::formats::einvoice::SchemedId,
    country: Option<&str>,
) -> Option<LegalIdScheme> {
    let digits = || id.value.chars().filter(|c| c.is_ascii_digit()).count();
    match id.scheme.as_deref() {
        // French documents often give a SIRET under the SIREN code 0002.
        Some(code) => match LegalIdScheme::from_iso6523(code) {
            Some(LegalIdScheme::Siren) if digits() == 14 => Some(LegalIdScheme::Siret),
            Some(LegalIdScheme::Siret) if digits() == 9 => Some(LegalIdScheme::Siren),
            other => other,
        },
        None if country == Some("FR") => {
            let digits: String = id.value.chars().filter(|c| !c.is_whitespace()).collect();
            match digits.len() {
                9 if digits.bytes().all(|b| b.is_ascii_digit()) => Some(LegalIdScheme::Siren),
                14 if digits.bytes().all(|b| b.is_ascii_digit()) => Some(LegalIdScheme::Siret),
                _ => None,
            }
        }
        None => None,
    }
}

fn seller_keys(seller: &Party) -> SellerKeys {
    let mut keys = SellerKeys {
        vat: seller
            .vat_id
            .as_deref()
            .map(|v| ids::normalize(LegalIdScheme::Vat, v)),
        siren: None,
    };
    let country = seller.country.as_deref();
    for id in seller.legal_id.iter().chain(&seller.ids) {
        match scheme_of(id, country) {
            Some(LegalIdScheme::Siren) => {
                keys.siren = Some(ids::normalize(LegalIdScheme::Siren, &id.value))
            }
            Some(LegalIdScheme::Siret) => {
                let siret = ids::normalize(LegalIdScheme::Siret, &id.value);
                keys.siren = ids::siren_of_siret(&siret).map(str::to_string);
            }
            _ => {}
        }
        if keys.siren.is_some() {
            break;
        }
    }
    // A French VAT number carries the SIREN: FR + 2-character key + SIREN.
    if keys.siren.is_none() {
        if let Some(vat) = keys
            .vat
            .as_deref()
            .filter(|v| v.starts_with("FR") && v.len() == 13)
        {
            keys.siren = vat.get(4..).map(str::to_string);
        }
    }
    keys
}

fn buyer_identity(doc: &EInvoice) -> Result<BuyerIdentity, DocumentError> {
    let b = &doc.buyer;
    let mut verified = Vec::new();
    let mut unverified = Vec::new();
    let mut keep = |scheme: LegalIdScheme, raw: &str| match ids::validate(scheme, raw) {
        Ok(id) => {
            if !verified.contains(&id) {
                verified.push(id)
            }
        }
        Err(_) => {
            let value = ids::normalize(scheme, raw);
            let id = LegalId { scheme, value };
            if !id.value.is_empty() && !unverified.contains(&id) {
                unverified.push(id)
            }
        }
    };
    if let Some(vat) = &b.vat_id {
        keep(LegalIdScheme::Vat, vat);
    }
    let country_hint = b.country.as_deref();
    for id in b.legal_id.iter().chain(&b.ids) {
        if let Some(scheme) = scheme_of(id, country_hint) {
            keep(scheme, &id.value);
        }
    }
    let country = b
        .country
        .as_deref()
        .map(|c| c.trim().to_uppercase())
        .filter(|c| c.len() == 2)
        .or_else(|| {
            verified
                .iter()
                .find_map(|v| country_of_vat(v).map(str::to_string))
        });
    let name = clean(&b.name, 200).ok_or_else(|| {
        rule(
            doc,
            "BR-07",
            Term::BuyerName,
            "the buyer name is required".into(),
        )
    })?;
    Ok(BuyerIdentity {
        name,
        country,
        verified,
        unverified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::einvoice::{Line, SchemedId, Syntax, Totals};
    use rust_decimal_macros::dec;

    fn doc() -> EInvoice {
        let mut d = EInvoice::empty(Syntax::Cii);
        d.number = "F-2026-1".into();
        d.type_code = "380".into();
        d.issue_date = NaiveDate::from_ymd_opt(2026, 3, 10);
        d.currency = "EUR".into();
        d.seller.name = "Moulin SA".into();
        d.seller.vat_id = Some("FR11 999999998".into());
        d.buyer.name = "Boutique".into();
        d.buyer.country = Some("FR".into());
        d.buyer.vat_id = Some("FR19787878784".into());
        d.buyer.legal_id = Some(SchemedId {
            value: "78787878400035".into(),
            scheme: Some("0002".into()),
        });
        d.lines = vec![Line {
            id: "1".into(),
            net_amount: dec!(100.00),
        }];
        d.totals = Totals {
            line_total: Some(dec!(100.00)),
            tax_exclusive: Some(dec!(100.00)),
            tax_total: Some(dec!(20.00)),
            tax_inclusive: Some(dec!(120.00)),
            prepaid: Some(dec!(20.00)),
            payable: Some(dec!(100.00)),
            ..Totals::default()
        };
        d
    }

    #[test]
    fn maps_amounts_to_minor_units_and_keeps_what_the_document_states() {
        let m = map_document(&doc()).unwrap();
        let v = &m.invoice;
        assert_eq!((v.net, v.tax, v.gross), (10_000, 2_000, 12_000));
        assert_eq!(v.kind, InvoiceKind::Invoice);
        let d = v.intake.as_ref().unwrap();
        assert_eq!(
            (d.prepaid, d.payable, d.line_total),
            (2_000, 10_000, Some(10_000))
        );
        assert_eq!(d.source_format, "cii");
        // The seller's SIREN is read out of its French VAT number.
        assert_eq!(m.seller.vat.as_deref(), Some("FR11999999998"));
        assert_eq!(m.seller.siren.as_deref(), Some("999999998"));
    }

    #[test]
    fn an_id_failing_its_check_is_kept_unverified() {
        let m = map_document(&doc()).unwrap();
        assert_eq!(
            m.buyer.verified,
            vec![LegalId {
                scheme: LegalIdScheme::Vat,
                value: "FR19787878784".into()
            }]
        );
        // 14 digits under the SIREN code (0002) are read as a SIRET, and
        // this one fails its Luhn key.
        assert_eq!(m.buyer.unverified.len(), 1);
        assert_eq!(m.buyer.unverified[0].scheme, LegalIdScheme::Siret);
        assert_eq!(m.buyer.unverified[0].value, "78787878400035");
    }

    #[test]
    fn negative_totals_flip_the_kind_and_the_signs() {
        let mut d = doc();
        d.lines[0].net_amount = dec!(-100.00);
        let t = &mut d.totals;
        t.line_total = Some(dec!(-100.00));
        t.tax_exclusive = Some(dec!(-100.00));
        t.tax_total = Some(dec!(-20.00));
        t.tax_inclusive = Some(dec!(-120.00));
        t.prepaid = None;
        t.payable = Some(dec!(-120.00));
        let m = map_document(&d).unwrap();
        assert_eq!(m.invoice.kind, InvoiceKind::CreditNote);
        assert_eq!(m.invoice.gross, 12_000);
        assert!(
            m.notes[0].starts_with("negative totals under type code 380"),
            "{:?}",
            m.notes
        );
    }

    #[test]
    fn the_due_date_comes_from_the_terms_when_the_document_has_none() {
        let mut d = doc();
        d.due_date = None;
        d.payment_terms = Some("45 jours fin de mois".into());
        let m = map_document(&d).unwrap();
        // 2026-03-10 + 45 days = 2026-04-24, then end of month.
        assert_eq!(
            m.invoice.due_date,
            NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()
        );
        d.payment_terms = Some("à réception".into());
        let m = map_document(&d).unwrap();
        assert_eq!(m.invoice.due_date, m.invoice.issue_date);
    }

    #[test]
    fn refusals_name_the_rule() {
        let mut d = doc();
        d.totals.payable = Some(dec!(99.00));
        match map_document(&d) {
            Err(DocumentError::Rules { violations }) => assert_eq!(violations[0].rule, "BR-CO-16"),
            other => panic!("{other:?}"),
        }
        let mut d = doc();
        d.currency = "JPY".into();
        d.lines[0].net_amount = dec!(100.50);
        d.totals.line_total = Some(dec!(100.50));
        d.totals.tax_exclusive = Some(dec!(100.50));
        d.totals.tax_inclusive = Some(dec!(120.50));
        d.totals.payable = Some(dec!(100.50));
        match map_document(&d) {
            Err(DocumentError::Rules { violations }) => assert_eq!(violations[0].rule, "BR-DEC"),
            other => panic!("{other:?}"),
        }
        // Without a country code the buyer can still be found, not created.
        let mut d = doc();
        d.buyer.country = None;
        assert_eq!(
            map_document(&d).unwrap().buyer.country.as_deref(),
            Some("FR"),
            "from the VAT number"
        );
        d.buyer.vat_id = None;
        assert_eq!(map_document(&d).unwrap().buyer.country, None);
    }
}
