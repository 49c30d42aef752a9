//! `factorgate bench`: recording invoices with their journal entries, in
//! batches, on a fresh database, and the rate achieved.

use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use factorgate::domain::invoice::{InvoiceInput, InvoiceKind};
use factorgate::domain::party::{BuyerInput, SellerInput};
use factorgate::service::invoices::record_invoices;
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::service::Context;
use factorgate::store::{DatabaseUrl, Store};

use crate::cli::{Cli, CliError, CliResult};

/// Seconds this process (all its threads) has spent on a CPU, from
/// `/proc/self/stat` (user + system, in clock ticks of 1/100 s; Linux; 0
/// elsewhere): on a shared machine, wall time alone hides how much was
/// waiting.
pub(crate) fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and
            // may hold spaces: state is field 3, utime 14, stime 15.
            let rest = &s[s.rfind(')')? + 1..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
            Some(ticks(11)? + ticks(12)?)
        })
        .map_or(0.0, |ticks| ticks / 100.0)
}

mod assign;
mod collections;
mod cover;
mod matching;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Invoices to record.
    #[arg(long, default_value_t = 200_000)]
    pub count: usize,
    /// Invoices per batch (one transaction each).
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Distinct buyers the invoices are spread over.
    #[arg(long, default_value_t = 1_000)]
    pub buyers: usize,
    /// What to measure: `record` (invoices given as API input) or
    /// `import-csv` (one CSV file of --count invoices imported end to end:
    /// read, mapped, buyers found by SIREN or created, recorded with their
    /// entries, in one transaction).
    /// `read-csv` reads and maps the same file without recording it.
    /// `cover-check` imports the same file, adds a policy and named
    /// limits, serves the API and measures cover checks with wrk.
    /// `assign` imports the same file, adds a factoring contract and an
    /// approval per buyer, and times a proposal over every open invoice
    /// and its confirmation with postings.
    #[arg(long, value_enum, default_value_t = Scenario::Record)]
    pub scenario: Scenario,
    /// cover-check: seconds of load.
    #[arg(long, default_value_t = 20)]
    pub duration: u32,
    /// cover-check: open connections.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// cover-check: wrk threads.
    #[arg(long, default_value_t = 1)]
    pub wrk_threads: u32,
    /// cover-check: API workers.
    #[arg(long, default_value_t = 2)]
    pub server_workers: usize,
    /// match, camt-parse: bank statement lines generated.
    #[arg(long, default_value_t = 100_000)]
    pub lines: usize,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Record,
    ImportCsv,
    /// Read and map the CSV file only (no database): the share of the
    /// import that is not recording.
    /// Factoring: a proposal over the whole open portfolio, then its
    /// confirmation with postings.
    Assign,
    ReadCsv,
    /// Cover checks per second over HTTP, with wrk.
    CoverCheck,
    /// --lines bank lines (camt.053) matched against --count open
    /// invoices of --buyers buyers, applied and posted.
    Match,
    /// Reading a camt.053 of --lines entries (no database), in MB/s.
    CamtParse,
    /// Aged balance and KPIs as of a past date over a portfolio with history.
    Kpi,
    /// A dunning run over the same portfolio.
    Dunning,
}

/// A valid SIREN (Luhn) for buyer `n`.
fn siren(n: usize) -> String {
    let base = format!("{:08}", 10_000_000 + n);
    let digits: Vec<u32> = base.bytes().map(|b| u32::from(b - b'0')).collect();
    // The check digit is the rightmost: the base's digits are doubled from
    // its rightmost one.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

fn write_csv(path: &std::path::Path, count: usize, buyers: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "seller_siren,number,issue_date,due_date,currency,buyer_name,buyer_country,buyer_siren,net,tax,gross"
    )?;
    let issue = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    for n in 0..count {
        let net = 10_000 + (n as i64 * 7919) % 1_000_000;
        let tax = net / 5;
        let day = issue + chrono::Duration::days((n % 300) as i64);
        let b = n % buyers;
        writeln!(
            out,
            "732829320,C-{n:08},{day},{},EUR,Buyer {b},FR,{},{}.{:02},{}.{:02},{}.{:02}",
            day + chrono::Duration::days(45),
            siren(b),
            net / 100,
            net % 100,
            tax / 100,
            tax % 100,
            (net + tax) / 100,
            (net + tax) % 100
        )?;
    }
    out.flush()
}

