//! `POST /v1/cover-checks`: is a new sale to a buyer covered by credit
//! insurance, for how much, and why not in full.

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::service::cover::{cover_check_cached, CoverCheckInput};
use crate::service::Context;
use crate::store::DbConnection;

pub async fn create_cover_check(call: Call) -> Result<Reply, Problem> {
    let input: CoverCheckInput = call.json()?;
    let holds = input.hold.is_some();
    let terms = call.state.cover_terms.clone();
    let check =
        move |conn: &mut DbConnection, _: &Context| cover_check_cached(conn, &terms, &input);
    // A hold writes (and on SQLite may wait for the write lock): off the
    // worker. A plain check only reads.
    let answer = if holds {
        call.db(check).await?
    } else {
        call.db_read(check).await?
    };
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

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeBody {
    invoice_id: String,
    #[serde(default = "overdue")]
    kind: String,
    notified_on: chrono::NaiveDate,
}

fn overdue() -> String {
    "overdue".into()
}

/// An overdue notification to the insurer (recorded, late or not).
pub async fn create_notice(call: Call) -> Result<Reply, Problem> {
    let body: NoticeBody = call.json()?;
    let policy = call.param("id").to_string();
    let notice = call
        .db(move |conn, _| {
            crate::service::claims::notify_overdue(
                conn,
                &policy,
                &body.invoice_id,
                &body.kind,
                body.notified_on,
            )
        })
        .await?;
    Reply::json(StatusCode::CREATED, &notice)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    invoice_id: String,
    filed_on: chrono::NaiveDate,
    #[serde(default)]
    insolvency: bool,
}

pub async fn create_claim(call: Call) -> Result<Reply, Problem> {
    let body: ClaimBody = call.json()?;
    let policy = call.param("id").to_string();
    let claim = call
        .db(move |conn, ctx| {
            crate::service::claims::file_claim(
                conn,
                ctx,
                &policy,
                &body.invoice_id,
                body.filed_on,
                body.insolvency,
            )
        })
        .await?;
    Reply::json(StatusCode::CREATED, &claim)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    accepted: bool,
    decided_on: chrono::NaiveDate,
}

pub async fn decide_claim(call: Call) -> Result<Reply, Problem> {
    let body: DecisionBody = call.json()?;
    let id = call.param("id").to_string();
    let claim = call
        .db(move |conn, _| {
            crate::service::claims::decide_claim(conn, &id, body.accepted, body.decided_on)
        })
        .await?;
    Reply::ok(&claim)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentBody {
    paid_on: chrono::NaiveDate,
}

pub async fn pay_claim(call: Call) -> Result<Reply, Problem> {
    let body: PaymentBody = call.json()?;
    let id = call.param("id").to_string();
    let claim = call
        .db(move |conn, ctx| crate::service::claims::pay_claim(conn, ctx, &id, body.paid_on))
        .await?;
    Reply::ok(&claim)
}

/// Money recovered after the claim was paid, shared with the insurer and
/// posted.
pub async fn record_recovery(call: Call) -> Result<Reply, Problem> {
    let input: crate::service::recoveries::RecoveryInput = call.json()?;
    let id = call.param("id").to_string();
    let recovery = call
        .db(move |conn, ctx| crate::service::recoveries::record_recovery(conn, ctx, &id, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &recovery)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PremiumBody {
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    #[serde(default)]
    post: bool,
}

/// The premium due for a period; with `post`, recorded and posted once.
pub async fn policy_premium(call: Call) -> Result<Reply, Problem> {
    let body: PremiumBody = call.json()?;
    let id = call.param("id").to_string();
    let premium = call
        .db(move |conn, ctx| {
            crate::service::premiums::premium(conn, ctx, &id, body.from, body.to, body.post)
        })
        .await?;
    Reply::ok(&premium)
}

/// Dated rates as a CSV body (`series,date,value`), whole or not at all.
pub async fn import_rates(call: Call) -> Result<Reply, Problem> {
    let body = call.body.clone();
    let report = call
        .db(move |conn, _| crate::service::rates::import_rates(conn, &body[..]))
        .await?;
    let status = if report.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Reply::json(status, &report)
}

/// A limit request to the policy's insurer: the `requested` decision, sent
/// through the outbox.
pub async fn create_limit_request(call: Call) -> Result<Reply, Problem> {
    let input: crate::service::insurer_calls::LimitRequestInput = call.json()?;
    let record = call
        .db(move |conn, _| crate::service::insurer_calls::request_limit(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &record)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// A connection name of the configuration, or null to unlink.
    connection: Option<String>,
}

/// Links a policy to an insurer connection (or unlinks it).
pub async fn link_policy(call: Call) -> Result<Reply, Problem> {
    let body: LinkBody = call.json()?;
    let id = call.param("id").to_string();
    let known = call.state.connections.clone();
    let policy = call
        .db(move |conn, _| {
            crate::service::insurer_calls::link_policy(
                conn,
                &id,
                body.connection.as_deref(),
                &known,
            )
        })
        .await?;
    Reply::ok(&policy)
}
