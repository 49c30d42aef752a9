//! Sellers (our own companies) and buyers [clients, débiteurs]: validation of
//! what a person types when creating them.

use serde::{Deserialize, Serialize};

use super::ids::{validate, LegalId, LegalIdError, LegalIdScheme};
use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyError {
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("{field}: {source}")]
    InvalidLegalId {
        field: String,
        #[source]
        source: LegalIdError,
    },
}

impl ErrorCode for PartyError {
    fn code(&self) -> &'static str {
        match self {
            PartyError::InvalidField { .. } => "validation_failed",
            PartyError::InvalidLegalId { source, .. } => source.code(),
        }
    }
}

/// A seller as typed: our own company, whose invoices we hold.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SellerInput {
    pub name: String,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub vat: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
}

/// A seller whose ids passed their checks, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSeller {
    pub name: String,
    pub siren: Option<String>,
    pub vat: Option<String>,
    pub iban: Option<String>,
}

pub fn validate_seller(input: &SellerInput) -> Result<ValidSeller, PartyError> {
    let name = validate_name(&input.name)?;
    let siren = check_optional(LegalIdScheme::Siren, "siren", input.siren.as_deref())?;
    let vat = check_optional(LegalIdScheme::Vat, "vat", input.vat.as_deref())?;
    let iban = match input
        .iban
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => Some(validate_iban(raw)?),
        None => None,
    };
    Ok(ValidSeller {
        name,
        siren,
        vat,
        iban,
    })
}

/// A buyer as typed: name, ISO 3166 country and any number of legal ids.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub legal_ids: Vec<LegalIdInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LegalIdInput {
    pub scheme: LegalIdScheme,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBuyer {
    pub name: String,
    pub country: String,
    pub legal_ids: Vec<LegalId>,
    /// Ids read from a document that fail their check: kept, marked
    /// unverified, so the same document finds the same buyer again.
    pub unverified_ids: Vec<LegalId>,
}

/// A person typing an id that fails its check is refused (DOMAIN.md).
pub fn validate_buyer(input: &BuyerInput) -> Result<ValidBuyer, PartyError> {
    let name = validate_name(&input.name)?;
    let country = validate_country(&input.country)?;
    let mut legal_ids: Vec<LegalId> = Vec::with_capacity(input.legal_ids.len());
    for (i, id) in input.legal_ids.iter().enumerate() {
        let valid =
            validate(id.scheme, &id.value).map_err(|source| PartyError::InvalidLegalId {
                field: format!("legal_ids[{i}]"),
                source,
            })?;
        if !legal_ids.contains(&valid) {
            legal_ids.push(valid);
        }
    }
    Ok(ValidBuyer {
        name,
        country,
        legal_ids,
        unverified_ids: Vec::new(),
    })
}

fn validate_name(raw: &str) -> Result<String, PartyError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(PartyError::InvalidField {
            field: "name",
            reason: "must be 1 to 200 printable characters".into(),
        });
    }
    Ok(name.to_string())
}

/// ISO 3166-1 alpha-2, upper case.
pub fn validate_country(raw: &str) -> Result<String, PartyError> {
    let country = raw.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(PartyError::InvalidField {
            field: "country",
            reason: format!(
                "'{}' is not an ISO 3166-1 alpha-2 code such as FR",
                raw.chars().take(10).collect::<String>()
            ),
        });
    }
    Ok(country)
}

fn check_optional(
    scheme: LegalIdScheme,
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<String>, PartyError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(value) => validate(scheme, value)
            .map(|id| Some(id.value))
            .map_err(|source| PartyError::InvalidLegalId {
                field: field.to_string(),
                source,
            }),
    }
}

/// IBAN (ISO 13616): 15 to 34 alphanumerics, ISO 7064 MOD 97-10 check.
pub fn validate_iban(raw: &str) -> Result<String, PartyError> {
    let iban: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bad = |reason: &str| PartyError::InvalidField {
        field: "iban",
        reason: reason.to_string(),
    };
    if iban.len() < 15 || iban.len() > 34 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad("an IBAN has 15 to 34 letters and digits"));
    }
    let bytes = iban.as_bytes();
    if !bytes[0].is_ascii_alphabetic()
        || !bytes[1].is_ascii_alphabetic()
        || !bytes[2].is_ascii_digit()
        || !bytes[3].is_ascii_digit()
    {
        return Err(bad(
            "an IBAN starts with a country code and two check digits",
        ));
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36).ok_or_else(|| bad("invalid character"))?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder != 1 {
        return Err(bad("IBAN check digits do not match"));
    }
    Ok(iban)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_check_digits() {
        // Published example IBANs (ECBS / Wikipedia).
        assert_eq!(
            validate_iban("FR14 2004 1010 0505 0001 3M02 606").unwrap(),
            "FR1420041010050500013M02606"
        );
        assert!(validate_iban("GB82 WEST 1234 5698 7654 32").is_ok());
        assert!(validate_iban("DE89 3704 0044 0532 0130 00").is_ok());
        assert!(validate_iban("DE89 3704 0044 0532 0130 01").is_err());
        assert!(validate_iban("FR14").is_err());
    }

    #[test]
    fn buyer_country_and_ids_are_checked() {
        let ok = BuyerInput {
            name: " Peugeot SA ".into(),
            country: "fr".into(),
            legal_ids: vec![LegalIdInput {
                scheme: LegalIdScheme::Siren,
                value: "552 100 554".into(),
            }],
        };
        let valid = validate_buyer(&ok).unwrap();
        assert_eq!(valid.name, "Peugeot SA");
        assert_eq!(valid.country, "FR");
        assert_eq!(valid.legal_ids[0].value, "552100554");

        let mut bad = ok.clone();
        bad.country = "France".into();
        assert!(matches!(
            validate_buyer(&bad),
            Err(PartyError::InvalidField {
                field: "country",
                ..
            })
        ));

        let mut bad = ok;
        bad.legal_ids[0].value = "552100555".into();
        let err = validate_buyer(&bad).unwrap_err();
        assert!(err.to_string().starts_with("legal_ids[0]"), "{err}");
    }

    #[test]
    fn seller_with_bad_siren_is_refused() {
        let input = SellerInput {
            name: "Acme".into(),
            siren: Some("123456789".into()),
            vat: None,
            iban: None,
        };
        let err = validate_seller(&input).unwrap_err();
        assert!(err.to_string().starts_with("siren"), "{err}");
    }
}
