//! The cover check [contrôle de couverture], the hottest path: what a new
//! sale to a buyer is covered for, and holds that reserve cover for a
//! pending order (two-phase: consumed by the invoice, released, or lapsed).

use std::sync::Arc;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::cover_reads::{read_live, LiveInputs};
use super::cover_terms::{CoverPolicy, PolicyChoice, TermsCache};
use super::insurance::amount;
use super::parties::{resolve_buyer_id, BuyerRef};
use super::{new_id, now, ServiceError};
use crate::domain::cover::{check_cover, limit_at, terms_at, CoverReason, SaleToCover};
use crate::domain::invoice::InvoiceKind;
use crate::money::{Currency, Money};
use crate::store::schema::{buyer_exposures as exposures, insurance_holds as holds, invoices};
use crate::store::{write_tx, DbConnection};

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(code, field, message.into())
}

/// A cover check as a caller asks it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoverCheckInput {
    /// Our id, `scheme:value` or a bare legal id (SIREN, VAT, ...).
    pub buyer: String,
    pub amount: String,
    pub currency: String,
    /// Delivery date; today when absent.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Payment term in days from issue.
    #[serde(default)]
    pub term_days: Option<u32>,
    /// Which policy; the one in the sale's currency when absent.
    #[serde(default)]
    pub policy_id: Option<String>,
    /// Reserve the covered amount for a pending order.
    #[serde(default)]
    pub hold: Option<HoldRequest>,
}

