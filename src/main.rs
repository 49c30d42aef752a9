//! The `factorgate` binary: parse the command line, set up logging, run.

mod bench;
mod cli;

/// mimalloc instead of glibc's malloc: a million-invoice import spent a
/// sixth of its time in malloc and free (per-thread free lists, no
/// consolidation passes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cli::{App, Cli, CliError, CliResult, LogFormat};

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("FACTORGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // FACTORGATE_LOG_SPANS=close: one line per span as it ends, with its
    // busy and idle time (where a long command spends its time).
    let spans = match std::env::var("FACTORGATE_LOG_SPANS").as_deref() {
        Ok("close") => FmtSpan::CLOSE,
        _ => FmtSpan::NONE,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(spans)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

/// Runs the HTTP API until stopped.
fn serve(app: App) -> CliResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::from)?;
    let _guard = runtime.enter();
    // The outbox worker shares the process (unless `[worker] enabled =
    // false` or `--no-worker`): it stops with the runtime.
    if app.settings.worker.enabled {
        let connections = factorgate::jobs::Connections::from_settings(&app.settings)?;
        let worker = factorgate::jobs::Worker::new(
            app.store.clone(),
            connections,
            app.settings.worker.clone(),
        )
        .with_context(app.ctx.clone());
        runtime.spawn(worker.run(std::future::pending()));
    }
    actix_web::rt::System::new()
        .block_on(factorgate::api::serve(app.store, app.ctx, app.settings))
        .map_err(|e| CliError {
            code: "server_error",
            message: e.to_string(),
            exit: 1,
        })
}

/// Runs the simulated insurer and factor until stopped, after printing
/// where they are and the credentials they accept (the sandbox's, not
/// secrets).
fn sandbox(args: &cli::SandboxArgs, config: Option<&std::path::Path>) -> CliResult {
    use factorgate_sandbox::SandboxConfig;
    use std::io::Write;
    let config = match config {
        Some(path) => SandboxConfig::from_toml_file(path).map_err(|e| CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 2,
        })?,
        None => SandboxConfig::default(),
    };
    let (client_id, client_secret) = (config.client_id.clone(), config.client_secret.clone());
    actix_web::rt::System::new().block_on(async {
        let sandbox = factorgate_sandbox::listen(config, &args.bind).map_err(|e| CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 1,
        })?;
        let url = sandbox.base_url();
        let mut out = std::io::stdout().lock();
        writeln!(out, "sandbox insurer: {url}")?;
        writeln!(
            out,
            "token endpoint:  {url}/oauth/token (client credentials)"
        )?;
        writeln!(out, "client_id:       {client_id}")?;
        writeln!(out, "client_secret:   {client_secret}")?;
        writeln!(
            out,
            "sandbox factor:  {url}/factor/v1 (same token endpoint)"
        )?;
        writeln!(
            out,
            "test hooks:      {url}/sandbox/requests, /sandbox/reset"
        )?;
        writeln!(
            out,
            "factor hooks:    {url}/sandbox/factor/collections, /sandbox/factor/clock"
        )?;
        out.flush()?;
        drop(out);
        sandbox.run().await.map_err(|e| CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 1,
        })
    })
}

fn main() {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    if let Err(e) = cli::run(cli) {
        eprintln!("error[{}]: {}", e.code, e.message);
        std::process::exit(e.exit);
    }
}
