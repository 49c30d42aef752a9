//! Debtor approvals [agréments]: the factor's limit per buyer, one row per
//! decision with the lifecycle of insured limits (`domain::cover`): a
//! reduction takes effect after the contract's notice period, and invoices
//! already assigned keep the approval they were given.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use factorgate_adapter::{DebtorApprovalRequest, LimitAnswer, LimitRequestKind};
use serde::{Deserialize, Serialize};

use super::contracts::{get_contract, Contract};
use super::{currency_of, invalid};
use crate::domain::cover::{limit_at_with_notice, DecisionKind, LimitDecision, LimitInForce};
use crate::domain::outbox::Operation;
use crate::money::Money;
use crate::service::insurer_calls::{
    buyer_identity, canonical_amount, decision_kind, granted_minor, idempotency_key,
    queue_next_poll, NextPoll,
};
use crate::service::outbox::{enqueue, NewMessage, Subject};
use crate::service::parties::get_buyer;
use crate::service::{new_id, now, ServiceError};
use crate::store::factoring_rows::ApprovalDecisionRow;
use crate::store::schema::factoring_approval_decisions as decisions;
use crate::store::{write_tx, DbConnection};

/// A factor's decision as a person records it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    pub contract: String,
    /// Our id, `scheme:value` or a bare legal id.
    pub buyer: String,
    pub kind: DecisionKind,
    #[serde(default)]
    pub amount: Option<String>,
    pub decided_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: String,
    pub contract_id: String,
    pub buyer_id: String,
    pub kind: DecisionKind,
    pub amount: Option<Money>,
    pub decided_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

fn to_approval(r: &ApprovalDecisionRow, contract: &Contract) -> Result<Approval, ServiceError> {
    let c = currency_of(&contract.currency)?;
    Ok(Approval {
        id: r.id.clone(),
        contract_id: r.contract_id.clone(),
        buyer_id: r.buyer_id.clone(),
        kind: DecisionKind::parse(&r.kind).ok_or_else(|| {
            invalid(
                "decision_kind_invalid",
                "kind",
                format!("stored kind '{}'", r.kind),
            )
        })?,
        amount: r.amount_minor.map(|m| Money::new(m, c)),
        decided_on: r.decided_on,
        expires_on: r.expires_on,
        reference: r.reference.clone(),
    })
}

/// Records a decision as a new row: decisions are never overwritten.
pub fn record_approval(
    conn: &mut DbConnection,
    input: &ApprovalInput,
) -> Result<Approval, ServiceError> {
    let contract = get_contract(conn, &input.contract)?;
    let currency = currency_of(&contract.currency)?;
    let buyer = get_buyer(conn, &input.buyer)?;
    let amount = input
        .amount
        .as_deref()
        .map(|a| crate::service::insurance::amount("amount", a, currency))
        .transpose()?;
    if input.kind.grants() && amount.is_none() {
        return Err(invalid(
            "field_required",
            "amount",
            "this decision grants an approval: give its amount",
        ));
    }
    if input.expires_on.is_some_and(|e| e < input.decided_on) {
        return Err(invalid(
            "validation_failed",
            "expires_on",
            "expires_on is before decided_on",
        ));
    }
    let row = ApprovalDecisionRow {
        id: new_id(),
        contract_id: contract.id.clone(),
        buyer_id: buyer.id,
        kind: input.kind.as_str().to_string(),
        amount_minor: amount,
        decided_on: input.decided_on,
        expires_on: input.expires_on,
        reference: input.reference.clone(),
        created_at: now(),
    };
    write_tx(conn, |conn| {
        diesel::insert_into(decisions::table)
            .values(&row)
            .execute(conn)?;
        Ok::<(), ServiceError>(())
    })?;
    to_approval(&row, &contract)
}

fn to_decision(r: &ApprovalDecisionRow) -> Option<LimitDecision> {
    Some(LimitDecision {
        kind: DecisionKind::parse(&r.kind)?,
        amount: r.amount_minor,
        decided_on: r.decided_on,
        expires_on: r.expires_on,
    })
}