/// A reservation of cover for a pending order, until it expires.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// How long the hold lasts, 1 minute to 30 days.
    pub minutes: u32,
    /// The order the hold is for: the invoice with this order reference
    /// consumes the hold.
    #[serde(default)]
    pub order_reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hold {
    pub id: String,
    pub amount: Money,
    pub expires_at: chrono::NaiveDateTime,
    pub order_reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverCheck {
    pub policy_id: String,
    pub buyer_id: String,
    pub covered: Money,
    pub uncovered: Money,
    pub limit: Money,
    pub exposure: Money,
    pub headroom: Money,
    pub reasons: Vec<CoverReason>,
    /// The reservation made, when asked and something is covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
}

/// What a new sale to a buyer is covered for, and why not in full.
/// Exposure is the buyer's open invoices in the policy currency plus its
/// active holds. With a hold, the check and the reservation are one
/// transaction serialised per buyer, so two holds never share headroom.
/// Reads the policy afresh: a server keeps one [`TermsCache`] and calls
/// [`cover_check_cached`].
pub fn cover_check(
    conn: &mut DbConnection,
    input: &CoverCheckInput,
) -> Result<CoverCheck, ServiceError> {
    cover_check_cached(conn, &TermsCache::default(), input)
}

/// [`cover_check`] with the policies kept in `cache` (one per database)
/// while they are the stored ones: a check is then one statement.
pub fn cover_check_cached(
    conn: &mut DbConnection,
    cache: &TermsCache,
    input: &CoverCheckInput,
) -> Result<CoverCheck, ServiceError> {
    let currency = Currency::from_code(input.currency.trim())
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let sale_amount = amount("amount", &input.amount, currency)?;
    if let Some(h) = &input.hold {
        if !(1..=43_200).contains(&h.minutes) {
            return Err(invalid(
                "validation_failed",
                "hold.minutes",
                "hold.minutes must be between 1 and 43200 (30 days)",
            ));
        }
        return write_tx(conn, |conn| {
            check_with(conn, cache, input, currency, sale_amount, Some(h))
        });
    }
    check_with(conn, cache, input, currency, sale_amount, None)
}

/// How many times a check reads the policy again when its terms change
/// under it before it reads them with the generation held still.
const TERMS_ATTEMPTS: usize = 2;

fn check_with(
    conn: &mut DbConnection,
    cache: &TermsCache,
    input: &CoverCheckInput,
    currency: Currency,
    sale_amount: i64,
    hold: Option<&HoldRequest>,
) -> Result<CoverCheck, ServiceError> {
    let date = input
        .date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let moment = now();
    let buyer = if hold.is_some() {
        let buyer_id = resolve_buyer_id(conn, &input.buyer)?;
        // SQLite's write transaction already excludes other writers. On
        // PostgreSQL the buyer row serialises holds for one buyer, and the
        // exposure rows make invoice writes for it wait until this
        // reservation commits: both are then counted.
        super::parties::lock_buyer(conn, &buyer_id)?;
        if let DbConnection::Postgres(c) = conn {
            exposures::table
                .filter(exposures::buyer_id.eq(&buyer_id))
                .select(exposures::currency)
                .for_update()
                .load::<String>(c)?;
        }
        BuyerRef::OursOrBare {
            ours: buyer_id,
            bare: String::new(),
        }
    } else {
        BuyerRef::parse(&input.buyer)
            .ok_or_else(|| ServiceError::not_found("buyer_not_found", "buyer", &input.buyer))?
    };
    let choice = match &input.policy_id {
        Some(id) => PolicyChoice::Id(id.clone()),
        None => PolicyChoice::Currency(currency.code().to_string()),
    };
    let (policy, read) = read_under_stored_terms(conn, cache, &buyer, &choice, date, moment)?
        .ok_or_else(|| ServiceError::not_found("buyer_not_found", "buyer", &input.buyer))?;
    let Some(policy) = policy else {
        return Err(match &input.policy_id {
            Some(id) => ServiceError::not_found("policy_not_found", "policy", id),
            None => {
                ServiceError::not_found("no_policy", "credit insurance policy in", currency.code())
            }
        });
    };
    let buyer_id = read.buyer_id;
    let terms = terms_at(&policy.versions, date).cloned().ok_or_else(|| {
        ServiceError::not_found(
            "no_policy_in_force",
            "policy version in force on",
            date.to_string(),
        )
    })?;
    let limit = limit_at(&read.decisions, &terms, date);
    let pc = policy.currency;
    let mut exposure = read.held + read.exposure;
    if read.foreign {
        exposure += foreign_exposure(conn, &buyer_id, pc)?;
    }
    let sale = SaleToCover {
        amount: sale_amount,
        currency: currency.code().to_string(),
        delivery_date: date,
        term_days: input.term_days.unwrap_or(0),
    };
    let answer = check_cover(&sale, &terms, limit.as_ref(), exposure, read.overdue_since);
    let hold = match hold {
        Some(h) if answer.covered > 0 => {
            let row = crate::store::rows::HoldRow {
                id: new_id(),
                policy_id: policy.id.clone(),
                buyer_id: buyer_id.clone(),
                amount_minor: answer.covered,
                order_reference: h.order_reference.clone(),
                expires_at: moment + chrono::Duration::minutes(i64::from(h.minutes)),
                state: "held".into(),
                invoice_id: None,
                created_at: moment,
            };
            diesel::insert_into(holds::table)
                .values(&row)
                .execute(conn)?;
            Some(Hold {
                id: row.id,
                amount: Money::new(row.amount_minor, pc),
                expires_at: row.expires_at,
                order_reference: row.order_reference,
            })
        }
        _ => None,
    };
    Ok(CoverCheck {
        policy_id: policy.id.clone(),
        buyer_id,
        covered: Money::new(answer.covered, pc),
        uncovered: Money::new(answer.uncovered, pc),
        limit: Money::new(answer.limit, pc),
        exposure: Money::new(answer.exposure, pc),
        headroom: Money::new(answer.headroom, pc),
        reasons: answer.reasons,
        hold,
    })
}

/// The policy a check answers under (none: no policy matches) and the
/// buyer's live inputs, from one snapshot.
type UnderTerms = (Option<Arc<CoverPolicy>>, LiveInputs);

/// The policy (from the in-memory copy when it is still the stored one)
/// and the buyer's live inputs, both as one snapshot holds them: the live
/// statement reads the generation of the stored terms, and a copy read at
/// another generation is read again. Should the terms keep changing, the
/// last attempt holds the generation still (see [`with_terms_held`]).
/// `Ok(None)`: the buyer is unknown.
fn read_under_stored_terms(
    conn: &mut DbConnection,
    cache: &TermsCache,
    buyer: &BuyerRef,
    choice: &PolicyChoice,
    date: NaiveDate,
    moment: chrono::NaiveDateTime,
) -> Result<Option<UnderTerms>, ServiceError> {
    let attempt = |conn: &mut DbConnection| -> Result<Attempt, ServiceError> {
        let Some((generation, policy)) = cache.terms(conn, choice)? else {
            return Ok(Attempt::TermsChanged);
        };
        let named = policy
            .as_deref()
            .map(|p| (p.id.as_str(), p.currency.code()));
        let Some(live) = read_live(conn, buyer, named, date, moment)? else {
            return Ok(Attempt::Read(None));
        };
        if live.terms_generation == Some(generation) {
            return Ok(Attempt::Read(Some((policy, live))));
        }
        cache.forget_before(live.terms_generation);
        Ok(Attempt::TermsChanged)
    };
    for _ in 0..TERMS_ATTEMPTS {
        if let Attempt::Read(read) = attempt(conn)? {
            return Ok(read);
        }
    }
    match with_terms_held(conn, attempt)? {
        Attempt::Read(read) => Ok(read),
        // Only when the generation's row is missing: no copy can be proven.
        Attempt::TermsChanged => Err(ServiceError::conflict(
            "cover_terms_changing",
            "the policy terms could not be proven current (their generation is missing); try again",
        )),
    }
}

enum Attempt {
    Read(Option<UnderTerms>),
    TermsChanged,
}

/// Runs `f` while no change to the policies can commit under it: on
/// PostgreSQL the generation's row is locked FOR SHARE (a change's trigger
/// waits to update it until this transaction ends), on SQLite the reads
/// share one read transaction (one snapshot), or the write transaction a
/// hold already holds.
fn with_terms_held<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    use crate::store::schema::insurance_terms_generation as generation;
    use diesel::connection::TransactionManager;
    let held = |conn: &mut DbConnection| -> Result<T, ServiceError> {
        if let DbConnection::Postgres(c) = conn {
            generation::table
                .find(1)
                .select(generation::generation)
                .for_share()
                .load::<i64>(c)?;
        }
        f(conn)
    };
    let in_transaction =
        <DbConnection as diesel::Connection>::TransactionManager::transaction_manager_status_mut(
            conn,
        )
        .transaction_depth()
        .ok()
        .flatten()
        .is_some();
    if in_transaction {
        held(conn)
    } else {
        conn.transaction(held)
    }
}

