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

use actix_web::http::StatusCode;

use crate::service::insurance::{self, DecisionInput, PolicyInput, TermsInput};

pub async fn create_policy(call: Call) -> Result<Reply, Problem> {
    let input: PolicyInput = call.json()?;
    let policy = call
        .db(move |conn, _| insurance::create_policy(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &policy)
}

pub async fn get_policy(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let policy = call
        .db(move |conn, _| insurance::get_policy(conn, &id))
        .await?;
    Reply::ok(&policy)
}

/// A new version of the policy's terms; the answer is the policy.
pub async fn add_policy_version(call: Call) -> Result<Reply, Problem> {
    let terms: TermsInput = call.json()?;
    let id = call.param("id").to_string();
    let policy = call
        .db(move |conn, _| insurance::add_version(conn, &id, &terms))
        .await?;
    Reply::json(StatusCode::CREATED, &policy)
}

pub async fn create_decision(call: Call) -> Result<Reply, Problem> {
    let input: DecisionInput = call.json()?;
    let decision = call
        .db(move |conn, _| insurance::record_decision(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &decision)
}

pub async fn get_decision(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let decision = call
        .db(move |conn, _| insurance::get_decision(conn, &id))
        .await?;
    Reply::ok(&decision)
}
