//! Routes: every insurer route goes through [`admit`] (bearer token, the
//! `fail_first` hook), POSTs through [`idempotent`], all through the log
//! and the `delays_ms` hook.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{Operation, SeedSettlement};
use crate::insurer;
use crate::state::{Reply, Sandbox};

pub type Shared = web::Data<Mutex<Sandbox>>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::factor_routes::configure(cfg);
    cfg.route("/oauth/token", web::post().to(token))
        .route("/v1/buyers", web::get().to(find_buyer))
        .route("/v1/credit-limit-requests", web::post().to(request_limit))
        .route(
            "/v1/credit-limit-requests/jobs/{job_id}",
            web::get().to(poll_job),
        )
        .route("/v1/overdue-notices", web::post().to(notify_overdue))
        .route("/v1/claims", web::post().to(file_claim))
        .route("/v1/settlements", web::get().to(settlements))
        .route("/sandbox/requests", web::get().to(requests))
        .route("/sandbox/reset", web::post().to(reset))
        .route("/sandbox/settlements", web::post().to(add_settlements))
        .route("/sandbox/expire-tokens", web::post().to(expire_tokens))
        .default_service(web::to(not_found));
}

pub(crate) fn lock(data: &Shared) -> MutexGuard<'_, Sandbox> {
    // A panic while holding the lock leaves plain data behind: keep going.
    data.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn to_http(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    if let Some(seconds) = reply.retry_after {
        builder.insert_header((RETRY_AFTER, seconds.to_string()));
    }
    builder.json(reply.body)
}

/// Logs the answer, waits the configured delay, then answers.
pub(crate) async fn answer(
    data: &Shared,
    req: &HttpRequest,
    op: Option<Operation>,
    key: Option<&str>,
    (reply, replay): (Reply, bool),
) -> HttpResponse {
    let delay = {
        let mut s = lock(data);
        s.log(
            req.method().as_str(),
            req.path(),
            key,
            replay,
            op,
            reply.status,
        );
        op.map_or(0, |op| s.config.delays_ms.get(op))
    };
    if delay > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    }
    to_http(reply)
}

/// A valid bearer token, then the `fail_first` hook.
pub(crate) fn admit(s: &mut Sandbox, req: &HttpRequest, op: Operation) -> Result<(), Reply> {
    s.authorize(header(req, AUTHORIZATION.as_str()))?;
    if s.must_fail(op) {
        return Err(Reply {
            retry_after: Some(1),
            ..Reply::error(503, "SERVICE_UNAVAILABLE", "simulated outage (fail_first)")
        });
    }
    Ok(())
}

fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, Reply> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| Reply::error(400, "INVALID_QUERY", format!("query string: {e}")))
}

/// A GET: admitted, then `work` on the parsed query.
pub(crate) fn read<Q: DeserializeOwned>(
    data: &Shared,
    req: &HttpRequest,
    op: Operation,
    work: impl FnOnce(&mut Sandbox, Q) -> Reply,
) -> (Reply, bool) {
    let mut s = lock(data);
    let reply = admit(&mut s, req, op)
        .and_then(|_| query(req))
        .map(|q| work(&mut s, q));
    (reply.unwrap_or_else(|e| e), false)
}

