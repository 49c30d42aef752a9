//! `factorgate bench --scenario kpi` and `--scenario dunning`: the aged
//! balance and KPIs as of a past date, and a dunning run, over a portfolio
//! with a payment history.
//!
//! The portfolio is imported like `import-csv` (invoices issued from
//! 1 January 2026 over 300 days, due 45 days later), then given a history
//! by bulk SQL, before the clock starts: invoice n is paid in full on its
//! due date - 10 to + 30 days when n % 10 < 7, half paid 5 days after its
//! due date when n % 10 = 7, unpaid otherwise; payments dated after
//! 15 December 2026 have not happened. One invoice in 100 (unpaid) is
//! disputed and one in 100 has a pending promise to pay. The history is
//! written as allocations without payments or ledger entries: the KPIs,
//! the aged balance and dunning read only invoices, allocations, disputes
//! and promises.

use std::time::Instant;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use factorgate::service::dunning::{run_dunning, DunningSettings};
use factorgate::service::kpi::{kpis, snapshot};
use factorgate::service::reports::aging;
use factorgate::service::Context;
use factorgate::store::{DbConnection, Store, StoreError};

use super::{import_portfolio, BenchArgs, Scenario};
use crate::cli::{CliError, CliResult};

/// The day the history stops: the portfolio's "today".
const TODAY: &str = "2026-12-15";

fn history_sql(sqlite: bool) -> String {
    // n: the invoice's sequence number from its number C-00000042.
    let n = if sqlite {
        "CAST(substr(number, 3) AS INTEGER)"
    } else {
        "CAST(substr(number, 3) AS BIGINT)"
    };
    let shift = |days: &str| {
        if sqlite {
            format!("date(due_date, ({days}) || ' days')")
        } else {
            format!("(due_date + ({days})::int)")
        }
    };
    let paid_on = shift(&format!("({n} * 7) % 41 - 10"));
    let half_on = shift("5");
    let now = if sqlite { "CURRENT_TIMESTAMP" } else { "now()" };
    let today = if sqlite {
        format!("'{TODAY}'")
    } else {
        format!("DATE '{TODAY}'")
    };
    format!(
        "INSERT INTO allocations (id, invoice_id, source_kind, source_id, amount_minor, allocated_on, created_at) \
         SELECT 'al-' || id, id, 'payment', 'bench', gross_minor, {paid_on}, {now} FROM invoices \
         WHERE {n} % 10 < 7 AND {paid_on} <= {today}; \
         INSERT INTO allocations (id, invoice_id, source_kind, source_id, amount_minor, allocated_on, created_at) \
         SELECT 'ah-' || id, id, 'payment', 'bench', gross_minor / 2, {half_on}, {now} FROM invoices \
         WHERE {n} % 10 = 7 AND {half_on} <= {today}; \
         UPDATE invoices SET open_minor = gross_minor - (SELECT SUM(a.amount_minor) FROM allocations a WHERE a.invoice_id = invoices.id) \
         WHERE id IN (SELECT invoice_id FROM allocations); \
         UPDATE invoices SET state = CASE WHEN open_minor = 0 THEN 'paid' ELSE 'partially_paid' END \
         WHERE open_minor < gross_minor; \
         INSERT INTO disputes (id, invoice_id, reason, amount_minor, owner, opened_on, created_at) \
         SELECT 'd-' || id, id, 'quality', gross_minor, 'bench', due_date, {now} FROM invoices \
         WHERE {n} % 100 = 99 AND due_date <= {today}; \
         UPDATE invoices SET state = 'disputed' WHERE id IN (SELECT invoice_id FROM disputes); \
         INSERT INTO payment_promises (id, invoice_id, amount_minor, promised_on, recorded_on, state, created_at) \
         SELECT 'p-' || id, id, open_minor, {today_plus}, {today}, 'pending', {now} FROM invoices \
         WHERE {n} % 100 = 89 AND open_minor > 0;",
        today_plus = if sqlite {
            format!("date('{TODAY}', '+5 days')")
        } else {
            format!("(DATE '{TODAY}' + 5)")
        },
    )
}

fn db_err(e: diesel::result::Error) -> CliError {
    CliError::from(StoreError::from(e))
}

