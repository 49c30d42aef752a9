//! The simulated insurer's JSON: camelCase, amounts as decimal strings
//! with their currency, ISO dates. Adapters keep their own copy of these
//! shapes; this one is the insurer's side.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Money {
    pub value: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireLegalId {
    pub scheme: String,
    pub value: String,
}

impl WireLegalId {
    /// "SCHEME:VALUE", the form the rules name legal ids in.
    pub fn key(&self) -> String {
        format!("{}:{}", self.scheme, self.value)
    }
}

/// The buyer a request is about, as the insured names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuyerRef {
    #[serde(default)]
    pub buyer_id: Option<String>,
    pub company_name: String,
    pub country_code: String,
    pub legal_ids: Vec<WireLegalId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitRequestBody {
    pub policy_number: String,
    /// NEW, INCREASE, PROLONGATION or CANCELLATION.
    pub request_type: String,
    pub buyer: BuyerRef,
    pub requested_amount: Money,
    pub effective_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverdueBody {
    pub policy_number: String,
    pub buyer: BuyerRef,
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub overdue_amount: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimBody {
    pub policy_number: String,
    pub buyer: BuyerRef,
    pub invoice_numbers: Vec<String>,
    pub claim_amount: Money,
    pub filing_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyerView {
    pub buyer_id: String,
    pub company_name: String,
    pub country_code: String,
    pub grade: Option<String>,
    pub legal_ids: Vec<WireLegalId>,
}

/// A limit request's job: PENDING, then the decision's status.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: String,
    pub status: String,
    pub buyer_id: String,
    pub submitted_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    pub decision_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_amount: Option<Money>,
    pub effective_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeReceipt {
    pub notice_id: String,
    pub status: String,
    pub received_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReceipt {
    pub claim_id: String,
    pub status: String,
    pub received_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementView {
    pub settlement_id: String,
    pub claim_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: Money,
    pub payment_date: NaiveDate,
}
