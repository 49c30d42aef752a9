//! The factor account position at any date, funding requests that draw on
//! the available amount, their answers, and reserve releases.
//!
//! Available to draw = max(0, min(advance rate x approved outstanding -
//! financed outstanding, factor account balance) - funding requests still
//! unanswered). The balance (467) is what the factor owes us: assigned,
//! less reserve, fees, financing charges, advances, collections and
//! charge-backs; drawing more would leave us owing the factor.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use factorgate_adapter::{FundingAnswer, FundingRequest, FundingStatus};
use serde::Serialize;

use super::contracts::{get_contract, lock_contract, Contract};
use super::movements::{self, Movement};
use super::{currency_of, invalid, money_err};
use crate::domain::factoring::money::{advance, reserve};
use crate::domain::outbox::Operation;
use crate::ledger::factoring_posting::{post_advance, post_reserve_release};
use crate::money::Money;
use crate::service::insurer_calls::{canonical_amount, idempotency_key};
use crate::service::ledger::post;
use crate::service::outbox::{enqueue, NewMessage, Subject};
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::factoring_rows::FundingRow;
use crate::store::schema::{factoring_fundings as fundings, factoring_movements as mv};
use crate::store::{sum_bigint, write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct Position {
    pub contract: String,
    pub as_of: NaiveDate,
    /// Invoices less credit notes still under active assignments.
    pub assigned: Money,
    /// The approved (financeable) part of it.
    pub approved: Money,
    /// Advances received, in all.
    pub advanced: Money,
    /// Advances not yet repaid by collections or charge-backs.
    pub financed: Money,
    /// Reserve held by the factor (4678).
    pub reserve: Money,
    /// What the reserve rate asks of the assigned outstanding.
    pub reserve_required: Money,
    /// Reserve the factor may release.
    pub reserve_releasable: Money,
    /// Factoring commission with its VAT, in all.
    pub fees: Money,
    pub financing_charges: Money,
    /// Collected by us on assigned invoices (held for the factor).
    pub collected: Money,
    pub charged_back: Money,
    /// The factor account balance (467): what the factor owes us.
    pub balance: Money,
    /// Funding requests not answered yet.
    pub requested: Money,
    pub available: Money,
}

#[derive(Default)]
struct Sums {
    amount: i64,
    outstanding: i64,
    approved: i64,
    financed: i64,
    reserve: i64,
    by_kind: std::collections::HashMap<String, i64>,
}

/// Per movement kind: amount, outstanding, approved, financed, reserve.
type SumRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn sums(
    conn: &mut DbConnection,
    contract_id: &str,
    as_of: NaiveDate,
) -> Result<Sums, ServiceError> {
    let rows: Vec<SumRow> = mv::table
        .filter(mv::contract_id.eq(contract_id).and(mv::on_date.le(as_of)))
        .group_by(mv::kind)
        .select((
            mv::kind,
            sum_bigint("factoring_movements.amount_minor"),
            sum_bigint("factoring_movements.outstanding_delta"),
            sum_bigint("factoring_movements.approved_delta"),
            sum_bigint("factoring_movements.financed_delta"),
            sum_bigint("factoring_movements.reserve_delta"),
        ))
        .load(conn)?;
    let mut s = Sums::default();
    for (kind, a, o, ap, f, r) in rows {
        let a = a.unwrap_or(0);
        s.amount += a;
        s.outstanding += o.unwrap_or(0);
        s.approved += ap.unwrap_or(0);
        s.financed += f.unwrap_or(0);
        s.reserve += r.unwrap_or(0);
        s.by_kind.insert(kind, a);
    }
    Ok(s)
}

pub(crate) fn position_of(
    conn: &mut DbConnection,
    contract: &Contract,
    as_of: NaiveDate,
) -> Result<Position, ServiceError> {
    let c = currency_of(&contract.currency)?;
    let s = sums(conn, &contract.id, as_of)?;
    let spent = |k: &str| -s.by_kind.get(k).copied().unwrap_or(0);
    let requested: Option<i64> = fundings::table
        .filter(
            fundings::contract_id
                .eq(&contract.id)
                .and(fundings::state.eq("requested")),
        )
        .select(sum_bigint("factoring_fundings.amount_minor"))
        .first(conn)?;
    let requested = requested.unwrap_or(0);
    let (reserve_required, available) =
        match crate::domain::factoring::terms_at(&contract.versions, as_of) {
            Some(t) => {
                let required =
                    reserve(t.reserve_rate, s.outstanding.max(0), c).map_err(money_err)?;
                let financeable =
                    advance(t.advance_rate, s.approved.max(0), c).map_err(money_err)?;
                (
                    required,
                    ((financeable - s.financed).min(s.amount) - requested).max(0),
                )
            }
            None => (0, 0),
        };
    let m = |v: i64| Money::new(v, c);
    Ok(Position {
        contract: contract.number.clone(),
        as_of,
        assigned: m(s.outstanding),
        approved: m(s.approved),
        advanced: m(spent(movements::ADVANCE)),
        financed: m(s.financed),
        reserve: m(s.reserve),
        reserve_required: m(reserve_required),
        reserve_releasable: m((s.reserve - reserve_required).max(0)),
        fees: m(spent(movements::FEE)),
        financing_charges: m(spent(movements::INTEREST)),
        collected: m(spent(movements::COLLECTION)),
        charged_back: m(spent(movements::RECOURSE)),
        balance: m(s.amount),
        requested: m(requested),
        available: m(available),
    })
}

/// The factor account position on `as_of` (today when absent).
pub fn position(
    conn: &mut DbConnection,
    contract_ref: &str,
    as_of: Option<NaiveDate>,
) -> Result<Position, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    position_of(
        conn,
        &contract,
        as_of.unwrap_or_else(|| Utc::now().date_naive()),
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Funding {
    pub id: String,
    pub contract: String,
    pub requested_on: NaiveDate,
    pub amount: Money,
    pub state: String,
    pub granted: Option<Money>,
    pub value_date: Option<NaiveDate>,
    pub factor_reference: Option<String>,
    pub message_id: Option<String>,
}

fn to_funding(
    r: FundingRow,
    contract: &Contract,
    message_id: Option<String>,
) -> Result<Funding, ServiceError> {
    let c = currency_of(&contract.currency)?;
    Ok(Funding {
        id: r.id,
        contract: contract.number.clone(),
        requested_on: r.requested_on,
        amount: Money::new(r.amount_minor, c),
        state: r.state,
        granted: r.granted_minor.map(|g| Money::new(g, c)),
        value_date: r.value_date,
        factor_reference: r.factor_reference,
        message_id,
    })
}

pub fn get_funding(conn: &mut DbConnection, id: &str) -> Result<Funding, ServiceError> {
    let r: FundingRow = fundings::table
        .find(id)
        .select(FundingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("funding_not_found", "funding request", id))?;
    let contract = get_contract(conn, &r.contract_id)?;
    to_funding(r, &contract, None)
}

/// A drawing of up to the available amount [demande de financement],
/// queued to the factor when the contract has a connection. More than
/// available is refused (`funding_exceeds_available`) and nothing is written.
pub fn request_funding(
    conn: &mut DbConnection,
    contract_ref: &str,
    amount: &str,
    requested_on: Option<NaiveDate>,
) -> Result<Funding, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    let c = currency_of(&contract.currency)?;
    let minor = crate::service::insurance::amount("amount", amount, c)?;
    if minor == 0 {
        return Err(invalid(
            "amount_invalid",
            "amount",
            "ask for more than zero",
        ));
    }
    let on = requested_on.unwrap_or_else(|| Utc::now().date_naive());
    write_tx(conn, |conn| {
        lock_contract(conn, &contract.id)?;
        let p = position_of(conn, &contract, on)?;
        if minor > p.available.minor() {
            return Err(invalid(
                "funding_exceeds_available",
                "amount",
                format!(
                    "{} asked, {} available to draw on contract {}",
                    Money::new(minor, c),
                    p.available,
                    contract.number
                ),
            ));
        }
        let row = FundingRow {
            id: new_id(),
            contract_id: contract.id.clone(),
            requested_on: on,
            amount_minor: minor,
            state: "requested".into(),
            granted_minor: None,
            outstanding_minor: 0,
            value_date: None,
            factor_reference: None,
            created_at: now(),
        };
        diesel::insert_into(fundings::table)
            .values(&row)
            .execute(conn)?;
        let message_id = match contract.connection.clone() {
            Some(connection) => {
                let key = idempotency_key(Operation::RequestFunding, &row.id);
                let request = FundingRequest {
                    idempotency_key: key.clone(),
                    contract_number: contract.number.clone(),
                    amount: canonical_amount(minor, c)?,
                    requested_on: on,
                };
                let payload = serde_json::to_value(&request)
                    .map_err(|e| invalid("payload_invalid", "", e.to_string()))?;
                Some(enqueue(
                    conn,
                    NewMessage {
                        connection,
                        operation: Operation::RequestFunding,
                        subject: Subject::FactoringFunding,
                        subject_id: row.id.clone(),
                        idempotency_key: key,
                        payload,
                        due_at: now(),
                    },
                )?)
            }
            None => None,
        };
        to_funding(row, &contract, message_id)
    })
}

/// Inside a transaction: an advance received, as an accepted funding
/// (repaid later by collections and charge-backs), posted 512 / 467.
pub(crate) fn record_advance(
    conn: &mut DbConnection,
    ctx: &Context,
    contract_id: &str,
    amount: i64,
    on: NaiveDate,
    reference: Option<&str>,
    piece: &str,
) -> Result<String, ServiceError> {
    let contract = get_contract(conn, contract_id)?;
    let c = currency_of(&contract.currency)?;
    let row = FundingRow {
        id: new_id(),
        contract_id: contract.id.clone(),
        requested_on: on,
        amount_minor: amount,
        state: "accepted".into(),
        granted_minor: Some(amount),
        outstanding_minor: amount,
        value_date: Some(on),
        factor_reference: reference.map(str::to_string),
        created_at: now(),
    };
    diesel::insert_into(fundings::table)
        .values(&row)
        .execute(conn)?;
    advance_posted(conn, ctx, &contract, &row.id, amount, on, piece, c)?;
    Ok(row.id)
}

#[allow(clippy::too_many_arguments)]
fn advance_posted(
    conn: &mut DbConnection,
    ctx: &Context,
    contract: &Contract,
    funding_id: &str,
    amount: i64,
    on: NaiveDate,
    piece: &str,
    c: crate::money::Currency,
) -> Result<(), ServiceError> {
    let entry = post(
        conn,
        ctx,
        &post_advance(funding_id, piece, amount, c, on, ctx.chart.roles())?,
    )?;
    movements::record(
        conn,
        &contract.id,
        on,
        Movement {
            kind: movements::ADVANCE,
            amount: -amount,
            financed: amount,
            funding_id: Some(funding_id),
            entry_id: Some(&entry),
            ..Movement::default()
        },
    )
}

/// Applies the factor's answer to a funding request in its own
/// transaction: see [`apply_funding_answer_in_tx`].
pub fn apply_funding_answer(
    conn: &mut DbConnection,
    ctx: &Context,
    funding_id: &str,
    answer: &FundingAnswer,
) -> Result<Funding, ServiceError> {
    write_tx(conn, |conn| {
        apply_funding_answer_in_tx(conn, ctx, funding_id, answer)
    })
}

/// Applies the factor's answer to a funding request inside the caller's
/// (the outbox worker's) transaction: accepted posts the advance (what the
/// factor grants, never more than asked); refused frees the amount;
/// pending keeps the factor's reference. An answer to a request already
/// answered changes nothing.
pub fn apply_funding_answer_in_tx(
    conn: &mut DbConnection,
    ctx: &Context,
    funding_id: &str,
    answer: &FundingAnswer,
) -> Result<Funding, ServiceError> {
    let row: FundingRow = fundings::table
        .find(funding_id)
        .select(FundingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ServiceError::not_found("funding_not_found", "funding request", funding_id)
        })?;
    let contract = get_contract(conn, &row.contract_id)?;
    let c = currency_of(&contract.currency)?;
    if row.state != "requested" {
        return to_funding(row, &contract, None);
    }
    let granted = match (answer.status, answer.amount) {
        (FundingStatus::Accepted, Some(a)) if a.currency_code() != contract.currency => {
            return Err(invalid(
                "answer_currency_mismatch",
                "amount",
                format!(
                    "the factor answered in {}, the contract is in {}",
                    a.currency_code(),
                    contract.currency
                ),
            ))
        }
        (FundingStatus::Accepted, Some(a)) if a.minor > row.amount_minor || a.minor <= 0 => {
            return Err(invalid(
                "answer_amount_invalid",
                "amount",
                format!(
                    "the factor granted {} on a request of {}",
                    Money::new(a.minor, c),
                    Money::new(row.amount_minor, c)
                ),
            ))
        }
        (_, Some(a)) => a.minor,
        (_, None) => row.amount_minor,
    };
    match answer.status {
        FundingStatus::Pending => {
            diesel::update(fundings::table.find(&row.id))
                .set(fundings::factor_reference.eq(&answer.reference))
                .execute(conn)?;
        }
        FundingStatus::Refused => {
            diesel::update(fundings::table.find(&row.id))
                .set((
                    fundings::state.eq("refused"),
                    fundings::factor_reference.eq(&answer.reference),
                ))
                .execute(conn)?;
        }
        FundingStatus::Accepted => {
            let on = answer.value_date.unwrap_or_else(|| Utc::now().date_naive());
            diesel::update(fundings::table.find(&row.id))
                .set((
                    fundings::state.eq("accepted"),
                    fundings::granted_minor.eq(granted),
                    fundings::outstanding_minor.eq(granted),
                    fundings::value_date.eq(on),
                    fundings::factor_reference.eq(&answer.reference),
                ))
                .execute(conn)?;
            advance_posted(
                conn,
                ctx,
                &contract,
                &row.id,
                granted,
                on,
                &contract.number,
                c,
            )?;
        }
    }
    get_funding(conn, &row.id)
}

