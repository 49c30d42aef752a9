//! Which invoices a contract lets us assign, and every reason why not.

use chrono::NaiveDate;
use serde::Serialize;

use super::terms::ContractTerms;
use crate::domain::invoice::InvoiceState;

/// Why an invoice cannot be assigned. Stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    /// Issued by another seller than the contract's.
    OtherSeller,
    /// In another currency than the contract's.
    Currency,
    /// Paid, written off or with nothing open.
    NotOpen,
    Disputed,
    /// Already under an active assignment (double financing).
    AlreadyAssigned,
    /// Issued longer ago than the contract accepts.
    TooOld,
    /// Payment term longer than the contract accepts.
    TermTooLong,
    ExcludedCountry,
    IntraGroup,
    /// Above the buyer's share of the assigned outstanding.
    ConcentrationCap,
}

impl Ineligible {
    pub fn as_str(self) -> &'static str {
        match self {
            Ineligible::OtherSeller => "other_seller",
            Ineligible::Currency => "currency",
            Ineligible::NotOpen => "not_open",
            Ineligible::Disputed => "disputed",
            Ineligible::AlreadyAssigned => "already_assigned",
            Ineligible::TooOld => "too_old",
            Ineligible::TermTooLong => "term_too_long",
            Ineligible::ExcludedCountry => "excluded_country",
            Ineligible::IntraGroup => "intra_group",
            Ineligible::ConcentrationCap => "concentration_cap",
        }
    }

    /// The error code a confirmation naming this invoice is refused with.
    pub fn refusal_code(self) -> &'static str {
        match self {
            Ineligible::OtherSeller => "invoice_other_seller",
            Ineligible::Currency => "invoice_currency_mismatch",
            Ineligible::NotOpen => "invoice_not_open",
            Ineligible::Disputed => "invoice_disputed",
            Ineligible::AlreadyAssigned => "invoice_already_assigned",
            Ineligible::TooOld => "invoice_too_old",
            Ineligible::TermTooLong => "invoice_term_too_long",
            Ineligible::ExcludedCountry => "invoice_excluded_country",
            Ineligible::IntraGroup => "invoice_intra_group",
            Ineligible::ConcentrationCap => "invoice_concentration_cap",
        }
    }
}

/// An invoice or credit note offered for assignment, with what the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub invoice_id: String,
    pub number: String,
    pub credit_note: bool,
    pub seller_id: String,
    pub buyer_id: String,
    pub buyer_country: String,
    pub intra_group: bool,
    pub currency: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// What the buyer still owes on it (credit notes: what is left to use).
    pub open: i64,
    pub state: InvoiceState,
    pub already_assigned: bool,
}

/// Every rule the candidate fails on `assigned_on` (empty: eligible),
/// except the concentration cap, which depends on the whole selection.
pub fn check_invoice(
    c: &Candidate,
    seller_id: &str,
    currency: &str,
    terms: &ContractTerms,
    assigned_on: NaiveDate,
) -> Vec<Ineligible> {
    let mut out = Vec::new();
    if c.seller_id != seller_id {
        out.push(Ineligible::OtherSeller);
    }
    if c.currency != currency {
        out.push(Ineligible::Currency);
    }
    if c.open <= 0 || matches!(c.state, InvoiceState::Paid | InvoiceState::WrittenOff) {
        out.push(Ineligible::NotOpen);
    }
    if c.state == InvoiceState::Disputed && terms.exclude_disputed {
        out.push(Ineligible::Disputed);
    }
    if c.already_assigned {
        out.push(Ineligible::AlreadyAssigned);
    }
    if !c.credit_note {
        if (assigned_on - c.issue_date).num_days() > i64::from(terms.max_invoice_age_days) {
            out.push(Ineligible::TooOld);
        }
        if (c.due_date - c.issue_date).num_days() > i64::from(terms.max_term_days) {
            out.push(Ineligible::TermTooLong);
        }
    }
    if terms
        .excluded_countries
        .iter()
        .any(|x| x.eq_ignore_ascii_case(&c.buyer_country))
    {
        out.push(Ineligible::ExcludedCountry);
    }
    if c.intra_group && terms.exclude_intra_group {
        out.push(Ineligible::IntraGroup);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::factoring::terms::tests::sample;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn candidate() -> Candidate {
        Candidate {
            invoice_id: "i1".into(),
            number: "F-1".into(),
            credit_note: false,
            seller_id: "s1".into(),
            buyer_id: "b1".into(),
            buyer_country: "FR".into(),
            intra_group: false,
            currency: "EUR".into(),
            issue_date: d(3, 1),
            due_date: d(4, 30),
            open: 100_000,
            state: InvoiceState::Open,
            already_assigned: false,
        }
    }

    #[test]
    fn a_clean_invoice_is_eligible() {
        // Issued 1 March, due 30 April: a 60-day term, the contract's maximum.
        let t = sample(d(1, 1));
        assert!(check_invoice(&candidate(), "s1", "EUR", &t, d(3, 10)).is_empty());
    }

    #[test]
    fn every_failing_rule_is_reported() {
        let t = sample(d(1, 1));
        let mut c = candidate();
        c.seller_id = "s2".into();
        c.currency = "USD".into();
        c.state = InvoiceState::Disputed;
        c.already_assigned = true;
        c.due_date = d(5, 1); // 61 days after 1 March: one more than 60
        c.buyer_country = "ru".into();
        c.intra_group = true;
        // 1 March + 91 days = 31 May: one day older than the 90 allowed.
        let reasons = check_invoice(&c, "s1", "EUR", &t, d(5, 31));
        assert_eq!(
            reasons,
            vec![
                Ineligible::OtherSeller,
                Ineligible::Currency,
                Ineligible::Disputed,
                Ineligible::AlreadyAssigned,
                Ineligible::TooOld,
                Ineligible::TermTooLong,
                Ineligible::ExcludedCountry,
                Ineligible::IntraGroup,
            ]
        );
        // 90 days old exactly is still accepted.
        assert!(
            !check_invoice(&candidate(), "s1", "EUR", &t, d(5, 30)).contains(&Ineligible::TooOld)
        );
    }

    #[test]
    fn paid_invoices_are_not_open_and_rules_can_be_relaxed() {
        let mut t = sample(d(1, 1));
        let mut c = candidate();
        c.state = InvoiceState::Paid;
        c.open = 0;
        assert_eq!(
            check_invoice(&c, "s1", "EUR", &t, d(3, 10)),
            vec![Ineligible::NotOpen]
        );
        t.exclude_disputed = false;
        t.exclude_intra_group = false;
        let mut c = candidate();
        c.state = InvoiceState::Disputed;
        c.intra_group = true;
        assert!(check_invoice(&c, "s1", "EUR", &t, d(3, 10)).is_empty());
    }

    #[test]
    fn credit_notes_skip_the_age_and_term_rules() {
        let t = sample(d(1, 1));
        let mut c = candidate();
        c.credit_note = true;
        c.issue_date = d(1, 2);
        c.due_date = d(6, 30);
        assert!(check_invoice(&c, "s1", "EUR", &t, d(6, 1)).is_empty());
    }
}
