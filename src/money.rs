//! Money: integer minor units with an ISO 4217 currency, checked arithmetic,
//! and the one rounding function every computed amount goes through.
//!
//! Amounts never float. A rate or percentage is a [`Decimal`]; applying it to
//! an amount gives an exact decimal that [`round_to_minor`] rounds once.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Errors of money arithmetic and parsing. Never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency '{0}': expected an active ISO 4217 code such as EUR")]
    UnknownCurrency(String),
    #[error("currency mismatch: {0} and {1} cannot be combined")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
    #[error("amount '{value}' has more decimals than {currency} allows ({exponent})")]
    OverPrecise {
        value: String,
        currency: Currency,
        exponent: u8,
    },
    #[error("'{0}' is not a decimal amount")]
    InvalidAmount(String),
}

impl ErrorCode for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            MoneyError::UnknownCurrency(_) => "currency_unknown",
            MoneyError::CurrencyMismatch(..) => "currency_mismatch",
            MoneyError::Overflow => "amount_overflow",
            MoneyError::OverPrecise { .. } => "amount_over_precise",
            MoneyError::InvalidAmount(_) => "amount_invalid",
        }
    }
}

/// Active ISO 4217 codes with their minor-unit exponent. Codes without a
/// minor unit (precious metals, testing codes, XSU/XUA) are not money we book.
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SLL", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
    ("ZWL", 2),
];

/// An ISO 4217 currency: its three-letter code and minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

impl Currency {
    pub const EUR: Currency = Currency {
        code: *b"EUR",
        exponent: 2,
    };

    /// Looks a code up in the ISO 4217 table (case-sensitive, as the standard).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        ISO_4217
            .binary_search_by(|(c, _)| (*c).cmp(code))
            .map(|i| {
                let (c, exponent) = ISO_4217[i];
                let b = c.as_bytes();
                Currency {
                    code: [b[0], b[1], b[2]],
                    exponent,
                }
            })
            .map_err(|_| MoneyError::UnknownCurrency(code.chars().take(16).collect()))
    }

    pub fn code(&self) -> &str {
        // The table holds ASCII only.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of decimals of the minor unit (EUR 2, JPY 0, KWD 3).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::from_code(&s).map_err(serde::de::Error::custom)
    }
}

/// How a computed amount is brought to minor units. The house default is
/// half away from zero; a contract may say otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    #[default]
    HalfAwayFromZero,
    HalfEven,
    TowardZero,
    AwayFromZero,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::TowardZero => RoundingStrategy::ToZero,
            Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
        }
    }
}

/// The one rounding function: a decimal amount in major units to minor units.
pub fn round_to_minor(
    value: Decimal,
    currency: Currency,
    rounding: Rounding,
) -> Result<i64, MoneyError> {
    let rounded = value.round_dp_with_strategy(u32::from(currency.exponent()), rounding.strategy());
    let scaled = rounded
        .checked_mul(Decimal::from(10i64.pow(u32::from(currency.exponent()))))
        .ok_or(MoneyError::Overflow)?;
    scaled.to_i64().ok_or(MoneyError::Overflow)
}

