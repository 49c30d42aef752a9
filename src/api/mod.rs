//! The HTTP API (actix-web): thin handlers over `service`.
//!
//! - [`routes`]: the route table (method, path, roles, handler);
//! - [`dispatch`]: the one pipeline every route goes through;
//! - [`auth`], [`idempotency`], [`problem`]: API keys and roles,
//!   `Idempotency-Key`, RFC 9457 errors;
//! - [`handlers`]: one module per resource family.

pub mod auth;
pub mod call;
pub mod dispatch;
pub mod handlers;
pub mod idempotency;
pub mod problem;
pub mod routes;
pub mod tls;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

pub use routes::{routes, Access, RouteSpec};

use crate::config::Settings;
use crate::service::Context;
use crate::store::Store;

/// Largest request body accepted (413 `payload_too_large` beyond).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub ctx: Context,
    pub body_limit: usize,
    pub keys: std::sync::Arc<auth::KeyCache>,
    /// Policies as cover checks read them, kept while they are the stored
    /// ones (see `service::cover_terms`).
    pub cover_terms: std::sync::Arc<crate::service::cover_terms::TermsCache>,
    /// The insurer connections of the configuration, by name (a policy
    /// may only be linked to one of these).
    pub connections: std::sync::Arc<Vec<String>>,
    /// The adapters themselves, for the sync routes (statements and
    /// settlements are read directly, not through the outbox).
    pub adapters: std::sync::Arc<crate::jobs::Connections>,
    /// Where dunning e-mails and letters go (`[smtp]`, `[dunning]`).
    pub dunning: std::sync::Arc<crate::service::dunning::DunningSettings>,
}

impl ApiState {
    pub fn new(store: Store, ctx: Context) -> ApiState {
        ApiState {
            store,
            ctx,
            body_limit: BODY_LIMIT,
            keys: Default::default(),
            cover_terms: Default::default(),
            connections: Default::default(),
            adapters: Default::default(),
            dunning: std::sync::Arc::new(crate::service::dunning::DunningSettings::resolve(
                None,
                &Default::default(),
            )),
        }
    }

    pub fn with_dunning(mut self, settings: crate::service::dunning::DunningSettings) -> ApiState {
        self.dunning = std::sync::Arc::new(settings);
        self
    }

    pub fn with_connections(mut self, names: Vec<String>) -> ApiState {
        self.connections = std::sync::Arc::new(names);
        self
    }

    pub fn with_adapters(mut self, adapters: crate::jobs::Connections) -> ApiState {
        self.adapters = std::sync::Arc::new(adapters);
        self
    }
}

/// Registers the state, every route of the table and the 404/405 answers.
pub fn configure(cfg: &mut web::ServiceConfig, state: ApiState) {
    cfg.app_data(web::Data::new(state));
    dispatch::register(cfg);
}

/// The application: request spans (tracing-actix-web: method, route,
/// status, latency; never the Authorization header), compression, routes.
pub fn app(
    state: ApiState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(Compress::default())
        .wrap(TracingLogger::default())
        .configure(|cfg| configure(cfg, state))
}

/// Serves the API on `settings.bind` (HTTPS when `settings.tls` is set)
/// until the process is stopped.
pub async fn serve(store: Store, ctx: Context, settings: Settings) -> std::io::Result<()> {
    let database = store.url().redacted();
    let adapters = crate::jobs::Connections::from_settings(&settings)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let state = ApiState::new(store, ctx)
        .with_connections(settings.insurers.keys().cloned().collect())
        .with_dunning(settings.dunning.clone())
        .with_adapters(adapters);
    let server = HttpServer::new(move || app(state.clone()));
    let server = match &settings.tls {
        Some(tls) => server.bind_rustls_0_23(&settings.bind, tls::server_config(tls)?)?,
        None => server.bind(&settings.bind)?,
    };
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    for addr in server.addrs() {
        tracing::info!(address = %addr, %scheme, %database, "factorgate API listening");
    }
    server.run().await
}
