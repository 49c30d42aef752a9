//! Writing entries to the insert-only ledger, and reading it back.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{new_id, now, Context, ServiceError};
use crate::error::ErrorCode;
use crate::insert_rows;
use crate::ledger::{trial_balance, EntryDraft, EntryLine, TrialBalance};
use crate::money::{Currency, Money};
use crate::store::rows::{EntryRow, LineRow, NewEntryRow, NewLineRow};
use crate::store::schema::{journal_entries, journal_lines, journals};
use crate::store::{write_tx, DbConnection};

/// Rows to write for checked drafts, kept flat so the bulk insert can take
/// them in fixed-size chunks without copying. Lines go in before their
/// headers: the header's insert is where the database checks the balance.
#[derive(Default)]
pub struct PreparedEntries {
    pub headers: Vec<NewEntryRow>,
    pub lines: Vec<NewLineRow>,
}

impl PreparedEntries {
    pub fn with_capacity(entries: usize) -> Self {
        PreparedEntries {
            headers: Vec::with_capacity(entries),
            lines: Vec::with_capacity(entries * 3),
        }
    }

    /// Checks a draft and adds its rows; returns the new entry's id.
    pub fn add(
        &mut self,
        ctx: &Context,
        draft: &EntryDraft,
        reverses: Option<String>,
    ) -> Result<String, ServiceError> {
        draft.validate(&ctx.chart)?;
        let id = new_id();
        self.lines
            .extend(draft.lines.iter().enumerate().map(|(i, l)| NewLineRow {
                entry_id: id.clone(),
                line_no: i as i32 + 1,
                account: l.account.clone(),
                buyer_id: l.buyer_id.clone(),
                debit_minor: l.debit,
                credit_minor: l.credit,
                currency: l.currency.code().to_string(),
                label: l.label.clone(),
            }));
        self.headers.push(NewEntryRow {
            id: id.clone(),
            journal_code: draft.journal.clone(),
            entry_date: draft.date,
            label: draft.label.clone(),
            piece_ref: draft.piece_ref.clone(),
            piece_date: draft.piece_date,
            event_kind: draft.event_kind.clone(),
            event_id: draft.event_id.clone(),
            reverses_entry_id: reverses,
            created_at: now(),
        });
        Ok(id)
    }

    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }
}

/// Writes prepared entries. SQLite: all lines, then all headers (the
/// header's row trigger checks its lines). PostgreSQL: both in one statement
/// (its statement triggers check them together).
pub fn insert_prepared(
    conn: &mut DbConnection,
    entries: &PreparedEntries,
) -> Result<(), ServiceError> {
    match conn {
        DbConnection::Sqlite(_) => {
            insert_rows!(conn, journal_lines::table, entries.lines.as_slice())?;
            insert_rows!(conn, journal_entries::table, entries.headers.as_slice())?;
        }
        DbConnection::Postgres(c) => {
            crate::store::pg_bulk::insert_entries(c, &entries.headers, &entries.lines)?;
        }
    }
    Ok(())
}

pub fn post(
    conn: &mut DbConnection,
    ctx: &Context,
    draft: &EntryDraft,
) -> Result<String, ServiceError> {
    post_reversing(conn, ctx, draft, None)
}

fn post_reversing(
    conn: &mut DbConnection,
    ctx: &Context,
    draft: &EntryDraft,
    reverses: Option<String>,
) -> Result<String, ServiceError> {
    let mut prepared = PreparedEntries::with_capacity(1);
    let id = prepared.add(ctx, draft, reverses)?;
    insert_prepared(conn, &prepared)?;
    Ok(id)
}

/// A journal entry as read back.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    /// Sequential number [EcritureNum].
    pub number: i64,
    pub journal: String,
    pub date: NaiveDate,
    pub label: String,
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub event_kind: String,
    pub event_id: String,
    pub reverses_entry_id: Option<String>,
    pub lines: Vec<EntryLineView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryLineView {
    pub account: String,
    pub buyer_id: Option<String>,
    pub debit: Money,
    pub credit: Money,
    pub label: String,
}

