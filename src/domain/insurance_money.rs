//! A credit insurance policy's money over time, as pure rules: the policy
//! year, the yearly maximum liability [plafond d'indemnisation], the premium
//! on insured turnover [prime], and how a recovery after indemnity
//! [récupération après indemnisation] is shared with the insurer.
//! Amounts are minor units of the policy currency.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cover::{insurer_share_of_recovery, terms_at, vat_within, PolicyTerms};
use crate::money::{round_to_minor, Currency, MoneyError, Rounding};

/// One policy year [année d'assurance]: `from` included, `until` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyYear {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

fn anniversary(start: NaiveDate, years: i32) -> Option<NaiveDate> {
    let months = u32::try_from(years).ok()?.checked_mul(12)?;
    start.checked_add_months(Months::new(months))
}

/// The policy year holding `date`. Years count from `start` (the effective
/// date of the policy's first version); each later year starts on its
/// anniversary, always counted from `start` so a 29 February start gives
/// 28 February in common years and 29 February again in leap years.
/// `None` before the policy starts.
pub fn policy_year(start: NaiveDate, date: NaiveDate) -> Option<PolicyYear> {
    if date < start {
        return None;
    }
    let mut years = date.year() - start.year();
    let mut from = anniversary(start, years)?;
    if from > date {
        years -= 1;
        from = anniversary(start, years)?;
    }
    let until = anniversary(start, years + 1)?;
    Some(PolicyYear { from, until })
}

/// Why an indemnity is less than the policy terms give. Stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapReason {
    /// The yearly maximum liability is (partly) used by earlier indemnities.
    YearlyMaxLiability,
}

impl CapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CapReason::YearlyMaxLiability => "yearly_max_liability",
        }
    }

    pub fn parse(code: &str) -> Option<CapReason> {
        (code == "yearly_max_liability").then_some(CapReason::YearlyMaxLiability)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CappedIndemnity {
    /// What the insurer pays.
    pub amount: i64,
    /// What the terms give before the cap.
    pub uncapped: i64,
    /// Set when the cap lowered the indemnity.
    pub cap: Option<CapReason>,
}

/// Caps an indemnity by what remains of the yearly maximum liability after
/// `used_in_year` (indemnities already accepted or paid in the same policy
/// year). No maximum (`None`) caps nothing.
pub fn cap_indemnity(
    indemnity: i64,
    max_liability: Option<i64>,
    used_in_year: i64,
) -> CappedIndemnity {
    let amount = match max_liability {
        Some(max) => indemnity.min(max.saturating_sub(used_in_year).max(0)),
        None => indemnity,
    };
    CappedIndemnity {
        amount,
        uncapped: indemnity,
        cap: (amount < indemnity).then_some(CapReason::YearlyMaxLiability),
    }
}

/// One document of the premium base: an invoice's net amount, or a credit
/// note's net amount negated, on its issue date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnoverLine {
    pub issue_date: NaiveDate,
    pub net: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PremiumDue {
    /// Insured turnover: net of VAT, credit notes deducted.
    pub turnover: i64,
    pub premium: i64,
}

/// The premium on a period's insured turnover: each document at the
/// premium rate of the terms in force on its issue date (documents before
/// the policy are not insured), summed exactly and rounded once. A period
/// whose credit notes exceed its sales owes nothing (no refund).
pub fn premium_due(
    lines: &[TurnoverLine],
    versions: &[PolicyTerms],
    currency: Currency,
) -> Result<PremiumDue, MoneyError> {
    let scale = u32::from(currency.exponent());
    let mut turnover: i64 = 0;
    let mut premium = Decimal::ZERO;
    for line in lines {
        let Some(terms) = terms_at(versions, line.issue_date) else {
            continue;
        };
        turnover = turnover.checked_add(line.net).ok_or(MoneyError::Overflow)?;
        let part = Decimal::new(line.net, scale)
            .checked_mul(terms.premium_rate)
            .ok_or(MoneyError::Overflow)?;
        premium = premium.checked_add(part).ok_or(MoneyError::Overflow)?;
    }
    let premium = round_to_minor(premium, currency, Rounding::HalfAwayFromZero)?.max(0);
    Ok(PremiumDue { turnover, premium })
}

/// Who recovered money from the buyer after the indemnity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveredBy {
    /// The buyer paid us: we owe the insurer its share.
    Us,
    /// The insurer collected it: it owes us our share.
    Insurer,
}

