//! Credit insurance cover [assurance-crédit], as pure rules: which policy
//! terms and which buyer limit are in force on a date, what a new sale is
//! covered for and why not, the overdue deadlines, and the indemnity.
//! Amounts are minor units of the policy currency.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{round_to_minor, Currency, MoneyError, Rounding};

/// A policy's terms [conditions de la police]. A change is a new version
/// with its own effective date; versions are never overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTerms {
    pub effective_from: NaiveDate,
    pub currency: String,
    /// Share of a covered loss the insurer pays [quotité garantie], e.g. 0.90.
    pub indemnity_rate: Decimal,
    /// Longest payment term covered, in days from issue.
    pub max_credit_days: u32,
    /// Days after the due date by which an overdue must be notified
    /// [délai de déclaration de menace de sinistre].
    pub notification_days: u32,
    /// Days after the due date before an unpaid invoice is a claimable loss
    /// [délai constitutif de sinistre].
    pub waiting_days: u32,
    /// Cover the insured may grant itself per buyer [limite non dénommée].
    pub discretionary_limit: i64,
    /// [franchise], per claim.
    pub deductible: i64,
    /// Days between notice of a reduction or cancellation and its effect.
    pub reduction_notice_days: u32,
    /// Whether cover includes VAT (else losses are counted net of VAT).
    pub vat_covered: bool,
    /// Most the insurer pays in indemnities per policy year [plafond
    /// d'indemnisation]; `None`: no maximum. See
    /// [`super::insurance_money::policy_year`].
    pub max_liability: Option<i64>,
    /// Premium rate on insured turnover [taux de prime], e.g. 0.0035.
    pub premium_rate: Decimal,
}

/// The version of a policy in force on `date`: the latest one effective on
/// or before it.
pub fn terms_at(versions: &[PolicyTerms], date: NaiveDate) -> Option<&PolicyTerms> {
    versions
        .iter()
        .filter(|v| v.effective_from <= date)
        .max_by_key(|v| v.effective_from)
}