fn to_entry(row: EntryRow, lines: Vec<LineRow>) -> Result<Entry, ServiceError> {
    let lines = lines
        .into_iter()
        .map(|l| {
            let c = stored_currency(&l.currency)?;
            Ok(EntryLineView {
                account: l.account,
                buyer_id: l.buyer_id,
                debit: Money::new(l.debit_minor, c),
                credit: Money::new(l.credit_minor, c),
                label: l.label,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(Entry {
        id: row.id,
        number: row.seq,
        journal: row.journal_code,
        date: row.entry_date,
        label: row.label,
        piece_ref: row.piece_ref,
        piece_date: row.piece_date,
        event_kind: row.event_kind,
        event_id: row.event_id,
        reverses_entry_id: row.reverses_entry_id,
        lines,
    })
}

pub fn stored_currency(code: &str) -> Result<Currency, ServiceError> {
    Currency::from_code(code)
        .map_err(|e| ServiceError::invalid(e.code(), "currency", format!("stored currency: {e}")))
}

pub fn get_entry(conn: &mut DbConnection, id: &str) -> Result<Entry, ServiceError> {
    let row: EntryRow = journal_entries::table
        .filter(journal_entries::id.eq(id))
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("entry_not_found", "journal entry", id))?;
    let lines = journal_lines::table
        .filter(journal_lines::entry_id.eq(id))
        .order(journal_lines::line_no)
        .select(LineRow::as_select())
        .load(conn)?;
    to_entry(row, lines)
}

/// Entries caused by one event (e.g. "invoice.issued", invoice id).
pub fn entries_for_event(
    conn: &mut DbConnection,
    event_id: &str,
) -> Result<Vec<Entry>, ServiceError> {
    let rows: Vec<EntryRow> = journal_entries::table
        .filter(journal_entries::event_id.eq(event_id))
        .order(journal_entries::seq)
        .select(EntryRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let lines = journal_lines::table
                .filter(journal_lines::entry_id.eq(&r.id))
                .order(journal_lines::line_no)
                .select(LineRow::as_select())
                .load(conn)?;
            to_entry(r, lines)
        })
        .collect()
}

/// A manual entry [écriture d'opérations diverses] typed by an accountant.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManualEntryInput {
    #[serde(default = "default_journal")]
    pub journal: String,
    pub date: NaiveDate,
    pub label: String,
    pub piece_ref: String,
    /// The caller's id for this entry: posting it twice posts it once.
    pub reference: String,
    pub lines: Vec<ManualLineInput>,
}

fn default_journal() -> String {
    "OD".to_string()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManualLineInput {
    pub account: String,
    #[serde(default)]
    pub buyer_id: Option<String>,
    #[serde(default)]
    pub debit: Option<String>,
    #[serde(default)]
    pub credit: Option<String>,
    pub currency: String,
    #[serde(default)]
    pub label: Option<String>,
}

pub const MANUAL_ENTRY: &str = "manual.entry";
pub const ENTRY_REVERSED: &str = "entry.reversed";

pub fn post_manual(
    conn: &mut DbConnection,
    ctx: &Context,
    input: &ManualEntryInput,
) -> Result<Entry, ServiceError> {
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        let currency = Currency::from_code(l.currency.trim()).map_err(|e| {
            ServiceError::invalid(e.code(), format!("{field}.currency"), e.to_string())
        })?;
        let amount = |name: &str, raw: &Option<String>| -> Result<i64, ServiceError> {
            match raw {
                None => Ok(0),
                Some(text) => {
                    let m = Money::parse(text, currency).map_err(|e| {
                        ServiceError::invalid(e.code(), format!("{field}.{name}"), e.to_string())
                    })?;
                    if m.is_negative() {
                        return Err(ServiceError::invalid(
                            "amount_negative",
                            format!("{field}.{name}"),
                            "must not be negative",
                        ));
                    }
                    Ok(m.minor())
                }
            }
        };
        lines.push(EntryLine {
            account: l.account.trim().to_string(),
            buyer_id: l.buyer_id.clone(),
            debit: amount("debit", &l.debit)?,
            credit: amount("credit", &l.credit)?,
            currency,
            label: l.label.clone().unwrap_or_else(|| input.label.clone()),
        });
    }
    if journals::table
        .find(&input.journal)
        .count()
        .get_result::<i64>(conn)?
        == 0
    {
        return Err(ServiceError::invalid(
            "journal_unknown",
            "journal",
            format!("'{}' is not a journal", input.journal),
        ));
    }
    let draft = EntryDraft {
        journal: input.journal.clone(),
        date: input.date,
        label: input.label.clone(),
        piece_ref: input.piece_ref.clone(),
        piece_date: input.date,
        event_kind: MANUAL_ENTRY.to_string(),
        event_id: input.reference.clone(),
        lines,
    };
    draft
        .validate(&ctx.chart)
        .map_err(|e| ServiceError::Ledger(e).at("lines"))?;
    write_tx(conn, |conn| {
        if let Some(existing) = find_by_event(conn, MANUAL_ENTRY, &input.reference)? {
            if same_manual_entry(&existing, &draft) {
                return Ok(existing);
            }
            return Err(ServiceError::conflict(
                "manual_entry_reference_conflict",
                format!(
                    "reference: entry {} was posted under '{}' with different content",
                    existing.number, input.reference
                ),
            ));
        }
        let id = post(conn, ctx, &draft)?;
        get_entry(conn, &id)
    })
}

/// A replay carries the same journal, date, label and lines.
fn same_manual_entry(existing: &Entry, draft: &EntryDraft) -> bool {
    existing.journal == draft.journal
        && existing.date == draft.date
        && existing.label == draft.label
        && existing.piece_ref == draft.piece_ref
        && existing.lines.len() == draft.lines.len()
        && existing.lines.iter().zip(&draft.lines).all(|(a, b)| {
            a.account == b.account
                && a.buyer_id == b.buyer_id
                && a.debit.minor() == b.debit
                && a.credit.minor() == b.credit
                && a.debit.currency() == b.currency
                && a.label == b.label
        })
}

fn find_by_event(
    conn: &mut DbConnection,
    kind: &str,
    id: &str,
) -> Result<Option<Entry>, ServiceError> {
    let found: Option<String> = journal_entries::table
        .filter(
            journal_entries::event_kind
                .eq(kind)
                .and(journal_entries::event_id.eq(id)),
        )
        .select(journal_entries::id)
        .first(conn)
        .optional()?;
    found.map(|id| get_entry(conn, &id)).transpose()
}

/// A correction: a new entry mirroring the original, never an update.
pub fn reverse_entry(
    conn: &mut DbConnection,
    ctx: &Context,
    entry_id: &str,
    date: NaiveDate,
) -> Result<Entry, ServiceError> {
    write_tx(conn, |conn| {
        if let Some(existing) = find_by_event(conn, ENTRY_REVERSED, entry_id)? {
            return Ok(existing);
        }
        let original = get_entry(conn, entry_id)?;
        if original.reverses_entry_id.is_some() {
            return Err(ServiceError::conflict(
                "entry_is_reversal",
                format!("entry {entry_id} is itself a reversal"),
            ));
        }
        let lines = original
            .lines
            .iter()
            .map(|l| EntryLine {
                account: l.account.clone(),
                buyer_id: l.buyer_id.clone(),
                debit: l.credit.minor(),
                credit: l.debit.minor(),
                currency: l.debit.currency(),
                label: format!("Extourne: {}", l.label),
            })
            .collect();
        let draft = EntryDraft {
            journal: original.journal.clone(),
            date,
            label: format!("Extourne de l'écriture {}", original.number),
            piece_ref: original.piece_ref.clone(),
            piece_date: original.piece_date,
            event_kind: ENTRY_REVERSED.to_string(),
            event_id: entry_id.to_string(),
            lines,
        };
        let id = post_reversing(conn, ctx, &draft, Some(entry_id.to_string()))?;
        get_entry(conn, &id)
    })
}

/// Trial balance [balance générale] of entries dated up to `as_of` (all when None).
pub fn trial_balance_as_of(
    conn: &mut DbConnection,
    ctx: &Context,
    as_of: Option<NaiveDate>,
) -> Result<TrialBalance, ServiceError> {
    use crate::store::sum_bigint;
    let mut query = journal_lines::table
        .inner_join(journal_entries::table.on(journal_entries::id.eq(journal_lines::entry_id)))
        .group_by((journal_lines::account, journal_lines::currency))
        .select((
            journal_lines::account,
            journal_lines::currency,
            sum_bigint("journal_lines.debit_minor"),
            sum_bigint("journal_lines.credit_minor"),
        ))
        .into_boxed();
    if let Some(d) = as_of {
        query = query.filter(journal_entries::entry_date.le(d));
    }
    let rows: Vec<(String, String, Option<i64>, Option<i64>)> = query.load(conn)?;
    let parsed = rows
        .into_iter()
        .map(|(a, c, d, cr)| Ok((a, stored_currency(&c)?, d.unwrap_or(0), cr.unwrap_or(0))))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(trial_balance(
        parsed.iter().map(|(a, c, d, cr)| (a.as_str(), *c, *d, *cr)),
        &ctx.chart,
    )?)
}

/// Balance (debit − credit) of one buyer's receivable sub-ledger per
/// currency, from the sums the database keeps with every line it inserts
/// (`buyer_ledger_balances`).
pub fn buyer_receivable_balance(
    conn: &mut DbConnection,
    ctx: &Context,
    buyer_id: &str,
) -> Result<Vec<(Currency, i64)>, ServiceError> {
    use crate::store::schema::buyer_ledger_balances as kept;
    let rows: Vec<(String, i64, i64)> = kept::table
        .filter(
            kept::buyer_id
                .eq(buyer_id)
                .and(kept::account.eq(&ctx.chart.roles().receivable)),
        )
        .order(kept::currency)
        .select((kept::currency, kept::debit_minor, kept::credit_minor))
        .load(conn)?;
    rows.into_iter()
        .map(|(c, d, cr)| Ok((stored_currency(&c)?, d - cr)))
        .collect()
}
