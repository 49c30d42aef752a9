//! Late-payment penalties per invoice as of any date, and their invoicing:
//! a penalty invoice (a debit note, EN 16931 type 383) posted 411 / 7631 +
//! 7588, covering the days since the last one, so no day is charged twice;
//! the fixed indemnity once per invoice.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::collection_terms::contract_rate;
use super::disputes::find_invoice;
use super::ledger::{post, stored_currency};
use super::{new_id, now, Context, ServiceError};
use crate::domain::penalties::{
    days_late, late_interest, legal_reference_date, recovery_indemnity, reference_dates,
    InterestSegment, PenaltyBasis, Settlement, ECB_MRO_SERIES, LEGAL_MARGIN_POINTS,
};
use crate::error::ErrorCode;
use crate::ledger::collections_posting::{post_penalty, PenaltyFacts};
use crate::money::Money;
use crate::store::rows::InvoiceRow;
use crate::store::schema::{allocations, buyer_collection_terms, invoices, penalty_charges};
use crate::store::{write_tx, DbConnection};

/// `source_format` of the penalty invoices we issue ourselves.
pub const PENALTY_SOURCE: &str = "penalty";
/// EN 16931 type code of a debit note.
pub const DEBIT_NOTE_TYPE: &str = "383";

#[derive(Debug, Clone, Serialize)]
pub struct PenaltyLine {
    pub invoice_id: String,
    pub invoice_number: String,
    pub buyer_id: String,
    pub due_date: NaiveDate,
    pub as_of: NaiveDate,
    pub days_late: i64,
    pub basis: PenaltyBasis,
    /// Interest from the due date to `as_of`.
    pub interest: Money,
    pub indemnity: Money,
    /// Charged by penalty invoices so far, up to this date.
    pub charged_until: Option<NaiveDate>,
    /// Interest not charged yet (after `charged_until`).
    pub interest_to_charge: Money,
    /// The indemnity, unless already charged.
    pub indemnity_to_charge: Money,
    pub segments: Vec<InterestSegment>,
}

/// ECB rates at the reference dates, read once per date.
#[derive(Default)]
struct EcbRates(HashMap<NaiveDate, Decimal>);

impl EcbRates {
    fn load(
        &mut self,
        conn: &mut DbConnection,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(), ServiceError> {
        for day in reference_dates(from, to) {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(day) {
                let rate = super::rates::rate_at(conn, ECB_MRO_SERIES, day).map_err(|_| {
                    ServiceError::invalid(
                        "rate_missing",
                        "rates",
                        format!(
                            "no {ECB_MRO_SERIES} rate on or before {day}: import the ECB main refinancing rate (factorgate rates import)"
                        ),
                    )
                })?;
                slot.insert(rate);
            }
        }
        Ok(())
    }
}

fn charged_until(
    conn: &mut DbConnection,
    invoice_id: &str,
) -> Result<(Option<NaiveDate>, bool), ServiceError> {
    let rows: Vec<(NaiveDate, i64)> = penalty_charges::table
        .filter(penalty_charges::invoice_id.eq(invoice_id))
        .select((penalty_charges::period_to, penalty_charges::indemnity_minor))
        .load(conn)?;
    let until = rows.iter().map(|r| r.0).max();
    let indemnity_charged = rows.iter().any(|r| r.1 > 0);
    Ok((until, indemnity_charged))
}

fn compute(
    conn: &mut DbConnection,
    rates: &mut EcbRates,
    inv: &InvoiceRow,
    settlements: &[Settlement],
    as_of: NaiveDate,
) -> Result<PenaltyLine, ServiceError> {
    let currency = stored_currency(&inv.currency)?;
    let terms = buyer_collection_terms::table
        .find(&inv.buyer_id)
        .select(crate::service::collection_terms::CollectionTerms::as_select())
        .first(conn)
        .optional()?;
    let basis = match contract_rate(terms.as_ref()) {
        Some(r) => PenaltyBasis::Contract(r),
        None => PenaltyBasis::Legal,
    };
    if basis == PenaltyBasis::Legal && as_of > inv.due_date {
        rates.load(conn, inv.due_date + chrono::Duration::days(1), as_of)?;
    }
    let table = &rates.0;
    let rate_of = |day: NaiveDate| match basis {
        PenaltyBasis::Contract(r) => Some(r),
        PenaltyBasis::Legal => table
            .get(&legal_reference_date(day))
            .map(|r| *r + LEGAL_MARGIN_POINTS),
    };
    let bad = |e: crate::domain::penalties::PenaltyError| {
        ServiceError::invalid(e.code(), "rates", e.to_string())
    };
    let all = late_interest(
        inv.due_date,
        inv.gross_minor,
        settlements,
        inv.due_date,
        as_of,
        currency,
        &rate_of,
    )
    .map_err(bad)?;
    let (until, indemnity_charged) = charged_until(conn, &inv.id)?;
    let fresh = match until {
        Some(u) if u >= as_of => 0,
        Some(u) => {
            late_interest(
                inv.due_date,
                inv.gross_minor,
                settlements,
                u,
                as_of,
                currency,
                &rate_of,
            )
            .map_err(bad)?
            .interest
        }
        None => all.interest,
    };
    let late = days_late(inv.due_date, inv.gross_minor, settlements, as_of);
    let indemnity = recovery_indemnity(late, currency);
    Ok(PenaltyLine {
        invoice_id: inv.id.clone(),
        invoice_number: inv.number.clone(),
        buyer_id: inv.buyer_id.clone(),
        due_date: inv.due_date,
        as_of,
        days_late: late,
        basis,
        interest: Money::new(all.interest, currency),
        indemnity: Money::new(indemnity, currency),
        charged_until: until,
        interest_to_charge: Money::new(fresh, currency),
        indemnity_to_charge: Money::new(if indemnity_charged { 0 } else { indemnity }, currency),
        segments: all.segments,
    })
}

fn settlements_of(
    conn: &mut DbConnection,
    ids: &[&str],
) -> Result<HashMap<String, Vec<Settlement>>, ServiceError> {
    let mut out: HashMap<String, Vec<Settlement>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, NaiveDate, i64)> = allocations::table
            .filter(allocations::invoice_id.eq_any(chunk))
            .select((
                allocations::invoice_id,
                allocations::allocated_on,
                allocations::amount_minor,
            ))
            .load(conn)?;
        for (id, on, amount) in rows {
            out.entry(id).or_default().push(Settlement { on, amount });
        }
    }
    Ok(out)
}

