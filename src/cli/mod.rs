//! The `factorgate` command line: clap definitions and dispatch to services.

pub mod args;
pub mod collections;
pub mod demo;
pub mod factoring;
pub mod import;
pub mod insurance;
pub mod outbox;
pub mod output;
pub mod reconcile;
pub mod statement_sync;
pub mod tables;

pub use args::*;

use std::io::Read;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, Utc};
use factorgate::config::{FileConfig, Overrides, Settings};
use factorgate::domain::ids::LegalIdScheme;
use factorgate::domain::invoice::InvoiceInput;
use factorgate::domain::party::{BuyerInput, LegalIdInput, SellerInput};
use factorgate::domain::payment::PaymentInput;
use factorgate::error::ErrorCode;
use factorgate::service::keys::Role;
use factorgate::service::ledger::ManualEntryInput;
use factorgate::service::{self, Context, ServiceError};
use factorgate::store::Store;
use output::{print, write_table, Format, Tabular};

/// A CLI failure: the stable code and a message for the person.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub message: String,
    /// 2 for bad input, 1 for everything else.
    pub exit: i32,
}

impl CliError {
    pub fn input(code: &'static str, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
            exit: 2,
        }
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        let exit = match e {
            ServiceError::Invalid { .. }
            | ServiceError::NotFound { .. }
            | ServiceError::Conflict { .. }
            | ServiceError::Ledger(_) => 2,
            ServiceError::Store(_) => 1,
        };
        CliError {
            code: e.code(),
            message: e.to_string(),
            exit,
        }
    }
}

macro_rules! cli_error_from {
    ($($t:ty => $code:expr, $exit:expr;)*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError { code: $code, message: e.to_string(), exit: $exit }
            }
        }
    )*};
}

cli_error_from! {
    std::io::Error => "io_error", 1;
    serde_json::Error => "json_invalid", 2;
    csv::Error => "io_error", 1;
    Box<dyn std::error::Error + Send + Sync> => "io_error", 1;
}

impl From<factorgate::store::StoreError> for CliError {
    fn from(e: factorgate::store::StoreError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 1,
        }
    }
}

impl From<factorgate::config::ConfigError> for CliError {
    fn from(e: factorgate::config::ConfigError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 2,
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// Loaded settings, the open store and the use-case context.
pub struct App {
    pub settings: Settings,
    pub store: Store,
    pub ctx: Context,
}

pub fn settings(cli: &Cli, serve: Option<&ServeArgs>) -> Result<Settings, CliError> {
    let explicit = std::env::var_os("FACTORGATE_CONFIG").is_some()
        || cli.config.as_path() != std::path::Path::new("factorgate.toml");
    let file = FileConfig::load(&cli.config, explicit)?;
    let (worker_enabled, poll_ms) = match &cli.command {
        Command::Serve(a) if a.no_worker => (Some(false), None),
        Command::Worker(a) => (None, a.poll_ms),
        _ => (None, None),
    };
    Ok(Settings::resolve(
        file,
        Overrides {
            database: cli.database.clone(),
            bind: serve.and_then(|s| s.bind.clone()),
            tls_cert: serve.and_then(|s| s.tls_cert.clone()),
            tls_key: serve.and_then(|s| s.tls_key.clone()),
            worker_enabled,
            poll_ms,
        },
    )?)
}

/// `--config` is global (the gateway's settings file); for `sandbox` it
/// names the sandbox's rules file, read only when given on the command
/// line: neither the default nor `FACTORGATE_CONFIG` is a sandbox file.
pub fn sandbox_config_path(cli: &Cli) -> Option<PathBuf> {
    let from_env = std::env::var_os("FACTORGATE_CONFIG").map(PathBuf::from);
    let given = cli.config.as_path() != std::path::Path::new("factorgate.toml")
        && Some(&cli.config) != from_env.as_ref();
    given.then(|| cli.config.clone())
}

pub fn open(settings: Settings) -> Result<App, CliError> {
    let store = Store::open(&settings.database)?;
    store.migrate()?;
    let ctx = Context {
        chart: std::sync::Arc::new(settings.chart()?),
        aging: settings.aging()?,
    };
    Ok(App {
        settings,
        store,
        ctx,
    })
}

pub(crate) fn read_json_input(file: &Option<PathBuf>) -> Result<serde_json::Value, CliError> {
    let mut text = String::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            text = std::fs::read_to_string(p)
                .map_err(|e| CliError::input("file_unreadable", format!("{}: {e}", p.display())))?;
        }
        _ => {
            std::io::stdin().read_to_string(&mut text)?;
        }
    }
    serde_json::from_str(&text)
        .map_err(|e| CliError::input("json_invalid", format!("malformed JSON: {e}")))
}

