//! Rejections of an assignment, whole or per invoice (by us or in the
//! factor's answer), which reverse their share of the posting and free the
//! invoices, and the factor's answers to a submission.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use factorgate_adapter::{AssignmentAnswer, AssignmentStatus};

use super::assignments::{
    get_assignment, load_row, signed, Assignment, ACKNOWLEDGED, CLOSED, FUNDED, ITEM_REJECTED,
    REJECTED,
};
use super::contracts::{get_contract, lock_contract};
use super::movements::{self, Movement};
use super::{currency_of, invalid, money_err};
use crate::domain::factoring::money::{commission, reserve};
use crate::ledger::factoring_posting::{post_assignment, AssignmentFacts};
use crate::money::Currency;
use crate::service::ledger::post;
use crate::service::{now, Context, ServiceError};
use crate::store::factoring_rows::{AssignmentItemRow, AssignmentRow};
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
    factoring_fundings as fundings, invoices,
};
use crate::store::{write_tx, DbConnection};

/// Rejects a whole assignment (`invoice` None) or one of its invoices:
/// the items leave the assignment (inactive: the invoices are free again)
/// and a reversing entry takes back their share of the receivables, the
/// reserve and the commission.
pub fn reject(
    conn: &mut DbConnection,
    ctx: &Context,
    reference: &str,
    invoice: Option<&str>,
    on: NaiveDate,
    reason: Option<&str>,
) -> Result<Assignment, ServiceError> {
    let row = load_row(conn, reference)?;
    write_tx(conn, |conn| {
        lock_contract(conn, &row.contract_id)?;
        let numbers: Vec<String> = invoice.map(|i| vec![i.to_string()]).unwrap_or_default();
        remove_items(conn, ctx, &row.id, invoice.is_none(), &numbers, on, reason)
    })?;
    get_assignment(conn, &row.id)
}

