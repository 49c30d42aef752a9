//! `factor sync` and `insurance settlements`: the connection's adapter is
//! read directly (status polls and statement fetches are reads) and what it
//! gives is imported; progress on stderr, the report on stdout.

use chrono::{Duration, NaiveDate, Utc};
use factorgate::config::Settings;
use factorgate::jobs::statement_sync::{sync_factor, sync_settlements};
use factorgate::jobs::Connections;
use factorgate::service::Context;
use factorgate::store::DbConnection;

use std::path::{Path, PathBuf};

use factorgate::service::statements::{import_factor_statement, FactorStatementReport};
use factorgate_file_factor::{read_statement, Profile};

use super::output::Format;
use super::{CliError, CliResult};

/// 90 days back when `--since` is absent.
fn since_or_default(since: Option<NaiveDate>) -> NaiveDate {
    since.unwrap_or_else(|| Utc::now().date_naive() - Duration::days(90))
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

pub fn factor_sync(
    conn: &mut DbConnection,
    ctx: &Context,
    settings: &Settings,
    contract: &str,
    since: Option<NaiveDate>,
    format: Format,
) -> CliResult {
    let connections = Connections::from_settings(settings)?;
    let since = since_or_default(since);
    let report = runtime()?.block_on(sync_factor(
        conn,
        ctx,
        &connections,
        contract,
        since,
        &mut |m| eprintln!("factor sync: {m}"),
    ))?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for p in &report.polled {
        println!("assignment {}  {}", p.assignment, p.status);
    }
    print_statements(&report.statements);
    Ok(())
}

/// `reconcile --factor-statement FILE... --contract C [--profile P]`: each
/// file read through the file-factor profile (`--profile`, else the one of
/// the contract's `file` connection) and imported.
pub fn factor_files(
    conn: &mut DbConnection,
    ctx: &Context,
    settings: &Settings,
    contract: &str,
    profile: Option<&Path>,
    files: &[PathBuf],
    format: Format,
) -> CliResult {
    let path = match profile {
        Some(p) => p.to_path_buf(),
        None => {
            let c = factorgate::service::factoring::get_contract(conn, contract)?;
            c.connection
                .as_ref()
                .and_then(|n| settings.factors.get(n))
                .and_then(|f| f.profile.clone())
                .ok_or_else(|| {
                    CliError::input(
                        "profile_missing",
                        format!(
                            "contract {} has no file connection with a profile: give --profile",
                            c.number
                        ),
                    )
                })?
        }
    };
    let profile =
        Profile::from_file(&path).map_err(|e| CliError::input("profile_invalid", e.to_string()))?;
    let mut reports: Vec<FactorStatementReport> = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file)?;
        let name = file.display().to_string();
        let st = read_statement(&profile.statement, &name, &bytes)
            .map_err(|e| CliError::input("statement_invalid", e.to_string()))?;
        let r = import_factor_statement(conn, ctx, contract, &st)?;
        eprintln!(
            "reconcile: {}/{} {name}: {} new, {} known, proved: {}",
            i + 1,
            files.len(),
            r.new_lines,
            r.known_lines,
            r.proof.proved
        );
        reports.push(r);
    }
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print_statements(&reports);
    }
    Ok(())
}

fn print_statements(statements: &[FactorStatementReport]) {
    for s in statements {
        println!(
            "statement {}  {}  opening {}  closing {}  new {}  known {}  proved {}",
            s.statement_id,
            s.issued_on,
            s.opening_minor,
            s.closing_minor,
            s.new_lines,
            s.known_lines,
            s.proof.proved
        );
        for l in &s.lines {
            println!(
                "  {:<20} {:<16} {:>14}  {:<7} {}",
                l.entry_reference, l.kind, l.amount_minor, l.action, l.explanation
            );
        }
        if !s.proof.proved {
            println!(
                "  books {}  closing {}  difference {}",
                s.proof.books_minor, s.proof.closing_minor, s.proof.difference_minor
            );
            for d in &s.proof.statement_only {
                println!(
                    "  statement only  {} {} {}",
                    d.reference, d.kind, d.amount_minor
                );
            }
            for d in &s.proof.books_only {
                println!(
                    "  books only      {} {} {}",
                    d.reference, d.kind, d.amount_minor
                );
            }
        }
    }
}

pub fn insurer_settlements(
    conn: &mut DbConnection,
    ctx: &Context,
    settings: &Settings,
    policy: &str,
    since: Option<NaiveDate>,
    format: Format,
) -> CliResult {
    let connections = Connections::from_settings(settings)?;
    let since = since_or_default(since);
    eprintln!("insurance settlements: fetching paid since {since}");
    let report = runtime()?.block_on(sync_settlements(conn, ctx, &connections, policy, since))?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "policy {}  new {}  known {}",
        report.policy, report.new_lines, report.known_lines
    );
    for l in &report.lines {
        println!(
            "  {:<16} {:<12} {:>14}  {:<7} {}",
            l.settlement_id, l.claim_reference, l.amount_minor, l.action, l.explanation
        );
    }
    Ok(())
}
