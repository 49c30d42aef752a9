//! A factor's file profile: how our assignment becomes its schedule file
//! [bordereau de remise] and how its statement files [relevés] read back.
//! Loaded from `schemas/<factor>/<version>/profile.toml` and checked whole
//! when loaded, so a bad profile fails at start-up, not at the first file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use factorgate_adapter::AssignmentStatus;

pub use crate::funding::{FundingColumn, FundingProfile, FundingValue};

pub use crate::statement_profile::{
    AmountField, Locator, StatementHeader, StatementLineFields, StatementProfile, StatementTrailer,
    TrailerTotal,
};
use serde::Deserialize;

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("profile {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// The outbox or inbox folder the connection names does not exist.
    #[error("the {kind} folder {path} does not exist")]
    FolderMissing { kind: &'static str, path: PathBuf },
}

impl ProfileError {
    pub fn code(&self) -> &'static str {
        match self {
            ProfileError::Unreadable { .. } => "profile_unreadable",
            ProfileError::Invalid { .. } => "profile_invalid",
            ProfileError::FolderMissing { .. } => "file_factor_folder_missing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Fixed,
}

/// How amounts are written: integer minor units ("120050"), or decimals
/// with a point ("1200.50") or a comma ("1200,50").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decimal {
    Minor,
    Point,
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    /// ISO 8859-1, what most French factors' mainframes read.
    Latin1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    Right,
}

/// What a schedule field or column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// The record's code (fixed width: header, invoice, credit note, trailer).
    RecordCode,
    /// The field's `text`, as is.
    Constant,
    ContractNumber,
    AssignmentNumber,
    AssignedOn,
    SellerName,
    SellerSiren,
    SellerVat,
    /// `kind_codes.invoice` or `kind_codes.credit_note`.
    DocumentKind,
    DocumentNumber,
    BuyerName,
    /// The buyer's first SIRET, else SIREN, else VAT, else first legal id.
    BuyerId,
    /// `buyer_id_codes` of the scheme of `buyer_id` (e.g. 1 SIRET, 4 VAT).
    BuyerIdType,
    BuyerCountry,
    IssueDate,
    DueDate,
    /// Gross amount, unsigned.
    Gross,
    /// Gross amount, negative for a credit note.
    SignedGross,
    /// "+" for an invoice, "-" for a credit note.
    Sign,
    Approved,
    Currency,
    CountInvoices,
    TotalInvoices,
    CountCreditNotes,
    TotalCreditNotes,
    CountDocuments,
    /// Invoices minus credit notes (signed).
    Total,
    /// Every record of the file, header and trailer included.
    RecordCount,
}

impl Value {
    /// Values that belong to one document (detail records, CSV rows).
    pub fn is_per_document(self) -> bool {
        matches!(
            self,
            Value::DocumentKind
                | Value::DocumentNumber
                | Value::BuyerName
                | Value::BuyerId
                | Value::BuyerIdType
                | Value::BuyerCountry
                | Value::IssueDate
                | Value::DueDate
                | Value::Gross
                | Value::SignedGross
                | Value::Sign
                | Value::Approved
        )
    }

