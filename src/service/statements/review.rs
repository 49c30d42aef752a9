//! The people's side of reconciliation: statements and lines read back,
//! suggestions confirmed or rejected, unmatched lines assigned to a buyer.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::apply::{apply_payment, clear_suspense, LineMoney, ProposedAllocation, StoredProposal};
use super::import::insert_iban;
use super::LineState;
use crate::money::Money;
use crate::service::ledger::stored_currency;
use crate::service::{now, page_size, Context, Page, ServiceError};
use crate::store::rows::{MovementRow, StatementRow};
use crate::store::schema::{buyers, invoices, statement_movements, statements};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct MovementView {
    pub id: String,
    pub statement_id: String,
    pub entry_ref: String,
    pub detail_index: i32,
    pub amount: Money,
    pub booked_on: Option<NaiveDate>,
    pub value_on: Option<NaiveDate>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub remittance: String,
    pub structured_ref: Option<String>,
    pub state: String,
    pub buyer_id: Option<String>,
    pub proposal: Option<StoredProposal>,
    pub score: Option<i32>,
    pub method: Option<String>,
    pub explanation: Option<String>,
    pub payment_id: Option<String>,
    pub forward_to_factor: bool,
    pub resolved_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    pub id: String,
    pub source_kind: String,
    pub format: String,
    pub statement_ref: String,
    pub account: String,
    pub currency: String,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub opening: Option<Money>,
    pub closing: Option<Money>,
    pub balance_check: String,
    pub file_name: String,
    pub file_sha256: String,
    pub imported_at: NaiveDateTime,
    pub movements: Vec<MovementView>,
}

fn view(row: MovementRow) -> Result<MovementView, ServiceError> {
    let c = stored_currency(&row.currency)?;
    let proposal = match &row.proposal {
        Some(p) => Some(serde_json::from_str::<StoredProposal>(p).map_err(|e| {
            ServiceError::conflict("internal", format!("stored proposal unreadable: {e}"))
        })?),
        None => None,
    };
    Ok(MovementView {
        amount: Money::new(row.amount_minor, c),
        proposal,
        forward_to_factor: row.forward_to_factor != 0,
        id: row.id,
        statement_id: row.statement_id,
        entry_ref: row.entry_ref,
        detail_index: row.detail_index,
        booked_on: row.booked_on,
        value_on: row.value_on,
        counterparty_name: row.counterparty_name,
        counterparty_iban: row.counterparty_iban,
        remittance: row.remittance,
        structured_ref: row.structured_ref,
        state: row.state,
        buyer_id: row.buyer_id,
        score: row.score,
        method: row.method,
        explanation: row.explanation,
        payment_id: row.payment_id,
        resolved_at: row.resolved_at,
    })
}

pub fn get_statement(conn: &mut DbConnection, id: &str) -> Result<StatementView, ServiceError> {
    let row: StatementRow = statements::table
        .find(id)
        .select(StatementRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("statement_not_found", "statement", id))?;
    let c = stored_currency(&row.currency)?;
    let lines: Vec<MovementRow> = statement_movements::table
        .filter(statement_movements::statement_id.eq(id))
        .order((
            statement_movements::entry_ref,
            statement_movements::detail_index,
        ))
        .select(MovementRow::as_select())
        .load(conn)?;
    Ok(StatementView {
        opening: row.opening_minor.map(|m| Money::new(m, c)),
        closing: row.closing_minor.map(|m| Money::new(m, c)),
        movements: lines.into_iter().map(view).collect::<Result<_, _>>()?,
        id: row.id,
        source_kind: row.source_kind,
        format: row.format,
        statement_ref: row.statement_ref,
        account: row.account,
        currency: row.currency,
        from_date: row.from_date,
        to_date: row.to_date,
        balance_check: row.balance_check,
        file_name: row.file_name,
        file_sha256: row.file_sha256,
        imported_at: row.imported_at,
    })
}

