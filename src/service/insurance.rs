//! Credit insurance records: policies and their dated versions, insurer
//! decisions on buyer limits, and the cover check.

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::parties::get_buyer;
use super::{new_id, now, ServiceError};
use crate::domain::cover::{terms_at, DecisionKind, PolicyTerms};
use crate::domain::invoice::InvoiceKind;
use crate::money::{Currency, Money};
use crate::store::rows::{LimitDecisionRow, PolicyRow, PolicyVersionRow};
use crate::store::schema::{
    insurance_limit_decisions as decisions, insurance_policies as policies,
    insurance_policy_versions as versions, invoices,
};
use crate::store::{write_tx, DbConnection};

/// A policy's terms as a caller gives them. Amounts are decimal strings in
/// the policy currency; the indemnity rate is a fraction ("0.90").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    pub effective_from: NaiveDate,
    pub indemnity_rate: String,
    pub max_credit_days: u32,
    pub notification_days: u32,
    pub waiting_days: u32,
    pub discretionary_limit: String,
    #[serde(default = "zero")]
    pub deductible: String,
    #[serde(default = "thirty")]
    pub reduction_notice_days: u32,
    #[serde(default)]
    pub vat_covered: bool,
    /// Yearly maximum liability [plafond d'indemnisation]; none: no maximum.
    #[serde(default)]
    pub max_liability: Option<String>,
    /// Premium rate on insured turnover, a fraction ("0.0035").
    #[serde(default = "zero")]
    pub premium_rate: String,
}

fn zero() -> String {
    "0".into()
}

fn thirty() -> u32 {
    30
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub insurer: String,
    pub number: String,
    pub currency: String,
    pub terms: TermsInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub id: String,
    pub insurer: String,
    pub number: String,
    pub currency: String,
    /// Every version of the terms, oldest first.
    pub versions: Vec<PolicyTerms>,
    /// The insurer connection requests, notices and claims go through
    /// (`[insurers.<name>]`); none: decisions are typed in by a person.
    pub connection: Option<String>,
}

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(code, field, message.into())
}

pub(crate) fn amount(field: &str, raw: &str, currency: Currency) -> Result<i64, ServiceError> {
    let m = Money::parse(raw, currency)
        .map_err(|e| invalid("amount_invalid", field, format!("{field}: {e}")))?;
    if m.is_negative() {
        return Err(invalid(
            "amount_negative",
            field,
            format!("{field} must not be negative"),
        ));
    }
    Ok(m.minor())
}

fn version_row(
    policy_id: &str,
    t: &TermsInput,
    currency: Currency,
) -> Result<PolicyVersionRow, ServiceError> {
    let rate: Decimal = t.indemnity_rate.trim().parse().map_err(|_| {
        invalid(
            "rate_invalid",
            "terms.indemnity_rate",
            "indemnity_rate: expected a fraction such as 0.90",
        )
    })?;
    if rate <= Decimal::ZERO || rate > Decimal::ONE {
        return Err(invalid(
            "rate_invalid",
            "terms.indemnity_rate",
            format!("indemnity_rate {rate} must be above 0 and at most 1"),
        ));
    }
    let premium_rate: Decimal = t.premium_rate.trim().parse().map_err(|_| {
        invalid(
            "rate_invalid",
            "terms.premium_rate",
            "premium_rate: expected a fraction such as 0.0035",
        )
    })?;
    if premium_rate < Decimal::ZERO || premium_rate >= Decimal::ONE {
        return Err(invalid(
            "rate_invalid",
            "terms.premium_rate",
            format!("premium_rate {premium_rate} must be at least 0 and below 1"),
        ));
    }
    let max_liability = t
        .max_liability
        .as_deref()
        .map(|m| amount("terms.max_liability", m, currency))
        .transpose()?;
    let days = |v: u32, field: &str| {
        i32::try_from(v)
            .map_err(|_| invalid("validation_failed", field, format!("{field} is too large")))
    };
    Ok(PolicyVersionRow {
        policy_id: policy_id.to_string(),
        effective_from: t.effective_from,
        indemnity_rate: rate.normalize().to_string(),
        max_credit_days: days(t.max_credit_days, "terms.max_credit_days")?,
        notification_days: days(t.notification_days, "terms.notification_days")?,
        waiting_days: days(t.waiting_days, "terms.waiting_days")?,
        discretionary_limit_minor: amount(
            "terms.discretionary_limit",
            &t.discretionary_limit,
            currency,
        )?,
        deductible_minor: amount("terms.deductible", &t.deductible, currency)?,
        reduction_notice_days: days(t.reduction_notice_days, "terms.reduction_notice_days")?,
        vat_covered: i32::from(t.vat_covered),
        created_at: now(),
        max_liability_minor: max_liability,
        premium_rate: premium_rate.normalize().to_string(),
    })
}