fn parse_items<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<Vec<T>, CliError> {
    let items = match value {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v)
                .map_err(|e| CliError::input("json_invalid", format!("[{i}]: {e}")))
        })
        .collect()
}

fn parse_legal_id(text: &str) -> Result<LegalIdInput, CliError> {
    let (scheme, value) = text.split_once(':').ok_or_else(|| {
        CliError::input(
            "validation_failed",
            format!("--id {text}: expected SCHEME:VALUE, e.g. siren:552100554"),
        )
    })?;
    let scheme: LegalIdScheme = scheme.parse().map_err(|_| {
        CliError::input(
            "validation_failed",
            format!("--id {text}: unknown scheme '{scheme}' (siren, siret, vat, duns, lei, gln)"),
        )
    })?;
    Ok(LegalIdInput {
        scheme,
        value: value.to_string(),
    })
}

pub fn run(cli: Cli) -> CliResult {
    match &cli.command {
        Command::Serve(args) => {
            let app = open(settings(&cli, Some(args))?)?;
            crate::serve(app)
        }
        Command::Migrate => {
            let settings = settings(&cli, None)?;
            let store = Store::open(&settings.database)?;
            let applied = store.migrate()?;
            eprintln!(
                "{}: {} migration(s) applied",
                store.url().redacted(),
                applied.len()
            );
            Ok(())
        }
        Command::Bench(args) => crate::bench::run(&cli, args),
        Command::Sandbox(args) => crate::sandbox(args, sandbox_config_path(&cli).as_deref()),
        Command::Demo(args) => demo::run(&cli, args),
        Command::Import(args) => import::run(&open(settings(&cli, None)?)?, args),
        Command::Reconcile(args) => reconcile::run(&open(settings(&cli, None)?)?, args),
        Command::Worker(args) => outbox::run_worker(&open(settings(&cli, None)?)?, args),
        Command::Outbox(cmd) => outbox::run_outbox(&open(settings(&cli, None)?)?, cmd),
        _ => {
            let app = open(settings(&cli, None)?)?;
            run_data_command(&cli.command, &app)
        }
    }
}

