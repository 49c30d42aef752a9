//! `POST /v1/factoring/contracts/{id}/sync` and
//! `POST /v1/insurance/policies/{id}/settlements/sync`: the connection's
//! adapter is read directly (polls and fetches are reads, safe to repeat)
//! and what it gives is imported (see `jobs::statement_sync`).

use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::api::call::{parse_json, Call, Reply};
use crate::api::problem::Problem;
use crate::jobs::statement_sync::{sync_factor, sync_settlements};
use crate::service::ServiceError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    #[serde(default)]
    since: Option<NaiveDate>,
}

fn since_of(call: &Call) -> Result<NaiveDate, Problem> {
    let body: SyncBody = if call.body.iter().all(u8::is_ascii_whitespace) {
        SyncBody::default()
    } else {
        parse_json(&call.body)?
    };
    Ok(body
        .since
        .unwrap_or_else(|| Utc::now().date_naive() - Duration::days(90)))
}

fn runtime() -> Result<tokio::runtime::Runtime, ServiceError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ServiceError::conflict("counterparty_unavailable", e.to_string()))
}

pub async fn sync_contract(call: Call) -> Result<Reply, Problem> {
    let since = since_of(&call)?;
    let id = call.param("id").to_string();
    let adapters = call.state.adapters.clone();
    let r = call
        .db(move |conn, ctx| {
            runtime()?.block_on(sync_factor(conn, ctx, &adapters, &id, since, &mut |m| {
                tracing::info!("{m}")
            }))
        })
        .await?;
    Reply::ok(&r)
}

pub async fn sync_policy(call: Call) -> Result<Reply, Problem> {
    let since = since_of(&call)?;
    let id = call.param("id").to_string();
    let adapters = call.state.adapters.clone();
    let r = call
        .db(move |conn, ctx| {
            runtime()?.block_on(sync_settlements(conn, ctx, &adapters, &id, since))
        })
        .await?;
    Reply::ok(&r)
}
