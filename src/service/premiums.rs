//! Credit insurance premiums [primes]: the premium due for a period on the
//! insured turnover, and its posting (616 / 401) once per policy and period.
//!
//! The base is the whole turnover in the policy currency (a whole-turnover
//! policy [police globale]): invoices net of VAT less credit notes net of
//! VAT, issued in the period (both dates included), each at the premium
//! rate of the terms in force on its issue date; rounded once.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::insurance::get_policy;
use super::ledger::post;
use super::{new_id, now, Context, ServiceError};
use crate::domain::insurance_money::{premium_due, TurnoverLine};
use crate::domain::invoice::InvoiceKind;
use crate::ledger::insurance_posting::post_premium;
use crate::money::{Currency, Money};
use crate::store::rows::PremiumRow;
use crate::store::schema::{insurance_policies, insurance_premiums as premiums, invoices};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct Premium {
    /// Set once posted.
    pub id: Option<String>,
    pub policy_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Insured turnover: net of VAT, credit notes deducted.
    pub turnover: Money,
    pub premium: Money,
    /// Recorded (and posted when not zero).
    pub posted: bool,
    /// An earlier run recorded this very period; this one changed nothing
    /// and answers what was recorded then.
    pub already_posted: bool,
}

fn invalid(code: &'static str, field: &str, message: String) -> ServiceError {
    ServiceError::invalid(code, field, message)
}

fn to_premium(row: PremiumRow, currency: Currency, already_posted: bool) -> Premium {
    Premium {
        id: Some(row.id),
        policy_id: row.policy_id,
        from: row.period_from,
        to: row.period_to,
        turnover: Money::new(row.turnover_minor, currency),
        premium: Money::new(row.premium_minor, currency),
        posted: true,
        already_posted,
    }
}

/// The premium due on a policy for `from..=to`; with `post_it`, recorded
/// and posted (debit 616, credit 401, dated `to`) once: the same period
/// again answers the first record and changes nothing; a different period
/// overlapping a recorded one is refused.
pub fn premium(
    conn: &mut DbConnection,
    ctx: &Context,
    policy_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    post_it: bool,
) -> Result<Premium, ServiceError> {
    if to < from {
        return Err(invalid(
            "period_invalid",
            "to",
            format!("the period ends ({to}) before it starts ({from})"),
        ));
    }
    let policy = get_policy(conn, policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let compute = |conn: &mut DbConnection| -> Result<_, ServiceError> {
        let rows: Vec<(String, NaiveDate, i64)> = invoices::table
            .filter(
                invoices::currency
                    .eq(&policy.currency)
                    .and(invoices::issue_date.ge(from))
                    .and(invoices::issue_date.le(to)),
            )
            .select((invoices::kind, invoices::issue_date, invoices::net_minor))
            .load(conn)?;
        let lines: Vec<TurnoverLine> = rows
            .into_iter()
            .map(|(kind, issue_date, net)| TurnoverLine {
                issue_date,
                net: if kind == InvoiceKind::CreditNote.as_str() {
                    -net
                } else {
                    net
                },
            })
            .collect();
        premium_due(&lines, &policy.versions, currency)
            .map_err(|e| invalid("amount_invalid", "turnover", e.to_string()))
    };
    if !post_it {
        let due = compute(conn)?;
        return Ok(Premium {
            id: None,
            policy_id: policy.id,
            from,
            to,
            turnover: Money::new(due.turnover, currency),
            premium: Money::new(due.premium, currency),
            posted: false,
            already_posted: false,
        });
    }
    write_tx(conn, |conn| {
        // One posting run per policy at a time (SQLite's write transaction
        // already serialises them).
        if let DbConnection::Postgres(c) = conn {
            insurance_policies::table
                .find(&policy.id)
                .select(insurance_policies::id)
                .for_update()
                .first::<String>(c)?;
        }
        let overlapping: Vec<PremiumRow> = premiums::table
            .filter(
                premiums::policy_id
                    .eq(&policy.id)
                    .and(premiums::period_from.le(to))
                    .and(premiums::period_to.ge(from)),
            )
            .select(PremiumRow::as_select())
            .load(conn)?;
        if let Some(same) = overlapping
            .iter()
            .find(|p| p.period_from == from && p.period_to == to)
        {
            return Ok(to_premium(same.clone(), currency, true));
        }
        if let Some(other) = overlapping.first() {
            return Err(ServiceError::Conflict {
                code: "premium_period_overlaps",
                message: format!(
                    "the premium of policy {} for {}..{} is already posted; {from}..{to} overlaps it",
                    policy.number, other.period_from, other.period_to
                ),
            });
        }
        let due = compute(conn)?;
        let row = PremiumRow {
            id: new_id(),
            policy_id: policy.id.clone(),
            period_from: from,
            period_to: to,
            turnover_minor: due.turnover,
            premium_minor: due.premium,
            created_at: now(),
        };
        diesel::insert_into(premiums::table)
            .values(&row)
            .execute(conn)?;
        if due.premium > 0 {
            let piece = format!("{} {from}..{to}", policy.number);
            let draft = post_premium(
                &row.id,
                &piece,
                due.premium,
                currency,
                to,
                ctx.chart.roles(),
            )?;
            post(conn, ctx, &draft)?;
        }
        Ok(to_premium(row, currency, false))
    })
}
