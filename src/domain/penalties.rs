//! Late-payment penalties [pénalités de retard] (Code de commerce L441-10):
//! interest per day late on the open gross amount, at the ECB main
//! refinancing rate + 10 points unless the contract sets its own rate, over
//! 365 days; and a fixed recovery indemnity [indemnité forfaitaire pour frais
//! de recouvrement] of EUR 40 per late B2B invoice. Pure: the caller brings
//! the settlements and the rates.
//!
//! The legal rate of a day is the ECB rate in force on 1 January for days of
//! January to June, and on 1 July for days of July to December (L441-10 II:
//! "le taux applicable pendant le premier semestre de l'année concernée est
//! le taux en vigueur au 1er janvier de l'année considérée ; pour le second
//! semestre de l'année concernée, il est le taux en vigueur au 1er juillet").

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::ErrorCode;
use crate::money::{round_to_minor, Currency, MoneyError, Rounding};

/// Points added to the ECB rate by the law.
pub const LEGAL_MARGIN_POINTS: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
/// The fixed indemnity in EUR minor units (EUR 40.00, D441-5).
pub const RECOVERY_INDEMNITY_EUR_MINOR: i64 = 4_000;
/// The rates-table series of the ECB main refinancing operations rate.
pub const ECB_MRO_SERIES: &str = "ECB-MRO";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PenaltyError {
    #[error("no interest rate for {0}")]
    RateMissing(NaiveDate),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl ErrorCode for PenaltyError {
    fn code(&self) -> &'static str {
        match self {
            PenaltyError::RateMissing(_) => "rate_missing",
            PenaltyError::Money(e) => e.code(),
        }
    }
}

/// Where the annual rate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "rate", rename_all = "snake_case")]
pub enum PenaltyBasis {
    /// ECB main refinancing rate of the half-year + 10 points.
    Legal,
    /// The contract's annual rate, in percent.
    Contract(Decimal),
}

/// The date whose ECB rate applies to `day`: 1 January or 1 July of its year.
pub fn legal_reference_date(day: NaiveDate) -> NaiveDate {
    let month = if day.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// The reference dates of every half-year that `from..=to` touches.
pub fn reference_dates(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = legal_reference_date(from);
    while d <= to {
        out.push(d);
        d = next_half_year(d);
    }
    out
}

fn next_half_year(reference: NaiveDate) -> NaiveDate {
    if reference.month() < 7 {
        NaiveDate::from_ymd_opt(reference.year(), 7, 1).unwrap_or(reference)
    } else {
        NaiveDate::from_ymd_opt(reference.year() + 1, 1, 1).unwrap_or(reference)
    }
}

/// A payment or credit note applied to the invoice on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub on: NaiveDate,
    pub amount: i64,
}

/// A run of days with the same open amount and rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterestSegment {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    /// Open gross amount, minor units.
    pub open: i64,
    /// Annual rate in percent.
    pub rate: Decimal,
}

/// Interest accrued on days `after < d <= until` and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateInterest {
    pub segments: Vec<InterestSegment>,
    /// Rounded once, half away from zero.
    pub interest: i64,
}

/// Open amount at the start of `day`: gross less what was settled before it.
fn open_at(gross: i64, settlements: &[Settlement], day: NaiveDate) -> i64 {
    gross
        - settlements
            .iter()
            .filter(|s| s.on < day)
            .map(|s| s.amount)
            .sum::<i64>()
}

