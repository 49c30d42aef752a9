//! What the simulated factor does with each request once it is admitted
//! (authenticated, not failed by a hook, not a replay), and its hooks.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use crate::factor_rules::{self, debtor_limit, decide_approval, next_business_day, Accepted};
use crate::factor_state::{ApprovalJob, Assignment, Collection, Drawing};
use crate::factor_wire::{
    ApprovalBody, ApprovalView, AssignmentBody, AssignmentView, ClockHook, CollectionHook,
    FundingBody, FundingView, RejectedView,
};
use crate::rules::RequestType;
use crate::state::{Reply, Sandbox};
use crate::wire::{BuyerRef, Money};

fn invalid(message: impl Into<String>) -> Reply {
    Reply::error(422, "INVALID_REQUEST", message)
}

fn money(s: &Sandbox, value: Decimal) -> Money {
    Money {
        value,
        currency: s.config.factor.currency.clone(),
    }
}

/// The amount of `m` if it is in the factor's currency and not negative.
fn amount(s: &Sandbox, field: &str, m: &Money) -> Result<Decimal, Reply> {
    if m.currency != s.config.factor.currency {
        return Err(invalid(format!(
            "{field}.currency '{}': the factor works in {}",
            m.currency, s.config.factor.currency
        )));
    }
    if m.value < Decimal::ZERO {
        return Err(invalid(format!("{field}.value must not be negative")));
    }
    Ok(m.value)
}

fn debtor_ids(b: &BuyerRef) -> Vec<String> {
    b.legal_ids.iter().map(|id| id.key()).collect()
}

/// `POST /factor/v1/assignments`: documents accepted or rejected one by
/// one, approved within the debtor limits, funded on the next business day.
pub fn submit_assignment(s: &mut Sandbox, body: AssignmentBody) -> Reply {
    if body.documents.is_empty() {
        return invalid("documents: at least one document is required");
    }
    let total = match amount(s, "totalAmount", &body.total_amount) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let mut checked = Vec::new();
    let mut sum = Decimal::ZERO;
    for (i, d) in body.documents.iter().enumerate() {
        let credit_note = match d.document_type.as_str() {
            "INVOICE" => false,
            "CREDIT_NOTE" => true,
            other => {
                return invalid(format!(
                    "documents[{i}].documentType '{other}': expected INVOICE or CREDIT_NOTE"
                ))
            }
        };
        let gross = match amount(s, &format!("documents[{i}].grossAmount"), &d.gross_amount) {
            Ok(g) if g > Decimal::ZERO => g,
            Ok(_) => return invalid(format!("documents[{i}].grossAmount must be positive")),
            Err(reply) => return reply,
        };
        let claimed = match amount(
            s,
            &format!("documents[{i}].approvedAmount"),
            &d.approved_amount,
        ) {
            Ok(a) => a,
            Err(reply) => return reply,
        };
        if d.buyer.legal_ids.is_empty() {
            return invalid(format!("documents[{i}].buyer: a legal id is required"));
        }
        if body.documents[..i].iter().any(|o| o.number == d.number) {
            return invalid(format!(
                "documents[{i}].number '{}' appears twice",
                d.number
            ));
        }
        sum += if credit_note { -gross } else { gross };
        checked.push((d, credit_note, gross, claimed));
    }
    if sum != total {
        return Reply::error(
            422,
            "TOTAL_MISMATCH",
            format!("totalAmount {total} is not invoices minus credit notes ({sum})"),
        );
    }
    let today = s.today();
    let funding_date = next_business_day(today);
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for (d, credit_note, gross, claimed) in checked {
        if s.factor.already_assigned(&body.contract_number, &d.number) {
            rejected.push((
                d.number.clone(),
                "ALREADY_ASSIGNED: assigned in an earlier assignment".into(),
            ));
            continue;
        }
        if d.due_date < d.issue_date {
            rejected.push((
                d.number.clone(),
                "DUE_BEFORE_ISSUE: due date before issue date".into(),
            ));
            continue;
        }
        let ids = debtor_ids(&d.buyer);
        let debtor = ids.first().cloned().unwrap_or_default();
        let approved = if credit_note {
            Decimal::ZERO
        } else {
            // Within what is left of the debtor's limit, never above
            // what the client claims or the invoice's amount.
            let used = s.factor.used.get(&debtor).copied().unwrap_or_default();
            let headroom = (debtor_limit(&s.config.factor, &ids) - used).max(Decimal::ZERO);
            let approved = claimed.min(gross).min(headroom);
            *s.factor.used.entry(debtor.clone()).or_default() += approved;
            approved
        };
        accepted.push(Accepted {
            credit_note,
            number: d.number.clone(),
            gross,
            approved,
            due: d.due_date,
            debtor,
        });
    }
    let funding = factor_rules::funding(&s.config.factor, &accepted, funding_date);
    let assignment = Assignment {
        id: s.next_id("ASG"),
        contract: body.contract_number,
        number: body.assignment_number,
        received_on: today,
        funding_date,
        accepted,
        rejected,
        funding,
    };
    tracing::info!(id = %assignment.id, accepted = assignment.accepted.len(), "assignment received");
    let mut view = view(s, &assignment);
    if view.status != "REJECTED" {
        view.status = "RECEIVED".into();
    }
    s.factor.assignments.push(assignment);
    Reply::ok(201, view)
}

