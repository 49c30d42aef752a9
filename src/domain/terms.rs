//! Payment terms [conditions / délais de paiement] and the French LME cap
//! (Code de commerce L441-10): B2B terms may not exceed 60 days from the
//! issue date, or 45 days end of month [45 jours fin de mois]. A term above
//! the cap is accepted but flagged, so these functions answer, never refuse.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Last day of `date`'s month; `None` only past chrono's last year.
pub fn end_of_month(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)?
        .checked_add_months(Months::new(1))?
        .pred_opt()
}

fn plus_days(date: NaiveDate, days: u16) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

/// The latest due date the LME allows for an invoice issued on `issue`.
///
/// French practice reads "45 jours fin de mois" two ways: 45 days then end
/// of that month, or end of the issue month then 45 days. The DGCCRF
/// accepts both, so the cap is the latest of
/// issue + 60 days, end of month of (issue + 45 days) and end of issue
/// month + 45 days: we flag only what no reading allows.
///
/// Saturates at `NaiveDate::MAX` instead of failing near chrono's last year.
pub fn lme_cap(issue: NaiveDate) -> NaiveDate {
    let sixty_days = plus_days(issue, 60);
    let then_end_of_month = plus_days(issue, 45).and_then(end_of_month);
    let end_of_month_then = end_of_month(issue).and_then(|d| plus_days(d, 45));
    [sixty_days, then_end_of_month, end_of_month_then]
        .into_iter()
        .map(|d| d.unwrap_or(NaiveDate::MAX))
        .max()
        .unwrap_or(NaiveDate::MAX)
}

/// True when `due` is later than [`lme_cap`] allows: the invoice is kept,
/// flagged for review.
pub fn exceeds_lme_cap(issue: NaiveDate, due: NaiveDate) -> bool {
    due > lme_cap(issue)
}

/// A payment term as contracts and invoices state it.
///
/// JSON: `{"kind": "days", "days": 30}`, kinds `days`,
/// `days_end_of_month`, `end_of_month_plus_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "TermsRepr", from = "TermsRepr")]
pub enum PaymentTerms {
    /// N days net from the issue date [à N jours].
    Days(u16),
    /// N days, then to the end of that month [N jours fin de mois].
    DaysEndOfMonth(u16),
    /// End of the issue month, then N days [fin de mois + N jours].
    EndOfMonthPlusDays(u16),
}

impl PaymentTerms {
    /// The due date for an invoice issued on `issue`; `None` only when the
    /// date would pass chrono's last year.
    pub fn due_date(self, issue: NaiveDate) -> Option<NaiveDate> {
        match self {
            PaymentTerms::Days(n) => plus_days(issue, n),
            PaymentTerms::DaysEndOfMonth(n) => plus_days(issue, n).and_then(end_of_month),
            PaymentTerms::EndOfMonthPlusDays(n) => {
                end_of_month(issue).and_then(|d| plus_days(d, n))
            }
        }
    }

    /// The number of days the term states.
    pub fn days(self) -> u16 {
        match self {
            PaymentTerms::Days(n)
            | PaymentTerms::DaysEndOfMonth(n)
            | PaymentTerms::EndOfMonthPlusDays(n) => n,
        }
    }

    /// Whether this term, applied to `issue`, goes past the LME cap.
    /// A due date beyond chrono's range counts as past it.
    pub fn exceeds_lme_cap(self, issue: NaiveDate) -> bool {
        match self.due_date(issue) {
            Some(due) => exceeds_lme_cap(issue, due),
            None => true,
        }
    }
}

/// Canonical text: `30d`, `45d_eom`, `eom+45d`; [`FromStr`] reads these back.
impl fmt::Display for PaymentTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentTerms::Days(n) => write!(f, "{n}d"),
            PaymentTerms::DaysEndOfMonth(n) => write!(f, "{n}d_eom"),
            PaymentTerms::EndOfMonthPlusDays(n) => write!(f, "eom+{n}d"),
        }
    }
}

/// A term that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error(
        "payment terms '{0}' not understood: expected e.g. '30d', '45d_eom', 'eom+45d', \
         '60 days', '45 jours fin de mois' or 'fin de mois + 45 jours' (at most 65535 days)"
    )]
    Unreadable(String),
}

