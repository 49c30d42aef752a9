//! The dunning run as of a date: review promises, class every buyer, find
//! the step each open invoice has reached on its buyer's plan, and record
//! the actions not recorded before (one per invoice and step, ever, kept by
//! a unique constraint), with their messages rendered; then deliver.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::deliver::{deliver_pending, DeliveryReport};
use super::render::{render_message, MessageFacts};
use super::{list_plans, DunningSettings};
use crate::domain::dunning::{reached_step, Channel, Step, Template};
use crate::domain::penalties::PenaltyBasis;
use crate::domain::risk::RiskClass;
use crate::money::{format_minor, Currency};
use crate::service::collection_terms::language_of_country;
use crate::service::penalties::penalties_for;
use crate::service::promises::{review_promises, PromiseReview};
use crate::service::{new_id, now, risk, ServiceError};
use crate::store::schema::{
    buyer_collection_terms, buyers, dunning_actions, invoices, payment_promises, sellers,
};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub as_of: Option<NaiveDate>,
    pub promises: PromiseReview,
    /// Open invoices inside a plan's reach.
    pub candidates: usize,
    /// Disputed invoices left alone.
    pub suspended_disputed: i64,
    /// Invoices under a pending promise to pay, left alone.
    pub suspended_promised: usize,
    /// Actions recorded by this run (none on a second run of the day).
    pub created: usize,
    pub created_by_channel: BTreeMap<String, usize>,
    pub delivery: DeliveryReport,
}

struct Candidate {
    id: String,
    buyer_id: String,
    seller_id: String,
    number: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    currency: String,
    open_minor: i64,
}

type CandidateTuple = (
    String,
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    String,
    i64,
);

