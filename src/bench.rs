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

fn scratch(database: Option<&str>) -> Result<Scratch, CliError> {
    match database.map(DatabaseUrl::parse).transpose()? {
        Some(DatabaseUrl::Postgres(admin)) => {
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
                _dir: None,
            })
        }
        _ => {
            let dir = std::env::temp_dir().join(format!(
                "factorgate-bench-{}",
                uuid::Uuid::now_v7().simple()
            ));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}", dir.join("bench.db").display());
            Ok(Scratch {
                url,
                drop_pg: None,
                _dir: Some(tempfile_dir::TempDir(dir)),
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
