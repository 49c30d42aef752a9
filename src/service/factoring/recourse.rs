//! Recourse [recours, définancement]: under a with-recourse contract, the
//! invoices unpaid at due date + the recourse delay, and the charge-back
//! the factor's statement orders, which brings the invoice back to 411.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::assignments::CHARGED_BACK;
use super::collections::repay_financing;
use super::contracts::{get_contract, lock_contract};
use super::movements::{self, Movement};
use super::{currency_of, invalid};
use crate::domain::factoring::Recourse;
use crate::domain::invoice::InvoiceKind;
use crate::ledger::factoring_posting::post_charge_back;
use crate::money::Money;
use crate::service::ledger::post;
use crate::service::{Context, ServiceError};
use crate::store::factoring_rows::AssignmentItemRow;
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments, invoices,
};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct RecourseItem {
    pub assignment: String,
    pub invoice_number: String,
    pub buyer_id: String,
    pub due_date: NaiveDate,
    /// The first day the factor may charge it back.
    pub recourse_from: NaiveDate,
    pub open: Money,
}

/// Invoices of a with-recourse contract unpaid at due date + recourse
/// delay on `as_of` (empty for a contract without recourse).
pub fn recourse_due(
    conn: &mut DbConnection,
    contract_ref: &str,
    as_of: NaiveDate,
) -> Result<Vec<RecourseItem>, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    let terms = contract.terms_at(as_of)?;
    if terms.recourse != Recourse::WithRecourse {
        return Ok(Vec::new());
    }
    let delay = Duration::days(i64::from(terms.recourse_days));
    let c = currency_of(&contract.currency)?;
    let rows: Vec<(String, String, String, NaiveDate, i64)> = items::table
        .inner_join(assignments::table)
        .inner_join(invoices::table)
        .filter(
            assignments::contract_id
                .eq(&contract.id)
                .and(items::active.eq(1))
                .and(items::kind.eq(InvoiceKind::Invoice.as_str()))
                .and(invoices::open_minor.gt(0))
                .and(invoices::due_date.lt(as_of - delay)),
        )
        .order((invoices::due_date, invoices::number))
        .select((
            assignments::number,
            invoices::number,
            items::buyer_id,
            invoices::due_date,
            invoices::open_minor,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(assignment, invoice_number, buyer_id, due_date, open)| RecourseItem {
                assignment,
                invoice_number,
                buyer_id,
                due_date,
                recourse_from: due_date + delay + Duration::days(1),
                open: Money::new(open, c),
            },
        )
        .collect())
}

/// Applies a charge-back the factor's statement orders: the invoice comes
/// back to the buyer's 411 (debit 411, credit 467), leaves the assignment,
/// and the approved part repays the financing. The amount (minor units of
/// the contract currency) must be what the invoice still has open.
pub fn charge_back(
    conn: &mut DbConnection,
    ctx: &Context,
    assignment_number: &str,
    invoice_number: &str,
    amount: i64,
    on: NaiveDate,
) -> Result<RecourseItem, ServiceError> {
    write_tx(conn, |conn| {
        charge_back_in_tx(conn, ctx, assignment_number, invoice_number, amount, on)
    })
}

/// [`charge_back`] inside the caller's transaction (a factor statement's
/// recourse line).
pub(crate) fn charge_back_in_tx(
    conn: &mut DbConnection,
    ctx: &Context,
    assignment_number: &str,
    invoice_number: &str,
    amount: i64,
    on: NaiveDate,
) -> Result<RecourseItem, ServiceError> {
    let (assignment_id, contract_id): (String, String) = assignments::table
        .filter(assignments::number.eq(assignment_number))
        .select((assignments::id, assignments::contract_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ServiceError::not_found("assignment_not_found", "assignment", assignment_number)
        })?;
    let contract = get_contract(conn, &contract_id)?;
    let c = currency_of(&contract.currency)?;
    lock_contract(conn, &contract_id)?;
    if contract.terms_at(on)?.recourse != Recourse::WithRecourse {
        return Err(invalid(
            "contract_without_recourse",
            "contract",
            format!(
                "contract {} is without recourse: the factor bears the loss",
                contract.number
            ),
        ));
    }
    let found: Option<(AssignmentItemRow, NaiveDate, i64)> = items::table
        .inner_join(invoices::table)
        .filter(
            items::assignment_id
                .eq(&assignment_id)
                .and(invoices::number.eq(invoice_number)),
        )
        .select((
            AssignmentItemRow::as_select(),
            invoices::due_date,
            invoices::open_minor,
        ))
        .first(conn)
        .optional()?;
    let Some((item, due_date, open)) = found else {
        return Err(invalid(
            "invoice_not_in_assignment",
            "invoice",
            format!("invoice {invoice_number} is not in assignment {assignment_number}"),
        ));
    };
    if item.active == 0 {
        return Err(ServiceError::conflict(
            "item_not_active",
            format!(
                "invoice {invoice_number} is {} in assignment {assignment_number}",
                item.state
            ),
        ));
    }
    if amount != open || amount <= 0 {
        return Err(invalid(
            "charge_back_amount_mismatch",
            "amount",
            format!(
                "the charge-back is {}, invoice {invoice_number} has {} open",
                Money::new(amount, c),
                Money::new(open, c)
            ),
        ));
    }
    let entry = post(
        conn,
        ctx,
        &post_charge_back(
            &item.id,
            invoice_number,
            &item.buyer_id,
            amount,
            c,
            on,
            ctx.chart.roles(),
        )?,
    )?;
    let approved_gone = item.approved_minor.min(open);
    diesel::update(items::table.find(&item.id))
        .set((items::state.eq(CHARGED_BACK), items::active.eq(0)))
        .execute(conn)?;
    movements::record(
        conn,
        &contract_id,
        on,
        Movement {
            kind: movements::RECOURSE,
            amount: -amount,
            outstanding: -amount,
            approved: -approved_gone,
            assignment_id: Some(&assignment_id),
            item_id: Some(&item.id),
            entry_id: Some(&entry),
            ..Movement::default()
        },
    )?;
    repay_financing(conn, ctx, &contract_id, approved_gone, on, invoice_number)?;
    let delay = Duration::days(i64::from(contract.terms_at(on)?.recourse_days));
    Ok(RecourseItem {
        assignment: assignment_number.to_string(),
        invoice_number: invoice_number.to_string(),
        buyer_id: item.buyer_id.clone(),
        due_date,
        recourse_from: due_date + delay + Duration::days(1),
        open: Money::new(open, c),
    })
}
