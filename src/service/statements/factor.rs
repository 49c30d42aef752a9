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

use super::factor_lines::apply_line;
use super::factor_proof::{prove, Proof};
use super::LineState;
use crate::service::factoring::contracts::{get_contract, lock_contract, Contract};
use crate::service::factoring::currency_of;
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::rows::{MovementRow as LineRow, StatementRow};
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments, invoices,
    statement_movements as sm, statements,
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
pub(super) struct Target {
    pub(super) assignment_id: Option<String>,
    pub(super) invoice_id: Option<String>,
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
