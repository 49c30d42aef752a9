//! The simulated factor's JSON, its side: camelCase, amounts as decimal
//! strings with their currency, ISO dates, statuses in capitals.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::wire::{BuyerRef, Money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SellerRef {
    pub company_name: String,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentBody {
    /// INVOICE or CREDIT_NOTE.
    pub document_type: String,
    pub number: String,
    pub buyer: BuyerRef,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub gross_amount: Money,
    /// What the client believes is within our approval.
    pub approved_amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentBody {
    pub contract_number: String,
    pub assignment_number: String,
    pub seller: SellerRef,
    pub assignment_date: NaiveDate,
    pub documents: Vec<DocumentBody>,
    pub total_amount: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedView {
    pub number: String,
    pub reason: String,
}

/// An assignment as the factor reports it: RECEIVED when submitted, then
/// ACKNOWLEDGED, FUNDED on the funding day (or REJECTED whole).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView {
    pub assignment_id: String,
    pub status: String,
    pub contract_number: String,
    pub assignment_number: String,
    pub received_date: NaiveDate,
    pub funding_date: NaiveDate,
    pub rejected_documents: Vec<RejectedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advance_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FundingBody {
    pub contract_number: String,
    pub requested_amount: Money,
    pub request_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingView {
    pub funding_id: String,
    /// ACCEPTED (perhaps for less than asked) or REFUSED.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalBody {
    pub contract_number: String,
    /// NEW, INCREASE, PROLONGATION or CANCELLATION.
    pub request_type: String,
    pub buyer: BuyerRef,
    pub requested_amount: Money,
    pub effective_date: NaiveDate,
}

/// A debtor approval's job: PENDING, then the decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalView {
    pub job_id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementLineView {
    pub entry_id: String,
    /// ASSIGNMENT, ADVANCE, FEE, FEE_VAT, INTEREST, RESERVE_HELD,
    /// RESERVE_RELEASED, COLLECTION, RECOURSE.
    #[serde(rename = "type")]
    pub kind: String,
    pub booking_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<NaiveDate>,
    /// Signed from the client's side: positive is owed to the client.
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    pub statement_id: String,
    pub contract_number: String,
    pub issue_date: NaiveDate,
    pub opening_balance: Money,
    pub closing_balance: Money,
    pub lines: Vec<StatementLineView>,
}

/// `POST /sandbox/factor/collections`: a buyer paid the factor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionHook {
    pub invoice_number: String,
    pub amount: rust_decimal::Decimal,
    /// The sandbox's today when absent.
    #[serde(default)]
    pub paid_on: Option<NaiveDate>,
}

/// `POST /sandbox/factor/clock`: the sandbox's today from now on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockHook {
    pub today: NaiveDate,
}