#[derive(Insertable)]
#[diesel(table_name = dunning_actions)]
struct NewAction {
    id: String,
    invoice_id: String,
    buyer_id: String,
    plan_id: String,
    step_no: i32,
    channel: String,
    due_on: NaiveDate,
    run_on: NaiveDate,
    state: String,
    language: String,
    recipient: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    attempts: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

fn amount(minor: i64, currency: &str, lang: &str) -> String {
    let exp = Currency::from_code(currency).map_or(2, |c| c.exponent());
    let sep = if lang == "fr" { ',' } else { '.' };
    format!("{} {currency}", format_minor(minor, exp, sep))
}

/// Runs dunning as of `as_of`, then delivers what waits (this run's and
/// earlier failures).
pub fn run_dunning(
    conn: &mut DbConnection,
    settings: &DunningSettings,
    as_of: NaiveDate,
) -> Result<RunReport, ServiceError> {
    let _span = tracing::info_span!("dunning_run", %as_of).entered();
    let mut report = RunReport {
        as_of: Some(as_of),
        promises: review_promises(conn, as_of)?,
        ..Default::default()
    };
    let classes = risk::classes(conn, as_of)?;
    let plans = list_plans(conn)?;
    let mut plan_of_class: HashMap<String, (String, Vec<Step>)> = HashMap::new();
    for p in &plans {
        for c in &p.classes {
            plan_of_class.insert(c.clone(), (p.id.clone(), p.steps.clone()));
        }
    }
    let earliest = plans
        .iter()
        .flat_map(|p| p.steps.iter().map(|s| s.offset_days))
        .min()
        .unwrap_or(0)
        .min(0);
    let reach = as_of - chrono::Duration::days(i64::from(earliest));
    let select = tracing::info_span!("dunning_select").entered();
    let rows: Vec<CandidateTuple> = invoices::table
        .filter(
            invoices::kind
                .eq("invoice")
                .and(invoices::open_minor.gt(0))
                .and(invoices::state.eq_any(["open", "partially_paid"]))
                .and(invoices::due_date.le(reach))
                .and(invoices::issue_date.le(as_of)),
        )
        .select((
            invoices::id,
            invoices::buyer_id,
            invoices::seller_id,
            invoices::number,
            invoices::issue_date,
            invoices::due_date,
            invoices::currency,
            invoices::open_minor,
        ))
        .load(conn)?;
    report.candidates = rows.len();
    report.suspended_disputed = invoices::table
        .filter(
            invoices::state
                .eq("disputed")
                .and(invoices::open_minor.gt(0))
                .and(invoices::due_date.le(reach)),
        )
        .count()
        .get_result(conn)?;
    let promised: HashSet<String> = payment_promises::table
        .filter(payment_promises::state.eq("pending"))
        .select(payment_promises::invoice_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let existing: HashSet<(String, String, i32)> = dunning_actions::table
        .select((
            dunning_actions::invoice_id,
            dunning_actions::plan_id,
            dunning_actions::step_no,
        ))
        .load::<(String, String, i32)>(conn)?
        .into_iter()
        .collect();

    // What each invoice has reached, and is not recorded yet.
    let mut due: Vec<(Candidate, String, Step)> = Vec::new();
    for t in rows {
        let c = Candidate {
            id: t.0,
            buyer_id: t.1,
            seller_id: t.2,
            number: t.3,
            issue_date: t.4,
            due_date: t.5,
            currency: t.6,
            open_minor: t.7,
        };
        if promised.contains(&c.id) {
            report.suspended_promised += 1;
            continue;
        }
        let class = classes.get(&c.buyer_id).copied().unwrap_or(RiskClass::A);
        let Some((plan_id, steps)) = plan_of_class.get(class.as_str()) else {
            continue;
        };
        let Some(step) = reached_step(steps, c.due_date, as_of) else {
            continue;
        };
        if existing.contains(&(c.id.clone(), plan_id.clone(), step.step_no)) {
            continue;
        }
        let step = step.clone();
        due.push((c, plan_id.clone(), step));
    }
    drop(existing);
    drop(select);

    let actions = tracing::info_span!("dunning_prepare", due = due.len())
        .in_scope(|| prepare(conn, &due, as_of))?;
    let record = tracing::info_span!("dunning_record").entered();
    // The run read what exists before this transaction; a run in parallel
    // that recorded the same steps first makes this one fail whole on the
    // unique (invoice, plan, step), and the next run creates nothing twice.
    report.created = write_tx(conn, |conn| {
        crate::insert_rows!(conn, dunning_actions::table, actions.as_slice()).map_err(|e| {
            match ServiceError::from(e) {
                e if e.is_unique_violation() => ServiceError::conflict(
                    "dunning_run_concurrent",
                    "another dunning run recorded these actions first: run again",
                ),
                e => e,
            }
        })
    })?;
    for a in &actions {
        *report
            .created_by_channel
            .entry(a.channel.clone())
            .or_default() += 1;
    }
    tracing::info!(created = report.created, "dunning actions recorded");
    drop(record);
    report.delivery = deliver_pending(conn, settings)?;
    Ok(report)
}

/// Renders the new actions: messages for e-mails, letters and formal
/// notices (the latter with the penalties as of the run), a line for tasks.
fn prepare(
    conn: &mut DbConnection,
    due: &[(Candidate, String, Step)],
    as_of: NaiveDate,
) -> Result<Vec<NewAction>, ServiceError> {
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let buyer_ids: HashSet<&str> = due.iter().map(|d| d.0.buyer_id.as_str()).collect();
    let buyer_ids: Vec<&str> = buyer_ids.into_iter().collect();
    let mut buyer_info: HashMap<String, (String, String)> = HashMap::new();
    let mut terms: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    for chunk in buyer_ids.chunks(500) {
        for (id, name, country) in buyers::table
            .filter(buyers::id.eq_any(chunk))
            .select((buyers::id, buyers::name, buyers::country))
            .load::<(String, String, String)>(conn)?
        {
            buyer_info.insert(id, (name, country));
        }
        for (id, email, lang) in buyer_collection_terms::table
            .filter(buyer_collection_terms::buyer_id.eq_any(chunk))
            .select((
                buyer_collection_terms::buyer_id,
                buyer_collection_terms::email,
                buyer_collection_terms::language,
            ))
            .load::<(String, Option<String>, Option<String>)>(conn)?
        {
            terms.insert(id, (email, lang));
        }
    }
    let seller_names: HashMap<String, String> = sellers::table
        .select((sellers::id, sellers::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let notices: Vec<String> = due
        .iter()
        .filter(|d| d.2.template == Template::FormalNotice)
        .map(|d| d.0.id.clone())
        .collect();
    let penalties = penalties_for(conn, &notices, as_of)?;
    let created_at = now();
    let mut out = Vec::with_capacity(due.len());
    for (c, plan_id, step) in due {
        let (buyer_name, country) = buyer_info
            .get(&c.buyer_id)
            .cloned()
            .unwrap_or_else(|| (c.buyer_id.clone(), String::new()));
        let (email, lang) = terms.get(&c.buyer_id).cloned().unwrap_or((None, None));
        let lang = lang.unwrap_or_else(|| language_of_country(&country).to_string());
        let days_late = (as_of - c.due_date).num_days().max(0);
        let open = amount(c.open_minor, &c.currency, &lang);
        let (state, recipient, subject, body) = if step.channel.is_task() {
            let what = match step.channel {
                Channel::Phone => "Phone the buyer",
                Channel::Litigation => "Hand over to litigation",
                _ => "Hand over to the credit insurer",
            };
            let line = format!(
                "{what}: {buyer_name}, invoice {}, {open} open, {days_late} day(s) late",
                c.number
            );
            ("open", None, Some(line), None)
        } else {
            let p = penalties.get(&c.id);
            let rate_text = p
                .and_then(|p| p.segments.last().map(|s| s.rate))
                .map(|r| {
                    let r = r.normalize().to_string();
                    let r = if lang == "fr" { r.replace('.', ",") } else { r };
                    match p.map(|p| p.basis) {
                        Some(PenaltyBasis::Contract(_)) if lang == "fr" => {
                            format!("taux contractuel {r} %")
                        }
                        Some(PenaltyBasis::Contract(_)) => format!("contract rate {r} %"),
                        _ if lang == "fr" => format!("taux BCE + 10 points, soit {r} %"),
                        _ => format!("ECB rate + 10 points, {r} %"),
                    }
                })
                .unwrap_or_else(|| "-".into());
            let (interest, indemnity) =
                p.map_or((0, 0), |p| (p.interest.minor(), p.indemnity.minor()));
            let facts = MessageFacts {
                language: lang.clone(),
                seller_name: seller_names.get(&c.seller_id).cloned().unwrap_or_default(),
                buyer_name,
                invoice_number: c.number.clone(),
                issue_date: c.issue_date.to_string(),
                due_date: c.due_date.to_string(),
                as_of: as_of.to_string(),
                open_amount: open,
                days_late,
                interest: amount(interest, &c.currency, &lang),
                indemnity: amount(indemnity, &c.currency, &lang),
                total_due: amount(interest + indemnity, &c.currency, &lang),
                rate_text,
            };
            let m = render_message(step.template, &facts)?;
            match step.channel {
                Channel::Email if email.is_some() => {
                    ("to_send", email, Some(m.subject), Some(m.body))
                }
                Channel::Email => ("no_recipient", None, Some(m.subject), Some(m.body)),
                _ => ("to_send", None, Some(m.subject), Some(m.body)),
            }
        };
        out.push(NewAction {
            id: new_id(),
            invoice_id: c.id.clone(),
            buyer_id: c.buyer_id.clone(),
            plan_id: plan_id.clone(),
            step_no: step.step_no,
            channel: step.channel.as_str().to_string(),
            due_on: c.due_date + chrono::Duration::days(i64::from(step.offset_days)),
            run_on: as_of,
            state: state.to_string(),
            language: lang,
            recipient,
            subject,
            body,
            attempts: 0,
            created_at,
            updated_at: created_at,
        });
    }
    Ok(out)
}
