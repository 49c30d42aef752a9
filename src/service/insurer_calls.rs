//! Calls to an insurer through the outbox: limit requests, overdue
//! notices and claims are queued in the same transaction as their record
//! when the policy is linked to an insurer connection; the insurer's
//! answers come back here and are applied as new records (a decision is
//! never overwritten).

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use factorgate_adapter::{
    Amount, BuyerIdentity, ClaimFiling, LegalId, LimitAnswer, LimitRequest, LimitRequestKind,
    LimitStatus, OverdueNotice, Receipt,
};
use serde::{Deserialize, Serialize};

use super::insurance::{get_decision, get_policy, Decision};
use super::outbox::{enqueue, NewMessage, Subject};
use super::parties::get_buyer;
use super::{new_id, now, ServiceError};
use crate::domain::cover::DecisionKind;
use crate::domain::ids::LegalIdScheme;
use crate::domain::outbox::Operation;
use crate::money::{Currency, Money};
use crate::store::rows::LimitDecisionRow;
use crate::store::schema::{
    insurance_claims as claims, insurance_limit_decisions as decisions,
    insurance_notices as notices, insurance_policies as policies,
};
use crate::store::{write_tx, DbConnection};

/// The key sent to the insurer with a request: derived from the record the
/// request is about, so the same record can never be sent as two requests.
pub fn idempotency_key(operation: Operation, subject_id: &str) -> String {
    format!("fg:{}:{subject_id}", operation.as_str())
}