/// What an insurer said about a buyer limit (after RECECO's request and
/// response kinds). Every decision is kept as a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Requested,
    Pending,
    Approved,
    /// Less than asked.
    PartiallyApproved,
    /// Approved under conditions the insured must meet.
    Conditional,
    Refused,
    Increased,
    Reduced,
    /// Expiry pushed back, amount unchanged.
    Prolonged,
    Cancelled,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 10] = [
        DecisionKind::Requested,
        DecisionKind::Pending,
        DecisionKind::Approved,
        DecisionKind::PartiallyApproved,
        DecisionKind::Conditional,
        DecisionKind::Refused,
        DecisionKind::Increased,
        DecisionKind::Reduced,
        DecisionKind::Prolonged,
        DecisionKind::Cancelled,
    ];

    /// Whether the decision sets a limit amount (and so must state one).
    pub fn grants(self) -> bool {
        matches!(
            self,
            DecisionKind::Approved
                | DecisionKind::PartiallyApproved
                | DecisionKind::Conditional
                | DecisionKind::Increased
                | DecisionKind::Reduced
        )
    }

    /// The stored and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Requested => "requested",
            DecisionKind::Pending => "pending",
            DecisionKind::Approved => "approved",
            DecisionKind::PartiallyApproved => "partially_approved",
            DecisionKind::Conditional => "conditional",
            DecisionKind::Refused => "refused",
            DecisionKind::Increased => "increased",
            DecisionKind::Reduced => "reduced",
            DecisionKind::Prolonged => "prolonged",
            DecisionKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Decisions that take cover away, and so wait for the notice period.
    pub fn lowers_cover(self) -> bool {
        matches!(self, DecisionKind::Reduced | DecisionKind::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDecision {
    pub kind: DecisionKind,
    /// The limit granted (for Prolonged: unchanged, may be None).
    pub amount: Option<i64>,
    /// The day the insurer decided.
    pub decided_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

/// The limit in force for a sale on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitInForce {
    pub amount: i64,
    pub expires_on: Option<NaiveDate>,
    /// A reduction or cancellation notified but not yet in effect.
    pub lowering_from: Option<NaiveDate>,
}

/// The day a decision takes effect: at once, or after the notice period
/// when it lowers cover.
pub fn effective_on(d: &LimitDecision, terms: &PolicyTerms) -> NaiveDate {
    effective_after_notice(d, terms.reduction_notice_days)
}

/// [`effective_on`] with the notice period given directly: the lifecycle
/// shared by insured limits and a factor's debtor approvals [agréments].
pub fn effective_after_notice(d: &LimitDecision, notice_days: u32) -> NaiveDate {
    if d.kind.lowers_cover() {
        d.decided_on + Duration::days(i64::from(notice_days))
    } else {
        d.decided_on
    }
}

/// The named limit for a delivery made on `date`, from the buyer's
/// decisions in the order they were made. Requests, pending and refused
/// decisions grant nothing; a refusal or cancellation ends what was granted.
pub fn limit_at(
    decisions: &[LimitDecision],
    terms: &PolicyTerms,
    date: NaiveDate,
) -> Option<LimitInForce> {
    limit_at_with_notice(decisions, terms.reduction_notice_days, date)
}

/// [`limit_at`] with the notice period of reductions given directly (a
/// factoring contract's approvals use the same lifecycle).
pub fn limit_at_with_notice(
    decisions: &[LimitDecision],
    notice_days: u32,
    date: NaiveDate,
) -> Option<LimitInForce> {
    let mut current: Option<LimitInForce> = None;
    let mut lowering_from = None;
    for d in decisions {
        let from = effective_after_notice(d, notice_days);
        if from > date {
            if d.kind.lowers_cover() && d.decided_on <= date {
                lowering_from = Some(from);
            }
            continue;
        }
        match d.kind {
            DecisionKind::Requested | DecisionKind::Pending => {}
            DecisionKind::Refused | DecisionKind::Cancelled => current = None,
            DecisionKind::Prolonged => {
                if let Some(c) = current.as_mut() {
                    c.expires_on = d.expires_on;
                    if let Some(a) = d.amount {
                        c.amount = a;
                    }
                }
            }
            DecisionKind::Approved
            | DecisionKind::PartiallyApproved
            | DecisionKind::Conditional
            | DecisionKind::Increased
            | DecisionKind::Reduced => {
                current = d.amount.map(|amount| LimitInForce {
                    amount,
                    expires_on: d.expires_on,
                    lowering_from: None,
                });
            }
        }
    }
    current.map(|mut c| {
        c.lowering_from = lowering_from;
        c
    })
}

/// Why a sale is not (fully) covered. Stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverReason {
    /// No named limit: only the discretionary limit applies.
    NoLimit,
    LimitExpired,
    /// A reduction or cancellation is notified; it takes effect later.
    ReductionNotified,
    /// The buyer is overdue past the notification deadline: new deliveries
    /// are not covered.
    BuyerOverdue,
    /// The payment term is longer than the policy's maximum credit period.
    TermTooLong,
    /// The sale is in another currency than the policy.
    Currency,
    /// The limit is used up by the buyer's exposure.
    LimitExceeded,
}

/// A new sale to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleToCover {
    pub amount: i64,
    pub currency: String,
    pub delivery_date: NaiveDate,
    /// Days from issue to due date.
    pub term_days: u32,
}

/// The answer to a cover check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverAnswer {
    pub covered: i64,
    pub uncovered: i64,
    /// The limit that applied (named, or discretionary).
    pub limit: i64,
    pub exposure: i64,
    pub headroom: i64,
    pub reasons: Vec<CoverReason>,
}

