//! `factorgate reconcile FILE...`: bank statements (camt.053, camt.054,
//! CFONB 120) imported and matched, a report per file; `reconcile review`
//! lists suggestions and confirms or rejects one; `reconcile unmatched`
//! lists what waits in suspense and assigns a line to a buyer.

use std::path::PathBuf;
use std::time::Instant;

use crate::App;
use clap::{Args, Subcommand};
use factorgate::domain::matching::DEFAULT_THRESHOLD;
use factorgate::money::format_minor;
use factorgate::service::imports::FileStatus;
use factorgate::service::parties::resolve_buyer_id;
use factorgate::service::statements::{
    assign_movement, confirm_suggestion, import_statement, list_movements, reject_suggestion,
    ImportOptions, LineState, MovementView, StatementReport,
};

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{CliError, CliResult};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub command: Option<ReconcileCmd>,
    /// Statement files; the format is read from the content.
    pub files: Vec<PathBuf>,
    /// Factor statement files, read through the file-factor profile of
    /// `--contract`'s connection (or `--profile`), imported as factor
    /// statements (tied, posted, proved).
    #[arg(long, requires = "contract")]
    pub factor_statement: Vec<PathBuf>,
    /// The factoring contract of `--factor-statement`.
    #[arg(long)]
    pub contract: Option<String>,
    /// A file-factor profile (`schemas/<factor>/<version>/profile.toml`).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Score (0-100) at or above which a match is applied without review.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: u8,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Subcommand, Debug)]
pub enum ReconcileCmd {
    /// Suggested matches waiting for a person; confirm or reject one.
    Review {
        /// Apply this suggestion (a statement line id) and post it.
        #[arg(long, conflicts_with = "reject")]
        confirm: Option<String>,
        /// Refuse this suggestion: the line stays unmatched, in suspense.
        #[arg(long)]
        reject: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Credits in suspense that nothing matched; assign one to a buyer.
    Unmatched {
        /// The statement line to assign.
        #[arg(long, requires = "buyer")]
        assign: Option<String>,
        /// The buyer (id, or scheme:value legal id) the payment is from; its
        /// open invoices are settled oldest first.
        #[arg(long)]
        buyer: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

fn status_text(s: FileStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Tabular for StatementReport {
    fn headers() -> Vec<&'static str> {
        vec![
            "file",
            "format",
            "status",
            "new",
            "known",
            "matched",
            "suggested",
            "unmatched",
            "ignored",
            "problem",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.file.clone(),
            self.format.clone().unwrap_or_default(),
            status_text(self.status),
            self.new_lines.to_string(),
            self.known_lines.to_string(),
            self.matched.to_string(),
            self.suggested.to_string(),
            self.unmatched.to_string(),
            self.ignored.to_string(),
            self.problem
                .as_ref()
                .map(|p| format!("{}: {}", p.code, p.message))
                .unwrap_or_default(),
        ]
    }
}

impl Tabular for MovementView {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "date",
            "amount",
            "payer",
            "text",
            "score",
            "explanation",
        ]
    }
    fn row(&self) -> Vec<String> {
        let c = self.amount.currency();
        vec![
            self.id.clone(),
            self.booked_on.map(|d| d.to_string()).unwrap_or_default(),
            format!(
                "{} {}",
                c.code(),
                format_minor(self.amount.minor(), c.exponent(), '.')
            ),
            self.counterparty_name.clone().unwrap_or_default(),
            self.remittance.chars().take(40).collect(),
            self.score.map(|s| s.to_string()).unwrap_or_default(),
            self.explanation.clone().unwrap_or_default(),
        ]
    }
}

pub fn run(app: &App, args: &ReconcileArgs) -> CliResult {
    let mut conn = app.store.conn()?;
    let conn = &mut *conn;
    if let (false, Some(contract)) = (args.factor_statement.is_empty(), &args.contract) {
        return super::statement_sync::factor_files(
            conn,
            &app.ctx,
            &app.settings,
            contract,
            args.profile.as_deref(),
            &args.factor_statement,
            args.format.format,
        );
    }
    match &args.command {
        Some(ReconcileCmd::Review {
            confirm,
            reject,
            format,
        }) => {
            if let Some(id) = confirm {
                let m = confirm_suggestion(conn, &app.ctx, id)?;
                return Ok(print(format.format, &m, std::slice::from_ref(&m))?);
            }
            if let Some(id) = reject {
                let m = reject_suggestion(conn, id)?;
                return Ok(print(format.format, &m, std::slice::from_ref(&m))?);
            }
            let page = list_movements(conn, LineState::Suggested, None, Some(500))?;
            Ok(print(format.format, &page, &page.items)?)
        }
        Some(ReconcileCmd::Unmatched {
            assign,
            buyer,
            format,
        }) => {
            if let (Some(id), Some(buyer)) = (assign, buyer) {
                let buyer_id = resolve_buyer_id(conn, buyer)?;
                let m = assign_movement(conn, &app.ctx, id, &buyer_id, None)?;
                return Ok(print(format.format, &m, std::slice::from_ref(&m))?);
            }
            let page = list_movements(conn, LineState::Unmatched, None, Some(500))?;
            Ok(print(format.format, &page, &page.items)?)
        }
        None => import_files(app, conn, args),
    }
}

fn import_files(
    app: &App,
    conn: &mut factorgate::store::DbConnection,
    args: &ReconcileArgs,
) -> CliResult {
    if args.files.is_empty() {
        return Err(CliError::input(
            "files_required",
            "give statement files, or review / unmatched",
        ));
    }
    let opts = ImportOptions {
        threshold: args.threshold.min(100),
        ..ImportOptions::default()
    };
    let mut reports = Vec::with_capacity(args.files.len());
    let total = args.files.len();
    for (i, path) in args.files.iter().enumerate() {
        let name = path.display().to_string();
        eprintln!("[{}/{total}] {name}: reading and matching...", i + 1);
        let started = Instant::now();
        let report = match std::fs::read(path) {
            Ok(bytes) => import_statement(conn, &app.ctx, &opts, &name, &bytes)?,
            Err(e) => {
                return Err(CliError::input("file_unreadable", format!("{name}: {e}")));
            }
        };
        eprintln!(
            "[{}/{total}] {name}: {} new line(s), {} known, {} matched, {} suggested, {} in suspense ({} ms)",
            i + 1,
            report.new_lines,
            report.known_lines,
            report.matched,
            report.suggested,
            report.unmatched,
            started.elapsed().as_millis()
        );
        reports.push(report);
    }
    print(args.format.format, &reports, &reports)?;
    let refused = reports
        .iter()
        .filter(|r| r.status == FileStatus::Refused)
        .count();
    if refused > 0 {
        return Err(CliError::input(
            "reconcile_incomplete",
            format!("{refused} of {} file(s) refused", reports.len()),
        ));
    }
    Ok(())
}
