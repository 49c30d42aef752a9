//! EN 16931 checks on a document as read: required fields (BR-xx), the
//! arithmetic between totals (BR-CO-xx) and the decimals of amounts
//! (BR-DEC-xx). Each violation names its rule and where, in the syntax the
//! document came in, the offending element lives.

use rust_decimal::Decimal;
use serde::Serialize;

use super::model::{EInvoice, Syntax};
use super::terms::Term;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The EN 16931 rule id, e.g. "BR-CO-15".
    pub rule: &'static str,
    /// The element (UBL/CII XPath) or column (CSV/JSON) at fault.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.rule, self.path, self.message)
    }
}

fn violation(doc: &EInvoice, rule: &'static str, term: Term, message: String) -> Violation {
    Violation {
        rule,
        path: term.path(doc.syntax, doc.credit_note_document).to_string(),
        message,
    }
}

/// Profiles below EN 16931 (Factur-X MINIMUM and BASIC WL) carry no lines
/// and no line total; France accepts them as invoices all the same.
pub fn is_lineless_profile(doc: &EInvoice) -> bool {
    doc.profile.as_deref().is_some_and(|p| {
        let p = p.to_ascii_lowercase();
        p.contains("minimum") || p.contains("basicwl")
    })
}

/// Every violation found, in rule order; empty when the document passes.
pub fn check(doc: &EInvoice) -> Vec<Violation> {
    let mut out = Vec::new();
    required(doc, &mut out);
    decimals(doc, &mut out);
    arithmetic(doc, &mut out);
    out
}

fn required(doc: &EInvoice, out: &mut Vec<Violation>) {
    let mut need = |present: bool, rule: &'static str, term: Term, what: &str| {
        if !present {
            out.push(violation(doc, rule, term, format!("{what} is required")));
        }
    };
    need(
        !doc.number.trim().is_empty(),
        "BR-02",
        Term::Number,
        "the invoice number (BT-1)",
    );
    need(
        doc.issue_date.is_some(),
        "BR-03",
        Term::IssueDate,
        "the issue date (BT-2)",
    );
    need(
        !doc.type_code.trim().is_empty(),
        "BR-04",
        Term::TypeCode,
        "the type code (BT-3)",
    );
    need(
        !doc.currency.trim().is_empty(),
        "BR-05",
        Term::Currency,
        "the currency (BT-5)",
    );
    // A flat file (CSV, JSON) names our seller by VAT or SIREN; its name is
    // in our records.
    let flat = matches!(doc.syntax, Syntax::Csv | Syntax::Json);
    need(
        flat || !doc.seller.name.trim().is_empty(),
        "BR-06",
        Term::SellerName,
        "the seller name (BT-27)",
    );
    need(
        !doc.buyer.name.trim().is_empty(),
        "BR-07",
        Term::BuyerName,
        "the buyer name (BT-44)",
    );
    let lineless = is_lineless_profile(doc);
    need(
        lineless || doc.totals.line_total.is_some(),
        "BR-12",
        Term::LineTotal,
        "the sum of line net amounts (BT-106)",
    );
    need(
        doc.totals.tax_exclusive.is_some(),
        "BR-13",
        Term::TaxExclusive,
        "the total without VAT (BT-109)",
    );
    need(
        doc.totals.tax_inclusive.is_some(),
        "BR-14",
        Term::TaxInclusive,
        "the total with VAT (BT-112)",
    );
    need(
        doc.totals.payable.is_some(),
        "BR-15",
        Term::Payable,
        "the amount due for payment (BT-115)",
    );
    need(
        lineless || !doc.lines.is_empty(),
        "BR-16",
        Term::Line,
        "at least one invoice line (BG-25)",
    );
}

fn decimals(doc: &EInvoice, out: &mut Vec<Violation>) {
    let t = &doc.totals;
    let checks = [
        ("BR-DEC-09", Term::LineTotal, t.line_total),
        ("BR-DEC-10", Term::Allowances, t.allowances),
        ("BR-DEC-11", Term::Charges, t.charges),
        ("BR-DEC-12", Term::TaxExclusive, t.tax_exclusive),
        ("BR-DEC-13", Term::TaxTotal, t.tax_total),
        ("BR-DEC-14", Term::TaxInclusive, t.tax_inclusive),
        ("BR-DEC-16", Term::Prepaid, t.prepaid),
        ("BR-DEC-17", Term::Rounding, t.rounding),
        ("BR-DEC-18", Term::Payable, t.payable),
    ];
    for (rule, term, value) in checks {
        if let Some(v) = value {
            if v.normalize().scale() > 2 {
                out.push(violation(
                    doc,
                    rule,
                    term,
                    format!("{v} has more than 2 decimals"),
                ));
            }
        }
    }
    for line in &doc.lines {
        if line.net_amount.normalize().scale() > 2 {
            out.push(violation(
                doc,
                "BR-DEC-23",
                Term::LineNet,
                format!(
                    "line {}: {} has more than 2 decimals",
                    line.id, line.net_amount
                ),
            ));
        }
    }
}