pub(crate) fn to_terms(row: &PolicyVersionRow, currency: &str) -> PolicyTerms {
    let days = |v: i32| u32::try_from(v).unwrap_or(0);
    PolicyTerms {
        effective_from: row.effective_from,
        currency: currency.to_string(),
        indemnity_rate: row.indemnity_rate.parse().unwrap_or(Decimal::ZERO),
        max_credit_days: days(row.max_credit_days),
        notification_days: days(row.notification_days),
        waiting_days: days(row.waiting_days),
        discretionary_limit: row.discretionary_limit_minor,
        deductible: row.deductible_minor,
        reduction_notice_days: days(row.reduction_notice_days),
        vat_covered: row.vat_covered != 0,
        max_liability: row.max_liability_minor,
        premium_rate: row.premium_rate.parse().unwrap_or(Decimal::ZERO),
    }
}

pub fn create_policy(conn: &mut DbConnection, input: &PolicyInput) -> Result<Policy, ServiceError> {
    let currency = Currency::from_code(input.currency.trim())
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let (insurer, number) = (input.insurer.trim(), input.number.trim());
    if insurer.is_empty() || number.is_empty() {
        return Err(invalid(
            "field_required",
            "insurer",
            "insurer and number are required",
        ));
    }
    let row = PolicyRow {
        id: new_id(),
        insurer: insurer.to_string(),
        number: number.to_string(),
        currency: currency.code().to_string(),
        created_at: now(),
        connection: None,
    };
    let version = version_row(&row.id, &input.terms, currency)?;
    write_tx(conn, |conn| {
        let taken: Option<String> = policies::table
            .filter(
                policies::insurer
                    .eq(&row.insurer)
                    .and(policies::number.eq(&row.number)),
            )
            .select(policies::id)
            .first(conn)
            .optional()?;
        if let Some(id) = taken {
            return Err(ServiceError::Conflict {
                code: "policy_exists",
                message: format!(
                    "policy {} of {} is already recorded as {id}",
                    row.number, row.insurer
                ),
            });
        }
        diesel::insert_into(policies::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(versions::table)
            .values(&version)
            .execute(conn)?;
        get_policy(conn, &row.id)
    })
}

/// A new version of the terms, from its effective date; earlier versions stay.
pub fn add_version(
    conn: &mut DbConnection,
    policy_id: &str,
    terms: &TermsInput,
) -> Result<Policy, ServiceError> {
    let policy = get_policy(conn, policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let row = version_row(&policy.id, terms, currency)?;
    write_tx(conn, |conn| {
        if policy
            .versions
            .iter()
            .any(|v| v.effective_from == row.effective_from)
        {
            return Err(ServiceError::Conflict {
                code: "policy_version_exists",
                message: format!(
                    "a version effective {} exists; versions are never overwritten",
                    row.effective_from
                ),
            });
        }
        diesel::insert_into(versions::table)
            .values(&row)
            .execute(conn)?;
        get_policy(conn, &policy.id)
    })
}

pub fn get_policy(conn: &mut DbConnection, id: &str) -> Result<Policy, ServiceError> {
    let row: PolicyRow = policies::table
        .find(id)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("policy_not_found", "policy", id))?;
    let rows: Vec<PolicyVersionRow> = versions::table
        .filter(versions::policy_id.eq(&row.id))
        .order(versions::effective_from)
        .select(PolicyVersionRow::as_select())
        .load(conn)?;
    Ok(Policy {
        versions: rows.iter().map(|v| to_terms(v, &row.currency)).collect(),
        id: row.id,
        insurer: row.insurer,
        number: row.number,
        currency: row.currency,
        connection: row.connection,
    })
}

/// An insurer's decision on a buyer's limit, as a caller records it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub policy_id: String,
    /// Our id, `scheme:value` or a bare legal id.
    pub buyer: String,
    pub kind: DecisionKind,
    #[serde(default)]
    pub amount: Option<String>,
    pub decided_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub id: String,
    pub policy_id: String,
    pub buyer_id: String,
    pub kind: DecisionKind,
    pub amount: Option<Money>,
    pub decided_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

/// Records a decision as a new row: decisions are never overwritten.
pub fn record_decision(
    conn: &mut DbConnection,
    input: &DecisionInput,
) -> Result<Decision, ServiceError> {
    let policy = get_policy(conn, &input.policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let buyer = get_buyer(conn, &input.buyer)?;
    let grants = input.kind.grants();
    let amount = input
        .amount
        .as_deref()
        .map(|a| amount("amount", a, currency))
        .transpose()?;
    if grants && amount.is_none() {
        return Err(invalid(
            "field_required",
            "amount",
            "this decision grants a limit: give its amount",
        ));
    }
    if let (Some(e), true) = (input.expires_on, input.expires_on < Some(input.decided_on)) {
        return Err(invalid(
            "validation_failed",
            "expires_on",
            format!("expires_on {e} is before decided_on"),
        ));
    }
    let kind = input.kind.as_str().to_string();
    let row = LimitDecisionRow {
        id: new_id(),
        policy_id: policy.id.clone(),
        buyer_id: buyer.id.clone(),
        kind,
        amount_minor: amount,
        decided_on: input.decided_on,
        expires_on: input.expires_on,
        reference: input.reference.clone(),
        created_at: now(),
    };
    write_tx(conn, |conn| {
        diesel::insert_into(decisions::table)
            .values(&row)
            .execute(conn)?;
        Ok::<(), ServiceError>(())
    })?;
    Ok(Decision {
        id: row.id,
        policy_id: row.policy_id,
        buyer_id: row.buyer_id,
        kind: input.kind,
        amount: amount.map(|m| Money::new(m, currency)),
        decided_on: row.decided_on,
        expires_on: row.expires_on,
        reference: row.reference,
    })
}

/// An overdue insured invoice and the dates it must meet.
#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    pub invoice_id: String,
    pub number: String,
    pub buyer_id: String,
    pub due_date: NaiveDate,
    pub days_overdue: i64,
    /// Notify the insurer by this date, or cover is lost.
    pub notify_by: NaiveDate,
    /// A claim can be filed from this date.
    pub claim_from: NaiveDate,
    /// True once `notify_by` has passed.
    pub notification_late: bool,
    pub open: Money,
    /// The indemnity the policy would pay on the open amount (rate x loss,
    /// net of VAT unless covered, less the deductible).
    pub at_stake: Money,
}

/// Every overdue open invoice in the policy's currency on `as_of`, soonest
/// notification deadline first.
pub fn insurance_due(
    conn: &mut DbConnection,
    policy_id: &str,
    as_of: NaiveDate,
) -> Result<Vec<DueItem>, ServiceError> {
    use crate::domain::cover::{deadlines, indemnity, vat_within};
    let policy = get_policy(conn, policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let rows: Vec<(String, String, String, NaiveDate, NaiveDate, i64, i64, i64)> = invoices::table
        .filter(
            invoices::kind
                .eq(InvoiceKind::Invoice.as_str())
                .and(invoices::currency.eq(&policy.currency))
                .and(invoices::open_minor.gt(0))
                .and(invoices::due_date.lt(as_of)),
        )
        .select((
            invoices::id,
            invoices::number,
            invoices::buyer_id,
            invoices::issue_date,
            invoices::due_date,
            invoices::open_minor,
            invoices::tax_minor,
            invoices::gross_minor,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, number, buyer_id, issue, due, open, tax, gross) in rows {
        // The terms the invoice was sold under.
        let Some(terms) = terms_at(&policy.versions, issue) else {
            continue;
        };
        let dl = deadlines(due, terms);
        let stake = indemnity(open, vat_within(open, tax, gross), terms, currency)
            .map_err(|e| invalid("amount_invalid", "open", e.to_string()))?;
        out.push(DueItem {
            invoice_id: id,
            number,
            buyer_id,
            due_date: due,
            days_overdue: (as_of - due).num_days(),
            notify_by: dl.notify_by,
            claim_from: dl.claim_from,
            notification_late: as_of > dl.notify_by,
            open: Money::new(open, currency),
            at_stake: Money::new(stake, currency),
        });
    }
    out.sort_by(|a, b| {
        (a.notify_by, a.claim_from, &a.number).cmp(&(b.notify_by, b.claim_from, &b.number))
    });
    Ok(out)
}

/// One recorded decision.
pub fn get_decision(conn: &mut DbConnection, id: &str) -> Result<Decision, ServiceError> {
    let row: LimitDecisionRow = decisions::table
        .find(id)
        .select(LimitDecisionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("decision_not_found", "limit decision", id))?;
    let policy = get_policy(conn, &row.policy_id)?;
    let currency = Currency::from_code(&policy.currency)
        .map_err(|e| invalid("currency_unknown", "currency", e.to_string()))?;
    let kind = DecisionKind::parse(&row.kind).ok_or_else(|| {
        invalid(
            "decision_kind_invalid",
            "kind",
            format!("stored kind '{}'", row.kind),
        )
    })?;
    Ok(Decision {
        id: row.id,
        policy_id: row.policy_id,
        buyer_id: row.buyer_id,
        kind,
        amount: row.amount_minor.map(|m| Money::new(m, currency)),
        decided_on: row.decided_on,
        expires_on: row.expires_on,
        reference: row.reference,
    })
}
