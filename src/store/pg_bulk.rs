//! PostgreSQL bulk writes: one statement per batch, each column bound as one
//! array and expanded by `unnest`. A batch of any size is one round trip and
//! one plan, and the ledger's entries and lines go in together in a single
//! statement, which is what the ledger's statement-level triggers check (see
//! the PostgreSQL migration).

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamp};

use super::rows::{InvoiceRow, NewEntryRow, NewLineRow};

/// Column `$f` of every row, borrowed.
macro_rules! column {
    ($rows:expr, $f:ident) => {
        $rows.iter().map(|r| &r.$f).collect::<Vec<_>>()
    };
    ($rows:expr, $f:ident, opt) => {
        $rows.iter().map(|r| r.$f.as_deref()).collect::<Vec<_>>()
    };
}

pub fn insert_invoices(conn: &mut PgConnection, rows: &[InvoiceRow]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "INSERT INTO invoices (id, seller_id, buyer_id, number, kind, issue_date, due_date, \
         currency, net_minor, tax_minor, gross_minor, open_minor, payment_terms, lme_exceeded, \
         state, credited_invoice_id, buyer_reference, order_reference, content_hash, created_at, \
         type_code, line_total_minor, prepaid_minor, payable_minor, payee_name, payee_id, \
         seller_iban, source_format, profile) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::date[], $7::date[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], \
         $12::bigint[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[], \
         $18::text[], $19::text[], $20::timestamp[], $21::text[], $22::bigint[], \
         $23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::text[], $28::text[], \
         $29::text[])",
    )
    .bind::<Array<Text>, _>(column!(rows, id))
    .bind::<Array<Text>, _>(column!(rows, seller_id))
    .bind::<Array<Text>, _>(column!(rows, buyer_id))
    .bind::<Array<Text>, _>(column!(rows, number))
    .bind::<Array<Text>, _>(column!(rows, kind))
    .bind::<Array<Date>, _>(column!(rows, issue_date))
    .bind::<Array<Date>, _>(column!(rows, due_date))
    .bind::<Array<Text>, _>(column!(rows, currency))
    .bind::<Array<BigInt>, _>(column!(rows, net_minor))
    .bind::<Array<BigInt>, _>(column!(rows, tax_minor))
    .bind::<Array<BigInt>, _>(column!(rows, gross_minor))
    .bind::<Array<BigInt>, _>(column!(rows, open_minor))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, payment_terms, opt))
    .bind::<Array<Integer>, _>(column!(rows, lme_exceeded))
    .bind::<Array<Text>, _>(column!(rows, state))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, credited_invoice_id, opt))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, buyer_reference, opt))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, order_reference, opt))
    .bind::<Array<Text>, _>(column!(rows, content_hash))
    .bind::<Array<Timestamp>, _>(column!(rows, created_at))
    .bind::<Array<Text>, _>(column!(rows, type_code))
    .bind::<Array<Nullable<BigInt>>, _>(column!(rows, line_total_minor))
    .bind::<Array<BigInt>, _>(column!(rows, prepaid_minor))
    .bind::<Array<Nullable<BigInt>>, _>(column!(rows, payable_minor))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, payee_name, opt))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, payee_id, opt))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, seller_iban, opt))
    .bind::<Array<Text>, _>(column!(rows, source_format))
    .bind::<Array<Nullable<Text>>, _>(column!(rows, profile, opt))
    .execute(conn)
}

/// Entries and their lines in one statement (a data-modifying WITH always
/// runs to completion, read or not).
pub fn insert_entries(
    conn: &mut PgConnection,
    headers: &[NewEntryRow],
    lines: &[NewLineRow],
) -> QueryResult<usize> {
    if headers.is_empty() && lines.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "WITH new_headers AS ( \
           INSERT INTO journal_entries (id, journal_code, entry_date, label, piece_ref, \
             piece_date, event_kind, event_id, reverses_entry_id, created_at) \
           SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], \
             $6::date[], $7::text[], $8::text[], $9::text[], $10::timestamp[])) \
         INSERT INTO journal_lines (entry_id, line_no, account, buyer_id, debit_minor, \
           credit_minor, currency, label) \
         SELECT * FROM unnest($11::text[], $12::int[], $13::text[], $14::text[], \
           $15::bigint[], $16::bigint[], $17::text[], $18::text[])",
    )
    .bind::<Array<Text>, _>(column!(headers, id))
    .bind::<Array<Text>, _>(column!(headers, journal_code))
    .bind::<Array<Date>, _>(column!(headers, entry_date))
    .bind::<Array<Text>, _>(column!(headers, label))
    .bind::<Array<Text>, _>(column!(headers, piece_ref))
    .bind::<Array<Date>, _>(column!(headers, piece_date))
    .bind::<Array<Text>, _>(column!(headers, event_kind))
    .bind::<Array<Text>, _>(column!(headers, event_id))
    .bind::<Array<Nullable<Text>>, _>(column!(headers, reverses_entry_id, opt))
    .bind::<Array<Timestamp>, _>(column!(headers, created_at))
    .bind::<Array<Text>, _>(column!(lines, entry_id))
    .bind::<Array<Integer>, _>(column!(lines, line_no))
    .bind::<Array<Text>, _>(column!(lines, account))
    .bind::<Array<Nullable<Text>>, _>(column!(lines, buyer_id, opt))
    .bind::<Array<BigInt>, _>(column!(lines, debit_minor))
    .bind::<Array<BigInt>, _>(column!(lines, credit_minor))
    .bind::<Array<Text>, _>(column!(lines, currency))
    .bind::<Array<Text>, _>(column!(lines, label))
    .execute(conn)
}