/// The approval in force on `date` for every buyer of the contract that has
/// one (expired approvals give nothing).
pub(crate) fn approvals_at(
    conn: &mut DbConnection,
    contract: &Contract,
    notice_days: u32,
    date: NaiveDate,
) -> Result<BTreeMap<String, i64>, ServiceError> {
    let rows: Vec<ApprovalDecisionRow> = decisions::table
        .filter(decisions::contract_id.eq(&contract.id))
        .order((decisions::buyer_id, decisions::created_at, decisions::id))
        .select(ApprovalDecisionRow::as_select())
        .load(conn)?;
    let mut by_buyer: BTreeMap<String, Vec<LimitDecision>> = BTreeMap::new();
    for r in &rows {
        if let Some(d) = to_decision(r) {
            by_buyer.entry(r.buyer_id.clone()).or_default().push(d);
        }
    }
    Ok(by_buyer
        .into_iter()
        .filter_map(|(b, ds)| {
            let l = limit_at_with_notice(&ds, notice_days, date)?;
            l.expires_on
                .is_none_or(|e| e >= date)
                .then_some((b, l.amount))
        })
        .collect())
}

/// One buyer's approval in force on `date`.
pub fn approval_in_force(
    conn: &mut DbConnection,
    contract: &Contract,
    buyer_id: &str,
    date: NaiveDate,
) -> Result<Option<LimitInForce>, ServiceError> {
    let notice = contract.terms_at(date)?.approval_notice_days;
    let rows: Vec<ApprovalDecisionRow> = decisions::table
        .filter(
            decisions::contract_id
                .eq(&contract.id)
                .and(decisions::buyer_id.eq(buyer_id)),
        )
        .order((decisions::created_at, decisions::id))
        .select(ApprovalDecisionRow::as_select())
        .load(conn)?;
    let ds: Vec<LimitDecision> = rows.iter().filter_map(to_decision).collect();
    Ok(limit_at_with_notice(&ds, notice, date))
}

/// A buyer's approval history and what is in force on a date.
#[derive(Debug, Clone, Serialize)]
pub struct BuyerApprovals {
    pub buyer_id: String,
    pub in_force: Option<Money>,
    /// A reduction or cancellation notified, effective on this date.
    pub lowering_from: Option<NaiveDate>,
    pub decisions: Vec<Approval>,
}

pub fn list_approvals(
    conn: &mut DbConnection,
    contract_ref: &str,
    buyer: Option<&str>,
    as_of: NaiveDate,
) -> Result<Vec<BuyerApprovals>, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    let currency = currency_of(&contract.currency)?;
    let mut q = decisions::table
        .filter(decisions::contract_id.eq(&contract.id))
        .into_boxed();
    if let Some(b) = buyer {
        let id = get_buyer(conn, b)?.id;
        q = q.filter(decisions::buyer_id.eq(id));
    }
    let rows: Vec<ApprovalDecisionRow> = q
        .order((decisions::buyer_id, decisions::created_at, decisions::id))
        .select(ApprovalDecisionRow::as_select())
        .load(conn)?;
    let notice = contract
        .terms_at(as_of)
        .map(|t| t.approval_notice_days)
        .unwrap_or(0);
    let mut out: Vec<BuyerApprovals> = Vec::new();
    for r in &rows {
        if out.last().map(|b| b.buyer_id != r.buyer_id).unwrap_or(true) {
            out.push(BuyerApprovals {
                buyer_id: r.buyer_id.clone(),
                in_force: None,
                lowering_from: None,
                decisions: Vec::new(),
            });
        }
        if let Some(last) = out.last_mut() {
            last.decisions.push(to_approval(r, &contract)?);
        }
    }
    for b in &mut out {
        let ds: Vec<LimitDecision> = b
            .decisions
            .iter()
            .map(|a| LimitDecision {
                kind: a.kind,
                amount: a.amount.map(|m| m.minor()),
                decided_on: a.decided_on,
                expires_on: a.expires_on,
            })
            .collect();
        if let Some(l) = limit_at_with_notice(&ds, notice, as_of) {
            if l.expires_on.is_none_or(|e| e >= as_of) {
                b.in_force = Some(Money::new(l.amount, currency));
            }
            b.lowering_from = l.lowering_from;
        }
    }
    Ok(out)
}

/// An approval request to send to the contract's factor.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequestInput {
    pub contract: String,
    pub buyer: String,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default = "new_kind")]
    pub kind: LimitRequestKind,
    #[serde(default)]
    pub wanted_from: Option<NaiveDate>,
}

