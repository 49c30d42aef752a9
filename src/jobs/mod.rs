//! The outbox dispatcher: takes due messages under a lease, calls the
//! adapter with a timeout, records the attempt, and applies the answer
//! through `service` in the transaction that marks the message done; a
//! retryable failure is rescheduled with backoff, anything else parked.

pub mod connections;
pub mod dispatch;
pub mod statement_sync;

use std::future::Future;
use std::time::{Duration, Instant};

use factorgate_adapter::AdapterError;
use tracing::Instrument;

pub use connections::Connections;
use dispatch::{Answer, Counterparty};

use crate::config::WorkerSettings;
use crate::domain::outbox::{AfterFailure, Operation};
use crate::error::ErrorCode;
use crate::service::factoring::{
    apply_approval_answer, apply_assignment_answer_in_tx, apply_funding_answer_in_tx,
};
use crate::service::insurer_calls::{apply_limit_answer, apply_receipt};
use crate::service::outbox::{self, attempts_in_budget, Claimed, Subject};
use crate::service::{new_id, Context, ServiceError};
use crate::store::{DbConnection, Store};

/// One worker: its name (the lease owner), the store, the connections.
#[derive(Clone)]
pub struct Worker {
    pub id: String,
    store: Store,
    ctx: Context,
    connections: Connections,
    settings: WorkerSettings,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub taken: usize,
    pub done: usize,
    pub rescheduled: usize,
    pub parked: usize,
}

enum Outcome {
    Done,
    Rescheduled,
    Parked,
    /// Another worker took the message over (our lease expired), or the
    /// database failed: the lease will bring it back.
    Left,
}

impl Worker {
    pub fn new(store: Store, connections: Connections, settings: WorkerSettings) -> Worker {
        let id = format!("worker-{}-{}", std::process::id(), &new_id()[24..]);
        Worker {
            id,
            store,
            ctx: Context::default(),
            connections,
            settings,
        }
    }

    /// The chart and settings answers are posted with (factoring answers
    /// post entries); the default chart otherwise.
    pub fn with_context(mut self, ctx: Context) -> Worker {
        self.ctx = ctx;
        self
    }

    /// Takes one batch of due messages and sends them, concurrently.
    pub async fn run_once(&self) -> Result<Pass, ServiceError> {
        let names = self.connections.names();
        let (id, lease, retry, batch) = (
            self.id.clone(),
            self.settings.lease,
            self.settings.retry,
            self.settings.batch,
        );
        let claimed = self
            .store
            .run(move |conn| outbox::claim_due(conn, &id, &names, lease, &retry, batch))
            .await?;
        let mut pass = Pass {
            taken: claimed.len(),
            ..Pass::default()
        };
        let jobs = claimed.into_iter().map(|c| self.process(c));
        for outcome in futures_util::future::join_all(jobs).await {
            match outcome {
                Outcome::Done => pass.done += 1,
                Outcome::Rescheduled => pass.rescheduled += 1,
                Outcome::Parked => pass.parked += 1,
                Outcome::Left => {}
            }
        }
        Ok(pass)
    }

