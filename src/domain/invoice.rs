//! Invoices and credit notes [factures, avoirs]: validation of what callers
//! send, states, and the content fingerprint that makes recording idempotent.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::party::LegalIdInput;
use super::terms::exceeds_lme_cap;
use crate::error::ErrorCode;
use crate::money::{Currency, Money, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    #[default]
    Invoice,
    /// [avoir]
    CreditNote,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceKind> {
        match s {
            "invoice" => Some(InvoiceKind::Invoice),
            "credit_note" => Some(InvoiceKind::CreditNote),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    Open,
    PartiallyPaid,
    Paid,
    /// [en litige]
    Disputed,
    /// [passée en perte]
    WrittenOff,
}

impl InvoiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceState::Open => "open",
            InvoiceState::PartiallyPaid => "partially_paid",
            InvoiceState::Paid => "paid",
            InvoiceState::Disputed => "disputed",
            InvoiceState::WrittenOff => "written_off",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceState> {
        match s {
            "open" => Some(InvoiceState::Open),
            "partially_paid" => Some(InvoiceState::PartiallyPaid),
            "paid" => Some(InvoiceState::Paid),
            "disputed" => Some(InvoiceState::Disputed),
            "written_off" => Some(InvoiceState::WrittenOff),
            _ => None,
        }
    }

    /// The settlement state implied by the open amount; disputed and written
    /// off are decisions of a person and are kept as they are.
    pub fn after_settlement(self, gross: i64, open: i64) -> InvoiceState {
        match self {
            InvoiceState::Disputed | InvoiceState::WrittenOff => self,
            _ if open == 0 => InvoiceState::Paid,
            _ if open == gross => InvoiceState::Open,
            _ => InvoiceState::PartiallyPaid,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("{field}: {reason}")]
    Invalid {
        field: String,
        reason: String,
        code: &'static str,
    },
}

impl InvoiceError {
    fn new(
        field: impl Into<String>,
        code: &'static str,
        reason: impl Into<String>,
    ) -> InvoiceError {
        InvoiceError::Invalid {
            field: field.into(),
            reason: reason.into(),
            code,
        }
    }

    fn money(field: &str, e: MoneyError) -> InvoiceError {
        InvoiceError::new(field, e.code(), e.to_string())
    }
}

impl ErrorCode for InvoiceError {
    fn code(&self) -> &'static str {
        match self {
            InvoiceError::Invalid { code, .. } => code,
        }
    }
}

/// An invoice or credit note as a caller sends it (API, CLI, JSON file).
/// Amounts are decimal strings in major units ("1200.00"); credit notes carry
/// positive amounts and `kind: credit_note`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    /// Our seller: its id, SIREN or VAT number.
    pub seller: String,
    /// The buyer by our id...
    #[serde(default)]
    pub buyer_id: Option<String>,
    /// ...or by one of its legal ids.
    #[serde(default)]
    pub buyer_legal_id: Option<LegalIdInput>,
    pub number: String,
    #[serde(default)]
    pub kind: InvoiceKind,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub net: String,
    pub tax: String,
    pub gross: String,
    #[serde(default)]
    pub payment_terms: Option<String>,
    /// For a credit note: the number of the invoice it reduces.
    #[serde(default)]
    pub credited_invoice: Option<String>,
    #[serde(default)]
    pub buyer_reference: Option<String>,
    #[serde(default)]
    pub order_reference: Option<String>,
}

/// How the buyer of an invoice is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuyerRef {
    Id(String),
    LegalId(LegalIdInput),
}

/// An invoice whose fields passed every check; amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidInvoice {
    pub seller: String,
    pub buyer: BuyerRef,
    pub number: String,
    pub kind: InvoiceKind,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Currency,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub payment_terms: Option<String>,
    pub credited_invoice: Option<String>,
    pub buyer_reference: Option<String>,
    pub order_reference: Option<String>,
    /// Term beyond the French LME cap (accepted, flagged).
    pub lme_exceeded: bool,
    /// What an imported e-invoice states beyond the above.
    pub intake: Option<IntakeDetails>,
}

