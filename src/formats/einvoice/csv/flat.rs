//! One invoice as a flat record of text values, the shape the CSV row and
//! the JSON object share, and its one mapping to [`EInvoice`]: both formats
//! get the same defaults, checks and error messages.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::formats::einvoice::model::{EInvoice, Line, Party, SchemedId, Syntax};
use crate::formats::einvoice::DocumentError;

macro_rules! columns {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A column of the invoice CSV, which is also a field of the invoice JSON.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Column { $($variant),* }

        impl Column {
            /// Every column, in documented order.
            pub const ALL: &'static [Column] = &[$(Column::$variant),*];

            /// The column / field name.
            pub fn name(self) -> &'static str {
                match self { $(Column::$variant => $name),* }
            }
        }

        /// The column names, in documented order.
        pub(super) const NAMES: &[&str] = &[$($name),*];
    };
}

columns! {
    SellerVat => "seller_vat",
    SellerSiren => "seller_siren",
    SellerName => "seller_name",
    Number => "number",
    TypeCode => "type_code",
    IssueDate => "issue_date",
    DueDate => "due_date",
    PaymentTerms => "payment_terms",
    Currency => "currency",
    BuyerName => "buyer_name",
    BuyerCountry => "buyer_country",
    BuyerVat => "buyer_vat",
    BuyerSiren => "buyer_siren",
    BuyerSiret => "buyer_siret",
    BuyerGln => "buyer_gln",
    BuyerDuns => "buyer_duns",
    BuyerLei => "buyer_lei",
    LineTotal => "line_total",
    Allowances => "allowances",
    Charges => "charges",
    Net => "net",
    Tax => "tax",
    Gross => "gross",
    Prepaid => "prepaid",
    Rounding => "rounding",
    Payable => "payable",
    BuyerReference => "buyer_reference",
    OrderReference => "order_reference",
    CreditedInvoice => "credited_invoice",
    PayeeName => "payee_name",
    PayeeVat => "payee_vat",
    PayeeSiren => "payee_siren",
    SellerIban => "seller_iban",
    Profile => "profile",
}

impl Column {
    /// The column with this name (ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// Columns every row must fill (and so every header must have); the
    /// seller needs one of `seller_vat` / `seller_siren` besides.
    pub const REQUIRED: &'static [Column] = &[
        Column::Number,
        Column::IssueDate,
        Column::Currency,
        Column::BuyerName,
        Column::Net,
        Column::Tax,
        Column::Gross,
    ];

    /// Amount columns: JSON may give them as numbers.
    pub fn is_amount(self) -> bool {
        matches!(
            self,
            Column::LineTotal
                | Column::Allowances
                | Column::Charges
                | Column::Net
                | Column::Tax
                | Column::Gross
                | Column::Prepaid
                | Column::Rounding
                | Column::Payable
        )
    }
}

/// A line given explicitly (JSON only): its id and net amount as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatLine {
    pub id: String,
    pub net_amount: String,
}

/// How values are written: decimal separator and date format.
#[derive(Debug, Clone)]
pub struct ValueStyle {
    /// Decimal comma, with `.` or spaces as thousands separators.
    pub decimal_comma: bool,
    /// chrono strftime format of dates.
    pub date_format: String,
}

impl Default for ValueStyle {
    fn default() -> Self {
        ValueStyle {
            decimal_comma: false,
            date_format: "%Y-%m-%d".into(),
        }
    }
}

/// One invoice as text values by column; an empty value is an absent one.
/// Buffers are kept across [`FlatInvoice::clear`] so a reader can reuse one
/// record for millions of rows.
#[derive(Debug, Clone)]
pub struct FlatInvoice {
    values: Vec<String>,
    pub lines: Vec<FlatLine>,
}

impl Default for FlatInvoice {
    fn default() -> Self {
        FlatInvoice {
            values: vec![String::new(); Column::ALL.len()],
            lines: Vec::new(),
        }
    }
}

/// A bad value, quoted and shortened so an error message stays readable.
fn shown(value: &str) -> String {
    let mut s: String = value.chars().take(64).collect();
    if s.len() < value.len() {
        s.push('…');
    }
    format!("{s:?}")
}