/// An assignment as the factor reports it on the sandbox's today.
fn view(s: &Sandbox, a: &Assignment) -> AssignmentView {
    let funded = s.config.factor.auto_fund && s.today() >= a.funding_date;
    let status = if a.accepted.is_empty() {
        "REJECTED"
    } else if funded {
        "FUNDED"
    } else {
        "ACKNOWLEDGED"
    };
    AssignmentView {
        assignment_id: a.id.clone(),
        status: status.into(),
        contract_number: a.contract.clone(),
        assignment_number: a.number.clone(),
        received_date: a.received_on,
        funding_date: a.funding_date,
        rejected_documents: a
            .rejected
            .iter()
            .map(|(number, reason)| RejectedView {
                number: number.clone(),
                reason: reason.clone(),
            })
            .collect(),
        advance_amount: funded.then(|| money(s, a.funding.advance)),
        value_date: funded.then_some(a.funding_date),
    }
}

/// `GET /factor/v1/assignments/{id}`.
pub fn assignment_status(s: &mut Sandbox, id: &str) -> Reply {
    match s.factor.assignment(id) {
        Some(a) => Reply::ok(200, view(s, a)),
        None => Reply::error(404, "ASSIGNMENT_NOT_FOUND", format!("no assignment '{id}'")),
    }
}

/// What the client may still draw on a contract: the advances its
/// assignments give, less those paid automatically and earlier drawings.
pub fn available(s: &Sandbox, contract: &str) -> Decimal {
    let rights: Decimal = s
        .factor
        .assignments
        .iter()
        .filter(|a| a.contract == contract)
        .map(|a| a.funding.advance)
        .sum();
    let automatic = if s.config.factor.auto_fund {
        rights
    } else {
        Decimal::ZERO
    };
    let drawn: Decimal = s
        .factor
        .drawings
        .iter()
        .filter(|d| d.contract == contract)
        .map(|d| d.amount)
        .sum();
    (rights - automatic - drawn).max(Decimal::ZERO)
}

/// `POST /factor/v1/funding-requests`: accepted up to what is available,
/// paid on the next business day.
pub fn request_funding(s: &mut Sandbox, body: FundingBody) -> Reply {
    let asked = match amount(s, "requestedAmount", &body.requested_amount) {
        Ok(a) if a > Decimal::ZERO => a,
        Ok(_) => return invalid("requestedAmount.value must be positive"),
        Err(reply) => return reply,
    };
    if !s
        .factor
        .assignments
        .iter()
        .any(|a| a.contract == body.contract_number)
    {
        return Reply::error(
            422,
            "UNKNOWN_CONTRACT",
            format!("no assignment under contract '{}'", body.contract_number),
        );
    }
    let free = available(s, &body.contract_number);
    let id = s.next_id("FND");
    if free.is_zero() {
        return Reply::ok(
            201,
            FundingView {
                funding_id: id,
                status: "REFUSED".into(),
                granted_amount: None,
                value_date: None,
                reason: Some("Nothing available to draw on this contract".into()),
            },
        );
    }
    let granted = asked.min(free);
    let value_date = next_business_day(s.today());
    s.factor.drawings.push(Drawing {
        id: id.clone(),
        contract: body.contract_number,
        amount: granted,
        value_date,
    });
    Reply::ok(
        201,
        FundingView {
            funding_id: id,
            status: "ACCEPTED".into(),
            granted_amount: Some(money(s, granted)),
            value_date: Some(value_date),
            reason: (granted < asked).then(|| format!("Limited to the {free} available")),
        },
    )
}

