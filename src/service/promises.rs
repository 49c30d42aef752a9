//! Promises to pay [promesses de paiement]: an amount by a date. While a
//! promise is pending, dunning leaves its invoice alone; once the date has
//! passed without the amount paid, the promise is broken and dunning
//! resumes. Kept: payments allocated to the invoice from the day it was
//! recorded to the promised date reach the amount (or settle the invoice).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::disputes::find_invoice;
use super::ledger::stored_currency;
use super::{new_id, now, ServiceError};
use crate::domain::invoice::InvoiceKind;
use crate::domain::payment::parse_amount;
use crate::money::Money;
use crate::store::schema::{allocations, invoices, payment_promises as promises};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromiseInput {
    pub invoice: String,
    pub amount: String,
    pub promised_on: NaiveDate,
    pub recorded_on: NaiveDate,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Promise {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub amount: Money,
    pub promised_on: NaiveDate,
    pub recorded_on: NaiveDate,
    /// `pending`, `kept` or `broken`, as stored.
    pub state: String,
    pub settled_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

type PromiseTuple = (
    String,
    String,
    i64,
    NaiveDate,
    NaiveDate,
    String,
    Option<NaiveDate>,
    Option<String>,
    String,
    String,
);

fn select_all() -> diesel::dsl::InnerJoin<promises::table, invoices::table> {
    promises::table.inner_join(invoices::table)
}

fn to_promise(t: PromiseTuple) -> Result<Promise, ServiceError> {
    Ok(Promise {
        id: t.0,
        invoice_id: t.1,
        amount: Money::new(t.2, stored_currency(&t.9)?),
        promised_on: t.3,
        recorded_on: t.4,
        state: t.5,
        settled_on: t.6,
        notes: t.7,
        invoice_number: t.8,
    })
}

macro_rules! promise_columns {
    () => {
        (
            promises::id,
            promises::invoice_id,
            promises::amount_minor,
            promises::promised_on,
            promises::recorded_on,
            promises::state,
            promises::settled_on,
            promises::notes,
            invoices::number,
            invoices::currency,
        )
    };
}

pub fn get_promise(conn: &mut DbConnection, id: &str) -> Result<Promise, ServiceError> {
    let t: PromiseTuple = select_all()
        .filter(promises::id.eq(id))
        .select(promise_columns!())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("promise_not_found", "promise", id))?;
    to_promise(t)
}

/// Records a promise on an open invoice; one pending promise per invoice.
pub fn record_promise(
    conn: &mut DbConnection,
    input: &PromiseInput,
) -> Result<Promise, ServiceError> {
    if input.promised_on < input.recorded_on {
        return Err(ServiceError::invalid(
            "promise_date_before_recording",
            "promised_on",
            format!("{} is before {}", input.promised_on, input.recorded_on),
        ));
    }
    write_tx(conn, |conn| {
        let inv = find_invoice(conn, &input.invoice)?;
        super::parties::lock_buyer(conn, &inv.buyer_id)?;
        let currency = stored_currency(&inv.currency)?;
        let amount = parse_amount("amount", &input.amount, currency)?;
        if inv.kind != InvoiceKind::Invoice.as_str() || inv.open_minor <= 0 {
            return Err(ServiceError::invalid(
                "invoice_not_open",
                "invoice",
                format!("invoice {} has nothing open", inv.number),
            ));
        }
        if amount > inv.open_minor {
            return Err(ServiceError::invalid(
                "promise_amount_exceeds_open",
                "amount",
                format!(
                    "{} is more than the open {}",
                    Money::new(amount, currency),
                    Money::new(inv.open_minor, currency)
                ),
            ));
        }
        let pending: i64 = promises::table
            .filter(
                promises::invoice_id
                    .eq(&inv.id)
                    .and(promises::state.eq("pending")),
            )
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Err(ServiceError::conflict(
                "promise_already_pending",
                format!("invoice {} already has a pending promise", inv.number),
            ));
        }
        let id = new_id();
        diesel::insert_into(promises::table)
            .values((
                promises::id.eq(&id),
                promises::invoice_id.eq(&inv.id),
                promises::amount_minor.eq(amount),
                promises::promised_on.eq(input.promised_on),
                promises::recorded_on.eq(input.recorded_on),
                promises::state.eq("pending"),
                promises::notes.eq(input.notes.as_deref()),
                promises::created_at.eq(now()),
            ))
            .execute(conn)?;
        get_promise(conn, &id)
    })
}

