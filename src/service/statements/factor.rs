//! Factor statements [relevés de compte courant]: every line stored once
//! (contract | statement id | entry reference), tied to its assignment or
//! invoice, posted when we have not booked its event yet, and the statement
//! proved against our factor account (467) or the difference listed line
//! by line. One transaction per statement: a refused line writes nothing.
//!
//! What each kind does (README, "Factor statements and insurer
//! settlements"): assignment, reserve held, fee and fee VAT are booked at
//! confirmation and only tied; an advance is tied to the funding the
//! factor's answer recorded, else recorded as one (512 / 467); interest is
//! posted (661 / 467); a reserve released is credited to the current
//! account (467 / 4678); a recourse is a charge-back (411 / 467); a
//! collection (memo) settles the invoice without an entry; adjustments and
//! unknown lines wait for a person, unposted.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate_adapter::{FactorMovementKind, FactorStatement, FactorStatementLine};
use serde::Serialize;

use super::factor_proof::{prove, Proof};
use super::LineState;
use crate::domain::invoice::InvoiceState;
use crate::ledger::factoring_posting::{post_financing_charge, post_reserve_credited};
use crate::money::Currency;
use crate::service::factoring::assignments::COLLECTED;
use crate::service::factoring::contracts::{get_contract, lock_contract, Contract};
use crate::service::factoring::movements::{self, Movement};
use crate::service::factoring::{currency_of, recourse::charge_back_in_tx};
use crate::service::ledger::post;
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::rows::{MovementRow as LineRow, StatementRow};
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
    factoring_fundings as fundings, factoring_movements as mv, invoices, statement_movements as sm,
    statements,
};
use crate::store::{write_tx, DbConnection};

/// The adapters' memo kinds: outside opening + lines = closing.
pub fn is_memo(kind: FactorMovementKind) -> bool {
    kind == FactorMovementKind::Collection
}

pub(crate) fn kind_name(kind: FactorMovementKind) -> &'static str {
    use FactorMovementKind as K;
    match kind {
        K::Assignment => "assignment",
        K::Advance => "advance",
        K::Fee => "fee",
        K::FeeVat => "fee_vat",
        K::Interest => "interest",
        K::ReserveHeld => "reserve_held",
        K::ReserveReleased => "reserve_released",
        K::Collection => "collection",
        K::Recourse => "recourse",
        K::Adjustment => "adjustment",
        K::Other => "other",
    }
}

