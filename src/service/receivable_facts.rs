//! The receivables as they stood at the end of a past date, read in one
//! pass for the aged balance and the KPIs.
//!
//! Every settlement of an invoice is an allocation row, and the invoice's
//! open amount moves with it in the same transaction (`allocate`), so for
//! any invoice not written off:
//!
//! ```text
//! open now = gross − prepaid − Σ allocations
//! settled by D = (gross − prepaid − open now) − Σ allocations dated after D
//! ```
//!
//! Likewise a credit note's open amount and a payment's unallocated amount
//! are what their allocations left. So the state at a past date is today's
//! state with the later allocations put back: the invoices are read once,
//! in table order, and only the allocations dated from the period's start
//! are looked at (none at all for "as of today" with no period), instead
//! of joining a million invoices with every settlement they ever had.
//! `tests/it/collections.rs` checks both reports at past dates against
//! figures worked out from the events.

use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use super::pipeline::{pipelined, Handoff};
use super::ServiceError;
use crate::money::Currency;
use crate::store::scan::{ScanDate, ScanText};
use crate::store::schema::{allocations, disputes, invoices, payments};
use crate::store::DbConnection;

/// What is asked: the state at the end of `as_of`, and the flows of
/// `period_from..=as_of` (the KPIs' period; `as_of + 1` for none).
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    pub as_of: NaiveDate,
    pub period_from: NaiveDate,
}

/// An invoice at the cut. Amounts are minor units of `currency`.
pub struct InvoiceAtCut<'r> {
    pub buyer_id: &'r str,
    pub seller_id: &'r str,
    pub currency: Currency,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// What was payable after issue: gross less prepaid.
    pub payable: i64,
    pub settled_before_period: i64,
    pub settled_by_as_of: i64,
    /// Payments (ours or collected by a factor) allocated in the period.
    pub collected_in_period: i64,
    /// The latest settlement dated in the period, if any.
    pub last_settled_in_period: Option<NaiveDate>,
    /// Disputed amount open at `as_of`.
    pub disputed: i64,
}

/// A credit left to the buyer at the cut: an unused credit note (dated by
/// its issue date) or an unallocated payment (by its receipt date).
pub struct CreditAtCut<'r> {
    pub buyer_id: &'r str,
    pub currency: Currency,
    pub dated: NaiveDate,
    pub left: i64,
}

/// Allocations dated after the period's start, summed per invoice.
#[derive(Default)]
struct Later {
    after_as_of: i64,
    in_period: i64,
    collected: i64,
    last_in_period: Option<NaiveDate>,
}

struct LaterAllocations {
    by_invoice: HashMap<ScanText, Later>,
    /// Per credit note or payment: what it settled after `as_of`.
    used_after_by_source: HashMap<ScanText, i64>,
}

fn is_collection(kind: &str) -> bool {
    kind == "payment" || kind == crate::service::invoices::FACTOR_COLLECTION
}

fn later_allocations(
    conn: &mut DbConnection,
    cut: Cut,
    buyer_id: Option<&str>,
) -> Result<LaterAllocations, ServiceError> {
    let since = cut.period_from.min(cut.as_of + chrono::Duration::days(1));
    let mut out = LaterAllocations {
        by_invoice: HashMap::default(),
        used_after_by_source: HashMap::default(),
    };
    let mut add = |row: LaterRow| {
        let (invoice_id, kind, source_id, amount, on) = row;
        let on = on.0;
        let later = out.by_invoice.entry(invoice_id).or_default();
        if on > cut.as_of {
            later.after_as_of += amount;
            if kind.as_str() == "credit_note" || kind.as_str() == "payment" {
                *out.used_after_by_source.entry(source_id).or_default() += amount;
            }
        } else if on >= cut.period_from {
            later.in_period += amount;
            if is_collection(kind.as_str()) {
                later.collected += amount;
            }
            later.last_in_period = later.last_in_period.max(Some(on));
        }
    };
    crate::on_backend!(&mut *conn, |c| {
        let mut q = allocations::table
            .filter(allocations::allocated_on.ge(since))
            .select((
                allocations::invoice_id,
                allocations::source_kind,
                allocations::source_id,
                allocations::amount_minor,
                allocations::allocated_on,
            ))
            .into_boxed();
        if let Some(b) = buyer_id {
            q = q.filter(
                allocations::invoice_id.eq_any(
                    invoices::table
                        .filter(invoices::buyer_id.eq(b))
                        .select(invoices::id),
                ),
            );
        }
        for row in q.load_iter::<LaterRow, DefaultLoadingMode>(c)? {
            add(row?);
        }
    });
    Ok(out)
}

