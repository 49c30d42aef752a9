//! Importing invoice files: each file whole or not at all, in one
//! transaction, however many invoices it holds (they are read as a stream
//! and recorded in batches inside that transaction).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use super::invoices::{record_valid, RecordStatus};
use super::parties::{find_buyer_id_by_legal_id, find_seller, normalize_legal_id};
use super::pipeline::{pipelined, Handoff};
use super::{new_id, now, Context, ServiceError};
use crate::domain::ids::{LegalId, LegalIdScheme};
use crate::domain::intake::{map_document, BuyerIdentity, MappedInvoice, SellerKeys};
use crate::domain::invoice::{BuyerRef, InvoiceKind, ValidInvoice};
use crate::domain::party::LegalIdInput;
use crate::error::ErrorCode;
use crate::formats::einvoice::{DocumentError, EInvoice};
use crate::store::rows::{BuyerRow, LegalIdRow};
use crate::store::schema::{buyer_legal_ids, buyers, invoices};
use crate::store::{write_tx, DbConnection};

/// Invoices recorded per batch inside a file's transaction.
pub const DEFAULT_BATCH: usize = 5_000;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// At least one invoice was recorded.
    Imported,
    /// Every invoice was already recorded with the same content.
    Unchanged,
    /// An invoice number was already recorded with another content: nothing
    /// from the file was recorded.
    Conflict,
    /// The file could not be read, or an invoice in it was refused: nothing
    /// from the file was recorded.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    /// Which invoice of the file (0-based), when it is one invoice's fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_index: Option<usize>,
    /// EN 16931 rule ids broken, if that is why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub status: FileStatus,
    /// Invoices read from the file.
    pub invoices: usize,
    pub created: usize,
    pub unchanged: usize,
    /// Ids of the invoices recorded or found unchanged (first 1,000).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invoice_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Choices made while mapping (first 50).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FileReport {
    /// Nothing recorded yet: refused until it says otherwise.
    fn new(file: &str, format: Option<&str>) -> FileReport {
        FileReport {
            file: file.to_string(),
            format: format.map(str::to_string),
            status: FileStatus::Refused,
            invoices: 0,
            created: 0,
            unchanged: 0,
            invoice_ids: Vec::new(),
            problem: None,
            notes: Vec::new(),
        }
    }

    pub fn refused(file: &str, format: Option<&str>, e: &DocumentError) -> FileReport {
        FileReport {
            problem: Some(document_problem(e, None)),
            ..FileReport::new(file, format)
        }
    }
}

fn document_problem(e: &DocumentError, index: Option<usize>) -> Problem {
    let rules = match e {
        DocumentError::Rules { violations } => {
            violations.iter().map(|v| v.rule.to_string()).collect()
        }
        _ => Vec::new(),
    };
    Problem {
        code: e.code().to_string(),
        message: e.to_string(),
        invoice_index: index,
        rules,
    }
}

/// Why a file's transaction was rolled back.
enum Failure {
    Document(usize, DocumentError),
    Service(Option<usize>, ServiceError),
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Failure::Service(None, ServiceError::from(e))
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure::Service(None, e)
    }
}

#[derive(Default)]
struct Tally {
    invoices: usize,
    created: usize,
    unchanged: usize,
    ids: Vec<String>,
    notes: Vec<String>,
}

/// Parties and numbers already resolved in this file.
#[derive(Default)]
struct Resolved {
    sellers: HashMap<(Option<String>, Option<String>), String>,
    buyers: HashMap<String, String>,
    /// (seller id, number) of the file's invoices so far, for credit notes
    /// that reference an invoice of the same file.
    numbers: HashSet<(String, String)>,
    /// Each legal id looked up in this file (normalized): its buyer, or
    /// `None` when no buyer holds it. Filled a batch at a time, and by the
    /// buyers this file creates.
    owners: HashMap<(LegalIdScheme, String), Option<String>>,
    /// Buyers created by the batch being resolved, written before its
    /// invoices.
    new_buyers: Vec<BuyerRow>,
    new_legal_ids: Vec<LegalIdRow>,
}

