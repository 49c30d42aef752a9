//! `factorgate worker` and `factorgate outbox ...`: the outbox worker, and
//! what a person does with parked messages.

use clap::{Args, Subcommand};
use factorgate::jobs::{Connections, Worker};
use factorgate::service::outbox::{
    cancel_message, get_message, list_messages, retry_message, Message, MessageFilter,
};

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{App, CliError, CliResult};

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Send what is due now, then exit.
    #[arg(long)]
    pub once: bool,
    /// Wait between looks for due messages, in milliseconds.
    #[arg(long)]
    pub poll_ms: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum OutboxCmd {
    /// Messages, newest first (`--state failed`: parked, waiting for a person).
    List {
        /// pending, in_flight, done, failed or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// The record a message belongs to (decision, notice or claim id).
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// One message with every attempt.
    Show {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Send a parked or cancelled message again (same idempotency key,
    /// fresh budget of attempts).
    Retry {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Give up on a pending or parked message.
    Cancel {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

impl Tabular for Message {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "operation",
            "connection",
            "subject",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.operation.clone(),
            self.connection.clone(),
            format!("{}:{}", self.subject_kind, self.subject_id),
            self.state.clone(),
            self.attempts.to_string(),
            self.next_attempt_at.to_string(),
            match (&self.last_error_code, &self.last_error) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                _ => String::new(),
            },
        ]
    }
}

pub fn run_outbox(app: &App, cmd: &OutboxCmd) -> CliResult {
    let mut conn = app.store.conn()?;
    let conn = &mut *conn;
    let (m, format) = match cmd {
        OutboxCmd::List {
            state,
            subject,
            limit,
            format,
        } => {
            let list = list_messages(
                conn,
                &MessageFilter {
                    state: state.clone(),
                    subject_id: subject.clone(),
                    limit: *limit,
                },
            )?;
            print(format.format, &list, &list)?;
            return Ok(());
        }
        OutboxCmd::Show { id, format } => (get_message(conn, id)?, format),
        OutboxCmd::Retry { id, format } => (retry_message(conn, id)?, format),
        OutboxCmd::Cancel { id, format } => (cancel_message(conn, id)?, format),
    };
    print(format.format, &m, std::slice::from_ref(&m))?;
    Ok(())
}

/// Runs the worker until Ctrl-C / SIGTERM (or, with `--once`, until nothing
/// is due).
pub fn run_worker(app: &App, args: &WorkerArgs) -> CliResult {
    let connections = Connections::from_settings(&app.settings)?;
    let worker = Worker::new(app.store.clone(), connections, app.settings.worker.clone())
        .with_context(app.ctx.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if args.once {
            let pass = worker.drain().await?;
            eprintln!(
                "outbox: {} taken, {} done, {} rescheduled, {} parked",
                pass.taken, pass.done, pass.rescheduled, pass.parked
            );
            return Ok::<(), CliError>(());
        }
        worker.run(shutdown()).await;
        Ok(())
    })
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
