//! Assignment proposals: for a selection of invoices, every invoice
//! eligible or not with its reasons, the approved and non-approved amounts
//! per buyer, and the expected advance, reserve, commission and financing
//! charge. Read-only; `assignments::confirm` runs the same plan inside its
//! transaction.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::approvals::approvals_at;
use super::contracts::{get_contract, Contract};
use super::{currency_of, invalid, money_err};
use crate::domain::factoring::money::{
    advance, commission, financing_charge, reserve, FinancingSlice,
};
use crate::domain::factoring::plan::BuyerSummary;
use crate::domain::factoring::{
    check_invoice, plan_assignment, AssignmentPlan, BuyerState, Candidate, ContractTerms, Scope,
};
use crate::domain::invoice::{InvoiceKind, InvoiceState};
use crate::money::{Currency, Money};
use crate::service::rates::rate_at;
use crate::service::ServiceError;
use crate::store::schema::{
    buyers, factoring_assignment_items as items, factoring_assignments as assignments, invoices,
};
use crate::store::DbConnection;

/// What to assign: a contract and a filter, or named invoices.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub contract: String,
    /// Only this buyer (our id, `scheme:value` or a bare legal id).
    #[serde(default)]
    pub buyer: Option<String>,
    /// Only invoices due before this date.
    #[serde(default)]
    pub due_before: Option<NaiveDate>,
    /// Exactly these invoices (numbers or ids); each must be eligible to
    /// confirm.
    #[serde(default)]
    pub invoices: Option<Vec<String>>,
    /// The assignment date (today when absent).
    #[serde(default)]
    pub assigned_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalItem {
    pub invoice_id: String,
    pub number: String,
    pub kind: &'static str,
    pub buyer_id: String,
    pub due_date: NaiveDate,
    pub open: Money,
    pub eligible: bool,
    /// Stable codes (`too_old`, `disputed`, `already_assigned`, ...).
    pub reasons: Vec<&'static str>,
    pub approved: Money,
    pub non_approved: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalBuyer {
    pub buyer_id: String,
    pub assigned: Money,
    pub approved: Money,
    pub non_approved: Money,
    pub approval: Option<Money>,
    pub approval_left: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub contract: String,
    pub assigned_on: NaiveDate,
    pub items: Vec<ProposalItem>,
    pub buyers: Vec<ProposalBuyer>,
    /// Invoices less credit notes.
    pub assigned: Money,
    pub approved: Money,
    pub non_approved: Money,
    pub advance: Money,
    pub reserve: Money,
    pub fee: Money,
    pub fee_vat: Money,
    /// Expected on the advance from the assignment to each due date at the
    /// reference rate of the assignment date plus the margin; none when
    /// the rates table has no reference rate yet.
    pub financing_charge: Option<Money>,
    pub yearly_rate: Option<Decimal>,
}

/// The plan and its money, as `confirm` needs them.
pub(crate) struct Planned {
    pub contract: Contract,
    pub terms: ContractTerms,
    pub currency: Currency,
    pub assigned_on: NaiveDate,
    pub plan: AssignmentPlan,
    pub explicit: bool,
    pub reserve: i64,
    pub fee_net: i64,
    pub fee_vat: i64,
    pub advance: i64,
}

type CandidateRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    i64,
    String,
    String,
    i32,
);

fn to_candidate(r: CandidateRow, assigned: &HashSet<String>) -> Candidate {
    let (
        id,
        number,
        kind,
        seller_id,
        buyer_id,
        currency,
        issue_date,
        due_date,
        open,
        state,
        country,
        intra,
    ) = r;
    Candidate {
        already_assigned: assigned.contains(&id),
        invoice_id: id,
        number,
        credit_note: kind == InvoiceKind::CreditNote.as_str(),
        seller_id,
        buyer_id,
        buyer_country: country,
        intra_group: intra != 0,
        currency,
        issue_date,
        due_date,
        open,
        state: InvoiceState::parse(&state).unwrap_or(InvoiceState::Open),
    }
}

macro_rules! candidate_query {
    () => {
        invoices::table
            .inner_join(buyers::table.on(buyers::id.eq(invoices::buyer_id)))
            .select((
                invoices::id,
                invoices::number,
                invoices::kind,
                invoices::seller_id,
                invoices::buyer_id,
                invoices::currency,
                invoices::issue_date,
                invoices::due_date,
                invoices::open_minor,
                invoices::state,
                buyers::country,
                buyers::intra_group,
            ))
    };
}

fn active_ids() -> diesel::dsl::Select<
    diesel::dsl::Filter<items::table, diesel::dsl::Eq<items::active, i32>>,
    items::invoice_id,
> {
    items::table
        .filter(items::active.eq(1))
        .select(items::invoice_id)
}

