//! `factorgate demo`: the README's quick start in one command. On a fresh
//! database it starts the sandbox (insurer and factor), imports the
//! bundled invoices, asks for insured limits, checks cover, assigns and
//! finances invoices, reconciles a bank statement and prints the aged
//! balance and the buyers' cover; with `--serve` the API then runs on
//! that data.

mod data;
mod factoring;
mod reports;
mod steps;

use clap::Args;
use factorgate::service::keys::{create_key, Role};
use factorgate::service::parties;
use factorgate::store::DatabaseUrl;

use super::{open, settings, App, Cli, CliError, CliResult};
use steps::{Demo, Step};

/// The demo's database when neither `--database` nor `DATABASE_URL` is
/// given (never the configured one: the demo must not write into real
/// books).
pub const DEFAULT_DATABASE: &str = "factorgate-demo.db";

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Delete the SQLite database file first (refused for PostgreSQL).
    #[arg(long)]
    pub fresh: bool,
    /// Then run the API (and the worker, with the sandbox) on that data.
    #[arg(long)]
    pub serve: bool,
    /// Where the API listens with --serve.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
}

pub fn run(cli: &Cli, args: &DemoArgs) -> CliResult {
    let mut settings = settings(cli, None)?;
    if cli.database.is_none() {
        settings.database = format!("sqlite://{DEFAULT_DATABASE}");
    }
    let url = DatabaseUrl::parse(&settings.database)?;
    if args.fresh {
        match &url {
            DatabaseUrl::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    match std::fs::remove_file(&p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            DatabaseUrl::SqliteMemory => {}
            DatabaseUrl::Postgres(_) => {
                return Err(CliError::input(
                    "demo_fresh_postgres",
                    "--fresh deletes a SQLite file; it never drops a PostgreSQL database: \
                     give an empty one instead",
                ))
            }
        }
    }
    settings.bind = args.bind.clone();
    let app = open(settings)?;
    refuse_if_not_empty(&app)?;
    eprintln!("demo: database {}", app.store.url().redacted());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    eprintln!("demo: starting the sandbox insurer and factor...");
    let sandbox =
        factorgate_sandbox::spawn(data::sandbox_config(), "127.0.0.1:0").map_err(|e| CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 1,
        })?;
    let url = sandbox.base_url();
    println!("== 1. Sandbox insurer and factor ==");
    println!("insurer: {url}/v1   factor: {url}/factor/v1   (client factorgate / sandbox-secret)");
    let worker = steps::worker(&app, &url)?;
    let mut demo = Demo::new(&app, &runtime, &sandbox, worker);
    for (i, step) in Step::ALL.into_iter().enumerate() {
        println!("\n== {}. {} ==", i + 2, step.title());
        demo.run(step)?;
    }
    if args.serve {
        let worker = steps::worker(&app, &url)?;
        return serve(app, &runtime, worker);
    }
    println!(
        "\ndone: the data stays in {}; `factorgate --database {} serve` serves it",
        app.store.url().redacted(),
        app.store.url().redacted()
    );
    Ok(())
}

/// The demo writes sellers, buyers and invoices of its own: it runs on an
/// empty database only.
fn refuse_if_not_empty(app: &App) -> CliResult {
    let mut conn = app.store.conn()?;
    let sellers = parties::list_sellers(&mut conn)?.len();
    let buyers = parties::list_buyers(
        &mut conn,
        &parties::BuyerFilter {
            limit: Some(1),
            ..Default::default()
        },
    )?
    .items
    .len();
    if sellers + buyers > 0 {
        return Err(CliError::input(
            "demo_database_not_empty",
            format!(
                "{} already holds data ({sellers} seller(s)); the demo runs on an empty \
                 database: add --fresh to delete this SQLite file first, or give another \
                 --database",
                app.store.url().redacted()
            ),
        ));
    }
    Ok(())
}

/// Keeps the API, the worker and the sandbox running on the demo's data.
fn serve(
    app: App,
    runtime: &tokio::runtime::Runtime,
    worker: factorgate::jobs::Worker,
) -> CliResult {
    let key = {
        let mut conn = app.store.conn()?;
        create_key(&mut conn, Role::Admin, "demo")?
    };
    let bind = app.settings.bind.clone();
    println!("\n== API ==");
    println!("serving on http://{bind} (stop with Ctrl-C); an admin key for the demo:");
    println!("  {}", key.key);
    println!(
        "  curl -H 'Authorization: Bearer {}' http://{bind}/v1/invoices",
        key.key
    );
    let _guard = runtime.enter();
    runtime.spawn(worker.run(std::future::pending()));
    actix_web::rt::System::new()
        .block_on(factorgate::api::serve(app.store, app.ctx, app.settings))
        .map_err(|e| CliError {
            code: "server_error",
            message: e.to_string(),
            exit: 1,
        })
}
