//! A funding request [demande de financement] as a file, for factors whose
//! profile has a `[funding_request]` section: one CSV row in the outbox.

use factorgate_adapter::FundingRequest;
use serde::Deserialize;

use crate::profile::{check_date_format, default_date_format, default_delimiter, Decimal};
use crate::text::format_amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingValue {
    ContractNumber,
    Amount,
    Currency,
    RequestedOn,
    /// Our idempotency key, for the factor to recognise a resent file.
    Reference,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingColumn {
    pub name: String,
    pub value: FundingValue,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingProfile {
    /// `{contract}`, `{date}` (requested on, YYYYMMDD) and `{key}` (our
    /// idempotency key, required: one file per request).
    pub file_name: String,
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    pub decimal: Decimal,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    pub columns: Vec<FundingColumn>,
}

impl FundingProfile {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !self.file_name.contains("{key}") {
            return Err(
                "funding_request.file_name must contain {key}: one file per request".into(),
            );
        }
        check_date_format("funding_request.date_format", &self.date_format)?;
        for needed in [FundingValue::ContractNumber, FundingValue::Amount] {
            if !self.columns.iter().any(|c| c.value == needed) {
                return Err(format!(
                    "funding_request.columns: missing field: no column gives {needed:?}"
                ));
            }
        }
        Ok(())
    }

    pub fn file_name(&self, r: &FundingRequest) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        self.file_name
            .replace("{contract}", &clean(&r.contract_number))
            .replace("{date}", &r.requested_on.format("%Y%m%d").to_string())
            .replace("{key}", &clean(&r.idempotency_key))
    }

    /// A header line and the request's row.
    pub fn render(&self, r: &FundingRequest) -> Result<Vec<u8>, String> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(u8::try_from(u32::from(self.delimiter)).unwrap_or(b';'))
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer
            .write_record(self.columns.iter().map(|c| c.name.as_str()))
            .map_err(|e| e.to_string())?;
        let row = self.columns.iter().map(|c| match c.value {
            FundingValue::ContractNumber => r.contract_number.clone(),
            FundingValue::Amount => format_amount(r.amount.minor, r.amount.exponent, self.decimal),
            FundingValue::Currency => r.amount.currency_code().to_string(),
            FundingValue::RequestedOn => r.requested_on.format(&self.date_format).to_string(),
            FundingValue::Reference => r.idempotency_key.clone(),
        });
        writer.write_record(row).map_err(|e| e.to_string())?;
        writer.into_inner().map_err(|e| e.to_string())
    }
}