impl FlatInvoice {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.values.iter_mut().for_each(String::clear);
        self.lines.clear();
    }

    /// Sets a column to the trimmed value (empty = absent).
    pub fn set(&mut self, column: Column, value: &str) {
        let slot = &mut self.values[column as usize];
        slot.clear();
        slot.push_str(value.trim());
    }

    /// The column's value, None when absent or blank.
    pub fn get(&self, column: Column) -> Option<&str> {
        let v = self.values[column as usize].as_str();
        (!v.is_empty()).then_some(v)
    }

    /// The document this record states. `place` turns a column or field
    /// name into the error path (`line 4, column net`, `invoice 2, field net`).
    ///
    /// Defaults: `type_code` 380; `profile` the syntax name ("csv", "json");
    /// `line_total` the sum of the given lines, else net + allowances -
    /// charges; `payable` gross - prepaid + rounding. Without explicit
    /// lines, ONE line (id "1", net = line_total) is synthesised: the flat
    /// formats carry no line detail, yet EN 16931 (BR-16) wants a line, and
    /// this way BR-16 and BR-CO-10 hold by construction.
    pub fn to_einvoice(
        &self,
        syntax: Syntax,
        style: &ValueStyle,
        place: &dyn Fn(&str) -> String,
    ) -> Result<EInvoice, DocumentError> {
        let bad = |c: Column, message: String| DocumentError::malformed(place(c.name()), message);
        let text = |c: Column| self.get(c).map(str::to_string);
        let required = |c: Column| {
            self.get(c)
                .ok_or_else(|| bad(c, format!("{} is required", c.name())))
        };
        let amount = |c: Column| -> Result<Option<Decimal>, DocumentError> {
            self.get(c)
                .map(|v| parse_amount(v, style.decimal_comma).map_err(|m| bad(c, m)))
                .transpose()
        };
        let date = |c: Column| -> Result<Option<NaiveDate>, DocumentError> {
            self.get(c)
                .map(|v| {
                    NaiveDate::parse_from_str(v, &style.date_format).map_err(|_| {
                        bad(
                            c,
                            format!("{} is not a date as {}", shown(v), style.date_format),
                        )
                    })
                })
                .transpose()
        };
        let code = |c: Column, len: usize, what: &str| -> Result<Option<String>, DocumentError> {
            match self.get(c) {
                Some(v) if v.len() == len && v.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    Ok(Some(v.to_ascii_uppercase()))
                }
                Some(v) => Err(bad(c, format!("{} is not {what}", shown(v)))),
                None => Ok(None),
            }
        };
        let digits = |c: Column, len: usize, what: &str| -> Result<Option<String>, DocumentError> {
            match self.get(c) {
                Some(v) => {
                    let d: String = v.chars().filter(|ch| !ch.is_whitespace()).collect();
                    if d.len() == len && d.bytes().all(|b| b.is_ascii_digit()) {
                        Ok(Some(d))
                    } else {
                        Err(bad(c, format!("{} is not {what}", shown(v))))
                    }
                }
                None => Ok(None),
            }
        };
        let schemed = |value: String, scheme: &str| SchemedId {
            value,
            scheme: Some(scheme.to_string()),
        };

        let mut doc = EInvoice::empty(syntax);
        doc.profile = Some(text(Column::Profile).unwrap_or_else(|| syntax.as_str().to_string()));
        doc.number = required(Column::Number)?.to_string();
        doc.type_code = match self.get(Column::TypeCode) {
            None => "380".to_string(),
            Some(v) if (1..=3).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) => {
                v.to_string()
            }
            Some(v) => {
                return Err(bad(
                    Column::TypeCode,
                    format!("{} is not an UNTDID 1001 code such as 380", shown(v)),
                ))
            }
        };
        required(Column::IssueDate)?;
        doc.issue_date = date(Column::IssueDate)?;
        doc.due_date = date(Column::DueDate)?;
        doc.payment_terms = text(Column::PaymentTerms);
        required(Column::Currency)?;
        doc.currency = code(Column::Currency, 3, "an ISO 4217 currency code")?.unwrap_or_default();
        doc.buyer_reference = text(Column::BuyerReference);
        doc.order_reference = text(Column::OrderReference);
        doc.billing_references = text(Column::CreditedInvoice).into_iter().collect();

        if self.get(Column::SellerVat).is_none() && self.get(Column::SellerSiren).is_none() {
            return Err(bad(
                Column::SellerVat,
                "seller_vat or seller_siren is required".into(),
            ));
        }
        doc.seller = Party {
            name: text(Column::SellerName).unwrap_or_default(),
            vat_id: text(Column::SellerVat),
            legal_id: digits(Column::SellerSiren, 9, "a SIREN (9 digits)")?
                .map(|v| schemed(v, "0002")),
            ..Party::default()
        };

        let mut buyer = Party {
            name: required(Column::BuyerName)?.to_string(),
            country: code(
                Column::BuyerCountry,
                2,
                "an ISO 3166-1 alpha-2 country code",
            )?,
            vat_id: text(Column::BuyerVat),
            ..Party::default()
        };
        let siren = digits(Column::BuyerSiren, 9, "a SIREN (9 digits)")?;
        let siret = digits(Column::BuyerSiret, 14, "a SIRET (14 digits)")?;
        match (siren, siret) {
            (Some(siren), Some(siret)) => {
                buyer.legal_id = Some(schemed(siret, "0009"));
                buyer.ids.push(schemed(siren, "0002"));
            }
            (Some(siren), None) => buyer.legal_id = Some(schemed(siren, "0002")),
            (None, Some(siret)) => buyer.legal_id = Some(schemed(siret, "0009")),
            (None, None) => {}
        }
        for (c, scheme) in [
            (Column::BuyerGln, "0088"),
            (Column::BuyerDuns, "0060"),
            (Column::BuyerLei, "0199"),
        ] {
            if let Some(v) = text(c) {
                buyer.ids.push(schemed(v, scheme));
            }
        }
        doc.buyer = buyer;

        if [Column::PayeeName, Column::PayeeVat, Column::PayeeSiren]
            .iter()
            .any(|c| self.get(*c).is_some())
        {
            doc.payee = Some(Party {
                name: text(Column::PayeeName).unwrap_or_default(),
                vat_id: text(Column::PayeeVat),
                legal_id: digits(Column::PayeeSiren, 9, "a SIREN (9 digits)")?
                    .map(|v| schemed(v, "0002")),
                ..Party::default()
            });
        }
        if let Some(iban) = self.get(Column::SellerIban) {
            let iban: String = iban
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            doc.payment_accounts.push(iban);
        }

        for (i, line) in self.lines.iter().enumerate() {
            let at = |field: &str| place(&format!("lines[{i}].{field}"));
            if line.id.trim().is_empty() {
                return Err(DocumentError::malformed(at("id"), "id is required"));
            }
            let net = parse_amount(line.net_amount.trim(), style.decimal_comma)
                .map_err(|m| DocumentError::malformed(at("net_amount"), m))?;
            doc.lines.push(Line {
                id: line.id.trim().to_string(),
                net_amount: net,
            });
        }

        let zero = Decimal::ZERO;
        let t = &mut doc.totals;
        required(Column::Net)?;
        required(Column::Tax)?;
        required(Column::Gross)?;
        t.tax_exclusive = amount(Column::Net)?;
        t.tax_total = amount(Column::Tax)?;
        t.tax_inclusive = amount(Column::Gross)?;
        t.allowances = amount(Column::Allowances)?;
        t.charges = amount(Column::Charges)?;
        t.prepaid = amount(Column::Prepaid)?;
        t.rounding = amount(Column::Rounding)?;
        let net = t.tax_exclusive.unwrap_or(zero);
        let gross = t.tax_inclusive.unwrap_or(zero);
        t.line_total = Some(match amount(Column::LineTotal)? {
            Some(v) => v,
            None if !doc.lines.is_empty() => doc.lines.iter().map(|l| l.net_amount).sum(),
            None => net + t.allowances.unwrap_or(zero) - t.charges.unwrap_or(zero),
        });
        t.payable = Some(match amount(Column::Payable)? {
            Some(v) => v,
            None => gross - t.prepaid.unwrap_or(zero) + t.rounding.unwrap_or(zero),
        });
        if doc.lines.is_empty() {
            doc.lines.push(Line {
                id: "1".into(),
                net_amount: t.line_total.unwrap_or(zero),
            });
        }
        Ok(doc)
    }
}

