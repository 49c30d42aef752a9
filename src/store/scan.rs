//! Column types for reports that stream a million rows: an id read without
//! a heap allocation, and a date parsed without chrono's format machinery.
//! Both read exactly what `String` and `NaiveDate` read; only the cost per
//! row differs (a report over 1,000,000 invoices allocated 4,000,000
//! strings and ran chrono's `%F` parser 2,000,000 times).

use chrono::NaiveDate;

pub use crate::domain::keyed::InlineKey;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Date, Text};
use diesel::sqlite::{Sqlite, SqliteValue};

/// A text column, inline when it fits (always, for our ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, FromSqlRow)]
pub struct ScanText(pub InlineKey);

impl ScanText {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::borrow::Borrow<str> for ScanText {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl FromSql<Text, Sqlite> for ScanText {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(ScanText(InlineKey::new(value.read_text())))
    }
}

impl FromSql<Text, Pg> for ScanText {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(ScanText(InlineKey::new(std::str::from_utf8(
            value.as_bytes(),
        )?)))
    }
}

/// A date column. SQLite stores `YYYY-MM-DD` text: read by hand, falling
/// back to diesel's own reading for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct ScanDate(pub NaiveDate);

fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

impl FromSql<Date, Sqlite> for ScanDate {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(d) = iso_date(value.read_text()) {
            return Ok(ScanDate(d));
        }
        <NaiveDate as FromSql<Date, Sqlite>>::from_sql(value).map(ScanDate)
    }
}

impl FromSql<Date, Pg> for ScanDate {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(ScanDate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_read_by_hand_match_chrono() {
        for s in ["2026-09-30", "2024-02-29", "0001-01-01", "9999-12-31"] {
            let expected = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
            assert_eq!(iso_date(s), expected, "{s}");
        }
        // Not dates: left to diesel's reading, which refuses them.
        for s in [
            "2025-02-29",
            "2026-13-01",
            "2026-9-30",
            "2026/09/30",
            "20260930",
            "",
        ] {
            assert_eq!(iso_date(s), None, "{s}");
        }
    }
}
