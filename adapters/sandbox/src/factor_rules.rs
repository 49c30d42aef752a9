//! The simulated factor's decisions and figures: pure functions of its
//! configured terms and what was submitted, so a test knows every answer
//! and every statement line before it asks.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::factor_config::FactorConfig;
use crate::rules::RequestType;

/// The next day from Monday to Friday after `day`. Public holidays are
/// not known to the sandbox: they count as business days.
pub fn next_business_day(day: NaiveDate) -> NaiveDate {
    let mut next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
        next = next.checked_add_days(Days::new(1)).unwrap_or(next);
    }
    next
}

/// Decimals of a currency's minor unit (ISO 4217; 2 unless listed).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "XOF" | "XAF" | "XPF" | "VND" => 0,
        "BHD" | "KWD" | "JOD" | "OMR" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// Rounded once, half away from zero, to the currency's minor unit.
pub fn round(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// A debtor approval before it gets its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalDecision {
    pub status: String,
    pub approved: Option<Decimal>,
    pub reason: Option<String>,
    /// From the `unknown_status` hook: answered with no decision.
    pub unknown: bool,
}

fn decision(status: &str, approved: Option<Decimal>, reason: Option<&str>) -> ApprovalDecision {
    ApprovalDecision {
        status: status.into(),
        approved,
        reason: reason.map(str::to_string),
        unknown: false,
    }
}

/// The factor's limit on a debtor known by `legal_ids` ("SCHEME:VALUE").
pub fn debtor_limit(config: &FactorConfig, legal_ids: &[String]) -> Decimal {
    legal_ids
        .iter()
        .find_map(|id| config.debtor_limits.get(id).copied())
        .unwrap_or(Decimal::ZERO)
}

/// Answers a request for `requested` on a debtor from its configured
/// limit: up to the limit approved in full, above it the limit, no limit
/// refused.
pub fn decide_approval(
    config: &FactorConfig,
    kind: RequestType,
    legal_ids: &[String],
    requested: Decimal,
) -> ApprovalDecision {
    if let Some(status) = legal_ids
        .iter()
        .find_map(|id| config.unknown_status.get(id))
    {
        return ApprovalDecision {
            unknown: true,
            ..decision(status, None, None)
        };
    }
    if kind == RequestType::Cancellation {
        return decision("CANCELLED", None, None);
    }
    let limit = debtor_limit(config, legal_ids);
    if limit.is_zero() {
        return decision("REFUSED", None, Some("No limit available on this debtor"));
    }
    if requested <= limit {
        let status = match kind {
            RequestType::Increase => "INCREASED",
            RequestType::Prolongation => "PROLONGED",
            _ => "APPROVED",
        };
        return decision(status, Some(requested), None);
    }
    decision(
        "PARTIALLY_APPROVED",
        Some(limit),
        Some("Approved up to the factor's limit on this debtor"),
    )
}

/// A document the factor accepted, with the part it approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub credit_note: bool,
    pub number: String,
    pub gross: Decimal,
    pub approved: Decimal,
    pub due: NaiveDate,
    /// "SCHEME:VALUE" of the buyer's first legal id.
    pub debtor: String,
}

/// What an assignment costs and brings on its funding day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Funding {
    /// Invoices minus credit notes.
    pub total: Decimal,
    pub advance: Decimal,
    pub fee: Decimal,
    pub fee_vat: Decimal,
    pub interest: Decimal,
    pub reserve: Decimal,
}