fn arithmetic(doc: &EInvoice, out: &mut Vec<Violation>) {
    let t = &doc.totals;
    let zero = Decimal::ZERO;
    if !doc.lines.is_empty() {
        if let Some(line_total) = t.line_total {
            let sum: Decimal = doc.lines.iter().map(|l| l.net_amount).sum();
            if sum != line_total {
                out.push(violation(
                    doc,
                    "BR-CO-10",
                    Term::LineTotal,
                    format!("the sum of line net amounts (BT-106) is {line_total} but the lines add up to {sum}"),
                ));
            }
        }
    }
    if let (Some(line_total), Some(exclusive)) = (t.line_total, t.tax_exclusive) {
        let expected = line_total - t.allowances.unwrap_or(zero) + t.charges.unwrap_or(zero);
        if expected != exclusive {
            out.push(violation(
                doc,
                "BR-CO-13",
                Term::TaxExclusive,
                format!("the total without VAT (BT-109) is {exclusive} but lines - allowances + charges = {expected}"),
            ));
        }
    }
    if let Some(tax_total) = t.tax_total {
        if !doc.tax_breakdowns.is_empty() {
            let sum: Decimal = doc.tax_breakdowns.iter().map(|b| b.tax_amount).sum();
            if sum != tax_total {
                out.push(violation(
                    doc,
                    "BR-CO-14",
                    Term::TaxTotal,
                    format!("the VAT total (BT-110) is {tax_total} but the VAT breakdowns add up to {sum}"),
                ));
            }
        }
    }
    if let (Some(exclusive), Some(inclusive)) = (t.tax_exclusive, t.tax_inclusive) {
        let expected = exclusive + t.tax_total.unwrap_or(zero);
        if expected != inclusive {
            out.push(violation(
                doc,
                "BR-CO-15",
                Term::TaxInclusive,
                format!("the total with VAT (BT-112) is {inclusive} but net + VAT = {expected}"),
            ));
        }
    }
    if let (Some(inclusive), Some(payable)) = (t.tax_inclusive, t.payable) {
        let expected = inclusive - t.prepaid.unwrap_or(zero) + t.rounding.unwrap_or(zero);
        if expected != payable {
            out.push(violation(
                doc,
                "BR-CO-16",
                Term::Payable,
                format!("the amount due (BT-115) is {payable} but gross - prepaid + rounding = {expected}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::einvoice::model::{Line, Totals};
    use rust_decimal_macros::dec;

    fn doc() -> EInvoice {
        let mut d = EInvoice::empty(Syntax::Ubl);
        d.number = "F-1".into();
        d.type_code = "380".into();
        d.issue_date = chrono::NaiveDate::from_ymd_opt(2026, 3, 1);
        d.currency = "EUR".into();
        d.seller.name = "Seller".into();
        d.buyer.name = "Buyer".into();
        d.lines = vec![
            Line {
                id: "1".into(),
                net_amount: dec!(60.00),
            },
            Line {
                id: "2".into(),
                net_amount: dec!(40.00),
            },
        ];
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

    fn rules(d: &EInvoice) -> Vec<&'static str> {
        check(d).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn a_consistent_document_passes() {
        assert_eq!(check(&doc()), vec![]);
    }

    #[test]
    fn each_total_is_checked_against_its_rule() {
        let mut d = doc();
        d.lines[1].net_amount = dec!(41.00);
        assert_eq!(rules(&d), vec!["BR-CO-10"]);

        let mut d = doc();
        d.totals.tax_inclusive = Some(dec!(121.00));
        d.totals.payable = Some(dec!(101.00));
        assert_eq!(rules(&d), vec!["BR-CO-15"]);

        let mut d = doc();
        d.totals.payable = Some(dec!(120.00));
        let v = check(&d);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "BR-CO-16");
        assert_eq!(
            v[0].path,
            "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"
        );
    }

    #[test]
    fn the_path_follows_the_syntax_and_document_kind() {
        let mut d = doc();
        d.syntax = Syntax::Cii;
        d.totals.tax_inclusive = Some(dec!(121.00));
        let v = check(&d);
        assert!(v[0].path.ends_with("ram:GrandTotalAmount"), "{}", v[0].path);
        let mut d = doc();
        d.credit_note_document = true;
        d.number.clear();
        assert_eq!(check(&d)[0].path, "/CreditNote/cbc:ID");
    }

    #[test]
    fn missing_fields_and_over_precise_totals_are_named() {
        let mut d = doc();
        d.number = " ".into();
        d.totals.tax_total = Some(dec!(20.001));
        d.totals.tax_inclusive = Some(dec!(120.001));
        d.totals.payable = Some(dec!(100.001));
        let r = rules(&d);
        assert!(r.contains(&"BR-02"), "{r:?}");
        assert!(r.contains(&"BR-DEC-13"), "{r:?}");
        assert!(r.contains(&"BR-DEC-18"), "{r:?}");
    }

    #[test]
    fn lineless_profiles_need_no_lines() {
        let mut d = doc();
        d.lines.clear();
        d.totals.line_total = None;
        assert_eq!(rules(&d), vec!["BR-12", "BR-16"]);
        d.profile = Some("urn:factur-x.eu:1p0:minimum".into());
        assert_eq!(rules(&d), Vec::<&str>::new());
    }
}