/// What happened to one statement line.
#[derive(Debug, Clone, Serialize)]
pub struct FactorLineReport {
    pub entry_reference: String,
    pub kind: &'static str,
    pub amount_minor: i64,
    /// `matched` (tied or posted) or `unmatched` (waits for a person).
    pub state: String,
    /// `tied` (already booked), `posted` (booked now), `known` (imported
    /// before), `review` (left for a person).
    pub action: &'static str,
    pub assignment: Option<String>,
    pub invoice: Option<String>,
    /// The journal entry this import posted for the line, if any.
    pub entry_id: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorStatementReport {
    pub statement_id: String,
    pub contract: String,
    pub issued_on: NaiveDate,
    pub currency: String,
    pub opening_minor: i64,
    pub closing_minor: i64,
    pub new_lines: usize,
    pub known_lines: usize,
    pub lines: Vec<FactorLineReport>,
    pub proof: Proof,
}

/// The facts a line is tied to, found before anything is written.
struct Target {
    assignment_id: Option<String>,
    invoice_id: Option<String>,
}

fn movement_key(contract: &str, statement_id: &str, entry: &str) -> String {
    format!("factor|{contract}|{statement_id}|{entry}")
}

/// Imports one factor statement of `contract` (number or id): see the
/// module doc. Refused whole: `statement_currency_mismatch`,
/// `statement_unbalanced`, `assignment_not_found`, `invoice_not_found`
/// (and the charge-back's own codes for a recourse line).
pub fn import_factor_statement(
    conn: &mut DbConnection,
    ctx: &Context,
    contract: &str,
    statement: &FactorStatement,
) -> Result<FactorStatementReport, ServiceError> {
    let contract = get_contract(conn, contract)?;
    let c = currency_of(&contract.currency)?;
    let span = tracing::info_span!("factor_statement", contract = %contract.number,
        statement = %statement.statement_id);
    let _guard = span.enter();
    check_statement(&contract, statement)?;
    write_tx(conn, |conn| {
        lock_contract(conn, &contract.id)?;
        let targets = statement
            .lines
            .iter()
            .map(|l| target(conn, &contract, l))
            .collect::<Result<Vec<_>, _>>()?;
        let statement_row = find_or_insert_statement(conn, &contract, statement)?;
        let mut report = FactorStatementReport {
            statement_id: statement.statement_id.clone(),
            contract: contract.number.clone(),
            issued_on: statement.issued_on,
            currency: contract.currency.clone(),
            opening_minor: statement.opening_balance.minor,
            closing_minor: statement.closing_balance.minor,
            new_lines: 0,
            known_lines: 0,
            lines: Vec::with_capacity(statement.lines.len()),
            proof: Proof::default(),
        };
        for (line, t) in statement.lines.iter().zip(targets) {
            let key = movement_key(
                &contract.number,
                &statement.statement_id,
                &line.entry_reference,
            );
            let known: Option<(String, Option<String>, Option<String>)> = sm::table
                .filter(sm::movement_key.eq(&key))
                .select((sm::state, sm::explanation, sm::suspense_entry_id))
                .first(conn)
                .optional()?;
            let mut r = FactorLineReport {
                entry_reference: line.entry_reference.clone(),
                kind: kind_name(line.kind),
                amount_minor: line.amount.minor,
                state: LineState::Unmatched.as_str().into(),
                action: "review",
                assignment: line.assignment_number.clone(),
                invoice: line.invoice_number.clone(),
                entry_id: None,
                explanation: String::new(),
            };
            if let Some((state, explanation, entry)) = known {
                report.known_lines += 1;
                r.state = state;
                r.action = "known";
                r.entry_id = entry;
                r.explanation = explanation.unwrap_or_default();
                report.lines.push(r);
                continue;
            }
            report.new_lines += 1;
            let outcome = apply_line(conn, ctx, &contract, c, line, &t)?;
            r.state = if outcome.tied.is_empty() && outcome.action == "review" {
                LineState::Unmatched
            } else {
                LineState::Matched
            }
            .as_str()
            .into();
            r.action = outcome.action;
            r.entry_id = outcome.entry.clone();
            r.explanation = outcome.explanation.clone();
            insert_line(conn, &statement_row, key, line, &t, &r, &outcome.tied)?;
            report.lines.push(r);
        }
        report.proof = prove(conn, &contract, statement)?;
        tracing::info!(
            new = report.new_lines,
            known = report.known_lines,
            proved = report.proof.proved,
            "factor statement imported"
        );
        Ok(report)
    })
}

fn check_statement(contract: &Contract, st: &FactorStatement) -> Result<(), ServiceError> {
    let amounts = std::iter::once(&st.opening_balance)
        .chain(std::iter::once(&st.closing_balance))
        .chain(st.lines.iter().map(|l| &l.amount));
    for a in amounts {
        if a.currency_code() != contract.currency {
            return Err(ServiceError::invalid(
                "statement_currency_mismatch",
                "currency",
                format!(
                    "statement {} has an amount in {}, contract {} is in {}",
                    st.statement_id,
                    a.currency_code(),
                    contract.number,
                    contract.currency
                ),
            ));
        }
    }
    let counted: i64 = st
        .lines
        .iter()
        .filter(|l| !is_memo(l.kind))
        .map(|l| l.amount.minor)
        .sum();
    let expected = st.opening_balance.minor + counted;
    if expected != st.closing_balance.minor {
        return Err(ServiceError::invalid(
            "statement_unbalanced",
            "closing_balance",
            format!(
                "statement {}: opening {} + lines {} = {}, closing says {} (difference {})",
                st.statement_id,
                st.opening_balance.minor,
                counted,
                expected,
                st.closing_balance.minor,
                st.closing_balance.minor - expected
            ),
        ));
    }
    Ok(())
}

/// The assignment and invoice a line names, which must be ours.
fn target(
    conn: &mut DbConnection,
    contract: &Contract,
    line: &FactorStatementLine,
) -> Result<Target, ServiceError> {
    let assignment_id = match &line.assignment_number {
        Some(n) => Some(
            assignments::table
                .filter(
                    assignments::contract_id
                        .eq(&contract.id)
                        .and(assignments::number.eq(n)),
                )
                .select(assignments::id)
                .first::<String>(conn)
                .optional()?
                .ok_or_else(|| ServiceError::not_found("assignment_not_found", "assignment", n))?,
        ),
        None => None,
    };
    let invoice_id = match &line.invoice_number {
        Some(n) => {
            let mut q = items::table
                .inner_join(assignments::table)
                .inner_join(invoices::table)
                .filter(
                    assignments::contract_id
                        .eq(&contract.id)
                        .and(invoices::number.eq(n)),
                )
                .into_boxed();
            if let Some(a) = &assignment_id {
                q = q.filter(assignments::id.eq(a));
            }
            Some(
                q.select(invoices::id)
                    .first::<String>(conn)
                    .optional()?
                    .ok_or_else(|| ServiceError::not_found("invoice_not_found", "invoice", n))?,
            )
        }
        None => None,
    };
    Ok(Target {
        assignment_id,
        invoice_id,
    })
}

fn find_or_insert_statement(
    conn: &mut DbConnection,
    contract: &Contract,
    st: &FactorStatement,
) -> Result<String, ServiceError> {
    let existing: Option<String> = statements::table
        .filter(
            statements::source_kind
                .eq("factor")
                .and(statements::account.eq(&contract.number))
                .and(statements::statement_ref.eq(&st.statement_id)),
        )
        .select(statements::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let row = StatementRow {
        id: new_id(),
        source_kind: "factor".into(),
        format: "factor_adapter".into(),
        statement_ref: st.statement_id.clone(),
        account: contract.number.clone(),
        currency: contract.currency.clone(),
        from_date: Some(st.issued_on),
        to_date: Some(st.issued_on),
        opening_minor: Some(st.opening_balance.minor),
        closing_minor: Some(st.closing_balance.minor),
        balance_check: "reconciled".into(),
        file_name: String::new(),
        file_sha256: String::new(),
        imported_at: now(),
    };
    diesel::insert_into(statements::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.id)
}

fn insert_line(
    conn: &mut DbConnection,
    statement_id: &str,
    key: String,
    line: &FactorStatementLine,
    t: &Target,
    r: &FactorLineReport,
    tied: &[String],
) -> Result<(), ServiceError> {
    let proposal = serde_json::json!({
        "kind": r.kind, "memo": is_memo(line.kind), "tied": tied,
        "assignment_id": t.assignment_id, "invoice_id": t.invoice_id,
    });
    diesel::insert_into(sm::table)
        .values(LineRow {
            id: new_id(),
            statement_id: statement_id.to_string(),
            movement_key: key,
            entry_ref: line.entry_reference.clone(),
            detail_index: 0,
            amount_minor: line.amount.minor,
            currency: line.amount.currency_code().to_string(),
            booked: 1,
            booked_on: Some(line.booked_on),
            value_on: line.value_date,
            counterparty_name: None,
            counterparty_iban: None,
            remittance: line.text.clone(),
            structured_ref: line.assignment_number.clone(),
            end_to_end_id: line.invoice_number.clone(),
            state: r.state.clone(),
            buyer_id: None,
            proposal: Some(proposal.to_string()),
            score: None,
            method: Some(format!("factor_{}", r.kind)),
            explanation: Some(r.explanation.clone()),
            payment_id: None,
            suspense_entry_id: r.entry_id.clone(),
            forward_to_factor: 0,
            created_at: now(),
            resolved_at: None,
        })
        .execute(conn)?;
    Ok(())
}

struct Outcome {
    action: &'static str,
    /// Our `factoring_movements` the line stands for.
    tied: Vec<String>,
    entry: Option<String>,
    explanation: String,
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

fn apply_line(
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
            collection(conn, contract, line, t, amount)
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
    contract: &Contract,
    line: &FactorStatementLine,
    t: &Target,
    amount: i64,
) -> Result<Outcome, ServiceError> {
    let invoice_id = t.invoice_id.as_deref().unwrap_or_default();
    let found: Option<(String, String, i64, i64, String, i64)> = items::table
        .inner_join(invoices::table)
        .filter(items::invoice_id.eq(invoice_id).and(items::active.eq(1)))
        .select((
            items::id,
            items::assignment_id,
            items::approved_minor,
            invoices::open_minor,
            invoices::state,
            invoices::gross_minor,
        ))
        .first(conn)
        .optional()?;
    let Some((item_id, assignment_id, approved, open, state, gross)) = found else {
        return Ok(review("collection on an invoice no longer assigned".into()));
    };
    if amount > open {
        return Ok(review(format!(
            "the factor collected {amount}, the invoice has {open} open"
        )));
    }
    let open_after = open - amount;
    let state = InvoiceState::parse(&state)
        .unwrap_or(InvoiceState::Open)
        .after_settlement(gross, open_after);
    diesel::update(invoices::table.find(invoice_id))
        .set((
            invoices::open_minor.eq(open_after),
            invoices::state.eq(state.as_str()),
        ))
        .execute(conn)?;
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
    Ok(Outcome {
        action: "posted",
        tied: vec![id],
        entry: None,
        explanation: "collected by the factor: invoice settled, no entry (memo)".into(),
    })
}