fn run_read_csv(dir: &std::path::Path, args: &BenchArgs) -> CliResult {
    use factorgate::domain::intake::map_document;
    use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
    let path = dir.join("bench-invoices.csv");
    write_csv(&path, args.count, args.buyers)?;
    let mut options = ReadOptions::default();
    options.limits.max_bytes = u64::MAX;
    let started = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let (_, docs) = read_documents(file, &options)
        .map_err(|e| CliError::input("bench_failed", e.to_string()))?;
    let mut mapped = 0usize;
    for doc in docs {
        let doc = doc.map_err(|e| CliError::input("bench_failed", e.to_string()))?;
        map_document(&doc).map_err(|e| CliError::input("bench_failed", e.to_string()))?;
        mapped += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    println!(
        "read and mapped {mapped} CSV invoices (no database) in {secs:.2} s = {:.0} invoices/s",
        mapped as f64 / secs
    );
    Ok(())
}

/// Writes the bench CSV and imports it for the bench seller: the
/// `import-csv` measurement, and the portfolio the cover checks run on.
fn import_portfolio(
    store: &Store,
    scratch_dir: &std::path::Path,
    backend: &str,
    args: &BenchArgs,
) -> CliResult {
    let mut conn = store.conn()?;
    create_seller(
        &mut conn,
        &SellerInput {
            name: "Bench SA".into(),
            siren: Some("732829320".into()),
            vat: None,
            iban: None,
        },
    )?;
    drop(conn);
    use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
    use factorgate::service::imports::import_documents;
    let path = scratch_dir.join("bench-invoices.csv");
    write_csv(&path, args.count, args.buyers)?;
    let size = std::fs::metadata(&path)?.len();
    eprintln!(
        "{backend}: importing one CSV file of {} invoices ({:.1} MB, {} buyers by SIREN)",
        args.count,
        size as f64 / 1e6,
        args.buyers
    );
    let ctx = Context::default();
    let mut conn = store.conn()?;
    let mut options = ReadOptions::default();
    options.limits.max_bytes = u64::MAX;
    let started = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let (format, docs) = read_documents(file, &options)
        .map_err(|e| CliError::input("bench_failed", e.to_string()))?;
    let report = import_documents(
        &mut conn,
        &ctx,
        "bench-invoices.csv",
        format.as_str(),
        docs,
        args.batch,
        &mut |done| {
            if done % 100_000 < args.batch {
                eprintln!("  {done} / {}", args.count);
            }
        },
    );
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    if report.created != args.count {
        return Err(CliError::input(
            "bench_failed",
            format!("import did not record every invoice: {report:?}"),
        ));
    }
    println!(
        "{backend}: imported {} invoices from one CSV file in {:.2} s = {:.0} invoices/s (batch {})",
        args.count,
        secs,
        args.count as f64 / secs,
        args.batch
    );
    Ok(())
}

/// A database made for the run and removed after it: a temporary SQLite
/// file, or a new PostgreSQL database on the server `--database` names.
struct Scratch {
    url: String,
    drop_pg: Option<(String, String)>,
    _dir: Option<tempfile_dir::TempDir>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.drop_pg.take() {
            if let Ok(mut c) = PgConnection::establish(&admin) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"));
            }
        }
    }
}

