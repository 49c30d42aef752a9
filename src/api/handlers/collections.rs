//! Collections: KPIs, disputes, promises to pay, penalties, risk scores,
//! dunning runs, actions and plans, buyers' collection terms.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::api::call::{check_limit, Call, Items, Reply};
use crate::api::problem::Problem;
use crate::service::collection_terms::{set_terms, TermsInput};
use crate::service::disputes::{self, DisputeFilter, DisputeInput, ResolveInput};
use crate::service::dunning::{self, ActionFilter};
use crate::service::promises::{self, PromiseInput};
use crate::service::{kpi, parties, penalties, risk, ServiceError};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KpiQuery {
    as_of: Option<NaiveDate>,
    from: Option<NaiveDate>,
    /// With `from`: monthly trends from `from` to `to`.
    to: Option<NaiveDate>,
    #[serde(default)]
    buyers: bool,
    buyer_id: Option<String>,
    /// The aged balance at the same cut, from the same pass.
    #[serde(default)]
    aging: bool,
}

pub async fn kpis(call: Call) -> Result<Reply, Problem> {
    let q: KpiQuery = call.query()?;
    let value = call
        .db(move |conn, ctx| match (q.from, q.to) {
            (Some(_), Some(_)) if q.aging => Err(ServiceError::invalid(
                "aging_with_trends",
                "aging",
                "aging goes with one as-of date, not with monthly trends (from and to)",
            )),
            (Some(from), Some(to)) => {
                Ok(serde_json::json!({ "trends": kpi::kpi_trends(conn, from, to)? }))
            }
            (from, _) => {
                let buyer = match &q.buyer_id {
                    Some(r) => Some(parties::get_buyer(conn, r)?.id),
                    None => None,
                };
                let r = kpi::snapshot(
                    conn,
                    q.as_of.unwrap_or_else(today),
                    from,
                    q.buyers,
                    buyer.as_deref(),
                    q.aging.then_some(&ctx.aging),
                )?;
                Ok(serde_json::to_value(r).unwrap_or_default())
            }
        })
        .await?;
    Reply::ok(&value)
}

pub async fn create_dispute(call: Call) -> Result<Reply, Problem> {
    let input: DisputeInput = call.json()?;
    let d = call
        .db(move |conn, _| disputes::open_dispute(conn, &input))
        .await?;
    Reply::json(actix_web::http::StatusCode::CREATED, &d)
}

pub async fn list_disputes(call: Call) -> Result<Reply, Problem> {
    let f: DisputeFilter = call.query()?;
    let list = call
        .db(move |conn, _| disputes::list_disputes(conn, &f))
        .await?;
    Reply::ok(&Items::all(list))
}

pub async fn get_dispute(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let d = call
        .db(move |conn, _| disputes::get_dispute(conn, &id))
        .await?;
    Reply::ok(&d)
}

pub async fn resolve_dispute(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let input: ResolveInput = call.json()?;
    let d = call
        .db(move |conn, _| disputes::resolve_dispute(conn, &id, &input))
        .await?;
    Reply::ok(&d)
}

pub async fn create_promise(call: Call) -> Result<Reply, Problem> {
    let input: PromiseInput = call.json()?;
    let p = call
        .db(move |conn, _| promises::record_promise(conn, &input))
        .await?;
    Reply::json(actix_web::http::StatusCode::CREATED, &p)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseQuery {
    invoice: Option<String>,
    state: Option<String>,
}

pub async fn list_promises(call: Call) -> Result<Reply, Problem> {
    let q: PromiseQuery = call.query()?;
    let list = call
        .db(move |conn, _| promises::list_promises(conn, q.invoice.as_deref(), q.state.as_deref()))
        .await?;
    Reply::ok(&Items::all(list))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PenaltyQuery {
    as_of: Option<NaiveDate>,
    invoice: Option<String>,
    buyer_id: Option<String>,
}

pub async fn list_penalties(call: Call) -> Result<Reply, Problem> {
    let q: PenaltyQuery = call.query()?;
    let as_of = q.as_of.unwrap_or_else(today);
    let list = call
        .db(move |conn, _| match &q.invoice {
            Some(inv) => Ok(vec![penalties::penalty_of(conn, inv, as_of)?]),
            None => {
                let buyer = match &q.buyer_id {
                    Some(r) => Some(parties::get_buyer(conn, r)?.id),
                    None => None,
                };
                penalties::list_penalties(conn, as_of, buyer.as_deref())
            }
        })
        .await?;
    Reply::ok(&Items::all(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeInput {
    as_of: NaiveDate,
}

/// Invoices the penalties of an invoice up to `as_of`: 201 for a new
/// charge, 200 when that date was charged before (nothing new).
pub async fn charge_penalties(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let input: ChargeInput = call.json()?;
    let c = call
        .db(move |conn, ctx| penalties::invoice_penalties(conn, ctx, &id, input.as_of))
        .await?;
    let status = if c.already_charged {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    Reply::json(status, &c)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskQuery {
    as_of: Option<NaiveDate>,
    buyer_id: Option<String>,
}

pub async fn risk_scores(call: Call) -> Result<Reply, Problem> {
    let q: RiskQuery = call.query()?;
    let list = call
        .db(move |conn, _| {
            let buyer = match &q.buyer_id {
                Some(r) => Some(parties::get_buyer(conn, r)?.id),
                None => None,
            };
            risk::risk_scores(conn, q.as_of.unwrap_or_else(today), buyer.as_deref())
        })
        .await?;
    Reply::ok(&Items::all(list))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunInput {
    as_of: Option<NaiveDate>,
}

pub async fn run_dunning(call: Call) -> Result<Reply, Problem> {
    let input: RunInput = if call.body.is_empty() {
        RunInput::default()
    } else {
        call.json()?
    };
    let settings = call.state.dunning.clone();
    let report = call
        .db(move |conn, _| dunning::run_dunning(conn, &settings, input.as_of.unwrap_or_else(today)))
        .await?;
    Reply::ok(&report)
}

pub async fn list_actions(call: Call) -> Result<Reply, Problem> {
    let f: ActionFilter = call.query()?;
    check_limit(f.limit)?;
    let page = call
        .db(move |conn, _| dunning::list_actions(conn, &f))
        .await?;
    Reply::ok(&Items::from(page))
}

pub async fn complete_action(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let a = call
        .db(move |conn, _| dunning::complete_action(conn, &id))
        .await?;
    Reply::ok(&a)
}

pub async fn list_plans(call: Call) -> Result<Reply, Problem> {
    let plans = call.db(move |conn, _| dunning::list_plans(conn)).await?;
    Reply::ok(&Items::all(plans))
}

pub async fn set_collection_terms(call: Call) -> Result<Reply, Problem> {
    let reference = call.param("id").to_string();
    let input: TermsInput = call.json()?;
    let t = call
        .db(move |conn, _| {
            let id = parties::get_buyer(conn, &reference)?.id;
            set_terms(conn, &id, &input)
        })
        .await?;
    Reply::ok(&t)
}
