//! `/v1/outbox`: queued insurer calls; parked ones retried or cancelled by
//! a person.

use crate::api::call::{check_limit, Call, Reply};
use crate::api::problem::Problem;
use crate::service::outbox::{
    cancel_message, get_message, list_messages, retry_message, MessageFilter,
};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    subject_id: Option<String>,
    limit: Option<i64>,
}

/// Messages, newest first; `?state=failed` lists what waits for a person.
pub async fn list(call: Call) -> Result<Reply, Problem> {
    let q: ListQuery = call.query()?;
    check_limit(q.limit)?;
    let filter = MessageFilter {
        state: q.state,
        subject_id: q.subject_id,
        limit: q.limit,
    };
    let items = call.db(move |conn, _| list_messages(conn, &filter)).await?;
    Reply::ok(&serde_json::json!({ "items": items, "next_cursor": null }))
}

pub async fn get(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let m = call.db(move |conn, _| get_message(conn, &id)).await?;
    Reply::ok(&m)
}

pub async fn retry(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let m = call.db(move |conn, _| retry_message(conn, &id)).await?;
    Reply::ok(&m)
}

pub async fn cancel(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let m = call.db(move |conn, _| cancel_message(conn, &id)).await?;
    Reply::ok(&m)
}