/// Links a policy to a configured insurer connection (`None` unlinks it:
/// decisions are then typed in by a person). `known` lists the
/// connections of the configuration.
pub fn link_policy(
    conn: &mut DbConnection,
    policy_id: &str,
    connection: Option<&str>,
    known: &[String],
) -> Result<super::insurance::Policy, ServiceError> {
    if let Some(name) = connection {
        if !known.iter().any(|k| k == name) {
            return Err(ServiceError::invalid(
                "connection_unknown",
                "connection",
                format!(
                    "no insurer connection '{name}' in the configuration (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    get_policy(conn, policy_id)?;
    diesel::update(policies::table.find(policy_id))
        .set(policies::connection.eq(connection))
        .execute(conn)?;
    get_policy(conn, policy_id)
}

/// The policy's number and connection, read inside the caller's
/// transaction.
fn connection_of(
    conn: &mut DbConnection,
    policy_id: &str,
) -> Result<(String, Option<String>), ServiceError> {
    Ok(policies::table
        .find(policy_id)
        .select((policies::number, policies::connection))
        .first(conn)?)
}

pub(crate) fn canonical_amount(minor: i64, currency: Currency) -> Result<Amount, ServiceError> {
    let code: [u8; 3] = currency.code().as_bytes().try_into().map_err(|_| {
        ServiceError::invalid("currency_unknown", "currency", currency.code().to_string())
    })?;
    Ok(Amount {
        minor,
        exponent: u32::from(currency.exponent()),
        currency: code,
    })
}

/// The buyer as we know it, with its legal ids in ISO 6523 codes ("VAT" for
/// VAT numbers).
pub(crate) fn buyer_identity(
    conn: &mut DbConnection,
    buyer_id: &str,
) -> Result<BuyerIdentity, ServiceError> {
    let buyer = get_buyer(conn, buyer_id)?;
    let legal_ids = buyer
        .legal_ids
        .iter()
        .filter_map(|id| {
            let scheme: LegalIdScheme = id.scheme.parse().ok()?;
            let code = scheme.iso6523().unwrap_or("VAT");
            Some(LegalId {
                scheme: code.to_string(),
                value: id.value.clone(),
            })
        })
        .collect();
    Ok(BuyerIdentity {
        name: buyer.name,
        country: buyer.country,
        legal_ids,
        insurer_buyer_id: None,
    })
}

/// A limit request to send to the policy's insurer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRequestInput {
    pub policy_id: String,
    /// Our id, `scheme:value` or a bare legal id.
    pub buyer: String,
    /// Decimal in the policy currency; 0 when absent (a cancellation).
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default = "new_kind")]
    pub kind: LimitRequestKind,
    /// The first day the cover is wanted (today when absent).
    #[serde(default)]
    pub wanted_from: Option<NaiveDate>,
}

fn new_kind() -> LimitRequestKind {
    LimitRequestKind::New
}

#[derive(Debug, Clone, Serialize)]
pub struct LimitRequestRecord {
    /// The `requested` decision row (its `id` names the decision).
    #[serde(flatten)]
    pub decision: Decision,
    /// The outbox message that carries the request.
    pub message_id: String,
    pub idempotency_key: String,
}

/// Records a `requested` decision and queues the request to the insurer,
/// in one transaction. The policy must be linked to a connection.
pub fn request_limit(
    conn: &mut DbConnection,
    input: &LimitRequestInput,
) -> Result<LimitRequestRecord, ServiceError> {
    let policy = get_policy(conn, &input.policy_id)?;
    let Some(connection) = policy.connection.clone() else {
        return Err(ServiceError::invalid(
            "policy_not_connected",
            "policy_id",
            format!(
                "policy {} is not linked to an insurer connection: record the insurer's decision by hand (insurance decide)",
                policy.number
            ),
        ));
    };
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| ServiceError::invalid("currency_unknown", "currency", e.to_string()))?;
    let amount = match (&input.amount, input.kind) {
        (Some(a), _) => super::insurance::amount("amount", a, currency)?,
        (None, LimitRequestKind::Cancellation) => 0,
        (None, _) => {
            return Err(ServiceError::invalid(
                "field_required",
                "amount",
                "give the limit amount asked for",
            ))
        }
    };
    let buyer = get_buyer(conn, &input.buyer)?;
    let identity = buyer_identity(conn, &buyer.id)?;
    let today = Utc::now().date_naive();
    let row = LimitDecisionRow {
        id: new_id(),
        policy_id: policy.id.clone(),
        buyer_id: buyer.id.clone(),
        kind: DecisionKind::Requested.as_str().to_string(),
        amount_minor: Some(amount),
        decided_on: today,
        expires_on: None,
        reference: None,
        created_at: now(),
    };
    let key = idempotency_key(Operation::RequestLimit, &row.id);
    let request = LimitRequest {
        idempotency_key: key.clone(),
        policy_number: policy.number.clone(),
        kind: input.kind,
        buyer: identity,
        amount: canonical_amount(amount, currency)?,
        wanted_from: input.wanted_from.unwrap_or(today),
    };
    let payload = serde_json::to_value(&request)
        .map_err(|e| ServiceError::invalid("payload_invalid", "", e.to_string()))?;
    let message_id = write_tx(conn, |conn| {
        diesel::insert_into(decisions::table)
            .values(&row)
            .execute(conn)?;
        enqueue(
            conn,
            NewMessage {
                connection,
                operation: Operation::RequestLimit,
                subject: Subject::LimitDecision,
                subject_id: row.id.clone(),
                idempotency_key: key.clone(),
                payload,
                due_at: now(),
            },
        )
    })?;
    Ok(LimitRequestRecord {
        decision: get_decision(conn, &row.id)?,
        message_id,
        idempotency_key: key,
    })
}

/// Queues an overdue notice to the insurer when the policy has a
/// connection. Called inside the transaction that records the notice.
pub(crate) fn queue_notice(
    conn: &mut DbConnection,
    policy_id: &str,
    notice_id: &str,
    invoice: &super::invoices::Invoice,
) -> Result<Option<String>, ServiceError> {
    let (policy_number, Some(connection)) = connection_of(conn, policy_id)? else {
        return Ok(None);
    };
    let key = idempotency_key(Operation::NotifyOverdue, notice_id);
    let notice = OverdueNotice {
        idempotency_key: key.clone(),
        policy_number,
        buyer: buyer_identity(conn, &invoice.buyer_id)?,
        invoice_number: invoice.number.clone(),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        overdue: canonical_amount(invoice.open.minor(), invoice.open.currency())?,
    };
    queue(
        conn,
        connection,
        Operation::NotifyOverdue,
        Subject::Notice,
        notice_id,
        key,
        &notice,
    )
}

/// Queues a claim to the insurer when the policy has a connection. Called
/// inside the transaction that records the claim.
pub(crate) fn queue_claim(
    conn: &mut DbConnection,
    policy_id: &str,
    claim_id: &str,
    invoice: &super::invoices::Invoice,
    loss: Money,
    filed_on: NaiveDate,
) -> Result<Option<String>, ServiceError> {
    let (policy_number, Some(connection)) = connection_of(conn, policy_id)? else {
        return Ok(None);
    };
    let key = idempotency_key(Operation::FileClaim, claim_id);
    let filing = ClaimFiling {
        idempotency_key: key.clone(),
        policy_number,
        buyer: buyer_identity(conn, &invoice.buyer_id)?,
        invoice_numbers: vec![invoice.number.clone()],
        loss: canonical_amount(loss.minor(), loss.currency())?,
        filed_on,
    };
    queue(
        conn,
        connection,
        Operation::FileClaim,
        Subject::Claim,
        claim_id,
        key,
        &filing,
    )
}

fn queue<T: Serialize>(
    conn: &mut DbConnection,
    connection: String,
    operation: Operation,
    subject: Subject,
    subject_id: &str,
    key: String,
    request: &T,
) -> Result<Option<String>, ServiceError> {
    let payload = serde_json::to_value(request)
        .map_err(|e| ServiceError::invalid("payload_invalid", "", e.to_string()))?;
    enqueue(
        conn,
        NewMessage {
            connection,
            operation,
            subject,
            subject_id: subject_id.to_string(),
            idempotency_key: key,
            payload,
            due_at: now(),
        },
    )
    .map(Some)
}

/// What a poll message carries: the insurer's job and our request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollPayload {
    pub reference: String,
}

