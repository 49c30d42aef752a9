//! Receivables KPIs [indicateurs du poste clients] as of a date, per buyer,
//! per seller and in total, by currency. Pure: the caller brings one
//! [`InvoiceFacts`] per invoice, already cut at the dates (what was settled
//! before the period, by the as-of date, collected in the period), and
//! [`KpiBook`] adds them up in one pass. Formulas (README, "Collections"):
//!
//! - outstanding O = open amounts of invoices issued by `as_of`;
//! - overdue = open amounts due before `as_of`; overdue rate = overdue / O;
//! - simple DSO = O / sales of the period × days of the period;
//! - count-back DSO: walk back from `as_of` month by month (the current
//!   month up to `as_of`, then whole months), consuming each month's sales
//!   until O is exhausted; the days walked are the DSO;
//! - collection rate = payments collected in the period / (opening + sales);
//! - CEI = (opening + sales − closing) / (opening + sales − closing current);
//! - average days late = mean over invoices paid in full in the period of
//!   max(0, date paid − due date).
//!
//! Ratios are percent or days with 2 decimals, rounded half away from zero.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::keyed::Keyed;
use crate::money::{Currency, Money};

/// Months walked back by the count-back DSO, besides the current one.
pub const COUNT_BACK_MONTHS: usize = 24;

/// One invoice (never a credit note: those reach invoices through
/// allocations) as the KPIs see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceFacts<'a> {
    pub buyer_id: &'a str,
    pub seller_id: &'a str,
    pub currency: Currency,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub gross: i64,
    /// Settled (payments and credit notes) before the period's first day.
    pub settled_before_period: i64,
    /// Settled on or before `as_of`.
    pub settled_by_as_of: i64,
    /// Payments allocated within the period.
    pub collected_in_period: i64,
    /// When the last settlement made it fully paid, if by `as_of`.
    pub paid_on: Option<NaiveDate>,
    /// Disputed amount open on `as_of` (at most the open amount).
    pub disputed: i64,
}

/// The period: `from..=as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KpiPeriod {
    pub from: NaiveDate,
    pub as_of: NaiveDate,
}

impl KpiPeriod {
    pub fn days(&self) -> i64 {
        (self.as_of - self.from).num_days() + 1
    }
}

#[derive(Debug, Clone, Default)]
struct Acc {
    outstanding: i64,
    overdue: i64,
    closing_current: i64,
    opening: i64,
    sales: i64,
    collected: i64,
    disputed: i64,
    late_days: i64,
    late_count: i64,
    months: [i64; COUNT_BACK_MONTHS + 1],
}

impl Acc {
    fn add(&mut self, f: &InvoiceFacts, p: &KpiPeriod) {
        if f.issue_date > p.as_of {
            return;
        }
        let open = f.gross - f.settled_by_as_of;
        self.outstanding += open;
        if f.due_date < p.as_of {
            self.overdue += open;
        } else {
            self.closing_current += open;
        }
        if f.issue_date < p.from {
            self.opening += f.gross - f.settled_before_period;
        } else {
            self.sales += f.gross;
        }
        self.collected += f.collected_in_period;
        self.disputed += f.disputed.min(open.max(0));
        if let Some(paid) = f.paid_on.filter(|d| *d >= p.from && *d <= p.as_of) {
            self.late_days += (paid - f.due_date).num_days().max(0);
            self.late_count += 1;
        }
        let back = months_index(p.as_of) - months_index(f.issue_date);
        if (0..=COUNT_BACK_MONTHS as i64).contains(&back) {
            self.months[back as usize] += f.gross;
        }
    }
}

fn months_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn days_in_month(year: i32, month: u32) -> i64 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days(),
        _ => 30,
    }
}

fn round2(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `a / b × factor`, or None when `b` is not positive.
fn ratio(a: i64, b: i64, factor: i64) -> Option<Decimal> {
    (b > 0).then(|| round2(Decimal::from(a) * Decimal::from(factor) / Decimal::from(b)))
}

/// Count-back DSO: `months[k]` is the sales of the k-th month back (0 = the
/// month of `as_of`, counted up to `as_of` only).
pub fn dso_count_back(
    outstanding: i64,
    months: &[i64; COUNT_BACK_MONTHS + 1],
    as_of: NaiveDate,
) -> Decimal {
    if outstanding <= 0 {
        return Decimal::ZERO;
    }
    let mut remaining = Decimal::from(outstanding);
    let mut days = Decimal::ZERO;
    let (mut year, mut month) = (as_of.year(), as_of.month());
    for (k, sales) in months.iter().enumerate() {
        let span = if k == 0 {
            i64::from(as_of.day())
        } else {
            days_in_month(year, month)
        };
        let sales = Decimal::from(*sales);
        if sales >= remaining && sales > Decimal::ZERO {
            days += remaining / sales * Decimal::from(span);
            return round2(days);
        }
        remaining -= sales.max(Decimal::ZERO);
        days += Decimal::from(span);
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    // Older than the window: the whole window is a lower bound.
    round2(days)
}

/// Who a row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum KpiScope {
    Total,
    Seller(String),
    Buyer(String),
}

/// The KPIs of one scope in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiRow {
    #[serde(flatten)]
    pub scope: KpiScope,
    pub currency: Currency,
    pub outstanding: Money,
    pub overdue: Money,
    /// Percent of outstanding.
    pub overdue_rate: Option<Decimal>,
    pub disputed: Money,
    pub opening: Money,
    pub sales: Money,
    pub collected: Money,
    pub dso_simple: Option<Decimal>,
    pub dso_count_back: Decimal,
    /// Percent.
    pub collection_rate: Option<Decimal>,
    /// Collection effectiveness index, percent.
    pub cei: Option<Decimal>,
    pub average_days_late: Option<Decimal>,
    /// Invoices paid in full in the period (the base of the average).
    pub paid_invoices: i64,
}

