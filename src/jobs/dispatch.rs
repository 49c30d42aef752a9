//! One outbox message to one adapter call: the stored payload is read back
//! as the canonical request and sent as it is, idempotency key included.

use factorgate_adapter::{
    AdapterError, AssignmentAnswer, AssignmentSubmission, ClaimFiling, DebtorApprovalRequest,
    FactorAdapter, FundingAnswer, FundingRequest, InsurerAdapter, LimitAnswer, LimitRequest,
    OverdueNotice, Receipt,
};
use serde::de::DeserializeOwned;

use crate::domain::outbox::Operation;
use crate::service::insurer_calls::PollPayload;

/// What the counterparty answered.
#[derive(Debug, Clone)]
pub enum Answer {
    Limit(LimitAnswer),
    Receipt(Receipt),
    Assignment(AssignmentAnswer),
    Funding(FundingAnswer),
}

/// The adapter a message goes to: insurer operations to an insurer
/// connection, factoring ones to a factor connection.
#[derive(Clone, Copy)]
pub enum Counterparty<'a> {
    Insurer(&'a dyn InsurerAdapter),
    Factor(&'a dyn FactorAdapter),
}

impl Counterparty<'_> {
    pub fn name(&self) -> &str {
        match self {
            Counterparty::Insurer(a) => a.name(),
            Counterparty::Factor(a) => a.name(),
        }
    }
}

impl Answer {
    /// Stored as the message's result.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Answer::Limit(a) => serde_json::to_value(a),
            Answer::Receipt(r) => serde_json::to_value(r),
            Answer::Assignment(a) => serde_json::to_value(a),
            Answer::Funding(f) => serde_json::to_value(f),
        }
        .unwrap_or(serde_json::Value::Null)
    }
}

/// A stored payload that does not read back is a bug, never a retry case.
fn payload<T: DeserializeOwned>(text: &str) -> Result<T, AdapterError> {
    serde_json::from_str(text)
        .map_err(|e| AdapterError::Protocol(format!("stored payload unreadable: {e}")))
}

pub async fn call(
    counterparty: Counterparty<'_>,
    operation: Operation,
    stored: &str,
) -> Result<Answer, AdapterError> {
    match counterparty {
        Counterparty::Insurer(adapter) => call_insurer(adapter, operation, stored).await,
        Counterparty::Factor(adapter) => call_factor(adapter, operation, stored).await,
    }
}

fn wrong_counterparty(operation: Operation) -> AdapterError {
    AdapterError::Protocol(format!(
        "operation {} sent to the wrong kind of connection",
        operation.as_str()
    ))
}

async fn call_insurer(
    adapter: &dyn InsurerAdapter,
    operation: Operation,
    stored: &str,
) -> Result<Answer, AdapterError> {
    match operation {
        Operation::RequestLimit => {
            let request: LimitRequest = payload(stored)?;
            adapter.request_limit(&request).await.map(Answer::Limit)
        }
        Operation::PollDecision => {
            let poll: PollPayload = payload(stored)?;
            adapter
                .poll_decision(&poll.reference)
                .await
                .map(Answer::Limit)
        }
        Operation::NotifyOverdue => {
            let notice: OverdueNotice = payload(stored)?;
            adapter.notify_overdue(&notice).await.map(Answer::Receipt)
        }
        Operation::FileClaim => {
            let claim: ClaimFiling = payload(stored)?;
            adapter.file_claim(&claim).await.map(Answer::Receipt)
        }
        _ => Err(wrong_counterparty(operation)),
    }
}

async fn call_factor(
    adapter: &dyn FactorAdapter,
    operation: Operation,
    stored: &str,
) -> Result<Answer, AdapterError> {
    match operation {
        Operation::SubmitAssignment => {
            let submission: AssignmentSubmission = payload(stored)?;
            adapter
                .submit_assignment(&submission)
                .await
                .map(Answer::Assignment)
        }
        Operation::RequestFunding => {
            let request: FundingRequest = payload(stored)?;
            adapter.request_funding(&request).await.map(Answer::Funding)
        }
        Operation::RequestApproval => {
            let request: DebtorApprovalRequest = payload(stored)?;
            adapter.request_approval(&request).await.map(Answer::Limit)
        }
        Operation::PollApproval => {
            let poll: PollPayload = payload(stored)?;
            adapter
                .poll_approval(&poll.reference)
                .await
                .map(Answer::Limit)
        }
        _ => Err(wrong_counterparty(operation)),
    }
}