pub(crate) fn decision_kind(status: LimitStatus) -> DecisionKind {
    match status {
        LimitStatus::Pending => DecisionKind::Pending,
        LimitStatus::Approved => DecisionKind::Approved,
        LimitStatus::PartiallyApproved => DecisionKind::PartiallyApproved,
        LimitStatus::Conditional => DecisionKind::Conditional,
        LimitStatus::Refused => DecisionKind::Refused,
        LimitStatus::Increased => DecisionKind::Increased,
        LimitStatus::Reduced => DecisionKind::Reduced,
        LimitStatus::Prolonged => DecisionKind::Prolonged,
        LimitStatus::Cancelled => DecisionKind::Cancelled,
    }
}

/// Applies the insurer's answer to a limit request or to a poll of its job
/// (`request_id` is the `requested` decision), inside the worker's
/// transaction. Pending: a `pending` row with the insurer's job reference
/// (once: later polls that are still pending add nothing) and the next
/// poll queued after `poll_after`. Final: the decision as a new row.
pub fn apply_limit_answer(
    conn: &mut DbConnection,
    connection: &str,
    message_id: &str,
    request_id: &str,
    answer: &LimitAnswer,
    poll_after: Duration,
) -> Result<(), ServiceError> {
    let request: LimitDecisionRow = decisions::table
        .find(request_id)
        .select(LimitDecisionRow::as_select())
        .first(conn)?;
    let policy = get_policy(conn, &request.policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| ServiceError::invalid("currency_unknown", "currency", e.to_string()))?;
    let kind = decision_kind(answer.status);
    let already_pending = kind == DecisionKind::Pending
        && decisions::table
            .filter(
                decisions::policy_id
                    .eq(&request.policy_id)
                    .and(decisions::buyer_id.eq(&request.buyer_id))
                    .and(decisions::kind.eq(DecisionKind::Pending.as_str()))
                    .and(decisions::reference.eq(&answer.reference))
                    .and(decisions::created_at.ge(request.created_at)),
            )
            .count()
            .get_result::<i64>(conn)?
            > 0;
    if !already_pending {
        let amount = granted_minor(answer, kind, currency.code(), "insurer", "policy")?;
        let row = LimitDecisionRow {
            id: new_id(),
            policy_id: request.policy_id.clone(),
            buyer_id: request.buyer_id.clone(),
            kind: kind.as_str().to_string(),
            amount_minor: amount,
            decided_on: answer
                .effective_on
                .unwrap_or_else(|| Utc::now().date_naive()),
            expires_on: answer.expires_on,
            reference: Some(answer.reference.clone()),
            created_at: now(),
        };
        diesel::insert_into(decisions::table)
            .values(&row)
            .execute(conn)?;
    }
    if kind == DecisionKind::Pending {
        queue_next_poll(
            conn,
            NextPoll {
                connection,
                operation: Operation::PollDecision,
                subject: Subject::LimitDecision,
                request_id,
                after_message: message_id,
                reference: &answer.reference,
                poll_after,
            },
        )?;
    }
    Ok(())
}

