//! The per-kind rules of a factor statement line (see `factor.rs`): tie it
//! to what confirmation or funding booked, or post what we have not.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate_adapter::{FactorMovementKind, FactorStatementLine};

use super::factor::{kind_name, Target};
use crate::ledger::factoring_posting::{post_financing_charge, post_reserve_credited};
use crate::money::Currency;
use crate::service::factoring::assignments::COLLECTED;
use crate::service::factoring::collections::repay_financing_uncharged;
use crate::service::factoring::contracts::Contract;
use crate::service::factoring::movements::{self, Movement};
use crate::service::factoring::recourse::charge_back_in_tx;
use crate::service::invoices::{allocate, FACTOR_COLLECTION};
use crate::service::ledger::post;
use crate::service::{new_id, Context, ServiceError};
use crate::store::rows::InvoiceRow;
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
    factoring_fundings as fundings, factoring_movements as mv, invoices,
};
use crate::store::DbConnection;

pub(super) struct Outcome {
    pub(super) action: &'static str,
    /// Our `factoring_movements` the line stands for.
    pub(super) tied: Vec<String>,
    pub(super) entry: Option<String>,
    pub(super) explanation: String,
}

fn tied(ids: Vec<String>, explanation: String) -> Outcome {
    Outcome {
        action: "tied",
        tied: ids,
        entry: None,
        explanation,
    }
}

fn review(explanation: String) -> Outcome {
    Outcome {
        action: "review",
        tied: Vec::new(),
        entry: None,
        explanation,
    }
}

/// Our movements of `kind` on the assignment, not yet tied to a line.
fn untied_of(
    conn: &mut DbConnection,
    contract: &Contract,
    kind: &str,
    assignment_id: Option<&str>,
) -> Result<Vec<(String, i64)>, ServiceError> {
    let mut q = mv::table
        .filter(mv::contract_id.eq(&contract.id).and(mv::kind.eq(kind)))
        .into_boxed();
    if let Some(a) = assignment_id {
        q = q.filter(mv::assignment_id.eq(a));
    }
    let rows: Vec<(String, i64)> = q
        .order((mv::on_date, mv::id))
        .select((mv::id, mv::amount_minor))
        .load(conn)?;
    let used = super::factor_proof::tied_ids(conn, &contract.number, None)?;
    Ok(rows
        .into_iter()
        .filter(|(id, _)| !used.contains(id))
        .collect())
}

