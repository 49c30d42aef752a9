//! Payments received from buyers, their allocation to invoices, and the
//! bank entry.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::invoices::allocate;
use super::ledger::{post, stored_currency};
use super::parties::find_buyer_id_by_legal_id;
pub use super::payment_batch::{record_planned_payments, PlannedPayment};
use super::{new_id, now, page_size, Context, Page, ServiceError};
use crate::domain::invoice::InvoiceKind;
use crate::domain::payment::{
    allocate_explicit, allocate_oldest_first, parse_amount, OpenInvoice, PaymentError, PaymentInput,
};
use crate::error::ErrorCode;
use crate::ledger::{post_payment, PaymentFacts};
use crate::money::{Currency, Money};
use crate::store::rows::{AllocationRow, InvoiceRow, PaymentRow};
use crate::store::schema::{allocations, buyers, invoices, payments};
use crate::store::{write_tx, DbConnection};

impl From<PaymentError> for ServiceError {
    fn from(e: PaymentError) -> Self {
        let PaymentError::Invalid { field, .. } = &e;
        ServiceError::Invalid {
            code: e.code(),
            field: Some(field.clone()),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    pub invoice_id: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub id: String,
    pub buyer_id: String,
    pub received_on: NaiveDate,
    pub amount: Money,
    /// Left as a credit on the buyer's account.
    pub unallocated: Money,
    pub reference: Option<String>,
    pub external_id: Option<String>,
    pub allocations: Vec<AllocationView>,
    pub created_at: NaiveDateTime,
}

fn to_payment(row: PaymentRow, allocs: Vec<AllocationRow>) -> Result<Payment, ServiceError> {
    let c = stored_currency(&row.currency)?;
    Ok(Payment {
        amount: Money::new(row.amount_minor, c),
        unallocated: Money::new(row.unallocated_minor, c),
        allocations: allocs
            .into_iter()
            .map(|a| AllocationView {
                invoice_id: a.invoice_id,
                amount: Money::new(a.amount_minor, c),
            })
            .collect(),
        id: row.id,
        buyer_id: row.buyer_id,
        received_on: row.received_on,
        reference: row.reference,
        external_id: row.external_id,
        created_at: row.created_at,
    })
}

fn load_allocations(
    conn: &mut DbConnection,
    payment_id: &str,
) -> Result<Vec<AllocationRow>, ServiceError> {
    Ok(allocations::table
        .filter(
            allocations::source_kind
                .eq("payment")
                .and(allocations::source_id.eq(payment_id)),
        )
        .order(allocations::id)
        .select(AllocationRow::as_select())
        .load(conn)?)
}

pub fn get_payment(conn: &mut DbConnection, id: &str) -> Result<Payment, ServiceError> {
    let row = payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("payment_not_found", "payment", id))?;
    let allocs = load_allocations(conn, id)?;
    to_payment(row, allocs)
}

/// Records a payment, allocates it (as asked, or oldest due first) and posts
/// bank against receivable, in one transaction. A payment with a known
/// `external_id` is a replay: the first record is returned, nothing changes.
pub fn record_payment(
    conn: &mut DbConnection,
    ctx: &Context,
    input: &PaymentInput,
) -> Result<Payment, ServiceError> {
    write_tx(conn, |conn| record_payment_in(conn, ctx, input))
}

/// [`record_payment`] inside the caller's transaction: statement
/// reconciliation records a statement's payments in one.
pub fn record_payment_in(
    conn: &mut DbConnection,
    ctx: &Context,
    input: &PaymentInput,
) -> Result<Payment, ServiceError> {
    let currency = Currency::from_code(input.currency.trim())
        .map_err(|e| ServiceError::invalid(e.code(), "currency", e.to_string()))?;
    let amount = parse_amount("amount", &input.amount, currency)?;
    let mut requested = Vec::new();
    if let Some(list) = &input.allocations {
        for (i, a) in list.iter().enumerate() {
            requested.push((
                i,
                a.invoice.trim().to_string(),
                parse_amount(&format!("allocations[{i}].amount"), &a.amount, currency)?,
            ));
        }
    }
    let reference = input
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let external_id = input
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    {
        let buyer_id = match (&input.buyer_id, &input.buyer_legal_id) {
            (Some(id), None) => buyers::table
                .find(id)
                .select(buyers::id)
                .first::<String>(conn)
                .optional()?,
            (None, Some(l)) => find_buyer_id_by_legal_id(conn, l)?,
            _ => {
                return Err(ServiceError::invalid(
                    "field_required",
                    "buyer_id",
                    "give exactly one of buyer_id or buyer_legal_id",
                ))
            }
        }
        .ok_or_else(|| ServiceError::invalid("buyer_not_found", "buyer_id", "no such buyer"))?;
        // Two payments for one buyer must not both allocate to the same
        // open amount.
        super::parties::lock_buyer(conn, &buyer_id)?;

        if let Some(ext) = &external_id {
            let prior: Option<PaymentRow> = payments::table
                .filter(payments::external_id.eq(ext))
                .select(PaymentRow::as_select())
                .first(conn)
                .optional()?;
            if let Some(prior) = prior {
                let same = prior.buyer_id == buyer_id
                    && prior.amount_minor == amount
                    && prior.currency == currency.code()
                    && prior.received_on == input.received_on;
                if !same {
                    return Err(ServiceError::conflict(
                        "payment_external_id_conflict",
                        format!("external_id {ext} was recorded with different content"),
                    ));
                }
                let allocs = load_allocations(conn, &prior.id)?;
                return to_payment(prior, allocs);
            }
        }

        let open_rows: Vec<InvoiceRow> = invoices::table
            .filter(
                invoices::buyer_id
                    .eq(&buyer_id)
                    .and(invoices::currency.eq(currency.code()))
                    .and(invoices::kind.eq(InvoiceKind::Invoice.as_str()))
                    .and(invoices::open_minor.gt(0))
                    .and(invoices::state.ne("disputed"))
                    .and(invoices::state.ne("written_off")),
            )
            .select(InvoiceRow::as_select())
            .load(conn)?;
        let open: Vec<OpenInvoice> = open_rows
            .iter()
            .map(|r| OpenInvoice {
                id: r.id.clone(),
                number: r.number.clone(),
                due_date: r.due_date,
                open: r.open_minor,
            })
            .collect();
        let plan = if input.allocations.is_some() {
            allocate_explicit(amount, &requested, &open)?
        } else {
            allocate_oldest_first(amount, open)
        };

        let row = PaymentRow {
            id: new_id(),
            buyer_id: buyer_id.clone(),
            received_on: input.received_on,
            currency: currency.code().to_string(),
            amount_minor: amount,
            unallocated_minor: plan.unallocated,
            reference: reference.clone(),
            external_id: external_id.clone(),
            created_at: now(),
        };
        diesel::insert_into(payments::table)
            .values(&row)
            .execute(conn)?;
        for a in &plan.allocations {
            let inv = open_rows
                .iter()
                .find(|r| r.id == a.invoice_id)
                .ok_or_else(|| {
                    ServiceError::conflict("internal", "allocation to unknown invoice")
                })?;
            allocate(conn, inv, "payment", &row.id, a.amount, input.received_on)?;
        }
        let mut draft = post_payment(
            &PaymentFacts {
                payment_id: row.id.clone(),
                buyer_id,
                received_on: input.received_on,
                amount,
                currency,
                reference: reference
                    .clone()
                    .or_else(|| external_id.clone())
                    .unwrap_or_else(|| row.id.clone()),
            },
            ctx.chart.roles(),
        )?;
        // Allocations to invoices assigned to a factor credit 467, not 411.
        super::factoring::route_collections(
            conn,
            ctx,
            &mut draft,
            &plan.allocations,
            input.received_on,
        )?;
        post(conn, ctx, &draft)?;
        let allocs = load_allocations(conn, &row.id)?;
        to_payment(row, allocs)
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentFilter {
    pub buyer_id: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub fn list_payments(
    conn: &mut DbConnection,
    f: &PaymentFilter,
) -> Result<Page<Payment>, ServiceError> {
    let limit = page_size(f.limit)?;
    let mut q = payments::table.into_boxed();
    if let Some(v) = &f.buyer_id {
        q = q.filter(payments::buyer_id.eq(v));
    }
    if let Some(v) = f.received_from {
        q = q.filter(payments::received_on.ge(v));
    }
    if let Some(v) = f.received_to {
        q = q.filter(payments::received_on.le(v));
    }
    if let Some(v) = &f.cursor {
        q = q.filter(payments::id.gt(v));
    }
    let rows: Vec<PaymentRow> = q
        .order(payments::id)
        .limit(limit + 1)
        .select(PaymentRow::as_select())
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    for row in rows.into_iter().take(limit as usize) {
        let allocs = load_allocations(conn, &row.id)?;
        items.push(to_payment(row, allocs)?);
    }
    let next_cursor = if has_more {
        items.last().map(|p: &Payment| p.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