/// Looks up, in one query per scheme and 900 values, the legal ids of the
/// batch's buyers not resolved yet (one query per id and buyer cost an
/// import of 100,000 new buyers 400,000 round trips on PostgreSQL).
fn look_up_legal_ids(
    conn: &mut DbConnection,
    resolved: &mut Resolved,
    batch: &[MappedInvoice],
) -> Result<(), ServiceError> {
    let mut wanted: HashMap<LegalIdScheme, Vec<String>> = HashMap::new();
    for m in batch {
        if resolved.buyers.contains_key(&m.buyer.key()) {
            continue;
        }
        for id in m.buyer.verified.iter().chain(&m.buyer.unverified) {
            let key = (id.scheme, normalize_legal_id(id.scheme, &id.value));
            if !resolved.owners.contains_key(&key) {
                wanted.entry(key.0).or_default().push(key.1);
            }
        }
    }
    for (scheme, mut values) in wanted {
        values.sort_unstable();
        values.dedup();
        for chunk in values.chunks(900) {
            let found: Vec<(String, String)> = buyer_legal_ids::table
                .filter(
                    buyer_legal_ids::scheme
                        .eq(scheme.as_str())
                        .and(buyer_legal_ids::value.eq_any(chunk)),
                )
                .select((buyer_legal_ids::value, buyer_legal_ids::buyer_id))
                .load(conn)?;
            for value in chunk {
                resolved.owners.insert((scheme, value.clone()), None);
            }
            for (value, owner) in found {
                resolved.owners.insert((scheme, value), Some(owner));
            }
        }
    }
    Ok(())
}

/// Writes the buyers the batch created, with their legal ids: two
/// multi-row inserts.
fn write_new_buyers(conn: &mut DbConnection, resolved: &mut Resolved) -> Result<(), ServiceError> {
    if !resolved.new_buyers.is_empty() {
        crate::insert_rows!(conn, buyers::table, resolved.new_buyers.as_slice())?;
        crate::insert_rows!(
            conn,
            buyer_legal_ids::table,
            resolved.new_legal_ids.as_slice()
        )?;
    }
    resolved.new_buyers.clear();
    resolved.new_legal_ids.clear();
    Ok(())
}

/// Records the documents of one file, whole or not at all. `progress` is
/// called after each batch with the number of invoices done.
pub fn import_documents<I>(
    conn: &mut DbConnection,
    ctx: &Context,
    file: &str,
    format: &str,
    documents: I,
    batch: usize,
    progress: &mut dyn FnMut(usize),
) -> FileReport
where
    I: Iterator<Item = Result<EInvoice, DocumentError>> + Send,
{
    let outcome = write_tx(conn, |conn| {
        // Reading and mapping run on a thread of their own, a batch ahead
        // of the recording: on two cores the CSV/XML parsing of the next
        // batch overlaps the database work of this one.
        let mut tally = Tally::default();
        let mut resolved = Resolved::default();
        pipelined(
            batch,
            |batches| read_batches(documents, batches),
            |pending| {
                record_batch(conn, ctx, &mut resolved, &mut tally, &pending)?;
                progress(tally.invoices);
                Ok(())
            },
        )?;
        Ok::<Tally, Failure>(tally)
    });
    let mut report = FileReport::new(file, Some(format));
    match outcome {
        Ok(t) => {
            report.status = if t.created > 0 {
                FileStatus::Imported
            } else if t.invoices > 0 {
                FileStatus::Unchanged
            } else {
                report.problem = Some(Problem {
                    code: "file_empty".into(),
                    message: "the file holds no invoice".into(),
                    invoice_index: None,
                    rules: Vec::new(),
                });
                FileStatus::Refused
            };
            report.invoices = t.invoices;
            report.created = t.created;
            report.unchanged = t.unchanged;
            report.invoice_ids = t.ids;
            report.notes = t.notes;
        }
        Err(Failure::Document(index, e)) => {
            report.problem = Some(document_problem(&e, Some(index)));
        }
        Err(Failure::Service(index, e)) => {
            if matches!(&e, ServiceError::Conflict { code, .. } if *code == "invoice_number_conflict")
            {
                report.status = FileStatus::Conflict;
            }
            report.problem = Some(Problem {
                code: e.code().to_string(),
                message: e.to_string(),
                invoice_index: index,
                rules: Vec::new(),
            });
        }
    }
    report
}

