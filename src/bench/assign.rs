//! `factorgate bench --scenario assign`: an assignment proposal over the
//! whole open portfolio (every invoice of every buyer) and its
//! confirmation with postings, timed. The portfolio is imported from one
//! CSV file first (`import_portfolio`), then a contract and a debtor
//! approval for every buyer are written (not timed).

use std::time::Instant;

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::domain::factoring::{Notification, Recourse, Scope};
use factorgate::insert_rows;
use factorgate::service::factoring::{
    confirm, create_contract, propose, ContractInput, Selection, TermsInput,
};
use factorgate::service::{new_id, now, Context};
use factorgate::store::factoring_rows::ApprovalDecisionRow;
use factorgate::store::schema::{buyers, factoring_approval_decisions};
use factorgate::store::{write_tx, Store};

use super::BenchArgs;
use crate::cli::{CliError, CliResult};

fn failed(message: impl Into<String>) -> CliError {
    CliError::input("bench_failed", message.into())
}

pub fn run(store: &Store, dir: &std::path::Path, backend: &str, args: &BenchArgs) -> CliResult {
    super::import_portfolio(store, dir, backend, args)?;
    let ctx = Context::default();
    let mut conn = store.conn()?;
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or_else(|| failed("date"))?;
    let terms = TermsInput {
        effective_from: from,
        recourse: Recourse::WithRecourse,
        notification: Notification::Confidential,
        scope: Scope::WholeTurnover,
        advance_rate: "0.90".into(),
        reserve_rate: "0.10".into(),
        fee_rate: "0.005".into(),
        fee_vat_rate: "0.20".into(),
        reference_series: "EURIBOR3M".into(),
        margin: "0.015".into(),
        recourse_days: 60,
        // The portfolio's invoices are issued over 300 days, 45-day terms.
        max_invoice_age_days: 400,
        max_term_days: 60,
        excluded_countries: vec![],
        exclude_disputed: true,
        exclude_intra_group: true,
        concentration_cap: "1".into(),
        approval_notice_days: 30,
        factor_name: "Bench Factor".into(),
        factor_iban: None,
        subrogation_notice: None,
    };
    let contract = create_contract(
        &mut conn,
        &ContractInput {
            factor: "Bench Factor".into(),
            number: "BENCH".into(),
            seller: "732829320".into(),
            currency: "EUR".into(),
            terms,
        },
    )?;
    factorgate::service::rates::import_rates(
        &mut conn,
        "series,date,value\nEURIBOR3M,2026-01-01,0.035\n".as_bytes(),
    )?;
    // A debtor approval of EUR 50,000 for every buyer: most are covered
    // in full, the largest buyers in part (approved and non-approved).
    let buyer_ids: Vec<String> = buyers::table
        .select(buyers::id)
        .load(&mut conn)
        .map_err(|e| failed(e.to_string()))?;
    let t = now();
    let rows: Vec<ApprovalDecisionRow> = buyer_ids
        .iter()
        .map(|b| ApprovalDecisionRow {
            id: new_id(),
            contract_id: contract.id.clone(),
            buyer_id: b.clone(),
            kind: "approved".into(),
            amount_minor: Some(5_000_000),
            decided_on: from,
            expires_on: None,
            reference: None,
            created_at: t,
        })
        .collect();
    write_tx(&mut conn, |c| {
        insert_rows!(c, factoring_approval_decisions::table, rows.as_slice())
    })
    .map_err(|e: diesel::result::Error| failed(e.to_string()))?;
    let sel = Selection {
        contract: "BENCH".into(),
        assigned_on: NaiveDate::from_ymd_opt(2026, 11, 1),
        ..Selection::default()
    };
    eprintln!(
        "{backend}: proposing every open invoice of {} buyers",
        buyer_ids.len()
    );
    let started = Instant::now();
    let proposal = propose(&mut conn, &sel)?;
    let propose_secs = started.elapsed().as_secs_f64();
    let eligible = proposal.items.iter().filter(|i| i.eligible).count();
    println!(
        "{backend}: proposal over {} open invoices of {} buyers ({eligible} eligible; assigned {}, approved {}) in {propose_secs:.2} s",
        proposal.items.len(),
        proposal.buyers.len(),
        proposal.assigned,
        proposal.approved,
    );
    let started = Instant::now();
    let assignment = confirm(&mut conn, &ctx, &sel)?;
    let confirm_secs = started.elapsed().as_secs_f64();
    println!(
        "{backend}: confirmed {} with {} items and its postings in {confirm_secs:.2} s",
        assignment.number,
        assignment.items.len(),
    );
    if assignment.items.len() != eligible {
        return Err(failed(format!(
            "the assignment holds {} items, the proposal {eligible} eligible",
            assignment.items.len()
        )));
    }
    Ok(())
}
