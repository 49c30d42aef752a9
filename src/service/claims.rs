//! Overdue notifications and claims under a credit insurance policy, with
//! their postings: a claimed receivable becomes doubtful (416); the
//! indemnity is income (7587); the loss is written off net of the VAT
//! recovered (654, 44571). The indemnity is capped by what remains of the
//! policy's yearly maximum liability.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::insurance::get_policy;
use super::insurer_calls::{queue_claim, queue_notice};
use super::invoices::{get_invoice, Invoice};
use super::ledger::post;
use super::{new_id, now, Context, ServiceError};
use crate::domain::cover::{deadlines, indemnity, terms_at, vat_within, PolicyTerms};
use crate::domain::insurance_money::{cap_indemnity, policy_year, CapReason};
use crate::domain::invoice::{InvoiceKind, InvoiceState};
use crate::ledger::insurance_posting::{post_claim_filed, post_claim_paid, ClaimFacts};
use crate::money::{Currency, Money};
use crate::store::rows::{ClaimRow, NoticeRow};
use crate::store::schema::{
    insurance_claims as claims, insurance_notices as notices, insurance_policies, invoices,
};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: String,
    pub policy_id: String,
    pub invoice_id: String,
    pub kind: String,
    pub notified_on: NaiveDate,
    pub notify_by: NaiveDate,
    /// Notified after the deadline: cover is lost for this invoice.
    pub late: bool,
    /// The outbox message sending it, when the policy has an insurer
    /// connection (the insurer's reference follows on the notice).
    pub outbox_message: Option<String>,
}

fn invalid(code: &'static str, field: &str, message: String) -> ServiceError {
    ServiceError::invalid(code, field, message)
}

/// The invoice and the policy terms it was sold under.
pub(crate) fn insured(
    conn: &mut DbConnection,
    policy_id: &str,
    invoice_id: &str,
) -> Result<(Invoice, PolicyTerms, Currency), ServiceError> {
    let policy = get_policy(conn, policy_id)?;
    let invoice = get_invoice(conn, invoice_id)?;
    if invoice.kind != InvoiceKind::Invoice || invoice.currency != policy.currency {
        return Err(invalid(
            "invoice_not_insured",
            "invoice_id",
            format!(
                "invoice {} is not an invoice in the policy currency {}",
                invoice.number, policy.currency
            ),
        ));
    }
    let terms = terms_at(&policy.versions, invoice.issue_date)
        .cloned()
        .ok_or_else(|| {
            invalid(
                "invoice_not_insured",
                "invoice_id",
                format!("no policy terms in force on {}", invoice.issue_date),
            )
        })?;
    let currency = invoice.open.currency();
    Ok((invoice, terms, currency))
}