type LaterRow = (ScanText, ScanText, ScanText, i64, ScanDate);

fn open_disputes(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    buyer_id: Option<&str>,
) -> Result<HashMap<String, i64>, ServiceError> {
    let mut q = disputes::table
        .filter(disputes::opened_on.le(as_of))
        .filter(
            disputes::resolved_on
                .is_null()
                .or(disputes::resolved_on.gt(as_of)),
        )
        .select((disputes::invoice_id, disputes::amount_minor))
        .into_boxed();
    if let Some(b) = buyer_id {
        q = q.filter(
            disputes::invoice_id.eq_any(
                invoices::table
                    .filter(invoices::buyer_id.eq(b))
                    .select(invoices::id),
            ),
        );
    }
    let rows: Vec<(String, i64)> = q.load(conn)?;
    let mut out: HashMap<String, i64> = HashMap::default();
    for (invoice_id, amount) in rows {
        *out.entry(invoice_id).or_default() += amount;
    }
    Ok(out)
}

fn currency_of(
    code: &str,
    cache: &mut Option<(String, Currency)>,
) -> Result<Currency, ServiceError> {
    if let Some((c, cur)) = cache {
        if c == code {
            return Ok(*cur);
        }
    }
    let cur = super::ledger::stored_currency(code)?;
    *cache = Some((code.to_string(), cur));
    Ok(cur)
}

/// The receivables of one buyer, or all, at one cut: the later
/// allocations and open disputes are read once, then the invoices and the
/// credits are streamed past them.
pub struct CutReader<'b> {
    cut: Cut,
    buyer_id: Option<&'b str>,
    later: LaterAllocations,
    disputed: HashMap<String, i64>,
}

