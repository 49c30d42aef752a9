//! Invoices and credit notes: one object, or an array recorded whole or not
//! at all.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::api::call::{check_limit, json_problem, parse_json, Call, Items, Reply};
use crate::api::problem::Problem;
use crate::domain::invoice::{InvoiceInput, InvoiceKind};
use crate::service::invoices::{self, InvoiceFilter, RecordStatus, Recorded};
use crate::service::{ledger, ServiceError};

/// The body of a POST: one invoice, or a batch.
enum Posted {
    One(Box<InvoiceInput>),
    Batch(Vec<InvoiceInput>),
}

fn is_array(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// A batch with the item at fault named: `[3].net`.
fn parse_batch(body: &[u8]) -> Result<Vec<InvoiceInput>, Problem> {
    let err = match serde_json::from_slice::<Vec<InvoiceInput>>(body) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut problem = json_problem(err);
    // The syntax is sound: find the first item of the wrong shape.
    if let Ok(values) = serde_json::from_slice::<Vec<serde_json::Value>>(body) {
        for (i, v) in values.into_iter().enumerate() {
            if let Err(e) = serde_json::from_value::<InvoiceInput>(v) {
                let item = json_problem(e);
                problem.detail = format!("[{i}]: {}", problem.detail);
                problem.field = Some(match item.field {
                    Some(f) => format!("[{i}].{f}"),
                    None => format!("[{i}]"),
                });
                break;
            }
        }
    }
    Err(problem)
}

#[derive(Deserialize)]
struct KindProbe {
    #[serde(default)]
    kind: Option<serde_json::Value>,
}

/// On /v1/credit-notes every item is a credit note: an item that says
/// otherwise is refused, one that says nothing becomes one.
fn force_credit_notes(body: &[u8], posted: &mut Posted) -> Result<(), Problem> {
    let probes: Vec<KindProbe> = match posted {
        Posted::One(_) => vec![parse_json(body)?],
        Posted::Batch(_) => parse_json(body)?,
    };
    let batch = matches!(posted, Posted::Batch(_));
    for (i, probe) in probes.iter().enumerate() {
        if let Some(kind) = &probe.kind {
            if kind.as_str() != Some(InvoiceKind::CreditNote.as_str()) {
                let field = if batch {
                    format!("[{i}].kind")
                } else {
                    "kind".to_string()
                };
                return Err(Problem::unprocessable(
                    "kind_mismatch",
                    field.clone(),
                    format!("{field}: this route records credit notes; kind must be credit_note or absent"),
                ));
            }
        }
    }
    match posted {
        Posted::One(i) => i.kind = InvoiceKind::CreditNote,
        Posted::Batch(v) => v.iter_mut().for_each(|i| i.kind = InvoiceKind::CreditNote),
    }
    Ok(())
}

#[derive(Serialize)]
struct BatchReply {
    created: usize,
    unchanged: usize,
    items: Vec<Recorded>,
}

async fn create(call: Call, credit_notes: bool) -> Result<Reply, Problem> {
    let mut posted = if is_array(&call.body) {
        Posted::Batch(parse_batch(&call.body)?)
    } else {
        Posted::One(Box::new(call.json()?))
    };
    if credit_notes {
        force_credit_notes(&call.body, &mut posted)?;
    }
    match posted {
        Posted::One(input) => {
            let recorded = call
                .db(move |conn, ctx| invoices::record_invoice(conn, ctx, &input))
                .await?;
            let status = match recorded.status {
                RecordStatus::Created => StatusCode::CREATED,
                RecordStatus::Unchanged => StatusCode::OK,
            };
            Reply::json(status, &recorded.invoice)
        }
        Posted::Batch(inputs) => {
            if inputs.is_empty() {
                return Err(Problem::unprocessable(
                    "batch_empty",
                    "",
                    "the batch holds no invoice",
                ));
            }
            let items = call
                .db(move |conn, ctx| invoices::record_invoices(conn, ctx, &inputs))
                .await?;
            let created = items
                .iter()
                .filter(|r| r.status == RecordStatus::Created)
                .count();
            let reply = BatchReply {
                created,
                unchanged: items.len() - created,
                items,
            };
            let status = if created > 0 {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Reply::json(status, &reply)
        }
    }
}

pub async fn create_invoices(call: Call) -> Result<Reply, Problem> {
    create(call, false).await
}

pub async fn create_credit_notes(call: Call) -> Result<Reply, Problem> {
    create(call, true).await
}

async fn list(call: Call, filter: InvoiceFilter) -> Result<Reply, Problem> {
    check_limit(filter.limit)?;
    let page = call
        .db(move |conn, _| invoices::list_invoices(conn, &filter))
        .await?;
    Reply::ok(&Items::from(page))
}

pub async fn list_invoices(call: Call) -> Result<Reply, Problem> {
    let filter: InvoiceFilter = call.query()?;
    list(call, filter).await
}

pub async fn list_credit_notes(call: Call) -> Result<Reply, Problem> {
    let mut filter: InvoiceFilter = call.query()?;
    if filter.kind.is_some_and(|k| k != InvoiceKind::CreditNote) {
        return Err(
            Problem::query_invalid("kind: this route lists credit notes only").with_field("kind"),
        );
    }
    filter.kind = Some(InvoiceKind::CreditNote);
    list(call, filter).await
}

/// An invoice or a credit note, by our id.
pub async fn get_invoice(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let invoice = call
        .db(move |conn, _| invoices::get_invoice(conn, &id))
        .await?;
    Reply::ok(&invoice)
}

pub async fn get_credit_note(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let invoice = call
        .db(move |conn, _| {
            let found = invoices::get_invoice(conn, &id).map_err(|e| match e {
                ServiceError::NotFound { .. } => {
                    ServiceError::not_found("credit_note_not_found", "credit note", &id)
                }
                other => other,
            })?;
            if found.kind != InvoiceKind::CreditNote {
                return Err(ServiceError::not_found(
                    "credit_note_not_found",
                    "credit note",
                    &id,
                ));
            }
            Ok(found)
        })
        .await?;
    Reply::ok(&invoice)
}

/// The journal entries the invoice caused (its sales entry, and any entry
/// naming it as its event).
pub async fn invoice_entries(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let entries = call
        .db(move |conn, _| {
            invoices::get_invoice(conn, &id)?;
            ledger::entries_for_event(conn, &id)
        })
        .await?;
    Reply::ok(&Items::all(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_name_the_item() {
        let body = br#"[
          {"seller":"s","buyer_id":"b","number":"1","issue_date":"2025-01-01","due_date":"2025-01-31","currency":"EUR","net":"1","tax":"0","gross":"1"},
          {"seller":"s","buyer_id":"b","issue_date":"2025-01-01","due_date":"2025-01-31","currency":"EUR","net":"1","tax":"0","gross":"1"}
        ]"#;
        let p = parse_batch(body).unwrap_err();
        assert_eq!(p.code, "json_invalid");
        assert_eq!(p.field.as_deref(), Some("[1].number"));
        assert!(
            p.detail.starts_with("[1]: missing field `number`"),
            "{}",
            p.detail
        );
        assert!(p.detail.contains("line 3"), "{}", p.detail);
    }

    #[test]
    fn arrays_are_batches() {
        assert!(is_array(b"  \n[{}]"));
        assert!(!is_array(b"{}"));
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentQuery {
    /// `ubl` (default) or `cii`.
    syntax: Option<String>,
}

/// The invoice as an e-invoice document: UBL 2.1 or CII (XML).
pub async fn get_invoice_document(call: Call) -> Result<Reply, Problem> {
    use crate::formats::einvoice::{cii_write::write_cii, ubl_write::write_ubl, Syntax};
    let q: DocumentQuery = call.query()?;
    let syntax = match q.syntax.as_deref().unwrap_or("ubl") {
        "ubl" => Syntax::Ubl,
        "cii" => Syntax::Cii,
        other => {
            return Err(
                Problem::query_invalid(format!("syntax: '{other}' is not ubl or cii"))
                    .with_field("syntax"),
            )
        }
    };
    let id = call.param("id").to_string();
    let doc = call
        .db(move |conn, _| crate::service::documents::invoice_document(conn, &id, syntax))
        .await?;
    let mut xml = Vec::with_capacity(8192);
    let written = match syntax {
        Syntax::Cii => write_cii(&doc, &mut xml),
        _ => write_ubl(&doc, &mut xml),
    };
    written.map_err(|e| {
        tracing::error!(error = %e, "document writing failed");
        Problem::internal()
    })?;
    Ok(Reply {
        status: StatusCode::OK,
        content_type: "application/xml",
        body: actix_web::web::Bytes::from(xml),
        headers: Vec::new(),
    })
}
