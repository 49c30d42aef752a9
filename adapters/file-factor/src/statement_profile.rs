//! The statement half of a profile: where each field of the factor's
//! statement file is (a CSV column or a fixed-width span), and the checks
//! its values must pass when the profile is loaded.

use std::collections::BTreeMap;

use factorgate_adapter::FactorMovementKind;
use serde::Deserialize;

use crate::profile::{check_date_format, default_date_format, default_delimiter, Decimal, Format};

fn default_memo_kinds() -> Vec<FactorMovementKind> {
    vec![FactorMovementKind::Collection]
}

fn two() -> u32 {
    2
}

/// Where a statement field is: a CSV column by name, or a fixed-width span.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Locator {
    Column(String),
    Span { at: usize, len: usize },
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Locator::Column(name) => write!(f, "column '{name}'"),
            Locator::Span { at, len } => write!(f, "positions {at}-{}", at + len - 1),
        }
    }
}

/// An amount: its digits, and where its sign is when written apart
/// ("+"/"-"; a blank sign is "+").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountField {
    pub value: Locator,
    #[serde(default)]
    pub sign: Option<Locator>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementProfile {
    pub format: Format,
    /// Statement files are the inbox files with this prefix and suffix.
    #[serde(default)]
    pub file_prefix: String,
    pub file_suffix: String,
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    pub decimal: Decimal,
    pub currency: String,
    #[serde(default = "two")]
    pub currency_exponent: u32,
    /// Fixed width: every record has exactly this many characters.
    #[serde(default)]
    pub record_length: Option<usize>,
    /// The factor writes amounts from its side: flip them to ours (467).
    #[serde(default)]
    pub invert_sign: bool,
    /// Kinds listed but outside the balance (a buyer's payment to the
    /// factor changes nothing in our 467 account).
    #[serde(default = "default_memo_kinds")]
    pub memo_kinds: Vec<FactorMovementKind>,
    /// The field that says what a record is.
    pub record: Locator,
    pub header_records: Vec<String>,
    pub trailer_records: Vec<String>,
    /// Line record codes; empty: every record neither header nor trailer.
    #[serde(default)]
    pub line_records: Vec<String>,
    pub header: StatementHeader,
    pub trailer: StatementTrailer,
    pub line: StatementLineFields,
    /// The factor's operation codes to our movement kinds; a code not
    /// listed reads as `other`, left for a person.
    pub kinds: BTreeMap<String, FactorMovementKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementHeader {
    pub statement_id: Locator,
    #[serde(default)]
    pub contract_number: Option<Locator>,
    #[serde(default)]
    pub issued_on: Option<Locator>,
    pub opening_balance: AmountField,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementTrailer {
    #[serde(default)]
    pub issued_on: Option<Locator>,
    pub closing_balance: AmountField,
    /// The number of line records, when the trailer gives it.
    #[serde(default)]
    pub line_count: Option<Locator>,
    #[serde(default)]
    pub totals: Vec<TrailerTotal>,
}

/// A trailer's count and total (unsigned sum) of some line records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailerTotal {
    pub records: Vec<String>,
    #[serde(default)]
    pub count: Option<Locator>,
    #[serde(default)]
    pub total: Option<Locator>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementLineFields {
    /// The factor's operation code, looked up in `kinds`.
    pub kind: Locator,
    pub entry_reference: Locator,
    pub booked_on: Locator,
    #[serde(default)]
    pub value_date: Option<Locator>,
    pub amount: AmountField,
    #[serde(default)]
    pub assignment_number: Option<Locator>,
    #[serde(default)]
    pub invoice_number: Option<Locator>,
    #[serde(default)]
    pub text: Option<Locator>,
}

impl StatementProfile {
    /// The CSV columns this profile reads.
    pub fn column_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.for_each_locator(|_, l| {
            if let Locator::Column(name) = l {
                out.push(name.as_str());
            }
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    fn for_each_locator<'a>(&'a self, mut f: impl FnMut(&'static str, &'a Locator)) {
        let h = &self.header;
        let t = &self.trailer;
        let l = &self.line;
        let required: [(&'static str, &'a Locator); 8] = [
            ("statement.record", &self.record),
            ("statement.header.statement_id", &h.statement_id),
            (
                "statement.header.opening_balance.value",
                &h.opening_balance.value,
            ),
            (
                "statement.trailer.closing_balance.value",
                &t.closing_balance.value,
            ),
            ("statement.line.kind", &l.kind),
            ("statement.line.entry_reference", &l.entry_reference),
            ("statement.line.booked_on", &l.booked_on),
            ("statement.line.amount.value", &l.amount.value),
        ];
        let optional: [(&'static str, &'a Option<Locator>); 11] = [
            ("statement.header.contract_number", &h.contract_number),
            ("statement.header.issued_on", &h.issued_on),
            (
                "statement.header.opening_balance.sign",
                &h.opening_balance.sign,
            ),
            ("statement.trailer.issued_on", &t.issued_on),
            (
                "statement.trailer.closing_balance.sign",
                &t.closing_balance.sign,
            ),
            ("statement.trailer.line_count", &t.line_count),
            ("statement.line.value_date", &l.value_date),
            ("statement.line.amount.sign", &l.amount.sign),
            ("statement.line.assignment_number", &l.assignment_number),
            ("statement.line.invoice_number", &l.invoice_number),
            ("statement.line.text", &l.text),
        ];
        for (key, locator) in required {
            f(key, locator);
        }
        for (key, locator) in optional {
            if let Some(locator) = locator {
                f(key, locator);
            }
        }
        for total in &t.totals {
            if let Some(l) = &total.count {
                f("statement.trailer.totals.count", l);
            }
            if let Some(l) = &total.total {
                f("statement.trailer.totals.total", l);
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        check_date_format("statement.date_format", &self.date_format)?;
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "statement.currency '{}': expected an ISO 4217 code",
                self.currency
            ));
        }
        if self.header_records.is_empty() || self.trailer_records.is_empty() {
            return Err("statement: missing field: header_records and trailer_records name the records holding the balances".into());
        }
        if self.header.issued_on.is_none() && self.trailer.issued_on.is_none() {
            return Err("statement: missing field: issued_on (in header or trailer)".into());
        }
        let mut locators = Vec::new();
        self.for_each_locator(|key, locator| locators.push((key, locator)));
        for (key, locator) in locators {
            match (self.format, locator) {
                (Format::Csv, Locator::Column(name)) if !name.is_empty() => {}
                (Format::Fixed, Locator::Span { at, len }) if *at > 0 && *len > 0 => {}
                (Format::Csv, _) => return Err(format!("{key}: a csv statement names a column")),
                (Format::Fixed, _) => {
                    return Err(format!(
                        "{key}: a fixed-width statement gives {{ at, len }} (at from 1)"
                    ))
                }
            }
        }
        Ok(())
    }
}
