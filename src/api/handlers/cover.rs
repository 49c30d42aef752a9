//! `POST /v1/cover-checks`: is a new sale to a buyer covered by credit
//! insurance, for how much, and why not in full.

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::service::insurance::{cover_check, CoverCheckInput};

pub async fn create_cover_check(call: Call) -> Result<Reply, Problem> {
    let input: CoverCheckInput = call.json()?;
    let answer = call.db(move |conn, _| cover_check(conn, &input)).await?;
    Reply::ok(&answer)
}
