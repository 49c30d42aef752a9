//! Values inside camt elements: amounts with their currency attribute,
//! credit/debit indicators, dates given as Dt or DtTm.

use std::io::BufRead;

use chrono::NaiveDate;

use crate::error::ErrorCode;
use crate::formats::statement::StatementError;
use crate::formats::xml::GuardedReader;
use crate::money::{Currency, Money};

/// The path of `local`, a child of the element the reader is in.
fn at<R: BufRead>(r: &GuardedReader<R>, local: &str) -> String {
    format!("{}/{}", r.path(), local)
}

/// An `Amt Ccy="EUR"` element: exact, in minor units. More decimals than
/// the currency has are refused unless they are zeros ("18.150" EUR is
/// 18.15; "18.155" EUR is refused).
pub fn read_amount<R: BufRead>(
    r: &mut GuardedReader<R>,
    local: &str,
    attrs: &[(String, String)],
) -> Result<Money, StatementError> {
    let ccy = attrs
        .iter()
        .find(|(k, _)| k == "Ccy")
        .map(|(_, v)| v.trim().to_string());
    let text = r.text()?;
    let Some(ccy) = ccy else {
        return Err(StatementError::invalid(
            "field_required",
            at(r, local),
            "amount without its Ccy attribute",
        ));
    };
    let currency = Currency::from_code(&ccy)
        .map_err(|e| StatementError::invalid(e.code(), at(r, local), e.to_string()))?;
    let money = match plain_minor(&text, currency.exponent()) {
        Some(minor) => Money::new(minor, currency),
        None => Money::parse(&text, currency)
            .map_err(|e| StatementError::invalid(e.code(), at(r, local), e.to_string()))?,
    };
    if money.is_negative() {
        return Err(StatementError::invalid(
            "amount_negative",
            at(r, local),
            "camt amounts are unsigned; the sign is CdtDbtInd",
        ));
    }
    Ok(money)
}

/// The common case read without a decimal type: "1234.5" (digits, at most
/// one point, decimals beyond the currency's all zeros) in minor units.
/// Anything else (signs, over-precise, too long) is left to `Money::parse`,
/// which accepts or refuses it with its reason.
fn plain_minor(text: &str, exponent: u8) -> Option<i64> {
    let t = text.trim().as_bytes();
    if t.is_empty() || t.len() > 18 {
        return None;
    }
    let mut minor: i64 = 0;
    let mut decimals: Option<u8> = None;
    for &b in t {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                match decimals {
                    Some(n) if n >= exponent => {
                        if d != 0 {
                            return None;
                        }
                        decimals = Some(n + 1);
                    }
                    Some(n) => {
                        minor = minor * 10 + d;
                        decimals = Some(n + 1);
                    }
                    None => minor = minor * 10 + d,
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    let used = decimals.unwrap_or(0).min(exponent);
    if decimals == Some(0) && t.len() == 1 {
        return None;
    }
    minor.checked_mul(10i64.checked_pow(u32::from(exponent - used))?)
}

pub fn read_currency<R: BufRead>(
    r: &mut GuardedReader<R>,
    local: &str,
) -> Result<Currency, StatementError> {
    let text = r.text()?;
    Currency::from_code(text.trim())
        .map_err(|e| StatementError::invalid(e.code(), at(r, local), e.to_string()))
}

/// CRDT is true, DBIT false.
pub fn read_indicator<R: BufRead>(
    r: &mut GuardedReader<R>,
    local: &str,
) -> Result<bool, StatementError> {
    let text = r.text()?;
    match text.trim() {
        "CRDT" => Ok(true),
        "DBIT" => Ok(false),
        other => Err(StatementError::invalid(
            "credit_debit_indicator_invalid",
            at(r, local),
            format!("'{other}' is neither CRDT nor DBIT"),
        )),
    }
}

/// A date, or the date part of a date-time as written (its own offset: the
/// bank's local day, which is the day the bank booked it). Lenient on
/// purpose: some banks put a date-time in a Dt element.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let day = t.get(..10)?;
    let rest = &t[10..];
    if !(rest.is_empty()
        || rest.starts_with('T')
        || rest.starts_with('Z')
        || rest.starts_with('+')
        || rest.starts_with('-'))
    {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

pub fn read_date<R: BufRead>(
    r: &mut GuardedReader<R>,
    local: &str,
) -> Result<NaiveDate, StatementError> {
    let text = r.text()?;
    parse_date(&text).ok_or_else(|| {
        StatementError::invalid(
            "date_invalid",
            at(r, local),
            format!(
                "'{}' is not a date",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// A date choice element (BookgDt, ValDt, Bal/Dt): Dt or DtTm inside.
pub fn read_date_choice<R: BufRead>(
    r: &mut GuardedReader<R>,
) -> Result<Option<NaiveDate>, StatementError> {
    let mut date = None;
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        match c.as_str() {
            "Dt" | "DtTm" => date = Some(read_date(r, &c)?),
            _ => r.skip()?,
        }
    }
    Ok(date)
}

pub fn negate<R: BufRead>(m: Money, r: &GuardedReader<R>) -> Result<Money, StatementError> {
    m.checked_neg()
        .map_err(|e| StatementError::invalid(e.code(), r.path(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_amounts_in_minor_units() {
        // EUR (2): "18.150" is 1815 (a trailing zero), "8.85" 885, "7" 700,
        // "0.5" 50; "18.155" and "-1" go to the decimal parser.
        assert_eq!(plain_minor("18.150", 2), Some(1815));
        assert_eq!(plain_minor("8.85", 2), Some(885));
        assert_eq!(plain_minor("7", 2), Some(700));
        assert_eq!(plain_minor("0.5", 2), Some(50));
        assert_eq!(plain_minor("18.155", 2), None);
        assert_eq!(plain_minor("-1", 2), None);
        assert_eq!(plain_minor(".", 2), None);
        // JPY (0): "2700" is 2700; RON "5442.09000" is 544209.
        assert_eq!(plain_minor("2700", 0), Some(2700));
        assert_eq!(plain_minor("5442.09000", 2), Some(544_209));
    }

    #[test]
    fn dates_are_read_leniently() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(parse_date("2014-12-30"), Some(d("2014-12-30")));
        // A date-time with nanoseconds in a Dt (genkgo's only-Dt-with-DtTm file).
        assert_eq!(
            parse_date("2025-07-23T00:00:00.000000000"),
            Some(d("2025-07-23"))
        );
        assert_eq!(
            parse_date("2014-12-31T13:15:00+01:00"),
            Some(d("2014-12-31"))
        );
        assert_eq!(parse_date("2014-13-31"), None);
        assert_eq!(parse_date("2014-12-3"), None);
        assert_eq!(parse_date("2014-12-301"), None);
    }
}