fn new_kind() -> LimitRequestKind {
    LimitRequestKind::New
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalRequestRecord {
    #[serde(flatten)]
    pub approval: Approval,
    pub message_id: String,
    pub idempotency_key: String,
}

/// Records a `requested` decision and queues the request to the factor,
/// in one transaction. The contract must be linked to a connection.
pub fn request_approval(
    conn: &mut DbConnection,
    input: &ApprovalRequestInput,
) -> Result<ApprovalRequestRecord, ServiceError> {
    let contract = get_contract(conn, &input.contract)?;
    let Some(connection) = contract.connection.clone() else {
        return Err(invalid(
            "contract_not_connected",
            "contract",
            format!("contract {} is not linked to a factor connection: record the factor's decision by hand (factor approval record)", contract.number),
        ));
    };
    let currency = currency_of(&contract.currency)?;
    let amount = match (&input.amount, input.kind) {
        (Some(a), _) => crate::service::insurance::amount("amount", a, currency)?,
        (None, LimitRequestKind::Cancellation) => 0,
        (None, _) => {
            return Err(invalid(
                "field_required",
                "amount",
                "give the approval amount asked for",
            ))
        }
    };
    let buyer = get_buyer(conn, &input.buyer)?;
    let identity = buyer_identity(conn, &buyer.id)?;
    let today = Utc::now().date_naive();
    let row = ApprovalDecisionRow {
        id: new_id(),
        contract_id: contract.id.clone(),
        buyer_id: buyer.id.clone(),
        kind: DecisionKind::Requested.as_str().to_string(),
        amount_minor: Some(amount),
        decided_on: today,
        expires_on: None,
        reference: None,
        created_at: now(),
    };
    let key = idempotency_key(Operation::RequestApproval, &row.id);
    let request = DebtorApprovalRequest {
        idempotency_key: key.clone(),
        contract_number: contract.number.clone(),
        kind: input.kind,
        buyer: identity,
        amount: canonical_amount(amount, currency)?,
        wanted_from: input.wanted_from.unwrap_or(today),
    };
    let payload = serde_json::to_value(&request)
        .map_err(|e| invalid("payload_invalid", "", e.to_string()))?;
    let message_id = write_tx(conn, |conn| {
        diesel::insert_into(decisions::table)
            .values(&row)
            .execute(conn)?;
        enqueue(
            conn,
            NewMessage {
                connection,
                operation: Operation::RequestApproval,
                subject: Subject::FactoringApproval,
                subject_id: row.id.clone(),
                idempotency_key: key.clone(),
                payload,
                due_at: now(),
            },
        )
    })?;
    Ok(ApprovalRequestRecord {
        approval: to_approval(&row, &contract)?,
        message_id,
        idempotency_key: key,
    })
}

/// Applies the factor's answer to an approval request or to a poll of it
/// (`request_id` is the `requested` row), inside the worker's transaction:
/// the decision as a new row; while pending, one `pending` row per factor
/// reference and the next poll queued after `poll_after`.
pub fn apply_approval_answer(
    conn: &mut DbConnection,
    connection: &str,
    message_id: &str,
    request_id: &str,
    answer: &LimitAnswer,
    poll_after: Duration,
) -> Result<(), ServiceError> {
    let request: ApprovalDecisionRow = decisions::table
        .find(request_id)
        .select(ApprovalDecisionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ServiceError::not_found("approval_not_found", "approval request", request_id)
        })?;
    let contract = get_contract(conn, &request.contract_id)?;
    let kind = decision_kind(answer.status);
    let already_pending = kind == DecisionKind::Pending
        && decisions::table
            .filter(
                decisions::contract_id
                    .eq(&request.contract_id)
                    .and(decisions::buyer_id.eq(&request.buyer_id))
                    .and(decisions::kind.eq(DecisionKind::Pending.as_str()))
                    .and(decisions::reference.eq(&answer.reference))
                    .and(decisions::created_at.ge(request.created_at)),
            )
            .count()
            .get_result::<i64>(conn)?
            > 0;
    if !already_pending {
        let amount = granted_minor(answer, kind, &contract.currency, "factor", "contract")?;
        let row = ApprovalDecisionRow {
            id: new_id(),
            contract_id: request.contract_id.clone(),
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
                operation: Operation::PollApproval,
                subject: Subject::FactoringApproval,
                request_id,
                after_message: message_id,
                reference: &answer.reference,
                poll_after,
            },
        )?;
    }
    Ok(())
}
