//! One pipeline for every route of the table: authenticate and authorize,
//! read the body (bounded), claim the idempotency key, run the handler,
//! record the answer. Unknown paths answer 404 and known paths with another
//! method 405, both as problem+json.

use std::panic::AssertUnwindSafe;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes, BytesMut, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{FutureExt, StreamExt};
use tracing::Instrument;

use super::auth;
use super::call::{Call, Reply};
use super::idempotency::{self, Claim, IdemRequest};
use super::problem::Problem;
use super::routes::{self, Op, RouteSpec};
use super::ApiState;

/// Registers the table's routes (one resource per path), the 405 answer of
/// each resource and the 404 answer of the application.
pub fn register(cfg: &mut ServiceConfig) {
    let mut paths: Vec<&'static str> = Vec::new();
    for r in routes::routes() {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    for path in paths {
        let specs: Vec<&'static RouteSpec> =
            routes::routes().iter().filter(|r| r.path == path).collect();
        let allow = specs
            .iter()
            .map(|s| s.method)
            .collect::<Vec<_>>()
            .join(", ");
        let mut resource = web::resource(path);
        for spec in specs {
            let method = Method::from_bytes(spec.method.as_bytes()).expect("route table method");
            resource = resource.route(
                web::method(method)
                    .to(move |req: HttpRequest, payload: web::Payload| handle(spec, req, payload)),
            );
        }
        resource = resource.default_service(web::to(move |req: HttpRequest| {
            let allow = HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(""));
            async move {
                Problem::method_not_allowed(req.method().as_str(), req.path(), allow).to_response()
            }
        }));
        cfg.service(resource);
    }
    cfg.default_service(web::to(|req: HttpRequest| async move {
        Problem::route_not_found(req.method().as_str(), req.path()).to_response()
    }));
}

async fn handle(spec: &'static RouteSpec, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let response = match pipeline(spec, &req, payload).await {
        Ok(reply) => reply.into_response(),
        Err(problem) => problem.to_response(),
    };
    // Inside the request's span (method, route, client): one access-log line.
    tracing::info!(status = response.status().as_u16(), "answered");
    response
}

async fn pipeline(
    spec: &'static RouteSpec,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Reply, Problem> {
    let state = req
        .app_data::<web::Data<ApiState>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| {
            tracing::error!("ApiState missing from app data");
            Problem::internal()
        })?;
    let principal = auth::authorize(&state.store, &state.keys, req.headers(), spec).await?;
    let body = read_body(req, payload, state.body_limit).await?;
    // Imports take files of any type (rates: CSV); every other POST takes JSON.
    if spec.method == "POST" && !matches!(spec.op, Op::CreateImport | Op::ImportRates) {
        check_content_type(req, &body)?;
    }
    let idem = match (req.headers().get(idempotency::HEADER), &principal) {
        (Some(value), Some(p)) if spec.method == "POST" => Some(IdemRequest {
            api_key_id: p.key_id.clone(),
            key: idempotency::parse_key(value)?,
            method: spec.method.to_string(),
            path: full_path(req),
            request_hash: idempotency::body_hash(&body),
        }),
        _ => None,
    };
    let call = Call {
        state: state.clone(),
        principal,
        params: req
            .match_info()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        query: req.query_string().to_string(),
        content_type: req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    };
    // A task of its own: if the client hangs up, the work still finishes and
    // its answer is recorded for the retry.
    let work = async move {
        if let Some(idem) = &idem {
            if let Claim::Replay(reply) = idempotency::claim(&state.store, idem.clone()).await? {
                return Ok::<_, Problem>(reply.with_header(
                    header::HeaderName::from_static(idempotency::REPLAYED_HEADER),
                    HeaderValue::from_static("true"),
                ));
            }
        }
        // A panicking handler still answers 500 and releases the claim.
        let reply = match AssertUnwindSafe(routes::run(spec.op, call))
            .catch_unwind()
            .await
        {
            Ok(result) => result.unwrap_or_else(Reply::from),
            Err(_) => {
                tracing::error!(route = spec.path, "handler panicked");
                Reply::from(Problem::internal())
            }
        };
        if let Some(idem) = idem {
            idempotency::finish(&state.store, idem, &reply).await;
        }
        Ok(reply)
    };
    let reply = actix_web::rt::spawn(work.instrument(tracing::Span::current()))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "request task failed");
            Problem::internal()
        })??;
    Ok(with_location(spec, reply))
}

/// The `Location` of a created resource: its collection and the `id` of the
/// body (fresh answers and replays alike).
fn with_location(spec: &RouteSpec, reply: Reply) -> Reply {
    let Some(collection) = spec.creates else {
        return reply;
    };
    if reply.status != StatusCode::CREATED {
        return reply;
    }
    let id = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string));
    match id {
        Some(id) => reply.with_location(format!("{collection}/{id}")),
        None => reply,
    }
}

fn full_path(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}

/// JSON in, or nothing: `application/json` or any `+json` type.
fn check_content_type(req: &HttpRequest, body: &Bytes) -> Result<(), Problem> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    if body.is_empty() {
        return Ok(());
    }
    let text = value.to_str().unwrap_or("").to_ascii_lowercase();
    let mime = text.split(';').next().unwrap_or("").trim();
    if mime == "application/json" || mime.ends_with("+json") {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("Content-Type '{mime}' is not JSON; send application/json"),
    ))
}

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, Problem> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Problem::payload_too_large(limit));
    }
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                format!("the request body could not be read: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(Problem::payload_too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