/// An amount as written: `[+-]digits[.digits]`, or with a decimal comma
/// `1.234,56` / `1 234,56` (thousands groups of three only, so `12.50` in a
/// decimal-comma file is refused rather than read as 1250). More than two
/// decimals (BR-DEC) or more digits than a decimal holds are refused here,
/// where the line and column are still known.
pub fn parse_amount(raw: &str, decimal_comma: bool) -> Result<Decimal, String> {
    let not_amount = || {
        let sep = if decimal_comma { "," } else { "." };
        format!(
            "{} is not an amount (digits with '{sep}' as decimal separator)",
            shown(raw)
        )
    };
    let (sign, body) = match raw.as_bytes().first() {
        Some(b'-') => ("-", &raw[1..]),
        Some(b'+') => ("", &raw[1..]),
        _ => ("", raw),
    };
    let (int, frac) = if decimal_comma {
        let (int, frac) = body.split_once(',').unwrap_or((body, ""));
        let groups: Vec<&str> = int.split(['.', ' ', '\u{a0}', '\u{202f}']).collect();
        let grouped = groups.len() > 1;
        if grouped
            && (groups[0].is_empty()
                || groups[0].len() > 3
                || groups[1..].iter().any(|g| g.len() != 3))
        {
            return Err(not_amount());
        }
        (groups.concat(), frac)
    } else {
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        (int.to_string(), frac)
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(&int) || !all_digits(frac) {
        return Err(not_amount());
    }
    let text = if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    };
    let value = Decimal::from_str_exact(&text)
        .map_err(|_| format!("{} has more digits than an amount can hold", shown(raw)))?;
    if value.normalize().scale() > 2 {
        return Err(format!("{} has more than 2 decimals", shown(raw)));
    }
    Ok(value)
}

