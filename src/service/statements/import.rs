//! Importing one statement file: read, check, store the new lines, match,
//! apply or park, in one transaction.

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::apply::{park_in_suspense, plan_payment, LineMoney, ProposedAllocation, StoredProposal};
use super::index::load_index;
use super::{LineState, SourceKind};
use crate::domain::matching::{
    match_line, LineFacts, MatchIndex, Method, Outcome, DEFAULT_THRESHOLD,
};
use crate::domain::statement::{check_balances, BalanceCheck};
use crate::error::ErrorCode;
use crate::formats::statement::{read_statement_file, Movement, Statement};
use crate::insert_rows;
use crate::money::{Currency, Money};
use crate::service::imports::FileStatus;
use crate::service::ledger::{insert_prepared, PreparedEntries};
use crate::service::payments::{record_planned_payments, PlannedPayment};
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::rows::{MovementRow, StatementRow};
use crate::store::schema::{buyer_bank_accounts, statement_movements, statements};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Score at or above which a match is applied without review.
    pub threshold: u8,
    pub source_kind: SourceKind,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            threshold: DEFAULT_THRESHOLD,
            source_kind: SourceKind::Bank,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementSummary {
    /// Our id of the stored statement.
    pub id: String,
    pub statement_ref: String,
    pub account: String,
    pub currency: String,
    pub balance_check: BalanceCheck,
    pub new_lines: usize,
    pub known_lines: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineReport {
    pub movement_id: String,
    pub statement_ref: String,
    pub entry_ref: String,
    pub detail_index: i32,
    pub amount: Money,
    /// Already imported before: nothing changed for it.
    pub known: bool,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<FileProblem>,
    pub statements: Vec<StatementSummary>,
    pub new_lines: usize,
    pub known_lines: usize,
    pub matched: usize,
    pub suggested: usize,
    pub unmatched: usize,
    pub ignored: usize,
    pub lines: Vec<LineReport>,
}

impl StatementReport {
    fn refused(file: &str, format: Option<String>, code: &str, message: String) -> Self {
        StatementReport {
            file: file.to_string(),
            format,
            status: FileStatus::Refused,
            problem: Some(FileProblem {
                code: code.to_string(),
                message,
            }),
            statements: Vec::new(),
            new_lines: 0,
            known_lines: 0,
            matched: 0,
            suggested: 0,
            unmatched: 0,
            ignored: 0,
            lines: Vec::new(),
        }
    }
}

/// The unique key of a line (see the migration): the bank's booking
/// reference is unique on the account across statements; other references
/// only within their statement.
fn movement_key(account: &str, statement_ref: &str, m: &Movement) -> String {
    if m.bank_unique {
        format!("{account}|{}|{}", m.entry_ref, m.detail_index)
    } else {
        format!(
            "{account}|{statement_ref}|{}|{}",
            m.entry_ref, m.detail_index
        )
    }
}

/// The accounting date of a line: booked, else value date, else the
/// statement's end or closing balance date.
fn line_date(st: &Statement, m: &Movement) -> NaiveDate {
    m.booked_on
        .or(m.value_on)
        .or(st.to_date)
        .or_else(|| st.balances.iter().rev().find_map(|b| b.date))
        .or(st.from_date)
        .unwrap_or_else(|| now().date())
}

/// Imports a statement file. Bad input gives a refused report and changes
/// nothing; an Err is a store failure.
pub fn import_statement(
    conn: &mut DbConnection,
    ctx: &Context,
    opts: &ImportOptions,
    file_name: &str,
    bytes: &[u8],
) -> Result<StatementReport, ServiceError> {
    let _span = tracing::info_span!("import_statement", file = file_name).entered();
    let file = match read_statement_file(bytes) {
        Ok(f) => f,
        Err(e) => {
            return Ok(StatementReport::refused(
                file_name,
                None,
                e.code(),
                e.to_string(),
            ))
        }
    };
    let format = Some(file.format.as_str().to_string());
    let mut checks = Vec::with_capacity(file.statements.len());
    for st in &file.statements {
        match check_balances(st) {
            Ok(c) => checks.push(c),
            Err(e) => {
                return Ok(StatementReport::refused(
                    file_name,
                    format,
                    e.code(),
                    e.to_string(),
                ))
            }
        }
    }
    let sha = hex::encode(Sha256::digest(bytes));
    let mut report = StatementReport {
        status: FileStatus::Unchanged,
        problem: None,
        ..StatementReport::refused(file_name, format.clone(), "", String::new())
    };
    write_tx(conn, |conn| {
        let mut index: Option<MatchIndex> = None;
        for (st, (currency, check)) in file.statements.iter().zip(checks) {
            import_one(
                conn,
                ctx,
                opts,
                file_name,
                &sha,
                file.format.as_str(),
                st,
                currency,
                check,
                &mut index,
                &mut report,
            )?;
        }
        Ok::<(), ServiceError>(())
    })?;
    if report.new_lines > 0 || report.statements.iter().any(|s| s.new_lines > 0) {
        report.status = FileStatus::Imported;
    }
    tracing::info!(
        new = report.new_lines,
        known = report.known_lines,
        matched = report.matched,
        suggested = report.suggested,
        unmatched = report.unmatched,
        "statement file imported"
    );
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn import_one(
    conn: &mut DbConnection,
    ctx: &Context,
    opts: &ImportOptions,
    file_name: &str,
    sha: &str,
    format: &str,
    st: &Statement,
    currency: Currency,
    check: BalanceCheck,
    index: &mut Option<MatchIndex>,
    report: &mut StatementReport,
) -> Result<(), ServiceError> {
    let existing: Option<String> = statements::table
        .filter(
            statements::source_kind
                .eq(opts.source_kind.as_str())
                .and(statements::account.eq(&st.account))
                .and(statements::statement_ref.eq(&st.id)),
        )
        .select(statements::id)
        .first(conn)
        .optional()?;
    // Lines and their keys; a key met twice in one statement (two entries
    // with one NtryRef and no bank reference) gets its position appended.
    let movements: Vec<Movement> = st.entries.iter().flat_map(|e| e.movements()).collect();
    let mut seen = HashSet::with_capacity(movements.len());
    let keys: Vec<String> = movements
        .iter()
        .enumerate()
        .map(|(pos, m)| {
            let k = movement_key(&st.account, &st.id, m);
            if seen.insert(k.clone()) {
                k
            } else {
                let k = format!("{k}#{}", pos + 1);
                seen.insert(k.clone());
                k
            }
        })
        .collect();
    let mut known: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<String> = statement_movements::table
            .filter(statement_movements::movement_key.eq_any(chunk))
            .select(statement_movements::movement_key)
            .load(conn)?;
        known.extend(found);
    }
    let new_count = keys.iter().filter(|k| !known.contains(*k)).count();
    let statement_id = match existing {
        Some(id) => id,
        None if new_count > 0 || movements.is_empty() => {
            let balance = |kinds: &[&str]| {
                kinds
                    .iter()
                    .find_map(|k| st.balances.iter().find(|b| b.kind == *k))
                    .map(|b| b.amount.minor())
            };
            let row = StatementRow {
                id: new_id(),
                source_kind: opts.source_kind.as_str().to_string(),
                format: format.to_string(),
                statement_ref: st.id.clone(),
                account: st.account.clone(),
                currency: currency.code().to_string(),
                from_date: st.from_date,
                to_date: st.to_date,
                opening_minor: balance(&["OPBD", "PRCD"]),
                closing_minor: balance(&["CLBD"]),
                balance_check: match check {
                    BalanceCheck::Reconciled => "reconciled",
                    BalanceCheck::NotGiven => "not_given",
                }
                .to_string(),
                file_name: file_name.to_string(),
                file_sha256: sha.to_string(),
                imported_at: now(),
            };
            diesel::insert_into(statements::table)
                .values(&row)
                .execute(conn)?;
            if movements.is_empty() {
                report.status = FileStatus::Imported;
            }
            row.id
        }
        // Every line already known through another statement: nothing new.
        None => String::new(),
    };
    let mut summary = StatementSummary {
        id: statement_id.clone(),
        statement_ref: st.id.clone(),
        account: st.account.clone(),
        currency: currency.code().to_string(),
        balance_check: check,
        new_lines: 0,
        known_lines: 0,
    };
    let mut rows: Vec<MovementRow> = Vec::with_capacity(new_count);
    let mut parked = PreparedEntries::with_capacity(new_count / 4);
    let mut planned: Vec<PlannedPayment> = Vec::with_capacity(new_count);
    let mut next_log = report.new_lines + 10_000;
    for (m, key) in movements.iter().zip(keys) {
        if known.contains(&key) {
            summary.known_lines += 1;
            report.known_lines += 1;
            report.lines.push(LineReport {
                movement_id: String::new(),
                statement_ref: st.id.clone(),
                entry_ref: m.entry_ref.clone(),
                detail_index: m.detail_index,
                amount: m.amount,
                known: true,
                state: "known".into(),
                score: None,
                explanation: None,
            });
            continue;
        }
        let row = decide(
            conn,
            ctx,
            opts,
            st,
            m,
            key,
            &statement_id,
            index,
            &mut parked,
            &mut planned,
        )?;
        summary.new_lines += 1;
        report.new_lines += 1;
        match row.state.as_str() {
            "matched" => report.matched += 1,
            "suggested" => report.suggested += 1,
            "unmatched" => report.unmatched += 1,
            _ => report.ignored += 1,
        }
        report.lines.push(LineReport {
            movement_id: row.id.clone(),
            statement_ref: st.id.clone(),
            entry_ref: m.entry_ref.clone(),
            detail_index: m.detail_index,
            amount: m.amount,
            known: false,
            state: row.state.clone(),
            score: row.score.map(|s| s as u8),
            explanation: row.explanation.clone(),
        });
        rows.push(row);
        if report.new_lines >= next_log {
            next_log += 10_000;
            tracing::info!(lines = report.new_lines, "statement lines matched");
        }
    }
    // Payments first (the lines name them), then suspense and credit
    // entries, then the lines.
    if !planned.is_empty() {
        record_planned_payments(conn, ctx, &planned)?;
    }
    if !parked.is_empty() {
        insert_prepared(conn, &parked)?;
    }
    insert_rows!(conn, statement_movements::table, rows.as_slice())?;
    report.statements.push(summary);
    Ok(())
}

/// Matches one new line and applies, parks or lists it; returns its row.
#[allow(clippy::too_many_arguments)]
fn decide(
    conn: &mut DbConnection,
    ctx: &Context,
    opts: &ImportOptions,
    st: &Statement,
    m: &Movement,
    key: String,
    statement_id: &str,
    index: &mut Option<MatchIndex>,
    parked: &mut PreparedEntries,
    planned: &mut Vec<PlannedPayment>,
) -> Result<MovementRow, ServiceError> {
    let id = new_id();
    let mut row = MovementRow {
        id: id.clone(),
        statement_id: statement_id.to_string(),
        movement_key: key,
        entry_ref: m.entry_ref.clone(),
        detail_index: m.detail_index,
        amount_minor: m.amount.minor(),
        currency: m.amount.currency().code().to_string(),
        booked: i32::from(m.booked),
        booked_on: m.booked_on,
        value_on: m.value_on,
        counterparty_name: m.counterparty_name.clone(),
        counterparty_iban: m.counterparty_iban.clone(),
        remittance: m.remittance.clone(),
        structured_ref: m.structured_ref.clone(),
        end_to_end_id: m.end_to_end_id.clone(),
        state: LineState::Ignored.as_str().to_string(),
        buyer_id: None,
        proposal: None,
        score: None,
        method: None,
        explanation: None,
        payment_id: None,
        suspense_entry_id: None,
        forward_to_factor: 0,
        created_at: now(),
        resolved_at: None,
    };
    if !m.booked {
        row.explanation = Some("not booked: listed, not posted".into());
        return Ok(row);
    }
    if m.amount.minor() <= 0 {
        row.explanation = Some("debit: not a payment to us, listed, not posted".into());
        return Ok(row);
    }
    if index.is_none() {
        *index = Some(load_index(conn)?);
    }
    let Some(ix) = index.as_mut() else {
        return Ok(row);
    };
    let facts = LineFacts {
        amount: m.amount.minor(),
        currency: m.amount.currency(),
        remittance: &m.remittance,
        structured_ref: m.structured_ref.as_deref(),
        counterparty_name: m.counterparty_name.as_deref(),
        counterparty_iban: m.counterparty_iban.as_deref(),
    };
    let money = LineMoney {
        movement_id: &id,
        date: line_date(st, m),
        amount: m.amount.minor(),
        currency: m.amount.currency(),
        label: if m.remittance.is_empty() {
            &m.entry_ref
        } else {
            &m.remittance
        },
    };
    match match_line(ix, &facts) {
        Outcome::Proposal(p) => {
            let buyer = &ix.buyers[p.buyer as usize];
            let stored = StoredProposal {
                buyer_id: buyer.id.to_string(),
                allocations: p
                    .allocations
                    .iter()
                    .map(|(i, a)| ProposedAllocation {
                        invoice_id: ix.items[*i as usize].invoice_id.to_string(),
                        invoice_number: ix.items[*i as usize].number.to_string(),
                        amount_minor: *a,
                    })
                    .collect(),
                unallocated_minor: p.unallocated,
            };
            row.forward_to_factor = i32::from(buyer.notified_factoring);
            row.buyer_id = Some(stored.buyer_id.clone());
            row.score = Some(i32::from(p.score));
            row.method = Some(p.method.as_str().to_string());
            row.explanation = Some(p.explanation.clone());
            row.proposal = Some(serde_json::to_string(&stored).map_err(|e| {
                ServiceError::conflict("internal", format!("proposal not serialisable: {e}"))
            })?);
            if p.score >= opts.threshold {
                let payment = plan_payment(parked, ctx, &money, &stored)?;
                row.payment_id = Some(payment.id.clone());
                planned.push(payment);
                row.state = LineState::Matched.as_str().to_string();
                row.resolved_at = Some(now());
                for (i, a) in &p.allocations {
                    ix.settle(*i, *a);
                }
                // A payer quoting our reference or invoice numbers tells us
                // its account: learnt for its next payment.
                if matches!(p.method, Method::Reference | Method::InvoiceNumber) {
                    if let Some(iban) = &m.counterparty_iban {
                        learn_iban(conn, ix, iban, p.buyer)?;
                    }
                }
            } else {
                row.suspense_entry_id = Some(park_in_suspense(parked, ctx, &money)?);
                row.state = LineState::Suggested.as_str().to_string();
            }
        }
        Outcome::NoMatch { explanation } => {
            row.suspense_entry_id = Some(park_in_suspense(parked, ctx, &money)?);
            row.state = LineState::Unmatched.as_str().to_string();
            row.explanation = Some(explanation);
        }
    }
    Ok(row)
}

/// Records a buyer's IBAN unless the IBAN is already known (to anyone).
pub(super) fn learn_iban(
    conn: &mut DbConnection,
    ix: &mut MatchIndex,
    iban: &str,
    buyer: u32,
) -> Result<(), ServiceError> {
    if ix.buyer_by_iban(iban).is_some() {
        return Ok(());
    }
    let Some(key) = ix.buyers.get(buyer as usize).map(|b| b.id.to_string()) else {
        return Ok(());
    };
    insert_iban(conn, iban, &key)?;
    ix.add_iban(iban, buyer);
    Ok(())
}

/// Inserts a learnt IBAN if no buyer has it yet.
pub(super) fn insert_iban(
    conn: &mut DbConnection,
    iban: &str,
    buyer_id: &str,
) -> Result<(), ServiceError> {
    let iban: String = iban
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    let known: i64 = buyer_bank_accounts::table
        .filter(buyer_bank_accounts::iban.eq(&iban))
        .count()
        .get_result(conn)?;
    if known == 0 {
        diesel::insert_into(buyer_bank_accounts::table)
            .values((
                buyer_bank_accounts::iban.eq(&iban),
                buyer_bank_accounts::buyer_id.eq(buyer_id),
                buyer_bank_accounts::source.eq("learnt"),
                buyer_bank_accounts::created_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
