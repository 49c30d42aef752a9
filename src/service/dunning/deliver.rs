//! Delivery of recorded dunning actions, outside any transaction: letters
//! and formal notices written as HTML files under the letters folder,
//! e-mails sent over SMTP (lettre). Each action is marked once delivered,
//! so a crash loses nothing: what was not marked is delivered by the next
//! run (an e-mail may then go twice, never zero times; a letter's file is
//! written again, identical).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use serde::Serialize;

use super::render::{render_letter, MessageFacts, Rendered};
use super::{Action, DunningSettings, SmtpConfig};
use crate::service::{now, ServiceError};
use crate::store::schema::{buyers, dunning_actions, invoices, sellers};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub written: usize,
    pub failed: usize,
    /// E-mails waiting because no `[smtp]` server is configured.
    pub waiting_for_smtp: usize,
}

fn mark(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    file: Option<&str>,
    error: Option<&str>,
) -> Result<(), ServiceError> {
    diesel::update(dunning_actions::table.find(id))
        .set((
            dunning_actions::state.eq(state),
            dunning_actions::file_path.eq(file),
            dunning_actions::last_error.eq(error),
            dunning_actions::attempts.eq(dunning_actions::attempts + 1),
            dunning_actions::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn transport(cfg: &SmtpConfig) -> Result<SmtpTransport, String> {
    let tls = cfg.tls.as_deref().unwrap_or("starttls");
    let builder = match tls {
        "none" => SmtpTransport::builder_dangerous(cfg.host.as_str()).port(cfg.port.unwrap_or(25)),
        "starttls" => SmtpTransport::starttls_relay(&cfg.host)
            .map_err(|e| e.to_string())?
            .port(cfg.port.unwrap_or(587)),
        "tls" => SmtpTransport::relay(&cfg.host)
            .map_err(|e| e.to_string())?
            .port(cfg.port.unwrap_or(465)),
        other => return Err(format!("smtp.tls '{other}' is not none, starttls or tls")),
    };
    let builder = builder.timeout(Some(Duration::from_millis(
        cfg.timeout_ms.unwrap_or(10_000),
    )));
    let builder = match (&cfg.username, &cfg.password_env) {
        (Some(user), Some(var)) => {
            let password = std::env::var(var)
                .map_err(|_| format!("smtp.password_env: variable {var} is not set"))?;
            builder.credentials(Credentials::new(user.clone(), password))
        }
        _ => builder,
    };
    Ok(builder.build())
}

fn email(from: &Mailbox, a: &Action) -> Result<Message, String> {
    let to: Mailbox = a
        .recipient
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("recipient: {e}"))?;
    let text = a.body.clone().unwrap_or_default();
    // 8bit when every line is short enough, else quoted-printable.
    let body = Body::new_with_encoding(text.clone(), ContentTransferEncoding::EightBit)
        .or_else(|_| Body::new_with_encoding(text, ContentTransferEncoding::QuotedPrintable))
        .map_err(|_| "body cannot be encoded".to_string())?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(a.subject.clone().unwrap_or_default())
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(body),
        )
        .map_err(|e| e.to_string())
}

/// A file name of the invoice number's safe characters.
fn file_name(a: &Action, number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-step{}-{}.html", a.step_no, a.id)
}

/// What a letter's page needs beyond the action: the invoice number, the
/// buyer's and the seller's names, by invoice id.
type LetterFacts = HashMap<String, (String, String, String)>;

fn letter_facts(conn: &mut DbConnection, letters: &[&Action]) -> Result<LetterFacts, ServiceError> {
    let ids: Vec<&str> = letters.iter().map(|a| a.invoice_id.as_str()).collect();
    let mut facts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String, String, String)> = invoices::table
            .inner_join(buyers::table.on(buyers::id.eq(invoices::buyer_id)))
            .inner_join(sellers::table.on(sellers::id.eq(invoices::seller_id)))
            .filter(invoices::id.eq_any(chunk))
            .select((invoices::id, invoices::number, buyers::name, sellers::name))
            .load(conn)?;
        facts.extend(rows.into_iter().map(|(id, n, b, s)| (id, (n, b, s))));
    }
    Ok(facts)
}

fn write_letter(
    folder: &Path,
    a: &Action,
    (number, buyer_name, seller_name): &(String, String, String),
) -> Result<Result<PathBuf, String>, ServiceError> {
    let facts = MessageFacts {
        language: a.language.clone(),
        seller_name: seller_name.clone(),
        buyer_name: buyer_name.clone(),
        invoice_number: number.clone(),
        issue_date: String::new(),
        due_date: String::new(),
        as_of: a.run_on.to_string(),
        open_amount: String::new(),
        days_late: 0,
        interest: String::new(),
        indemnity: String::new(),
        total_due: String::new(),
        rate_text: String::new(),
    };
    let html = render_letter(
        &facts,
        &Rendered {
            subject: a.subject.clone().unwrap_or_default(),
            body: a.body.clone().unwrap_or_default(),
        },
    )?;
    let path = folder.join(file_name(a, number));
    let written = std::fs::write(&path, html)
        .map(|_| path)
        .map_err(|e| format!("{}: {e}", folder.display()));
    Ok(written)
}

