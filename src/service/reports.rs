//! Reports and legal exports: the aged balance as of any date, and the FEC.

use std::collections::HashMap;
use std::io::Write;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::receivable_facts::{CreditAtCut, Cut, CutReader, InvoiceAtCut};
use super::{Context, ServiceError};
use crate::domain::aging::{AgedBalance, AgedBook, AgingBuckets, OpenItem};
use crate::error::ErrorCode;
use crate::formats::fec::{write_fec, FecRecord};
use crate::money::{Currency, Money};
use crate::store::rows::{EntryRow, LineRow};
use crate::store::schema::{buyers, journal_entries, journal_lines, journals};
use crate::store::DbConnection;

/// Aged balance [balance âgée] as it stood at the end of `as_of`: invoices
/// issued by then, less what was allocated to them by then. Unused credit
/// notes and unallocated payments count against the buyer (negative), in the
/// bucket of their own date, so each buyer's total is its receivable balance.
pub fn aging(
    conn: &mut DbConnection,
    buckets: &AgingBuckets,
    as_of: NaiveDate,
    buyer_id: Option<&str>,
) -> Result<AgedBalance, ServiceError> {
    let _span = tracing::info_span!("aging", %as_of).entered();
    let cut = Cut {
        as_of,
        period_from: as_of + chrono::Duration::days(1),
    };
    let mut book = AgedBook::new(as_of, buckets.clone());
    let reader = CutReader::new(conn, cut, buyer_id)?;
    reader.invoices(conn, |i| add_invoice(&mut book, i))?;
    finish_with_credits(conn, &reader, book)
}

/// The last step of an aged balance whose invoices were added: the credits
/// left to buyers at the same cut, then the rows.
pub(crate) fn finish_with_credits(
    conn: &mut DbConnection,
    reader: &CutReader<'_>,
    mut book: AgedBook,
) -> Result<AgedBalance, ServiceError> {
    reader.credits(conn, |c| add_credit(&mut book, c))?;
    book.finish().map_err(money_error)
}

fn money_error(e: crate::money::MoneyError) -> ServiceError {
    ServiceError::invalid(e.code(), "", e.to_string())
}

/// What an invoice still owed at the cut, in the bucket of its due date.
pub(crate) fn add_invoice(book: &mut AgedBook, i: &InvoiceAtCut<'_>) -> Result<(), ServiceError> {
    book.add(&OpenItem {
        buyer_id: i.buyer_id,
        due_date: i.due_date,
        open: Money::new(i.payable - i.settled_by_as_of, i.currency),
    })
    .map_err(money_error)
}

/// A credit left to the buyer, negative, in the bucket of its own date.
fn add_credit(book: &mut AgedBook, c: &CreditAtCut<'_>) -> Result<(), ServiceError> {
    book.add(&OpenItem {
        buyer_id: c.buyer_id,
        due_date: c.dated,
        open: Money::new(-c.left, c.currency),
    })
    .map_err(money_error)
}

/// The book currency of the FEC (a French ledger is kept in euros).
pub const BOOK_CURRENCY: Currency = Currency::EUR;

/// Writes the FEC [fichier des écritures comptables] of the entries dated in
/// `[from, to]`, streamed entry by entry. Returns the number of lines written.
pub fn export_fec<W: Write>(
    conn: &mut DbConnection,
    ctx: &Context,
    from: NaiveDate,
    to: NaiveDate,
    out: W,
) -> Result<usize, ServiceError> {
    let journal_labels: HashMap<String, String> = journals::table
        .select((journals::code, journals::label))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let foreign: i64 = journal_lines::table
        .inner_join(journal_entries::table.on(journal_entries::id.eq(journal_lines::entry_id)))
        .filter(
            journal_entries::entry_date
                .between(from, to)
                .and(journal_lines::currency.ne(BOOK_CURRENCY.code())),
        )
        .count()
        .get_result(conn)?;
    if foreign > 0 {
        return Err(ServiceError::invalid(
            "fec_foreign_currency",
            "",
            format!("{foreign} ledger lines of the period are not in EUR; the FEC needs their EUR value, which needs the FX rates table (not available yet)"),
        ));
    }
    let pages = FecPages {
        conn,
        chart: &ctx.chart,
        journal_labels,
        buyer_names: HashMap::new(),
        from,
        to,
        last_seq: 0,
        pending: std::collections::VecDeque::new(),
        error: None,
        done: false,
    };
    let mut pages = pages;
    let written =
        write_fec(out, &mut pages).map_err(|e| ServiceError::invalid(e.code(), "", e.to_string()));
    if let Some(e) = pages.error.take() {
        return Err(e);
    }
    written
}