/// Reads and maps the documents and hands them over; the first document
/// that cannot be read or mapped ends the stream with its error. Returns
/// early when the recording side has stopped.
fn read_batches<I>(documents: I, batches: &mut Handoff<MappedInvoice>) -> Result<(), Failure>
where
    I: Iterator<Item = Result<EInvoice, DocumentError>>,
{
    for (index, doc) in documents.enumerate() {
        let mapped = doc
            .and_then(|doc| map_document(&doc))
            .map_err(|e| Failure::Document(index, e))?;
        if !batches.push(mapped) {
            break;
        }
    }
    Ok(())
}

fn record_batch(
    conn: &mut DbConnection,
    ctx: &Context,
    resolved: &mut Resolved,
    tally: &mut Tally,
    batch: &[MappedInvoice],
) -> Result<(), Failure> {
    let first = tally.invoices;
    look_up_legal_ids(conn, resolved, batch).map_err(|e| Failure::Service(None, e))?;
    let mut valid: Vec<ValidInvoice> = Vec::with_capacity(batch.len());
    for (offset, m) in batch.iter().enumerate() {
        let index = first + offset;
        let at = |e: ServiceError| Failure::Service(Some(index), e);
        let seller_id = resolve_seller(conn, resolved, &m.seller).map_err(at)?;
        let buyer_id = resolve_buyer(conn, resolved, &m.buyer).map_err(at)?;
        let mut invoice = m.invoice.clone();
        invoice.seller = seller_id.clone();
        invoice.buyer = BuyerRef::Id(buyer_id);
        if let Some(target) = invoice.credited_invoice.clone() {
            let key = (seller_id.clone(), target.clone());
            if !resolved.numbers.contains(&key) && !invoice_exists(conn, &seller_id, &target)? {
                note(
                    tally,
                    format!(
                        "credit note {}: invoice {target} is not recorded, the credit stays on the buyer's account",
                        invoice.number
                    ),
                );
                invoice.credited_invoice = None;
            }
        }
        if invoice.kind == InvoiceKind::Invoice {
            resolved.numbers.insert((seller_id, invoice.number.clone()));
        }
        for n in &m.notes {
            note(tally, format!("{}: {n}", invoice.number));
        }
        valid.push(invoice);
    }
    write_new_buyers(conn, resolved).map_err(|e| Failure::Service(None, e))?;
    let recorded = record_valid(conn, ctx, &valid).map_err(|e| {
        // record_valid names the item as "[i]..." within the batch.
        Failure::Service(None, e)
    })?;
    for r in recorded {
        match r.status {
            RecordStatus::Created => tally.created += 1,
            RecordStatus::Unchanged => tally.unchanged += 1,
        }
        if tally.ids.len() < 1_000 {
            tally.ids.push(r.invoice.id);
        }
    }
    tally.invoices += batch.len();
    Ok(())
}

fn note(tally: &mut Tally, text: String) {
    if tally.notes.len() < 50 {
        tally.notes.push(text);
    }
}

