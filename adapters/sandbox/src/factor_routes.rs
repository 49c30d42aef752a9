//! The simulated factor's routes, under `/factor/v1/`, with the same
//! token, idempotency, log and failure hooks as the insurer's; and its
//! test hooks under `/sandbox/factor/` (no token).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use crate::config::Operation;
use crate::factor;
use crate::factor_statements;
use crate::routes::{admit, answer, header, idempotent, lock, read, to_http, Shared};
use crate::state::{Reply, Sandbox};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/factor/v1/assignments", web::post().to(submit_assignment))
        .route(
            "/factor/v1/assignments/{id}",
            web::get().to(assignment_status),
        )
        .route(
            "/factor/v1/funding-requests",
            web::post().to(request_funding),
        )
        .route(
            "/factor/v1/debtor-approvals",
            web::post().to(request_approval),
        )
        .route(
            "/factor/v1/debtor-approvals/jobs/{id}",
            web::get().to(poll_approval),
        )
        .route("/factor/v1/statements", web::get().to(statements))
        .route(
            "/sandbox/factor/collections",
            web::post().to(add_collection),
        )
        .route("/sandbox/factor/clock", web::post().to(set_clock));
}

/// A POST with an `Idempotency-Key`, logged and slowed like the insurer's.
async fn post<T: DeserializeOwned>(
    data: Shared,
    req: HttpRequest,
    body: web::Bytes,
    op: Operation,
    work: impl FnOnce(&mut Sandbox, T) -> Reply,
) -> HttpResponse {
    let out = idempotent(&data, &req, op, &body, work);
    answer(&data, &req, Some(op), header(&req, "idempotency-key"), out).await
}

/// A GET of one thing by its id.
async fn get_by_id(
    data: Shared,
    req: HttpRequest,
    id: &str,
    op: Operation,
    work: impl FnOnce(&mut Sandbox, &str) -> Reply,
) -> HttpResponse {
    let out = {
        let mut s = lock(&data);
        let reply = admit(&mut s, &req, op).map(|_| work(&mut s, id));
        (reply.unwrap_or_else(|e| e), false)
    };
    answer(&data, &req, Some(op), None, out).await
}

async fn submit_assignment(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    post(
        data,
        req,
        body,
        Operation::SubmitAssignment,
        factor::submit_assignment,
    )
    .await
}

async fn assignment_status(
    data: Shared,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    get_by_id(
        data,
        req,
        &path,
        Operation::AssignmentStatus,
        factor::assignment_status,
    )
    .await
}

async fn request_funding(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    post(
        data,
        req,
        body,
        Operation::RequestFunding,
        factor::request_funding,
    )
    .await
}

async fn request_approval(data: Shared, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    post(
        data,
        req,
        body,
        Operation::RequestApproval,
        factor::request_approval,
    )
    .await
}

async fn poll_approval(data: Shared, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    get_by_id(
        data,
        req,
        &path,
        Operation::PollApproval,
        factor::poll_approval,
    )
    .await
}

async fn statements(data: Shared, req: HttpRequest) -> HttpResponse {
    let op = Operation::FetchStatements;
    let out = read(&data, &req, op, |s, q| factor_statements::statements(s, q));
    answer(&data, &req, Some(op), None, out).await
}

/// A hook's JSON body, or a 422 naming what is wrong.
fn hook<T: DeserializeOwned>(
    data: &Shared,
    body: &[u8],
    work: impl FnOnce(&mut Sandbox, T) -> Reply,
) -> HttpResponse {
    let reply = match serde_json::from_slice::<T>(body) {
        Ok(typed) => work(&mut lock(data), typed),
        Err(e) => Reply::error(422, "INVALID_REQUEST", e.to_string()),
    };
    to_http(reply)
}

/// `POST /sandbox/factor/collections`: `{"invoiceNumber", "amount", "paidOn"?}`.
async fn add_collection(data: Shared, body: web::Bytes) -> HttpResponse {
    hook(&data, &body, factor::add_collection)
}

/// `POST /sandbox/factor/clock`: `{"today": "YYYY-MM-DD"}`.
async fn set_clock(data: Shared, body: web::Bytes) -> HttpResponse {
    hook(&data, &body, factor::set_clock)
}
