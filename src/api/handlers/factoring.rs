//! `/v1/factoring/...`: factoring contracts, debtor approvals, assignment
//! proposals and batches, the factor account position, fundings and
//! charge-backs. Thin: each handler reads its input and calls the service.

use actix_web::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::service::factoring::approvals::{self, ApprovalInput, ApprovalRequestInput};
use crate::service::factoring::{self as factoring, ContractInput, Selection, TermsInput};
use crate::service::ServiceError;

pub async fn create_contract(call: Call) -> Result<Reply, Problem> {
    let input: ContractInput = call.json()?;
    let c = call
        .db(move |conn, _| factoring::create_contract(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &c)
}

pub async fn get_contract(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let c = call
        .db(move |conn, _| factoring::get_contract(conn, &id))
        .await?;
    Reply::ok(&c)
}

pub async fn add_contract_version(call: Call) -> Result<Reply, Problem> {
    let terms: TermsInput = call.json()?;
    let id = call.param("id").to_string();
    let c = call
        .db(move |conn, _| factoring::add_version(conn, &id, &terms))
        .await?;
    Reply::json(StatusCode::CREATED, &c)
}

/// The body with the contract of the path added (the path names it).
fn with_contract<T: serde::de::DeserializeOwned>(call: &Call) -> Result<T, Problem> {
    let mut body: serde_json::Value = call.json()?;
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "contract".into(),
            serde_json::Value::String(call.param("id").to_string()),
        );
    }
    serde_json::from_value(body).map_err(crate::api::call::json_problem)
}

pub async fn record_approval(call: Call) -> Result<Reply, Problem> {
    let input: ApprovalInput = with_contract(&call)?;
    let a = call
        .db(move |conn, _| approvals::record_approval(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &a)
}

pub async fn request_approval(call: Call) -> Result<Reply, Problem> {
    let input: ApprovalRequestInput = with_contract(&call)?;
    let r = call
        .db(move |conn, _| approvals::request_approval(conn, &input))
        .await?;
    Reply::json(StatusCode::ACCEPTED, &r)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AsOf {
    as_of: Option<NaiveDate>,
    buyer: Option<String>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

pub async fn list_approvals(call: Call) -> Result<Reply, Problem> {
    let q: AsOf = call.query()?;
    let id = call.param("id").to_string();
    let items = call
        .db(move |conn, _| {
            approvals::list_approvals(conn, &id, q.buyer.as_deref(), q.as_of.unwrap_or_else(today))
        })
        .await?;
    Reply::ok(&serde_json::json!({ "items": items, "next_cursor": null }))
}

pub async fn propose(call: Call) -> Result<Reply, Problem> {
    let sel: Selection = call.json()?;
    let p = call
        .db(move |conn, _| factoring::propose(conn, &sel))
        .await?;
    Reply::ok(&p)
}

pub async fn confirm(call: Call) -> Result<Reply, Problem> {
    let sel: Selection = call.json()?;
    let a = call
        .db(move |conn, ctx| factoring::confirm(conn, ctx, &sel))
        .await?;
    Reply::json(StatusCode::CREATED, &a)
}

pub async fn get_assignment(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let a = call
        .db(move |conn, _| factoring::get_assignment(conn, &id))
        .await?;
    Reply::ok(&a)
}

pub async fn submit(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let a = call.db(move |conn, _| factoring::submit(conn, &id)).await?;
    Reply::ok(&a)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejection {
    #[serde(default)]
    invoice: Option<String>,
    #[serde(default)]
    on: Option<NaiveDate>,
    #[serde(default)]
    reason: Option<String>,
}

pub async fn reject(call: Call) -> Result<Reply, Problem> {
    let r: Rejection = call.json()?;
    let id = call.param("id").to_string();
    let a = call
        .db(move |conn, ctx| {
            factoring::reject(
                conn,
                ctx,
                &id,
                r.invoice.as_deref(),
                r.on.unwrap_or_else(today),
                r.reason.as_deref(),
            )
        })
        .await?;
    Reply::ok(&a)
}

pub async fn position(call: Call) -> Result<Reply, Problem> {
    let q: AsOf = call.query()?;
    let id = call.param("id").to_string();
    let p = call
        .db(move |conn, _| factoring::position(conn, &id, q.as_of))
        .await?;
    Reply::ok(&p)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FundingBody {
    amount: String,
    #[serde(default)]
    requested_on: Option<NaiveDate>,
}

pub async fn create_funding(call: Call) -> Result<Reply, Problem> {
    let b: FundingBody = call.json()?;
    let id = call.param("id").to_string();
    let f = call
        .db(move |conn, _| factoring::request_funding(conn, &id, &b.amount, b.requested_on))
        .await?;
    Reply::json(StatusCode::CREATED, &f)
}

pub async fn get_funding(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let f = call
        .db(move |conn, _| factoring::position::get_funding(conn, &id))
        .await?;
    Reply::ok(&f)
}

pub async fn recourse(call: Call) -> Result<Reply, Problem> {
    let q: AsOf = call.query()?;
    let id = call.param("id").to_string();
    let items = call
        .db(move |conn, _| factoring::recourse_due(conn, &id, q.as_of.unwrap_or_else(today)))
        .await?;
    Reply::ok(&serde_json::json!({ "items": items, "next_cursor": null }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeBackBody {
    assignment: String,
    invoice: String,
    /// Decimal in the contract currency.
    amount: String,
    on: NaiveDate,
}

pub async fn charge_back(call: Call) -> Result<Reply, Problem> {
    let b: ChargeBackBody = call.json()?;
    let r = call
        .db(move |conn, ctx| {
            let a = factoring::get_assignment(conn, &b.assignment)?;
            let minor = crate::money::Money::parse(&b.amount, a.total.currency())
                .map_err(|e| ServiceError::invalid("amount_invalid", "amount", e.to_string()))?
                .minor();
            factoring::charge_back(conn, ctx, &a.number, &b.invoice, minor, b.on)
        })
        .await?;
    Reply::ok(&r)
}