fn invoice_exists(
    conn: &mut DbConnection,
    seller_id: &str,
    number: &str,
) -> Result<bool, ServiceError> {
    let found: Option<String> = invoices::table
        .filter(
            invoices::seller_id
                .eq(seller_id)
                .and(invoices::number.eq(number))
                .and(invoices::kind.eq(InvoiceKind::Invoice.as_str())),
        )
        .select(invoices::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The seller must be one of ours, found by VAT number or SIREN.
fn resolve_seller(
    conn: &mut DbConnection,
    resolved: &mut Resolved,
    keys: &SellerKeys,
) -> Result<String, ServiceError> {
    let cache_key = (keys.vat.clone(), keys.siren.clone());
    if let Some(id) = resolved.sellers.get(&cache_key) {
        return Ok(id.clone());
    }
    for key in keys.vat.iter().chain(&keys.siren) {
        if let Some(seller) = find_seller(conn, key)? {
            resolved.sellers.insert(cache_key, seller.id.clone());
            return Ok(seller.id);
        }
    }
    Err(ServiceError::NotFound {
        code: "seller_not_configured",
        what: "seller (by VAT or SIREN)",
        id: match (&keys.vat, &keys.siren) {
            (None, None) => "none stated".to_string(),
            (vat, siren) => [vat.as_deref(), siren.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / "),
        },
    })
}

/// A buyer found by any of its legal ids (all must agree), or by name and
/// country when the document states no id; else created.
fn resolve_buyer(
    conn: &mut DbConnection,
    resolved: &mut Resolved,
    identity: &BuyerIdentity,
) -> Result<String, ServiceError> {
    let key = identity.key();
    if let Some(id) = resolved.buyers.get(&key) {
        return Ok(id.clone());
    }
    let mut found: Option<(String, &LegalId)> = None;
    for id in identity.verified.iter().chain(&identity.unverified) {
        let value = normalize_legal_id(id.scheme, &id.value);
        let owner = match resolved.owners.get(&(id.scheme, value)) {
            Some(owner) => owner.clone(),
            None => find_buyer_id_by_legal_id(
                conn,
                &LegalIdInput {
                    scheme: id.scheme,
                    value: id.value.clone(),
                },
            )?,
        };
        if let Some(owner) = owner {
            match &found {
                Some((other, by)) if *other != owner => {
                    return Err(ServiceError::Conflict {
                        code: "buyer_ids_disagree",
                        message: format!(
                        "the buyer's {by} belongs to buyer {other} but its {id} to buyer {owner}"
                    ),
                    })
                }
                _ => found = Some((owner, id)),
            }
        }
    }
    let buyer_id = match found {
        Some((id, _)) => id,
        None if identity.verified.is_empty() && identity.unverified.is_empty() => {
            match buyers::table
                .filter(
                    buyers::name
                        .eq(&identity.name)
                        .and(buyers::country.eq(identity.country.as_deref().unwrap_or(""))),
                )
                .select(buyers::id)
                .order(buyers::created_at)
                .first::<String>(conn)
                .optional()?
            {
                Some(id) => id,
                None => create(resolved, identity)?,
            }
        }
        None => create(resolved, identity)?,
    };
    resolved.buyers.insert(key, buyer_id.clone());
    Ok(buyer_id)
}

/// A new buyer for `identity`, kept in `resolved` until the batch writes
/// it: its legal ids are known to belong to nobody (looked up above), and
/// the database's unique key on them refuses a buyer another transaction
/// created meanwhile.
fn create(resolved: &mut Resolved, identity: &BuyerIdentity) -> Result<String, ServiceError> {
    let country = identity.country.clone().ok_or_else(|| ServiceError::Invalid {
        code: "buyer_country_missing",
        field: Some("buyer_country".into()),
        message: format!(
            "BR-11: buyer '{}' is not known by any of its ids and a new buyer needs its country code",
            identity.name
        ),
    })?;
    let row = BuyerRow {
        id: new_id(),
        name: identity.name.clone(),
        country,
        created_at: now(),
    };
    let ids = (identity.verified.iter().map(|l| (l, 1)))
        .chain(identity.unverified.iter().map(|l| (l, 0)));
    for (l, verified) in ids {
        resolved.owners.insert(
            (l.scheme, normalize_legal_id(l.scheme, &l.value)),
            Some(row.id.clone()),
        );
        resolved.new_legal_ids.push(LegalIdRow {
            scheme: l.scheme.as_str().to_string(),
            value: l.value.clone(),
            buyer_id: row.id.clone(),
            verified,
        });
    }
    let id = row.id.clone();
    resolved.new_buyers.push(row);
    Ok(id)
}