/// Notifies the insurer of an overdue invoice. Recorded even when late (it
/// is what happened), marked late: the invoice has lost its cover.
pub fn notify_overdue(
    conn: &mut DbConnection,
    policy_id: &str,
    invoice_id: &str,
    kind: &str,
    notified_on: NaiveDate,
) -> Result<Notice, ServiceError> {
    if !matches!(kind, "overdue" | "extension" | "payment_plan") {
        return Err(invalid(
            "notice_kind_invalid",
            "kind",
            format!("'{kind}' is not overdue, extension or payment_plan"),
        ));
    }
    let (invoice, terms, _) = insured(conn, policy_id, invoice_id)?;
    if invoice.open.minor() <= 0 || invoice.due_date >= notified_on {
        return Err(invalid(
            "invoice_not_overdue",
            "invoice_id",
            format!("invoice {} is not overdue on {notified_on}", invoice.number),
        ));
    }
    let notify_by = deadlines(invoice.due_date, &terms).notify_by;
    let row = NoticeRow {
        id: new_id(),
        policy_id: policy_id.to_string(),
        invoice_id: invoice.id.clone(),
        kind: kind.to_string(),
        notified_on,
        late: i32::from(notified_on > notify_by),
        created_at: now(),
    };
    let outbox_message = write_tx(conn, |conn| {
        let exists: i64 = notices::table
            .filter(
                notices::policy_id
                    .eq(&row.policy_id)
                    .and(notices::invoice_id.eq(&row.invoice_id))
                    .and(notices::kind.eq(&row.kind)),
            )
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(ServiceError::Conflict {
                code: "notice_exists",
                message: format!("invoice {} was already notified ({kind})", invoice.number),
            });
        }
        diesel::insert_into(notices::table)
            .values(&row)
            .execute(conn)?;
        // Only an overdue notice has an insurer call; extensions and payment
        // plans are still agreed by a person.
        if row.kind == "overdue" {
            queue_notice(conn, &row.policy_id, &row.id, &invoice)
        } else {
            Ok(None)
        }
    })?;
    Ok(Notice {
        id: row.id,
        policy_id: row.policy_id,
        invoice_id: row.invoice_id,
        kind: row.kind,
        notified_on,
        notify_by,
        late: row.late != 0,
        outbox_message,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: String,
    pub policy_id: String,
    pub invoice_id: String,
    pub state: String,
    pub filed_on: NaiveDate,
    pub loss: Money,
    pub loss_vat: Money,
    pub indemnity: Option<Money>,
    /// The outbox message filing it with the insurer, when the policy has
    /// an insurer connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox_message: Option<String>,
    /// What the terms gave before the yearly maximum, when it lowered it.
    pub indemnity_uncapped: Option<Money>,
    /// Why the indemnity is lower than the terms give (a stable code).
    pub capped_by: Option<CapReason>,
}

pub(crate) fn to_claim(row: ClaimRow, currency: Currency) -> Claim {
    Claim {
        loss: Money::new(row.loss_gross_minor, currency),
        loss_vat: Money::new(row.loss_vat_minor, currency),
        indemnity: row.indemnity_minor.map(|m| Money::new(m, currency)),
        indemnity_uncapped: row
            .indemnity_uncapped_minor
            .map(|m| Money::new(m, currency)),
        capped_by: row.cap_reason.as_deref().and_then(CapReason::parse),
        id: row.id,
        policy_id: row.policy_id,
        invoice_id: row.invoice_id,
        state: row.state,
        filed_on: row.filed_on,
        outbox_message: None,
    }
}

pub(crate) fn facts(claim: &ClaimRow, invoice: &Invoice, currency: Currency) -> ClaimFacts {
    ClaimFacts {
        claim_id: claim.id.clone(),
        invoice_number: invoice.number.clone(),
        buyer_id: invoice.buyer_id.clone(),
        currency,
        loss_gross: claim.loss_gross_minor,
        loss_vat: claim.loss_vat_minor,
    }
}

/// Files a claim for what is still open on an overdue invoice: after the
/// waiting period (or at once on the buyer's insolvency), and only if the
/// overdue was notified in time. The receivable becomes doubtful.
pub fn file_claim(
    conn: &mut DbConnection,
    ctx: &Context,
    policy_id: &str,
    invoice_id: &str,
    filed_on: NaiveDate,
    insolvency: bool,
) -> Result<Claim, ServiceError> {
    let (invoice, terms, currency) = insured(conn, policy_id, invoice_id)?;
    let dl = deadlines(invoice.due_date, &terms);
    let notice: Option<i32> = notices::table
        .filter(
            notices::policy_id
                .eq(policy_id)
                .and(notices::invoice_id.eq(&invoice.id)),
        )
        .select(notices::late)
        .order(notices::notified_on)
        .first(conn)
        .optional()?;
    match notice {
        None => {
            return Err(invalid(
                "overdue_not_notified",
                "invoice_id",
                format!(
                    "invoice {} was never notified to the insurer as overdue",
                    invoice.number
                ),
            ))
        }
        Some(late) if late != 0 => {
            return Err(invalid(
                "cover_lost_late_notice",
                "invoice_id",
                format!(
                    "invoice {} was notified after {}: it has no cover",
                    invoice.number, dl.notify_by
                ),
            ))
        }
        Some(_) => {}
    }
    if !insolvency && filed_on < dl.claim_from {
        return Err(invalid(
            "waiting_period_running",
            "filed_on",
            format!(
                "a claim for invoice {} can be filed from {}",
                invoice.number, dl.claim_from
            ),
        ));
    }
    let open = invoice.open.minor();
    if open <= 0 {
        return Err(invalid(
            "invoice_not_overdue",
            "invoice_id",
            format!("invoice {} is settled", invoice.number),
        ));
    }
    let vat = vat_within(open, invoice.tax.minor(), invoice.gross.minor());
    let row = ClaimRow {
        id: new_id(),
        policy_id: policy_id.to_string(),
        invoice_id: invoice.id.clone(),
        filed_on,
        loss_gross_minor: open,
        loss_vat_minor: vat,
        state: "filed".into(),
        indemnity_minor: None,
        decided_on: None,
        paid_on: None,
        created_at: now(),
        indemnity_uncapped_minor: None,
        cap_reason: None,
    };
    let draft = post_claim_filed(
        &facts(&row, &invoice, currency),
        filed_on,
        ctx.chart.roles(),
    )?;
    let outbox_message = write_tx(conn, |conn| {
        let exists: i64 = claims::table
            .filter(
                claims::policy_id
                    .eq(policy_id)
                    .and(claims::invoice_id.eq(&invoice.id)),
            )
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(ServiceError::Conflict {
                code: "claim_exists",
                message: format!("a claim was already filed for invoice {}", invoice.number),
            });
        }
        diesel::insert_into(claims::table)
            .values(&row)
            .execute(conn)?;
        post(conn, ctx, &draft)?;
        queue_claim(
            conn,
            policy_id,
            &row.id,
            &invoice,
            Money::new(open, currency),
            filed_on,
        )
    })?;
    let mut claim = to_claim(row, currency);
    claim.outbox_message = outbox_message;
    Ok(claim)
}

