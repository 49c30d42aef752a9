//! Recording a batch of invoices and credit notes with their sales entries,
//! in one transaction: validated whole, then written with multi-row
//! inserts, so it is recorded entirely or not at all. One invoice is a
//! batch of one.

use std::collections::HashMap;

use diesel::prelude::*;

use super::invoices::{allocate, to_invoice, RecordStatus, Recorded};
use super::ledger::{insert_prepared, PreparedEntries};
use super::parties::{find_buyer_id_by_legal_id, find_seller};
use super::{new_id, now, Context, ServiceError};
use crate::domain::invoice::{BuyerRef, InvoiceInput, InvoiceKind, InvoiceState, ValidInvoice};
use crate::insert_rows;
use crate::ledger::{post_credit_note, post_invoice, post_prepaid_applied, InvoiceFacts, SaleKind};
use crate::store::rows::InvoiceRow;
use crate::store::schema::{buyers, invoices};
use crate::store::{write_tx, DbConnection};

pub fn record_invoice(
    conn: &mut DbConnection,
    ctx: &Context,
    input: &InvoiceInput,
) -> Result<Recorded, ServiceError> {
    let mut out = record_invoices(conn, ctx, std::slice::from_ref(input)).map_err(strip_index)?;
    out.pop()
        .ok_or_else(|| ServiceError::conflict("internal", "batch of one returned nothing"))
}

fn strip_index(e: ServiceError) -> ServiceError {
    let strip = |text: String| -> String {
        text.strip_prefix("[0].")
            .or_else(|| text.strip_prefix("[0]: "))
            .map(str::to_string)
            .unwrap_or(text)
    };
    match e {
        ServiceError::Invalid {
            code,
            field,
            message,
        } => ServiceError::Invalid {
            code,
            field: field.filter(|f| f != "[0]").map(strip),
            message: strip(message),
        },
        ServiceError::Conflict { code, message } => ServiceError::Conflict {
            code,
            message: strip(message),
        },
        other => other,
    }
}

/// Records a batch in one transaction: all of it, or (on any error, which
/// names the item as `[i].field`) none of it.
pub fn record_invoices(
    conn: &mut DbConnection,
    ctx: &Context,
    inputs: &[InvoiceInput],
) -> Result<Vec<Recorded>, ServiceError> {
    let mut valid = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        valid.push(
            input
                .validate()
                .map_err(|e| ServiceError::from(e).at(&format!("[{i}]")))?,
        );
    }
    let first = write_tx(conn, |conn| record_valid(conn, ctx, &valid));
    match first {
        // A concurrent writer recorded the same number between our read and
        // our insert (PostgreSQL): read again, now as a replay or conflict.
        Err(e) if e.is_unique_violation() => write_tx(conn, |conn| record_valid(conn, ctx, &valid)),
        other => other,
    }
}

struct Resolved {
    seller_id: String,
    buyer_id: String,
}

fn resolve_parties(
    conn: &mut DbConnection,
    valid: &[ValidInvoice],
) -> Result<Vec<Resolved>, ServiceError> {
    let mut sellers: HashMap<String, String> = HashMap::new();
    let mut buyers_by_ref = known_buyer_ids(conn, valid)?;
    let mut out = Vec::with_capacity(valid.len());
    for (i, v) in valid.iter().enumerate() {
        let seller_id = match sellers.get(&v.seller) {
            Some(id) => id.clone(),
            None => {
                let s = find_seller(conn, &v.seller)?.ok_or_else(|| {
                    ServiceError::not_found("seller_not_found", "seller", &v.seller)
                        .at(&format!("[{i}].seller"))
                })?;
                sellers.insert(v.seller.clone(), s.id.clone());
                s.id
            }
        };
        let key = match &v.buyer {
            BuyerRef::Id(id) => format!("id:{id}"),
            BuyerRef::LegalId(l) => format!("{}:{}", l.scheme.as_str(), l.value),
        };
        let buyer_id = match buyers_by_ref.get(&key) {
            Some(id) => id.clone(),
            None => {
                let found = match &v.buyer {
                    // Every buyer named by id was looked up at once above.
                    BuyerRef::Id(_) => None,
                    BuyerRef::LegalId(l) => find_buyer_id_by_legal_id(conn, l)?,
                };
                let id = found.ok_or_else(|| {
                    let (field, shown) = match &v.buyer {
                        BuyerRef::Id(id) => ("buyer_id", id.clone()),
                        BuyerRef::LegalId(l) => (
                            "buyer_legal_id",
                            format!("{} {}", l.scheme.as_str(), l.value),
                        ),
                    };
                    ServiceError::not_found("buyer_not_found", "buyer", shown)
                        .at(&format!("[{i}].{field}"))
                })?;
                buyers_by_ref.insert(key, id.clone());
                id
            }
        };
        out.push(Resolved {
            seller_id,
            buyer_id,
        });
    }
    Ok(out)
}