/// A POST with an `Idempotency-Key`: a replay of the same body gets the
/// first answer and changes nothing; the same key with another body is
/// refused (422). Answers `(reply, replay)`.
pub(crate) fn idempotent<T: DeserializeOwned>(
    data: &Shared,
    req: &HttpRequest,
    op: Operation,
    body: &[u8],
    work: impl FnOnce(&mut Sandbox, T) -> Reply,
) -> (Reply, bool) {
    let mut s = lock(data);
    if let Err(reply) = admit(&mut s, req, op) {
        return (reply, false);
    }
    let Some(key) = header(req, "idempotency-key") else {
        let reply = Reply::error(
            400,
            "IDEMPOTENCY_KEY_MISSING",
            "the Idempotency-Key header is required",
        );
        return (reply, false);
    };
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return (Reply::error(400, "MALFORMED_JSON", e.to_string()), false),
    };
    match s.recall(key, req.path(), &value) {
        Some(Ok(first)) => return (first, true),
        Some(Err(conflict)) => return (conflict, false),
        None => {}
    }
    let reply = match serde_json::from_value::<T>(value.clone()) {
        Ok(typed) => work(&mut s, typed),
        Err(e) => Reply::error(422, "INVALID_REQUEST", e.to_string()),
    };
    s.remember(key, req.path(), value, &reply);
    (reply, false)
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Client id and secret from HTTP Basic, else from the form.
fn credentials(req: &HttpRequest, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) = header(req, AUTHORIZATION.as_str()).and_then(|h| h.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((id.to_string(), secret.to_string()));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

/// `POST /oauth/token` (RFC 6749 §4.4, errors as in §5.2).
async fn token(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let oauth_error = |status, code: &str, text: &str| Reply {
        status,
        body: json!({"error": code, "error_description": text}),
        retry_after: None,
    };
    let reply = match serde_urlencoded::from_bytes::<TokenForm>(&body) {
        Err(e) => oauth_error(400, "invalid_request", &e.to_string()),
        Ok(form) if form.grant_type != "client_credentials" => oauth_error(
            400,
            "unsupported_grant_type",
            "only client_credentials is supported",
        ),
        Ok(form) => {
            let mut s = lock(&data);
            let expected = (s.config.client_id.clone(), s.config.client_secret.clone());
            match credentials(&req, &form) {
                Some(given) if given == expected => {
                    let (access_token, expires_in) = s.issue_token();
                    Reply::ok(
                        200,
                        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}),
                    )
                }
                _ => oauth_error(401, "invalid_client", "client authentication failed"),
            }
        }
    };
    answer(&data, &req, None, None, (reply, false)).await
}

async fn find_buyer(data: Shared, req: HttpRequest) -> HttpResponse {
    let op = Operation::FindBuyer;
    let out = read(&data, &req, op, |s, q| insurer::find_buyer(s, q));
    answer(&data, &req, Some(op), None, out).await
}

async fn request_limit(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let op = Operation::RequestLimit;
    let out = idempotent(&data, &req, op, &body, insurer::request_limit);
    answer(&data, &req, Some(op), header(&req, "idempotency-key"), out).await
}

async fn poll_job(data: Shared, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let op = Operation::PollDecision;
    let out = {
        let mut s = lock(&data);
        let reply = admit(&mut s, &req, op).map(|_| insurer::poll_job(&mut s, &path));
        (reply.unwrap_or_else(|e| e), false)
    };
    answer(&data, &req, Some(op), None, out).await
}

async fn notify_overdue(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let op = Operation::NotifyOverdue;
    let out = idempotent(&data, &req, op, &body, insurer::notify_overdue);
    answer(&data, &req, Some(op), header(&req, "idempotency-key"), out).await
}

async fn file_claim(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let op = Operation::FileClaim;
    let out = idempotent(&data, &req, op, &body, insurer::file_claim);
    answer(&data, &req, Some(op), header(&req, "idempotency-key"), out).await
}

async fn settlements(data: Shared, req: HttpRequest) -> HttpResponse {
    let op = Operation::FetchSettlements;
    let out = read(&data, &req, op, |s, q| insurer::settlements(s, q));
    answer(&data, &req, Some(op), None, out).await
}

async fn not_found(data: Shared, req: HttpRequest) -> HttpResponse {
    let reply = Reply::error(404, "NOT_FOUND", format!("no route {}", req.path()));
    answer(&data, &req, None, None, (reply, false)).await
}

// The test hooks below need no token: they are the sandbox's, not the
// insurer's.

/// `GET /sandbox/requests`: every request received, oldest first.
async fn requests(data: Shared) -> HttpResponse {
    HttpResponse::Ok().json(&lock(&data).log)
}

/// `POST /sandbox/reset`: back to the configured state.
async fn reset(data: Shared) -> HttpResponse {
    lock(&data).reset();
    HttpResponse::NoContent().finish()
}

/// `POST /sandbox/expire-tokens`: every token issued so far stops working.
async fn expire_tokens(data: Shared) -> HttpResponse {
    lock(&data).expire_tokens();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(SeedSettlement),
    Many(Vec<SeedSettlement>),
}

/// `POST /sandbox/settlements`: one settlement or an array, added to
/// what `GET /v1/settlements` lists.
async fn add_settlements(data: Shared, body: web::Bytes) -> HttpResponse {
    let added = match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::One(one)) => vec![one],
        Ok(OneOrMany::Many(many)) => many,
        Err(e) => {
            return to_http(Reply::error(
                422,
                "INVALID_REQUEST",
                format!("expected a settlement or an array of them: {e}"),
            ))
        }
    };
    let mut s = lock(&data);
    let count = added.len();
    s.settlements.extend(added);
    HttpResponse::Created().json(json!({ "added": count }))
}
