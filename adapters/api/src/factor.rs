//! Factors: canonical assignments, funding requests, debtor approvals and
//! statements, and the trait every factor adapter implements.
//!
//! Sign convention for statement money: amounts are signed minor units as
//! seen from our books' factor account (PCG 467). Positive increases what
//! the factor owes us (an assignment), negative decreases it (an advance
//! paid to us, a fee, interest, a reserve retained, a recourse).

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{AdapterError, Amount, BuyerIdentity, LimitAnswer, LimitRequestKind};

/// Our company as the factor knows it: the assignor [cédant].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerIdentity {
    pub name: String,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub vat: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// One invoice or credit note of an assignment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedDocument {
    pub kind: DocumentKind,
    /// The document number as issued (unique per seller).
    pub number: String,
    pub buyer: BuyerIdentity,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Gross amount [TTC], always positive; `kind` says which way it goes.
    pub gross: Amount,
    /// The part within the debtor approval (financed); zero for credit notes.
    pub approved: Amount,
}

/// An assignment [bordereau de cession] as sent to the factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSubmission {
    /// Sent as the `Idempotency-Key`: the same on every retry.
    pub idempotency_key: String,
    pub contract_number: String,
    /// Our batch number, unique per contract.
    pub assignment_number: String,
    pub seller: SellerIdentity,
    pub assigned_on: NaiveDate,
    pub documents: Vec<AssignedDocument>,
    /// Invoices minus credit notes, so the factor can check the schedule.
    pub total: Amount,
}

/// Where the factor stands with an assignment. Whatever an adapter cannot
/// read maps to `Pending`, never to funding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Pending,
    Acknowledged,
    Funded,
    /// Accepted except for the documents listed as rejected.
    PartiallyRejected,
    Rejected,
    Closed,
}

impl AssignmentStatus {
    /// Whether the factor may still change its answer (keep polling).
    pub fn awaits_factor(self) -> bool {
        matches!(
            self,
            AssignmentStatus::Pending | AssignmentStatus::Acknowledged
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedDocument {
    pub number: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentAnswer {
    /// The factor's reference for the assignment, to poll with.
    pub reference: String,
    pub status: AssignmentStatus,
    /// The status exactly as the factor wrote it, for the audit trail.
    pub raw_status: String,
    #[serde(default)]
    pub rejected: Vec<RejectedDocument>,
    /// The advance the factor pays or paid on it, when it says.
    #[serde(default)]
    pub advance: Option<Amount>,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
}

/// A drawing on the amount available [demande de financement].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingRequest {
    pub idempotency_key: String,
    pub contract_number: String,
    pub amount: Amount,
    pub requested_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingStatus {
    Pending,
    Accepted,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingAnswer {
    pub reference: String,
    pub status: FundingStatus,
    pub raw_status: String,
    /// What the factor will pay (may be less than asked).
    #[serde(default)]
    pub amount: Option<Amount>,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A request for the factor's limit on one buyer [demande d'agrément].
/// The answer is a [`LimitAnswer`]: same lifecycle as an insured limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtorApprovalRequest {
    pub idempotency_key: String,
    pub contract_number: String,
    pub kind: LimitRequestKind,
    pub buyer: BuyerIdentity,
    pub amount: Amount,
    pub wanted_from: NaiveDate,
}

/// What a statement line is, in our words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorMovementKind {
    /// Receivables taken over (the schedule's total).
    Assignment,
    /// Money paid to us against approved receivables [financement].
    Advance,
    /// Factoring commission, net of VAT.
    Fee,
    /// VAT on the commission.
    FeeVat,
    /// Financing charge [commission de financement].
    Interest,
    /// Reserve retained [fonds de garantie constitué].
    ReserveHeld,
    /// Reserve released to us.
    ReserveReleased,
    /// A buyer paid the factor.
    Collection,
    /// An unpaid invoice charged back to us [définancement].
    Recourse,
    /// A correction the factor made.
    Adjustment,
    /// A line the adapter could not classify: left for a person.
    Other,
}

/// One line of a factor statement [relevé de compte courant].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorStatementLine {
    /// The factor's entry reference, unique within the statement.
    pub entry_reference: String,
    pub kind: FactorMovementKind,
    pub booked_on: NaiveDate,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
    /// Signed: see the module's sign convention.
    pub amount: Amount,
    #[serde(default)]
    pub assignment_number: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// The line's wording as the factor wrote it.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorStatement {
    /// The factor's statement id; with a line's entry reference it makes
    /// the line's stable id.
    pub statement_id: String,
    pub contract_number: String,
    pub issued_on: NaiveDate,
    /// Signed balances, same convention as the lines.
    pub opening_balance: Amount,
    pub closing_balance: Amount,
    pub lines: Vec<FactorStatementLine>,
}

/// A factor, seen through one adapter.
#[async_trait]
pub trait FactorAdapter: Send + Sync {
    /// A short name for logs and the attempts table ("sandbox", "file").
    fn name(&self) -> &str;

    async fn submit_assignment(
        &self,
        assignment: &AssignmentSubmission,
    ) -> Result<AssignmentAnswer, AdapterError>;

    /// The current state of an assignment, by the factor's reference.
    async fn assignment_status(&self, reference: &str) -> Result<AssignmentAnswer, AdapterError>;

    async fn request_funding(
        &self,
        request: &FundingRequest,
    ) -> Result<FundingAnswer, AdapterError>;

    /// Factors usually answer `Pending` and decide later.
    async fn request_approval(
        &self,
        request: &DebtorApprovalRequest,
    ) -> Result<LimitAnswer, AdapterError>;

    async fn poll_approval(&self, reference: &str) -> Result<LimitAnswer, AdapterError>;

    /// Statements of a contract issued on or after `since`, oldest first.
    async fn fetch_statements(
        &self,
        contract_number: &str,
        since: NaiveDate,
    ) -> Result<Vec<FactorStatement>, AdapterError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_and_acknowledged_assignments_are_polled() {
        assert!(AssignmentStatus::Pending.awaits_factor());
        assert!(AssignmentStatus::Acknowledged.awaits_factor());
        assert!(!AssignmentStatus::Funded.awaits_factor());
        assert!(!AssignmentStatus::Rejected.awaits_factor());
    }

    #[test]
    fn statement_lines_read_back_from_their_json() {
        let line: FactorStatementLine = serde_json::from_str(
            r#"{"entry_reference":"L1","kind":"reserve_held","booked_on":"2026-03-02",
                "amount":{"minor":-150000,"exponent":2,"currency":[69,85,82]}}"#,
        )
        .expect("line");
        assert_eq!(line.kind, FactorMovementKind::ReserveHeld);
        assert_eq!(line.amount.minor, -150_000);
        assert_eq!(line.assignment_number, None);
    }
}