impl ErrorCode for TermsError {
    fn code(&self) -> &'static str {
        match self {
            TermsError::Unreadable(_) => "payment_terms_invalid",
        }
    }
}

const DAY_UNITS: &[&str] = &["", "d", "day", "days", "j", "jour", "jours"];
const END_OF_MONTH_SUFFIXES: &[&str] = &[
    "d_eom",
    "d eom",
    "day end of month",
    "days end of month",
    "j fdm",
    "j fin de mois",
    "jours fin de mois",
];
/// Matched after spaces around `+` are removed.
const END_OF_MONTH_PREFIXES: &[&str] = &["eom+", "end of month+", "fin de mois+"];

/// Splits "45 jours" into (45, "jours"); `None` without a leading number or
/// above `u16::MAX`.
fn leading_days(text: &str) -> Option<(u16, &str)> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let days = text.get(..digits_end)?.parse::<u16>().ok()?;
    Some((days, text.get(digits_end..)?.trim()))
}

/// Reads, case-insensitively and with any spacing:
/// - `30d`, `30`, `30 days`, `30 jours`, `30j` as [`PaymentTerms::Days`];
/// - `45d_eom`, `45 days end of month`, `45 jours fin de mois`, `45j fdm`
///   as [`PaymentTerms::DaysEndOfMonth`];
/// - `eom+45d`, `eom + 45`, `end of month + 45 days`,
///   `fin de mois + 45 jours` as [`PaymentTerms::EndOfMonthPlusDays`].
impl FromStr for PaymentTerms {
    type Err = TermsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unreadable = || TermsError::Unreadable(s.chars().take(40).collect());
        let text = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .replace(" +", "+")
            .replace("+ ", "+");
        let eom_first = END_OF_MONTH_PREFIXES
            .iter()
            .find_map(|p| text.strip_prefix(p));
        if let Some(rest) = eom_first {
            return match leading_days(rest) {
                Some((n, unit)) if DAY_UNITS.contains(&unit) => {
                    Ok(PaymentTerms::EndOfMonthPlusDays(n))
                }
                _ => Err(unreadable()),
            };
        }
        match leading_days(&text) {
            Some((n, unit)) if DAY_UNITS.contains(&unit) => Ok(PaymentTerms::Days(n)),
            Some((n, unit)) if END_OF_MONTH_SUFFIXES.contains(&unit) => {
                Ok(PaymentTerms::DaysEndOfMonth(n))
            }
            _ => Err(unreadable()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TermsKind {
    Days,
    DaysEndOfMonth,
    EndOfMonthPlusDays,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsRepr {
    kind: TermsKind,
    days: u16,
}

impl From<PaymentTerms> for TermsRepr {
    fn from(terms: PaymentTerms) -> Self {
        let kind = match terms {
            PaymentTerms::Days(_) => TermsKind::Days,
            PaymentTerms::DaysEndOfMonth(_) => TermsKind::DaysEndOfMonth,
            PaymentTerms::EndOfMonthPlusDays(_) => TermsKind::EndOfMonthPlusDays,
        };
        TermsRepr {
            kind,
            days: terms.days(),
        }
    }
}

impl From<TermsRepr> for PaymentTerms {
    fn from(repr: TermsRepr) -> Self {
        match repr.kind {
            TermsKind::Days => PaymentTerms::Days(repr.days),
            TermsKind::DaysEndOfMonth => PaymentTerms::DaysEndOfMonth(repr.days),
            TermsKind::EndOfMonthPlusDays => PaymentTerms::EndOfMonthPlusDays(repr.days),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn cap_mid_month_is_45_days_end_of_month() {
        // Issue 2026-01-15: +60 = 2026-03-16 (16 days to Jan 31, 28 in Feb,
        // 16 in Mar); +45 = 2026-03-01, end of month 2026-03-31; Jan 31 + 45
        // = 2026-03-17. Latest: 2026-03-31.
        assert_eq!(lme_cap(d(2026, 1, 15)), d(2026, 3, 31));
        assert!(!exceeds_lme_cap(d(2026, 1, 15), d(2026, 3, 31)));
        assert!(exceeds_lme_cap(d(2026, 1, 15), d(2026, 4, 1)));
    }

    #[test]
    fn cap_on_first_of_month_is_end_of_month_plus_45() {
        // 2025-01-01: +60 = 03-02; +45 = 02-15 -> 02-28; Jan 31 + 45 = 03-17.
        assert_eq!(lme_cap(d(2025, 1, 1)), d(2025, 3, 17));
        // Leap 2024-01-01: +60 = 03-01; +45 = 02-15 -> 02-29; Jan 31 + 45 = 03-16.
        assert_eq!(lme_cap(d(2024, 1, 1)), d(2024, 3, 16));
    }

    #[test]
    fn cap_on_last_of_month_is_60_days() {
        // 2026-01-31: +60 = 04-01 (28 in Feb, 31 in Mar, 1); +45 = 03-17 ->
        // 03-31; Jan 31 + 45 = 03-17. Latest: 2026-04-01.
        assert_eq!(lme_cap(d(2026, 1, 31)), d(2026, 4, 1));
        // 2023-12-31 into a leap February: +60 = 2024-02-29 (31 + 29);
        // +45 = 02-14 -> 02-29; Dec 31 + 45 = 02-14. Latest: 2024-02-29.
        assert_eq!(lme_cap(d(2023, 12, 31)), d(2024, 2, 29));
    }

    #[test]
    fn cap_across_the_year_end() {
        // 2026-12-20: +60 = 2027-02-18; +45 = 2027-02-03 -> 02-28;
        // Dec 31 + 45 = 2027-02-14. Latest: 2027-02-28.
        assert_eq!(lme_cap(d(2026, 12, 20)), d(2027, 2, 28));
    }

    #[test]
    fn cap_saturates_at_the_end_of_time() {
        assert_eq!(lme_cap(NaiveDate::MAX), NaiveDate::MAX);
        assert!(!exceeds_lme_cap(NaiveDate::MAX, NaiveDate::MAX));
    }

    #[test]
    fn due_dates_by_kind() {
        let issue = d(2026, 1, 15);
        assert_eq!(PaymentTerms::Days(30).due_date(issue), Some(d(2026, 2, 14)));
        assert_eq!(PaymentTerms::Days(0).due_date(issue), Some(issue));
        assert_eq!(
            PaymentTerms::DaysEndOfMonth(45).due_date(issue),
            Some(d(2026, 3, 31))
        );
        assert_eq!(
            PaymentTerms::EndOfMonthPlusDays(45).due_date(issue),
            Some(d(2026, 3, 17))
        );
        // Jan 31 + 30 lands on Mar 1 in a leap year, Mar 2 otherwise: both
        // end of month Mar 31. End of Jan + 30 = Mar 1 / Mar 2.
        assert_eq!(
            PaymentTerms::DaysEndOfMonth(30).due_date(d(2024, 1, 31)),
            Some(d(2024, 3, 31))
        );
        assert_eq!(
            PaymentTerms::DaysEndOfMonth(30).due_date(d(2025, 1, 31)),
            Some(d(2025, 3, 31))
        );
        assert_eq!(
            PaymentTerms::EndOfMonthPlusDays(30).due_date(d(2024, 1, 10)),
            Some(d(2024, 3, 1))
        );
        assert_eq!(
            PaymentTerms::EndOfMonthPlusDays(30).due_date(d(2025, 1, 10)),
            Some(d(2025, 3, 2))
        );
        assert_eq!(PaymentTerms::Days(1).due_date(NaiveDate::MAX), None);
    }

    #[test]
    fn terms_against_the_cap() {
        let issue = d(2026, 1, 15);
        assert!(!PaymentTerms::Days(60).exceeds_lme_cap(issue));
        assert!(!PaymentTerms::DaysEndOfMonth(45).exceeds_lme_cap(issue));
        // 2026-01-15 + 76 = 2026-04-01, one day past the cap 2026-03-31.
        assert!(PaymentTerms::Days(76).exceeds_lme_cap(issue));
        // 60 days end of month: 03-16 -> 03-31, still within.
        assert!(!PaymentTerms::DaysEndOfMonth(60).exceeds_lme_cap(issue));
        // End of January + 60 = 2026-04-01: past.
        assert!(PaymentTerms::EndOfMonthPlusDays(60).exceeds_lme_cap(issue));
        assert!(PaymentTerms::Days(1).exceeds_lme_cap(NaiveDate::MAX));
    }

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            ("30d", PaymentTerms::Days(30)),
            (" 30 ", PaymentTerms::Days(30)),
            ("60 Days", PaymentTerms::Days(60)),
            ("60 jours", PaymentTerms::Days(60)),
            ("45d_eom", PaymentTerms::DaysEndOfMonth(45)),
            ("45 days end of month", PaymentTerms::DaysEndOfMonth(45)),
            ("45 jours  fin de mois", PaymentTerms::DaysEndOfMonth(45)),
            ("45j FDM", PaymentTerms::DaysEndOfMonth(45)),
            ("eom+45d", PaymentTerms::EndOfMonthPlusDays(45)),
            ("EOM + 45", PaymentTerms::EndOfMonthPlusDays(45)),
            (
                "end of month + 45 days",
                PaymentTerms::EndOfMonthPlusDays(45),
            ),
            (
                "fin de mois + 45 jours",
                PaymentTerms::EndOfMonthPlusDays(45),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<PaymentTerms>(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "",
            "d",
            "thirty days",
            "30 weeks",
            "-30d",
            "65536d",
            "eom+",
            "45 fin",
            "30d30",
        ] {
            let err = bad.parse::<PaymentTerms>().unwrap_err();
            assert_eq!(err.code(), "payment_terms_invalid", "{bad}");
        }
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_string(&PaymentTerms::DaysEndOfMonth(45)).unwrap();
        assert_eq!(json, r#"{"kind":"days_end_of_month","days":45}"#);
        let back: PaymentTerms = serde_json::from_str(r#"{"kind":"days","days":30}"#).unwrap();
        assert_eq!(back, PaymentTerms::Days(30));
        let eom: PaymentTerms =
            serde_json::from_str(r#"{"kind":"end_of_month_plus_days","days":45}"#).unwrap();
        assert_eq!(eom, PaymentTerms::EndOfMonthPlusDays(45));
        assert!(serde_json::from_str::<PaymentTerms>(r#"{"kind":"weeks","days":4}"#).is_err());
        assert!(serde_json::from_str::<PaymentTerms>(r#"{"kind":"days","days":-1}"#).is_err());
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 1990-01-01 .. about 2090: every month length and leap rule in use.
        (0u64..36_500).prop_map(|n| d(1990, 1, 1) + Days::new(n))
    }

    fn any_terms() -> impl Strategy<Value = PaymentTerms> {
        prop_oneof![
            any::<u16>().prop_map(PaymentTerms::Days),
            any::<u16>().prop_map(PaymentTerms::DaysEndOfMonth),
            any::<u16>().prop_map(PaymentTerms::EndOfMonthPlusDays),
        ]
    }

    proptest! {
        #[test]
        fn legal_terms_never_exceed_the_cap(issue in any_date(), n60 in 0u16..=60, n45 in 0u16..=45) {
            prop_assert!(!PaymentTerms::Days(n60).exceeds_lme_cap(issue));
            prop_assert!(!PaymentTerms::DaysEndOfMonth(n45).exceeds_lme_cap(issue));
            prop_assert!(!PaymentTerms::EndOfMonthPlusDays(n45).exceeds_lme_cap(issue));
        }

        #[test]
        fn cap_is_one_of_the_three_readings(issue in any_date()) {
            let cap = lme_cap(issue);
            let readings = [
                PaymentTerms::Days(60).due_date(issue),
                PaymentTerms::DaysEndOfMonth(45).due_date(issue),
                PaymentTerms::EndOfMonthPlusDays(45).due_date(issue),
            ];
            prop_assert!(readings.contains(&Some(cap)));
            prop_assert!(readings.iter().all(|r| r.is_some_and(|r| r <= cap)));
        }

        #[test]
        fn display_parses_back(terms in any_terms()) {
            prop_assert_eq!(terms.to_string().parse::<PaymentTerms>(), Ok(terms));
        }

        #[test]
        fn end_of_month_is_the_last_day(date in any_date()) {
            let eom = end_of_month(date);
            prop_assert_eq!(eom.map(|e| (e.year(), e.month())), Some((date.year(), date.month())));
            prop_assert_eq!(eom.and_then(|e| e.succ_opt()).map(|n| n.day()), Some(1));
        }
    }
}