/// The candidates of a selection.
fn load_candidates(
    conn: &mut DbConnection,
    contract: &Contract,
    terms: &ContractTerms,
    sel: &Selection,
) -> Result<Vec<Candidate>, ServiceError> {
    let mut out: Vec<Candidate> = Vec::new();
    if let Some(named) = &sel.invoices {
        if named.is_empty() {
            return Err(invalid(
                "field_required",
                "invoices",
                "name at least one invoice",
            ));
        }
        let rows: Vec<CandidateRow> = candidate_query!()
            .filter(
                invoices::id
                    .eq_any(named)
                    .or(invoices::number.eq_any(named)),
            )
            .load(conn)?;
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let assigned: HashSet<String> = items::table
            .filter(items::active.eq(1).and(items::invoice_id.eq_any(&ids)))
            .select(items::invoice_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        for (i, n) in named.iter().enumerate() {
            // A number may be used by several sellers: ours first.
            let found = rows
                .iter()
                .filter(|r| &r.0 == n || &r.1 == n)
                .min_by_key(|r| r.3 != contract.seller_id)
                .cloned()
                .ok_or_else(|| {
                    invalid(
                        "invoice_not_found",
                        &format!("invoices[{i}]"),
                        format!("no invoice '{n}'"),
                    )
                })?;
            if out.iter().any(|c| c.invoice_id == found.0) {
                return Err(invalid(
                    "invoice_duplicate",
                    &format!("invoices[{i}]"),
                    format!("invoice '{n}' is named twice"),
                ));
            }
            out.push(to_candidate(found, &assigned));
        }
    } else {
        let mut q = candidate_query!()
            .filter(
                invoices::seller_id
                    .eq(&contract.seller_id)
                    .and(invoices::currency.eq(&contract.currency))
                    .and(invoices::kind.eq(InvoiceKind::Invoice.as_str()))
                    .and(invoices::open_minor.gt(0))
                    .and(invoices::id.ne_all(active_ids())),
            )
            .into_boxed();
        if let Some(b) = &sel.buyer {
            let id = crate::service::parties::resolve_buyer_id(conn, b)?;
            q = q.filter(invoices::buyer_id.eq(id));
        }
        if let Some(d) = sel.due_before {
            q = q.filter(invoices::due_date.lt(d));
        }
        let rows: Vec<CandidateRow> = q.load(conn)?;
        let none = HashSet::new();
        out.extend(rows.into_iter().map(|r| to_candidate(r, &none)));
    }
    if terms.scope == Scope::WholeTurnover {
        // Unicity: the buyer's open credit notes go with its invoices.
        let buyer_ids: Vec<String> = out
            .iter()
            .filter(|c| !c.credit_note)
            .map(|c| c.buyer_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let have: HashSet<String> = out.iter().map(|c| c.invoice_id.clone()).collect();
        let none = HashSet::new();
        for chunk in buyer_ids.chunks(500) {
            let rows: Vec<CandidateRow> = candidate_query!()
                .filter(
                    invoices::seller_id
                        .eq(&contract.seller_id)
                        .and(invoices::currency.eq(&contract.currency))
                        .and(invoices::kind.eq(InvoiceKind::CreditNote.as_str()))
                        .and(invoices::open_minor.gt(0))
                        .and(invoices::buyer_id.eq_any(chunk))
                        .and(invoices::id.ne_all(active_ids())),
                )
                .load(conn)?;
            out.extend(
                rows.into_iter()
                    .filter(|r| !have.contains(&r.0))
                    .map(|r| to_candidate(r, &none)),
            );
        }
    }
    Ok(out)
}

/// What the contract's factor already carries per buyer: approved and
/// assigned amounts still open under its active assignments.
pub(crate) fn buyer_states(
    conn: &mut DbConnection,
    contract: &Contract,
    limits: &BTreeMap<String, i64>,
) -> Result<BTreeMap<String, BuyerState>, ServiceError> {
    let rows: Vec<(String, String, i64, i64)> = items::table
        .inner_join(assignments::table)
        .inner_join(invoices::table)
        .filter(
            assignments::contract_id
                .eq(&contract.id)
                .and(items::active.eq(1)),
        )
        .select((
            items::buyer_id,
            items::kind,
            items::approved_minor,
            invoices::open_minor,
        ))
        .load(conn)?;
    let mut out: BTreeMap<String, BuyerState> = BTreeMap::new();
    for (buyer, kind, approved, open) in rows {
        let s = out.entry(buyer).or_default();
        if kind == InvoiceKind::CreditNote.as_str() {
            s.outstanding -= open;
        } else {
            s.outstanding += open;
            s.approved_in_use += approved.min(open);
        }
    }
    for (buyer, limit) in limits {
        out.entry(buyer.clone()).or_default().limit = Some(*limit);
    }
    Ok(out)
}

pub(crate) fn plan(conn: &mut DbConnection, sel: &Selection) -> Result<Planned, ServiceError> {
    let _span = tracing::info_span!("factoring.plan", contract = %sel.contract).entered();
    let contract = get_contract(conn, &sel.contract)?;
    let assigned_on = sel.assigned_on.unwrap_or_else(|| Utc::now().date_naive());
    let terms = contract.terms_at(assigned_on)?.clone();
    let currency = currency_of(&contract.currency)?;
    let candidates = load_candidates(conn, &contract, &terms, sel)?;
    let limits = approvals_at(conn, &contract, terms.approval_notice_days, assigned_on)?;
    let states = buyer_states(conn, &contract, &limits)?;
    let portfolio: i64 = states.values().map(|s| s.outstanding).sum();
    let checked: Vec<_> = candidates
        .into_iter()
        .map(|c| {
            let reasons = check_invoice(
                &c,
                &contract.seller_id,
                &contract.currency,
                &terms,
                assigned_on,
            );
            (c, reasons)
        })
        .collect();
    // Credit notes go with a buyer's invoices (unicity), never alone.
    let with_invoices: HashSet<String> = checked
        .iter()
        .filter(|(c, r)| !c.credit_note && r.is_empty())
        .map(|(c, _)| c.buyer_id.clone())
        .collect();
    let explicit = sel.invoices.is_some();
    let checked = checked
        .into_iter()
        .filter(|(c, _)| explicit || !c.credit_note || with_invoices.contains(&c.buyer_id))
        .collect();
    let plan = plan_assignment(checked, &states, portfolio, terms.concentration_cap);
    let base = plan.assigned.max(0);
    let fee = commission(terms.fee_rate, terms.fee_vat_rate, base, currency).map_err(money_err)?;
    Ok(Planned {
        reserve: reserve(terms.reserve_rate, base, currency).map_err(money_err)?,
        advance: advance(terms.advance_rate, plan.approved, currency).map_err(money_err)?,
        fee_net: fee.net,
        fee_vat: fee.vat,
        explicit: sel.invoices.is_some(),
        contract,
        terms,
        currency,
        assigned_on,
        plan,
    })
}

fn to_buyer(b: &BuyerSummary, c: Currency) -> ProposalBuyer {
    ProposalBuyer {
        buyer_id: b.buyer_id.clone(),
        assigned: Money::new(b.assigned, c),
        approved: Money::new(b.approved, c),
        non_approved: Money::new(b.non_approved, c),
        approval: b.limit.map(|l| Money::new(l, c)),
        approval_left: Money::new(b.headroom_after, c),
    }
}

/// The proposal for a selection; changes nothing.
pub fn propose(conn: &mut DbConnection, sel: &Selection) -> Result<Proposal, ServiceError> {
    let p = plan(conn, sel)?;
    let c = p.currency;
    let yearly_rate = rate_at(conn, &p.terms.reference_series, p.assigned_on)
        .ok()
        .map(|r| r + p.terms.margin);
    let financing = match yearly_rate {
        Some(rate) => {
            let slices: Vec<FinancingSlice> = p
                .plan
                .items
                .iter()
                .filter(|i| i.approved > 0)
                .map(|i| FinancingSlice {
                    amount: i.approved,
                    days: (i.candidate.due_date - p.assigned_on).num_days(),
                    yearly_rate: rate * p.terms.advance_rate,
                })
                .collect();
            Some(Money::new(
                financing_charge(&slices, c).map_err(money_err)?,
                c,
            ))
        }
        None => None,
    };
    let m = |v: i64| Money::new(v, c);
    Ok(Proposal {
        contract: p.contract.number.clone(),
        assigned_on: p.assigned_on,
        items: p
            .plan
            .items
            .iter()
            .map(|i| ProposalItem {
                invoice_id: i.candidate.invoice_id.clone(),
                number: i.candidate.number.clone(),
                kind: if i.candidate.credit_note {
                    "credit_note"
                } else {
                    "invoice"
                },
                buyer_id: i.candidate.buyer_id.clone(),
                due_date: i.candidate.due_date,
                open: m(i.candidate.open),
                eligible: i.eligible(),
                reasons: i.reasons.iter().map(|r| r.as_str()).collect(),
                approved: m(i.approved),
                non_approved: m(i.non_approved),
            })
            .collect(),
        buyers: p.plan.buyers.iter().map(|b| to_buyer(b, c)).collect(),
        assigned: m(p.plan.assigned),
        approved: m(p.plan.approved),
        non_approved: m(p.plan.non_approved),
        advance: m(p.advance),
        reserve: m(p.reserve),
        fee: m(p.fee_net),
        fee_vat: m(p.fee_vat),
        financing_charge: financing,
        yearly_rate,
    })
}
