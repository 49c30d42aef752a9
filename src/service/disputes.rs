//! Disputes [litiges]: opened on an invoice with a reason, an amount, an
//! owner and notes; resolved by a credit note, a rejection or a payment.
//! The dispute records and the invoice state are the one source of truth
//! for "disputed": the invoice is `disputed` exactly while a dispute is
//! open, which takes it out of payment allocation, dunning and factoring
//! eligibility (see [`is_disputed`]).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::ledger::stored_currency;
use super::{new_id, now, ServiceError};
use crate::domain::invoice::{InvoiceKind, InvoiceState};
use crate::domain::payment::parse_amount;
use crate::money::Money;
use crate::store::rows::InvoiceRow;
use crate::store::schema::{allocations, disputes, invoices};
use crate::store::{write_tx, DbConnection};

/// Reason codes [motifs de litige].
pub const REASONS: [&str; 8] = [
    "quality",
    "quantity",
    "price",
    "not_delivered",
    "late_delivery",
    "duplicate",
    "already_paid",
    "other",
];

/// How a dispute ends.
pub const RESOLUTIONS: [&str; 3] = ["credit_note", "rejected", "paid"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// The invoice: our id, or its number when only one seller uses it.
    pub invoice: String,
    pub reason: String,
    /// Disputed amount in the invoice currency, e.g. "120.00".
    pub amount: String,
    pub owner: String,
    pub notes: Option<String>,
    pub opened_on: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    pub resolution: String,
    pub resolved_on: NaiveDate,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = disputes)]
struct DisputeRow {
    id: String,
    invoice_id: String,
    reason: String,
    amount_minor: i64,
    owner: String,
    notes: Option<String>,
    opened_on: NaiveDate,
    resolution: Option<String>,
    resolved_on: Option<NaiveDate>,
    resolution_notes: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dispute {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub buyer_id: String,
    pub reason: String,
    pub amount: Money,
    pub owner: String,
    pub notes: Option<String>,
    pub opened_on: NaiveDate,
    /// `open` or `resolved`.
    pub state: &'static str,
    pub resolution: Option<String>,
    pub resolved_on: Option<NaiveDate>,
    pub resolution_notes: Option<String>,
}

fn to_dispute(row: DisputeRow, inv: &InvoiceRow) -> Result<Dispute, ServiceError> {
    Ok(Dispute {
        amount: Money::new(row.amount_minor, stored_currency(&inv.currency)?),
        invoice_number: inv.number.clone(),
        buyer_id: inv.buyer_id.clone(),
        state: if row.resolution.is_some() {
            "resolved"
        } else {
            "open"
        },
        id: row.id,
        invoice_id: row.invoice_id,
        reason: row.reason,
        owner: row.owner,
        notes: row.notes,
        opened_on: row.opened_on,
        resolution: row.resolution,
        resolved_on: row.resolved_on,
        resolution_notes: row.resolution_notes,
    })
}

/// An invoice by our id, or by its number when one seller only uses it.
pub fn find_invoice(conn: &mut DbConnection, reference: &str) -> Result<InvoiceRow, ServiceError> {
    let reference = reference.trim();
    if let Some(row) = invoices::table
        .find(reference)
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(row);
    }
    let mut rows: Vec<InvoiceRow> = invoices::table
        .filter(invoices::number.eq(reference))
        .limit(2)
        .select(InvoiceRow::as_select())
        .load(conn)?;
    match rows.len() {
        1 => Ok(rows.remove(0)),
        0 => Err(ServiceError::not_found(
            "invoice_not_found",
            "invoice",
            reference,
        )),
        _ => Err(ServiceError::invalid(
            "invoice_ambiguous",
            "invoice",
            format!("number {reference} is used by several sellers: give the invoice id"),
        )),
    }
}

fn invoice_by_id(conn: &mut DbConnection, id: &str) -> Result<InvoiceRow, ServiceError> {
    Ok(invoices::table
        .find(id)
        .select(InvoiceRow::as_select())
        .first(conn)?)
}