/// Adds invoices up per buyer, per seller and in total, in one pass.
pub struct KpiBook {
    period: KpiPeriod,
    with_buyers: bool,
    total: BTreeMap<Currency, Acc>,
    sellers: Keyed<Acc>,
    buyers: Keyed<Acc>,
}

impl KpiBook {
    /// `with_buyers`: keep one row per buyer (100,000 of them cost memory).
    pub fn new(period: KpiPeriod, with_buyers: bool) -> KpiBook {
        KpiBook {
            period,
            with_buyers,
            total: BTreeMap::new(),
            sellers: Keyed::default(),
            buyers: Keyed::default(),
        }
    }

    pub fn add(&mut self, f: &InvoiceFacts) {
        let p = self.period;
        self.total.entry(f.currency).or_default().add(f, &p);
        self.sellers.slot(f.seller_id, f.currency).add(f, &p);
        if self.with_buyers {
            self.buyers.slot(f.buyer_id, f.currency).add(f, &p);
        }
    }

    fn row(&self, scope: KpiScope, c: Currency, a: &Acc) -> KpiRow {
        let m = |v: i64| Money::new(v, c);
        let base = a.opening + a.sales;
        KpiRow {
            scope,
            currency: c,
            outstanding: m(a.outstanding),
            overdue: m(a.overdue),
            overdue_rate: ratio(a.overdue, a.outstanding, 100),
            disputed: m(a.disputed),
            opening: m(a.opening),
            sales: m(a.sales),
            collected: m(a.collected),
            dso_simple: ratio(a.outstanding, a.sales, self.period.days()),
            dso_count_back: dso_count_back(a.outstanding, &a.months, self.period.as_of),
            collection_rate: ratio(a.collected, base, 100),
            cei: ratio(base - a.outstanding, base - a.closing_current, 100),
            average_days_late: (a.late_count > 0)
                .then(|| round2(Decimal::from(a.late_days) / Decimal::from(a.late_count))),
            paid_invoices: a.late_count,
        }
    }

    fn rows_of(&self, keyed: &Keyed<Acc>, scope: fn(String) -> KpiScope) -> Vec<KpiRow> {
        keyed
            .sorted()
            .into_iter()
            .map(|(key, c, a)| self.row(scope(key.to_string()), c, a))
            .collect()
    }