/// Interest for each day `d` with `after < d <= until` and `d > due_date`,
/// on the amount open at the start of `d` (a payment on day `d` still owes
/// day `d`: days late = payment date − due date), at the annual percent
/// `rate_of(d)`, over 365 days. Sum exact, rounded once.
pub fn late_interest(
    due_date: NaiveDate,
    gross: i64,
    settlements: &[Settlement],
    after: NaiveDate,
    until: NaiveDate,
    currency: Currency,
    rate_of: &dyn Fn(NaiveDate) -> Option<Decimal>,
) -> Result<LateInterest, PenaltyError> {
    let mut segments = Vec::new();
    let mut total = Decimal::ZERO;
    let mut day = after.max(due_date) + chrono::Duration::days(1);
    let scale = Decimal::new(1, u32::from(currency.exponent()));
    while day <= until {
        let open = open_at(gross, settlements, day);
        if open <= 0 {
            break;
        }
        let rate = rate_of(day).ok_or(PenaltyError::RateMissing(day))?;
        // The segment ends before the next change: a settlement (effective
        // the day after it), a new half-year, or the end.
        let mut end = until;
        for s in settlements {
            if s.on >= day && s.on < end {
                end = s.on;
            }
        }
        let half = next_half_year(legal_reference_date(day)) - chrono::Duration::days(1);
        end = end.min(half);
        let days = (end - day).num_days() + 1;
        let amount = Decimal::from(open) * scale * rate * Decimal::from(days)
            / Decimal::from(100)
            / Decimal::from(365);
        total += amount;
        segments.push(InterestSegment {
            from: day,
            to: end,
            days,
            open,
            rate,
        });
        day = end + chrono::Duration::days(1);
    }
    let interest = round_to_minor(total, currency, Rounding::HalfAwayFromZero)?;
    Ok(LateInterest { segments, interest })
}

/// Days late as of `as_of`: until full payment if paid by then, else until
/// `as_of`; never negative.
pub fn days_late(
    due_date: NaiveDate,
    gross: i64,
    settlements: &[Settlement],
    as_of: NaiveDate,
) -> i64 {
    let mut settled = 0;
    let mut sorted: Vec<&Settlement> = settlements.iter().filter(|s| s.on <= as_of).collect();
    sorted.sort_by_key(|s| s.on);
    for s in sorted {
        settled += s.amount;
        if settled >= gross {
            return (s.on - due_date).num_days().max(0);
        }
    }
    (as_of - due_date).num_days().max(0)
}

