//! Invoices and credit notes: as stored and shown, settled by allocations,
//! listed. Recording them (one or a batch, with their sales entries) is in
//! `invoice_batch`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::ledger::stored_currency;
use super::{new_id, now, page_size, Page, ServiceError};
use crate::domain::invoice::{InvoiceError, InvoiceKind, InvoiceState};
use crate::error::ErrorCode;
use crate::money::Money;
use crate::store::rows::{AllocationRow, InvoiceRow};
use crate::store::schema::{allocations, invoices};
use crate::store::DbConnection;

impl From<InvoiceError> for ServiceError {
    fn from(e: InvoiceError) -> Self {
        let InvoiceError::Invalid { field, .. } = &e;
        ServiceError::Invalid {
            code: e.code(),
            field: Some(field.clone()),
            message: e.to_string(),
        }
    }
}

/// An invoice or credit note as the API and CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub id: String,
    pub seller_id: String,
    pub buyer_id: String,
    pub number: String,
    pub kind: InvoiceKind,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
    /// What remains to be paid (for a credit note: the credit not yet used).
    pub open: Money,
    pub payment_terms: Option<String>,
    /// Term beyond the French LME cap (L441-10 Code de commerce).
    pub lme_exceeded: bool,
    pub state: InvoiceState,
    pub credited_invoice_id: Option<String>,
    pub buyer_reference: Option<String>,
    pub order_reference: Option<String>,
    /// EN 16931 type code (BT-3): 380 invoice, 381 credit note, 393/396 factored.
    pub type_code: String,
    /// Sum of line net amounts (BT-106), when the document stated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_total: Option<Money>,
    /// Advance already paid (BT-113), settled at issue.
    pub prepaid: Money,
    /// Amount due as the document stated it (BT-115).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payable: Option<Money>,
    /// Who is to be paid when it is not the seller (a factor), BG-10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee_id: Option<String>,
    /// The seller's account the document asks to be paid on (BT-84).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_iban: Option<String>,
    /// api, ubl, cii, csv or json.
    pub source_format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn to_invoice(row: InvoiceRow) -> Result<Invoice, ServiceError> {
    let c = stored_currency(&row.currency)?;
    Ok(Invoice {
        kind: InvoiceKind::parse(&row.kind).unwrap_or_default(),
        state: InvoiceState::parse(&row.state).unwrap_or(InvoiceState::Open),
        net: Money::new(row.net_minor, c),
        tax: Money::new(row.tax_minor, c),
        gross: Money::new(row.gross_minor, c),
        open: Money::new(row.open_minor, c),
        lme_exceeded: row.lme_exceeded != 0,
        id: row.id,
        seller_id: row.seller_id,
        buyer_id: row.buyer_id,
        number: row.number,
        issue_date: row.issue_date,
        due_date: row.due_date,
        currency: row.currency,
        payment_terms: row.payment_terms,
        credited_invoice_id: row.credited_invoice_id,
        buyer_reference: row.buyer_reference,
        order_reference: row.order_reference,
        type_code: row.type_code,
        line_total: row.line_total_minor.map(|m| Money::new(m, c)),
        prepaid: Money::new(row.prepaid_minor, c),
        payable: row.payable_minor.map(|m| Money::new(m, c)),
        payee_name: row.payee_name,
        payee_id: row.payee_id,
        seller_iban: row.seller_iban,
        source_format: row.source_format,
        profile: row.profile,
        created_at: row.created_at,
    })
}

/// What happened to each invoice of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Created,
    /// The same invoice was recorded before: nothing changed.
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub status: RecordStatus,
    pub invoice: Invoice,
}

pub(crate) use super::invoice_batch::record_valid;
pub use super::invoice_batch::{record_invoice, record_invoices};

/// Settles `amount` of an invoice: an allocation row, and the invoice's open
/// amount and state.
/// The allocation kind of a buyer's payment the factor collected.
pub const FACTOR_COLLECTION: &str = "factor_collection";

