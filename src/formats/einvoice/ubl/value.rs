//! Values of UBL elements: xs:decimal amounts and xs:date dates, read
//! strictly, with the element's path and the offending text on failure.

use std::io::BufRead;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::formats::einvoice::DocumentError;
use crate::formats::xml::GuardedReader;

/// Decimal holds 28 significant digits exactly; more would be rounded.
const MAX_DIGITS: usize = 28;
/// How much of a bad value an error message repeats.
const ECHO_CHARS: usize = 40;

fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("\"{}…\"", &text[..cut]),
        None => format!("\"{text}\""),
    }
}

/// The decimal value of the element just started.
pub(super) fn amount<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Decimal, DocumentError> {
    let path = r.path();
    let text = r.text()?;
    parse_decimal(&text)
        .map_err(|why| DocumentError::malformed(path, format!("{} {why}", echo(&text))))
}

/// The date of the element just started.
pub(super) fn date<R: BufRead>(r: &mut GuardedReader<R>) -> Result<NaiveDate, DocumentError> {
    let path = r.path();
    let text = r.text()?;
    parse_date(&text).ok_or_else(|| {
        DocumentError::malformed(path, format!("{} is not a date (YYYY-MM-DD)", echo(&text)))
    })
}

/// An xs:decimal: optional sign, digits, optional fraction. No exponent,
/// no digit separators (which `Decimal::from_str` would accept), and no
/// more digits than a Decimal holds exactly.
pub fn parse_decimal(text: &str) -> Result<Decimal, &'static str> {
    let s = text.trim();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err("is not a decimal number");
    }
    if int.trim_start_matches('0').len() + frac.len() > MAX_DIGITS {
        return Err("has more digits than an amount can hold");
    }
    Decimal::from_str(s).map_err(|_| "is not a decimal number")
}

/// YYYY-MM-DD exactly (UBL dates carry no time zone in EN 16931).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 7)?, num(8, 10)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_and_dates_are_read_strictly() {
        assert_eq!(parse_decimal(" -1656.25 ").unwrap().to_string(), "-1656.25");
        assert_eq!(parse_decimal("100.00").unwrap().scale(), 2);
        assert_eq!(parse_decimal("+5").unwrap(), dec!(5));
        assert_eq!(parse_decimal(".5").unwrap(), dec!(0.5));
        let max = "9".repeat(28);
        assert!(parse_decimal(&max).is_ok());
        for bad in [
            "", "-", ".", "1e30", "1E3", "1_000", "1,5", "0x10", "1.2.3", "NaN", "٣",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?}");
        }
        assert!(parse_decimal(&"9".repeat(29)).is_err());
        assert!(parse_decimal(&format!("0.{}", "1".repeat(29))).is_err());
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "20240229",
            "2024-02-29Z",
            "2024-02-29T00:00",
            "yyyy-mm-dd",
            "2024−02−29",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
