//! The command line's shape: every command, flag and argument (clap).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use super::output::Format;

#[derive(Parser, Debug)]
#[command(
    name = "factorgate",
    version,
    about = "Receivables ledger and gateway to factors and credit insurers"
)]
pub struct Cli {
    /// Database: sqlite://PATH, a file path, or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Settings file.
    #[arg(
        long,
        global = true,
        env = "FACTORGATE_CONFIG",
        default_value = "factorgate.toml"
    )]
    pub config: PathBuf,
    /// Log output: human or json.
    #[arg(
        long,
        global = true,
        env = "FACTORGATE_LOG_FORMAT",
        default_value = "human"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP API.
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Our own companies, whose receivables we hold.
    #[command(subcommand)]
    Sellers(SellersCmd),
    /// Buyers [clients, débiteurs] and their legal ids.
    #[command(subcommand)]
    Buyers(BuyersCmd),
    /// Invoices and credit notes.
    #[command(subcommand)]
    Invoices(InvoicesCmd),
    /// Payments received.
    #[command(subcommand)]
    Payments(PaymentsCmd),
    /// The general ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCmd),
    /// Legal exports.
    #[command(subcommand)]
    Export(ExportCmd),
    /// API keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Credit insurance policies and buyer limit decisions.
    #[command(subcommand)]
    Insurance(super::insurance::InsuranceCmd),
    /// Dated exchange and reference rates.
    #[command(subcommand)]
    Rates(super::insurance::RatesCmd),
    /// Credit insurance cover checks.
    #[command(subcommand)]
    Cover(super::insurance::CoverCmd),
    /// Factoring: contracts, debtor approvals, position, funding, recourse.
    #[command(subcommand)]
    Factor(super::factoring::FactorCmd),
    /// Factoring assignments [bordereaux]: propose, confirm, submit, reject.
    #[command(subcommand)]
    Assign(super::factoring::AssignCmd),
    /// Send queued insurer calls (the outbox): retries, backoff, leases.
    Worker(super::outbox::WorkerArgs),
    /// Queued insurer calls: list, show, retry or cancel parked messages.
    #[command(subcommand)]
    Outbox(super::outbox::OutboxCmd),
    /// Import invoice files (UBL, CII, Factur-X PDF, CSV, JSON), each whole
    /// or not at all.
    Import(super::import::ImportArgs),
    /// Import bank statements (camt.053/054, CFONB 120) and match them to
    /// invoices; review suggestions; list what waits in suspense.
    Reconcile(super::reconcile::ReconcileArgs),
    /// Dunning [relances]: run, actions, plans, buyers' collection terms.
    #[command(subcommand)]
    Dunning(super::collections::DunningCmd),
    /// Disputes [litiges] on invoices.
    #[command(subcommand)]
    Disputes(super::collections::DisputesCmd),
    /// Promises to pay [promesses de paiement].
    #[command(subcommand)]
    Promises(super::collections::PromisesCmd),
    /// Late-payment penalties as of a date; `--charge` invoices them.
    Penalties(super::collections::PenaltiesArgs),
    /// Buyer risk scores, each factor's points shown.
    Risk(super::collections::RiskArgs),
    /// Measure recording invoices with their journal entries.
    Bench(crate::bench::BenchArgs),
    /// Run the simulated credit insurer and factor for local work (no
    /// database).
    Sandbox(SandboxArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FACTORGATE_BIND")]
    pub bind: Option<String>,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, env = "FACTORGATE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "FACTORGATE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Do not run the outbox worker in this process (`[worker] enabled`).
    #[arg(long)]
    pub no_worker: bool,
}

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: String,
    // The rules file is the global `--config` (see `sandbox_config_path`):
    // clap allows one `--config` per command line.
}

#[derive(Args, Debug, Clone, Copy)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Subcommand, Debug)]
pub enum SellersCmd {
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        siren: Option<String>,
        #[arg(long)]
        vat: Option<String>,
        #[arg(long)]
        iban: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum BuyersCmd {
    Add {
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 country code.
        #[arg(long)]
        country: String,
        /// A legal id as scheme:value (siren, siret, vat, duns, lei, gln); repeatable.
        #[arg(long = "id", value_name = "SCHEME:VALUE")]
        ids: Vec<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A buyer by id, scheme:value, or a bare legal id.
    Show {
        buyer: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum InvoicesCmd {
    /// Record invoices from JSON (one object or an array), from FILE or stdin.
    Add {
        /// JSON file; `-` or nothing reads stdin.
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        seller: Option<String>,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        due_before: Option<NaiveDate>,
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
    Show {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write an invoice as an e-invoice document (UBL 2.1 or CII).
    Export {
        id: String,
        /// `ubl` or `cii`.
        #[arg(long, default_value = "ubl")]
        syntax: String,
        /// File to write (standard output when absent).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PaymentsCmd {
    /// Record a payment, from flags or from JSON (FILE or stdin).
    Add {
        /// JSON file; `-` reads stdin. Not needed with --buyer and --amount.
        file: Option<PathBuf>,
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Date received (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        external_id: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Trial balance [balance générale].
    TrialBalance {
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Post a manual entry from JSON (FILE or stdin).
    Post {
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reverse an entry [extourne].
    Reverse {
        entry_id: String,
        #[arg(long)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Aged balance [balance âgée].
    Aging {
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long)]
        buyer: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Receivables KPIs as of a date, or monthly trends (--from --to).
    Kpi(super::collections::KpiArgs),
}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// FEC [fichier des écritures comptables] of a fiscal year.
    Fec {
        #[arg(long)]
        year: i32,
        /// Output file (default stdout).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Create an API key; the key is printed once.
    Create {
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    Revoke {
        id: String,
    },
}
