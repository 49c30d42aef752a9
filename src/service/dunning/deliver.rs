//! Delivery of recorded dunning actions, outside any transaction: letters
//! and formal notices written as HTML files under the letters folder,
//! e-mails sent over SMTP (lettre). Each action is marked as it goes, so a
//! crash loses nothing: what was not marked is delivered by the next run
//! (an e-mail may then go twice, never zero times).

use std::path::{Path, PathBuf};
use std::time::Duration;

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
use crate::store::DbConnection;

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

fn write_letter(
    conn: &mut DbConnection,
    dir: &Path,
    a: &Action,
) -> Result<Result<PathBuf, String>, ServiceError> {
    let (number, buyer_name, seller_name): (String, String, String) = invoices::table
        .inner_join(buyers::table.on(buyers::id.eq(invoices::buyer_id)))
        .inner_join(sellers::table.on(sellers::id.eq(invoices::seller_id)))
        .filter(invoices::id.eq(&a.invoice_id))
        .select((invoices::number, buyers::name, sellers::name))
        .first(conn)?;
    let facts = MessageFacts {
        language: a.language.clone(),
        seller_name,
        buyer_name,
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
    let folder = dir.join(a.run_on.to_string());
    let path = folder.join(file_name(a, &number));
    let written = std::fs::create_dir_all(&folder)
        .and_then(|_| std::fs::write(&path, html))
        .map(|_| path)
        .map_err(|e| format!("{}: {e}", folder.display()));
    Ok(written)
}

/// Delivers every action waiting (`to_send`, or `failed` under the attempt
/// limit), page by page.
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
    let mut after = String::new();
    loop {
        let page: Vec<Action> = dunning_actions::table
            .filter(
                dunning_actions::state
                    .eq("to_send")
                    .or(dunning_actions::state
                        .eq("failed")
                        .and(dunning_actions::attempts.lt(settings.max_attempts))),
            )
            .filter(dunning_actions::id.gt(&after))
            .order(dunning_actions::id)
            .limit(500)
            .select(Action::as_select())
            .load(conn)?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for a in &page {
            if a.channel == "email" {
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
            } else {
                match write_letter(conn, &settings.letters_dir, a)? {
                    Ok(path) => {
                        mark(
                            conn,
                            &a.id,
                            "written",
                            Some(&path.display().to_string()),
                            None,
                        )?;
                        report.written += 1;
                    }
                    Err(e) => {
                        mark(conn, &a.id, "failed", None, Some(&e))?;
                        report.failed += 1;
                    }
                }
            }
        }
    }
    Ok(report)
}
