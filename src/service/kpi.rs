//! Receivables KPIs as of any date, rebuilt from history: an invoice exists
//! from its issue date, and only allocations (payments, credit notes) dated
//! on or before the as-of date reduce it; disputes count while they were
//! open on that date. One SQL pass over the invoices with their allocations
//! and disputes aggregated per invoice, streamed into [`KpiBook`].
//!
//! Known limit: a written-off invoice is left out at every date, because
//! the store keeps no write-off date.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use serde::Serialize;

use super::ServiceError;
use crate::domain::kpi::{InvoiceFacts, KpiBook, KpiPeriod, KpiRow};
use crate::money::Currency;
use crate::store::DbConnection;

/// Length of the flow period when none is given: the 90 days up to as-of.
pub const DEFAULT_PERIOD_DAYS: i64 = 90;

#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    pub as_of: NaiveDate,
    pub from: NaiveDate,
    pub period_days: i64,
    pub invoices: usize,
    pub rows: Vec<KpiRow>,
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = Text)]
    buyer_id: String,
    #[diesel(sql_type = Text)]
    seller_id: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Date)]
    issue_date: NaiveDate,
    #[diesel(sql_type = Date)]
    due_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    gross_minor: i64,
    #[diesel(sql_type = BigInt)]
    settled_before: i64,
    #[diesel(sql_type = BigInt)]
    settled_by: i64,
    #[diesel(sql_type = BigInt)]
    collected: i64,
    #[diesel(sql_type = Nullable<Date>)]
    last_settled: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    disputed: i64,
}

/// Parameters: 1 = period start, 2 = as-of date, 3 = buyer (optional).
/// An invoice counts for what was payable after issue: gross less prepaid.
const FACTS_SQL: &str = "\
SELECT i.buyer_id, i.seller_id, i.currency, i.issue_date, i.due_date, \
  i.gross_minor - i.prepaid_minor AS gross_minor, \
  CAST(COALESCE(a.settled_before, 0) AS BIGINT) AS settled_before, \
  CAST(COALESCE(a.settled_by, 0) AS BIGINT) AS settled_by, \
  CAST(COALESCE(a.collected, 0) AS BIGINT) AS collected, \
  a.last_settled, \
  CAST(COALESCE(d.disputed, 0) AS BIGINT) AS disputed \
FROM invoices i \
LEFT JOIN ( \
  SELECT invoice_id, \
    SUM(CASE WHEN allocated_on < {1} THEN amount_minor ELSE 0 END) AS settled_before, \
    SUM(amount_minor) AS settled_by, \
    SUM(CASE WHEN source_kind IN ('payment', 'factor_collection') AND allocated_on >= {1} THEN amount_minor ELSE 0 END) AS collected, \
    MAX(allocated_on) AS last_settled \
  FROM allocations WHERE allocated_on <= {2} GROUP BY invoice_id \
) a ON a.invoice_id = i.id \
LEFT JOIN ( \
  SELECT invoice_id, SUM(amount_minor) AS disputed FROM disputes \
  WHERE opened_on <= {2} AND (resolved_on IS NULL OR resolved_on > {2}) GROUP BY invoice_id \
) d ON d.invoice_id = i.id \
WHERE i.kind = 'invoice' AND i.issue_date <= {2} AND i.state <> 'written_off'";

fn facts_sql(sqlite: bool, with_buyer: bool) -> String {
    let mut sql = FACTS_SQL.to_string();
    if with_buyer {
        sql.push_str(" AND i.buyer_id = {3}");
    }
    let p = if sqlite { "?" } else { "$" };
    sql.replace("{1}", &format!("{p}1"))
        .replace("{2}", &format!("{p}2"))
        .replace("{3}", &format!("{p}3"))
}

/// KPIs as of `as_of` over the period `from..=as_of` (default: the 90 days
/// up to it). `with_buyers`: one row per buyer besides the totals and
/// sellers; `buyer_id`: that buyer only.
pub fn kpis(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    from: Option<NaiveDate>,
    with_buyers: bool,
    buyer_id: Option<&str>,
) -> Result<KpiReport, ServiceError> {
    let from = from.unwrap_or(as_of - chrono::Duration::days(DEFAULT_PERIOD_DAYS - 1));
    if from > as_of {
        return Err(ServiceError::invalid(
            "period_invalid",
            "from",
            format!("the period starts ({from}) after the as-of date ({as_of})"),
        ));
    }
    let _span = tracing::info_span!("kpis", %as_of, %from).entered();
    let period = KpiPeriod { from, as_of };
    let mut book = KpiBook::new(period, with_buyers || buyer_id.is_some());
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let sql = facts_sql(sqlite, buyer_id.is_some());
    let mut count = 0usize;
    let mut error: Option<ServiceError> = None;
    let mut add = |r: FactsRow| {
        let currency = match Currency::from_code(&r.currency) {
            Ok(c) => c,
            Err(e) => {
                error.get_or_insert(ServiceError::invalid(
                    "currency_unknown",
                    "currency",
                    e.to_string(),
                ));
                return;
            }
        };
        count += 1;
        book.add(&InvoiceFacts {
            buyer_id: &r.buyer_id,
            seller_id: &r.seller_id,
            currency,
            issue_date: r.issue_date,
            due_date: r.due_date,
            gross: r.gross_minor,
            settled_before_period: r.settled_before,
            settled_by_as_of: r.settled_by,
            collected_in_period: r.collected,
            paid_on: r.last_settled.filter(|_| r.settled_by >= r.gross_minor),
            disputed: r.disputed,
        });
    };
    crate::on_backend!(&mut *conn, |c| {
        let q = diesel::sql_query(&sql)
            .bind::<Date, _>(from)
            .bind::<Date, _>(as_of);
        match buyer_id {
            Some(b) => {
                for row in q
                    .bind::<Text, _>(b)
                    .load_iter::<FactsRow, diesel::connection::DefaultLoadingMode>(c)?
                {
                    add(row?);
                }
            }
            None => {
                for row in q.load_iter::<FactsRow, diesel::connection::DefaultLoadingMode>(c)? {
                    add(row?);
                }
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    Ok(KpiReport {
        as_of,
        from,
        period_days: period.days(),
        invoices: count,
        rows: book.finish(),
    })
}

/// Monthly trends: for each calendar month touching `from..=to`, the KPIs
/// as of its last day (or `to`) over that month (from `from` at the start),
/// totals and sellers only.
pub fn kpi_trends(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<KpiReport>, ServiceError> {
    if from > to {
        return Err(ServiceError::invalid(
            "period_invalid",
            "to",
            format!("the range ends ({to}) before it starts ({from})"),
        ));
    }
    if (to - from).num_days() > 3660 {
        return Err(ServiceError::invalid(
            "period_too_long",
            "to",
            "trends cover at most 10 years",
        ));
    }
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let next_month = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .ok_or_else(|| ServiceError::invalid("period_invalid", "to", "date out of range"))?;
        let end = (next_month - chrono::Duration::days(1)).min(to);
        out.push(kpis(conn, end, Some(start), false, None)?);
        start = next_month;
    }
    Ok(out)
}