fn run_data_command(command: &Command, app: &App) -> CliResult {
    let mut conn = app.store.conn()?;
    let conn = &mut *conn;
    let ctx = &app.ctx;
    match command {
        Command::Sellers(SellersCmd::Add {
            name,
            siren,
            vat,
            iban,
            format,
        }) => {
            let s = service::parties::create_seller(
                conn,
                &SellerInput {
                    name: name.clone(),
                    siren: siren.clone(),
                    vat: vat.clone(),
                    iban: iban.clone(),
                },
            )?;
            print(format.format, &s, std::slice::from_ref(&s))?;
        }
        Command::Sellers(SellersCmd::List { format }) => {
            let list = service::parties::list_sellers(conn)?;
            print(format.format, &list, &list)?;
        }
        Command::Buyers(BuyersCmd::Add {
            name,
            country,
            ids,
            format,
        }) => {
            let legal_ids = ids
                .iter()
                .map(|t| parse_legal_id(t))
                .collect::<Result<Vec<_>, _>>()?;
            let b = service::parties::create_buyer(
                conn,
                &BuyerInput {
                    name: name.clone(),
                    country: country.clone(),
                    legal_ids,
                },
            )?;
            print(format.format, &b, std::slice::from_ref(&b))?;
        }
        Command::Buyers(BuyersCmd::List {
            country,
            name,
            cursor,
            limit,
            format,
        }) => {
            let page = service::parties::list_buyers(
                conn,
                &service::parties::BuyerFilter {
                    country: country.clone(),
                    name_contains: name.clone(),
                    cursor: cursor.clone(),
                    limit: *limit,
                },
            )?;
            print(format.format, &page, &page.items)?;
            next_page_hint(format.format, &page.next_cursor);
        }
        Command::Buyers(BuyersCmd::Show { buyer, format }) => {
            let b = service::parties::get_buyer(conn, buyer)?;
            print(format.format, &b, std::slice::from_ref(&b))?;
        }
        Command::Invoices(InvoicesCmd::Add { file, format }) => {
            let inputs: Vec<InvoiceInput> = parse_items(read_json_input(file)?)?;
            let recorded = service::invoices::record_invoices(conn, ctx, &inputs)?;
            print(format.format, &recorded, &recorded)?;
        }
        Command::Invoices(InvoicesCmd::List {
            buyer,
            seller,
            state,
            due_before,
            cursor,
            limit,
            format,
        }) => {
            let state = match state {
                Some(s) => Some(
                    factorgate::domain::invoice::InvoiceState::parse(s)
                        .ok_or_else(|| CliError::input("validation_failed", format!("--state {s}: expected open, partially_paid, paid, disputed or written_off")))?,
                ),
                None => None,
            };
            let filter = service::invoices::InvoiceFilter {
                buyer_id: buyer.clone(),
                seller_id: seller.clone(),
                state,
                due_before: *due_before,
                cursor: cursor.clone(),
                limit: *limit,
                ..Default::default()
            };
            let page = service::invoices::list_invoices(conn, &filter)?;
            print(format.format, &page, &page.items)?;
            next_page_hint(format.format, &page.next_cursor);
        }
        Command::Insurance(insurance::InsuranceCmd::Settlements {
            policy,
            since,
            format,
        }) => statement_sync::insurer_settlements(
            conn,
            ctx,
            &app.settings,
            policy,
            *since,
            format.format,
        )?,
        Command::Insurance(cmd) => insurance::run_insurance(conn, ctx, &app.settings, cmd)?,
        Command::Factor(factoring::FactorCmd::Sync {
            contract,
            since,
            format,
        }) => {
            statement_sync::factor_sync(conn, ctx, &app.settings, contract, *since, format.format)?
        }
        Command::Factor(cmd) => factoring::run_factor(conn, ctx, &app.settings, cmd)?,
        Command::Assign(cmd) => factoring::run_assign(conn, ctx, cmd)?,
        Command::Cover(cmd) => insurance::run_cover(conn, cmd)?,
        Command::Rates(cmd) => insurance::run_rates(conn, cmd)?,
        Command::Invoices(InvoicesCmd::Export { id, syntax, output }) => {
            import::export_document(conn, id, syntax, output.as_deref())?;
        }
        Command::Invoices(InvoicesCmd::Show { id, format }) => {
            let inv = service::invoices::get_invoice(conn, id)?;
            print(format.format, &inv, std::slice::from_ref(&inv))?;
        }
        Command::Payments(PaymentsCmd::Add {
            file,
            buyer,
            amount,
            currency,
            date,
            reference,
            external_id,
            format,
        }) => {
            let input = match (buyer, amount) {
                (Some(buyer), Some(amount)) => {
                    let (buyer_id, buyer_legal_id) = if buyer.contains(':') {
                        (None, Some(parse_legal_id(buyer)?))
                    } else {
                        (Some(buyer.clone()), None)
                    };
                    PaymentInput {
                        buyer_id,
                        buyer_legal_id,
                        received_on: date.unwrap_or_else(|| Utc::now().date_naive()),
                        currency: currency.clone(),
                        amount: amount.clone(),
                        reference: reference.clone(),
                        external_id: external_id.clone(),
                        allocations: None,
                    }
                }
                (None, None) => serde_json::from_value(read_json_input(file)?)
                    .map_err(|e| CliError::input("json_invalid", e.to_string()))?,
                _ => {
                    return Err(CliError::input(
                        "validation_failed",
                        "give both --buyer and --amount, or a JSON payment",
                    ))
                }
            };
            let p = service::payments::record_payment(conn, ctx, &input)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        Command::Payments(PaymentsCmd::List {
            buyer,
            cursor,
            limit,
            format,
        }) => {
            let page = service::payments::list_payments(
                conn,
                &service::payments::PaymentFilter {
                    buyer_id: buyer.clone(),
                    cursor: cursor.clone(),
                    limit: *limit,
                    ..Default::default()
                },
            )?;
            print(format.format, &page, &page.items)?;
            next_page_hint(format.format, &page.next_cursor);
        }
        Command::Ledger(LedgerCmd::TrialBalance { as_of, format }) => {
            let tb = service::ledger::trial_balance_as_of(conn, ctx, *as_of)?;
            print(format.format, &tb, &tb.rows)?;
            if format.format == Format::Table {
                for t in &tb.totals {
                    let e = t.currency.exponent();
                    println!(
                        "total {}: debit {}  credit {}",
                        t.currency,
                        factorgate::money::format_minor(t.debit, e, '.'),
                        factorgate::money::format_minor(t.credit, e, '.')
                    );
                }
            }
        }
        Command::Ledger(LedgerCmd::Post { file, format }) => {
            let input: ManualEntryInput = serde_json::from_value(read_json_input(file)?)
                .map_err(|e| CliError::input("json_invalid", e.to_string()))?;
            let entry = service::ledger::post_manual(conn, ctx, &input)?;
            print_entry(format.format, &entry)?;
        }
        Command::Ledger(LedgerCmd::Reverse {
            entry_id,
            date,
            format,
        }) => {
            let entry = service::ledger::reverse_entry(
                conn,
                ctx,
                entry_id,
                date.unwrap_or_else(|| Utc::now().date_naive()),
            )?;
            print_entry(format.format, &entry)?;
        }
        Command::Report(ReportCmd::Aging {
            as_of,
            buyer,
            format,
        }) => {
            let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
            let report = service::reports::aging(conn, &ctx.aging, as_of, buyer.as_deref())?;
            print_aging(format.format, &report)?;
        }
        Command::Report(ReportCmd::Kpi(a)) => collections::run_kpi(conn, &ctx.aging, a)?,
        Command::Dunning(cmd) => collections::run_dunning_cmd(conn, app, cmd)?,
        Command::Disputes(cmd) => collections::run_disputes(conn, cmd)?,
        Command::Promises(cmd) => collections::run_promises(conn, cmd)?,
        Command::Penalties(a) => collections::run_penalties(conn, app, a)?,
        Command::Risk(a) => collections::run_risk(conn, a)?,
        Command::Export(ExportCmd::Fec { year, output }) => {
            let (from, to) = fiscal_year(*year)?;
            let count = match output {
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| {
                        CliError::input("file_unwritable", format!("{}: {e}", path.display()))
                    })?;
                    service::reports::export_fec(
                        conn,
                        ctx,
                        from,
                        to,
                        std::io::BufWriter::new(file),
                    )?
                }
                None => service::reports::export_fec(
                    conn,
                    ctx,
                    from,
                    to,
                    std::io::BufWriter::new(std::io::stdout().lock()),
                )?,
            };
            eprintln!("FEC {year}: {count} line(s) written");
        }
        Command::Keys(KeysCmd::Create {
            role,
            label,
            format,
        }) => {
            let role = Role::parse(role).ok_or_else(|| {
                CliError::input(
                    "validation_failed",
                    format!(
                        "--role {role}: expected admin, treasurer, accountant or finance-system"
                    ),
                )
            })?;
            let key = service::keys::create_key(conn, role, label)?;
            print(format.format, &key, std::slice::from_ref(&key))?;
            if format.format == Format::Table {
                eprintln!("Store this key now: it is shown once and kept only as a hash.");
            }
        }
        Command::Keys(KeysCmd::List { format }) => {
            let keys = service::keys::list_keys(conn)?;
            print(format.format, &keys, &keys)?;
        }
        Command::Keys(KeysCmd::Revoke { id }) => {
            service::keys::revoke_key(conn, id)?;
            eprintln!("key {id} revoked");
        }
        Command::Serve(_)
        | Command::Migrate
        | Command::Bench(_)
        | Command::Import(_)
        | Command::Reconcile(_)
        | Command::Worker(_)
        | Command::Outbox(_)
        | Command::Sandbox(_)
        | Command::Demo(_) => {
            unreachable!("handled before opening a connection")
        }
    }
    Ok(())
}

