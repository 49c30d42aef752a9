//! Aged balance [balance âgée]: open amounts by buyer and currency, in
//! buckets of days past due, as of any date. Pure: the caller brings the
//! open items, nothing is read or stored here.

use std::collections::BTreeMap;

use super::keyed::Keyed;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::money::{Currency, Money, MoneyError};

/// Bucket boundaries in days past due, e.g. `[30, 60, 90]` for the buckets
/// not due, 1–30, 31–60, 61–90 and over 90. A setting, never a constant.
///
/// Deserializing checks the bounds as [`AgingBuckets::new`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BucketsRepr")]
pub struct AgingBuckets {
    pub upper_bounds: Vec<u32>,
}

/// Why a set of bucket bounds was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgingError {
    #[error("aging buckets need at least one upper bound")]
    NoBounds,
    #[error("aging bucket bound 0 is not allowed: 0 days past due is 'not due'")]
    ZeroBound,
    #[error("aging bucket bounds must strictly increase: {bound} follows {previous}")]
    NotIncreasing { previous: u32, bound: u32 },
}

impl ErrorCode for AgingError {
    fn code(&self) -> &'static str {
        match self {
            AgingError::NoBounds => "aging_buckets_empty",
            AgingError::ZeroBound => "aging_bucket_bound_zero",
            AgingError::NotIncreasing { .. } => "aging_buckets_not_increasing",
        }
    }
}

impl Default for AgingBuckets {
    fn default() -> Self {
        AgingBuckets {
            upper_bounds: vec![30, 60, 90],
        }
    }
}

impl AgingBuckets {
    /// Bounds must be non-empty, above zero and strictly increasing.
    pub fn new(upper_bounds: Vec<u32>) -> Result<AgingBuckets, AgingError> {
        if upper_bounds.is_empty() {
            return Err(AgingError::NoBounds);
        }
        if upper_bounds.contains(&0) {
            return Err(AgingError::ZeroBound);
        }
        if let Some(pair) = upper_bounds.windows(2).find(|w| w[0] >= w[1]) {
            return Err(AgingError::NotIncreasing {
                previous: pair[0],
                bound: pair[1],
            });
        }
        Ok(AgingBuckets { upper_bounds })
    }

    /// Number of buckets: not due, one per bound, and the last open-ended one.
    pub fn len(&self) -> usize {
        self.upper_bounds.len() + 2
    }

    /// Never true: there is always a "not due" and an "over" bucket.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Stable bucket names, e.g. `not_due`, `1-30`, `31-60`, `61-90`, `over_90`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::with_capacity(self.len());
        labels.push("not_due".to_string());
        let mut lower = 1u64;
        for bound in &self.upper_bounds {
            labels.push(format!("{lower}-{bound}"));
            lower = u64::from(*bound) + 1;
        }
        let last = self.upper_bounds.last().copied().unwrap_or(0);
        labels.push(format!("over_{last}"));
        labels
    }

    /// Index into [`labels`](Self::labels) for an item `days_past_due` days
    /// late; due today or later (≤ 0) is bucket 0. Always below
    /// [`len`](Self::len), even for bounds built without [`new`](Self::new).
    pub fn bucket_of(&self, days_past_due: i64) -> usize {
        if days_past_due <= 0 {
            return 0;
        }
        1 + self
            .upper_bounds
            .iter()
            .filter(|bound| i64::from(**bound) < days_past_due)
            .count()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketsRepr {
    upper_bounds: Vec<u32>,
}

impl TryFrom<BucketsRepr> for AgingBuckets {
    type Error = AgingError;

    fn try_from(repr: BucketsRepr) -> Result<Self, Self::Error> {
        AgingBuckets::new(repr.upper_bounds)
    }
}

/// One open receivable as the aged balance sees it. Borrows the buyer id so
/// a report over thousands of invoices copies each buyer id once, not once
/// per invoice.
///
/// `open` may be negative: an unallocated credit note [avoir non lettré]
/// reduces its buyer's balance in the bucket of its own due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenItem<'a> {
    pub buyer_id: &'a str,
    pub due_date: NaiveDate,
    pub open: Money,
}

/// One line of the aged balance: a buyer in one currency, or (with
/// `buyer_id` `None`) the total of a currency. Amounts are minor units of
/// `currency`, one per label; `total` is their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgedRow {
    pub buyer_id: Option<String>,
    pub currency: Currency,
    pub buckets: Vec<i64>,
    pub total: i64,
}

/// The aged balance as of a date. Rows are per (buyer, currency), sorted by
/// buyer id then currency code; totals are per currency, sorted by code.
/// Currencies are never added together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgedBalance {
    pub as_of: NaiveDate,
    pub labels: Vec<String>,
    pub rows: Vec<AgedRow>,
    pub totals: Vec<AgedRow>,
}