/// Whether a chrono strftime format is usable for dates: no invalid
/// specifier, and a date written with it reads back.
pub fn valid_date_format(format: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write;
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return false;
    }
    let Some(sample) = NaiveDate::from_ymd_opt(2026, 12, 31) else {
        return false;
    };
    let mut written = String::new();
    if write!(written, "{}", sample.format(format)).is_err() {
        return false;
    }
    NaiveDate::parse_from_str(&written, format).ok() == Some(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_in_both_styles() {
        assert_eq!(parse_amount("1234.56", false), Ok(dec!(1234.56)));
        assert_eq!(parse_amount("-0.5", false), Ok(dec!(-0.5)));
        assert_eq!(parse_amount("+12", false), Ok(dec!(12)));
        assert_eq!(parse_amount("1.500", false), Ok(dec!(1.500)));
        assert_eq!(parse_amount("1.234,56", true), Ok(dec!(1234.56)));
        assert_eq!(parse_amount("1 234 567,8", true), Ok(dec!(1234567.8)));
        assert_eq!(parse_amount("1\u{a0}234,00", true), Ok(dec!(1234.00)));
        assert_eq!(parse_amount("-12,5", true), Ok(dec!(-12.5)));
        for bad in [
            "", "-", "12.5.1", "1,234.56", "1e5", "12 EUR", "0x10", ".5", "1_000",
        ] {
            assert!(parse_amount(bad, false).is_err(), "{bad}");
        }
        for bad in ["12.50", "1234.567,00", ".123,4", "1,2,3", "1.23,4x"] {
            assert!(parse_amount(bad, true).is_err(), "{bad}");
        }
        assert!(parse_amount("1.234", false)
            .unwrap_err()
            .contains("more than 2 decimals"));
        assert!(parse_amount("123456789012345678901234567890", false)
            .unwrap_err()
            .contains("more digits"));
    }

    #[test]
    fn date_formats_are_checked() {
        assert!(valid_date_format("%Y-%m-%d"));
        assert!(valid_date_format("%d/%m/%Y"));
        assert!(!valid_date_format("%Q"));
        assert!(!valid_date_format("%Y"));
        assert!(!valid_date_format("fixed"));
    }

    #[test]
    fn column_names_are_unique_and_found_back() {
        for c in Column::ALL {
            assert_eq!(Column::from_name(c.name()), Some(*c));
        }
        assert_eq!(Column::from_name("NET"), Some(Column::Net));
        assert_eq!(Column::from_name("nett"), None);
    }
}
