//! Sellers (our companies) and buyers.

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::api::call::{check_limit, Call, Items, Reply};
use crate::api::problem::Problem;
use crate::domain::party::{BuyerInput, SellerInput};
use crate::service::{page_size, parties};

pub async fn create_seller(call: Call) -> Result<Reply, Problem> {
    let input: SellerInput = call.json()?;
    let seller = call
        .db(move |conn, _| parties::create_seller(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &seller)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Sellers are few (our own companies): read whole, paged here so every
/// list of the API takes `cursor` and `limit`.
pub async fn list_sellers(call: Call) -> Result<Reply, Problem> {
    let q: PageQuery = call.query()?;
    check_limit(q.limit)?;
    let limit = page_size(q.limit).map_err(Problem::from)? as usize;
    let all = call.db(|conn, _| parties::list_sellers(conn)).await?;
    let mut items: Vec<_> = all
        .into_iter()
        .filter(|s| match q.cursor.as_deref() {
            Some(cursor) => s.id.as_str() > cursor,
            None => true,
        })
        .take(limit + 1)
        .collect();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|s| s.id.clone())
    } else {
        None
    };
    Reply::ok(&Items { items, next_cursor })
}

/// By our id, SIREN or VAT number.
pub async fn get_seller(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let seller = call
        .db(move |conn, _| parties::get_seller(conn, &id))
        .await?;
    Reply::ok(&seller)
}

pub async fn create_buyer(call: Call) -> Result<Reply, Problem> {
    let input: BuyerInput = call.json()?;
    let buyer = call
        .db(move |conn, _| parties::create_buyer(conn, &input))
        .await?;
    Reply::json(StatusCode::CREATED, &buyer)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuyerQuery {
    country: Option<String>,
    /// Part of the name.
    name: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub async fn list_buyers(call: Call) -> Result<Reply, Problem> {
    let q: BuyerQuery = call.query()?;
    check_limit(q.limit)?;
    let filter = parties::BuyerFilter {
        country: q.country,
        name_contains: q.name,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = call
        .db(move |conn, _| parties::list_buyers(conn, &filter))
        .await?;
    Reply::ok(&Items::from(page))
}

/// By our id, `scheme:value` (e.g. `siren:552100554`) or a bare legal id.
pub async fn get_buyer(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let buyer = call
        .db(move |conn, _| parties::get_buyer(conn, &id))
        .await?;
    Reply::ok(&buyer)
}