/// Covers a sale within the headroom left by the buyer's exposure.
/// `overdue_since` is the due date of the buyer's oldest unpaid insured
/// invoice, if any.
pub fn check_cover(
    sale: &SaleToCover,
    terms: &PolicyTerms,
    limit: Option<&LimitInForce>,
    exposure: i64,
    overdue_since: Option<NaiveDate>,
) -> CoverAnswer {
    let mut reasons = Vec::new();
    let named = match limit {
        Some(l) if l.expires_on.is_some_and(|e| e < sale.delivery_date) => {
            reasons.push(CoverReason::LimitExpired);
            None
        }
        Some(l) => {
            if l.lowering_from.is_some() {
                reasons.push(CoverReason::ReductionNotified);
            }
            Some(l.amount)
        }
        None => {
            reasons.push(CoverReason::NoLimit);
            None
        }
    };
    let limit_amount = named.unwrap_or(terms.discretionary_limit);
    let headroom = (limit_amount - exposure).max(0);
    let mut blocked = false;
    if sale.currency != terms.currency {
        reasons.push(CoverReason::Currency);
        blocked = true;
    }
    if sale.term_days > terms.max_credit_days {
        reasons.push(CoverReason::TermTooLong);
        blocked = true;
    }
    if let Some(due) = overdue_since {
        let deadline = due + Duration::days(i64::from(terms.notification_days));
        if sale.delivery_date > deadline {
            reasons.push(CoverReason::BuyerOverdue);
            blocked = true;
        }
    }
    let covered = if blocked {
        0
    } else {
        sale.amount.clamp(0, headroom)
    };
    if !blocked && covered < sale.amount {
        reasons.push(CoverReason::LimitExceeded);
    }
    CoverAnswer {
        covered,
        uncovered: sale.amount - covered,
        limit: limit_amount,
        exposure,
        headroom,
        reasons,
    }
}

/// The dates an overdue insured invoice must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OverdueDeadlines {
    /// Notify the insurer by this date, or lose cover.
    pub notify_by: NaiveDate,
    /// A claim can be filed from this date.
    pub claim_from: NaiveDate,
}

pub fn deadlines(due_date: NaiveDate, terms: &PolicyTerms) -> OverdueDeadlines {
    OverdueDeadlines {
        notify_by: due_date + Duration::days(i64::from(terms.notification_days)),
        claim_from: due_date + Duration::days(i64::from(terms.waiting_days)),
    }
}

/// The VAT within what is still open of an invoice, in the invoice's own
/// proportion (truncated to the minor unit).
pub fn vat_within(open: i64, tax: i64, gross: i64) -> i64 {
    if gross == 0 {
        return 0;
    }
    i64::try_from(i128::from(open) * i128::from(tax) / i128::from(gross)).unwrap_or(0)
}

/// `minor` x `rate`, rounded once to the currency's minor unit.
fn share(minor: i64, rate: Decimal, currency: Currency) -> Result<i64, MoneyError> {
    let major = Decimal::new(minor, u32::from(currency.exponent()));
    let product = major.checked_mul(rate).ok_or(MoneyError::Overflow)?;
    round_to_minor(product, currency, Rounding::HalfAwayFromZero)
}

/// Indemnity [indemnité] for a covered loss: the indemnity rate times the
/// loss (net of VAT when the policy does not cover VAT), less the
/// deductible, never negative.
pub fn indemnity(
    loss_gross: i64,
    loss_vat: i64,
    terms: &PolicyTerms,
    currency: Currency,
) -> Result<i64, MoneyError> {
    let base = if terms.vat_covered {
        loss_gross
    } else {
        loss_gross - loss_vat
    };
    Ok((share(base, terms.indemnity_rate, currency)? - terms.deductible).max(0))
}

