/// Why a counterparty call failed. The outbox retries what is retryable
/// and parks the rest for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// No answer: connection refused or reset, DNS, TLS.
    #[error("transport failure: {0}")]
    Transport(String),
    /// No answer in time. The request may have arrived: retry with the
    /// same idempotency key.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// The counterparty is busy or down (429, 5xx).
    #[error("counterparty unavailable (HTTP {status}): {message}")]
    Unavailable {
        status: u16,
        message: String,
        /// Seconds the counterparty asked us to wait, when it said.
        retry_after: Option<u64>,
    },
    /// Credentials refused: retrying will not help until they change.
    #[error("credentials refused: {0}")]
    Unauthorized(String),
    /// The counterparty understood and said no (4xx with a reason).
    #[error("refused by the counterparty ({code}): {message}")]
    Rejected { code: String, message: String },
    /// What the buyer, job or claim names does not exist there.
    #[error("not found at the counterparty: {0}")]
    NotFound(String),
    /// An answer we cannot read: a bug on one side, not a retry case.
    #[error("unreadable answer: {0}")]
    Protocol(String),
}

impl AdapterError {
    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AdapterError::Transport(_)
                | AdapterError::Timeout(_)
                | AdapterError::Unavailable { .. }
        )
    }

    /// A stable code for logs, the attempts table and problem+json.
    pub fn code(&self) -> &'static str {
        match self {
            AdapterError::Transport(_) => "adapter_transport",
            AdapterError::Timeout(_) => "adapter_timeout",
            AdapterError::Unavailable { .. } => "adapter_unavailable",
            AdapterError::Unauthorized(_) => "adapter_unauthorized",
            AdapterError::Rejected { .. } => "adapter_rejected",
            AdapterError::NotFound(_) => "adapter_not_found",
            AdapterError::Protocol(_) => "adapter_protocol",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_without_an_answer_are_retried() {
        assert!(AdapterError::Timeout(5000).is_retryable());
        assert!(AdapterError::Transport("reset".into()).is_retryable());
        assert!(AdapterError::Unavailable {
            status: 503,
            message: "down".into(),
            retry_after: None
        }
        .is_retryable());
        assert!(!AdapterError::Unauthorized("bad secret".into()).is_retryable());
        assert!(!AdapterError::Protocol("not json".into()).is_retryable());
        assert!(!AdapterError::Rejected {
            code: "X".into(),
            message: "no".into()
        }
        .is_retryable());
        assert_eq!(AdapterError::Timeout(1).code(), "adapter_timeout");
    }
}