/// Lines in one state (suggested, unmatched...), by id, paged.
pub fn list_movements(
    conn: &mut DbConnection,
    state: LineState,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<MovementView>, ServiceError> {
    let limit = page_size(limit)?;
    let mut q = statement_movements::table
        .filter(statement_movements::state.eq(state.as_str()))
        .into_boxed();
    if let Some(c) = cursor {
        q = q.filter(statement_movements::id.gt(c));
    }
    let rows: Vec<MovementRow> = q
        .order(statement_movements::id)
        .limit(limit + 1)
        .select(MovementRow::as_select())
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    let items: Vec<MovementView> = rows
        .into_iter()
        .take(limit as usize)
        .map(view)
        .collect::<Result<_, _>>()?;
    let next_cursor = if has_more {
        items.last().map(|m| m.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

fn load_line(conn: &mut DbConnection, id: &str) -> Result<MovementRow, ServiceError> {
    statement_movements::table
        .find(id)
        .select(MovementRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("movement_not_found", "statement line", id))
}

fn line_date(row: &MovementRow) -> NaiveDate {
    row.booked_on
        .or(row.value_on)
        .unwrap_or_else(|| row.created_at.date())
}

/// Resolves a parked line with a settlement: clears the suspense, records
/// the payment, learns the payer's IBAN, marks the line matched. One
/// transaction.
fn resolve(
    conn: &mut DbConnection,
    ctx: &Context,
    id: &str,
    expected: &[LineState],
    proposal: impl FnOnce(&mut DbConnection, &MovementRow) -> Result<StoredProposal, ServiceError>,
) -> Result<MovementView, ServiceError> {
    write_tx(conn, |conn| {
        let row = load_line(conn, id)?;
        if !expected.iter().any(|s| s.as_str() == row.state) {
            return Err(ServiceError::conflict(
                "movement_state_conflict",
                format!(
                    "statement line {id} is {}, not {}",
                    row.state,
                    expected
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ));
        }
        let stored = proposal(conn, &row)?;
        let currency = stored_currency(&row.currency)?;
        let label = if row.remittance.is_empty() {
            row.entry_ref.clone()
        } else {
            row.remittance.clone()
        };
        let money = LineMoney {
            movement_id: &row.id,
            date: line_date(&row),
            amount: row.amount_minor,
            currency,
            label: &label,
        };
        if row.suspense_entry_id.is_some() {
            clear_suspense(conn, ctx, &money)?;
        }
        let payment_id = apply_payment(conn, ctx, &money, &stored)?;
        if let Some(iban) = &row.counterparty_iban {
            insert_iban(conn, iban, &stored.buyer_id)?;
        }
        diesel::update(statement_movements::table.find(id))
            .set((
                statement_movements::state.eq(LineState::Matched.as_str()),
                statement_movements::payment_id.eq(&payment_id),
                statement_movements::buyer_id.eq(&stored.buyer_id),
                statement_movements::proposal.eq(serde_json::to_string(&stored).ok()),
                statement_movements::resolved_at.eq(now()),
            ))
            .execute(conn)?;
        view(load_line(conn, id)?)
    })
}

/// A person accepts the proposal of a suggested line.
pub fn confirm_suggestion(
    conn: &mut DbConnection,
    ctx: &Context,
    id: &str,
) -> Result<MovementView, ServiceError> {
    resolve(conn, ctx, id, &[LineState::Suggested], |_, row| {
        let text = row.proposal.as_deref().unwrap_or_default();
        serde_json::from_str(text).map_err(|e| {
            ServiceError::conflict("internal", format!("stored proposal unreadable: {e}"))
        })
    })
}

/// A person rejects the proposal: the line stays in suspense, unmatched.
pub fn reject_suggestion(conn: &mut DbConnection, id: &str) -> Result<MovementView, ServiceError> {
    write_tx(conn, |conn| {
        let row = load_line(conn, id)?;
        if row.state != LineState::Suggested.as_str() {
            return Err(ServiceError::conflict(
                "movement_state_conflict",
                format!("statement line {id} is {}, not suggested", row.state),
            ));
        }
        let explanation = format!(
            "proposal rejected by a person ({})",
            row.explanation.as_deref().unwrap_or("no explanation")
        );
        diesel::update(statement_movements::table.find(id))
            .set((
                statement_movements::state.eq(LineState::Unmatched.as_str()),
                statement_movements::explanation.eq(explanation),
            ))
            .execute(conn)?;
        view(load_line(conn, id)?)
    })
}

/// A person says whose payment an unmatched (or suggested) line is: the
/// buyer, and optionally which invoices (by id or number) and how much;
/// without invoices the buyer's open invoices are settled oldest first.
pub fn assign_movement(
    conn: &mut DbConnection,
    ctx: &Context,
    id: &str,
    buyer_id: &str,
    invoices_to_settle: Option<Vec<(String, i64)>>,
) -> Result<MovementView, ServiceError> {
    resolve(
        conn,
        ctx,
        id,
        &[LineState::Unmatched, LineState::Suggested],
        |conn, row| {
            let known: i64 = buyers::table
                .filter(buyers::id.eq(buyer_id))
                .count()
                .get_result(conn)?;
            if known == 0 {
                return Err(ServiceError::invalid(
                    "buyer_not_found",
                    "buyer_id",
                    "no such buyer",
                ));
            }
            let wanted: Vec<(String, i64)> = match invoices_to_settle {
                Some(list) => list,
                None => {
                    let open: Vec<(String, i64)> = invoices::table
                        .filter(
                            invoices::buyer_id
                                .eq(buyer_id)
                                .and(invoices::currency.eq(&row.currency))
                                .and(invoices::kind.eq("invoice"))
                                .and(invoices::open_minor.gt(0))
                                .and(invoices::state.ne("disputed"))
                                .and(invoices::state.ne("written_off")),
                        )
                        .order((invoices::due_date, invoices::number))
                        .select((invoices::id, invoices::open_minor))
                        .load(conn)?;
                    let mut left = row.amount_minor;
                    let mut out = Vec::new();
                    for (inv, open) in open {
                        if left == 0 {
                            break;
                        }
                        let take = left.min(open);
                        out.push((inv, take));
                        left -= take;
                    }
                    out
                }
            };
            let total: i64 = wanted.iter().map(|(_, a)| *a).sum();
            Ok(StoredProposal {
                buyer_id: buyer_id.to_string(),
                allocations: wanted
                    .into_iter()
                    .map(|(inv, amount)| ProposedAllocation {
                        invoice_number: inv.clone(),
                        invoice_id: inv,
                        amount_minor: amount,
                    })
                    .collect(),
                unallocated_minor: row.amount_minor - total,
            })
        },
    )
}