pub fn allocate(
    conn: &mut DbConnection,
    invoice: &InvoiceRow,
    source_kind: &str,
    source_id: &str,
    amount: i64,
    on: NaiveDate,
) -> Result<(), ServiceError> {
    diesel::insert_into(allocations::table)
        .values(AllocationRow {
            id: new_id(),
            invoice_id: invoice.id.clone(),
            source_kind: source_kind.to_string(),
            source_id: source_id.to_string(),
            amount_minor: amount,
            allocated_on: on,
            created_at: now(),
        })
        .execute(conn)?;
    let current = InvoiceState::parse(&invoice.state).unwrap_or(InvoiceState::Open);
    // Relative update: two settlements of one invoice never lose each other.
    let changed = diesel::update(
        invoices::table
            .find(&invoice.id)
            .filter(invoices::open_minor.ge(amount)),
    )
    .set(invoices::open_minor.eq(invoices::open_minor - amount))
    .execute(conn)?;
    if changed != 1 {
        return Err(ServiceError::conflict(
            "allocation_exceeds_open_amount",
            format!("invoice {} has less than {amount} open", invoice.number),
        ));
    }
    let open: i64 = invoices::table
        .find(&invoice.id)
        .select(invoices::open_minor)
        .first(conn)?;
    let state = current.after_settlement(invoice.gross_minor, open);
    diesel::update(invoices::table.find(&invoice.id))
        .set(invoices::state.eq(state.as_str()))
        .execute(conn)?;
    Ok(())
}

pub fn get_invoice(conn: &mut DbConnection, id: &str) -> Result<Invoice, ServiceError> {
    let row = invoices::table
        .find(id)
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("invoice_not_found", "invoice", id))?;
    to_invoice(row)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceFilter {
    pub seller_id: Option<String>,
    pub buyer_id: Option<String>,
    pub kind: Option<InvoiceKind>,
    pub state: Option<InvoiceState>,
    pub currency: Option<String>,
    pub number: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
    pub issued_from: Option<NaiveDate>,
    pub issued_to: Option<NaiveDate>,
    pub lme_exceeded: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub fn list_invoices(
    conn: &mut DbConnection,
    f: &InvoiceFilter,
) -> Result<Page<Invoice>, ServiceError> {
    let limit = page_size(f.limit)?;
    let mut q = invoices::table.into_boxed();
    if let Some(v) = &f.seller_id {
        q = q.filter(invoices::seller_id.eq(v));
    }
    if let Some(v) = &f.buyer_id {
        q = q.filter(invoices::buyer_id.eq(v));
    }
    if let Some(v) = f.kind {
        q = q.filter(invoices::kind.eq(v.as_str()));
    }
    if let Some(v) = f.state {
        q = q.filter(invoices::state.eq(v.as_str()));
    }
    if let Some(v) = &f.currency {
        q = q.filter(invoices::currency.eq(v));
    }
    if let Some(v) = &f.number {
        q = q.filter(invoices::number.eq(v));
    }
    if let Some(v) = f.due_before {
        q = q.filter(invoices::due_date.lt(v));
    }
    if let Some(v) = f.due_after {
        q = q.filter(invoices::due_date.gt(v));
    }
    if let Some(v) = f.issued_from {
        q = q.filter(invoices::issue_date.ge(v));
    }
    if let Some(v) = f.issued_to {
        q = q.filter(invoices::issue_date.le(v));
    }
    if let Some(v) = f.lme_exceeded {
        q = q.filter(invoices::lme_exceeded.eq(i32::from(v)));
    }
    if let Some(v) = &f.cursor {
        q = q.filter(invoices::id.gt(v));
    }
    let rows: Vec<InvoiceRow> = q
        .order(invoices::id)
        .limit(limit + 1)
        .select(InvoiceRow::as_select())
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(to_invoice)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if has_more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
