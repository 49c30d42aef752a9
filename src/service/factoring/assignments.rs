//! Assignments [bordereaux de cession]: a confirmed proposal as a numbered
//! batch, its postings, its submission to the factor through the outbox,
//! the factor's answers, and rejections (whole or per invoice) that
//! reverse their posting and free the invoices.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate_adapter::{AssignedDocument, AssignmentSubmission, DocumentKind, SellerIdentity};
use serde::Serialize;

use super::contracts::{get_contract, lock_contract};
use super::movements::{self, Movement};
use super::proposal::{plan, Selection};
use super::{currency_of, invalid};
use crate::domain::factoring::Ineligible;
use crate::domain::invoice::InvoiceKind;
use crate::domain::outbox::Operation;
use crate::insert_rows;
use crate::ledger::factoring_posting::{post_assignment, AssignmentFacts};
use crate::money::Money;
use crate::service::insurer_calls::{buyer_identity, canonical_amount, idempotency_key};
use crate::service::ledger::post;
use crate::service::outbox::{enqueue, NewMessage, Subject};
use crate::service::parties::get_seller;
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::factoring_rows::{AssignmentItemRow, AssignmentRow};
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
    factoring_contracts as contracts, invoices,
};
use crate::store::{write_tx, DbConnection};

/// Assignment states, as stored.
pub const DRAFT: &str = "draft";
pub const SUBMITTED: &str = "submitted";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const FUNDED: &str = "funded";
pub const CLOSED: &str = "closed";
pub const REJECTED: &str = "rejected";