/// `POST /factor/v1/debtor-approvals`: decided at once, revealed by polling.
pub fn request_approval(s: &mut Sandbox, body: ApprovalBody) -> Reply {
    let Some(kind) = RequestType::parse(&body.request_type) else {
        return invalid(format!(
            "requestType '{}': expected NEW, INCREASE, PROLONGATION or CANCELLATION",
            body.request_type
        ));
    };
    let requested = match amount(s, "requestedAmount", &body.requested_amount) {
        Ok(a) => a,
        Err(reply) => return reply,
    };
    if body.buyer.legal_ids.is_empty() {
        return invalid("buyer: a legal id is required");
    }
    let d = decide_approval(&s.config.factor, kind, &debtor_ids(&body.buyer), requested);
    let job_id = s.next_id("FJOB");
    let decision_id = s.next_id("FAP");
    let pending = ApprovalView {
        job_id: job_id.clone(),
        status: "PENDING".into(),
        decision_id: None,
        approved_amount: None,
        effective_date: None,
        reason: None,
    };
    let decided = ApprovalView {
        status: d.status,
        decision_id: (!d.unknown).then_some(decision_id),
        approved_amount: d.approved.map(|v| money(s, v)),
        effective_date: (!d.unknown).then_some(body.effective_date),
        reason: d.reason,
        ..pending.clone()
    };
    s.factor.approvals.insert(
        job_id,
        ApprovalJob {
            pending: pending.clone(),
            decided,
            polls: 0,
        },
    );
    Reply::ok(202, pending)
}

/// `GET /factor/v1/debtor-approvals/jobs/{id}`.
pub fn poll_approval(s: &mut Sandbox, id: &str) -> Reply {
    let pending_polls = s.config.factor.pending_polls;
    let Some(job) = s.factor.approvals.get_mut(id) else {
        return Reply::error(404, "JOB_NOT_FOUND", format!("no approval job '{id}'"));
    };
    job.polls = job.polls.saturating_add(1);
    if job.polls > pending_polls {
        Reply::ok(200, &job.decided)
    } else {
        Reply::ok(200, &job.pending)
    }
}

/// `POST /sandbox/factor/collections`: a buyer paid an assigned invoice.
pub fn add_collection(s: &mut Sandbox, hook: CollectionHook) -> Reply {
    let paid_on = hook.paid_on.unwrap_or_else(|| s.today());
    let Some((a, doc)) = s.factor.invoice(&hook.invoice_number) else {
        return Reply::error(
            404,
            "UNKNOWN_INVOICE",
            format!("invoice '{}' is in no assignment", hook.invoice_number),
        );
    };
    let open = doc.gross - s.factor.collected(&doc.number, NaiveDate::MAX);
    if hook.amount <= Decimal::ZERO || hook.amount > open {
        return Reply::error(
            422,
            "INVALID_COLLECTION",
            format!(
                "amount {} must be positive and at most the open {open}",
                hook.amount
            ),
        );
    }
    let collection = Collection {
        contract: a.contract.clone(),
        assignment: a.number.clone(),
        invoice: doc.number.clone(),
        amount: hook.amount,
        paid_on,
    };
    s.factor.collections.push(collection);
    Reply::ok(
        201,
        json!({ "invoiceNumber": hook.invoice_number, "open": (open - hook.amount).to_string() }),
    )
}

/// `POST /sandbox/factor/clock`: moves the sandbox's today.
pub fn set_clock(s: &mut Sandbox, hook: ClockHook) -> Reply {
    s.clock = Some(hook.today);
    Reply::ok(200, json!({ "today": hook.today }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementQuery {
    pub contract_number: String,
    pub since: NaiveDate,
}
