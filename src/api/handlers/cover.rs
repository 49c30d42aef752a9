//! `POST /v1/cover-checks`: is a new sale to a buyer covered by credit
//! insurance, for how much, and why not in full.

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::service::cover::{cover_check, CoverCheckInput};

pub async fn create_cover_check(call: Call) -> Result<Reply, Problem> {
    let input: CoverCheckInput = call.json()?;
    let answer = call.db(move |conn, _| cover_check(conn, &input)).await?;
    Reply::ok(&answer)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DueQuery {
    /// Today (UTC) when absent.
    as_of: Option<chrono::NaiveDate>,
}

/// Overdue insured invoices of a policy, soonest notification deadline first.
pub async fn policy_due(call: Call) -> Result<Reply, Problem> {
    let q: DueQuery = call.query()?;
    let as_of = q.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let id = call.param("id").to_string();
    let items = call
        .db(move |conn, _| crate::service::insurance::insurance_due(conn, &id, as_of))
        .await?;
    Reply::ok(&serde_json::json!({ "items": items, "next_cursor": null }))
}

/// Gives a hold's cover back before it expires.
pub async fn release_hold(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let released = id.clone();
    call.db(move |conn, _| crate::service::cover::release_hold(conn, &id))
        .await?;
    Reply::ok(&serde_json::json!({ "id": released, "state": "released" }))
}