/// The batch's buyers named by our id that exist, keyed `id:<id>`: one
/// query per 900 ids rather than one per buyer.
fn known_buyer_ids(
    conn: &mut DbConnection,
    valid: &[ValidInvoice],
) -> Result<HashMap<String, String>, ServiceError> {
    let mut wanted: Vec<&str> = valid
        .iter()
        .filter_map(|v| match &v.buyer {
            BuyerRef::Id(id) => Some(id.as_str()),
            BuyerRef::LegalId(_) => None,
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut known = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(900) {
        let ids: Vec<String> = buyers::table
            .filter(buyers::id.eq_any(chunk))
            .select(buyers::id)
            .load(conn)?;
        known.extend(ids.into_iter().map(|id| (format!("id:{id}"), id)));
    }
    Ok(known)
}

fn existing_by_number(
    conn: &mut DbConnection,
    resolved: &[Resolved],
    valid: &[ValidInvoice],
) -> Result<Vec<InvoiceRow>, ServiceError> {
    let mut by_seller: HashMap<&str, Vec<&str>> = HashMap::new();
    for (r, v) in resolved.iter().zip(valid) {
        by_seller
            .entry(r.seller_id.as_str())
            .or_default()
            .push(v.number.as_str());
    }
    let mut found = Vec::new();
    for (seller, numbers) in by_seller {
        for chunk in numbers.chunks(900) {
            let rows: Vec<InvoiceRow> = match &mut *conn {
                DbConnection::Sqlite(c) => invoices::table
                    .filter(
                        invoices::seller_id
                            .eq(seller)
                            .and(invoices::number.eq_any(chunk)),
                    )
                    .select(InvoiceRow::as_select())
                    .load(c)?,
                // One array bound, and one index probe per number whatever
                // the table's statistics say: a plain join (or `= ANY($2)`)
                // let the planner scan the whole table once it had grown.
                DbConnection::Postgres(c) => diesel::sql_query(
                    "SELECT i.* FROM unnest($2::text[]) AS wanted(number) \
                     CROSS JOIN LATERAL (SELECT * FROM invoices \
                       WHERE seller_id = $1 AND number = wanted.number LIMIT 1) i",
                )
                .bind::<diesel::sql_types::Text, _>(seller)
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(chunk)
                .load(c)?,
            };
            found.extend(rows);
        }
    }
    Ok(found)
}

pub(crate) fn record_valid(
    conn: &mut DbConnection,
    ctx: &Context,
    valid: &[ValidInvoice],
) -> Result<Vec<Recorded>, ServiceError> {
    let resolved = resolve_parties(conn, valid)?;
    let stored = existing_by_number(conn, &resolved, valid)?;
    // Each number of the batch, by seller: a row already stored (a replay)
    // or one this batch writes. Rows are kept once, in `stored` or
    // `new_rows`, and moved into the answer at the end.
    let mut by_number: HashMap<(&str, &str), Slot> = stored
        .iter()
        .enumerate()
        .map(|(k, row)| {
            (
                (row.seller_id.as_str(), row.number.as_str()),
                Slot::Stored(k),
            )
        })
        .collect();
    let created_at = now();
    let mut slots: Vec<(RecordStatus, Slot)> = Vec::with_capacity(valid.len());
    let mut new_rows: Vec<InvoiceRow> = Vec::with_capacity(valid.len());
    let mut entries = PreparedEntries::with_capacity(valid.len());
    // (batch item, new row, credited invoice number)
    let mut credit_links: Vec<(usize, usize, String)> = Vec::new();
    for (i, (v, r)) in valid.iter().zip(&resolved).enumerate() {
        let hash = v.content_hash(&r.seller_id, &r.buyer_id);
        let key = (r.seller_id.as_str(), v.number.as_str());
        if let Some(&slot) = by_number.get(&key) {
            let row = match slot {
                Slot::Stored(k) => &stored[k],
                Slot::New(k) => &new_rows[k],
            };
            if row.content_hash == hash {
                slots.push((RecordStatus::Unchanged, slot));
                continue;
            }
            return Err(ServiceError::conflict(
                "invoice_number_conflict",
                format!("[{i}].number: invoice {} of this seller was already recorded with different content", v.number),
            ));
        }
        let intake = v.intake.as_ref();
        // An advance already received [acompte] is settled at issue: what
        // stays open is gross - prepaid (negative: we owe the buyer).
        let prepaid = intake.map_or(0, |d| d.prepaid);
        let open = v.gross - prepaid;
        let row = InvoiceRow {
            id: new_id(),
            seller_id: r.seller_id.clone(),
            buyer_id: r.buyer_id.clone(),
            number: v.number.clone(),
            kind: v.kind.as_str().to_string(),
            issue_date: v.issue_date,
            due_date: v.due_date,
            currency: v.currency.code().to_string(),
            net_minor: v.net,
            tax_minor: v.tax,
            gross_minor: v.gross,
            open_minor: open,
            payment_terms: v.payment_terms.clone(),
            lme_exceeded: i32::from(v.lme_exceeded),
            state: if open <= 0 {
                InvoiceState::Paid
            } else if prepaid > 0 {
                InvoiceState::PartiallyPaid
            } else {
                InvoiceState::Open
            }
            .as_str()
            .to_string(),
            credited_invoice_id: None,
            buyer_reference: v.buyer_reference.clone(),
            order_reference: v.order_reference.clone(),
            content_hash: hash,
            created_at,
            type_code: intake.map(|d| d.type_code.clone()).unwrap_or_else(|| {
                match v.kind {
                    InvoiceKind::Invoice => "380",
                    InvoiceKind::CreditNote => "381",
                }
                .to_string()
            }),
            line_total_minor: intake.and_then(|d| d.line_total),
            prepaid_minor: prepaid,
            payable_minor: intake.map(|d| d.payable),
            payee_name: intake.and_then(|d| d.payee_name.clone()),
            payee_id: intake.and_then(|d| d.payee_id.clone()),
            seller_iban: intake.and_then(|d| d.seller_iban.clone()),
            source_format: intake
                .map(|d| d.source_format.clone())
                .unwrap_or_else(|| "api".to_string()),
            profile: intake.and_then(|d| d.profile.clone()),
        };
        if v.gross != 0 {
            let facts = InvoiceFacts {
                invoice_id: row.id.clone(),
                number: row.number.clone(),
                buyer_id: row.buyer_id.clone(),
                issue_date: v.issue_date,
                net: v.net,
                tax: v.tax,
                gross: v.gross,
                currency: v.currency,
                kind: SaleKind::Goods,
            };
            let draft = match v.kind {
                InvoiceKind::Invoice => post_invoice(&facts, ctx.chart.roles()),
                InvoiceKind::CreditNote => post_credit_note(&facts, ctx.chart.roles()),
            }
            .map_err(|e| ServiceError::Ledger(e).at(&format!("[{i}]")))?;
            entries
                .add(ctx, &draft, None)
                .map_err(|e| e.at(&format!("[{i}]")))?;
            if prepaid != 0 && v.kind == InvoiceKind::Invoice {
                let draft = post_prepaid_applied(&facts, prepaid, ctx.chart.roles())
                    .map_err(|e| ServiceError::Ledger(e).at(&format!("[{i}]")))?;
                entries
                    .add(ctx, &draft, None)
                    .map_err(|e| e.at(&format!("[{i}]")))?;
            }
        }
        let k = new_rows.len();
        if let Some(target) = &v.credited_invoice {
            credit_links.push((i, k, target.clone()));
        }
        by_number.insert(key, Slot::New(k));
        new_rows.push(row);
        slots.push((RecordStatus::Created, Slot::New(k)));
    }
    match conn {
        DbConnection::Sqlite(_) => {
            insert_rows!(conn, invoices::table, new_rows.as_slice())?;
        }
        DbConnection::Postgres(c) => {
            crate::store::pg_bulk::insert_invoices(c, &new_rows)?;
        }
    }
    insert_prepared(conn, &entries)?;
    // An invoice for an order whose cover was held consumes the hold; most
    // batches have none to consume, so one look first.
    let ordered = new_rows.iter().any(|row| row.order_reference.is_some());
    if ordered && super::cover::any_active_hold(conn)? {
        consume_batch_holds(conn, &new_rows)?;
    }
    for (i, k, target) in credit_links {
        new_rows[k] = apply_credit_note(conn, &new_rows[k], &target)
            .map_err(|e| e.at(&format!("[{i}].credited_invoice")))?;
    }
    // Backwards, so a replay of a row this batch wrote (always after it)
    // copies the row before its own item moves it out.
    let mut new_rows: Vec<Option<InvoiceRow>> = new_rows.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for (status, slot) in slots.into_iter().rev() {
        let row = match (status, slot) {
            (_, Slot::Stored(k)) => Some(stored[k].clone()),
            (RecordStatus::Created, Slot::New(k)) => new_rows[k].take(),
            (RecordStatus::Unchanged, Slot::New(k)) => new_rows[k].clone(),
        }
        .ok_or_else(|| ServiceError::conflict("internal", "a recorded row was answered twice"))?;
        out.push(Recorded {
            status,
            invoice: to_invoice(row)?,
        });
    }
    out.reverse();
    Ok(out)
}

/// Where a batch item's row is: among the rows read from the store, or the
/// rows the batch writes.
#[derive(Clone, Copy)]
enum Slot {
    Stored(usize),
    New(usize),
}

fn consume_batch_holds(
    conn: &mut DbConnection,
    created: &[InvoiceRow],
) -> Result<(), ServiceError> {
    for row in created {
        if let Some(order) = &row.order_reference {
            if row.kind == InvoiceKind::Invoice.as_str() {
                super::cover::consume_holds(conn, &row.buyer_id, order, &row.id)?;
            }
        }
    }
    Ok(())
}

/// A credit note that names an invoice reduces it, up to its open amount;
/// any excess stays as a credit on the buyer's account.
fn apply_credit_note(
    conn: &mut DbConnection,
    credit_note: &InvoiceRow,
    target_number: &str,
) -> Result<InvoiceRow, ServiceError> {
    // The target's open amount is read, then reduced: no payment for the
    // buyer may reduce it in between.
    super::parties::lock_buyer(conn, &credit_note.buyer_id)?;
    let target: InvoiceRow = invoices::table
        .filter(
            invoices::seller_id
                .eq(&credit_note.seller_id)
                .and(invoices::number.eq(target_number))
                .and(invoices::kind.eq(InvoiceKind::Invoice.as_str())),
        )
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ServiceError::not_found("credited_invoice_not_found", "invoice", target_number)
        })?;
    if target.buyer_id != credit_note.buyer_id || target.currency != credit_note.currency {
        return Err(ServiceError::invalid(
            "credited_invoice_mismatch",
            "",
            format!("invoice {target_number} belongs to another buyer or currency"),
        ));
    }
    let amount = credit_note.open_minor.min(target.open_minor);
    if amount > 0 {
        allocate(
            conn,
            &target,
            "credit_note",
            &credit_note.id,
            amount,
            credit_note.issue_date,
        )?;
    }
    let open = credit_note.open_minor - amount;
    let state = InvoiceState::Open.after_settlement(credit_note.gross_minor, open);
    diesel::update(invoices::table.find(&credit_note.id))
        .set((
            invoices::credited_invoice_id.eq(&target.id),
            invoices::open_minor.eq(open),
            invoices::state.eq(state.as_str()),
        ))
        .execute(conn)?;
    Ok(InvoiceRow {
        credited_invoice_id: Some(target.id),
        open_minor: open,
        state: state.as_str().to_string(),
        ..credit_note.clone()
    })
}
