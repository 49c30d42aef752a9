//! Postings of credit insurance (DOMAIN.md, "Accounting"): a claimed
//! receivable becomes doubtful; the indemnity is income; the loss is written
//! off net of the VAT recovered from the state; the premium is a charge
//! owed to the insurer; a recovery after indemnity is shared with it.

use chrono::NaiveDate;

use super::chart::{ChartRoles, JournalCode};
use super::entry::{EntryDraft, EntryLine};
use super::LedgerError;
use crate::domain::insurance_money::{RecoveredBy, RecoveryShare};
use crate::money::Currency;

pub const CLAIM_FILED: &str = "insurance_claim.filed";
pub const CLAIM_PAID: &str = "insurance_claim.paid";
pub const CLAIM_RECOVERY: &str = "insurance_claim.recovery";
pub const PREMIUM_DUE: &str = "insurance_premium.due";

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

/// A recovery after indemnity, shared with the insurer. The final loss took
/// the VAT back from the state and booked the rest in 654; so:
/// - recovered by us: debit 512 with what the buyer paid; credit 401 with
///   the insurer's share, which we owe it back;
/// - recovered by the insurer: it keeps its share and owes us the rest,
///   debit 401 (offset against what we owe it, premiums included);
/// - either way, credit 44571 with the VAT within the recovery (collected
///   again), and 654 with what is left: our share reduces the loss (a debit
///   when VAT is covered and the insurer's share plus the VAT exceed it).
pub fn post_recovery(
    facts: &ClaimFacts,
    recovery_id: &str,
    share: &RecoveryShare,
    by: RecoveredBy,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let empty = || LedgerError::NothingToPost {
        event_kind: CLAIM_RECOVERY,
        event_id: recovery_id.to_string(),
    };
    if share.recovered <= 0 || share.vat < 0 || share.insurer < 0 {
        return Err(empty());
    }
    let label = format!("Récupération après indemnité {}", facts.invoice_number);
    let c = facts.currency;
    let mut lines = Vec::with_capacity(4);
    match by {
        RecoveredBy::Us => {
            lines.push(EntryLine::debit(&roles.bank, share.recovered, c, &label));
            if share.insurer > 0 {
                lines.push(EntryLine::credit(
                    &roles.insurer_payable,
                    share.insurer,
                    c,
                    &label,
                ));
            }
        }
        RecoveredBy::Insurer => {
            let owed_to_us = share.recovered - share.insurer;
            if owed_to_us > 0 {
                lines.push(EntryLine::debit(
                    &roles.insurer_payable,
                    owed_to_us,
                    c,
                    &label,
                ));
            }
        }
    }
    if share.vat > 0 {
        lines.push(EntryLine::credit(
            &roles.vat_collected,
            share.vat,
            c,
            &label,
        ));
    }
    let reduction = share.loss_reduction();
    if reduction > 0 {
        lines.push(EntryLine::credit(
            &roles.bad_debt_loss,
            reduction,
            c,
            &label,
        ));
    } else if reduction < 0 {
        lines.push(EntryLine::debit(
            &roles.bad_debt_loss,
            -reduction,
            c,
            &label,
        ));
    }
    if lines.len() < 2 {
        return Err(empty());
    }
    Ok(EntryDraft {
        journal: JournalCode::CreditInsurance.code().to_string(),
        date: on,
        label,
        piece_ref: facts.invoice_number.clone(),
        piece_date: on,
        event_kind: CLAIM_RECOVERY.to_string(),
        event_id: recovery_id.to_string(),
        lines,
    })
}

/// A period's premium, dated the period's last day: debit 616, credit 401
/// (what we owe the insurer). `piece_ref` names the policy and period.
pub fn post_premium(
    premium_id: &str,
    piece_ref: &str,
    premium: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    if premium <= 0 {
        return Err(LedgerError::NothingToPost {
            event_kind: PREMIUM_DUE,
            event_id: premium_id.to_string(),
        });
    }
    let label = format!("Prime assurance-crédit {piece_ref}");
    Ok(EntryDraft {
        journal: JournalCode::CreditInsurance.code().to_string(),
        date: on,
        piece_ref: piece_ref.to_string(),
        piece_date: on,
        event_kind: PREMIUM_DUE.to_string(),
        event_id: premium_id.to_string(),
        lines: vec![
            EntryLine::debit(&roles.insurance_premium, premium, currency, &label),
            EntryLine::credit(&roles.insurer_payable, premium, currency, &label),
        ],
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
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

    fn lines(e: &EntryDraft) -> Vec<(&str, i64, i64)> {
        e.lines
            .iter()
            .map(|l| (l.account.as_str(), l.debit, l.credit))
            .collect()
    }

    #[test]
    fn a_recovery_pays_the_insurer_its_share_and_reduces_the_loss() {
        let chart = Chart::pcg_default();
        let on = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        // EUR 1,200 recovered of a 12,000 loss with 2,000 VAT: VAT 200.00,
        // insurer 90 % of 1,000 = 900.00, ours 100.00.
        let share = RecoveryShare {
            recovered: 120_000,
            vat: 20_000,
            insurer: 90_000,
            ours: 10_000,
        };
        let e = post_recovery(&facts(), "r-1", &share, RecoveredBy::Us, on, chart.roles()).unwrap();
        assert_eq!(
            lines(&e),
            vec![
                ("512", 120_000, 0),
                ("401", 0, 90_000),
                ("44571", 0, 20_000),
                ("654", 0, 10_000)
            ]
        );
        assert!(e.validate(&chart).is_ok());
        // The insurer collected it: it owes us 1,200 - 900 = 300.
        let e = post_recovery(
            &facts(),
            "r-2",
            &share,
            RecoveredBy::Insurer,
            on,
            chart.roles(),
        )
        .unwrap();
        assert_eq!(
            lines(&e),
            vec![("401", 30_000, 0), ("44571", 0, 20_000), ("654", 0, 10_000)]
        );
        assert!(e.validate(&chart).is_ok());
        // VAT covered: insurer 1,080, VAT 200: the loss grows by 80.
        let covered = RecoveryShare {
            insurer: 108_000,
            ours: 12_000,
            ..share
        };
        let e = post_recovery(
            &facts(),
            "r-3",
            &covered,
            RecoveredBy::Us,
            on,
            chart.roles(),
        )
        .unwrap();
        assert_eq!(
            lines(&e),
            vec![
                ("512", 120_000, 0),
                ("401", 0, 108_000),
                ("44571", 0, 20_000),
                ("654", 8_000, 0)
            ]
        );
        assert!(e.validate(&chart).is_ok());
    }

    #[test]
    fn the_premium_is_a_charge_owed_to_the_insurer() {
        let chart = Chart::pcg_default();
        let eur = Currency::from_code("EUR").unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let e = post_premium(
            "p-1",
            "POL-1 2026-01-01..2026-03-31",
            15_438,
            eur,
            on,
            chart.roles(),
        )
        .unwrap();
        assert_eq!(lines(&e), vec![("616", 15_438, 0), ("401", 0, 15_438)]);
        assert_eq!(e.event_kind, PREMIUM_DUE);
        assert!(e.validate(&chart).is_ok());
        assert_eq!(
            post_premium("p-1", "x", 0, eur, on, chart.roles())
                .unwrap_err()
                .code(),
            "ledger_nothing_to_post"
        );
    }
}