/// Inside a transaction: takes items out of an assignment and posts the
/// reversal. `all`: every active item; else the named invoice numbers.
pub(crate) fn remove_items(
    conn: &mut DbConnection,
    ctx: &Context,
    assignment_id: &str,
    all: bool,
    numbers: &[String],
    on: NaiveDate,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    let row: AssignmentRow = assignments::table
        .find(assignment_id)
        .select(AssignmentRow::as_select())
        .first(conn)?;
    if [CLOSED, REJECTED].contains(&row.state.as_str()) || (all && row.state == FUNDED) {
        return Err(ServiceError::conflict(
            "assignment_not_rejectable",
            format!("assignment {} is {}", row.number, row.state),
        ));
    }
    let active: Vec<(AssignmentItemRow, String)> = items::table
        .inner_join(invoices::table)
        .filter(items::assignment_id.eq(&row.id).and(items::active.eq(1)))
        .select((AssignmentItemRow::as_select(), invoices::number))
        .load(conn)?;
    let removed: Vec<&AssignmentItemRow> = if all {
        active.iter().map(|(i, _)| i).collect()
    } else {
        let mut v = Vec::new();
        for n in numbers {
            let item = active
                .iter()
                .find(|(_, num)| num == n)
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    invalid(
                        "invoice_not_in_assignment",
                        "invoice",
                        format!("no active invoice '{n}' in assignment {}", row.number),
                    )
                })?;
            v.push(item);
        }
        v
    };
    if removed.is_empty() {
        return Err(ServiceError::conflict(
            "assignment_not_rejectable",
            format!("assignment {} has no active invoice", row.number),
        ));
    }
    let contract = get_contract(conn, &row.contract_id)?;
    let terms = contract.terms_at(row.assigned_on)?.clone();
    let c: Currency = currency_of(&row.currency)?;
    let mut per_buyer: BTreeMap<String, i64> = BTreeMap::new();
    let (mut gone, mut gone_approved) = (0i64, 0i64);
    for i in &removed {
        *per_buyer.entry(i.buyer_id.clone()).or_default() += signed(&i.kind, i.gross_minor);
        gone += signed(&i.kind, i.gross_minor);
        gone_approved += i.approved_minor;
    }
    let remaining = row.total_minor - gone;
    let remaining_approved = row.approved_minor - gone_approved;
    let (new_reserve, new_fee) = if remaining_approved == 0 && remaining <= 0 {
        (
            0,
            commission(terms.fee_rate, terms.fee_vat_rate, 0, c).map_err(money_err)?,
        )
    } else {
        (
            reserve(terms.reserve_rate, remaining.max(0), c).map_err(money_err)?,
            commission(terms.fee_rate, terms.fee_vat_rate, remaining.max(0), c)
                .map_err(money_err)?,
        )
    };
    let facts = AssignmentFacts {
        event_id: if all {
            row.id.clone()
        } else {
            removed[0].id.clone()
        },
        assignment_number: row.number.clone(),
        currency: c,
        on,
        per_buyer: per_buyer.into_iter().collect(),
        reserve: row.reserve_minor - new_reserve,
        fee_net: row.fee_minor - new_fee.net,
        fee_vat: row.fee_vat_minor - new_fee.vat,
    };
    let entry_id = post(
        conn,
        ctx,
        &post_assignment(&facts, true, ctx.chart.roles())?,
    )?;
    for i in &removed {
        diesel::update(items::table.find(&i.id))
            .set((
                items::state.eq(ITEM_REJECTED),
                items::active.eq(0),
                items::reason.eq(reason),
            ))
            .execute(conn)?;
    }
    let left = active.len() - removed.len();
    diesel::update(assignments::table.find(&row.id))
        .set((
            assignments::total_minor.eq(remaining),
            assignments::approved_minor.eq(remaining_approved),
            assignments::reserve_minor.eq(new_reserve),
            assignments::fee_minor.eq(new_fee.net),
            assignments::fee_vat_minor.eq(new_fee.vat),
            assignments::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if left == 0 {
        diesel::update(assignments::table.find(&row.id))
            .set(assignments::state.eq(REJECTED))
            .execute(conn)?;
    }
    movements::record(
        conn,
        &contract.id,
        on,
        Movement {
            kind: movements::REJECTION,
            amount: -gone + facts.reserve + facts.fee_net + facts.fee_vat,
            outstanding: -gone,
            approved: -gone_approved,
            reserve: -facts.reserve,
            assignment_id: Some(&row.id),
            entry_id: Some(&entry_id),
            ..Movement::default()
        },
    )?;
    Ok(())
}

/// Applies the factor's answer to a submitted assignment in its own
/// transaction: see [`apply_assignment_answer_in_tx`].
pub fn apply_assignment_answer(
    conn: &mut DbConnection,
    ctx: &Context,
    assignment_id: &str,
    answer: &AssignmentAnswer,
) -> Result<(), ServiceError> {
    write_tx(conn, |conn| {
        apply_assignment_answer_in_tx(conn, ctx, assignment_id, answer)
    })
}

/// Applies the factor's answer inside the caller's (the outbox worker's)
/// transaction: its reference and state; rejected documents leave the
/// assignment (reversed); an advance the factor says it paid is recorded
/// as an accepted funding and posted.
pub fn apply_assignment_answer_in_tx(
    conn: &mut DbConnection,
    ctx: &Context,
    assignment_id: &str,
    answer: &AssignmentAnswer,
) -> Result<(), ServiceError> {
    let row = load_row(conn, assignment_id)?;
    let on = answer.value_date.unwrap_or_else(|| Utc::now().date_naive());
    if [CLOSED, REJECTED].contains(&row.state.as_str()) {
        return Ok(());
    }
    diesel::update(assignments::table.find(&row.id))
        .set((
            assignments::factor_reference.eq(&answer.reference),
            assignments::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let reason = format!("factor: {}", answer.raw_status);
    let state = match answer.status {
        AssignmentStatus::Pending => None,
        AssignmentStatus::Acknowledged => Some(ACKNOWLEDGED),
        AssignmentStatus::Funded => Some(FUNDED),
        AssignmentStatus::Closed => Some(CLOSED),
        AssignmentStatus::Rejected => {
            remove_items(conn, ctx, &row.id, true, &[], on, Some(&reason))?;
            None
        }
        AssignmentStatus::PartiallyRejected => {
            for d in &answer.rejected {
                let r = format!("factor: {}", d.reason);
                remove_items(
                    conn,
                    ctx,
                    &row.id,
                    false,
                    std::slice::from_ref(&d.number),
                    on,
                    Some(&r),
                )?;
            }
            Some(ACKNOWLEDGED)
        }
    };
    if let Some(s) = state {
        // A batch whose every invoice the factor refused stays rejected.
        diesel::update(
            assignments::table
                .find(&row.id)
                .filter(assignments::state.ne(REJECTED)),
        )
        .set(assignments::state.eq(s))
        .execute(conn)?;
    }
    if let Some(advance) = answer.advance {
        // The factor repeats its advance in later answers: recorded once
        // per factor reference.
        let recorded: i64 = fundings::table
            .filter(
                fundings::contract_id
                    .eq(&row.contract_id)
                    .and(fundings::factor_reference.eq(&answer.reference)),
            )
            .count()
            .get_result(conn)?;
        if advance.minor > 0 && recorded == 0 {
            if advance.currency_code() != row.currency {
                return Err(invalid(
                    "answer_currency_mismatch",
                    "advance",
                    format!(
                        "the factor answered in {}, the assignment is in {}",
                        advance.currency_code(),
                        row.currency
                    ),
                ));
            }
            super::position::record_advance(
                conn,
                ctx,
                &row.contract_id,
                advance.minor,
                on,
                Some(&answer.reference),
                &row.number,
            )?;
        }
    }
    Ok(())
}