/// `index` comes from [`AgingBuckets::bucket_of`], always below the width.
fn add_into(slots: &mut [i64], index: usize, minor: i64) -> Result<(), MoneyError> {
    let slot = &mut slots[index];
    *slot = slot.checked_add(minor).ok_or(MoneyError::Overflow)?;
    Ok(())
}

fn row(
    buyer_id: Option<String>,
    currency: Currency,
    buckets: Vec<i64>,
) -> Result<AgedRow, MoneyError> {
    let total = buckets
        .iter()
        .try_fold(0i64, |acc, b| acc.checked_add(*b))
        .ok_or(MoneyError::Overflow)?;
    Ok(AgedRow {
        buyer_id,
        currency,
        buckets,
        total,
    })
}

/// Buckets the open items as of `as_of`: days past due = `as_of` − due date.
///
/// Zero open amounts are skipped, and so is a row whose buckets all net to
/// zero (a buyer whose credit note cancels its invoice has nothing to
/// chase). Sums are checked: an overflow is an error, never a wrong total.
pub fn aged_balance<'a>(
    items: impl IntoIterator<Item = OpenItem<'a>>,
    as_of: NaiveDate,
    buckets: &AgingBuckets,
) -> Result<AgedBalance, MoneyError> {
    let mut book = AgedBook::new(as_of, buckets.clone());
    for item in items {
        book.add(&item)?;
    }
    book.finish()
}

/// [`aged_balance`] one item at a time, for callers that stream their items
/// (a million invoices need not be held at once). Each buyer id is copied
/// once, on its first item.
#[derive(Debug, Clone)]
pub struct AgedBook {
    as_of: NaiveDate,
    buckets: AgingBuckets,
    /// Bucket sums per buyer and currency (empty until the first item).
    by_buyer: Keyed<Vec<i64>>,
}

impl AgedBook {
    pub fn new(as_of: NaiveDate, buckets: AgingBuckets) -> AgedBook {
        AgedBook {
            as_of,
            buckets,
            by_buyer: Keyed::default(),
        }
    }

    pub fn add(&mut self, item: &OpenItem<'_>) -> Result<(), MoneyError> {
        if item.open.is_zero() {
            return Ok(());
        }
        let days_past_due = self.as_of.signed_duration_since(item.due_date).num_days();
        let index = self.buckets.bucket_of(days_past_due);
        let width = self.buckets.len();
        let slots = self.by_buyer.slot(item.buyer_id, item.open.currency());
        if slots.is_empty() {
            slots.resize(width, 0);
        }
        add_into(slots, index, item.open.minor())
    }

    /// Rows sorted by buyer id then currency code, totals by currency.
    pub fn finish(self) -> Result<AgedBalance, MoneyError> {
        let width = self.buckets.len();
        let mut by_currency: BTreeMap<Currency, Vec<i64>> = BTreeMap::new();
        let sorted = self.by_buyer.sorted();
        let mut rows = Vec::with_capacity(sorted.len());
        for (buyer_id, currency, slots) in sorted {
            if slots.iter().all(|m| *m == 0) {
                continue;
            }
            let totals = by_currency
                .entry(currency)
                .or_insert_with(|| vec![0; width]);
            for (index, minor) in slots.iter().enumerate() {
                add_into(totals, index, *minor)?;
            }
            rows.push(row(Some(buyer_id.to_string()), currency, slots.clone())?);
        }
        let totals = by_currency
            .into_iter()
            .filter(|(_, slots)| slots.iter().any(|m| *m != 0))
            .map(|(currency, slots)| row(None, currency, slots))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AgedBalance {
            as_of: self.as_of,
            labels: self.buckets.labels(),
            rows,
            totals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    fn cur(code: &str) -> Currency {
        Currency::from_code(code).unwrap_or(Currency::EUR)
    }

    fn item<'a>(buyer_id: &'a str, due: NaiveDate, minor: i64, currency: &str) -> OpenItem<'a> {
        OpenItem {
            buyer_id,
            due_date: due,
            open: Money::new(minor, cur(currency)),
        }
    }

    #[test]
    fn default_buckets_and_labels() {
        let buckets = AgingBuckets::default();
        assert_eq!(AgingBuckets::new(vec![30, 60, 90]), Ok(buckets.clone()));
        assert_eq!(
            buckets.labels(),
            ["not_due", "1-30", "31-60", "61-90", "over_90"]
        );
        let cases = [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
        ];
        for (days, bucket) in cases {
            assert_eq!(buckets.bucket_of(days), bucket, "{days} days");
        }
        assert_eq!(buckets.bucket_of(i64::MAX), 4);
        assert_eq!(buckets.bucket_of(i64::MIN), 0);
    }

