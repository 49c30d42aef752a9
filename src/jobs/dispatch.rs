//! One outbox message to one adapter call: the stored payload is read back
//! as the canonical request and sent as it is, idempotency key included.

use factorgate_adapter::{
    AdapterError, ClaimFiling, InsurerAdapter, LimitAnswer, LimitRequest, OverdueNotice, Receipt,
};
use serde::de::DeserializeOwned;

use crate::domain::outbox::Operation;
use crate::service::insurer_calls::PollPayload;

/// What the counterparty answered.
#[derive(Debug, Clone)]
pub enum Answer {
    Limit(LimitAnswer),
    Receipt(Receipt),
}

impl Answer {
    /// Stored as the message's result.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Answer::Limit(a) => serde_json::to_value(a),
            Answer::Receipt(r) => serde_json::to_value(r),
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
        Operation::SubmitAssignment
        | Operation::RequestFunding
        | Operation::RequestApproval
        | Operation::PollApproval => Err(AdapterError::Protocol(
            "factor operations are not wired yet".into(),
        )),
    }
}
