//! Writing a movement of the factor account (always with its entry, in the
//! caller's transaction).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::service::{new_id, now, ServiceError};
use crate::store::factoring_rows::MovementRow;
use crate::store::schema::factoring_movements as movements;
use crate::store::DbConnection;

/// Movement kinds, as stored (the names of the factor statement kinds).
pub const ASSIGNMENT: &str = "assignment";
pub const REJECTION: &str = "rejection";
pub const ADVANCE: &str = "advance";
pub const RESERVE_HELD: &str = "reserve_held";
pub const RESERVE_RELEASED: &str = "reserve_released";
pub const FEE: &str = "fee";
pub const INTEREST: &str = "interest";
pub const COLLECTION: &str = "collection";
pub const RECOURSE: &str = "recourse";

/// A movement to write: `amount` is its effect on 467 (positive: the
/// factor owes us more); the deltas move the outstanding figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Movement<'a> {
    pub kind: &'a str,
    pub amount: i64,
    pub outstanding: i64,
    pub approved: i64,
    pub financed: i64,
    pub reserve: i64,
    pub assignment_id: Option<&'a str>,
    pub item_id: Option<&'a str>,
    pub funding_id: Option<&'a str>,
    pub entry_id: Option<&'a str>,
}

pub(crate) fn record(
    conn: &mut DbConnection,
    contract_id: &str,
    on: NaiveDate,
    m: Movement<'_>,
) -> Result<(), ServiceError> {
    record_returning(conn, contract_id, on, m).map(|_| ())
}

/// [`record`], giving the new movement's id.
pub(crate) fn record_returning(
    conn: &mut DbConnection,
    contract_id: &str,
    on: NaiveDate,
    m: Movement<'_>,
) -> Result<String, ServiceError> {
    let id = new_id();
    diesel::insert_into(movements::table)
        .values(MovementRow {
            id: id.clone(),
            contract_id: contract_id.to_string(),
            kind: m.kind.to_string(),
            on_date: on,
            amount_minor: m.amount,
            outstanding_delta: m.outstanding,
            approved_delta: m.approved,
            financed_delta: m.financed,
            reserve_delta: m.reserve,
            assignment_id: m.assignment_id.map(str::to_string),
            item_id: m.item_id.map(str::to_string),
            funding_id: m.funding_id.map(str::to_string),
            entry_id: m.entry_id.map(str::to_string),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(id)
}
