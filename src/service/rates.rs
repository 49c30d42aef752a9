//! Dated rates: exchange rates for converting exposure, reference rates
//! (EURIBOR) for financing charges. Imported from CSV, each file whole or
//! not at all; a day's value is never overwritten.

use std::io::Read;

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{now, ServiceError};
use crate::money::{round_to_minor, Currency, Rounding};
use crate::store::schema::rates;
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RatesReport {
    pub created: usize,
    pub unchanged: usize,
}

/// The series of an exchange rate: 1 `from` in `to`.
pub fn fx_series(from: &str, to: &str) -> String {
    format!("{from}/{to}")
}

fn bad(line: usize, message: String) -> ServiceError {
    ServiceError::invalid(
        "rates_invalid",
        format!("line {line}"),
        format!("line {line}: {message}"),
    )
}

/// Reads `series,date,value` rows (header required; dates YYYY-MM-DD;
/// values positive decimals). A value already held for the same day is
/// unchanged if equal, a conflict otherwise; nothing is written then.
pub fn import_rates<R: Read>(
    conn: &mut DbConnection,
    input: R,
) -> Result<RatesReport, ServiceError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| bad(1, e.to_string()))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>();
    if headers != ["series", "date", "value"] {
        return Err(bad(
            1,
            format!(
                "expected the header series,date,value, found {}",
                headers.join(",")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| bad(line, e.to_string()))?;
        let series = r.get(0).unwrap_or("").to_uppercase();
        if series.is_empty() || series.len() > 40 {
            return Err(bad(line, "series must be 1 to 40 characters".into()));
        }
        let date = NaiveDate::parse_from_str(r.get(1).unwrap_or(""), "%Y-%m-%d").map_err(|_| {
            bad(
                line,
                format!("date '{}' is not YYYY-MM-DD", r.get(1).unwrap_or("")),
            )
        })?;
        let value: Decimal = r.get(2).unwrap_or("").parse().map_err(|_| {
            bad(
                line,
                format!("value '{}' is not a decimal", r.get(2).unwrap_or("")),
            )
        })?;
        if value <= Decimal::ZERO && series.contains('/') {
            return Err(bad(line, format!("exchange rate {value} must be positive")));
        }
        rows.push((series, date, value.normalize().to_string()));
    }
    write_tx(conn, |conn| {
        let mut report = RatesReport::default();
        for (series, date, value) in &rows {
            let held: Option<String> = rates::table
                .find((series, date))
                .select(rates::value)
                .first(conn)
                .optional()?;
            match held {
                Some(v) if &v == value => report.unchanged += 1,
                Some(v) => {
                    return Err(ServiceError::Conflict {
                        code: "rate_conflict",
                        message: format!("{series} on {date} is already {v}, not {value}"),
                    })
                }
                None => {
                    diesel::insert_into(rates::table)
                        .values((
                            rates::series.eq(series),
                            rates::on_date.eq(date),
                            rates::value.eq(value),
                            rates::created_at.eq(now()),
                        ))
                        .execute(conn)?;
                    report.created += 1;
                }
            }
        }
        Ok(report)
    })
}

/// The latest value of a series on or before `date`.
pub fn rate_at(
    conn: &mut DbConnection,
    series: &str,
    date: NaiveDate,
) -> Result<Decimal, ServiceError> {
    let value: Option<String> = rates::table
        .filter(rates::series.eq(series).and(rates::on_date.le(date)))
        .order(rates::on_date.desc())
        .select(rates::value)
        .first(conn)
        .optional()?;
    value.and_then(|v| v.parse().ok()).ok_or_else(|| {
        ServiceError::not_found(
            "rate_missing",
            "rate",
            format!("{series} on or before {date}"),
        )
    })
}

/// `minor` units of `from` in `to`, at the rate of `date`, rounded once.
pub fn convert(
    conn: &mut DbConnection,
    minor: i64,
    from: Currency,
    to: Currency,
    date: NaiveDate,
) -> Result<i64, ServiceError> {
    if from.code() == to.code() {
        return Ok(minor);
    }
    let rate = rate_at(conn, &fx_series(from.code(), to.code()), date)?;
    let major = Decimal::new(minor, u32::from(from.exponent()));
    round_to_minor(major * rate, to, Rounding::HalfAwayFromZero)
        .map_err(|e| ServiceError::invalid("amount_invalid", "amount", e.to_string()))
}
