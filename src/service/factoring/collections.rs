//! Collections on assigned invoices that reach us (a confidential
//! contract, or a buyer that paid us instead of the factor): the money is
//! the factor's, so the payment credits the factor account (467) instead
//! of the buyer's 411, which no longer carries the invoice. The approved
//! part collected repays the financing (oldest funding first), and the
//! financing charge on what it repays is posted with it.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::assignments::COLLECTED;
use super::contracts::get_contract;
use super::movements::{self, Movement};
use super::{currency_of, money_err};
use crate::domain::factoring::money::{advance, financing_charge, FinancingSlice};
use crate::domain::payment::Allocation;
use crate::ledger::factoring_posting::post_financing_charge;
use crate::ledger::{EntryDraft, EntryLine};
use crate::service::ledger::post;
use crate::service::rates::rate_at;
use crate::service::{new_id, Context, ServiceError};
use crate::store::factoring_rows::FundingRow;
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
    factoring_fundings as fundings, invoices,
};
use crate::store::DbConnection;

/// The account a buyer's payment allocated to `invoice_id` credits: the
/// factor account while the invoice is under an active assignment, else
/// the receivable (411).
pub fn collection_account(
    conn: &mut DbConnection,
    ctx: &Context,
    invoice_id: &str,
) -> Result<String, ServiceError> {
    let assigned: i64 = items::table
        .filter(items::invoice_id.eq(invoice_id).and(items::active.eq(1)))
        .count()
        .get_result(conn)?;
    let roles = ctx.chart.roles();
    Ok(if assigned > 0 {
        roles.factor_current_account.clone()
    } else {
        roles.receivable.clone()
    })
}

/// Moves the allocations to assigned invoices from the payment's 411
/// credit to 467 and records them as collections, inside the payment's
/// transaction (after the allocations are applied to the invoices).
pub fn route_collections(
    conn: &mut DbConnection,
    ctx: &Context,
    draft: &mut EntryDraft,
    allocations: &[Allocation],
    on: NaiveDate,
) -> Result<(), ServiceError> {
    let roles = ctx.chart.roles().clone();
    for a in allocations {
        if collection_account(conn, ctx, &a.invoice_id)? != roles.factor_current_account {
            continue;
        }
        let (item_id, approved, contract_id, assignment_id, open_after): (
            String,
            i64,
            String,
            String,
            i64,
        ) = items::table
            .inner_join(assignments::table)
            .inner_join(invoices::table)
            .filter(items::invoice_id.eq(&a.invoice_id).and(items::active.eq(1)))
            .select((
                items::id,
                items::approved_minor,
                assignments::contract_id,
                assignments::id,
                invoices::open_minor,
            ))
            .first(conn)?;
        // Move the amount from the buyer's 411 credit line to 467.
        let Some(pos) = draft
            .lines
            .iter()
            .position(|l| l.account == roles.receivable && l.credit >= a.amount)
        else {
            return Err(ServiceError::conflict(
                "internal",
                "payment entry has no receivable line to route",
            ));
        };
        let currency = draft.lines[pos].currency;
        let label = draft.lines[pos].label.clone();
        draft.lines[pos].credit -= a.amount;
        if draft.lines[pos].credit == 0 {
            draft.lines.remove(pos);
        }
        draft.lines.push(EntryLine::credit(
            &roles.factor_current_account,
            a.amount,
            currency,
            &label,
        ));
        let open_before = open_after + a.amount;
        let approved_gone = approved.min(open_before) - approved.min(open_after);
        movements::record(
            conn,
            &contract_id,
            on,
            Movement {
                kind: movements::COLLECTION,
                amount: -a.amount,
                outstanding: -a.amount,
                approved: -approved_gone,
                assignment_id: Some(&assignment_id),
                item_id: Some(&item_id),
                ..Movement::default()
            },
        )?;
        repay_financing(conn, ctx, &contract_id, approved_gone, on, &draft.piece_ref)?;
        if open_after == 0 {
            diesel::update(items::table.find(&item_id))
                .set(items::state.eq(COLLECTED))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The approved part of a collection or charge-back repays the advance
/// rate's share of it from the oldest fundings; the financing charge on
/// each repaid slice runs from its funding's value date to `on` at the
/// reference rate of that date plus the margin, rounded once for the
/// event, and is posted 661 / 467.
pub(crate) fn repay_financing(
    conn: &mut DbConnection,
    ctx: &Context,
    contract_id: &str,
    approved_part: i64,
    on: NaiveDate,
    piece: &str,
) -> Result<(), ServiceError> {
    repay(conn, ctx, contract_id, approved_part, on, piece, true)
}

/// A collection the factor made itself repays its advance the same way,
/// but the factor charges the interest on its own statement (an INTEREST
/// line, posted when the statement is imported): nothing is charged here.
pub(crate) fn repay_financing_uncharged(
    conn: &mut DbConnection,
    ctx: &Context,
    contract_id: &str,
    approved_part: i64,
    on: NaiveDate,
) -> Result<(), ServiceError> {
    repay(conn, ctx, contract_id, approved_part, on, "", false)
}

fn repay(
    conn: &mut DbConnection,
    ctx: &Context,
    contract_id: &str,
    approved_part: i64,
    on: NaiveDate,
    piece: &str,
    charge_interest: bool,
) -> Result<(), ServiceError> {
    if approved_part <= 0 {
        return Ok(());
    }
    let contract = get_contract(conn, contract_id)?;
    let c = currency_of(&contract.currency)?;
    let Some(terms) = crate::domain::factoring::terms_at(&contract.versions, on).cloned() else {
        return Ok(());
    };
    let mut to_repay = advance(terms.advance_rate, approved_part, c).map_err(money_err)?;
    let open: Vec<FundingRow> = fundings::table
        .filter(
            fundings::contract_id
                .eq(contract_id)
                .and(fundings::outstanding_minor.gt(0)),
        )
        .order((fundings::value_date, fundings::id))
        .select(FundingRow::as_select())
        .load(conn)?;
    let mut slices = Vec::new();
    let mut repaid = 0i64;
    for f in open {
        if to_repay == 0 {
            break;
        }
        let part = f.outstanding_minor.min(to_repay);
        to_repay -= part;
        repaid += part;
        diesel::update(fundings::table.find(&f.id))
            .set(fundings::outstanding_minor.eq(f.outstanding_minor - part))
            .execute(conn)?;
        let funded_on = f.value_date.unwrap_or(f.requested_on);
        if !charge_interest {
            continue;
        }
        let reference = rate_at(conn, &terms.reference_series, funded_on).map_err(|_| {
            super::invalid(
                "reference_rate_missing",
                "reference_series",
                format!(
                    "no {} rate on or before {funded_on}: import it (rates import)",
                    terms.reference_series
                ),
            )
        })?;
        slices.push(FinancingSlice {
            amount: part,
            days: (on - funded_on).num_days(),
            yearly_rate: reference + terms.margin,
        });
    }
    if repaid == 0 {
        return Ok(());
    }
    let charge = financing_charge(&slices, c).map_err(money_err)?;
    let event = new_id();
    let entry = if charge > 0 {
        Some(post(
            conn,
            ctx,
            &post_financing_charge(&event, piece, charge, c, on, ctx.chart.roles())?,
        )?)
    } else {
        None
    };
    movements::record(
        conn,
        contract_id,
        on,
        Movement {
            kind: movements::INTEREST,
            amount: -charge,
            financed: -repaid,
            entry_id: entry.as_deref(),
            ..Movement::default()
        },
    )
}
