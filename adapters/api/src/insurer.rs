//! Credit insurers: canonical requests and answers, and the trait every
//! insurer adapter implements.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AdapterError;

/// A legal identifier as factorgate stores it: an ISO 6523 scheme code
/// ("0002" SIREN, "0009" SIRET, "0088" GLN, "0060" DUNS, "0199" LEI) or
/// "VAT", and the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalId {
    pub scheme: String,
    pub value: String,
}

/// The buyer a request is about, as we know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerIdentity {
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub legal_ids: Vec<LegalId>,
    /// The insurer's own id for the buyer, once known.
    #[serde(default)]
    pub insurer_buyer_id: Option<String>,
}

/// The insurer's record of a buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsurerBuyer {
    pub insurer_buyer_id: String,
    pub name: String,
    pub country: String,
    /// The insurer's risk grade, as it writes it.
    #[serde(default)]
    pub grade: Option<String>,
}

/// An amount in minor units of an ISO 4217 currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub minor: i64,
    /// The currency's minor-unit exponent (EUR 2, JPY 0), so adapters can
    /// write decimals without a currency table of their own.
    pub exponent: u32,
    pub currency: [u8; 3],
}

impl Amount {
    pub fn currency_code(&self) -> &str {
        std::str::from_utf8(&self.currency).unwrap_or("???")
    }
}

/// What a limit request asks for (RECECO request kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitRequestKind {
    New,
    Increase,
    Prolongation,
    Cancellation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRequest {
    /// Sent as the `Idempotency-Key`: the same on every retry.
    pub idempotency_key: String,
    pub policy_number: String,
    pub kind: LimitRequestKind,
    pub buyer: BuyerIdentity,
    pub amount: Amount,
    /// The first day the cover is wanted.
    pub wanted_from: NaiveDate,
}

/// A limit decision's status (RECECO response kinds). Whatever an adapter
/// cannot read maps to `Pending`, never to a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitStatus {
    Pending,
    Approved,
    PartiallyApproved,
    Conditional,
    Refused,
    Increased,
    Reduced,
    Prolonged,
    Cancelled,
}

impl LimitStatus {
    /// Whether the insurer has decided (no more polling).
    pub fn is_final(self) -> bool {
        self != LimitStatus::Pending
    }
}

/// The insurer's answer to a limit request, or the state of its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitAnswer {
    /// The job to poll while pending; the decision reference after.
    pub reference: String,
    pub status: LimitStatus,
    /// The status exactly as the insurer wrote it, for the audit trail.
    pub raw_status: String,
    /// The limit granted (absent while pending or on refusal).
    #[serde(default)]
    pub amount: Option<Amount>,
    #[serde(default)]
    pub effective_on: Option<NaiveDate>,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// Conditions of a conditional grant, or the reason of a refusal.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub insurer_buyer_id: Option<String>,
}

/// An overdue notification [déclaration de menace de sinistre].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueNotice {
    pub idempotency_key: String,
    pub policy_number: String,
    pub buyer: BuyerIdentity,
    pub invoice_number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub overdue: Amount,
}

/// A claim [déclaration de sinistre].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimFiling {
    pub idempotency_key: String,
    pub policy_number: String,
    pub buyer: BuyerIdentity,
    pub invoice_numbers: Vec<String>,
    pub loss: Amount,
    pub filed_on: NaiveDate,
}

/// The insurer's acknowledgement of a notice or a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub insurer_reference: String,
    pub received_on: NaiveDate,
    pub raw_status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementKind {
    /// An indemnity paid on a claim.
    Indemnity,
    /// The insured's share of a recovery the insurer made after paying.
    RecoveryShare,
    /// Anything else: left for a person, never guessed.
    Other,
}

/// A payment the insurer made or announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub settlement_id: String,
    pub claim_reference: String,
    pub kind: SettlementKind,
    pub amount: Amount,
    pub paid_on: NaiveDate,
}

/// A credit insurer, seen through one adapter.
#[async_trait]
pub trait InsurerAdapter: Send + Sync {
    /// A short name for logs and the attempts table ("sandbox", "rest").
    fn name(&self) -> &str;

    async fn find_buyer(&self, id: &LegalId) -> Result<Option<InsurerBuyer>, AdapterError>;

    /// Sends a limit request; insurers usually answer `Pending` with a job
    /// to poll.
    async fn request_limit(&self, request: &LimitRequest) -> Result<LimitAnswer, AdapterError>;

    /// The current state of a limit request's job.
    async fn poll_decision(&self, reference: &str) -> Result<LimitAnswer, AdapterError>;

    async fn notify_overdue(&self, notice: &OverdueNotice) -> Result<Receipt, AdapterError>;

    async fn file_claim(&self, claim: &ClaimFiling) -> Result<Receipt, AdapterError>;

    /// Settlements paid on or after `since`.
    async fn fetch_settlements(&self, since: NaiveDate) -> Result<Vec<Settlement>, AdapterError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_keeps_a_job_polled() {
        assert!(!LimitStatus::Pending.is_final());
        assert!(LimitStatus::Refused.is_final());
        assert!(LimitStatus::Approved.is_final());
    }

    #[test]
    fn an_amount_names_its_currency() {
        let a = Amount {
            minor: 1_200_000,
            exponent: 2,
            currency: *b"EUR",
        };
        assert_eq!(a.currency_code(), "EUR");
    }
}