pub(crate) fn load(conn: &mut DbConnection, claim_id: &str) -> Result<ClaimRow, ServiceError> {
    claims::table
        .find(claim_id)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("claim_not_found", "claim", claim_id))
}

/// The insurer's decision: accepted (the indemnity is computed from the
/// policy terms, then capped by what remains of the yearly maximum
/// liability) or refused. The claim's policy year is the one its filing
/// date falls in, and the maximum is the one in force that day; every
/// indemnity accepted or paid on a claim filed in that year counts.
pub fn decide_claim(
    conn: &mut DbConnection,
    claim_id: &str,
    accepted: bool,
    decided_on: NaiveDate,
) -> Result<Claim, ServiceError> {
    let row = load(conn, claim_id)?;
    let (_, terms, currency) = insured(conn, &row.policy_id, &row.invoice_id)?;
    let policy = get_policy(conn, &row.policy_id)?;
    let computed = if accepted {
        Some(
            indemnity(row.loss_gross_minor, row.loss_vat_minor, &terms, currency)
                .map_err(|e| invalid("amount_invalid", "loss", e.to_string()))?,
        )
    } else {
        None
    };
    let max_liability = terms_at(&policy.versions, row.filed_on).and_then(|t| t.max_liability);
    let year = policy
        .versions
        .first()
        .and_then(|first| policy_year(first.effective_from, row.filed_on));
    write_tx(conn, |conn| {
        // Decisions of one policy take turns, so two cannot share the same
        // remaining maximum (SQLite's write transaction already does this).
        if let DbConnection::Postgres(c) = conn {
            insurance_policies::table
                .find(&row.policy_id)
                .select(insurance_policies::id)
                .for_update()
                .first::<String>(c)?;
        }
        let state: String = claims::table
            .find(claim_id)
            .select(claims::state)
            .first(conn)?;
        if state != "filed" {
            return Err(ServiceError::Conflict {
                code: "claim_decided",
                message: format!("claim {claim_id} is {state}"),
            });
        }
        let capped = match (computed, max_liability, year) {
            (Some(amount), Some(_), Some(year)) => {
                let used: Vec<Option<i64>> = claims::table
                    .filter(
                        claims::policy_id
                            .eq(&row.policy_id)
                            .and(claims::state.eq_any(["accepted", "paid"]))
                            .and(claims::filed_on.ge(year.from))
                            .and(claims::filed_on.lt(year.until)),
                    )
                    .select(claims::indemnity_minor)
                    .load(conn)?;
                let used = used.into_iter().flatten().sum();
                Some(cap_indemnity(amount, max_liability, used))
            }
            (Some(amount), _, _) => Some(cap_indemnity(amount, None, 0)),
            (None, _, _) => None,
        };
        let cap = capped.and_then(|c| c.cap);
        diesel::update(claims::table.find(claim_id))
            .set((
                claims::state.eq(if accepted { "accepted" } else { "refused" }),
                claims::indemnity_minor.eq(capped.map(|c| c.amount)),
                claims::indemnity_uncapped_minor.eq(cap.and(capped.map(|c| c.uncapped))),
                claims::cap_reason.eq(cap.map(CapReason::as_str)),
                claims::decided_on.eq(decided_on),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(to_claim(load(conn, claim_id)?, currency))
}

/// The indemnity received: posted, and the loss written off; the invoice
/// is closed as written off.
pub fn pay_claim(
    conn: &mut DbConnection,
    ctx: &Context,
    claim_id: &str,
    paid_on: NaiveDate,
) -> Result<Claim, ServiceError> {
    let currency = write_tx(conn, |conn| pay_claim_in_tx(conn, ctx, claim_id, paid_on))?;
    Ok(to_claim(load(conn, claim_id)?, currency))
}

/// [`pay_claim`] inside the caller's transaction (an insurer settlement);
/// gives the claim's currency.
pub(crate) fn pay_claim_in_tx(
    conn: &mut DbConnection,
    ctx: &Context,
    claim_id: &str,
    paid_on: NaiveDate,
) -> Result<Currency, ServiceError> {
    let row = load(conn, claim_id)?;
    if row.state != "accepted" {
        return Err(ServiceError::Conflict {
            code: "claim_not_accepted",
            message: format!("claim {claim_id} is {}", row.state),
        });
    }
    let (invoice, _, currency) = insured(conn, &row.policy_id, &row.invoice_id)?;
    let amount = row.indemnity_minor.unwrap_or(0);
    let draft = post_claim_paid(
        &facts(&row, &invoice, currency),
        amount,
        paid_on,
        ctx.chart.roles(),
    )?;
    post(conn, ctx, &draft)?;
    diesel::update(claims::table.find(claim_id))
        .set((claims::state.eq("paid"), claims::paid_on.eq(paid_on)))
        .execute(conn)?;
    diesel::update(invoices::table.find(&invoice.id))
        .set((
            invoices::open_minor.eq(invoice.open.minor() - row.loss_gross_minor),
            invoices::state.eq(InvoiceState::WrittenOff.as_str()),
        ))
        .execute(conn)?;
    Ok(currency)
}