/// A recovery after indemnity is shared in the indemnity's proportion: the
/// insurer's part of `recovered`.
pub fn insurer_share_of_recovery(
    recovered: i64,
    terms: &PolicyTerms,
    currency: Currency,
) -> Result<i64, MoneyError> {
    share(recovered, terms.indemnity_rate, currency)
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

    /// EUR policy: 90 %, 120 days max, notify within 60 days, claim after
    /// 150, EUR 10,000 discretionary, EUR 500 deductible, 30 days' notice,
    /// VAT not covered.
    fn terms() -> PolicyTerms {
        PolicyTerms {
            effective_from: d(2026, 1, 1),
            currency: "EUR".into(),
            indemnity_rate: dec!(0.90),
            max_credit_days: 120,
            notification_days: 60,
            waiting_days: 150,
            discretionary_limit: 1_000_000,
            deductible: 50_000,
            reduction_notice_days: 30,
            vat_covered: false,
            max_liability: None,
            premium_rate: Decimal::ZERO,
        }
    }

    fn decision(kind: DecisionKind, amount: Option<i64>, on: NaiveDate) -> LimitDecision {
        LimitDecision {
            kind,
            amount,
            decided_on: on,
            expires_on: Some(d(2026, 12, 31)),
        }
    }

    fn sale(amount: i64, on: NaiveDate, term_days: u32) -> SaleToCover {
        SaleToCover {
            amount,
            currency: "EUR".into(),
            delivery_date: on,
            term_days,
        }
    }

    #[test]
    fn the_policy_version_in_force_is_the_latest_effective_one() {
        let v1 = terms();
        let v2 = PolicyTerms {
            effective_from: d(2026, 7, 1),
            indemnity_rate: dec!(0.85),
            ..terms()
        };
        let versions = [v2.clone(), v1.clone()];
        assert_eq!(terms_at(&versions, d(2025, 12, 31)), None);
        assert_eq!(terms_at(&versions, d(2026, 6, 30)), Some(&v1));
        assert_eq!(terms_at(&versions, d(2026, 7, 1)), Some(&v2));
    }

    #[test]
    fn a_reduction_waits_for_its_notice_and_spares_earlier_deliveries() {
        let t = terms();
        let decisions = [
            decision(DecisionKind::Requested, None, d(2026, 1, 5)),
            decision(DecisionKind::Approved, Some(4_000_000), d(2026, 1, 10)),
            // Decided 1 March: in effect 30 days later, 31 March.
            decision(DecisionKind::Reduced, Some(2_000_000), d(2026, 3, 1)),
            // Decided 1 June: in effect 1 July.
            decision(DecisionKind::Cancelled, None, d(2026, 6, 1)),
        ];
        assert_eq!(
            limit_at(&decisions, &t, d(2026, 1, 7)),
            None,
            "a request grants nothing"
        );
        let feb = limit_at(&decisions, &t, d(2026, 2, 1)).unwrap();
        assert_eq!((feb.amount, feb.lowering_from), (4_000_000, None));
        let mid_march = limit_at(&decisions, &t, d(2026, 3, 15)).unwrap();
        assert_eq!(
            mid_march.amount, 4_000_000,
            "a delivery before the effect keeps the old cover"
        );
        assert_eq!(mid_march.lowering_from, Some(d(2026, 3, 31)));
        assert_eq!(
            limit_at(&decisions, &t, d(2026, 3, 31)).unwrap().amount,
            2_000_000
        );
        assert!(limit_at(&decisions, &t, d(2026, 6, 30)).is_some());
        assert_eq!(limit_at(&decisions, &t, d(2026, 7, 1)), None);
    }

    #[test]
    fn a_sale_is_covered_up_to_the_headroom() {
        let t = terms();
        let limit = LimitInForce {
            amount: 4_000_000,
            expires_on: Some(d(2026, 12, 31)),
            lowering_from: None,
        };
        // EUR 40,000 limit, EUR 35,000 exposure: EUR 5,000 of EUR 12,000.
        let a = check_cover(
            &sale(1_200_000, d(2026, 3, 2), 60),
            &t,
            Some(&limit),
            3_500_000,
            None,
        );
        assert_eq!(
            (a.covered, a.uncovered, a.headroom),
            (500_000, 700_000, 500_000)
        );
        assert_eq!(a.reasons, vec![CoverReason::LimitExceeded]);
        let a = check_cover(
            &sale(1_200_000, d(2026, 3, 2), 60),
            &t,
            Some(&limit),
            1_000_000,
            None,
        );
        assert_eq!((a.covered, a.uncovered), (1_200_000, 0));
        assert_eq!(a.reasons, vec![]);
    }

    #[test]
    fn without_a_named_limit_the_discretionary_limit_applies() {
        let a = check_cover(
            &sale(1_200_000, d(2026, 3, 2), 60),
            &terms(),
            None,
            400_000,
            None,
        );
        assert_eq!(
            (a.limit, a.covered, a.uncovered),
            (1_000_000, 600_000, 600_000)
        );
        assert_eq!(
            a.reasons,
            vec![CoverReason::NoLimit, CoverReason::LimitExceeded]
        );
        let expired = LimitInForce {
            amount: 4_000_000,
            expires_on: Some(d(2026, 12, 31)),
            lowering_from: None,
        };
        let a = check_cover(
            &sale(100_000, d(2027, 1, 5), 60),
            &terms(),
            Some(&expired),
            0,
            None,
        );
        assert_eq!((a.limit, a.covered), (1_000_000, 100_000));
        assert_eq!(a.reasons, vec![CoverReason::LimitExpired]);
    }

    #[test]
    fn long_terms_foreign_currency_and_overdue_buyers_are_not_covered() {
        let t = terms();
        let a = check_cover(&sale(100_000, d(2026, 3, 2), 150), &t, None, 0, None);
        assert_eq!(a.covered, 0);
        assert!(a.reasons.contains(&CoverReason::TermTooLong));
        let mut usd = sale(100_000, d(2026, 3, 2), 30);
        usd.currency = "USD".into();
        assert!(check_cover(&usd, &t, None, 0, None)
            .reasons
            .contains(&CoverReason::Currency));
        // Overdue since 31 January: the deadline is 1 April (31 January + 60 days).
        let due = Some(d(2026, 1, 31));
        let on_deadline = check_cover(&sale(100_000, d(2026, 4, 1), 30), &t, None, 0, due);
        assert_eq!(on_deadline.covered, 100_000);
        let after = check_cover(&sale(100_000, d(2026, 4, 2), 30), &t, None, 0, due);
        assert_eq!(after.covered, 0);
        assert!(after.reasons.contains(&CoverReason::BuyerOverdue));
    }

    #[test]
    fn decision_kinds_read_back_their_names_as_serde_writes_them() {
        for k in DecisionKind::ALL {
            assert_eq!(DecisionKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(DecisionKind::parse("accepted"), None);
    }

    #[test]
    fn deadlines_count_from_the_due_date() {
        let dl = deadlines(d(2026, 1, 31), &terms());
        assert_eq!(dl.notify_by, d(2026, 4, 1));
        // 31 Jan + 150 days: 28 (Feb) + 31 + 30 + 31 + 30 = 150 -> 30 June.
        assert_eq!(dl.claim_from, d(2026, 6, 30));
    }

    #[test]
    fn indemnity_is_the_rate_times_the_loss_less_the_deductible() {
        let t = terms();
        // EUR 12,000 of which EUR 2,000 VAT, not covered: 90 % of 10,000 - 500.
        assert_eq!(indemnity(1_200_000, 200_000, &t, eur()).unwrap(), 850_000);
        let with_vat = PolicyTerms {
            vat_covered: true,
            ..terms()
        };
        assert_eq!(
            indemnity(1_200_000, 200_000, &with_vat, eur()).unwrap(),
            1_030_000
        );
        // 90 % of EUR 500 is under the deductible: nothing, never negative.
        assert_eq!(indemnity(50_000, 0, &t, eur()).unwrap(), 0);
        // 90 % of 333.33 = 299.997, rounded once to 300.00.
        let no_deductible = PolicyTerms {
            deductible: 0,
            vat_covered: true,
            ..terms()
        };
        assert_eq!(indemnity(33_333, 0, &no_deductible, eur()).unwrap(), 30_000);
        assert_eq!(
            insurer_share_of_recovery(100_000, &t, eur()).unwrap(),
            90_000
        );
    }
}