/// Is the invoice in dispute? The one question factoring eligibility asks.
pub fn is_disputed(conn: &mut DbConnection, invoice_id: &str) -> Result<bool, ServiceError> {
    let n: i64 = disputes::table
        .filter(
            disputes::invoice_id
                .eq(invoice_id)
                .and(disputes::resolution.is_null()),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Opens a dispute and moves the invoice to `disputed`, in one transaction.
pub fn open_dispute(
    conn: &mut DbConnection,
    input: &DisputeInput,
) -> Result<Dispute, ServiceError> {
    let reason = input.reason.trim();
    if !REASONS.contains(&reason) {
        return Err(ServiceError::invalid(
            "dispute_reason_unknown",
            "reason",
            format!("'{reason}' is not one of {}", REASONS.join(", ")),
        ));
    }
    let owner = input.owner.trim();
    if owner.is_empty() {
        return Err(ServiceError::invalid(
            "field_required",
            "owner",
            "who follows the dispute",
        ));
    }
    write_tx(conn, |conn| {
        let inv = find_invoice(conn, &input.invoice)?;
        super::parties::lock_buyer(conn, &inv.buyer_id)?;
        let inv = invoice_by_id(conn, &inv.id)?;
        let currency = stored_currency(&inv.currency)?;
        let amount = parse_amount("amount", &input.amount, currency)?;
        if inv.kind != InvoiceKind::Invoice.as_str() {
            return Err(ServiceError::invalid(
                "dispute_not_an_invoice",
                "invoice",
                format!("{} is a credit note", inv.number),
            ));
        }
        match InvoiceState::parse(&inv.state) {
            Some(InvoiceState::Disputed) => {
                return Err(ServiceError::conflict(
                    "dispute_already_open",
                    format!("invoice {} is already in dispute", inv.number),
                ))
            }
            Some(InvoiceState::Paid) | Some(InvoiceState::WrittenOff) => {
                return Err(ServiceError::invalid(
                    "invoice_not_open",
                    "invoice",
                    format!("invoice {} is {}", inv.number, inv.state),
                ))
            }
            _ => {}
        }
        if amount > inv.open_minor {
            return Err(ServiceError::invalid(
                "dispute_amount_exceeds_open",
                "amount",
                format!(
                    "{} is more than the open {}",
                    Money::new(amount, currency),
                    Money::new(inv.open_minor, currency)
                ),
            ));
        }
        if input.opened_on < inv.issue_date {
            return Err(ServiceError::invalid(
                "date_before_issue",
                "opened_on",
                format!("before the invoice's issue date {}", inv.issue_date),
            ));
        }
        let id = new_id();
        diesel::insert_into(disputes::table)
            .values((
                disputes::id.eq(&id),
                disputes::invoice_id.eq(&inv.id),
                disputes::reason.eq(reason),
                disputes::amount_minor.eq(amount),
                disputes::owner.eq(owner),
                disputes::notes.eq(input.notes.as_deref()),
                disputes::opened_on.eq(input.opened_on),
                disputes::created_at.eq(now()),
            ))
            .execute(conn)?;
        diesel::update(invoices::table.find(&inv.id))
            .set(invoices::state.eq(InvoiceState::Disputed.as_str()))
            .execute(conn)?;
        get_in(conn, &id)
    })
}

/// Resolves an open dispute; the invoice goes back to the state its open
/// amount implies. `credit_note` needs a credit note applied to the invoice
/// since the dispute opened.
pub fn resolve_dispute(
    conn: &mut DbConnection,
    id: &str,
    input: &ResolveInput,
) -> Result<Dispute, ServiceError> {
    let resolution = input.resolution.trim();
    if !RESOLUTIONS.contains(&resolution) {
        return Err(ServiceError::invalid(
            "dispute_resolution_unknown",
            "resolution",
            format!("'{resolution}' is not one of {}", RESOLUTIONS.join(", ")),
        ));
    }
    write_tx(conn, |conn| {
        let row = load(conn, id)?;
        let inv = invoice_by_id(conn, &row.invoice_id)?;
        super::parties::lock_buyer(conn, &inv.buyer_id)?;
        if row.resolution.is_some() {
            return Err(ServiceError::conflict(
                "dispute_already_resolved",
                format!("dispute {id} was resolved on {:?}", row.resolved_on),
            ));
        }
        if input.resolved_on < row.opened_on {
            return Err(ServiceError::invalid(
                "date_before_opening",
                "resolved_on",
                format!("before the dispute opened on {}", row.opened_on),
            ));
        }
        if resolution == "credit_note" {
            let credited: Option<i64> = allocations::table
                .filter(
                    allocations::invoice_id
                        .eq(&inv.id)
                        .and(allocations::source_kind.eq("credit_note"))
                        .and(allocations::allocated_on.ge(row.opened_on)),
                )
                .select(crate::store::sum_bigint("allocations.amount_minor"))
                .first(conn)?;
            if credited.unwrap_or(0) <= 0 {
                return Err(ServiceError::invalid(
                    "dispute_credit_note_missing",
                    "resolution",
                    format!(
                        "no credit note was applied to invoice {} since {}: record it first",
                        inv.number, row.opened_on
                    ),
                ));
            }
        }
        diesel::update(disputes::table.find(id))
            .set((
                disputes::resolution.eq(resolution),
                disputes::resolved_on.eq(input.resolved_on),
                disputes::resolution_notes.eq(input.notes.as_deref()),
            ))
            .execute(conn)?;
        let state = InvoiceState::Open.after_settlement(inv.gross_minor, inv.open_minor);
        diesel::update(invoices::table.find(&inv.id))
            .set(invoices::state.eq(state.as_str()))
            .execute(conn)?;
        get_in(conn, id)
    })
}

fn load(conn: &mut DbConnection, id: &str) -> Result<DisputeRow, ServiceError> {
    disputes::table
        .find(id)
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("dispute_not_found", "dispute", id))
}

fn get_in(conn: &mut DbConnection, id: &str) -> Result<Dispute, ServiceError> {
    let row = load(conn, id)?;
    let inv = invoice_by_id(conn, &row.invoice_id)?;
    to_dispute(row, &inv)
}

pub fn get_dispute(conn: &mut DbConnection, id: &str) -> Result<Dispute, ServiceError> {
    get_in(conn, id)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeFilter {
    pub invoice: Option<String>,
    pub buyer_id: Option<String>,
    /// Only disputes still open.
    #[serde(default)]
    pub open: bool,
}

/// Disputes, oldest first: an invoice's history, a buyer's, or all open.
pub fn list_disputes(
    conn: &mut DbConnection,
    f: &DisputeFilter,
) -> Result<Vec<Dispute>, ServiceError> {
    let mut q = disputes::table
        .inner_join(invoices::table)
        .select((DisputeRow::as_select(), InvoiceRow::as_select()))
        .order(disputes::id)
        .into_boxed();
    if let Some(reference) = &f.invoice {
        let inv = find_invoice(conn, reference)?;
        q = q.filter(disputes::invoice_id.eq(inv.id));
    }
    if let Some(b) = &f.buyer_id {
        q = q.filter(invoices::buyer_id.eq(b.clone()));
    }
    if f.open {
        q = q.filter(disputes::resolution.is_null());
    }
    let rows: Vec<(DisputeRow, InvoiceRow)> = q.limit(10_000).load(conn)?;
    rows.into_iter()
        .map(|(d, inv)| to_dispute(d, &inv))
        .collect()
}