/// What became of a promise as of `as_of`: `kept` (with the day the amount
/// was reached), `broken` (the date passed short of it) or `pending`.
pub fn promise_state(
    amount: i64,
    promised_on: NaiveDate,
    payments: &[(NaiveDate, i64)],
    as_of: NaiveDate,
) -> (&'static str, Option<NaiveDate>) {
    let mut paid = 0;
    let mut sorted: Vec<&(NaiveDate, i64)> = payments
        .iter()
        .filter(|(on, _)| *on <= promised_on.min(as_of))
        .collect();
    sorted.sort();
    for (on, a) in sorted {
        paid += a;
        if paid >= amount {
            return ("kept", Some(*on));
        }
    }
    if as_of > promised_on {
        ("broken", Some(promised_on + chrono::Duration::days(1)))
    } else {
        ("pending", None)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PromiseReview {
    pub kept: usize,
    pub broken: usize,
    pub pending: usize,
}

/// Marks pending promises kept or broken as of `as_of` (one transaction).
pub fn review_promises(
    conn: &mut DbConnection,
    as_of: NaiveDate,
) -> Result<PromiseReview, ServiceError> {
    write_tx(conn, |conn| {
        let pending: Vec<(String, String, i64, NaiveDate, NaiveDate)> = promises::table
            .filter(promises::state.eq("pending"))
            .select((
                promises::id,
                promises::invoice_id,
                promises::amount_minor,
                promises::promised_on,
                promises::recorded_on,
            ))
            .load(conn)?;
        let mut review = PromiseReview::default();
        // Their invoices' allocations, read in chunks (not one read each).
        let ids: Vec<&str> = pending.iter().map(|p| p.1.as_str()).collect();
        let mut by_invoice: std::collections::HashMap<String, Vec<(NaiveDate, i64)>> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, NaiveDate, i64)> = allocations::table
                .filter(allocations::invoice_id.eq_any(chunk))
                .select((
                    allocations::invoice_id,
                    allocations::allocated_on,
                    allocations::amount_minor,
                ))
                .load(conn)?;
            for (invoice, on, amount) in rows {
                by_invoice.entry(invoice).or_default().push((on, amount));
            }
        }
        for (id, invoice_id, amount, promised_on, recorded_on) in &pending {
            let paid: Vec<(NaiveDate, i64)> = by_invoice
                .get(invoice_id)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|(on, _)| on >= recorded_on)
                        .collect()
                })
                .unwrap_or_default();
            let (state, settled_on) = promise_state(*amount, *promised_on, &paid, as_of);
            match state {
                "kept" => review.kept += 1,
                "broken" => review.broken += 1,
                _ => {
                    review.pending += 1;
                    continue;
                }
            }
            diesel::update(promises::table.find(id))
                .set((
                    promises::state.eq(state),
                    promises::settled_on.eq(settled_on),
                ))
                .execute(conn)?;
        }
        Ok(review)
    })
}

/// Promises of an invoice (or all), oldest first.
pub fn list_promises(
    conn: &mut DbConnection,
    invoice: Option<&str>,
    state: Option<&str>,
) -> Result<Vec<Promise>, ServiceError> {
    let mut q = select_all()
        .select(promise_columns!())
        .order(promises::id)
        .into_boxed();
    if let Some(reference) = invoice {
        let inv = find_invoice(conn, reference)?;
        q = q.filter(promises::invoice_id.eq(inv.id));
    }
    if let Some(s) = state {
        if !["pending", "kept", "broken"].contains(&s) {
            return Err(ServiceError::invalid(
                "promise_state_unknown",
                "state",
                format!("'{s}' is not pending, kept or broken"),
            ));
        }
        q = q.filter(promises::state.eq(s.to_string()));
    }
    let rows: Vec<PromiseTuple> = q.limit(10_000).load(conn)?;
    rows.into_iter().map(to_promise).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn kept_broken_or_pending() {
        let promised = d(2026, 4, 10);
        // 300 + 200 by 8 April reach the 500 promised: kept on 8 April.
        let paid = [(d(2026, 4, 8), 200), (d(2026, 4, 2), 300)];
        assert_eq!(
            promise_state(500, promised, &paid, d(2026, 5, 1)),
            ("kept", Some(d(2026, 4, 8)))
        );
        // 300 only: pending on the promised day, broken the day after.
        let short = [(d(2026, 4, 2), 300), (d(2026, 4, 11), 200)];
        assert_eq!(
            promise_state(500, promised, &short, promised),
            ("pending", None)
        );
        assert_eq!(
            promise_state(500, promised, &short, d(2026, 4, 11)),
            ("broken", Some(d(2026, 4, 11)))
        );
    }
}
