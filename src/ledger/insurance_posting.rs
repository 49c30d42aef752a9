//! Postings of credit insurance claims (DOMAIN.md, "Accounting"): a claimed
//! receivable becomes doubtful; the indemnity is income; the loss is written
//! off net of the VAT recovered from the state.

use chrono::NaiveDate;

use super::chart::{ChartRoles, JournalCode};
use super::entry::{EntryDraft, EntryLine};
use super::LedgerError;
use crate::money::Currency;

pub const CLAIM_FILED: &str = "insurance_claim.filed";
pub const CLAIM_PAID: &str = "insurance_claim.paid";

/// What a claim is about, in minor units of the invoice currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFacts {
    pub claim_id: String,
    pub invoice_number: String,
    pub buyer_id: String,
    pub currency: Currency,
    /// The unpaid gross amount claimed.
    pub loss_gross: i64,
    /// The VAT within it.
    pub loss_vat: i64,
}

fn nothing(kind: &'static str, facts: &ClaimFacts) -> LedgerError {
    LedgerError::NothingToPost {
        event_kind: kind,
        event_id: facts.claim_id.clone(),
    }
}

/// Filing a claim: the receivable becomes doubtful, debit 416, credit 411,
/// both on the buyer's sub-ledger.
pub fn post_claim_filed(
    facts: &ClaimFacts,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    if facts.loss_gross <= 0 {
        return Err(nothing(CLAIM_FILED, facts));
    }
    let label = format!("Créance douteuse {}", facts.invoice_number);
    let c = facts.currency;
    let mut doubtful = EntryLine::debit(&roles.doubtful_receivable, facts.loss_gross, c, &label);
    doubtful.buyer_id = Some(facts.buyer_id.clone());
    let mut receivable = EntryLine::credit(&roles.receivable, facts.loss_gross, c, &label);
    receivable.buyer_id = Some(facts.buyer_id.clone());
    Ok(EntryDraft {
        journal: JournalCode::CreditInsurance.code().to_string(),
        date: on,
        label,
        piece_ref: facts.invoice_number.clone(),
        piece_date: on,
        event_kind: CLAIM_FILED.to_string(),
        event_id: facts.claim_id.clone(),
        lines: vec![doubtful, receivable],
    })
}

/// The indemnity paid: debit 512, credit 7587; and the loss written off:
/// debit 654 (net) and 44571 (the VAT recovered), credit 416.
pub fn post_claim_paid(
    facts: &ClaimFacts,
    indemnity: i64,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    if facts.loss_gross <= 0
        || indemnity < 0
        || facts.loss_vat < 0
        || facts.loss_vat > facts.loss_gross
    {
        return Err(nothing(CLAIM_PAID, facts));
    }
    let label = format!("Indemnité assurance-crédit {}", facts.invoice_number);
    let c = facts.currency;
    let mut lines = Vec::with_capacity(5);
    if indemnity > 0 {
        lines.push(EntryLine::debit(&roles.bank, indemnity, c, &label));
        lines.push(EntryLine::credit(
            &roles.insurance_indemnity,
            indemnity,
            c,
            &label,
        ));
    }
    let net = facts.loss_gross - facts.loss_vat;
    if net > 0 {
        lines.push(EntryLine::debit(&roles.bad_debt_loss, net, c, &label));
    }
    if facts.loss_vat > 0 {
        lines.push(EntryLine::debit(
            &roles.vat_collected,
            facts.loss_vat,
            c,
            &label,
        ));
    }
    let mut doubtful = EntryLine::credit(&roles.doubtful_receivable, facts.loss_gross, c, &label);
    doubtful.buyer_id = Some(facts.buyer_id.clone());
    lines.push(doubtful);
    Ok(EntryDraft {
        journal: JournalCode::CreditInsurance.code().to_string(),
        date: on,
        label,
        piece_ref: facts.invoice_number.clone(),
        piece_date: on,
        event_kind: CLAIM_PAID.to_string(),
        event_id: facts.claim_id.clone(),
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Chart;

    fn facts() -> ClaimFacts {
        ClaimFacts {
            claim_id: "c-1".into(),
            invoice_number: "F-1".into(),
            buyer_id: "b-1".into(),
            currency: Currency::from_code("EUR").unwrap(),
            loss_gross: 1_200_000,
            loss_vat: 200_000,
        }
    }

    fn totals(e: &EntryDraft) -> (i64, i64) {
        (
            e.lines.iter().map(|l| l.debit).sum(),
            e.lines.iter().map(|l| l.credit).sum(),
        )
    }

    #[test]
    fn a_filed_claim_moves_the_receivable_to_doubtful() {
        let chart = Chart::pcg_default();
        let e = post_claim_filed(
            &facts(),
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            chart.roles(),
        )
        .unwrap();
        let accounts: Vec<(&str, i64, i64)> = e
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.debit, l.credit))
            .collect();
        assert_eq!(accounts, vec![("416", 1_200_000, 0), ("411", 0, 1_200_000)]);
        assert!(e.validate(&chart).is_ok());
    }

    #[test]
    fn the_paid_claim_books_the_indemnity_and_the_loss_net_of_vat() {
        let chart = Chart::pcg_default();
        // EUR 12,000 lost of which 2,000 VAT; indemnity EUR 8,500.
        let e = post_claim_paid(
            &facts(),
            850_000,
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            chart.roles(),
        )
        .unwrap();
        let accounts: Vec<(&str, i64, i64)> = e
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.debit, l.credit))
            .collect();
        assert_eq!(
            accounts,
            vec![
                ("512", 850_000, 0),
                ("7587", 0, 850_000),
                ("654", 1_000_000, 0),
                ("44571", 200_000, 0),
                ("416", 0, 1_200_000),
            ]
        );
        assert_eq!(totals(&e), (2_050_000, 2_050_000));
        assert!(e.validate(&chart).is_ok());
        assert!(post_claim_paid(
            &facts(),
            -1,
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            chart.roles()
        )
        .is_err());
    }
}