pub(super) fn apply_line(
    conn: &mut DbConnection,
    ctx: &Context,
    contract: &Contract,
    c: Currency,
    line: &FactorStatementLine,
    t: &Target,
) -> Result<Outcome, ServiceError> {
    use FactorMovementKind as K;
    let a = t.assignment_id.as_deref();
    let amount = line.amount.minor;
    let on = line.booked_on;
    let piece = line
        .invoice_number
        .clone()
        .or_else(|| line.assignment_number.clone())
        .unwrap_or_else(|| line.entry_reference.clone());
    match line.kind {
        K::Assignment | K::ReserveHeld if a.is_some() => {
            let kind = if line.kind == K::Assignment {
                movements::ASSIGNMENT
            } else {
                movements::RESERVE_HELD
            };
            Ok(match untied_of(conn, contract, kind, a)?.first() {
                Some((id, ours)) if *ours == amount => {
                    tied(vec![id.clone()], format!("booked at confirmation ({kind})"))
                }
                Some((_, ours)) => review(format!(
                    "our {kind} of this assignment is {ours}, the factor says {amount}"
                )),
                None => review(format!("no {kind} of this assignment in our books")),
            })
        }
        K::Fee | K::FeeVat if a.is_some() => {
            let (fee, vat): (i64, i64) = assignments::table
                .find(a.unwrap_or_default())
                .select((assignments::fee_minor, assignments::fee_vat_minor))
                .first(conn)?;
            let ours = if line.kind == K::Fee { fee } else { vat };
            // One FEE movement carries commission and VAT: both lines tie to it.
            let fee_moves: Vec<String> = mv::table
                .filter(
                    mv::assignment_id
                        .eq(a.unwrap_or_default())
                        .and(mv::kind.eq(movements::FEE)),
                )
                .select(mv::id)
                .load(conn)?;
            Ok(if -ours == amount && !fee_moves.is_empty() {
                tied(fee_moves, "booked at confirmation (fee)".into())
            } else {
                review(format!(
                    "our {} of this assignment is {}, the factor says {amount}",
                    kind_name(line.kind),
                    -ours
                ))
            })
        }
        K::Advance if amount < 0 => advance(conn, ctx, contract, line, a, &piece),
        K::Interest if amount < 0 => {
            // Financing charges we computed ourselves (on a collection that
            // reached us, or a recourse) are the same interest: the line ties
            // to them instead of being posted a second time.
            let ours: Vec<(String, i64)> = untied_of(conn, contract, movements::INTEREST, None)?
                .into_iter()
                .filter(|(_, m)| *m < 0)
                .collect();
            if !ours.is_empty() {
                let total: i64 = ours.iter().map(|(_, m)| m).sum();
                return Ok(
                    if let Some((id, _)) = ours.iter().find(|(_, m)| *m == amount) {
                        tied(
                            vec![id.clone()],
                            "our financing charge, computed at repayment".into(),
                        )
                    } else if total == amount {
                        tied(
                            ours.into_iter().map(|(id, _)| id).collect(),
                            "our financing charges, computed at repayment".into(),
                        )
                    } else {
                        review(format!(
                        "our financing charges not yet on a statement total {total}, the factor says {amount}"
                    ))
                    },
                );
            }
            let event = new_id();
            let entry = post(
                conn,
                ctx,
                &post_financing_charge(&event, &piece, -amount, c, on, ctx.chart.roles())?,
            )?;
            Ok(posted(
                conn,
                contract,
                on,
                movements::INTEREST,
                amount,
                0,
                a,
                None,
                entry,
            )?)
        }
        K::ReserveReleased if amount > 0 => {
            let event = new_id();
            let entry = post(
                conn,
                ctx,
                &post_reserve_credited(&event, &piece, amount, c, on, ctx.chart.roles())?,
            )?;
            Ok(posted(
                conn,
                contract,
                on,
                movements::RESERVE_RELEASED,
                amount,
                -amount,
                a,
                None,
                entry,
            )?)
        }
        K::Recourse if amount < 0 && a.is_some() && line.invoice_number.is_some() => {
            let (Some(assignment), Some(invoice)) = (&line.assignment_number, &line.invoice_number)
            else {
                return Ok(review("recourse without assignment or invoice".into()));
            };
            let before = super::factor_proof::movement_ids(conn, &contract.id)?;
            charge_back_in_tx(conn, ctx, assignment, invoice, -amount, on)?;
            let after = super::factor_proof::movement_ids(conn, &contract.id)?;
            let new: Vec<String> = after.into_iter().filter(|i| !before.contains(i)).collect();
            Ok(Outcome {
                action: "posted",
                tied: new,
                entry: None,
                explanation: "charged back: 411 / 467 (and our financing charge)".into(),
            })
        }
        K::Collection if amount > 0 && t.invoice_id.is_some() => {
            collection(conn, ctx, contract, line, t, amount)
        }
        _ => Ok(review(format!(
            "{} line of {amount}: left for a person, not posted",
            kind_name(line.kind)
        ))),
    }
}

#[allow(clippy::too_many_arguments)]
fn posted(
    conn: &mut DbConnection,
    contract: &Contract,
    on: NaiveDate,
    kind: &'static str,
    amount: i64,
    reserve: i64,
    assignment_id: Option<&str>,
    item_id: Option<&str>,
    entry: String,
) -> Result<Outcome, ServiceError> {
    let id = movements::record_returning(
        conn,
        &contract.id,
        on,
        Movement {
            kind,
            amount,
            reserve,
            assignment_id,
            item_id,
            entry_id: Some(&entry),
            ..Movement::default()
        },
    )?;
    Ok(Outcome {
        action: "posted",
        tied: vec![id],
        entry: Some(entry),
        explanation: format!("posted ({kind})"),
    })
}