/// Reads the period's entries page by page as the writer asks for lines, so
/// memory stays flat however long the ledger. A read error stops the
/// iteration and is reported after the writer returns.
struct FecPages<'a> {
    conn: &'a mut DbConnection,
    chart: &'a crate::ledger::Chart,
    journal_labels: HashMap<String, String>,
    buyer_names: HashMap<String, String>,
    from: NaiveDate,
    to: NaiveDate,
    last_seq: i64,
    pending: std::collections::VecDeque<FecRecord>,
    error: Option<ServiceError>,
    done: bool,
}

impl FecPages<'_> {
    fn fetch(&mut self) -> Result<(), ServiceError> {
        let conn = &mut *self.conn;
        let entries: Vec<EntryRow> = journal_entries::table
            .filter(
                journal_entries::entry_date
                    .between(self.from, self.to)
                    .and(journal_entries::seq.gt(self.last_seq)),
            )
            .order(journal_entries::seq)
            .limit(2000)
            .select(EntryRow::as_select())
            .load(conn)?;
        let Some(last) = entries.last() else {
            self.done = true;
            return Ok(());
        };
        self.last_seq = last.seq;
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let lines: Vec<LineRow> = journal_lines::table
            .filter(journal_lines::entry_id.eq_any(&ids))
            .select(LineRow::as_select())
            .load(conn)?;
        let mut by_entry: HashMap<&str, Vec<&LineRow>> = HashMap::new();
        for l in &lines {
            by_entry.entry(l.entry_id.as_str()).or_default().push(l);
        }
        let missing: Vec<String> = lines
            .iter()
            .filter_map(|l| l.buyer_id.clone())
            .filter(|b| !self.buyer_names.contains_key(b))
            .collect();
        for chunk in missing.chunks(500) {
            let names: Vec<(String, String)> = buyers::table
                .filter(buyers::id.eq_any(chunk))
                .select((buyers::id, buyers::name))
                .load(conn)?;
            self.buyer_names.extend(names);
        }
        for e in &entries {
            let mut entry_lines = by_entry.remove(e.id.as_str()).unwrap_or_default();
            entry_lines.sort_by_key(|l| l.line_no);
            for l in entry_lines {
                self.pending.push_back(FecRecord {
                    journal_code: e.journal_code.clone(),
                    journal_label: self
                        .journal_labels
                        .get(&e.journal_code)
                        .cloned()
                        .unwrap_or_else(|| e.journal_code.clone()),
                    entry_number: e.seq.to_string(),
                    entry_date: e.entry_date,
                    account: l.account.clone(),
                    account_label: self.chart.label_of(&l.account).to_string(),
                    aux_account: l.buyer_id.clone(),
                    aux_label: l.buyer_id.as_ref().map(|b| {
                        self.buyer_names
                            .get(b)
                            .cloned()
                            .unwrap_or_else(|| b.clone())
                    }),
                    piece_ref: e.piece_ref.clone(),
                    piece_date: e.piece_date,
                    label: l.label.clone(),
                    debit: l.debit_minor,
                    credit: l.credit_minor,
                    letter: None,
                    letter_date: None,
                    valid_date: e.created_at.date(),
                    foreign_amount: None,
                });
            }
        }
        Ok(())
    }
}

impl Iterator for FecPages<'_> {
    type Item = FecRecord;

    fn next(&mut self) -> Option<FecRecord> {
        while self.pending.is_empty() && !self.done && self.error.is_none() {
            if let Err(e) = self.fetch() {
                self.error = Some(e);
            }
        }
        self.pending.pop_front()
    }
}
