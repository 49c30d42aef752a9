//! Reports and legal exports: the aged balance and the FEC.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::formats::fec::fec_file_name;
use crate::service::{parties, reports};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgingQuery {
    /// Today (UTC) when absent.
    as_of: Option<NaiveDate>,
    /// Our id, `scheme:value` or a bare legal id.
    buyer_id: Option<String>,
}

pub async fn aging(call: Call) -> Result<Reply, Problem> {
    let q: AgingQuery = call.query()?;
    let as_of = q.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let buyer = q.buyer_id;
    let report = call
        .db(move |conn, ctx| {
            let buyer_id = match &buyer {
                Some(reference) => Some(parties::get_buyer(conn, reference)?.id),
                None => None,
            };
            reports::aging(conn, &ctx.aging, as_of, buyer_id.as_deref())
        })
        .await?;
    Reply::ok(&report)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FecQuery {
    year: i32,
}

pub const FEC_CONTENT_TYPE: &str = "text/plain; charset=iso-8859-15";

/// The FEC of a calendar fiscal year, as a file. Built in memory inside the
/// blocking task so that an error anywhere is an error answer, never a
/// truncated file sent with 200.
pub async fn export_fec(call: Call) -> Result<Reply, Problem> {
    let q: FecQuery = call.query()?;
    let (from, to) = match (
        NaiveDate::from_ymd_opt(q.year, 1, 1),
        NaiveDate::from_ymd_opt(q.year, 12, 31),
    ) {
        (Some(from), Some(to)) if (1900..=9999).contains(&q.year) => (from, to),
        _ => {
            return Err(
                Problem::query_invalid(format!("year: {} is not a valid year", q.year))
                    .with_field("year"),
            )
        }
    };
    let (file, siren) = call
        .db(move |conn, ctx| {
            let mut out = Vec::new();
            reports::export_fec(conn, ctx, from, to, &mut out)?;
            Ok((out, single_siren(&parties::list_sellers(conn)?)))
        })
        .await?;
    let name = match siren {
        Some(siren) => fec_file_name(&siren, to),
        None => format!("FEC{}.txt", to.format("%Y%m%d")),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|_| Problem::internal())?;
    Ok(Reply {
        status: StatusCode::OK,
        content_type: FEC_CONTENT_TYPE,
        body: Bytes::from(file),
        headers: vec![(header::CONTENT_DISPOSITION, disposition)],
    })
}

/// The SIREN the file is named after: the one SIREN our sellers share, if
/// exactly one is known.
fn single_siren(sellers: &[parties::Seller]) -> Option<String> {
    let mut sirens: Vec<&str> = sellers.iter().filter_map(|s| s.siren.as_deref()).collect();
    sirens.sort_unstable();
    sirens.dedup();
    match sirens.as_slice() {
        [one] if one.len() == 9 && one.bytes().all(|b| b.is_ascii_digit()) => Some(one.to_string()),
        _ => None,
    }
}
