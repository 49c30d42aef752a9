//! What the simulated insurer does with each request once it is admitted
//! (authenticated, not failed by a hook, not a replay).

use chrono::{Days, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use crate::rules::{decide, RequestType};
use crate::state::{Job, Reply, Sandbox};
use crate::wire::{
    BuyerRef, ClaimBody, ClaimReceipt, DecisionView, JobView, LimitRequestBody, Money,
    NoticeReceipt, OverdueBody, SettlementView,
};

fn invalid(message: impl Into<String>) -> Reply {
    Reply::error(422, "INVALID_REQUEST", message)
}

fn check_money(field: &str, m: &Money, allow_zero: bool) -> Result<(), Reply> {
    let three_letters = m.currency.len() == 3 && m.currency.bytes().all(|b| b.is_ascii_uppercase());
    if !three_letters {
        return Err(invalid(format!(
            "{field}.currency '{}': expected an ISO 4217 code",
            m.currency
        )));
    }
    if m.value < Decimal::ZERO || (!allow_zero && m.value.is_zero()) {
        return Err(invalid(format!("{field}.value must be positive")));
    }
    Ok(())
}

fn check_buyer(b: &BuyerRef) -> Result<(), Reply> {
    if b.legal_ids.is_empty() && b.buyer_id.is_none() {
        return Err(invalid("buyer: a legal id or a buyerId is required"));
    }
    if b.country_code.len() != 2 || !b.country_code.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(format!(
            "buyer.countryCode '{}': expected ISO 3166-1 alpha-2",
            b.country_code
        )));
    }
    Ok(())
}

/// `POST /v1/credit-limit-requests`: decided at once, revealed by polling.
pub fn request_limit(s: &mut Sandbox, body: LimitRequestBody) -> Reply {
    let Some(kind) = RequestType::parse(&body.request_type) else {
        return invalid(format!(
            "requestType '{}': expected NEW, INCREASE, PROLONGATION or CANCELLATION",
            body.request_type
        ));
    };
    let checked = check_buyer(&body.buyer).and_then(|_| {
        check_money(
            "requestedAmount",
            &body.requested_amount,
            kind == RequestType::Cancellation,
        )
    });
    if let Err(reply) = checked {
        return reply;
    }
    let buyer_id = s.buyer_for(&body.buyer);
    let legal_ids: Vec<String> = body.buyer.legal_ids.iter().map(|id| id.key()).collect();
    let d = decide(
        &s.config.rules,
        kind,
        &body.buyer.country_code,
        &legal_ids,
        body.requested_amount.value,
    );
    let job_id = s.next_id("JOB");
    let decision_id = s.next_id("DEC");
    tracing::info!(%job_id, %buyer_id, status = %d.status, "limit request decided");
    let lasting = d.granted.is_some();
    let expiry = body
        .effective_date
        .checked_add_days(Days::new(u64::from(s.config.validity_days)));
    let pending = JobView {
        job_id: job_id.clone(),
        status: "PENDING".into(),
        buyer_id,
        submitted_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        decision: None,
    };
    let decided = JobView {
        status: d.status.clone(),
        decision: (!d.unknown).then(|| DecisionView {
            decision_id,
            granted_amount: d.granted.map(|value| Money {
                value,
                currency: body.requested_amount.currency.clone(),
            }),
            effective_date: body.effective_date,
            expiry_date: if lasting { expiry } else { None },
            conditions: d.conditions,
            reason: d.reason,
        }),
        ..pending.clone()
    };
    s.jobs.insert(
        job_id,
        Job {
            view: pending.clone(),
            polls: 0,
            decided,
        },
    );
    Reply::ok(202, pending)
}

/// `GET /v1/credit-limit-requests/jobs/{jobId}`.
pub fn poll_job(s: &mut Sandbox, job_id: &str) -> Reply {
    let pending_polls = s.config.pending_polls;
    let Some(job) = s.jobs.get_mut(job_id) else {
        return Reply::error(404, "JOB_NOT_FOUND", format!("no job '{job_id}'"));
    };
    job.polls = job.polls.saturating_add(1);
    if job.polls > pending_polls {
        Reply::ok(200, &job.decided)
    } else {
        Reply::ok(200, &job.view)
    }
}

/// `POST /v1/overdue-notices`.
pub fn notify_overdue(s: &mut Sandbox, body: OverdueBody) -> Reply {
    let checked = check_buyer(&body.buyer)
        .and_then(|_| check_money("overdueAmount", &body.overdue_amount, false));
    if let Err(reply) = checked {
        return reply;
    }
    if body.due_date < body.invoice_date {
        return invalid("dueDate is before invoiceDate");
    }
    s.buyer_for(&body.buyer);
    let notice_id = s.next_id("OVN");
    tracing::info!(%notice_id, invoice = %body.invoice_number, "overdue notice received");
    Reply::ok(
        201,
        NoticeReceipt {
            notice_id,
            status: "RECEIVED".into(),
            received_date: s.today(),
        },
    )
}

/// `POST /v1/claims`.
pub fn file_claim(s: &mut Sandbox, body: ClaimBody) -> Reply {
    let checked = check_buyer(&body.buyer)
        .and_then(|_| check_money("claimAmount", &body.claim_amount, false));
    if let Err(reply) = checked {
        return reply;
    }
    if body.invoice_numbers.is_empty() {
        return invalid("invoiceNumbers: at least one invoice is required");
    }
    s.buyer_for(&body.buyer);
    let claim_id = s.next_id("CLM");
    tracing::info!(%claim_id, "claim registered");
    Reply::ok(
        201,
        ClaimReceipt {
            claim_id,
            status: "REGISTERED".into(),
            received_date: s.today(),
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyerQuery {
    pub scheme: String,
    pub id: String,
}

/// `GET /v1/buyers?scheme=0002&id=552100554`: zero or one buyer.
pub fn find_buyer(s: &Sandbox, q: BuyerQuery) -> Reply {
    let found: Vec<_> = s.find_buyer(&q.scheme, &q.id).into_iter().collect();
    Reply::ok(200, json!({ "buyers": found }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementQuery {
    pub paid_since: chrono::NaiveDate,
}

/// `GET /v1/settlements?paidSince=YYYY-MM-DD`, oldest first.
pub fn settlements(s: &Sandbox, q: SettlementQuery) -> Reply {
    let mut list: Vec<SettlementView> = s
        .settlements
        .iter()
        .filter(|p| p.paid_on >= q.paid_since)
        .map(|p| SettlementView {
            settlement_id: p.settlement_id.clone(),
            claim_id: p.claim_id.clone(),
            kind: p.kind.clone(),
            amount: Money {
                value: p.amount,
                currency: p.currency.clone(),
            },
            payment_date: p.paid_on,
        })
        .collect();
    list.sort_by(|a, b| {
        (a.payment_date, &a.settlement_id).cmp(&(b.payment_date, &b.settlement_id))
    });
    Reply::ok(200, json!({ "settlements": list }))
}
