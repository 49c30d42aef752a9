//! A simulated credit insurer served over real HTTP, shaped like the
//! insurers' developer APIs (JSON, camelCase, decimal strings, ISO dates,
//! OAuth2 client credentials, limit requests answered by a job to poll).
//!
//! Its decisions follow configured rules ([`DecisionRules`]), so a test
//! knows the answer before it asks; its test hooks slow down or fail
//! chosen operations and list every request received. State is in memory
//! only: a restart or `POST /sandbox/reset` forgets everything received.
//!
//! Routes: `POST /oauth/token`; `GET /v1/buyers?scheme=&id=`;
//! `POST /v1/credit-limit-requests`; `GET /v1/credit-limit-requests/jobs/{id}`;
//! `POST /v1/overdue-notices`; `POST /v1/claims`;
//! `GET /v1/settlements?paidSince=`; hooks under `/sandbox/`.
//!
//! It is also a simulated factor, under `/factor/v1/` with the same
//! tokens and hooks: `POST /factor/v1/assignments`,
//! `GET /factor/v1/assignments/{id}`, `POST /factor/v1/funding-requests`,
//! `POST /factor/v1/debtor-approvals`,
//! `GET /factor/v1/debtor-approvals/jobs/{id}`,
//! `GET /factor/v1/statements?contractNumber=&since=`; its own hooks
//! `POST /sandbox/factor/collections` and `POST /sandbox/factor/clock`.

mod config;
mod factor;
mod factor_config;
mod factor_routes;
mod factor_rules;
mod factor_state;
mod factor_statements;
pub mod factor_wire;
mod insurer;
mod routes;
mod rules;
pub mod smtp;
mod state;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::thread::JoinHandle;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

pub use config::{
    ConfigError, DecisionRules, Operation, PerOperation, SandboxConfig, SeedBuyer, SeedSettlement,
};
pub use factor_config::FactorConfig;
pub use rules::{decide, Decision, RequestType};

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the sandbox thread failed to start: {0}")]
    Thread(String),
}

impl SandboxError {
    pub fn code(&self) -> &'static str {
        match self {
            SandboxError::Bind { .. } => "sandbox_bind_failed",
            SandboxError::Thread(_) => "sandbox_thread_failed",
        }
    }
}

fn build(
    config: SandboxConfig,
    addr: &str,
    signals: bool,
) -> Result<(Server, SocketAddr), SandboxError> {
    let shared = web::Data::new(Mutex::new(state::Sandbox::new(config)));
    let bind_error = |source| SandboxError::Bind {
        addr: addr.to_string(),
        source,
    };
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::default())
            .app_data(shared.clone())
            .configure(routes::configure)
    })
    .workers(1)
    .shutdown_timeout(1);
    if !signals {
        server = server.disable_signals();
    }
    let server = server.bind(addr).map_err(bind_error)?;
    let local = server.addrs().first().copied().ok_or_else(|| {
        bind_error(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no address bound",
        ))
    })?;
    Ok((server.run(), local))
}

/// A sandbox bound to its address, not yet serving.
pub struct Listening {
    addr: SocketAddr,
    server: Server,
}

impl Listening {
    /// `http://HOST:PORT`, the port the system chose when asked for 0.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the process is stopped (Ctrl-C stops it gracefully).
    pub async fn run(self) -> Result<(), SandboxError> {
        tracing::info!(address = %self.addr, "sandbox insurer listening");
        let addr = self.addr.to_string();
        self.server
            .await
            .map_err(|source| SandboxError::Bind { addr, source })
    }
}

/// Binds the sandbox on `addr`; call inside an actix system (the CLI).
pub fn listen(config: SandboxConfig, addr: &str) -> Result<Listening, SandboxError> {
    let (server, addr) = build(config, addr, true)?;
    Ok(Listening { addr, server })
}

/// Serves the sandbox on `addr` until the process is stopped.
pub async fn serve(config: SandboxConfig, addr: &str) -> Result<(), SandboxError> {
    listen(config, addr)?.run().await
}

/// A sandbox running on its own thread with its own actix system.
pub struct SandboxHandle {
    addr: SocketAddr,
    server: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        // The stop command is sent when `stop` is called; its future only
        // reports completion, which joining the thread waits for anyway.
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.server.stop(false));
        }
    }
}

/// Starts a sandbox on `addr` ("127.0.0.1:0" for any free port) and
/// returns once it listens.
pub fn spawn(config: SandboxConfig, addr: &str) -> Result<SandboxHandle, SandboxError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let addr = addr.to_string();
    let thread = std::thread::Builder::new()
        .name("factorgate-sandbox".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match build(config, &addr, false) {
                    Ok((server, local)) => {
                        let _ = tx.send(Ok((server.handle(), local)));
                        let _ = server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        })
        .map_err(|e| SandboxError::Thread(e.to_string()))?;
    let (server, addr) = rx
        .recv()
        .map_err(|e| SandboxError::Thread(e.to_string()))??;
    Ok(SandboxHandle {
        addr,
        server,
        thread: Some(thread),
    })
}