    /// Passes until nothing is due (`--once`).
    pub async fn drain(&self) -> Result<Pass, ServiceError> {
        let mut total = Pass::default();
        loop {
            let p = self.run_once().await?;
            total.taken += p.taken;
            total.done += p.done;
            total.rescheduled += p.rescheduled;
            total.parked += p.parked;
            if p.taken == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `stop` completes; waits `poll` between empty passes. A
    /// call in flight when `stop` fires is dropped: its lease brings the
    /// message back, with the same idempotency key.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tracing::info!(worker = %self.id, connections = ?self.connections.names(), "outbox worker started");
        tokio::pin!(stop);
        loop {
            let pass = tokio::select! {
                _ = &mut stop => break,
                p = self.run_once() => p,
            };
            let idle = match pass {
                Ok(p) => p.taken == 0,
                Err(e) => {
                    tracing::error!(worker = %self.id, code = e.code(), error = %e, "outbox pass failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "outbox worker stopped");
    }

    async fn process(&self, claimed: Claimed) -> Outcome {
        let m = &claimed.message;
        let span = tracing::info_span!(
            "outbox.job",
            message_id = %m.id,
            operation = %m.operation,
            connection = %m.connection,
            attempt = claimed.attempt,
            key = %m.idempotency_key,
            worker = %self.id,
        );
        async {
            let Some(operation) = Operation::parse(&m.operation) else {
                return self
                    .failed(
                        claimed.clone(),
                        "operation_unknown",
                        "stored operation unknown",
                        Duration::ZERO,
                        AfterFailure::Park,
                    )
                    .await;
            };
            let insurer = self.connections.insurer(&m.connection).cloned();
            let factor = self.connections.factor(&m.connection).cloned();
            let counterparty = if operation.is_factoring() {
                factor.as_deref().map(Counterparty::Factor)
            } else {
                insurer.as_deref().map(Counterparty::Insurer)
            };
            let Some(counterparty) = counterparty else {
                let kind = if operation.is_factoring() {
                    "factor"
                } else {
                    "insurer"
                };
                let msg = format!("no {kind} connection '{}' is configured", m.connection);
                return self
                    .failed(
                        claimed.clone(),
                        "connection_unknown",
                        &msg,
                        Duration::ZERO,
                        AfterFailure::Park,
                    )
                    .await;
            };
            let started = Instant::now();
            let call = dispatch::call(counterparty, operation, &m.payload).instrument(
                tracing::info_span!("adapter.call", adapter = counterparty.name()),
            );
            let answer = match tokio::time::timeout(self.settings.timeout, call).await {
                Ok(r) => r,
                Err(_) => Err(AdapterError::Timeout(
                    u64::try_from(self.settings.timeout.as_millis()).unwrap_or(u64::MAX),
                )),
            };
            let elapsed = started.elapsed();
            match answer {
                Ok(answer) => {
                    self.succeeded(claimed.clone(), operation, answer, elapsed)
                        .await
                }
                Err(e) => {
                    let retry_after = match &e {
                        AdapterError::Unavailable { retry_after, .. } => {
                            retry_after.map(Duration::from_secs)
                        }
                        _ => None,
                    };
                    let after = self.settings.retry.after_failure(
                        attempts_in_budget(&claimed),
                        e.is_retryable(),
                        retry_after,
                        rand::random::<f64>(),
                    );
                    tracing::warn!(code = e.code(), error = %e, ?after, "adapter call failed");
                    self.failed(claimed.clone(), e.code(), &e.to_string(), elapsed, after)
                        .await
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn succeeded(
        &self,
        claimed: Claimed,
        operation: Operation,
        answer: Answer,
        elapsed: Duration,
    ) -> Outcome {
        let (worker, poll_after) = (self.id.clone(), self.settings.decision_poll);
        let ctx = self.ctx.clone();
        let result = answer.to_json();
        let c = claimed.clone();
        let applied = self
            .store
            .run(move |conn| {
                outbox::complete(conn, &c, &worker, &result, elapsed, |conn| {
                    apply(conn, &ctx, &c, operation, &answer, poll_after)
                })
            })
            .await;
        match applied {
            Ok(true) => {
                tracing::info!(
                    elapsed_ms = elapsed.as_millis() as u64,
                    "outbox message done"
                );
                Outcome::Done
            }
            Ok(false) => {
                tracing::warn!("lease lost before the answer was applied: left to the new holder");
                Outcome::Left
            }
            Err(ServiceError::Store(e)) => {
                tracing::error!(error = %e, "answer not applied (database): the lease will bring the message back");
                Outcome::Left
            }
            // The answer cannot be applied (wrong currency, a grant without
            // an amount...): a person must look.
            Err(e) => {
                self.failed(
                    claimed,
                    e.code(),
                    &e.to_string(),
                    elapsed,
                    AfterFailure::Park,
                )
                .await
            }
        }
    }

    async fn failed(
        &self,
        claimed: Claimed,
        code: &str,
        message: &str,
        elapsed: Duration,
        after: AfterFailure,
    ) -> Outcome {
        let worker = self.id.clone();
        let (code, message) = (code.to_string(), message.to_string());
        let recorded = self
            .store
            .run(move |conn| outbox::fail(conn, &claimed, &worker, &code, &message, elapsed, after))
            .await;
        match (recorded, after) {
            (Ok(true), AfterFailure::Retry(_)) => Outcome::Rescheduled,
            (Ok(true), AfterFailure::Park) => Outcome::Parked,
            (Ok(false), _) => Outcome::Left,
            (Err(e), _) => {
                tracing::error!(error = %e, "attempt not recorded: the lease will bring the message back");
                Outcome::Left
            }
        }
    }
}

/// Applies an answer through the service that owns the business record.
fn apply(
    conn: &mut DbConnection,
    ctx: &Context,
    claimed: &Claimed,
    operation: Operation,
    answer: &Answer,
    poll_after: Duration,
) -> Result<(), ServiceError> {
    let m = &claimed.message;
    match (operation, answer) {
        (Operation::RequestLimit | Operation::PollDecision, Answer::Limit(a)) => {
            apply_limit_answer(conn, &m.connection, &m.id, &m.subject_id, a, poll_after)
        }
        (Operation::NotifyOverdue | Operation::FileClaim, Answer::Receipt(r)) => {
            let subject = Subject::parse(&m.subject_kind).ok_or_else(|| {
                ServiceError::conflict(
                    "outbox_state_invalid",
                    format!("subject '{}'", m.subject_kind),
                )
            })?;
            apply_receipt(conn, subject, &m.subject_id, r)
        }
        (Operation::SubmitAssignment, Answer::Assignment(a)) => {
            apply_assignment_answer_in_tx(conn, ctx, &m.subject_id, a)
        }
        (Operation::RequestFunding, Answer::Funding(f)) => {
            apply_funding_answer_in_tx(conn, ctx, &m.subject_id, f).map(|_| ())
        }
        (Operation::RequestApproval | Operation::PollApproval, Answer::Limit(a)) => {
            apply_approval_answer(conn, &m.connection, &m.id, &m.subject_id, a, poll_after)
        }
        _ => Err(ServiceError::conflict(
            "answer_mismatch",
            format!("{} answered with the wrong kind of answer", m.operation),
        )),
    }
}