impl RecoveredBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveredBy::Us => "us",
            RecoveredBy::Insurer => "insurer",
        }
    }

    pub fn parse(name: &str) -> Option<RecoveredBy> {
        match name {
            "us" => Some(RecoveredBy::Us),
            "insurer" => Some(RecoveredBy::Insurer),
            _ => None,
        }
    }
}

/// How a recovered gross amount splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecoveryShare {
    pub recovered: i64,
    /// VAT within the recovery, in the loss's proportion: the final loss
    /// took it back from the state, so it is collected again.
    pub vat: i64,
    /// The insurer's part: the indemnity rate times the recovery, on the
    /// indemnity's base (net of VAT unless the policy covers VAT).
    pub insurer: i64,
    /// Ours: the rest of that base.
    pub ours: i64,
}

impl RecoveryShare {
    /// What the recovery takes off the loss booked in 654: what is left of
    /// the recovered money once the insurer and the state have their part.
    /// Negative only when VAT is covered (the insurer's part includes VAT
    /// the state also wants back).
    pub fn loss_reduction(&self) -> i64 {
        self.recovered - self.vat - self.insurer
    }
}

/// Shares a recovery on a claim whose loss was `loss_gross` with
/// `loss_vat` of VAT, in the indemnity's proportion.
pub fn share_recovery(
    recovered: i64,
    loss_gross: i64,
    loss_vat: i64,
    terms: &PolicyTerms,
    currency: Currency,
) -> Result<RecoveryShare, MoneyError> {
    let vat = vat_within(recovered, loss_vat, loss_gross);
    let base = if terms.vat_covered {
        recovered
    } else {
        recovered - vat
    };
    let insurer = insurer_share_of_recovery(base, terms, currency)?;
    Ok(RecoveryShare {
        recovered,
        vat,
        insurer,
        ours: base - insurer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn eur() -> Currency {
        Currency::from_code("EUR").unwrap()
    }

    fn terms(from: NaiveDate, premium_rate: Decimal) -> PolicyTerms {
        PolicyTerms {
            effective_from: from,
            currency: "EUR".into(),
            indemnity_rate: dec!(0.90),
            max_credit_days: 120,
            notification_days: 60,
            waiting_days: 150,
            discretionary_limit: 1_000_000,
            deductible: 50_000,
            reduction_notice_days: 30,
            vat_covered: false,
            max_liability: Some(5_000_000),
            premium_rate,
        }
    }

    #[test]
    fn policy_years_run_from_anniversary_to_anniversary() {
        let start = d(2026, 4, 1);
        assert_eq!(policy_year(start, d(2026, 3, 31)), None);
        let first = PolicyYear {
            from: d(2026, 4, 1),
            until: d(2027, 4, 1),
        };
        assert_eq!(policy_year(start, d(2026, 4, 1)), Some(first));
        assert_eq!(policy_year(start, d(2027, 3, 31)), Some(first));
        // 1 April 2027 starts the second year; 1 January 2029 is in the third.
        assert_eq!(
            policy_year(start, d(2027, 4, 1)).unwrap().from,
            d(2027, 4, 1)
        );
        assert_eq!(
            policy_year(start, d(2029, 1, 1)),
            Some(PolicyYear {
                from: d(2028, 4, 1),
                until: d(2029, 4, 1)
            })
        );
        // A 29 February start: 28 February in 2025, 29 February again in 2028.
        let leap = d(2024, 2, 29);
        assert_eq!(policy_year(leap, d(2025, 2, 27)).unwrap().from, leap);
        assert_eq!(
            policy_year(leap, d(2025, 2, 28)).unwrap().from,
            d(2025, 2, 28)
        );
        assert_eq!(
            policy_year(leap, d(2028, 3, 1)).unwrap().from,
            d(2028, 2, 29)
        );
    }

    #[test]
    fn the_yearly_maximum_caps_what_earlier_indemnities_left() {
        // EUR 50,000 a year, EUR 30,000 already indemnified: a EUR 25,750
        // indemnity gets the EUR 20,000 left.
        let c = cap_indemnity(2_575_000, Some(5_000_000), 3_000_000);
        assert_eq!(
            c,
            CappedIndemnity {
                amount: 2_000_000,
                uncapped: 2_575_000,
                cap: Some(CapReason::YearlyMaxLiability)
            }
        );
        // EUR 10,000 of EUR 20,000 left: paid in full, no cap recorded.
        let c = cap_indemnity(1_000_000, Some(5_000_000), 3_000_000);
        assert_eq!((c.amount, c.cap), (1_000_000, None));
        // Used up (or over, after a lowered maximum): nothing, never negative.
        assert_eq!(
            cap_indemnity(1_000_000, Some(5_000_000), 6_000_000).amount,
            0
        );
        assert_eq!(cap_indemnity(1_000_000, None, 9_000_000).amount, 1_000_000);
        let c = CapReason::YearlyMaxLiability;
        assert_eq!(CapReason::parse(c.as_str()), Some(c));
        assert_eq!(serde_json::to_value(c).unwrap(), "yearly_max_liability");
        assert_eq!(CapReason::parse("deductible"), None);
    }

    #[test]
    fn the_premium_is_each_documents_rate_summed_and_rounded_once() {
        // 0.35 % until 30 June, 0.40 % from 1 July.
        let versions = [
            terms(d(2026, 1, 1), dec!(0.0035)),
            terms(d(2026, 7, 1), dec!(0.004)),
        ];
        let lines = [
            // Before the policy: not insured, not counted.
            TurnoverLine {
                issue_date: d(2025, 12, 31),
                net: 10_000_000,
            },
            TurnoverLine {
                issue_date: d(2026, 6, 30),
                net: 3_333_333,
            },
            // A credit note.
            TurnoverLine {
                issue_date: d(2026, 6, 30),
                net: -333_333,
            },
            TurnoverLine {
                issue_date: d(2026, 7, 1),
                net: 1_234_567,
            },
        ];
        // 0.35 % x (33,333.33 - 3,333.33) = 105.00; 0.40 % x 12,345.67 =
        // 49.38268; 154.38268 rounds once to 154.38. Turnover: 30,000.00 +
        // 12,345.67 = 42,345.67.
        let p = premium_due(&lines, &versions, eur()).unwrap();
        assert_eq!(
            p,
            PremiumDue {
                turnover: 4_234_567,
                premium: 15_438
            }
        );
        // Rounded once, not per document: 0.5 % x 1.01 = 0.00505 twice is
        // 0.0101 -> 0.01 (per document it would be 0.01 + 0.01).
        let two = [
            TurnoverLine {
                issue_date: d(2026, 1, 2),
                net: 101,
            },
            TurnoverLine {
                issue_date: d(2026, 1, 3),
                net: 101,
            },
        ];
        let half = [terms(d(2026, 1, 1), dec!(0.005))];
        assert_eq!(premium_due(&two, &half, eur()).unwrap().premium, 1);
        // Half a cent rounds away from zero: 0.5 % x 1.01 = 0.00505 -> 0.01.
        assert_eq!(premium_due(&two[..1], &half, eur()).unwrap().premium, 1);
        // Credits above sales: no refund.
        let credits = [TurnoverLine {
            issue_date: d(2026, 1, 2),
            net: -100_000,
        }];
        assert_eq!(
            premium_due(&credits, &half, eur()).unwrap(),
            PremiumDue {
                turnover: -100_000,
                premium: 0
            }
        );
    }

    #[test]
    fn a_recovery_is_shared_on_the_indemnitys_base() {
        let t = terms(d(2026, 1, 1), Decimal::ZERO);
        // Loss EUR 35,000 of which 5,833.33 VAT; EUR 6,000 recovered.
        // VAT within: 6,000 x 5,833.33 / 35,000 = 999.9994 -> 999.99 (truncated);
        // base 5,000.01; insurer 90 % = 4,500.009 -> 4,500.01; ours 500.00.
        let s = share_recovery(600_000, 3_500_000, 583_333, &t, eur()).unwrap();
        assert_eq!(
            s,
            RecoveryShare {
                recovered: 600_000,
                vat: 99_999,
                insurer: 450_001,
                ours: 50_000
            }
        );
        assert_eq!(s.loss_reduction(), 50_000);
        // VAT covered: 90 % of the gross 6,000 = 5,400 to the insurer, ours
        // 600; the state still takes its 999.99, so the loss grows by 399.99.
        let covered = PolicyTerms {
            vat_covered: true,
            ..t
        };
        let s = share_recovery(600_000, 3_500_000, 583_333, &covered, eur()).unwrap();
        assert_eq!((s.vat, s.insurer, s.ours), (99_999, 540_000, 60_000));
        assert_eq!(s.loss_reduction(), -39_999);
        for by in [RecoveredBy::Us, RecoveredBy::Insurer] {
            assert_eq!(RecoveredBy::parse(by.as_str()), Some(by));
            assert_eq!(serde_json::to_value(by).unwrap(), by.as_str());
        }
        assert_eq!(RecoveredBy::parse("buyer"), None);
    }
}