/// Item states, as stored.
pub const APPROVED: &str = "approved";
pub const NON_APPROVED: &str = "non_approved";
pub const ITEM_REJECTED: &str = "rejected";
pub const COLLECTED: &str = "collected";
pub const CHARGED_BACK: &str = "charged_back";

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentItem {
    pub id: String,
    pub invoice_id: String,
    pub number: String,
    pub buyer_id: String,
    pub kind: String,
    pub gross: Money,
    pub approved: Money,
    pub state: String,
    pub active: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    pub id: String,
    pub number: String,
    pub contract: String,
    pub state: String,
    pub assigned_on: NaiveDate,
    /// Invoices less credit notes still under the assignment.
    pub total: Money,
    pub approved: Money,
    pub reserve: Money,
    pub fee: Money,
    pub fee_vat: Money,
    pub factor_reference: Option<String>,
    pub entry_id: Option<String>,
    pub items: Vec<AssignmentItem>,
    /// The outbox message a submission queued, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

pub(crate) fn signed(kind: &str, amount: i64) -> i64 {
    if kind == InvoiceKind::CreditNote.as_str() {
        -amount
    } else {
        amount
    }
}

pub(crate) fn load_row(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<AssignmentRow, ServiceError> {
    assignments::table
        .filter(
            assignments::id
                .eq(reference)
                .or(assignments::number.eq(reference)),
        )
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("assignment_not_found", "assignment", reference))
}

/// An assignment by our id or its number, with its items.
pub fn get_assignment(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Assignment, ServiceError> {
    let row = load_row(conn, reference)?;
    let c = currency_of(&row.currency)?;
    let contract: String = contracts::table
        .find(&row.contract_id)
        .select(contracts::number)
        .first(conn)?;
    let rows: Vec<(AssignmentItemRow, String)> = items::table
        .inner_join(invoices::table)
        .filter(items::assignment_id.eq(&row.id))
        .order((items::buyer_id, invoices::due_date, invoices::number))
        .select((AssignmentItemRow::as_select(), invoices::number))
        .load(conn)?;
    Ok(Assignment {
        items: rows
            .into_iter()
            .map(|(i, number)| AssignmentItem {
                id: i.id,
                invoice_id: i.invoice_id,
                number,
                buyer_id: i.buyer_id,
                kind: i.kind,
                gross: Money::new(i.gross_minor, c),
                approved: Money::new(i.approved_minor, c),
                state: i.state,
                active: i.active != 0,
                reason: i.reason,
            })
            .collect(),
        id: row.id,
        number: row.number,
        contract,
        state: row.state,
        assigned_on: row.assigned_on,
        total: Money::new(row.total_minor, c),
        approved: Money::new(row.approved_minor, c),
        reserve: Money::new(row.reserve_minor, c),
        fee: Money::new(row.fee_minor, c),
        fee_vat: Money::new(row.fee_vat_minor, c),
        factor_reference: row.factor_reference,
        entry_id: row.entry_id,
        message_id: None,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentSummary {
    pub id: String,
    pub number: String,
    pub state: String,
    pub assigned_on: NaiveDate,
    pub total: Money,
    pub approved: Money,
}

pub fn list_assignments(
    conn: &mut DbConnection,
    contract_ref: &str,
) -> Result<Vec<AssignmentSummary>, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    let c = currency_of(&contract.currency)?;
    let rows: Vec<AssignmentRow> = assignments::table
        .filter(assignments::contract_id.eq(&contract.id))
        .order(assignments::number)
        .select(AssignmentRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| AssignmentSummary {
            total: Money::new(r.total_minor, c),
            approved: Money::new(r.approved_minor, c),
            id: r.id,
            number: r.number,
            state: r.state,
            assigned_on: r.assigned_on,
        })
        .collect())
}

/// Confirms a selection into a numbered draft assignment, posting it in
/// the same transaction. Named invoices must all be eligible (else the
/// first failing reason's code, every failure in the message); a filter
/// takes the eligible ones. An invoice already under an active assignment
/// (also when a concurrent confirmation takes it first) is refused with
/// `invoice_already_assigned` and nothing is written.
pub fn confirm(
    conn: &mut DbConnection,
    ctx: &Context,
    sel: &Selection,
) -> Result<Assignment, ServiceError> {
    let _span = tracing::info_span!("factoring.confirm", contract = %sel.contract).entered();
    let id = write_tx(conn, |conn| {
        let contract = get_contract(conn, &sel.contract)?;
        lock_contract(conn, &contract.id)?;
        let p = plan(conn, sel)?;
        let failures: Vec<String> = p
            .plan
            .items
            .iter()
            .filter(|i| !i.eligible())
            .map(|i| {
                let r: Vec<&str> = i.reasons.iter().map(|r| r.as_str()).collect();
                format!("{} ({})", i.candidate.number, r.join(", "))
            })
            .collect();
        if p.explicit && !failures.is_empty() {
            let first = p
                .plan
                .items
                .iter()
                .find(|i| !i.eligible())
                .and_then(|i| i.reasons.first().copied());
            let code = first
                .map(|r| r.refusal_code())
                .unwrap_or("invoice_not_eligible");
            let message = format!("not eligible: {}", failures.join("; "));
            // Double financing is a conflict with the other assignment (409,
            // as when a concurrent confirmation wins); the rest is bad input.
            if first == Some(Ineligible::AlreadyAssigned) {
                return Err(ServiceError::conflict(code, message));
            }
            return Err(invalid(code, "invoices", message));
        }
        let chosen: Vec<_> = p.plan.items.iter().filter(|i| i.eligible()).collect();
        if chosen.is_empty() {
            return Err(invalid(
                "nothing_to_assign",
                "selection",
                "no eligible invoice in the selection",
            ));
        }
        let seq: i32 = contracts::table
            .find(&contract.id)
            .select(contracts::next_assignment_seq)
            .first(conn)?;
        diesel::update(contracts::table.find(&contract.id))
            .set(contracts::next_assignment_seq.eq(seq + 1))
            .execute(conn)?;
        let number = format!("{}-{seq:06}", contract.number);
        let assignment_id = new_id();
        let mut per_buyer: BTreeMap<String, i64> = BTreeMap::new();
        for i in &chosen {
            let amount = if i.candidate.credit_note {
                -i.candidate.open
            } else {
                i.candidate.open
            };
            *per_buyer.entry(i.candidate.buyer_id.clone()).or_default() += amount;
        }
        let facts = AssignmentFacts {
            event_id: assignment_id.clone(),
            assignment_number: number.clone(),
            currency: p.currency,
            on: p.assigned_on,
            per_buyer: per_buyer.into_iter().collect(),
            reserve: p.reserve,
            fee_net: p.fee_net,
            fee_vat: p.fee_vat,
        };
        let entry_id = post(
            conn,
            ctx,
            &post_assignment(&facts, false, ctx.chart.roles())?,
        )?;
        let t = now();
        diesel::insert_into(assignments::table)
            .values(AssignmentRow {
                id: assignment_id.clone(),
                contract_id: contract.id.clone(),
                number: number.clone(),
                state: DRAFT.into(),
                assigned_on: p.assigned_on,
                currency: p.currency.code().to_string(),
                total_minor: p.plan.assigned,
                approved_minor: p.plan.approved,
                reserve_minor: p.reserve,
                fee_minor: p.fee_net,
                fee_vat_minor: p.fee_vat,
                factor_reference: None,
                entry_id: Some(entry_id.clone()),
                created_at: t,
                updated_at: t,
            })
            .execute(conn)?;
        let rows: Vec<AssignmentItemRow> = chosen
            .iter()
            .map(|i| AssignmentItemRow {
                id: new_id(),
                assignment_id: assignment_id.clone(),
                invoice_id: i.candidate.invoice_id.clone(),
                buyer_id: i.candidate.buyer_id.clone(),
                kind: if i.candidate.credit_note {
                    "credit_note"
                } else {
                    "invoice"
                }
                .into(),
                gross_minor: i.candidate.open,
                approved_minor: i.approved,
                state: if i.approved > 0 {
                    APPROVED
                } else {
                    NON_APPROVED
                }
                .into(),
                active: 1,
                reason: None,
                created_at: t,
            })
            .collect();
        insert_rows!(conn, items::table, rows.as_slice()).map_err(|e| {
            let e = ServiceError::from(e);
            if e.is_unique_violation() {
                ServiceError::conflict(
                    "invoice_already_assigned",
                    "an invoice of the selection was assigned meanwhile by another assignment; nothing was written",
                )
            } else {
                e
            }
        })?;
        let on = p.assigned_on;
        let a = Some(assignment_id.as_str());
        let e = Some(entry_id.as_str());
        movements::record(
            conn,
            &contract.id,
            on,
            Movement {
                kind: movements::ASSIGNMENT,
                amount: p.plan.assigned,
                outstanding: p.plan.assigned,
                approved: p.plan.approved,
                assignment_id: a,
                entry_id: e,
                ..Movement::default()
            },
        )?;
        movements::record(
            conn,
            &contract.id,
            on,
            Movement {
                kind: movements::RESERVE_HELD,
                amount: -p.reserve,
                reserve: p.reserve,
                assignment_id: a,
                entry_id: e,
                ..Movement::default()
            },
        )?;
        movements::record(
            conn,
            &contract.id,
            on,
            Movement {
                kind: movements::FEE,
                amount: -(p.fee_net + p.fee_vat),
                assignment_id: a,
                entry_id: e,
                ..Movement::default()
            },
        )?;
        tracing::info!(assignment = %number, items = rows.len(), "assignment confirmed");
        Ok::<_, ServiceError>(assignment_id)
    })?;
    get_assignment(conn, &id)
}

/// Hands a draft assignment to the factor: state `submitted` and, when the
/// contract has a connection, the schedule queued to the outbox in the
/// same transaction (key derived from the assignment id).
pub fn submit(conn: &mut DbConnection, reference: &str) -> Result<Assignment, ServiceError> {
    let row = load_row(conn, reference)?;
    let message_id = write_tx(conn, |conn| {
        let changed = diesel::update(
            assignments::table
                .find(&row.id)
                .filter(assignments::state.eq(DRAFT)),
        )
        .set((
            assignments::state.eq(SUBMITTED),
            assignments::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(ServiceError::conflict(
                "assignment_not_draft",
                format!(
                    "assignment {} is {}, only a draft is submitted",
                    row.number, row.state
                ),
            ));
        }
        let contract = get_contract(conn, &row.contract_id)?;
        let Some(connection) = contract.connection.clone() else {
            return Ok(None);
        };
        let submission = submission(conn, &row, &contract.number, &contract.seller_id)?;
        let payload = serde_json::to_value(&submission)
            .map_err(|e| invalid("payload_invalid", "", e.to_string()))?;
        enqueue(
            conn,
            NewMessage {
                connection,
                operation: Operation::SubmitAssignment,
                subject: Subject::FactoringAssignment,
                subject_id: row.id.clone(),
                idempotency_key: submission.idempotency_key.clone(),
                payload,
                due_at: now(),
            },
        )
        .map(Some)
    })?;
    let mut a = get_assignment(conn, &row.id)?;
    a.message_id = message_id;
    Ok(a)
}

/// The canonical schedule of an assignment's active items.
fn submission(
    conn: &mut DbConnection,
    row: &AssignmentRow,
    contract_number: &str,
    seller_id: &str,
) -> Result<AssignmentSubmission, ServiceError> {
    let c = currency_of(&row.currency)?;
    let seller = get_seller(conn, seller_id)?;
    let docs: Vec<(AssignmentItemRow, String, NaiveDate, NaiveDate)> = items::table
        .inner_join(invoices::table)
        .filter(items::assignment_id.eq(&row.id).and(items::active.eq(1)))
        .order((items::buyer_id, invoices::due_date, invoices::number))
        .select((
            AssignmentItemRow::as_select(),
            invoices::number,
            invoices::issue_date,
            invoices::due_date,
        ))
        .load(conn)?;
    let mut identities = HashMap::new();
    let mut documents = Vec::with_capacity(docs.len());
    let mut total = 0i64;
    for (item, number, issue_date, due_date) in docs {
        if !identities.contains_key(&item.buyer_id) {
            let id = buyer_identity(conn, &item.buyer_id)?;
            identities.insert(item.buyer_id.clone(), id);
        }
        let buyer = identities
            .get(&item.buyer_id)
            .cloned()
            .ok_or_else(|| ServiceError::conflict("internal", "buyer identity missing"))?;
        total += signed(&item.kind, item.gross_minor);
        documents.push(AssignedDocument {
            kind: if item.kind == "credit_note" {
                DocumentKind::CreditNote
            } else {
                DocumentKind::Invoice
            },
            number,
            buyer,
            issue_date,
            due_date,
            gross: canonical_amount(item.gross_minor, c)?,
            approved: canonical_amount(item.approved_minor, c)?,
        });
    }
    Ok(AssignmentSubmission {
        idempotency_key: idempotency_key(Operation::SubmitAssignment, &row.id),
        contract_number: contract_number.to_string(),
        assignment_number: row.number.clone(),
        seller: SellerIdentity {
            name: seller.name,
            siren: seller.siren,
            vat: seller.vat,
            iban: seller.iban,
        },
        assigned_on: row.assigned_on,
        documents,
        total: canonical_amount(total, c)?,
    })
}
