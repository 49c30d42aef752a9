//! Bank statements and reconciliation: `POST /v1/statements` (the file as
//! the raw body, its format read from the content), the statement read
//! back, suggestions to confirm or reject, unmatched lines to assign.

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::api::call::{check_limit, Call, Items, Reply};
use crate::api::problem::Problem;
use crate::domain::matching::DEFAULT_THRESHOLD;
use crate::service::imports::FileStatus;
use crate::service::parties::resolve_buyer_id;
use crate::service::statements::{self, ImportOptions, LineState};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementQuery {
    /// The file's name in the report.
    name: Option<String>,
    /// Score at or above which a match is applied (default 90).
    threshold: Option<u8>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignInput {
    /// Buyer id, or `scheme:value` legal id.
    buyer: String,
}

/// 201 when lines were added, 200 when every line was known, 422 when the
/// file was refused (nothing stored).
pub async fn create_statement(call: Call) -> Result<Reply, Problem> {
    let q: StatementQuery = call.query()?;
    if call.body.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "file_missing",
            "send a camt.053, camt.054 or CFONB 120 statement as the body",
        ));
    }
    let threshold = q.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if threshold > 100 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "threshold_invalid",
            "threshold is a score from 0 to 100",
        ));
    }
    let body = call.body.clone();
    let name = q.name.unwrap_or_else(|| "body".into());
    let report = call
        .db(move |conn, ctx| {
            let opts = ImportOptions {
                threshold,
                ..ImportOptions::default()
            };
            statements::import_statement(conn, ctx, &opts, &name, &body)
        })
        .await?;
    let status = match report.status {
        FileStatus::Refused | FileStatus::Conflict => StatusCode::UNPROCESSABLE_ENTITY,
        FileStatus::Imported => StatusCode::CREATED,
        FileStatus::Unchanged => StatusCode::OK,
    };
    Reply::json(status, &report)
}

pub async fn get_statement(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let st = call
        .db(move |conn, _| statements::get_statement(conn, &id))
        .await?;
    Reply::ok(&st)
}

async fn list(call: Call, state: LineState) -> Result<Reply, Problem> {
    let q: PageQuery = call.query()?;
    check_limit(q.limit)?;
    let page = call
        .db(move |conn, _| statements::list_movements(conn, state, q.cursor.as_deref(), q.limit))
        .await?;
    Reply::ok(&Items::from(page))
}

pub async fn list_suggestions(call: Call) -> Result<Reply, Problem> {
    list(call, LineState::Suggested).await
}

pub async fn list_unmatched(call: Call) -> Result<Reply, Problem> {
    list(call, LineState::Unmatched).await
}

pub async fn confirm_suggestion(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let line = call
        .db(move |conn, ctx| statements::confirm_suggestion(conn, ctx, &id))
        .await?;
    Reply::ok(&line)
}

pub async fn reject_suggestion(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let line = call
        .db(move |conn, _| statements::reject_suggestion(conn, &id))
        .await?;
    Reply::ok(&line)
}

pub async fn assign_unmatched(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let input: AssignInput = call.json()?;
    let line = call
        .db(move |conn, ctx| {
            let buyer = resolve_buyer_id(conn, &input.buyer)?;
            statements::assign_movement(conn, ctx, &id, &buyer, None)
        })
        .await?;
    Reply::ok(&line)
}
