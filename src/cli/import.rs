//! `factorgate import FILE...`: invoice files in any supported format, each
//! imported whole or not at all, with a report per file.

use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use crate::App;
use clap::Args;
use factorgate::formats::einvoice::csv::load_mapping;
use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
use factorgate::service::imports::{import_documents, FileReport, FileStatus, DEFAULT_BATCH};

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files to import (UBL, CII, Factur-X PDF, CSV, JSON); the format is
    /// read from the content, not the name.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Mapping file (TOML) for CSV files whose columns, dates or decimals
    /// differ from the documented header.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Invoices recorded per batch inside a file's transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH)]
    pub batch: usize,
    #[command(flatten)]
    pub format: FormatArg,
}

impl Tabular for FileReport {
    fn headers() -> Vec<&'static str> {
        vec![
            "file",
            "format",
            "status",
            "invoices",
            "created",
            "unchanged",
            "problem",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.file.clone(),
            self.format.clone().unwrap_or_default(),
            serde_json::to_value(self.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            self.invoices.to_string(),
            self.created.to_string(),
            self.unchanged.to_string(),
            self.problem
                .as_ref()
                .map(|p| format!("{}: {}", p.code, p.message))
                .unwrap_or_default(),
        ]
    }
}

pub fn run(app: &App, args: &ImportArgs) -> CliResult {
    let mut options = ReadOptions::default();
    if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::input("mapping_unreadable", format!("{}: {e}", path.display()))
        })?;
        options.csv_mapping = load_mapping(&text)
            .map_err(|e| CliError::input("mapping_invalid", format!("{}: {e}", path.display())))?;
    }
    let mut conn = app.store.conn()?;
    let mut reports = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let name = path.display().to_string();
        let _span = tracing::info_span!("import_file", file = %name).entered();
        let started = Instant::now();
        let report = match std::fs::File::open(path) {
            Err(e) => FileReport::refused(
                &name,
                None,
                &factorgate::formats::einvoice::DocumentError::malformed("/", e.to_string()),
            ),
            Ok(file) => match read_documents(BufReader::with_capacity(1 << 16, file), &options) {
                Err(e) => FileReport::refused(&name, None, &e),
                Ok((format, documents)) => {
                    let mut last = Instant::now();
                    let mut progress = |done: usize| {
                        if last.elapsed().as_secs() >= 1 {
                            eprintln!("  {name}: {done} invoices recorded...");
                            last = Instant::now();
                        }
                    };
                    import_documents(
                        &mut conn,
                        &app.ctx,
                        &name,
                        format.as_str(),
                        documents,
                        args.batch,
                        &mut progress,
                    )
                }
            },
        };
        tracing::info!(
            status = ?report.status,
            invoices = report.invoices,
            created = report.created,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "file imported"
        );
        reports.push(report);
    }
    print(args.format.format, &reports, &reports)?;
    let failed = reports
        .iter()
        .filter(|r| matches!(r.status, FileStatus::Refused | FileStatus::Conflict))
        .count();
    if failed > 0 {
        return Err(CliError::input(
            "import_incomplete",
            format!("{failed} of {} file(s) not imported", reports.len()),
        ));
    }
    Ok(())
}

/// `invoices export`: the invoice as UBL or CII, to a file or stdout.
pub fn export_document(
    conn: &mut factorgate::store::DbConnection,
    id: &str,
    syntax: &str,
    output: Option<&std::path::Path>,
) -> CliResult {
    use factorgate::formats::einvoice::{cii_write::write_cii, ubl_write::write_ubl, Syntax};
    let syntax = match syntax {
        "ubl" => Syntax::Ubl,
        "cii" => Syntax::Cii,
        other => {
            return Err(CliError::input(
                "syntax_invalid",
                format!("--syntax: '{other}' is not ubl or cii"),
            ))
        }
    };
    let doc = factorgate::service::documents::invoice_document(conn, id, syntax)?;
    let mut xml = Vec::with_capacity(8192);
    match syntax {
        Syntax::Cii => write_cii(&doc, &mut xml),
        _ => write_ubl(&doc, &mut xml),
    }
    .map_err(|e| CliError::input("document_write_failed", e.to_string()))?;
    match output {
        Some(path) => std::fs::write(path, &xml)?,
        None => std::io::Write::write_all(&mut std::io::stdout(), &xml)?,
    }
    Ok(())
}