    /// Rows: totals by currency, then sellers, then buyers, each sorted.
    pub fn finish(self) -> Vec<KpiRow> {
        let mut rows: Vec<KpiRow> = self
            .total
            .iter()
            .map(|(c, a)| self.row(KpiScope::Total, *c, a))
            .collect();
        rows.extend(self.rows_of(&self.sellers, KpiScope::Seller));
        rows.extend(self.rows_of(&self.buyers, KpiScope::Buyer));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn months(values: &[i64]) -> [i64; COUNT_BACK_MONTHS + 1] {
        let mut m = [0; COUNT_BACK_MONTHS + 1];
        m[..values.len()].copy_from_slice(values);
        m
    }

    #[test]
    fn count_back_walks_months_until_the_outstanding_is_used() {
        // As of 31 March: March sales 1,000 (31 days), February 2,000 (28
        // days), January 4,000 (31 days). Outstanding 4,000: March uses
        // 1,000 (31 days), February 2,000 (28 days), January the last
        // 1,000 of 4,000 = 1/4 x 31 = 7.75 days. DSO = 31 + 28 + 7.75 = 66.75.
        let m = months(&[1_000, 2_000, 4_000]);
        assert_eq!(dso_count_back(4_000, &m, d(2026, 3, 31)), dec!(66.75));
        // Mid-month: as of 10 March the current month counts 10 days.
        // Outstanding 500 of March sales 1,000: 0.5 x 10 = 5 days.
        assert_eq!(dso_count_back(500, &m, d(2026, 3, 10)), dec!(5));
        assert_eq!(dso_count_back(0, &m, d(2026, 3, 10)), dec!(0));
    }

    #[test]
    fn count_back_with_outstanding_older_than_the_window_gives_the_window() {
        // No sales at all: every month is walked. 10 days of March 2026,
        // then 24 whole months Feb 2026 back to Mar 2024: Mar 2024..Feb 2025
        // is 365 days (29 Feb 2024 falls before it), Mar 2025..Feb 2026 365:
        // total 10 + 730 = 740.
        let m = months(&[]);
        assert_eq!(dso_count_back(100, &m, d(2026, 3, 10)), dec!(740));
    }

    fn facts<'a>(buyer: &'a str, issue: NaiveDate, due: NaiveDate, gross: i64) -> InvoiceFacts<'a> {
        InvoiceFacts {
            buyer_id: buyer,
            seller_id: "S",
            currency: Currency::EUR,
            issue_date: issue,
            due_date: due,
            gross,
            settled_before_period: 0,
            settled_by_as_of: 0,
            collected_in_period: 0,
            paid_on: None,
            disputed: 0,
        }
    }

    #[test]
    fn book_figures_worked_by_hand() {
        // Period 1 Mar..31 Mar 2026 (31 days).
        // I1: issued 1 Feb, due 3 Mar, 1,000; 200 paid before March, 300 in
        //     March: opening 800, open 500, overdue.
        // I2: issued 10 Mar, due 9 Apr, 2,000, paid in full 20 Mar (not
        //     late): sales 2,000, collected 2,000, open 0.
        // I3: issued 15 Mar, due 20 Mar, 1,000, unpaid: sales, overdue;
        //     400 of it disputed.
        // I4: issued 2 Jan, due 1 Feb, 600, paid in full 11 Mar: opening 600,
        //     collected 600, 38 days late (1 Feb -> 11 Mar = 27 + 11).
        let p = KpiPeriod {
            from: d(2026, 3, 1),
            as_of: d(2026, 3, 31),
        };
        let mut book = KpiBook::new(p, true);
        let mut i1 = facts("B1", d(2026, 2, 1), d(2026, 3, 3), 1_000);
        i1.settled_before_period = 200;
        i1.settled_by_as_of = 500;
        i1.collected_in_period = 300;
        let mut i2 = facts("B1", d(2026, 3, 10), d(2026, 4, 9), 2_000);
        i2.settled_by_as_of = 2_000;
        i2.collected_in_period = 2_000;
        i2.paid_on = Some(d(2026, 3, 20));
        let mut i3 = facts("B2", d(2026, 3, 15), d(2026, 3, 20), 1_000);
        i3.disputed = 400;
        let mut i4 = facts("B2", d(2026, 1, 2), d(2026, 2, 1), 600);
        i4.settled_by_as_of = 600;
        i4.collected_in_period = 600;
        i4.paid_on = Some(d(2026, 3, 11));
        let after = facts("B2", d(2026, 4, 1), d(2026, 5, 1), 9_999);
        for f in [i1, i2, i3, i4, after] {
            book.add(&f);
        }
        let rows = book.finish();
        let t = &rows[0];
        assert_eq!(t.scope, KpiScope::Total);
        // Outstanding 500 + 0 + 1,000 + 0 = 1,500, all overdue (100 %).
        assert_eq!(t.outstanding.minor(), 1_500);
        assert_eq!(t.overdue.minor(), 1_500);
        assert_eq!(t.overdue_rate, Some(dec!(100)));
        assert_eq!(t.disputed.minor(), 400);
        // Opening 800 + 600 = 1,400; sales 2,000 + 1,000 = 3,000.
        assert_eq!(t.opening.minor(), 1_400);
        assert_eq!(t.sales.minor(), 3_000);
        // Collected 300 + 2,000 + 600 = 2,900; rate 2,900 / 4,400 = 65.909 %.
        assert_eq!(t.collected.minor(), 2_900);
        assert_eq!(t.collection_rate, Some(dec!(65.91)));
        // Simple DSO 1,500 / 3,000 x 31 = 15.5.
        assert_eq!(t.dso_simple, Some(dec!(15.5)));
        // Count-back: March sales 3,000 cover 1,500: 0.5 x 31 = 15.5.
        assert_eq!(t.dso_count_back, dec!(15.5));
        // CEI: (4,400 - 1,500) / (4,400 - 0 current) = 65.909 %.
        assert_eq!(t.cei, Some(dec!(65.91)));
        // Days late: I2 0 days, I4 38 days: mean 19.
        assert_eq!(t.average_days_late, Some(dec!(19)));
        assert_eq!(t.paid_invoices, 2);
        let b2 = rows
            .iter()
            .find(|r| r.scope == KpiScope::Buyer("B2".into()))
            .unwrap();
        // B2: open 1,000 (I3), opening 600, sales 1,000, collected 600.
        assert_eq!(b2.outstanding.minor(), 1_000);
        assert_eq!(b2.collection_rate, Some(dec!(37.5)));
        assert_eq!(b2.average_days_late, Some(dec!(38)));
        assert!(rows.iter().any(|r| r.scope == KpiScope::Seller("S".into())));
    }

    #[test]
    fn empty_bases_give_no_ratio() {
        assert_eq!(ratio(5, 0, 100), None);
        assert_eq!(ratio(1, 3, 100), Some(dec!(33.33)));
        assert_eq!(ratio(2, 3, 100), Some(dec!(66.67)));
    }
}