/// EN 16931 terms an imported invoice carries and the API's input does not.
/// Amounts in minor units of the invoice currency.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntakeDetails {
    /// BT-3, e.g. 380, 381, 393 (factored), 396 (factored credit note).
    pub type_code: String,
    /// BT-106.
    pub line_total: Option<i64>,
    /// BT-113: already paid (an advance [acompte]), settled at issue.
    pub prepaid: i64,
    /// BT-115 as stated.
    pub payable: i64,
    /// BG-10: who is to be paid when it is not the seller (a factor).
    pub payee_name: Option<String>,
    /// The payee's VAT or legal id, as stated.
    pub payee_id: Option<String>,
    /// BT-84: the first payment account (IBAN) stated.
    pub seller_iban: Option<String>,
    /// ubl, cii, csv or json.
    pub source_format: String,
    /// BT-24.
    pub profile: Option<String>,
}

fn text_field(field: &str, value: &str, max: usize) -> Result<String, InvoiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvoiceError::new(
            field,
            "field_required",
            "must not be empty",
        ));
    }
    if trimmed.chars().count() > max || trimmed.chars().any(char::is_control) {
        return Err(InvoiceError::new(
            field,
            "validation_failed",
            format!("must be at most {max} printable characters"),
        ));
    }
    Ok(trimmed.to_string())
}

fn optional_text(
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, InvoiceError> {
    match value.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => text_field(field, v, max).map(Some),
    }
}

fn amount(field: &str, raw: &str, currency: Currency) -> Result<i64, InvoiceError> {
    let money = Money::parse(raw, currency).map_err(|e| InvoiceError::money(field, e))?;
    if money.is_negative() {
        return Err(InvoiceError::new(
            field,
            "amount_negative",
            "must not be negative (a credit note has kind credit_note and positive amounts)",
        ));
    }
    Ok(money.minor())
}

impl InvoiceInput {
    pub fn validate(&self) -> Result<ValidInvoice, InvoiceError> {
        let seller = text_field("seller", &self.seller, 64)?;
        let buyer = match (&self.buyer_id, &self.buyer_legal_id) {
            (Some(id), None) => BuyerRef::Id(text_field("buyer_id", id, 64)?),
            (None, Some(legal)) => BuyerRef::LegalId(legal.clone()),
            _ => {
                return Err(InvoiceError::new(
                    "buyer_id",
                    "field_required",
                    "give exactly one of buyer_id or buyer_legal_id",
                ))
            }
        };
        let number = text_field("number", &self.number, 100)?;
        let currency = Currency::from_code(self.currency.trim())
            .map_err(|e| InvoiceError::money("currency", e))?;
        let net = amount("net", &self.net, currency)?;
        let tax = amount("tax", &self.tax, currency)?;
        let gross = amount("gross", &self.gross, currency)?;
        if net.checked_add(tax) != Some(gross) {
            return Err(InvoiceError::new(
                "gross",
                "invoice_totals_mismatch",
                format!(
                    "net {} + tax {} must equal gross {}",
                    Money::new(net, currency),
                    Money::new(tax, currency),
                    Money::new(gross, currency)
                ),
            ));
        }
        if self.due_date < self.issue_date {
            return Err(InvoiceError::new(
                "due_date",
                "due_date_before_issue_date",
                format!(
                    "due date {} is before issue date {}",
                    self.due_date, self.issue_date
                ),
            ));
        }
        let credited_invoice = optional_text("credited_invoice", &self.credited_invoice, 100)?;
        if credited_invoice.is_some() && self.kind != InvoiceKind::CreditNote {
            return Err(InvoiceError::new(
                "credited_invoice",
                "validation_failed",
                "only a credit note can reference the invoice it reduces",
            ));
        }
        Ok(ValidInvoice {
            seller,
            buyer,
            number,
            kind: self.kind,
            issue_date: self.issue_date,
            due_date: self.due_date,
            currency,
            net,
            tax,
            gross,
            payment_terms: optional_text("payment_terms", &self.payment_terms, 200)?,
            credited_invoice,
            buyer_reference: optional_text("buyer_reference", &self.buyer_reference, 200)?,
            order_reference: optional_text("order_reference", &self.order_reference, 200)?,
            lme_exceeded: self.kind == InvoiceKind::Invoice
                && exceeds_lme_cap(self.issue_date, self.due_date),
            intake: None,
        })
    }
}

