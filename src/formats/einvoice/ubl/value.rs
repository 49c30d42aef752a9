//! Values of UBL elements: xs:decimal amounts and xs:date dates, read
//! strictly, with the element's path and the offending text on failure.

use std::io::BufRead;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::formats::einvoice::value::clip;
use crate::formats::einvoice::DocumentError;
use crate::formats::xml::GuardedReader;

/// An xs:decimal, surrounding blanks allowed (see [`crate::formats::einvoice::value::parse_decimal`]).
pub fn parse_decimal(text: &str) -> Result<Decimal, &'static str> {
    crate::formats::einvoice::value::parse_decimal(text.trim())
}

fn echo(text: &str) -> String {
    format!("\"{}\"", clip(text))
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