    fn is_total(self) -> bool {
        matches!(
            self,
            Value::CountInvoices
                | Value::TotalInvoices
                | Value::CountCreditNotes
                | Value::TotalCreditNotes
                | Value::CountDocuments
                | Value::Total
                | Value::RecordCount
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The factor's name, as in the folder (`schemas/<factor>/<version>/`).
    pub factor: String,
    pub version: u32,
    #[serde(default)]
    pub description: String,
    pub schedule: ScheduleProfile,
    pub statement: StatementProfile,
    #[serde(default)]
    pub acknowledgement: Option<AckProfile>,
    /// Funding requests written as files; absent: not exchanged by file.
    #[serde(default)]
    pub funding_request: Option<FundingProfile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindCodes {
    pub invoice: String,
    pub credit_note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleProfile {
    pub format: Format,
    /// `{contract}`, `{assignment}` and `{date}` (assigned on, YYYYMMDD)
    /// are replaced; `{assignment}` is required so each assignment gets
    /// its own file.
    pub file_name: String,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    pub kind_codes: KindCodes,
    /// Scheme ("0009" SIRET, "0002" SIREN, "VAT") to the factor's code.
    #[serde(default)]
    pub buyer_id_codes: BTreeMap<String, String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    /// End records with CR LF instead of LF.
    #[serde(default)]
    pub crlf: bool,
    #[serde(default)]
    pub csv: Option<CsvSchedule>,
    #[serde(default)]
    pub fixed: Option<FixedSchedule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSchedule {
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Write the column names as the first line.
    #[serde(default = "yes")]
    pub header: bool,
    pub decimal: Decimal,
    pub columns: Vec<CsvColumn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumn {
    pub name: String,
    pub value: Value,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCodes {
    pub header: String,
    pub invoice: String,
    pub credit_note: String,
    pub trailer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedSchedule {
    pub record_length: usize,
    pub record_codes: RecordCodes,
    pub header: Vec<FixedField>,
    pub detail: Vec<FixedField>,
    pub trailer: Vec<FixedField>,
}

/// One field of a fixed-width record, at a 1-based position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedField {
    pub at: usize,
    pub len: usize,
    pub value: Value,
    #[serde(default)]
    pub text: String,
    /// Default: numbers right, text left.
    #[serde(default)]
    pub align: Option<Align>,
    /// Default: numbers '0', text ' '.
    #[serde(default)]
    pub pad: Option<char>,
    /// Cut a longer value (names, addresses) instead of refusing it.
    #[serde(default)]
    pub truncate: bool,
}

/// The factor's answer to a schedule: a file in the inbox whose first line
/// is a status code; each further line a rejected document `number;reason`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckProfile {
    /// `{stem}` is the schedule's file name without its extension.
    pub file_name: String,
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Status code to our status; any other code reads as pending.
    pub statuses: BTreeMap<String, AssignmentStatus>,
}

pub(crate) fn default_date_format() -> String {
    "%Y-%m-%d".into()
}
pub(crate) fn default_delimiter() -> char {
    ';'
}
fn default_encoding() -> Encoding {
    Encoding::Utf8
}
fn yes() -> bool {
    true
}

impl Profile {
    pub fn from_file(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Profile::from_toml_str(&text).map_err(|message| ProfileError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and checks a profile; the error names the key at fault.
    pub fn from_toml_str(text: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| e.to_string())?;
        profile.schedule.validate()?;
        profile.statement.validate()?;
        if let Some(funding) = &profile.funding_request {
            funding.validate()?;
        }
        if let Some(ack) = &profile.acknowledgement {
            if !ack.file_name.contains("{stem}") {
                return Err("acknowledgement.file_name must contain {stem}".into());
            }
        }
        Ok(profile)
    }
}

/// The values a schedule must carry for the factor to know each document.
const REQUIRED: &[(&str, &[Value])] = &[
    ("the document number", &[Value::DocumentNumber]),
    ("the amount", &[Value::Gross, Value::SignedGross]),
    ("the buyer's id", &[Value::BuyerId]),
    ("the issue date", &[Value::IssueDate]),
    ("the due date", &[Value::DueDate]),
];

fn require(section: &str, values: &[Value], kind_by_record: bool) -> Result<(), String> {
    for (what, any) in REQUIRED {
        if !values.iter().any(|v| any.contains(v)) {
            let names: Vec<_> = any.iter().map(|v| format!("{v:?}")).collect();
            return Err(format!(
                "{section}: missing field: nothing gives {what} (value {})",
                names.join(" or ")
            ));
        }
    }
    let kind = [Value::DocumentKind, Value::Sign, Value::SignedGross];
    if !kind_by_record && !values.iter().any(|v| kind.contains(v)) {
        return Err(format!(
            "{section}: missing field: nothing tells an invoice from a credit note \
             (value DocumentKind, Sign or SignedGross)"
        ));
    }
    Ok(())
}

impl ScheduleProfile {
    fn validate(&self) -> Result<(), String> {
        if !self.file_name.contains("{assignment}") {
            return Err(
                "schedule.file_name must contain {assignment}: one file per assignment".into(),
            );
        }
        check_date_format("schedule.date_format", &self.date_format)?;
        match (self.format, &self.csv, &self.fixed) {
            (Format::Csv, Some(csv), None) => {
                if csv.columns.is_empty() {
                    return Err("schedule.csv.columns: no column".into());
                }
                let values: Vec<Value> = csv.columns.iter().map(|c| c.value).collect();
                if let Some(c) = csv.columns.iter().find(|c| c.value == Value::RecordCode) {
                    return Err(format!(
                        "schedule.csv.columns '{}': record_code is for fixed-width files",
                        c.name
                    ));
                }
                require("schedule.csv.columns", &values, false)
            }
            (Format::Fixed, None, Some(fixed)) => fixed.validate(),
            (Format::Csv, _, _) => Err(
                "schedule: format csv needs a [schedule.csv] section and no [schedule.fixed]"
                    .into(),
            ),
            (Format::Fixed, _, _) => Err(
                "schedule: format fixed needs a [schedule.fixed] section and no [schedule.csv]"
                    .into(),
            ),
        }
    }
}

impl FixedSchedule {
    fn validate(&self) -> Result<(), String> {
        let c = &self.record_codes;
        let records = [
            ("schedule.fixed.header", &self.header),
            ("schedule.fixed.detail", &self.detail),
            ("schedule.fixed.trailer", &self.trailer),
        ];
        for (section, fields) in records {
            check_spans(section, self.record_length, fields)?;
            if !fields.iter().any(|f| f.value == Value::RecordCode) {
                return Err(format!("{section}: missing field: no record_code field"));
            }
            if section != "schedule.fixed.detail" {
                if let Some(f) = fields.iter().find(|f| f.value.is_per_document()) {
                    return Err(format!(
                        "{section}: field at {} gives {:?}, a document's value",
                        f.at, f.value
                    ));
                }
            }
        }
        if let Some(f) = self.detail.iter().find(|f| f.value.is_total()) {
            return Err(format!(
                "schedule.fixed.detail: field at {} gives {:?}, a file total",
                f.at, f.value
            ));
        }
        let values: Vec<Value> = self.detail.iter().map(|f| f.value).collect();
        require("schedule.fixed.detail", &values, c.invoice != c.credit_note)
    }
}

/// Every span inside the record, none empty, none overlapping another.
fn check_spans(section: &str, length: usize, fields: &[FixedField]) -> Result<(), String> {
    let mut taken = vec![false; length];
    for f in fields {
        if f.at == 0 || f.len == 0 || f.at + f.len - 1 > length {
            return Err(format!(
                "{section}: field {:?} at {} length {}: outside the {length}-character record",
                f.value, f.at, f.len
            ));
        }
        for slot in &mut taken[f.at - 1..f.at - 1 + f.len] {
            if *slot {
                return Err(format!(
                    "{section}: field {:?} at {} length {} overlaps another field",
                    f.value, f.at, f.len
                ));
            }
            *slot = true;
        }
    }
    Ok(())
}

pub(crate) fn check_date_format(key: &str, format: &str) -> Result<(), String> {
    let sample = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default();
    let written = sample.format(format).to_string();
    match chrono::NaiveDate::parse_from_str(&written, format) {
        Ok(back) if back == sample => Ok(()),
        _ => Err(format!("{key} '{format}': not a full date format")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_must_fit_and_not_overlap() {
        let f = |at, len| FixedField {
            at,
            len,
            value: Value::Constant,
            text: String::new(),
            align: None,
            pad: None,
            truncate: false,
        };
        assert!(check_spans("s", 10, &[f(1, 3), f(4, 7)]).is_ok());
        // 4 + 8 - 1 = 11 > 10.
        assert!(check_spans("s", 10, &[f(4, 8)])
            .unwrap_err()
            .contains("outside"));
        // 3..5 overlaps 1..3 at position 3.
        assert!(check_spans("s", 10, &[f(1, 3), f(3, 3)])
            .unwrap_err()
            .contains("overlaps"));
    }

    #[test]
    fn a_date_format_must_write_a_whole_date() {
        assert!(check_date_format("k", "%Y%m%d").is_ok());
        assert!(check_date_format("k", "%d/%m/%Y").is_ok());
        assert!(check_date_format("k", "%Y-%m")
            .unwrap_err()
            .contains("%Y-%m"));
    }
}
