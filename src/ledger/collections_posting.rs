//! Posting of late-payment penalties charged to a buyer: the penalty
//! invoice [facture de pénalités] is a receivable like any other.
//! Debit 411 (the buyer), credit 7631 for the interest and 7588 for the
//! fixed recovery indemnity. Neither bears VAT: they are compensation, not
//! the price of a supply (CGI art. 256; BOI-TVA-BASE-10-10-10).

use chrono::NaiveDate;

use super::chart::{ChartRoles, JournalCode};
use super::entry::{EntryDraft, EntryLine};
use super::LedgerError;
use crate::money::Currency;

pub const PENALTY_INVOICED: &str = "penalty.invoiced";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyFacts {
    pub charge_id: String,
    /// The penalty invoice's number.
    pub piece_ref: String,
    pub buyer_id: String,
    pub currency: Currency,
    pub interest: i64,
    pub indemnity: i64,
    pub on: NaiveDate,
}

pub fn post_penalty(facts: &PenaltyFacts, roles: &ChartRoles) -> Result<EntryDraft, LedgerError> {
    let total = facts
        .interest
        .checked_add(facts.indemnity)
        .ok_or(LedgerError::Overflow)?;
    if facts.interest < 0 || facts.indemnity < 0 || total <= 0 {
        return Err(LedgerError::NothingToPost {
            event_kind: PENALTY_INVOICED,
            event_id: facts.charge_id.clone(),
        });
    }
    let label = format!("Pénalités de retard {}", facts.piece_ref);
    let c = facts.currency;
    let mut lines =
        vec![EntryLine::debit(&roles.receivable, total, c, &label).with_buyer(&facts.buyer_id)];
    if facts.interest > 0 {
        lines.push(EntryLine::credit(
            &roles.late_interest_income,
            facts.interest,
            c,
            &label,
        ));
    }
    if facts.indemnity > 0 {
        lines.push(EntryLine::credit(
            &roles.recovery_indemnity_income,
            facts.indemnity,
            c,
            &label,
        ));
    }
    Ok(EntryDraft {
        journal: JournalCode::Sales.code().to_string(),
        date: facts.on,
        label,
        piece_ref: facts.piece_ref.clone(),
        piece_date: facts.on,
        event_kind: PENALTY_INVOICED.to_string(),
        event_id: facts.charge_id.clone(),
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Chart;

    #[test]
    fn interest_and_indemnity_against_the_buyer() {
        let chart = Chart::pcg_default();
        let facts = PenaltyFacts {
            charge_id: "c1".into(),
            piece_ref: "PEN-F1-20260302".into(),
            buyer_id: "b1".into(),
            currency: Currency::EUR,
            interest: 9_986,
            indemnity: 4_000,
            on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        };
        let e = post_penalty(&facts, chart.roles()).unwrap();
        e.validate(&chart).unwrap();
        let lines: Vec<(&str, i64, i64)> = e
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.debit, l.credit))
            .collect();
        // 99.86 + 40.00 = 139.86 owed by the buyer.
        assert_eq!(
            lines,
            vec![("411", 13_986, 0), ("7631", 0, 9_986), ("7588", 0, 4_000)]
        );
        assert_eq!(e.lines[0].buyer_id.as_deref(), Some("b1"));
        let nothing = PenaltyFacts {
            interest: 0,
            indemnity: 0,
            ..facts
        };
        assert!(post_penalty(&nothing, chart.roles()).is_err());
    }
}
