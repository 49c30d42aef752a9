//! The outbox's rules: the states a message goes through, which operations
//! exist, and when a failed call is tried again (exponential backoff with
//! jitter, a budget of attempts, then parked for a person).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting for its `next_attempt_at`.
    Pending,
    /// Taken by a worker under a lease; taken again when the lease expires.
    InFlight,
    /// The answer was applied.
    Done,
    /// Parked for a person, with the last error: retry or cancel it.
    Failed,
    /// Given up by a person; never sent again.
    Cancelled,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::InFlight => "in_flight",
            MessageState::Done => "done",
            MessageState::Failed => "failed",
            MessageState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        [
            MessageState::Pending,
            MessageState::InFlight,
            MessageState::Done,
            MessageState::Failed,
            MessageState::Cancelled,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    /// A person may send a parked or cancelled message again.
    pub fn can_retry(self) -> bool {
        matches!(self, MessageState::Failed | MessageState::Cancelled)
    }

    /// A person may give up on a message nobody is sending right now.
    pub fn can_cancel(self) -> bool {
        matches!(self, MessageState::Pending | MessageState::Failed)
    }
}

/// What a message asks of the counterparty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    RequestLimit,
    PollDecision,
    NotifyOverdue,
    FileClaim,
    /// Factoring: an assignment schedule to the factor.
    SubmitAssignment,
    /// Factoring: a drawing on the available amount.
    RequestFunding,
    /// Factoring: a debtor approval request, and polls of its answer.
    RequestApproval,
    PollApproval,
}

impl Operation {
    /// Whether the operation goes to a factor (else to an insurer).
    pub fn is_factoring(self) -> bool {
        matches!(
            self,
            Operation::SubmitAssignment
                | Operation::RequestFunding
                | Operation::RequestApproval
                | Operation::PollApproval
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::RequestLimit => "request_limit",
            Operation::PollDecision => "poll_decision",
            Operation::NotifyOverdue => "notify_overdue",
            Operation::FileClaim => "file_claim",
            Operation::SubmitAssignment => "submit_assignment",
            Operation::RequestFunding => "request_funding",
            Operation::RequestApproval => "request_approval",
            Operation::PollApproval => "poll_approval",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        [
            Operation::RequestLimit,
            Operation::PollDecision,
            Operation::NotifyOverdue,
            Operation::FileClaim,
            Operation::SubmitAssignment,
            Operation::RequestFunding,
            Operation::RequestApproval,
            Operation::PollApproval,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// How often and how patiently a failed call is tried again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included) before a message is parked.
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// No wait is longer than this (before jitter).
    pub max_delay: Duration,
    /// Up to this fraction of the wait is added at random, so workers that
    /// failed together do not all come back in the same second.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(2),
            max_delay: Duration::from_secs(3600),
            jitter: 0.2,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterFailure {
    /// Try again after this wait.
    Retry(Duration),
    /// Park the message for a person.
    Park,
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 for the first):
    /// `base × 2^(attempt−1)`, capped at `max_delay`, plus `jitter × sample`
    /// of it, where `sample` is a random draw in [0, 1) given by the caller
    /// (so the rule stays pure).
    pub fn backoff(&self, attempt: u32, sample: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let raw = self
            .base
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max_delay);
        let capped = raw.min(self.max_delay);
        let extra = capped.mul_f64(self.jitter.clamp(0.0, 1.0) * sample.clamp(0.0, 1.0));
        capped + extra
    }

    /// After `attempts_in_budget` attempts (counted since the message was
    /// last retried by a person), the last of which failed: retry if the
    /// error is retryable and the budget is not spent. A wait the
    /// counterparty asked for (`Retry-After`) is honoured when longer.
    pub fn after_failure(
        &self,
        attempts_in_budget: u32,
        retryable: bool,
        retry_after: Option<Duration>,
        sample: f64,
    ) -> AfterFailure {
        if !retryable || attempts_in_budget >= self.max_attempts {
            return AfterFailure::Park;
        }
        let wait = self.backoff(attempts_in_budget, sample);
        AfterFailure::Retry(retry_after.map_or(wait, |asked| asked.max(wait)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            jitter: 0.5,
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let p = policy();
        // 2 s × 2^(n−1): 2, 4, 8, 16, 32, then 64 capped at 60.
        let waits: Vec<u64> = (1..=7).map(|n| p.backoff(n, 0.0).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60]);
        // Far beyond: no overflow, still the cap.
        assert_eq!(p.backoff(200, 0.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_adds_at_most_its_fraction() {
        let p = policy();
        // Third failure: 8 s; jitter 0.5 × sample 0.5 adds 2 s; the largest
        // sample (just under 1) adds just under 4 s.
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(10));
        let top = p.backoff(3, 0.999_999);
        assert!(top > Duration::from_secs(11) && top < Duration::from_secs(12));
        // Out-of-range samples are clamped, never a negative or huge wait.
        assert_eq!(p.backoff(3, -3.0), Duration::from_secs(8));
        assert_eq!(p.backoff(3, 7.0), Duration::from_secs(12));
    }

    #[test]
    fn retryable_errors_are_retried_until_the_budget_is_spent() {
        let p = policy();
        assert_eq!(
            p.after_failure(1, true, None, 0.0),
            AfterFailure::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            p.after_failure(4, true, None, 0.0),
            AfterFailure::Retry(Duration::from_secs(16))
        );
        // The fifth attempt of five failed: parked.
        assert_eq!(p.after_failure(5, true, None, 0.0), AfterFailure::Park);
        // A refusal is parked at once, whatever the budget.
        assert_eq!(p.after_failure(1, false, None, 0.0), AfterFailure::Park);
    }

    #[test]
    fn a_longer_retry_after_is_honoured_a_shorter_one_is_not() {
        let p = policy();
        assert_eq!(
            p.after_failure(1, true, Some(Duration::from_secs(30)), 0.0),
            AfterFailure::Retry(Duration::from_secs(30))
        );
        assert_eq!(
            p.after_failure(3, true, Some(Duration::from_secs(1)), 0.0),
            AfterFailure::Retry(Duration::from_secs(8))
        );
    }

    #[test]
    fn only_parked_or_cancelled_messages_are_retried_by_hand() {
        assert!(MessageState::Failed.can_retry());
        assert!(MessageState::Cancelled.can_retry());
        assert!(!MessageState::InFlight.can_retry());
        assert!(!MessageState::Done.can_retry());
        assert!(MessageState::Pending.can_cancel());
        assert!(!MessageState::InFlight.can_cancel());
        assert!(!MessageState::Done.can_cancel());
        for s in ["pending", "in_flight", "done", "failed", "cancelled"] {
            assert_eq!(MessageState::parse(s).map(MessageState::as_str), Some(s));
        }
        assert_eq!(MessageState::parse("sent"), None);
        assert_eq!(
            Operation::parse("notify_overdue"),
            Some(Operation::NotifyOverdue)
        );
    }
}
