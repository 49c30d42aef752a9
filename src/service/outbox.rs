//! The outbox's records: messages written inside the caller's transaction,
//! claimed by workers under a lease, every attempt recorded; parked
//! messages listed, retried or cancelled by a person.
//!
//! The worker that sends messages lives in `crate::jobs`; this module is
//! only what it reads and writes.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{new_id, now, page_size, ServiceError};
use crate::domain::outbox::{AfterFailure, MessageState, Operation, RetryPolicy};
use crate::store::rows::{OutboxAttemptRow, OutboxMessageRow};
use crate::store::schema::{outbox_attempts as attempts, outbox_messages as messages};
use crate::store::{write_tx, DbConnection};

/// The business record a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    LimitDecision,
    Notice,
    Claim,
    FactoringAssignment,
    FactoringFunding,
    FactoringApproval,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::LimitDecision => "limit_decision",
            Subject::Notice => "notice",
            Subject::Claim => "claim",
            Subject::FactoringAssignment => "factoring_assignment",
            Subject::FactoringFunding => "factoring_funding",
            Subject::FactoringApproval => "factoring_approval",
        }
    }

    pub fn parse(s: &str) -> Option<Subject> {
        [
            Subject::LimitDecision,
            Subject::Notice,
            Subject::Claim,
            Subject::FactoringAssignment,
            Subject::FactoringFunding,
            Subject::FactoringApproval,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A call to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub connection: String,
    pub operation: Operation,
    pub subject: Subject,
    pub subject_id: String,
    /// Also inside `payload` when the operation sends one: the stored
    /// request is what goes out, so every retry carries the same key.
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub due_at: NaiveDateTime,
}

/// Writes a message. Called inside the transaction of the change that
/// needs the call, so both commit or neither does.
pub fn enqueue(conn: &mut DbConnection, msg: NewMessage) -> Result<String, ServiceError> {
    let t = now();
    let row = OutboxMessageRow {
        id: new_id(),
        connection: msg.connection,
        operation: msg.operation.as_str().to_string(),
        payload: msg.payload.to_string(),
        idempotency_key: msg.idempotency_key,
        subject_kind: msg.subject.as_str().to_string(),
        subject_id: msg.subject_id,
        state: MessageState::Pending.as_str().to_string(),
        attempts: 0,
        attempts_base: 0,
        next_attempt_at: msg.due_at,
        lease_owner: None,
        lease_expires_at: None,
        result: None,
        last_error_code: None,
        last_error: None,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(messages::table)
        .values(&row)
        .execute(conn)?;
    tracing::debug!(message_id = %row.id, operation = %row.operation, key = %row.idempotency_key, "outbox message queued");
    Ok(row.id)
}

/// A message as a person or client sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub connection: String,
    pub operation: String,
    pub idempotency_key: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<NaiveDateTime>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub payload: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Every attempt, oldest first (on a single message's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<OutboxAttemptRow>>,
}

fn to_message(row: OutboxMessageRow) -> Message {
    let json = |t: &str| serde_json::from_str(t).unwrap_or(serde_json::Value::String(t.into()));
    Message {
        payload: json(&row.payload),
        result: row.result.as_deref().map(json),
        id: row.id,
        connection: row.connection,
        operation: row.operation,
        idempotency_key: row.idempotency_key,
        subject_kind: row.subject_kind,
        subject_id: row.subject_id,
        state: row.state,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        lease_owner: row.lease_owner,
        lease_expires_at: row.lease_expires_at,
        last_error_code: row.last_error_code,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
        attempt_log: None,
    }
}

fn load(conn: &mut DbConnection, id: &str) -> Result<OutboxMessageRow, ServiceError> {
    messages::table
        .find(id)
        .select(OutboxMessageRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("outbox_message_not_found", "outbox message", id))
}

/// One message with its attempts.
pub fn get_message(conn: &mut DbConnection, id: &str) -> Result<Message, ServiceError> {
    let row = load(conn, id)?;
    let log = attempts::table
        .filter(attempts::message_id.eq(id))
        .order(attempts::attempt)
        .select(OutboxAttemptRow::as_select())
        .load(conn)?;
    let mut m = to_message(row);
    m.attempt_log = Some(log);
    Ok(m)
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub state: Option<String>,
    pub subject_id: Option<String>,
    pub limit: Option<i64>,
}

/// Messages, newest first; `state = failed` lists what waits for a person.
pub fn list_messages(
    conn: &mut DbConnection,
    filter: &MessageFilter,
) -> Result<Vec<Message>, ServiceError> {
    let limit = page_size(filter.limit)?;
    let mut q = messages::table
        .select(OutboxMessageRow::as_select())
        .order(messages::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = &filter.state {
        let state = MessageState::parse(s).ok_or_else(|| {
            ServiceError::invalid(
                "validation_failed",
                "state",
                format!("'{s}' is not pending, in_flight, done, failed or cancelled"),
            )
        })?;
        q = q.filter(messages::state.eq(state.as_str()));
    }
    if let Some(subject) = &filter.subject_id {
        q = q.filter(messages::subject_id.eq(subject.clone()));
    }
    Ok(q.load(conn)?.into_iter().map(to_message).collect())
}

fn state_of(row: &OutboxMessageRow) -> Result<MessageState, ServiceError> {
    MessageState::parse(&row.state).ok_or_else(|| {
        ServiceError::conflict(
            "outbox_state_invalid",
            format!("message {} has stored state '{}'", row.id, row.state),
        )
    })
}

/// Sends a parked (or cancelled) message again, with a fresh budget of
/// attempts and the same idempotency key.
pub fn retry_message(conn: &mut DbConnection, id: &str) -> Result<Message, ServiceError> {
    write_tx(conn, |conn| {
        let row = load(conn, id)?;
        if !state_of(&row)?.can_retry() {
            return Err(ServiceError::conflict(
                "outbox_not_retryable",
                format!(
                    "message {id} is {}: only failed or cancelled messages are retried",
                    row.state
                ),
            ));
        }
        let t = now();
        diesel::update(messages::table.find(id))
            .set((
                messages::state.eq(MessageState::Pending.as_str()),
                messages::attempts_base.eq(row.attempts),
                messages::next_attempt_at.eq(t),
                messages::updated_at.eq(t),
            ))
            .execute(conn)?;
        tracing::info!(message_id = %id, "outbox message retried by hand");
        Ok(to_message(load(conn, id)?))
    })
}

/// Gives up on a pending or parked message: it is never sent.
pub fn cancel_message(conn: &mut DbConnection, id: &str) -> Result<Message, ServiceError> {
    write_tx(conn, |conn| {
        let row = load(conn, id)?;
        if !state_of(&row)?.can_cancel() {
            return Err(ServiceError::conflict(
                "outbox_not_cancellable",
                format!(
                    "message {id} is {}: only pending or failed messages are cancelled",
                    row.state
                ),
            ));
        }
        diesel::update(messages::table.find(id))
            .set((
                messages::state.eq(MessageState::Cancelled.as_str()),
                messages::updated_at.eq(now()),
            ))
            .execute(conn)?;
        tracing::info!(message_id = %id, "outbox message cancelled");
        Ok(to_message(load(conn, id)?))
    })
}

/// A message a worker holds, and the number of the attempt it is making.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: OutboxMessageRow,
    pub attempt: i32,
}

/// In whole microseconds: what both databases keep, so a time read back
/// compares equal.
pub(crate) fn chrono_of(d: Duration) -> chrono::Duration {
    i64::try_from(d.as_micros()).map_or(chrono::Duration::MAX, chrono::Duration::microseconds)
}

/// Takes up to `limit` due messages of the `connections` this worker can
/// reach (another instance may be configured with others), for `worker`
/// under a lease: pending
/// ones whose time has come, and in-flight ones whose lease expired (their
/// worker died; the open attempt is marked abandoned). Each gets its
/// attempt row before the call goes out. On PostgreSQL the rows are locked
/// with `FOR UPDATE SKIP LOCKED`, so two workers never take the same one;
/// SQLite has a single writer (`BEGIN IMMEDIATE`).
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    connections: &[String],
    lease: Duration,
    policy: &RetryPolicy,
    limit: i64,
) -> Result<Vec<Claimed>, ServiceError> {
    if connections.is_empty() {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        let t = now();
        macro_rules! due {
            () => {
                messages::table
                    .filter(messages::connection.eq_any(connections))
                    .filter(
                        messages::state
                            .eq(MessageState::Pending.as_str())
                            .and(messages::next_attempt_at.le(t))
                            .or(messages::state
                                .eq(MessageState::InFlight.as_str())
                                .and(messages::lease_expires_at.lt(t))),
                    )
                    .order((messages::next_attempt_at, messages::id))
                    .limit(limit)
                    .select(OutboxMessageRow::as_select())
            };
        }
        let rows: Vec<OutboxMessageRow> = match conn {
            DbConnection::Postgres(c) => due!().for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => due!().load(c)?,
        };
        let mut claimed = Vec::with_capacity(rows.len());
        for mut row in rows {
            if row.state == MessageState::InFlight.as_str() {
                diesel::update(attempts::table.find((&row.id, row.attempts)))
                    .set((
                        attempts::outcome.eq("abandoned"),
                        attempts::finished_at.eq(t),
                        attempts::error_code.eq("lease_expired"),
                        attempts::error_message.eq(format!(
                            "worker {} stopped answering during the call",
                            row.lease_owner.as_deref().unwrap_or("?")
                        )),
                    ))
                    .execute(conn)?;
                tracing::warn!(message_id = %row.id, attempt = row.attempts, "lease expired: taking the message over");
                let spent = u32::try_from(row.attempts - row.attempts_base).unwrap_or(0);
                if spent >= policy.max_attempts {
                    park(
                        conn,
                        &row.id,
                        "lease_expired",
                        "no answer within the lease",
                        t,
                    )?;
                    continue;
                }
            }
            let attempt = row.attempts + 1;
            let expires = t + chrono_of(lease);
            diesel::update(messages::table.find(&row.id))
                .set((
                    messages::state.eq(MessageState::InFlight.as_str()),
                    messages::attempts.eq(attempt),
                    messages::lease_owner.eq(worker),
                    messages::lease_expires_at.eq(expires),
                    messages::updated_at.eq(t),
                ))
                .execute(conn)?;
            diesel::insert_into(attempts::table)
                .values(&OutboxAttemptRow {
                    message_id: row.id.clone(),
                    attempt,
                    worker: worker.to_string(),
                    started_at: t,
                    finished_at: None,
                    outcome: "in_flight".into(),
                    error_code: None,
                    error_message: None,
                    duration_ms: None,
                })
                .execute(conn)?;
            row.state = MessageState::InFlight.as_str().to_string();
            row.attempts = attempt;
            row.lease_owner = Some(worker.to_string());
            row.lease_expires_at = Some(expires);
            claimed.push(Claimed {
                message: row,
                attempt,
            });
        }
        Ok(claimed)
    })
}