mod tempfile_dir {
    /// A directory removed on drop (std only, so the binary needs no
    /// test-only crate).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A directory of this run's own: two benches at once (a PostgreSQL one
/// wrote its CSV file to the shared temporary directory) never share a file.
fn scratch_dir() -> Result<tempfile_dir::TempDir, CliError> {
    let dir = std::env::temp_dir().join(format!(
        "factorgate-bench-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(tempfile_dir::TempDir(dir))
}

fn scratch(database: Option<&str>) -> Result<Scratch, CliError> {
    match database.map(DatabaseUrl::parse).transpose()? {
        Some(DatabaseUrl::Postgres(admin)) => {
            let dir = scratch_dir()?;
            let db = format!("fg_bench_{}", uuid::Uuid::now_v7().simple());
            let mut c = PgConnection::establish(&admin).map_err(|e| CliError {
                code: "database_unavailable",
                message: e.to_string(),
                exit: 1,
            })?;
            c.batch_execute(&format!("CREATE DATABASE \"{db}\""))
                .map_err(|e| CliError {
                    code: "database_error",
                    message: e.to_string(),
                    exit: 1,
                })?;
            let url = factorgate::store::with_database_name(&admin, &db);
            Ok(Scratch {
                url,
                drop_pg: Some((admin, db)),
                _dir: Some(dir),
            })
        }
        _ => {
            let dir = scratch_dir()?;
            let url = format!("sqlite://{}", dir.0.join("bench.db").display());
            Ok(Scratch {
                url,
                drop_pg: None,
                _dir: Some(dir),
            })
        }
    }
}

pub fn run(cli: &Cli, args: &BenchArgs) -> CliResult {
    if args.batch == 0 || args.count == 0 || args.buyers == 0 {
        return Err(CliError::input(
            "validation_failed",
            "--count, --batch and --buyers must be positive",
        ));
    }
    let scratch = scratch(cli.database.as_deref())?;
    let store = Store::open(&scratch.url)?;
    store.migrate()?;
    let backend = if store.url().is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    // Where the CSV scenarios write their file: the run's scratch directory.
    let dir = scratch
        ._dir
        .as_ref()
        .map(|d| d.0.clone())
        .unwrap_or_else(std::env::temp_dir);
    if args.scenario == Scenario::ReadCsv {
        return run_read_csv(&dir, args);
    }
    if args.scenario == Scenario::ImportCsv {
        return import_portfolio(&store, &dir, backend, args);
    }
    if matches!(args.scenario, Scenario::Kpi | Scenario::Dunning) {
        return collections::run(&store, &dir, backend, args);
    }
    if args.scenario == Scenario::CoverCheck {
        return cover::run(&store, &dir, backend, args);
    }
    if args.scenario == Scenario::Match {
        return matching::run_match(&store, &dir, backend, args);
    }
    if args.scenario == Scenario::CamtParse {
        return matching::run_camt_parse(&dir, args);
    }
    if args.scenario == Scenario::Assign {
        return assign::run(&store, &dir, backend, args);
    }
    let ctx = Context::default();
    let mut conn = store.conn()?;
    let seller = create_seller(
        &mut conn,
        &SellerInput {
            name: "Bench SA".into(),
            siren: Some("732829320".into()),
            vat: None,
            iban: None,
        },
    )?
    .id;
    let mut buyer_ids = Vec::with_capacity(args.buyers);
    for i in 0..args.buyers {
        buyer_ids.push(
            create_buyer(
                &mut conn,
                &BuyerInput {
                    name: format!("Buyer {i}"),
                    country: "FR".into(),
                    legal_ids: vec![],
                },
            )?
            .id,
        );
    }
    let issue = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let make = |n: usize| {
        let net = 10_000 + (n as i64 * 7919) % 1_000_000;
        let tax = net / 5;
        let day = issue + chrono::Duration::days((n % 300) as i64);
        InvoiceInput {
            seller: seller.clone(),
            buyer_id: Some(buyer_ids[n % buyer_ids.len()].clone()),
            buyer_legal_id: None,
            number: format!("B-{n:08}"),
            kind: InvoiceKind::Invoice,
            issue_date: day,
            due_date: day + chrono::Duration::days(45),
            currency: "EUR".into(),
            net: format!("{}.{:02}", net / 100, net % 100),
            tax: format!("{}.{:02}", tax / 100, tax % 100),
            gross: format!("{}.{:02}", (net + tax) / 100, (net + tax) % 100),
            payment_terms: None,
            credited_invoice: None,
            buyer_reference: None,
            order_reference: None,
        }
    };
    eprintln!(
        "{backend}: recording {} invoices in batches of {} over {} buyers",
        args.count, args.batch, args.buyers
    );
    // The inputs are made before the clock starts: the figure is the rate of
    // recording (validation, lookups, hashing, rows, entries, commit), not of
    // this synthetic generator.
    let batches: Vec<Vec<InvoiceInput>> = (0..args.count)
        .step_by(args.batch)
        .map(|start| {
            (start..(start + args.batch).min(args.count))
                .map(make)
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut done = 0;
    for batch in &batches {
        record_invoices(&mut conn, &ctx, batch)?;
        done += batch.len();
        if done % (args.batch * 10).max(50_000) == 0 {
            eprintln!("  {done} / {}", args.count);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let lines: i64 = {
        use diesel::prelude::*;
        factorgate::store::schema::journal_lines::table
            .count()
            .get_result(&mut *conn)
            .map_err(factorgate::store::StoreError::from)?
    };
    println!(
        "{backend}: {} invoices with {} journal lines in {:.2} s = {:.0} invoices/s (batch {})",
        args.count,
        lines,
        secs,
        args.count as f64 / secs,
        args.batch
    );
    Ok(())
}