/// Stores the insurer's reference on the notice or claim it acknowledged.
pub fn apply_receipt(
    conn: &mut DbConnection,
    subject: Subject,
    subject_id: &str,
    receipt: &Receipt,
) -> Result<(), ServiceError> {
    let updated = match subject {
        Subject::Notice => diesel::update(notices::table.find(subject_id))
            .set(notices::insurer_reference.eq(&receipt.insurer_reference))
            .execute(conn)?,
        Subject::Claim => diesel::update(claims::table.find(subject_id))
            .set(claims::insurer_reference.eq(&receipt.insurer_reference))
            .execute(conn)?,
        Subject::LimitDecision
        | Subject::FactoringAssignment
        | Subject::FactoringFunding
        | Subject::FactoringApproval => 0,
    };
    if updated != 1 {
        return Err(ServiceError::not_found(
            "subject_not_found",
            "acknowledged record",
            subject_id,
        ));
    }
    Ok(())
}

/// The amount a limit answer grants, in minor units: it must be in the
/// currency of the policy or contract, and a grant must name one.
/// `counterparty` and `holder` name them in the messages.
pub(crate) fn granted_minor(
    answer: &LimitAnswer,
    kind: DecisionKind,
    currency: &str,
    counterparty: &str,
    holder: &str,
) -> Result<Option<i64>, ServiceError> {
    match answer.amount {
        Some(a) if a.currency_code() != currency => Err(ServiceError::invalid(
            "answer_currency_mismatch",
            "amount",
            format!(
                "the {counterparty} answered in {}, the {holder} is in {currency}",
                a.currency_code()
            ),
        )),
        Some(a) => Ok(Some(a.minor)),
        None if kind.grants() => Err(ServiceError::invalid(
            "answer_incomplete",
            "amount",
            format!(
                "the {counterparty} answered {} without an amount",
                answer.raw_status
            ),
        )),
        None => Ok(None),
    }
}

/// The poll that follows a pending answer.
pub(crate) struct NextPoll<'a> {
    pub connection: &'a str,
    pub operation: Operation,
    pub subject: Subject,
    /// The `requested` decision the poll is about.
    pub request_id: &'a str,
    /// The message whose answer was pending.
    pub after_message: &'a str,
    /// The counterparty's job reference.
    pub reference: &'a str,
    pub poll_after: Duration,
}

/// Queues the next poll of a pending answer. Its key names the message it
/// follows: one poll per answer, however often this answer is applied.
pub(crate) fn queue_next_poll(conn: &mut DbConnection, next: NextPoll) -> Result<(), ServiceError> {
    let payload = PollPayload {
        reference: next.reference.to_string(),
    };
    enqueue(
        conn,
        NewMessage {
            connection: next.connection.to_string(),
            operation: next.operation,
            subject: next.subject,
            subject_id: next.request_id.to_string(),
            idempotency_key: format!(
                "fg:{}:after:{}",
                next.operation.as_str(),
                next.after_message
            ),
            payload: serde_json::to_value(&payload)
                .map_err(|e| ServiceError::invalid("payload_invalid", "", e.to_string()))?,
            due_at: now() + super::outbox::chrono_of(next.poll_after),
        },
    )?;
    Ok(())
}