/// Invoices in another currency count at their issue date's rate: each
/// is converted on its own, so the sum needs them one by one.
fn foreign_exposure(
    conn: &mut DbConnection,
    buyer_id: &str,
    policy_currency: Currency,
) -> Result<i64, ServiceError> {
    let foreign: Vec<(i64, String, NaiveDate)> = invoices::table
        .filter(
            invoices::buyer_id
                .eq(buyer_id)
                .and(invoices::kind.eq(InvoiceKind::Invoice.as_str()))
                .and(invoices::currency.ne(policy_currency.code()))
                .and(invoices::open_minor.gt(0)),
        )
        .select((
            invoices::open_minor,
            invoices::currency,
            invoices::issue_date,
        ))
        .load(conn)?;
    let mut converted = 0i64;
    for (open_minor, code, issued) in foreign {
        let from = Currency::from_code(&code)
            .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
        converted += super::rates::convert(conn, open_minor, from, policy_currency, issued)?;
    }
    Ok(converted)
}

/// Gives a hold's cover back before it expires.
pub fn release_hold(conn: &mut DbConnection, id: &str) -> Result<(), ServiceError> {
    let n = diesel::update(holds::table.filter(holds::id.eq(id).and(holds::state.eq("held"))))
        .set(holds::state.eq("released"))
        .execute(conn)?;
    if n == 0 {
        return Err(ServiceError::not_found("hold_not_found", "active hold", id));
    }
    Ok(())
}

/// Whether any hold is waiting to be consumed or released.
pub fn any_active_hold(conn: &mut DbConnection) -> Result<bool, ServiceError> {
    let found: Option<String> = holds::table
        .filter(holds::state.eq("held"))
        .select(holds::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The invoice for a held order consumes its hold: from then on the
/// invoice itself counts in the exposure.
pub fn consume_holds(
    conn: &mut DbConnection,
    buyer_id: &str,
    order_reference: &str,
    invoice_id: &str,
) -> Result<usize, ServiceError> {
    Ok(diesel::update(
        holds::table.filter(
            holds::buyer_id
                .eq(buyer_id)
                .and(holds::order_reference.eq(order_reference))
                .and(holds::state.eq("held")),
        ),
    )
    .set((
        holds::state.eq("consumed"),
        holds::invoice_id.eq(invoice_id),
    ))
    .execute(conn)?)
}
