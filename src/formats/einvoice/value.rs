//! Values as e-invoice syntaxes write them, read strictly (shared by the
//! UBL and CII readers).

use std::str::FromStr;

use rust_decimal::Decimal;

/// Decimal holds 28 significant digits exactly; more would be rounded.
const MAX_DIGITS: usize = 28;
/// How much of a bad value an error message repeats.
const ECHO_CHARS: usize = 40;

/// Cuts untrusted text echoed in an error message.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// An xs:decimal: optional sign, digits, optional fraction. No exponent,
/// no digit separators (which `Decimal::from_str` would accept), and no
/// more digits than a Decimal holds exactly. No surrounding blanks either:
/// the guarded reader trims element text.
pub fn parse_decimal(s: &str) -> Result<Decimal, &'static str> {
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