/// Writes a page's letters and marks them in one transaction. A crash
/// before the commit leaves them waiting: the next run writes the same
/// files again (same names, same content), so nothing is lost and no
/// letter exists twice.
fn deliver_letters(
    conn: &mut DbConnection,
    dir: &Path,
    letters: &[&Action],
    report: &mut DeliveryReport,
) -> Result<(), ServiceError> {
    if letters.is_empty() {
        return Ok(());
    }
    let facts = letter_facts(conn, letters)?;
    let mut folders: HashMap<NaiveDate, Result<PathBuf, String>> = HashMap::new();
    let mut outcomes: Vec<(&str, Result<String, String>)> = Vec::with_capacity(letters.len());
    for a in letters {
        let folder = folders.entry(a.run_on).or_insert_with(|| {
            let folder = dir.join(a.run_on.to_string());
            std::fs::create_dir_all(&folder)
                .map(|_| folder.clone())
                .map_err(|e| format!("{}: {e}", folder.display()))
        });
        let written = match (folder, facts.get(&a.invoice_id)) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), None) => Err(format!("invoice {} not found", a.invoice_id)),
            (Ok(folder), Some(f)) => write_letter(folder, a, f)?,
        };
        outcomes.push((&a.id, written.map(|p| p.display().to_string())));
    }
    write_tx(conn, |conn| {
        for (id, outcome) in &outcomes {
            match outcome {
                Ok(path) => mark(conn, id, "written", Some(path), None)?,
                Err(e) => mark(conn, id, "failed", None, Some(e))?,
            }
        }
        Ok::<_, ServiceError>(())
    })?;
    for (_, outcome) in &outcomes {
        match outcome {
            Ok(_) => report.written += 1,
            Err(_) => report.failed += 1,
        }
    }
    Ok(())
}

/// Delivers every action waiting (`to_send`, or `failed` under the attempt
/// limit), page by page: the waiting ids are read first (through the
/// state index), then each page of 500 by id. E-mails are marked one by
/// one as they go (a crash may send one twice, never zero times); letters
/// a page at a time.
pub fn deliver_pending(
    conn: &mut DbConnection,
    settings: &DunningSettings,
) -> Result<DeliveryReport, ServiceError> {
    let _span = tracing::info_span!("dunning_delivery").entered();
    let mut report = DeliveryReport::default();
    let mailer = settings.smtp.as_ref().map(|cfg| {
        let from = cfg
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("smtp.from: {e}"));
        transport(cfg).and_then(|t| from.map(|f| (t, f)))
    });
    let waiting = dunning_actions::state
        .eq("to_send")
        .or(dunning_actions::state
            .eq("failed")
            .and(dunning_actions::attempts.lt(settings.max_attempts)));
    let mut pending: Vec<String> = dunning_actions::table
        .filter(waiting)
        .select(dunning_actions::id)
        .load(conn)?;
    pending.sort_unstable();
    for ids in pending.chunks(500) {
        // Read again with the state filter: a delivery running alongside may
        // have taken some of them since.
        let page: Vec<Action> = dunning_actions::table
            .filter(dunning_actions::id.eq_any(ids))
            .filter(waiting)
            .order(dunning_actions::id)
            .select(Action::as_select())
            .load(conn)?;
        let (emails, letters): (Vec<&Action>, Vec<&Action>) =
            page.iter().partition(|a| a.channel == "email");
        for a in emails {
            match &mailer {
                None => report.waiting_for_smtp += 1,
                Some(Err(e)) => {
                    mark(conn, &a.id, "failed", None, Some(e))?;
                    report.failed += 1;
                }
                Some(Ok((t, from))) => {
                    match email(from, a).and_then(|m| t.send(&m).map_err(|e| e.to_string())) {
                        Ok(_) => {
                            mark(conn, &a.id, "sent", None, None)?;
                            report.sent += 1;
                        }
                        Err(e) => {
                            tracing::warn!(action = %a.id, error = %e, "dunning e-mail failed");
                            mark(conn, &a.id, "failed", None, Some(&e))?;
                            report.failed += 1;
                        }
                    }
                }
            }
        }
        deliver_letters(conn, &settings.letters_dir, &letters, &mut report)?;
    }
    Ok(report)
}