fn next_page_hint(format: Format, cursor: &Option<String>) {
    if let (Format::Table, Some(c)) = (format, cursor) {
        eprintln!("more results: --cursor {c}");
    }
}

fn fiscal_year(year: i32) -> Result<(NaiveDate, NaiveDate), CliError> {
    let bad = || {
        CliError::input(
            "validation_failed",
            format!("--year {year}: not a valid year"),
        )
    };
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
    if from.year() < 1900 {
        return Err(bad());
    }
    Ok((from, to))
}

fn print_entry(format: Format, entry: &factorgate::service::ledger::Entry) -> CliResult {
    match format {
        Format::Json => print::<_, factorgate::service::ledger::Entry>(format, entry, &[])?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(factorgate::service::ledger::Entry::headers())?;
            for r in tables::entry_rows(entry) {
                w.write_record(r)?;
            }
            w.flush()?;
        }
        Format::Table => write_table(
            &mut std::io::stdout().lock(),
            &factorgate::service::ledger::Entry::headers(),
            &tables::entry_rows(entry),
        )?,
    }
    Ok(())
}

pub(crate) fn print_aging(
    format: Format,
    report: &factorgate::domain::aging::AgedBalance,
) -> CliResult {
    if format == Format::Json {
        serde_json::to_writer_pretty(std::io::stdout().lock(), report)?;
        println!();
        return Ok(());
    }
    let mut headers: Vec<String> = vec!["buyer_id".into(), "currency".into()];
    headers.extend(report.labels.iter().cloned());
    headers.push("total".into());
    let mut rows = Vec::new();
    for r in report.rows.iter().chain(report.totals.iter()) {
        let e = r.currency.exponent();
        let mut row = vec![
            r.buyer_id.clone().unwrap_or_else(|| "TOTAL".into()),
            r.currency.to_string(),
        ];
        row.extend(
            r.buckets
                .iter()
                .map(|b| factorgate::money::format_minor(*b, e, '.')),
        );
        row.push(factorgate::money::format_minor(r.total, e, '.'));
        rows.push(row);
    }
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record(&header_refs)?;
        for r in rows {
            w.write_record(r)?;
        }
        w.flush()?;
    } else {
        println!("Aged balance as of {}", report.as_of);
        write_table(&mut std::io::stdout().lock(), &header_refs, &rows)?;
    }
    Ok(())
}