pub fn run(store: &Store, dir: &std::path::Path, backend: &str, args: &BenchArgs) -> CliResult {
    // FACTORGATE_BENCH_PORTFOLIO=path: measure on a copy of a portfolio kept
    // by an earlier run (FACTORGATE_BENCH_KEEP_DB), skipping its minute of
    // import and history; SQLite only.
    if let (Ok(kept), factorgate::store::DatabaseUrl::Sqlite(_)) =
        (std::env::var("FACTORGATE_BENCH_PORTFOLIO"), store.url())
    {
        // The KPI scenario only reads: it runs on the kept file itself. A
        // dunning run writes, so it gets a copy, flushed to disk before the
        // clock starts (writing back 1.6 GB of dirty pages during the
        // measurement took one of the two cores).
        let copy = if args.scenario == Scenario::Kpi {
            std::path::PathBuf::from(&kept)
        } else {
            let copy = dir.join("kept-portfolio.db");
            std::fs::copy(&kept, &copy)?;
            std::fs::File::open(&copy)?.sync_all()?;
            copy
        };
        eprintln!("{backend}: measuring on the portfolio kept in {kept}");
        let kept_store = Store::open(&copy.to_string_lossy())?;
        let mut conn = kept_store.conn()?;
        return measure(&mut conn, dir, backend, args);
    }
    import_portfolio(store, dir, backend, args)?;
    let mut conn = store.conn()?;
    let conn: &mut DbConnection = &mut conn;
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let started = Instant::now();
    conn.batch_execute(&history_sql(sqlite)).map_err(db_err)?;
    conn.batch_execute("ANALYZE").map_err(db_err)?;
    // The ECB rate formal notices state penalties with.
    factorgate::service::rates::import_rates(
        conn,
        "series,date,value\nECB-MRO,2025-06-11,2.15\n".as_bytes(),
    )?;
    eprintln!(
        "{backend}: payment history written in {:.1} s (not measured)",
        started.elapsed().as_secs_f64()
    );
    // FACTORGATE_BENCH_KEEP_DB=path: a copy of the scratch SQLite portfolio,
    // to study the queries with the sqlite3 shell.
    if let (Ok(keep), factorgate::store::DatabaseUrl::Sqlite(db)) =
        (std::env::var("FACTORGATE_BENCH_KEEP_DB"), store.url())
    {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(db_err)?;
        std::fs::copy(db, &keep)?;
        eprintln!("portfolio copied to {keep}");
    }
    measure(conn, dir, backend, args)
}

fn measure(
    conn: &mut DbConnection,
    dir: &std::path::Path,
    backend: &str,
    args: &BenchArgs,
) -> CliResult {
    let today = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default();
    match args.scenario {
        Scenario::Kpi => {
            // A past date: payments made after it must not count.
            let as_of = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default();
            let ctx = Context::default();
            let t = Instant::now();
            let aged = aging(conn, &ctx.aging, as_of, None)?;
            let aging_secs = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let report = kpis(conn, as_of, None, true, None)?;
            let kpi_secs = t.elapsed().as_secs_f64();
            let total = report.rows.first();
            println!(
                "{backend}: aged balance as of {as_of} over {} buyers in {aging_secs:.2} s",
                aged.rows.len()
            );
            println!(
                "{backend}: KPIs as of {as_of} (90 days, per buyer, seller and total) over {} invoices, {} rows, in {kpi_secs:.2} s; total outstanding {}, DSO count-back {}",
                report.invoices,
                report.rows.len(),
                total.map(|t| t.outstanding.to_string()).unwrap_or_default(),
                total.map(|t| t.dso_count_back.to_string()).unwrap_or_default(),
            );
            println!(
                "{backend}: aged balance, then KPIs, two passes = {:.2} s",
                aging_secs + kpi_secs
            );
            let t = Instant::now();
            let cpu = super::cpu_secs();
            let both = snapshot(conn, as_of, None, true, None, Some(&ctx.aging))?;
            let both_secs = t.elapsed().as_secs_f64();
            let both_cpu = super::cpu_secs() - cpu;
            let same = both.aging.as_ref() == Some(&aged) && both.rows == report.rows;
            println!(
                "{backend}: aged balance + KPIs in one pass (report kpi --aging) = {both_secs:.2} s, {both_cpu:.2} s on CPU (target 2 s on SQLite); same figures as the two passes: {same}"
            );
            if !same {
                return Err(CliError::input(
                    "bench_mismatch",
                    "the one-pass snapshot differs from the separate reports",
                ));
            }
        }
        _ => {
            let letters = dir.join("letters");
            let settings = DunningSettings {
                smtp: None,
                letters_dir: letters.clone(),
                max_attempts: 5,
            };
            let t = Instant::now();
            let r = run_dunning(conn, &settings, today)?;
            let first = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let again = run_dunning(conn, &settings, today)?;
            let second = t.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&letters);
            println!(
                "{backend}: dunning run as of {today}: {} candidates, {} actions created {:?}, {} letters written, {} e-mails waiting (no SMTP in the bench), suspended {} disputed / {} promised, in {first:.2} s (target 10 s on SQLite)",
                r.candidates,
                r.created,
                r.created_by_channel,
                r.delivery.written,
                r.delivery.waiting_for_smtp,
                r.suspended_disputed,
                r.suspended_promised,
            );
            println!(
                "{backend}: second run the same day: {} actions created in {second:.2} s",
                again.created
            );
        }
    }
    Ok(())
}
