//! Payments whose allocations were already chosen (by cash matching),
//! recorded many at once inside the caller's transaction. Payments that
//! reach an invoice under an active factoring assignment are recorded one
//! by one after the others, so their collections are routed to the factor
//! account (467) with each invoice's open amount as it stands.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::factoring::route_collections;
use super::invoices::allocate;
use super::ledger::{insert_prepared, post, PreparedEntries};
use super::{new_id, now, Context, ServiceError};
use crate::domain::invoice::{InvoiceKind, InvoiceState};
use crate::domain::payment::Allocation;
use crate::ledger::{post_payment, PaymentFacts};
use crate::money::Currency;
use crate::store::rows::{AllocationRow, InvoiceRow, PaymentRow};
use crate::store::schema::{allocations, factoring_assignment_items, invoices, payments};
use crate::store::DbConnection;

/// A payment whose allocations were already chosen (by cash matching), to
/// record with others in one go.
#[derive(Debug, Clone)]
pub struct PlannedPayment {
    /// The id to give the payment.
    pub id: String,
    pub buyer_id: String,
    pub received_on: NaiveDate,
    pub currency: Currency,
    pub amount: i64,
    pub reference: String,
    pub external_id: String,
    /// (invoice id, amount); what the payment leaves over stays a credit.
    pub allocations: Vec<(String, i64)>,
}

/// [`record_payment_in`](super::payments::record_payment_in) for many
/// payments at once, inside the caller's transaction. The same checks:
/// every allocation names an open invoice of the payment's buyer in its
/// currency, never more than is open (counting the batch's earlier
/// payments), never more than the payment. Returns the unallocated rest of
/// each payment, in order.
pub fn record_planned_payments(
    conn: &mut DbConnection,
    ctx: &Context,
    planned: &[PlannedPayment],
) -> Result<Vec<i64>, ServiceError> {
    let assigned = assigned_among(conn, planned)?;
    type Numbered<'a> = Vec<(usize, &'a PlannedPayment)>;
    let (routed, bulk): (Numbered, Numbered) = planned
        .iter()
        .enumerate()
        .partition(|(_, p)| p.allocations.iter().any(|(i, _)| assigned.contains(i)));
    let mut rests = vec![0i64; planned.len()];
    let bulk_payments: Vec<&PlannedPayment> = bulk.iter().map(|(_, p)| *p).collect();
    for ((n, _), rest) in bulk.iter().zip(record_in_bulk(conn, ctx, &bulk_payments)?) {
        rests[*n] = rest;
    }
    for (n, p) in routed {
        rests[n] = record_routed(conn, ctx, n, p)?;
    }
    Ok(rests)
}