impl ValidInvoice {
    /// Fingerprint of what the invoice says once its parties are resolved: the
    /// same number sent again with the same content is a replay; with a
    /// different content it is a conflict.
    pub fn content_hash(&self, seller_id: &str, buyer_id: &str) -> String {
        let mut h = Sha256::new();
        for part in [
            seller_id,
            buyer_id,
            &self.number,
            self.kind.as_str(),
            &self.issue_date.to_string(),
            &self.due_date.to_string(),
            self.currency.code(),
            &self.net.to_string(),
            &self.tax.to_string(),
            &self.gross.to_string(),
            self.payment_terms.as_deref().unwrap_or(""),
            self.credited_invoice.as_deref().unwrap_or(""),
            self.buyer_reference.as_deref().unwrap_or(""),
            self.order_reference.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        // What a document adds counts only where it says more than the
        // fields above imply, so the same invoice recorded through the API
        // and imported from its UBL/CII export is the same content. Where it
        // came from, its profile and the account to pay are not content.
        if let Some(d) = &self.intake {
            let default_code = match self.kind {
                InvoiceKind::Invoice => "380",
                InvoiceKind::CreditNote => "381",
            };
            let mut extra = |tag: &str, value: String| {
                h.update(tag.as_bytes());
                h.update(value.as_bytes());
                h.update([0x1f]);
            };
            if d.type_code != default_code {
                extra("type", d.type_code.clone());
            }
            if d.line_total.is_some_and(|v| v != self.net) {
                extra("lines", d.line_total.unwrap_or_default().to_string());
            }
            if d.prepaid != 0 {
                extra("prepaid", d.prepaid.to_string());
            }
            if d.payable != self.gross - d.prepaid {
                extra("payable", d.payable.to_string());
            }
            if let Some(p) = &d.payee_name {
                extra("payee", p.clone());
            }
            if let Some(p) = &d.payee_id {
                extra("payee_id", p.clone());
            }
        }
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> InvoiceInput {
        serde_json::from_str(
            r#"{"seller":"s1","buyer_id":"b1","number":"F-1","issue_date":"2026-01-15",
                "due_date":"2026-03-15","currency":"EUR","net":"1000.00","tax":"200.00","gross":"1200.00"}"#,
        )
        .unwrap()
    }

    fn code_and_field(e: InvoiceError) -> (&'static str, String) {
        let InvoiceError::Invalid { code, field, .. } = e;
        (code, field)
    }

    #[test]
    fn valid_invoice_in_minor_units() {
        let v = input().validate().unwrap();
        assert_eq!((v.net, v.tax, v.gross), (100_000, 20_000, 120_000));
        assert!(!v.lme_exceeded);
    }

    #[test]
    fn bad_inputs_name_field_and_code() {
        let mut i = input();
        i.currency = "EUX".into();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("currency_unknown", "currency".into())
        );
        let mut i = input();
        i.net = "-1000.00".into();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("amount_negative", "net".into())
        );
        let mut i = input();
        i.tax = "200.001".into();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("amount_over_precise", "tax".into())
        );
        let mut i = input();
        i.gross = "1200.01".into();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("invoice_totals_mismatch", "gross".into())
        );
        let mut i = input();
        i.due_date = NaiveDate::from_ymd_opt(2026, 1, 14).unwrap();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("due_date_before_issue_date", "due_date".into())
        );
        let mut i = input();
        i.number = "  ".into();
        assert_eq!(
            code_and_field(i.validate().unwrap_err()),
            ("field_required", "number".into())
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err =
            serde_json::from_str::<InvoiceInput>(r#"{"seller":"s","numbr":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("numbr"), "{err}");
    }

    #[test]
    fn terms_beyond_lme_are_flagged_not_refused() {
        let mut i = input();
        // 2026-01-15: cap is 2026-03-31 (45 days end of month); 2026-04-30 is beyond.
        i.due_date = NaiveDate::from_ymd_opt(2026, 4, 30).unwrap();
        assert!(i.validate().unwrap().lme_exceeded);
    }

    #[test]
    fn content_hash_tells_replay_from_conflict() {
        let a = input().validate().unwrap();
        let mut other = input();
        other.net = "900.00".into();
        other.gross = "1100.00".into();
        let b = other.validate().unwrap();
        assert_eq!(
            a.content_hash("s", "b"),
            input().validate().unwrap().content_hash("s", "b")
        );
        assert_ne!(a.content_hash("s", "b"), b.content_hash("s", "b"));
    }

    #[test]
    fn state_follows_open_amount() {
        assert_eq!(
            InvoiceState::Open.after_settlement(100, 0),
            InvoiceState::Paid
        );
        assert_eq!(
            InvoiceState::Open.after_settlement(100, 40),
            InvoiceState::PartiallyPaid
        );
        assert_eq!(
            InvoiceState::PartiallyPaid.after_settlement(100, 100),
            InvoiceState::Open
        );
        assert_eq!(
            InvoiceState::Disputed.after_settlement(100, 0),
            InvoiceState::Disputed
        );
    }
}