impl<'b> CutReader<'b> {
    pub fn new(
        conn: &mut DbConnection,
        cut: Cut,
        buyer_id: Option<&'b str>,
    ) -> Result<CutReader<'b>, ServiceError> {
        Ok(CutReader {
            cut,
            buyer_id,
            later: later_allocations(conn, cut, buyer_id)?,
            disputed: open_disputes(conn, cut.as_of, buyer_id)?,
        })
    }

    /// Every invoice issued by `as_of` and not written off, as it stood at
    /// the cut, in table order.
    pub fn invoices(
        &self,
        conn: &mut DbConnection,
        f: impl FnMut(&InvoiceAtCut<'_>) -> Result<(), ServiceError>,
    ) -> Result<(), ServiceError> {
        for_each_invoice(conn, self, f)
    }

    /// The credits left to buyers at `as_of`: unused credit notes and
    /// unallocated payments, never zero.
    pub fn credits(
        &self,
        conn: &mut DbConnection,
        f: impl FnMut(&CreditAtCut<'_>) -> Result<(), ServiceError>,
    ) -> Result<(), ServiceError> {
        for_each_credit(conn, self, f)
    }
}

/// Rows handed from the reading thread to the adding one at a time.
const ROWS_PER_HANDOFF: usize = 2048;

/// Two threads share the pass: one reads and decodes the rows (SQLite's
/// B-tree walk or libpq's parsing, then diesel's columns), the other puts
/// back the later allocations and calls `f` (hash probes, accumulators).
/// One connection reads, so the pass sees one snapshot; on two cores the
/// halves overlap.
fn for_each_invoice(
    conn: &mut DbConnection,
    reader: &CutReader<'_>,
    mut f: impl FnMut(&InvoiceAtCut<'_>) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let (cut, buyer_id, later, disputed) =
        (reader.cut, reader.buyer_id, &reader.later, &reader.disputed);
    let mut currency = None;
    let mut visit = |row: InvoiceFactsRow| -> Result<(), ServiceError> {
        let (id, buyer, seller, code, issued, due, gross, prepaid, open) = row;
        let payable = gross - prepaid;
        let settled_now = payable - open;
        // Allocations are positive (a CHECK on the table): an invoice with
        // nothing settled has none, later or not, and is not looked up.
        let l = if settled_now == 0 {
            None
        } else {
            later.by_invoice.get(id.as_str())
        };
        let settled_by_as_of = settled_now - l.map_or(0, |l| l.after_as_of);
        f(&InvoiceAtCut {
            buyer_id: buyer.as_str(),
            seller_id: seller.as_str(),
            currency: currency_of(code.as_str(), &mut currency)?,
            issue_date: issued.0,
            due_date: due.0,
            payable,
            settled_before_period: settled_by_as_of - l.map_or(0, |l| l.in_period),
            settled_by_as_of,
            collected_in_period: l.map_or(0, |l| l.collected),
            last_settled_in_period: l.and_then(|l| l.last_in_period),
            disputed: disputed.get(id.as_str()).copied().unwrap_or(0),
        })
    };
    pipelined(
        ROWS_PER_HANDOFF,
        |rows| read_invoice_rows(conn, cut, buyer_id, rows),
        |rows| rows.into_iter().try_for_each(&mut visit),
    )
}

/// Reads the invoices at the cut and hands them over; returns early,
/// without error, when the other side has stopped.
fn read_invoice_rows(
    conn: &mut DbConnection,
    cut: Cut,
    buyer_id: Option<&str>,
    rows: &mut Handoff<InvoiceFactsRow>,
) -> Result<(), ServiceError> {
    crate::on_backend!(&mut *conn, |c| {
        let mut q = invoices::table
            .filter(invoices::kind.eq("invoice"))
            .filter(invoices::issue_date.le(cut.as_of))
            .filter(invoices::state.ne("written_off"))
            .select((
                invoices::id,
                invoices::buyer_id,
                invoices::seller_id,
                invoices::currency,
                invoices::issue_date,
                invoices::due_date,
                invoices::gross_minor,
                invoices::prepaid_minor,
                invoices::open_minor,
            ))
            .into_boxed();
        if let Some(b) = buyer_id {
            q = q.filter(invoices::buyer_id.eq(b));
        }
        for row in q.load_iter::<InvoiceFactsRow, DefaultLoadingMode>(c)? {
            if !rows.push(row?) {
                return Ok(());
            }
        }
    });
    Ok(())
}

type InvoiceFactsRow = (
    ScanText,
    ScanText,
    ScanText,
    ScanText,
    ScanDate,
    ScanDate,
    i64,
    i64,
    i64,
);

/// A credit note (id, buyer, currency, issue date, open amount) or a
/// payment (id, buyer, currency, receipt date, unallocated amount).
type Credit = (String, String, String, NaiveDate, i64);

fn for_each_credit(
    conn: &mut DbConnection,
    reader: &CutReader<'_>,
    mut f: impl FnMut(&CreditAtCut<'_>) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let (cut, buyer_id, later) = (reader.cut, reader.buyer_id, &reader.later);
    let used_after = |id: &str| later.used_after_by_source.get(id).copied().unwrap_or(0);
    let mut currency = None;
    let mut q = invoices::table
        .filter(invoices::kind.eq("credit_note"))
        .filter(invoices::issue_date.le(cut.as_of))
        .filter(invoices::state.ne("written_off"))
        .select((
            invoices::id,
            invoices::buyer_id,
            invoices::currency,
            invoices::issue_date,
            invoices::open_minor,
        ))
        .into_boxed();
    if let Some(b) = buyer_id {
        q = q.filter(invoices::buyer_id.eq(b));
    }
    let notes: Vec<Credit> = q.load(conn)?;
    let mut pq = payments::table
        .filter(payments::received_on.le(cut.as_of))
        .select((
            payments::id,
            payments::buyer_id,
            payments::currency,
            payments::received_on,
            payments::unallocated_minor,
        ))
        .into_boxed();
    if let Some(b) = buyer_id {
        pq = pq.filter(payments::buyer_id.eq(b));
    }
    let paid: Vec<Credit> = pq.load(conn)?;
    // What is left now plus what was used after the cut.
    for (id, buyer, code, dated, left_now) in notes.into_iter().chain(paid) {
        let left = left_now + used_after(&id);
        if left != 0 {
            f(&CreditAtCut {
                buyer_id: &buyer,
                currency: currency_of(&code, &mut currency)?,
                dated,
                left,
            })?;
        }
    }
    Ok(())
}