/// An advance: tied to the funding our books recorded for it (the factor's
/// answer on the assignment, or a funding request paid that day for that
/// amount), else recorded as an accepted funding (512 / 467).
fn advance(
    conn: &mut DbConnection,
    ctx: &Context,
    contract: &Contract,
    line: &FactorStatementLine,
    assignment_id: Option<&str>,
    piece: &str,
) -> Result<Outcome, ServiceError> {
    let amount = -line.amount.minor;
    let reference: Option<String> = match assignment_id {
        Some(a) => assignments::table
            .find(a)
            .select(assignments::factor_reference)
            .first(conn)?,
        None => None,
    };
    let candidates = untied_of(conn, contract, movements::ADVANCE, None)?;
    for (id, ours) in candidates {
        if ours != -amount {
            continue;
        }
        let (reference_of, value_date): (Option<String>, Option<NaiveDate>) = mv::table
            .inner_join(fundings::table.on(mv::funding_id.eq(fundings::id.nullable())))
            .filter(mv::id.eq(&id))
            .select((fundings::factor_reference, fundings::value_date))
            .first(conn)?;
        let same = match &reference {
            Some(r) => reference_of.as_deref() == Some(r.as_str()),
            None => value_date == Some(line.value_date.unwrap_or(line.booked_on)),
        };
        if same {
            return Ok(tied(
                vec![id],
                "booked when the factor's answer was applied (advance)".into(),
            ));
        }
    }
    let on = line.value_date.unwrap_or(line.booked_on);
    let before = super::factor_proof::movement_ids(conn, &contract.id)?;
    crate::service::factoring::position::record_advance(
        conn,
        ctx,
        &contract.id,
        amount,
        on,
        reference.as_deref(),
        piece,
    )?;
    let after = super::factor_proof::movement_ids(conn, &contract.id)?;
    Ok(Outcome {
        action: "posted",
        tied: after.into_iter().filter(|i| !before.contains(i)).collect(),
        entry: None,
        explanation: "advance recorded from the statement: 512 / 467".into(),
    })
}

/// A buyer paid the factor (memo: 467 does not move): the invoice's open
/// amount goes down, the item is collected when nothing is left open.
fn collection(
    conn: &mut DbConnection,
    ctx: &Context,
    contract: &Contract,
    line: &FactorStatementLine,
    t: &Target,
    amount: i64,
) -> Result<Outcome, ServiceError> {
    let invoice_id = t.invoice_id.as_deref().unwrap_or_default();
    let found: Option<(String, String, i64)> = items::table
        .filter(items::invoice_id.eq(invoice_id).and(items::active.eq(1)))
        .select((items::id, items::assignment_id, items::approved_minor))
        .first(conn)
        .optional()?;
    let Some((item_id, assignment_id, approved)) = found else {
        return Ok(review("collection on an invoice no longer assigned".into()));
    };
    let invoice: InvoiceRow = invoices::table
        .find(invoice_id)
        .select(InvoiceRow::as_select())
        .first(conn)?;
    let open = invoice.open_minor;
    if amount > open {
        return Ok(review(format!(
            "the factor collected {amount}, the invoice has {open} open"
        )));
    }
    // An allocation like a payment's, so the invoice's history (aged
    // balance and KPIs as of a past date) sees the buyer pay on that day.
    let source = format!("{}:{}", contract.number, line.entry_reference);
    allocate(
        conn,
        &invoice,
        FACTOR_COLLECTION,
        &source,
        amount,
        line.booked_on,
    )?;
    let open_after = open - amount;
    if open_after == 0 {
        diesel::update(items::table.find(&item_id))
            .set(items::state.eq(COLLECTED))
            .execute(conn)?;
    }
    let approved_gone = approved.min(open) - approved.min(open_after);
    let id = movements::record_returning(
        conn,
        &contract.id,
        line.booked_on,
        Movement {
            kind: movements::COLLECTION,
            amount: 0,
            outstanding: -amount,
            approved: -approved_gone,
            assignment_id: Some(&assignment_id),
            item_id: Some(&item_id),
            ..Movement::default()
        },
    )?;
    // The factor repays its advance from what it collected; its interest
    // comes on its own statement line.
    repay_financing_uncharged(conn, ctx, &contract.id, approved_gone, line.booked_on)?;
    Ok(Outcome {
        action: "posted",
        tied: vec![id],
        entry: None,
        explanation: "collected by the factor: invoice settled, advance repaid, no entry (memo)"
            .into(),
    })
}
