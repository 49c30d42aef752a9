//! Amounts, fixed-width fields and encodings, as text both ways.

use crate::profile::{Align, Decimal, Encoding};

/// `minor` written as the profile says: "120050", "1200.50" or "1200,50";
/// a negative amount starts with '-'.
pub fn format_amount(minor: i64, exponent: u32, decimal: Decimal) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let digits = minor.unsigned_abs().to_string();
    let separator = match decimal {
        Decimal::Minor => return format!("{sign}{digits}"),
        Decimal::Point => '.',
        Decimal::Comma => ',',
    };
    let exponent = exponent as usize;
    if exponent == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (units, cents) = padded.split_at(padded.len() - exponent);
    format!("{sign}{units}{separator}{cents}")
}

/// Reads an amount exactly, in minor units: more decimals than the
/// currency has, a thousands separator or a stray character is refused.
pub fn parse_amount(text: &str, exponent: u32, decimal: Decimal) -> Result<i64, String> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let not_amount = || format!("'{text}' is not an amount");
    if body.is_empty() {
        return Err(not_amount());
    }
    let (units, fraction) = match decimal {
        Decimal::Minor => (body, ""),
        Decimal::Point => body.split_once('.').unwrap_or((body, "")),
        Decimal::Comma => body.split_once(',').unwrap_or((body, "")),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !all_digits(units) || !all_digits(fraction) {
        return Err(not_amount());
    }
    let fraction = fraction.trim_end_matches('0');
    let exponent = exponent as usize;
    if decimal != Decimal::Minor && fraction.len() > exponent {
        return Err(format!("'{text}' has more decimals than the currency"));
    }
    let digits = if decimal == Decimal::Minor {
        units.to_string()
    } else {
        format!("{units}{fraction:0<exponent$}")
    };
    let value: i64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is out of range"))?;
    Ok(if negative { -value } else { value })
}

/// A sign field: "+", "-" or blank (plus); also "C" credit / "D" debit.
pub fn parse_sign(text: &str) -> Result<i64, String> {
    match text.trim() {
        "" | "+" | "C" => Ok(1),
        "-" | "D" => Ok(-1),
        other => Err(format!("sign '{other}': expected '+' or '-'")),
    }
}

/// `value` fitted to `len` characters: padded on the side away from its
/// alignment, cut only when `truncate` allows it.
pub fn fit(
    value: &str,
    len: usize,
    align: Align,
    pad: char,
    truncate: bool,
) -> Result<String, String> {
    let count = value.chars().count();
    if count > len {
        if !truncate {
            return Err(format!("'{value}' is {count} characters, the field {len}"));
        }
        return Ok(value.chars().take(len).collect());
    }
    let fill = pad.to_string().repeat(len - count);
    Ok(match align {
        Align::Left => format!("{value}{fill}"),
        Align::Right => format!("{fill}{value}"),
    })
}

pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        // Characters outside Latin-1 become '?': the factor reads bytes.
        Encoding::Latin1 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
    }
}

/// UTF-8 when the bytes are, else Latin-1 (every byte is a character).
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_the_profile_style() {
        // 1 200 050 cents = 12000.50; 5 cents = 0.05.
        assert_eq!(format_amount(1_200_050, 2, Decimal::Comma), "12000,50");
        assert_eq!(format_amount(-5, 2, Decimal::Point), "-0.05");
        assert_eq!(format_amount(120_050, 2, Decimal::Minor), "120050");
        assert_eq!(format_amount(7, 0, Decimal::Comma), "7");
    }

    #[test]
    fn amounts_are_read_exactly_or_refused() {
        assert_eq!(parse_amount("12000,5", 2, Decimal::Comma), Ok(1_200_050));
        assert_eq!(parse_amount("-0.05", 2, Decimal::Point), Ok(-5));
        assert_eq!(
            parse_amount("000000000120050", 2, Decimal::Minor),
            Ok(120_050)
        );
        assert_eq!(parse_amount("12.000", 2, Decimal::Point), Ok(1200));
        assert!(parse_amount("12.345", 2, Decimal::Point).is_err());
        assert!(parse_amount("1 200,00", 2, Decimal::Comma).is_err());
        assert!(parse_amount("", 2, Decimal::Minor).is_err());
        assert!(parse_amount("12a", 2, Decimal::Minor).is_err());
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        for minor in [0, 5, -5, 120_050, -1_200_050, 99_999_999_999] {
            for decimal in [Decimal::Minor, Decimal::Point, Decimal::Comma] {
                let text = format_amount(minor, 2, decimal);
                assert_eq!(parse_amount(&text, 2, decimal), Ok(minor), "{text}");
            }
        }
    }

    #[test]
    fn fields_are_padded_or_refused_when_too_long() {
        assert_eq!(fit("42", 5, Align::Right, '0', false).unwrap(), "00042");
        assert_eq!(fit("AB", 4, Align::Left, ' ', false).unwrap(), "AB  ");
        assert_eq!(fit("ABCDEF", 4, Align::Left, ' ', true).unwrap(), "ABCD");
        assert!(fit("ABCDEF", 4, Align::Left, ' ', false).is_err());
    }

    #[test]
    fn latin1_goes_out_and_comes_back() {
        let bytes = encode("Société", Encoding::Latin1);
        assert_eq!(bytes.len(), 7, "one byte per character");
        assert_eq!(decode(&bytes), "Société");
        assert_eq!(decode("Société".as_bytes()), "Société");
    }
}
