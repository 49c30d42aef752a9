//! The ledger: trial balance, manual entries and their reversal.

use actix_web::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::api::call::{parse_json, Call, Reply};
use crate::api::problem::Problem;
use crate::ledger::TrialBalance;
use crate::service::ledger::{self as svc, ManualEntryInput, ENTRY_REVERSED, MANUAL_ENTRY};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AsOfQuery {
    as_of: Option<NaiveDate>,
}

#[derive(Serialize)]
struct TrialBalanceReply {
    /// `null`: every entry so far.
    as_of: Option<NaiveDate>,
    /// Debits equal credits in every currency.
    balanced: bool,
    #[serde(flatten)]
    balance: TrialBalance,
}

pub async fn trial_balance(call: Call) -> Result<Reply, Problem> {
    let q: AsOfQuery = call.query()?;
    let as_of = q.as_of;
    let balance = call
        .db(move |conn, ctx| svc::trial_balance_as_of(conn, ctx, as_of))
        .await?;
    Reply::ok(&TrialBalanceReply {
        as_of,
        balanced: balance.is_balanced(),
        balance,
    })
}

/// 201 for a new entry; 200 when an entry with this `reference` was posted
/// before (it is returned, nothing is posted).
pub async fn post_entry(call: Call) -> Result<Reply, Problem> {
    let input: ManualEntryInput = call.json()?;
    let (entry, existed) = call
        .db(move |conn, ctx| {
            let existed = svc::entries_for_event(conn, &input.reference)?
                .iter()
                .any(|e| e.event_kind == MANUAL_ENTRY);
            Ok((svc::post_manual(conn, ctx, &input)?, existed))
        })
        .await?;
    Reply::json(created_unless(existed), &entry)
}

pub async fn get_entry(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let entry = call.db(move |conn, _| svc::get_entry(conn, &id)).await?;
    Reply::ok(&entry)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReversalInput {
    /// Date of the reversing entry; today (UTC) when absent.
    #[serde(default)]
    date: Option<NaiveDate>,
}

/// 201 with the reversing entry; 200 with it when the entry was reversed
/// before.
pub async fn reverse_entry(call: Call) -> Result<Reply, Problem> {
    let input: ReversalInput = if call.body.iter().all(u8::is_ascii_whitespace) {
        ReversalInput::default()
    } else {
        parse_json(&call.body)?
    };
    let date = input
        .date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let id = call.param("id").to_string();
    let (entry, existed) = call
        .db(move |conn, ctx| {
            let existed = svc::entries_for_event(conn, &id)?
                .iter()
                .any(|e| e.event_kind == ENTRY_REVERSED);
            Ok((svc::reverse_entry(conn, ctx, &id, date)?, existed))
        })
        .await?;
    Reply::json(created_unless(existed), &entry)
}

fn created_unless(existed: bool) -> StatusCode {
    if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}
