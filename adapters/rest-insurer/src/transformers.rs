//! The insurer's JSON and its mapping to factorgate's canonical types, both
//! ways: camelCase, amounts as decimal strings with a currency, ISO dates.
//!
//! Reading is lenient about fields we do not use (insurers add fields) and
//! strict about what we do: an amount we cannot read exactly is a protocol
//! error, and a status we do not know is `Pending`, never a grant.

use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, Amount, BuyerIdentity, ClaimFiling, InsurerBuyer, LimitAnswer, LimitRequest,
    LimitRequestKind, LimitStatus, OverdueNotice, Receipt, Settlement, SettlementKind,
};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMoney {
    /// A decimal string: "12000.00".
    pub value: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireLegalId {
    pub scheme: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBuyerRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<String>,
    pub company_name: String,
    pub country_code: String,
    pub legal_ids: Vec<WireLegalId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitRequestBody {
    pub policy_number: String,
    pub request_type: &'static str,
    pub buyer: WireBuyerRef,
    pub requested_amount: WireMoney,
    pub effective_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueBody {
    pub policy_number: String,
    pub buyer: WireBuyerRef,
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub overdue_amount: WireMoney,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimBody {
    pub policy_number: String,
    pub buyer: WireBuyerRef,
    pub invoice_numbers: Vec<String>,
    pub claim_amount: WireMoney,
    pub filing_date: NaiveDate,
}

/// RFC 6749 §5.1.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent means the server did not say.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBuyer {
    pub buyer_id: String,
    pub company_name: String,
    pub country_code: String,
    #[serde(default)]
    pub grade: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BuyerSearch {
    pub buyers: Vec<WireBuyer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireJob {
    pub job_id: String,
    pub status: String,
    #[serde(default)]
    pub buyer_id: Option<String>,
    #[serde(default)]
    pub decision: Option<WireDecision>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDecision {
    pub decision_id: String,
    #[serde(default)]
    pub granted_amount: Option<WireMoney>,
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
    #[serde(default)]
    pub expiry_date: Option<NaiveDate>,
    #[serde(default)]
    pub conditions: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeReceipt {
    pub notice_id: String,
    pub status: String,
    pub received_date: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReceipt {
    pub claim_id: String,
    pub status: String,
    pub received_date: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSettlement {
    pub settlement_id: String,
    pub claim_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: WireMoney,
    pub payment_date: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SettlementList {
    pub settlements: Vec<WireSettlement>,
}

/// An error body: the insurer's `{"error": {"code", "message"}}` or
/// OAuth2's `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ErrorDetail {
    Object { code: String, message: String },
    Code(String),
}

impl ErrorBody {
    fn code_and_message(self) -> (String, String) {
        match self.error {
            ErrorDetail::Object { code, message } => (code, message),
            ErrorDetail::Code(code) => {
                let message = self.error_description.unwrap_or_else(|| code.clone());
                (code, message)
            }
        }
    }
}

/// Minor-unit exponents of ISO 4217 currencies that do not use 2.
const NOT_TWO_DECIMALS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// The exponent of a currency code written as three capital letters.
pub fn currency_exponent(code: &str) -> Option<u32> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(
        NOT_TWO_DECIMALS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(2, |(_, e)| *e),
    )
}

pub fn money_to_wire(amount: &Amount) -> WireMoney {
    WireMoney {
        value: Decimal::new(amount.minor, amount.exponent).to_string(),
        currency: amount.currency_code().to_string(),
    }
}

/// Reads an amount exactly: more decimals than the currency has is an
/// error, never a rounding.
pub fn money_from_wire(m: &WireMoney) -> Result<Amount, AdapterError> {
    let protocol = |why: &str| AdapterError::Protocol(format!("amount {m:?}: {why}"));
    let exponent = currency_exponent(&m.currency).ok_or_else(|| protocol("unknown currency"))?;
    let value: Decimal = m.value.parse().map_err(|_| protocol("not a decimal"))?;
    let value = value.normalize();
    if value.scale() > exponent {
        return Err(protocol("more decimals than the currency has"));
    }
    let minor = value
        .checked_mul(Decimal::from(10i64.pow(exponent)))
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| protocol("out of range"))?;
    let mut currency = [0u8; 3];
    currency.copy_from_slice(m.currency.as_bytes());
    Ok(Amount {
        minor,
        exponent,
        currency,
    })
}

pub fn buyer_to_wire(b: &BuyerIdentity) -> WireBuyerRef {
    WireBuyerRef {
        buyer_id: b.insurer_buyer_id.clone(),
        company_name: b.name.clone(),
        country_code: b.country.clone(),
        legal_ids: b
            .legal_ids
            .iter()
            .map(|id| WireLegalId {
                scheme: id.scheme.clone(),
                value: id.value.clone(),
            })
            .collect(),
    }
}

impl From<&LimitRequest> for LimitRequestBody {
    fn from(r: &LimitRequest) -> Self {
        LimitRequestBody {
            policy_number: r.policy_number.clone(),
            request_type: match r.kind {
                LimitRequestKind::New => "NEW",
                LimitRequestKind::Increase => "INCREASE",
                LimitRequestKind::Prolongation => "PROLONGATION",
                LimitRequestKind::Cancellation => "CANCELLATION",
            },
            buyer: buyer_to_wire(&r.buyer),
            requested_amount: money_to_wire(&r.amount),
            effective_date: r.wanted_from,
        }
    }
}

impl From<&OverdueNotice> for OverdueBody {
    fn from(n: &OverdueNotice) -> Self {
        OverdueBody {
            policy_number: n.policy_number.clone(),
            buyer: buyer_to_wire(&n.buyer),
            invoice_number: n.invoice_number.clone(),
            invoice_date: n.issue_date,
            due_date: n.due_date,
            overdue_amount: money_to_wire(&n.overdue),
        }
    }
}

impl From<&ClaimFiling> for ClaimBody {
    fn from(c: &ClaimFiling) -> Self {
        ClaimBody {
            policy_number: c.policy_number.clone(),
            buyer: buyer_to_wire(&c.buyer),
            invoice_numbers: c.invoice_numbers.clone(),
            claim_amount: money_to_wire(&c.loss),
            filing_date: c.filed_on,
        }
    }
}

/// The insurer's status words to ours. Anything else, including a word
/// the insurer adds tomorrow, is `Pending`: a person looks before a grant.
pub fn limit_status(raw: &str) -> LimitStatus {
    match raw {
        "APPROVED" => LimitStatus::Approved,
        "PARTIALLY_APPROVED" => LimitStatus::PartiallyApproved,
        "CONDITIONAL" => LimitStatus::Conditional,
        "REFUSED" => LimitStatus::Refused,
        "INCREASED" => LimitStatus::Increased,
        "REDUCED" => LimitStatus::Reduced,
        "PROLONGED" => LimitStatus::Prolonged,
        "CANCELLED" => LimitStatus::Cancelled,
        _ => LimitStatus::Pending,
    }
}

/// Whether a status grants cover, and so must come with an amount.
fn grants(status: LimitStatus) -> bool {
    !matches!(
        status,
        LimitStatus::Pending | LimitStatus::Refused | LimitStatus::Cancelled
    )
}

impl TryFrom<WireJob> for LimitAnswer {
    type Error = AdapterError;

    fn try_from(job: WireJob) -> Result<Self, Self::Error> {
        let status = limit_status(&job.status);
        if !status.is_final() {
            return Ok(LimitAnswer {
                reference: job.job_id,
                status: LimitStatus::Pending,
                raw_status: job.status,
                amount: None,
                effective_on: None,
                expires_on: None,
                note: None,
                insurer_buyer_id: job.buyer_id,
            });
        }
        let Some(d) = job.decision else {
            return Err(AdapterError::Protocol(format!(
                "job {}: status {} without a decision",
                job.job_id, job.status
            )));
        };
        let amount = d.granted_amount.as_ref().map(money_from_wire).transpose()?;
        if grants(status) && amount.is_none() {
            return Err(AdapterError::Protocol(format!(
                "job {}: status {} without a granted amount",
                job.job_id, job.status
            )));
        }
        Ok(LimitAnswer {
            reference: d.decision_id,
            status,
            raw_status: job.status,
            amount: if grants(status) { amount } else { None },
            effective_on: d.effective_date,
            expires_on: d.expiry_date,
            note: d.conditions.or(d.reason),
            insurer_buyer_id: job.buyer_id,
        })
    }
}

impl From<WireBuyer> for InsurerBuyer {
    fn from(b: WireBuyer) -> Self {
        InsurerBuyer {
            insurer_buyer_id: b.buyer_id,
            name: b.company_name,
            country: b.country_code,
            grade: b.grade,
        }
    }
}

impl From<NoticeReceipt> for Receipt {
    fn from(r: NoticeReceipt) -> Self {
        Receipt {
            insurer_reference: r.notice_id,
            received_on: r.received_date,
            raw_status: r.status,
        }
    }
}

impl From<ClaimReceipt> for Receipt {
    fn from(r: ClaimReceipt) -> Self {
        Receipt {
            insurer_reference: r.claim_id,
            received_on: r.received_date,
            raw_status: r.status,
        }
    }
}

pub fn settlement_kind(raw: &str) -> SettlementKind {
    match raw {
        "INDEMNITY" => SettlementKind::Indemnity,
        "RECOVERY_SHARE" => SettlementKind::RecoveryShare,
        _ => SettlementKind::Other,
    }
}

impl TryFrom<WireSettlement> for Settlement {
    type Error = AdapterError;

    fn try_from(s: WireSettlement) -> Result<Self, Self::Error> {
        Ok(Settlement {
            amount: money_from_wire(&s.amount)?,
            kind: settlement_kind(&s.kind),
            settlement_id: s.settlement_id,
            claim_reference: s.claim_id,
            paid_on: s.payment_date,
        })
    }
}

/// A 2xx body read as `T`; anything else is a protocol error.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdapterError> {
    serde_json::from_slice(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        AdapterError::Protocol(format!("{e} in {start:?}"))
    })
}

/// An HTTP failure as an [`AdapterError`]: 429/5xx unavailable (with
/// Retry-After), 401/403 unauthorized, 404 not found, other 4xx rejected
/// with the body's code (a 4xx we cannot read is a protocol error).
pub fn error_from_response(status: u16, retry_after: Option<u64>, body: &[u8]) -> AdapterError {
    let parsed = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(ErrorBody::code_and_message);
    let message = parsed
        .as_ref()
        .map(|(code, message)| format!("{code}: {message}"))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match status {
        429 | 500..=599 => AdapterError::Unavailable {
            status,
            message,
            retry_after,
        },
        401 | 403 => AdapterError::Unauthorized(message),
        404 => AdapterError::NotFound(message),
        400..=499 => match parsed {
            Some((code, message)) => AdapterError::Rejected { code, message },
            None => AdapterError::Protocol(format!(
                "HTTP {status} with an unreadable body: {:?}",
                String::from_utf8_lossy(&body[..body.len().min(120)])
            )),
        },
        _ => AdapterError::Protocol(format!("unexpected HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_out_and_come_back_exactly() {
        let eur = Amount {
            minor: 1_200_050,
            exponent: 2,
            currency: *b"EUR",
        };
        // 1 200 050 cents = 12000.50.
        let wire = money_to_wire(&eur);
        assert_eq!(wire.value, "12000.50");
        assert_eq!(money_from_wire(&wire).unwrap(), eur);
        let yen = WireMoney {
            value: "5000".into(),
            currency: "JPY".into(),
        };
        assert_eq!(money_from_wire(&yen).unwrap().minor, 5000);
        // "12.000" EUR is 12.00: trailing zeros are not extra precision.
        let padded = WireMoney {
            value: "12.000".into(),
            currency: "EUR".into(),
        };
        assert_eq!(money_from_wire(&padded).unwrap().minor, 1200);
    }

    #[test]
    fn an_amount_we_cannot_read_exactly_is_refused() {
        for (value, currency) in [
            ("12.345", "EUR"),
            ("1.5", "JPY"),
            ("abc", "EUR"),
            ("1", "eu"),
        ] {
            let m = WireMoney {
                value: value.into(),
                currency: currency.into(),
            };
            assert!(
                matches!(money_from_wire(&m), Err(AdapterError::Protocol(_))),
                "{value} {currency}"
            );
        }
    }

    #[test]
    fn unknown_statuses_are_pending() {
        assert_eq!(limit_status("APPROVED"), LimitStatus::Approved);
        assert_eq!(
            limit_status("PARTIALLY_APPROVED"),
            LimitStatus::PartiallyApproved
        );
        assert_eq!(limit_status("approved"), LimitStatus::Pending);
        assert_eq!(limit_status("APPROVED_WITH_RESERVE"), LimitStatus::Pending);
        assert_eq!(settlement_kind("ADJUSTMENT"), SettlementKind::Other);
    }

    #[test]
    fn a_grant_without_an_amount_is_not_read_as_a_grant() {
        let job: WireJob = serde_json::from_str(
            r#"{"jobId":"J","status":"APPROVED","decision":{"decisionId":"D"}}"#,
        )
        .unwrap();
        assert!(matches!(
            LimitAnswer::try_from(job),
            Err(AdapterError::Protocol(_))
        ));
    }
}