/// The invoices of the batch under an active factoring assignment.
fn assigned_among(
    conn: &mut DbConnection,
    planned: &[PlannedPayment],
) -> Result<HashSet<String>, ServiceError> {
    let mut ids: Vec<&str> = planned
        .iter()
        .flat_map(|p| p.allocations.iter().map(|(i, _)| i.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashSet::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = factoring_assignment_items::table
            .filter(
                factoring_assignment_items::invoice_id
                    .eq_any(chunk)
                    .and(factoring_assignment_items::active.eq(1)),
            )
            .select(factoring_assignment_items::invoice_id)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

fn not_open(n: usize, i: usize, invoice_id: &str) -> ServiceError {
    ServiceError::invalid(
        "invoice_not_open",
        format!("payments[{n}].allocations[{i}]"),
        format!("'{invoice_id}' is not an open invoice of this buyer in this currency"),
    )
}

/// One payment reaching assigned invoices, recorded as `record_payment_in`
/// does: each invoice read as it stands, allocated, and the entry's 411
/// credit routed to 467 for the assigned ones.
fn record_routed(
    conn: &mut DbConnection,
    ctx: &Context,
    n: usize,
    p: &PlannedPayment,
) -> Result<i64, ServiceError> {
    let mut left = p.amount;
    let mut rows = Vec::with_capacity(p.allocations.len());
    for (i, (invoice_id, amount)) in p.allocations.iter().enumerate() {
        let row: InvoiceRow = invoices::table
            .find(invoice_id)
            .select(InvoiceRow::as_select())
            .first(conn)
            .optional()?
            .filter(|r| {
                r.buyer_id == p.buyer_id
                    && r.currency == p.currency.code()
                    && r.kind == InvoiceKind::Invoice.as_str()
                    && r.state != "disputed"
                    && r.state != "written_off"
            })
            .ok_or_else(|| not_open(n, i, invoice_id))?;
        if *amount <= 0 || *amount > row.open_minor {
            return Err(ServiceError::invalid(
                "allocation_exceeds_open_amount",
                format!("payments[{n}].allocations[{i}]"),
                format!("'{invoice_id}' has less open than allocated"),
            ));
        }
        if *amount > left {
            return Err(ServiceError::invalid(
                "allocation_exceeds_payment",
                format!("payments[{n}].allocations[{i}]"),
                "allocations exceed the payment amount",
            ));
        }
        left -= amount;
        rows.push((row, *amount));
    }
    diesel::insert_into(payments::table)
        .values(&PaymentRow {
            id: p.id.clone(),
            buyer_id: p.buyer_id.clone(),
            received_on: p.received_on,
            currency: p.currency.code().to_string(),
            amount_minor: p.amount,
            unallocated_minor: left,
            reference: Some(p.reference.clone()),
            external_id: Some(p.external_id.clone()),
            created_at: now(),
        })
        .execute(conn)?;
    for (row, amount) in &rows {
        allocate(conn, row, "payment", &p.id, *amount, p.received_on)?;
    }
    let mut draft = post_payment(
        &PaymentFacts {
            payment_id: p.id.clone(),
            buyer_id: p.buyer_id.clone(),
            received_on: p.received_on,
            amount: p.amount,
            currency: p.currency,
            reference: p.reference.clone(),
        },
        ctx.chart.roles(),
    )?;
    let allocations: Vec<Allocation> = rows
        .iter()
        .map(|(row, amount)| Allocation {
            invoice_id: row.id.clone(),
            amount: *amount,
        })
        .collect();
    route_collections(conn, ctx, &mut draft, &allocations, p.received_on)?;
    post(conn, ctx, &draft)?;
    Ok(left)
}

/// The bulk path: the invoices are read in a few queries, payments,
/// allocations and entries written in bulk, each invoice updated once.
fn record_in_bulk(
    conn: &mut DbConnection,
    ctx: &Context,
    planned: &[&PlannedPayment],
) -> Result<Vec<i64>, ServiceError> {
    let ids: Vec<&str> = {
        let mut v: Vec<&str> = planned
            .iter()
            .flat_map(|p| p.allocations.iter().map(|(i, _)| i.as_str()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Invoice id -> (row, open left after the batch so far).
    let mut open: HashMap<String, (InvoiceRow, i64)> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<InvoiceRow> = invoices::table
            .filter(invoices::id.eq_any(chunk))
            .select(InvoiceRow::as_select())
            .load(conn)?;
        for r in rows {
            let left = r.open_minor;
            open.insert(r.id.clone(), (r, left));
        }
    }
    let now = now();
    let mut payment_rows = Vec::with_capacity(planned.len());
    let mut allocation_rows = Vec::new();
    let mut entries = PreparedEntries::with_capacity(planned.len());
    let mut rests = Vec::with_capacity(planned.len());
    for (n, p) in planned.iter().enumerate() {
        let field = |i: usize| format!("payments[{n}].allocations[{i}]");
        let mut left = p.amount;
        for (i, (invoice_id, amount)) in p.allocations.iter().enumerate() {
            let usable = open.get_mut(invoice_id).filter(|(r, _)| {
                r.buyer_id == p.buyer_id
                    && r.currency == p.currency.code()
                    && r.kind == InvoiceKind::Invoice.as_str()
                    && r.state != "disputed"
                    && r.state != "written_off"
            });
            let Some((_, remaining)) = usable else {
                return Err(ServiceError::invalid(
                    "invoice_not_open",
                    field(i),
                    format!("'{invoice_id}' is not an open invoice of this buyer in this currency"),
                ));
            };
            if *amount <= 0 || *amount > *remaining {
                return Err(ServiceError::invalid(
                    "allocation_exceeds_open_amount",
                    field(i),
                    format!("'{invoice_id}' has less open than allocated"),
                ));
            }
            if *amount > left {
                return Err(ServiceError::invalid(
                    "allocation_exceeds_payment",
                    field(i),
                    "allocations exceed the payment amount",
                ));
            }
            *remaining -= amount;
            left -= amount;
            allocation_rows.push(AllocationRow {
                id: new_id(),
                invoice_id: invoice_id.clone(),
                source_kind: "payment".into(),
                source_id: p.id.clone(),
                amount_minor: *amount,
                allocated_on: p.received_on,
                created_at: now,
            });
        }
        payment_rows.push(PaymentRow {
            id: p.id.clone(),
            buyer_id: p.buyer_id.clone(),
            received_on: p.received_on,
            currency: p.currency.code().to_string(),
            amount_minor: p.amount,
            unallocated_minor: left,
            reference: Some(p.reference.clone()),
            external_id: Some(p.external_id.clone()),
            created_at: now,
        });
        let draft = post_payment(
            &PaymentFacts {
                payment_id: p.id.clone(),
                buyer_id: p.buyer_id.clone(),
                received_on: p.received_on,
                amount: p.amount,
                currency: p.currency,
                reference: p.reference.clone(),
            },
            ctx.chart.roles(),
        )?;
        entries.add(ctx, &draft, None)?;
        rests.push(left);
    }
    crate::insert_rows!(conn, payments::table, payment_rows.as_slice())?;
    crate::insert_rows!(conn, allocations::table, allocation_rows.as_slice())?;
    for (row, left) in open.values() {
        if *left == row.open_minor {
            continue;
        }
        let current = InvoiceState::parse(&row.state).unwrap_or(InvoiceState::Open);
        let state = current.after_settlement(row.gross_minor, *left);
        // Relative to what was read: a concurrent settlement makes this a
        // conflict rather than a lost update.
        let changed = diesel::update(
            invoices::table
                .find(&row.id)
                .filter(invoices::open_minor.eq(row.open_minor)),
        )
        .set((
            invoices::open_minor.eq(*left),
            invoices::state.eq(state.as_str()),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(ServiceError::conflict(
                "allocation_exceeds_open_amount",
                format!("invoice {} changed while being settled", row.number),
            ));
        }
    }
    insert_prepared(conn, &entries)?;
    Ok(rests)
}