/// The fixed recovery indemnity of a late invoice: EUR 40 on EUR invoices.
/// The law names an amount in euros; an invoice in another currency gets
/// none by default (converting at an arbitrary date would make the figure a
/// guess), which a contract term may change later.
pub fn recovery_indemnity(days_late: i64, currency: Currency) -> i64 {
    if days_late > 0 && currency.code() == "EUR" {
        RECOVERY_INDEMNITY_EUR_MINOR
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_half_year_rate_is_fixed_on_1_january_and_1_july() {
        assert_eq!(legal_reference_date(d(2026, 3, 15)), d(2026, 1, 1));
        assert_eq!(legal_reference_date(d(2026, 6, 30)), d(2026, 1, 1));
        assert_eq!(legal_reference_date(d(2026, 7, 1)), d(2026, 7, 1));
        assert_eq!(legal_reference_date(d(2026, 12, 31)), d(2026, 7, 1));
        assert_eq!(
            reference_dates(d(2026, 5, 1), d(2027, 1, 3)),
            vec![d(2026, 1, 1), d(2026, 7, 1), d(2027, 1, 1)]
        );
    }

    #[test]
    fn interest_on_an_unpaid_invoice_at_one_rate() {
        // EUR 10,000.00 due 31 Jan 2026, unpaid on 2 Mar 2026: 30 days late
        // (1 Feb..2 Mar = 28 + 2). Rate 2.15 + 10 = 12.15 %.
        // 10,000 x 12.15 % x 30 / 365 = 99.8630... -> 99.86.
        let r = late_interest(
            d(2026, 1, 31),
            1_000_000,
            &[],
            d(2026, 1, 31),
            d(2026, 3, 2),
            Currency::EUR,
            &|_| Some(dec!(12.15)),
        )
        .unwrap();
        assert_eq!(r.interest, 9_986);
        assert_eq!(r.segments.len(), 1);
        assert_eq!(r.segments[0].days, 30);
    }

    #[test]
    fn a_partial_payment_and_a_new_half_year_split_the_days() {
        // EUR 1,000.00 due 20 Jun 2026; EUR 400.00 paid 25 Jun; as of 10 Jul.
        // 21..25 Jun: 5 days on 1,000 at 12 % = 1,000 x 0.12 x 5/365 = 1.643835
        // 26..30 Jun: 5 days on 600 at 12 %  =   600 x 0.12 x 5/365 = 0.986301
        // 1..10 Jul: 10 days on 600 at 11 %  =   600 x 0.11 x 10/365 = 1.808219
        // total 4.438356 -> 4.44
        let rate = |day: NaiveDate| {
            Some(if legal_reference_date(day) == d(2026, 1, 1) {
                dec!(12)
            } else {
                dec!(11)
            })
        };
        let r = late_interest(
            d(2026, 6, 20),
            100_000,
            &[Settlement {
                on: d(2026, 6, 25),
                amount: 40_000,
            }],
            d(2026, 6, 20),
            d(2026, 7, 10),
            Currency::EUR,
            &rate,
        )
        .unwrap();
        let days: Vec<(i64, i64)> = r.segments.iter().map(|s| (s.days, s.open)).collect();
        assert_eq!(days, vec![(5, 100_000), (5, 60_000), (10, 60_000)]);
        assert_eq!(r.interest, 444);
    }

    #[test]
    fn no_interest_after_full_payment_nor_before_the_due_date() {
        // Paid in full on 5 Feb, due 31 Jan: 5 days on 365.00 at 10 % =
        // 365 x 0.10 x 5 / 365 = 0.50.
        let s = [Settlement {
            on: d(2026, 2, 5),
            amount: 36_500,
        }];
        let r = late_interest(
            d(2026, 1, 31),
            36_500,
            &s,
            d(2026, 1, 1),
            d(2026, 12, 31),
            Currency::EUR,
            &|_| Some(dec!(10)),
        )
        .unwrap();
        assert_eq!(r.interest, 50);
        assert_eq!(days_late(d(2026, 1, 31), 36_500, &s, d(2026, 12, 31)), 5);
        // Not late yet.
        let r = late_interest(
            d(2026, 1, 31),
            36_500,
            &[],
            d(2026, 1, 31),
            d(2026, 1, 31),
            Currency::EUR,
            &|_| None,
        )
        .unwrap();
        assert_eq!(r.interest, 0);
    }

    #[test]
    fn a_missing_rate_is_named() {
        let e = late_interest(
            d(2026, 1, 31),
            100,
            &[],
            d(2026, 1, 31),
            d(2026, 2, 2),
            Currency::EUR,
            &|_| None,
        )
        .unwrap_err();
        assert_eq!(e, PenaltyError::RateMissing(d(2026, 2, 1)));
        assert_eq!(e.code(), "rate_missing");
    }

    #[test]
    fn the_indemnity_is_forty_euros_per_late_eur_invoice() {
        assert_eq!(recovery_indemnity(1, Currency::EUR), 4_000);
        assert_eq!(recovery_indemnity(0, Currency::EUR), 0);
        assert_eq!(
            recovery_indemnity(10, Currency::from_code("USD").unwrap()),
            0
        );
    }

    proptest::proptest! {
        #[test]
        fn interest_grows_with_the_days_and_never_goes_negative(
            gross in 1i64..10_000_000_000, days in 0i64..2000, extra in 0i64..400
        ) {
            let due = d(2024, 1, 15);
            let at = |n: i64| late_interest(due, gross, &[], due, due + chrono::Duration::days(n),
                Currency::EUR, &|_| Some(dec!(13.5))).unwrap().interest;
            let a = at(days);
            let b = at(days + extra);
            proptest::prop_assert!(a >= 0);
            proptest::prop_assert!(b >= a);
        }
    }
}