    #[test]
    fn custom_buckets() {
        let buckets = AgingBuckets::new(vec![15, 45]).unwrap();
        assert_eq!(buckets.labels(), ["not_due", "1-15", "16-45", "over_45"]);
        assert_eq!([15, 16, 45, 46].map(|d| buckets.bucket_of(d)), [1, 2, 2, 3]);
    }

    #[test]
    fn bad_bounds_are_refused() {
        assert_eq!(
            AgingBuckets::new(vec![]).unwrap_err().code(),
            "aging_buckets_empty"
        );
        assert_eq!(
            AgingBuckets::new(vec![0, 30]).unwrap_err().code(),
            "aging_bucket_bound_zero"
        );
        assert_eq!(
            AgingBuckets::new(vec![30, 30]),
            Err(AgingError::NotIncreasing {
                previous: 30,
                bound: 30
            })
        );
        assert_eq!(
            AgingBuckets::new(vec![60, 30]).unwrap_err().code(),
            "aging_buckets_not_increasing"
        );
        assert!(serde_json::from_str::<AgingBuckets>(r#"{"upper_bounds":[30,30]}"#).is_err());
        let parsed: AgingBuckets = serde_json::from_str(r#"{"upper_bounds":[30,60,90]}"#).unwrap();
        assert_eq!(parsed, AgingBuckets::default());
    }

    #[test]
    fn unchecked_bounds_never_index_out_of_range() {
        let empty = AgingBuckets {
            upper_bounds: vec![],
        };
        assert_eq!(empty.labels(), ["not_due", "over_0"]);
        assert_eq!(empty.bucket_of(10), 1);
        let unsorted = AgingBuckets {
            upper_bounds: vec![90, 30],
        };
        assert!(unsorted.bucket_of(100) < unsorted.len());
    }

    #[test]
    fn aged_balance_worked_by_hand() {
        // As of 2026-03-31, default buckets. Days past due counted by hand:
        // 03-30 -> 1, 03-01 -> 30, 02-28 -> 31, 01-30 -> 60 (1 + 28 + 31),
        // 01-29 -> 61, 2025-12-31 -> 90 (31 + 28 + 31), 2025-12-30 -> 91.
        let as_of = d(2026, 3, 31);
        let items = vec![
            item("ACME", d(2026, 4, 15), 100_000, "EUR"), // not due
            item("ACME", d(2026, 3, 31), 25_050, "EUR"),  // due today: not due
            item("ACME", d(2026, 3, 30), 40_000, "EUR"),  // 1-30
            item("ACME", d(2026, 3, 1), 30_000, "EUR"),   // 1-30
            item("ACME", d(2026, 2, 28), 20_000, "EUR"),  // 31-60
            item("ACME", d(2026, 1, 30), -5_000, "EUR"),  // credit note, 31-60
            item("ACME", d(2026, 1, 1), 0, "EUR"),        // skipped
            item("BOLT", d(2026, 1, 29), 70_000, "EUR"),  // 61-90
            item("BOLT", d(2025, 12, 31), 10_000, "EUR"), // 61-90
            item("BOLT", d(2025, 12, 30), 8_000, "EUR"),  // over 90
            item("ACME", d(2025, 1, 1), 99_900, "USD"),   // over 90
            item("AARDVARK", d(2026, 3, 31), 5_000, "JPY"),
        ];
        let balance = aged_balance(items, as_of, &AgingBuckets::default()).unwrap();
        let eur = cur("EUR");
        let expected_rows = vec![
            row(Some("AARDVARK".into()), cur("JPY"), vec![5_000, 0, 0, 0, 0]),
            row(
                Some("ACME".into()),
                eur,
                vec![125_050, 70_000, 15_000, 0, 0],
            ),
            row(Some("ACME".into()), cur("USD"), vec![0, 0, 0, 0, 99_900]),
            row(Some("BOLT".into()), eur, vec![0, 0, 0, 80_000, 8_000]),
        ];
        let expected_rows: Vec<AgedRow> = expected_rows.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(balance.rows, expected_rows);
        assert_eq!(
            balance.rows.iter().map(|r| r.total).collect::<Vec<_>>(),
            [5_000, 210_050, 99_900, 88_000]
        );
        let totals: Vec<(String, Vec<i64>, i64)> = balance
            .totals
            .iter()
            .map(|t| (t.currency.to_string(), t.buckets.clone(), t.total))
            .collect();
        assert_eq!(
            totals,
            [
                (
                    "EUR".to_string(),
                    vec![125_050, 70_000, 15_000, 80_000, 8_000],
                    298_050
                ),
                ("JPY".to_string(), vec![5_000, 0, 0, 0, 0], 5_000),
                ("USD".to_string(), vec![0, 0, 0, 0, 99_900], 99_900),
            ]
        );
        assert!(balance.totals.iter().all(|t| t.buyer_id.is_none()));
        assert_eq!(balance.labels, AgingBuckets::default().labels());
    }

    #[test]
    fn netted_out_rows_and_empty_input() {
        let as_of = d(2026, 3, 31);
        let items = [
            item("ACME", d(2026, 3, 10), 10_000, "EUR"),
            item("ACME", d(2026, 3, 20), -10_000, "EUR"),
        ];
        let balance = aged_balance(items, as_of, &AgingBuckets::default()).unwrap();
        assert!(balance.rows.is_empty() && balance.totals.is_empty());
        let none = aged_balance(Vec::new(), as_of, &AgingBuckets::default()).unwrap();
        assert!(none.rows.is_empty());
        assert_eq!(none.labels.len(), 5);
    }

    #[test]
    fn overflow_is_an_error() {
        let as_of = d(2026, 3, 31);
        let buckets = AgingBuckets::default();
        let same_row = [
            item("A", as_of, i64::MAX, "EUR"),
            item("A", as_of, 1, "EUR"),
        ];
        assert_eq!(
            aged_balance(same_row, as_of, &buckets),
            Err(MoneyError::Overflow)
        );
        let row_total = [
            item("A", as_of, i64::MAX, "EUR"),
            item("A", d(2026, 1, 1), 1, "EUR"),
        ];
        assert_eq!(
            aged_balance(row_total, as_of, &buckets),
            Err(MoneyError::Overflow)
        );
        let two_buyers = [
            item("A", as_of, i64::MAX, "EUR"),
            item("B", as_of, 1, "EUR"),
        ];
        assert_eq!(
            aged_balance(two_buyers, as_of, &buckets),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn json_shape() {
        let as_of = d(2026, 3, 31);
        let items = [item("ACME", d(2026, 3, 1), 1_234, "EUR")];
        let balance = aged_balance(items, as_of, &AgingBuckets::new(vec![30]).unwrap()).unwrap();
        let json = serde_json::to_string(&balance).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"as_of":"2026-03-31","labels":["not_due","1-30","over_30"],"#,
                r#""rows":[{"buyer_id":"ACME","currency":"EUR","buckets":[0,1234,0],"total":1234}],"#,
                r#""totals":[{"buyer_id":null,"currency":"EUR","buckets":[0,1234,0],"total":1234}]}"#
            )
        );
        let back: AgedBalance = serde_json::from_str(&json).unwrap();
        assert_eq!(back, balance);
    }

    const BUYERS: [&str; 4] = ["ACME", "BOLT", "CRUX", "DUNE"];
    const CURRENCIES: [&str; 3] = ["EUR", "USD", "JPY"];

    proptest! {
        #[test]
        fn buckets_add_up_to_the_inputs_per_currency(
            raw in prop::collection::vec((0usize..4, 0usize..3, -200i64..400, -1_000_000_000_000i64..1_000_000_000_000), 0..60),
        ) {
            let as_of = d(2026, 3, 31);
            let items: Vec<OpenItem> = raw
                .iter()
                .map(|(b, c, offset, minor)| item(BUYERS[*b], as_of - chrono::TimeDelta::days(*offset), *minor, CURRENCIES[*c]))
                .collect();
            let balance = aged_balance(items, as_of, &AgingBuckets::default()).unwrap();
            for code in CURRENCIES {
                let expected: i128 = raw.iter().filter(|(_, c, _, _)| CURRENCIES[*c] == code).map(|(_, _, _, m)| i128::from(*m)).sum();
                let total_row = balance.totals.iter().find(|t| t.currency == cur(code));
                let bucket_sum: i128 = total_row.map_or(0, |t| t.buckets.iter().map(|b| i128::from(*b)).sum());
                prop_assert_eq!(bucket_sum, expected);
                prop_assert_eq!(total_row.map_or(0, |t| i128::from(t.total)), expected);
                let rows_sum: i128 = balance.rows.iter().filter(|r| r.currency == cur(code)).map(|r| i128::from(r.total)).sum();
                prop_assert_eq!(rows_sum, expected);
            }
            for r in &balance.rows {
                prop_assert_eq!(r.buckets.iter().sum::<i64>(), r.total);
            }
        }

        #[test]
        fn later_is_never_a_younger_bucket(a in any::<i64>(), b in any::<i64>()) {
            let buckets = AgingBuckets::default();
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(buckets.bucket_of(early) <= buckets.bucket_of(late));
        }
    }
}