fn park(
    conn: &mut DbConnection,
    id: &str,
    code: &str,
    message: &str,
    t: NaiveDateTime,
) -> Result<(), ServiceError> {
    diesel::update(messages::table.find(id))
        .set((
            messages::state.eq(MessageState::Failed.as_str()),
            messages::lease_owner.eq(None::<String>),
            messages::lease_expires_at.eq(None::<NaiveDateTime>),
            messages::last_error_code.eq(code),
            messages::last_error.eq(message),
            messages::updated_at.eq(t),
        ))
        .execute(conn)?;
    tracing::warn!(message_id = %id, code, "outbox message parked for a person");
    Ok(())
}

/// Releases the lease if `worker` still holds it for `claimed`'s attempt;
/// false when another worker has taken the message over.
fn still_held(
    conn: &mut DbConnection,
    claimed: &Claimed,
    worker: &str,
) -> Result<bool, ServiceError> {
    let held: i64 = messages::table
        .filter(
            messages::id
                .eq(&claimed.message.id)
                .and(messages::state.eq(MessageState::InFlight.as_str()))
                .and(messages::lease_owner.eq(worker))
                .and(messages::attempts.eq(claimed.attempt)),
        )
        .count()
        .get_result(conn)?;
    Ok(held == 1)
}

fn finish_attempt(
    conn: &mut DbConnection,
    claimed: &Claimed,
    outcome: &str,
    error: Option<(&str, &str)>,
    elapsed: Duration,
) -> Result<(), ServiceError> {
    diesel::update(attempts::table.find((&claimed.message.id, claimed.attempt)))
        .set((
            attempts::outcome.eq(outcome),
            attempts::finished_at.eq(now()),
            attempts::error_code.eq(error.map(|e| e.0)),
            attempts::error_message.eq(error.map(|e| e.1)),
            attempts::duration_ms.eq(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The call succeeded: in one transaction, `apply` the answer through the
/// service that owns the business record, close the attempt and mark the
/// message done. Returns false (and applies nothing) when the lease was
/// lost to another worker, which will apply its own copy of the answer.
pub fn complete<F>(
    conn: &mut DbConnection,
    claimed: &Claimed,
    worker: &str,
    result: &serde_json::Value,
    elapsed: Duration,
    apply: F,
) -> Result<bool, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<(), ServiceError>,
{
    write_tx(conn, |conn| {
        if !still_held(conn, claimed, worker)? {
            return Ok(false);
        }
        apply(conn)?;
        finish_attempt(conn, claimed, "succeeded", None, elapsed)?;
        diesel::update(messages::table.find(&claimed.message.id))
            .set((
                messages::state.eq(MessageState::Done.as_str()),
                messages::result.eq(result.to_string()),
                messages::lease_owner.eq(None::<String>),
                messages::lease_expires_at.eq(None::<NaiveDateTime>),
                messages::last_error_code.eq(None::<String>),
                messages::last_error.eq(None::<String>),
                messages::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// The call failed (or its answer could not be applied): record the
/// attempt, then reschedule or park as `after` says.
pub fn fail(
    conn: &mut DbConnection,
    claimed: &Claimed,
    worker: &str,
    code: &str,
    message: &str,
    elapsed: Duration,
    after: AfterFailure,
) -> Result<bool, ServiceError> {
    write_tx(conn, |conn| {
        if !still_held(conn, claimed, worker)? {
            return Ok(false);
        }
        let t = now();
        match after {
            AfterFailure::Retry(wait) => {
                finish_attempt(conn, claimed, "retry", Some((code, message)), elapsed)?;
                diesel::update(messages::table.find(&claimed.message.id))
                    .set((
                        messages::state.eq(MessageState::Pending.as_str()),
                        messages::next_attempt_at.eq(t + chrono_of(wait)),
                        messages::lease_owner.eq(None::<String>),
                        messages::lease_expires_at.eq(None::<NaiveDateTime>),
                        messages::last_error_code.eq(code),
                        messages::last_error.eq(message),
                        messages::updated_at.eq(t),
                    ))
                    .execute(conn)?;
            }
            AfterFailure::Park => {
                finish_attempt(conn, claimed, "failed", Some((code, message)), elapsed)?;
                park(conn, &claimed.message.id, code, message, t)?;
            }
        }
        Ok(true)
    })
}

/// Attempts counted against the retry budget, this one included.
pub fn attempts_in_budget(claimed: &Claimed) -> u32 {
    u32::try_from(claimed.attempt - claimed.message.attempts_base).unwrap_or(0)
}