/// A reserve release the factor made: debit 512, credit 4678; never more
/// than the reserve held above what the outstanding requires.
pub fn release_reserve(
    conn: &mut DbConnection,
    ctx: &Context,
    contract_ref: &str,
    amount: &str,
    on: NaiveDate,
) -> Result<Position, ServiceError> {
    let contract = get_contract(conn, contract_ref)?;
    let c = currency_of(&contract.currency)?;
    let minor = crate::service::insurance::amount("amount", amount, c)?;
    write_tx(conn, |conn| {
        lock_contract(conn, &contract.id)?;
        let p = position_of(conn, &contract, on)?;
        if minor == 0 || minor > p.reserve_releasable.minor() {
            return Err(invalid(
                "reserve_release_exceeds_releasable",
                "amount",
                format!(
                    "{} to release, {} releasable",
                    Money::new(minor, c),
                    p.reserve_releasable
                ),
            ));
        }
        let id = new_id();
        let entry = post(
            conn,
            ctx,
            &post_reserve_release(&id, &contract.number, minor, c, on, ctx.chart.roles())?,
        )?;
        movements::record(
            conn,
            &contract.id,
            on,
            Movement {
                kind: movements::RESERVE_RELEASED,
                reserve: -minor,
                entry_id: Some(&entry),
                ..Movement::default()
            },
        )?;
        position_of(conn, &contract, on)
    })
}