/// Penalties of one invoice as of a date.
pub fn penalty_of(
    conn: &mut DbConnection,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<PenaltyLine, ServiceError> {
    let inv = find_invoice(conn, invoice)?;
    let mut s = settlements_of(conn, &[inv.id.as_str()])?;
    compute(
        conn,
        &mut EcbRates::default(),
        &inv,
        &s.remove(&inv.id).unwrap_or_default(),
        as_of,
    )
}

/// Penalties of the given invoices as of `as_of`, by invoice id (reads in
/// chunks, ECB rates once).
pub fn penalties_for(
    conn: &mut DbConnection,
    ids: &[String],
    as_of: NaiveDate,
) -> Result<HashMap<String, PenaltyLine>, ServiceError> {
    let mut out = HashMap::new();
    let mut rates = EcbRates::default();
    for chunk in ids.chunks(500) {
        let rows: Vec<InvoiceRow> = invoices::table
            .filter(invoices::id.eq_any(chunk))
            .select(InvoiceRow::as_select())
            .load(conn)?;
        let refs: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut settlements = settlements_of(conn, &refs)?;
        for inv in &rows {
            let s = settlements.remove(&inv.id).unwrap_or_default();
            out.insert(inv.id.clone(), compute(conn, &mut rates, inv, &s, as_of)?);
        }
    }
    Ok(out)
}

/// Every invoice late as of `as_of` (optionally one buyer's), with its
/// penalties; invoices with nothing due are left out. Penalty invoices
/// themselves bear no penalties.
pub fn list_penalties(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    buyer_id: Option<&str>,
) -> Result<Vec<PenaltyLine>, ServiceError> {
    let mut q = invoices::table
        .filter(
            invoices::kind
                .eq("invoice")
                .and(invoices::due_date.lt(as_of))
                .and(invoices::state.ne("written_off"))
                .and(invoices::source_format.ne(PENALTY_SOURCE)),
        )
        .select(InvoiceRow::as_select())
        .order(invoices::due_date)
        .into_boxed();
    if let Some(b) = buyer_id {
        q = q.filter(invoices::buyer_id.eq(b.to_string()));
    }
    let rows: Vec<InvoiceRow> = q.load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut settlements = settlements_of(conn, &ids)?;
    let mut rates = EcbRates::default();
    let mut out = Vec::new();
    for inv in &rows {
        let s = settlements.remove(&inv.id).unwrap_or_default();
        let line = compute(conn, &mut rates, inv, &s, as_of)?;
        if line.days_late > 0 {
            out.push(line);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct PenaltyCharge {
    pub id: String,
    pub invoice_id: String,
    pub penalty_invoice_id: String,
    pub penalty_invoice_number: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub interest: Money,
    pub indemnity: Money,
    /// A charge to this same date existed: nothing new was made.
    pub already_charged: bool,
}

/// Invoices the penalties of an invoice up to `as_of`: the interest of the
/// days after the previous charge (or the due date), and the indemnity if
/// not charged before; one penalty invoice, one entry, one transaction.
/// The same date again answers the first charge; an earlier date than the
/// last charge is refused.
pub fn invoice_penalties(
    conn: &mut DbConnection,
    ctx: &Context,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<PenaltyCharge, ServiceError> {
    write_tx(conn, |conn| {
        let inv = find_invoice(conn, invoice)?;
        super::parties::lock_buyer(conn, &inv.buyer_id)?;
        if inv.source_format == PENALTY_SOURCE {
            return Err(ServiceError::invalid(
                "penalty_on_penalty",
                "invoice",
                format!("{} is itself a penalty invoice", inv.number),
            ));
        }
        let currency = stored_currency(&inv.currency)?;
        let prior: Vec<(String, String, NaiveDate, NaiveDate, i64, i64)> = penalty_charges::table
            .filter(penalty_charges::invoice_id.eq(&inv.id))
            .select((
                penalty_charges::id,
                penalty_charges::penalty_invoice_id,
                penalty_charges::period_from,
                penalty_charges::period_to,
                penalty_charges::interest_minor,
                penalty_charges::indemnity_minor,
            ))
            .load(conn)?;
        if let Some(same) = prior.iter().find(|p| p.3 == as_of) {
            let number: String = invoices::table
                .find(&same.1)
                .select(invoices::number)
                .first(conn)?;
            return Ok(PenaltyCharge {
                id: same.0.clone(),
                invoice_id: inv.id.clone(),
                penalty_invoice_id: same.1.clone(),
                penalty_invoice_number: number,
                period_from: same.2,
                period_to: same.3,
                interest: Money::new(same.4, currency),
                indemnity: Money::new(same.5, currency),
                already_charged: true,
            });
        }
        if let Some(last) = prior.iter().map(|p| p.3).max().filter(|l| *l > as_of) {
            return Err(ServiceError::conflict(
                "penalty_period_already_charged",
                format!(
                    "penalties of {} are charged up to {last}, after {as_of}",
                    inv.number
                ),
            ));
        }
        let mut s = settlements_of(conn, &[inv.id.as_str()])?;
        let line = compute(
            conn,
            &mut EcbRates::default(),
            &inv,
            &s.remove(&inv.id).unwrap_or_default(),
            as_of,
        )?;
        let interest = line.interest_to_charge.minor();
        let indemnity = line.indemnity_to_charge.minor();
        if interest + indemnity <= 0 {
            return Err(ServiceError::invalid(
                "penalty_nothing_due",
                "as_of",
                format!(
                    "invoice {} owes no penalty to charge as of {as_of}",
                    inv.number
                ),
            ));
        }
        let period_from = line.charged_until.unwrap_or(inv.due_date) + chrono::Duration::days(1);
        let total = interest + indemnity;
        let number = format!("PEN-{}-{}", inv.number, as_of.format("%Y%m%d"));
        let penalty_id = new_id();
        let hash = hex::encode(Sha256::digest(
            format!("{}|{}|{as_of}|{total}", inv.id, number).as_bytes(),
        ));
        let created_at = now();
        let row = InvoiceRow {
            id: penalty_id.clone(),
            seller_id: inv.seller_id.clone(),
            buyer_id: inv.buyer_id.clone(),
            number: number.clone(),
            kind: "invoice".into(),
            issue_date: as_of,
            due_date: as_of,
            currency: inv.currency.clone(),
            net_minor: total,
            tax_minor: 0,
            gross_minor: total,
            open_minor: total,
            payment_terms: None,
            lme_exceeded: 0,
            state: "open".into(),
            credited_invoice_id: None,
            buyer_reference: None,
            order_reference: Some(inv.number.clone()),
            content_hash: hash,
            created_at,
            type_code: DEBIT_NOTE_TYPE.into(),
            line_total_minor: Some(total),
            prepaid_minor: 0,
            payable_minor: Some(total),
            payee_name: None,
            payee_id: None,
            seller_iban: inv.seller_iban.clone(),
            source_format: PENALTY_SOURCE.into(),
            profile: None,
        };
        diesel::insert_into(invoices::table)
            .values(&row)
            .execute(conn)?;
        let charge_id = new_id();
        diesel::insert_into(penalty_charges::table)
            .values((
                penalty_charges::id.eq(&charge_id),
                penalty_charges::invoice_id.eq(&inv.id),
                penalty_charges::penalty_invoice_id.eq(&penalty_id),
                penalty_charges::period_from.eq(period_from),
                penalty_charges::period_to.eq(as_of),
                penalty_charges::interest_minor.eq(interest),
                penalty_charges::indemnity_minor.eq(indemnity),
                penalty_charges::currency.eq(&inv.currency),
                penalty_charges::created_at.eq(created_at),
            ))
            .execute(conn)?;
        let draft = post_penalty(
            &PenaltyFacts {
                charge_id: charge_id.clone(),
                piece_ref: number.clone(),
                buyer_id: inv.buyer_id.clone(),
                currency,
                interest,
                indemnity,
                on: as_of,
            },
            ctx.chart.roles(),
        )?;
        post(conn, ctx, &draft)?;
        Ok(PenaltyCharge {
            id: charge_id,
            invoice_id: inv.id.clone(),
            penalty_invoice_id: penalty_id,
            penalty_invoice_number: number,
            period_from,
            period_to: as_of,
            interest: Money::new(interest, currency),
            indemnity: Money::new(indemnity, currency),
            already_charged: false,
        })
    })
}