/// An amount of money: signed integer minor units in one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Sum of amounts that must all be in `currency`.
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        items: I,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<std::cmp::Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.minor.cmp(&other.minor))
    }

    /// The exact amount in major units (12.34 for 1234 EUR cents).
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, u32::from(self.currency.exponent()))
    }

    /// Exact conversion of a decimal amount: refuses more decimals than the
    /// currency has (an over-precise amount is an input error, not rounded).
    pub fn from_decimal_exact(value: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let normalized = value.normalize();
        if normalized.scale() > u32::from(currency.exponent()) {
            return Err(MoneyError::OverPrecise {
                value: value.to_string(),
                currency,
                exponent: currency.exponent(),
            });
        }
        round_to_minor(value, currency, Rounding::HalfAwayFromZero).map(|m| Money::new(m, currency))
    }

    /// Parses "1234.5", "-0.10", "1234" into an exact amount. No thousands
    /// separators, no exponent notation: formats with those are read by the
    /// format's own reader.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let well_formed = !trimmed.is_empty()
            && trimmed.len() <= 40
            && trimmed
                .trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
            && trimmed.chars().filter(|c| *c == '.').count() <= 1
            && trimmed
                .trim_start_matches(['-', '+'])
                .chars()
                .any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(MoneyError::InvalidAmount(text.chars().take(40).collect()));
        }
        let value = Decimal::from_str_exact(trimmed).map_err(|_| MoneyError::Overflow)?;
        Money::from_decimal_exact(value, currency)
    }

    /// `self × rate`, rounded once to minor units.
    pub fn apply_rate(&self, rate: Decimal, rounding: Rounding) -> Result<Money, MoneyError> {
        let exact = self
            .to_decimal()
            .checked_mul(rate)
            .ok_or(MoneyError::Overflow)?;
        round_to_minor(exact, self.currency, rounding).map(|m| Money::new(m, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// JSON shape of an amount: `{"amount": "12.34", "currency": "EUR"}`; the
/// amount is a string so no client parses it as a float.
#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyRepr {
            amount: self.to_decimal().to_string(),
            currency: self.currency.code().to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = MoneyRepr::deserialize(d)?;
        let currency = Currency::from_code(&repr.currency).map_err(serde::de::Error::custom)?;
        Money::parse(&repr.amount, currency).map_err(serde::de::Error::custom)
    }
}

/// Formats minor units as a decimal string with the currency's exponent and
/// the given decimal separator (FEC uses a comma).
pub fn format_minor(minor: i64, exponent: u8, separator: char) -> String {
    let value = Decimal::new(minor, u32::from(exponent));
    let text = format!("{:.*}", usize::from(exponent), value);
    if separator == '.' {
        text
    } else {
        text.replace('.', &separator.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::EUR
    }

    #[test]
    fn table_is_sorted_so_binary_search_finds_every_code() {
        assert!(ISO_4217.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, exponent) in ISO_4217 {
            assert_eq!(Currency::from_code(code).unwrap().exponent(), *exponent);
        }
    }

    #[test]
    fn exponents_follow_the_standard() {
        assert_eq!(Currency::from_code("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::from_code("CLF").unwrap().exponent(), 4);
    }

    #[test]
    fn unknown_and_lowercase_codes_are_refused() {
        assert_eq!(
            Currency::from_code("EUX").unwrap_err().code(),
            "currency_unknown"
        );
        assert!(Currency::from_code("eur").is_err());
        assert!(Currency::from_code("XAU").is_err());
        assert!(Currency::from_code("").is_err());
    }

    #[test]
    fn parse_refuses_over_precise_amounts() {
        assert_eq!(Money::parse("12.34", eur()).unwrap().minor(), 1234);
        assert_eq!(Money::parse("12.340", eur()).unwrap().minor(), 1234);
        let err = Money::parse("12.345", eur()).unwrap_err();
        assert_eq!(err.code(), "amount_over_precise");
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(Money::parse("1500", jpy).unwrap().minor(), 1500);
        assert!(Money::parse("1500.5", jpy).is_err());
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(Money::parse("1.005", kwd).unwrap().minor(), 1005);
    }

    #[test]
    fn parse_refuses_garbage() {
        for bad in [
            "",
            "abc",
            "1,5",
            "1e5",
            "--1",
            "1.2.3",
            ".",
            "-",
            "99999999999999999999999999999",
        ] {
            assert!(Money::parse(bad, eur()).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn mixed_currencies_are_an_error() {
        let usd = Currency::from_code("USD").unwrap();
        let err = Money::new(1, eur())
            .checked_add(Money::new(1, usd))
            .unwrap_err();
        assert_eq!(err.code(), "currency_mismatch");
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert_eq!(
            Money::new(i64::MAX, eur())
                .checked_add(Money::new(1, eur()))
                .unwrap_err(),
            MoneyError::Overflow
        );
        assert_eq!(
            Money::new(i64::MIN, eur()).checked_neg().unwrap_err(),
            MoneyError::Overflow
        );
        assert_eq!(
            Money::new(i64::MAX, eur())
                .apply_rate(dec!(2), Rounding::default())
                .unwrap_err(),
            MoneyError::Overflow
        );
    }

    #[test]
    fn rounding_modes_on_midpoints() {
        // 0.125 EUR: half away -> 0.13, half even -> 0.12, toward zero -> 0.12
        assert_eq!(
            round_to_minor(dec!(0.125), eur(), Rounding::HalfAwayFromZero).unwrap(),
            13
        );
        assert_eq!(
            round_to_minor(dec!(0.125), eur(), Rounding::HalfEven).unwrap(),
            12
        );
        assert_eq!(
            round_to_minor(dec!(0.125), eur(), Rounding::TowardZero).unwrap(),
            12
        );
        assert_eq!(
            round_to_minor(dec!(0.121), eur(), Rounding::AwayFromZero).unwrap(),
            13
        );
        assert_eq!(
            round_to_minor(dec!(-0.125), eur(), Rounding::HalfAwayFromZero).unwrap(),
            -13
        );
    }

    #[test]
    fn apply_rate_rounds_once() {
        // 90% of 1,000.01 EUR = 900.009 -> 900.01
        let advance = Money::new(100_001, eur())
            .apply_rate(dec!(0.90), Rounding::default())
            .unwrap();
        assert_eq!(advance.minor(), 90_001);
    }

    #[test]
    fn json_amounts_are_strings() {
        let json = serde_json::to_string(&Money::new(-1205, eur())).unwrap();
        assert_eq!(json, r#"{"amount":"-12.05","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Money::new(-1205, eur()));
    }

    #[test]
    fn format_minor_with_comma() {
        assert_eq!(format_minor(123456, 2, ','), "1234,56");
        assert_eq!(format_minor(-5, 2, ','), "-0,05");
        assert_eq!(format_minor(7, 0, ','), "7");
        assert_eq!(format_minor(0, 3, '.'), "0.000");
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a in any::<i64>(), b in any::<i64>()) {
            let (ma, mb) = (Money::new(a, eur()), Money::new(b, eur()));
            match ma.checked_add(mb) {
                Ok(sum) => prop_assert_eq!(sum.checked_sub(mb).unwrap(), ma),
                Err(e) => prop_assert_eq!(e, MoneyError::Overflow),
            }
        }

        #[test]
        fn add_is_commutative_and_matches_i128(a in any::<i64>(), b in any::<i64>()) {
            let exact = i128::from(a) + i128::from(b);
            let r1 = Money::new(a, eur()).checked_add(Money::new(b, eur()));
            let r2 = Money::new(b, eur()).checked_add(Money::new(a, eur()));
            prop_assert_eq!(r1.clone(), r2);
            prop_assert_eq!(r1.ok().map(|m| i128::from(m.minor())), i64::try_from(exact).ok().map(i128::from));
        }

        #[test]
        fn parse_display_round_trip(minor in -1_000_000_000_000i64..1_000_000_000_000i64, exp_idx in 0usize..3) {
            let currency = [Currency::from_code("JPY").unwrap(), eur(), Currency::from_code("KWD").unwrap()][exp_idx];
            let m = Money::new(minor, currency);
            prop_assert_eq!(Money::parse(&m.to_decimal().to_string(), currency).unwrap(), m);
        }

        #[test]
        fn rounding_error_is_at_most_half_a_minor_unit(units in -1_000_000_000i64..1_000_000_000i64, frac in 0u32..1000) {
            // value = units/100 + frac/100000
            let value = Decimal::new(units, 2) + Decimal::new(i64::from(frac), 5);
            let minor = round_to_minor(value, eur(), Rounding::HalfAwayFromZero).unwrap();
            let diff = (Decimal::new(minor, 2) - value).abs();
            prop_assert!(diff <= dec!(0.005));
            let toward = round_to_minor(value, eur(), Rounding::TowardZero).unwrap();
            prop_assert!(Decimal::new(toward, 2).abs() <= value.abs());
        }

        #[test]
        fn apply_rate_of_one_is_identity(minor in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let m = Money::new(minor, eur());
            prop_assert_eq!(m.apply_rate(Decimal::ONE, Rounding::default()).unwrap(), m);
        }
    }
}