/// The funding of accepted documents paid on `value_date`:
/// - advance = advance_rate × Σ approved of the invoices;
/// - fee = fee_rate × Σ gross of the invoices; its VAT = fee × VAT rate;
/// - interest = Σ advance_i × interest_rate × days to due / 360;
/// - reserve = reserve_rate × total;
///
/// each rounded once to the currency's unit.
pub fn funding(config: &FactorConfig, docs: &[Accepted], value_date: NaiveDate) -> Funding {
    let digits = minor_digits(&config.currency);
    let invoices = || docs.iter().filter(|d| !d.credit_note);
    let invoiced: Decimal = invoices().map(|d| d.gross).sum();
    let credited: Decimal = docs.iter().filter(|d| d.credit_note).map(|d| d.gross).sum();
    let approved: Decimal = invoices().map(|d| d.approved).sum();
    let interest: Decimal = invoices()
        .map(|d| {
            let days = (d.due - value_date).num_days().max(0);
            d.approved * config.advance_rate * config.interest_rate * Decimal::from(days)
                / Decimal::from(360)
        })
        .sum();
    let total = invoiced - credited;
    let fee = round(config.fee_rate * invoiced, digits);
    Funding {
        total,
        advance: round(config.advance_rate * approved, digits),
        fee,
        fee_vat: round(fee * config.fee_vat_rate, digits),
        interest: round(interest, digits),
        reserve: round(config.reserve_rate * total.max(Decimal::ZERO), digits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn funding_waits_for_the_next_weekday() {
        // 2026-03-06 is a Friday: funded Monday 9th; Monday 2nd: Tuesday 3rd.
        assert_eq!(next_business_day(day("2026-03-06")), day("2026-03-09"));
        assert_eq!(next_business_day(day("2026-03-07")), day("2026-03-09"));
        assert_eq!(next_business_day(day("2026-03-02")), day("2026-03-03"));
    }

    #[test]
    fn approvals_come_from_the_debtor_limits() {
        let c = FactorConfig::default();
        let ids = |id: &str| vec![id.to_string()];
        // 0002:732829320 has 20000 by default.
        let d = decide_approval(&c, RequestType::New, &ids("0002:732829320"), dec!(15000.00));
        assert_eq!(
            (d.status.as_str(), d.approved),
            ("APPROVED", Some(dec!(15000.00)))
        );
        let d = decide_approval(&c, RequestType::New, &ids("0002:732829320"), dec!(25000));
        assert_eq!(
            (d.status.as_str(), d.approved),
            ("PARTIALLY_APPROVED", Some(dec!(20000)))
        );
        let d = decide_approval(&c, RequestType::New, &ids("0002:123456789"), dec!(1));
        assert_eq!((d.status.as_str(), d.approved), ("REFUSED", None));
        let d = decide_approval(&c, RequestType::New, &ids("0002:777777777"), dec!(1));
        assert!(d.unknown && d.status == "UNDER_REVIEW_LEVEL_2");
    }

    #[test]
    fn funding_figures_follow_the_terms() {
        let c = FactorConfig::default();
        let doc = |credit_note, gross, approved, due: &str| Accepted {
            credit_note,
            number: "N".into(),
            gross,
            approved,
            due: day(due),
            debtor: "0002:1".into(),
        };
        let docs = [
            doc(false, dec!(6000.00), dec!(6000.00), "2026-04-30"),
            doc(false, dec!(10000.00), dec!(7500.00), "2026-04-30"),
            doc(true, dec!(1000.00), dec!(0), "2026-04-30"),
        ];
        let f = funding(&c, &docs, day("2026-03-03"));
        // total 6000 + 10000 - 1000 = 15000; advance 0.90 × 13500 = 12150;
        // fee 0.005 × 16000 = 80, VAT 0.20 × 80 = 16; reserve 0.10 × 15000.
        assert_eq!(f.total, dec!(15000.00));
        assert_eq!(f.advance, dec!(12150.00));
        assert_eq!((f.fee, f.fee_vat), (dec!(80.00), dec!(16.00)));
        assert_eq!(f.reserve, dec!(1500.00));
        // 03-03 to 04-30 is 58 days: 12150 × 0.05 × 58 / 360 = 97.875 → 97.88.
        assert_eq!(f.interest, dec!(97.88));
    }
}
