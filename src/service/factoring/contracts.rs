//! Factoring contracts and their dated versions (never overwritten).

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{currency_of, invalid, stored_rate};
use crate::domain::factoring::{ContractTerms, Notification, Recourse, Scope};
use crate::domain::party::validate_iban;
use crate::service::parties::get_seller;
use crate::service::{new_id, now, ServiceError};
use crate::store::factoring_rows::{ContractRow, ContractVersionRow};
use crate::store::schema::{
    factoring_contract_versions as versions, factoring_contracts as contracts,
};
use crate::store::{write_tx, DbConnection};

/// A contract's terms as a caller gives them; rates are fractions as
/// decimal text ("0.90").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    pub effective_from: NaiveDate,
    pub recourse: Recourse,
    pub notification: Notification,
    pub scope: Scope,
    pub advance_rate: String,
    pub reserve_rate: String,
    pub fee_rate: String,
    #[serde(default = "vat_20")]
    pub fee_vat_rate: String,
    #[serde(default = "euribor")]
    pub reference_series: String,
    pub margin: String,
    pub recourse_days: u32,
    pub max_invoice_age_days: u32,
    pub max_term_days: u32,
    #[serde(default)]
    pub excluded_countries: Vec<String>,
    #[serde(default = "yes")]
    pub exclude_disputed: bool,
    #[serde(default = "yes")]
    pub exclude_intra_group: bool,
    /// One buyer's largest share of the assigned outstanding; 1: no cap.
    #[serde(default = "one")]
    pub concentration_cap: String,
    #[serde(default = "thirty")]
    pub approval_notice_days: u32,
    pub factor_name: String,
    #[serde(default)]
    pub factor_iban: Option<String>,
    #[serde(default)]
    pub subrogation_notice: Option<String>,
}

fn vat_20() -> String {
    "0.20".into()
}
fn euribor() -> String {
    "EURIBOR3M".into()
}
fn yes() -> bool {
    true
}
fn one() -> String {
    "1".into()
}
fn thirty() -> u32 {
    30
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub factor: String,
    pub number: String,
    /// Our seller (the assignor [cédant]): id, SIREN or VAT number.
    pub seller: String,
    pub currency: String,
    pub terms: TermsInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub id: String,
    pub factor: String,
    pub number: String,
    pub seller_id: String,
    pub currency: String,
    /// The factor connection requests go through; none: typed in.
    pub connection: Option<String>,
    /// Every version, oldest first.
    pub versions: Vec<ContractTerms>,
}

impl Contract {
    /// The terms in force on `date`, or a stable-code error.
    pub fn terms_at(&self, date: NaiveDate) -> Result<&ContractTerms, ServiceError> {
        crate::domain::factoring::terms_at(&self.versions, date).ok_or_else(|| {
            invalid(
                "contract_not_in_force",
                "date",
                format!("contract {} has no terms in force on {date}", self.number),
            )
        })
    }
}

fn rate(field: &str, raw: &str, max: Decimal) -> Result<String, ServiceError> {
    let r: Decimal = raw.trim().parse().map_err(|_| {
        invalid(
            "rate_invalid",
            field,
            format!("{field}: expected a fraction such as 0.90, got '{raw}'"),
        )
    })?;
    if r < Decimal::ZERO || r > max {
        return Err(invalid(
            "rate_invalid",
            field,
            format!("{field} {r} must be between 0 and {max}"),
        ));
    }
    Ok(r.normalize().to_string())
}

fn version_row(contract_id: &str, t: &TermsInput) -> Result<ContractVersionRow, ServiceError> {
    let days = |v: u32, field: &str| {
        i32::try_from(v)
            .map_err(|_| invalid("validation_failed", field, format!("{field} is too large")))
    };
    let mut countries = Vec::new();
    for (i, c) in t.excluded_countries.iter().enumerate() {
        let c = c.trim().to_ascii_uppercase();
        if c.len() != 2 || !c.chars().all(|x| x.is_ascii_alphabetic()) {
            return Err(invalid(
                "country_invalid",
                &format!("terms.excluded_countries[{i}]"),
                format!("'{c}' is not an ISO 3166 alpha-2 code"),
            ));
        }
        countries.push(c);
    }
    let factor_iban = t
        .factor_iban
        .as_deref()
        .map(|i| {
            validate_iban(i)
                .map_err(|e| invalid("iban_invalid", "terms.factor_iban", e.to_string()))
        })
        .transpose()?;
    if t.factor_name.trim().is_empty() {
        return Err(invalid(
            "field_required",
            "terms.factor_name",
            "the factor's name as payee is required",
        ));
    }
    if t.reference_series.trim().is_empty() {
        return Err(invalid(
            "field_required",
            "terms.reference_series",
            "name the reference rate series",
        ));
    }
    Ok(ContractVersionRow {
        contract_id: contract_id.to_string(),
        effective_from: t.effective_from,
        recourse: t.recourse.as_str().into(),
        notification: t.notification.as_str().into(),
        scope: t.scope.as_str().into(),
        advance_rate: rate("terms.advance_rate", &t.advance_rate, Decimal::ONE)?,
        reserve_rate: rate("terms.reserve_rate", &t.reserve_rate, Decimal::ONE)?,
        fee_rate: rate("terms.fee_rate", &t.fee_rate, Decimal::ONE)?,
        fee_vat_rate: rate("terms.fee_vat_rate", &t.fee_vat_rate, Decimal::ONE)?,
        reference_series: t.reference_series.trim().to_string(),
        margin: rate("terms.margin", &t.margin, Decimal::ONE)?,
        recourse_days: days(t.recourse_days, "terms.recourse_days")?,
        max_invoice_age_days: days(t.max_invoice_age_days, "terms.max_invoice_age_days")?,
        max_term_days: days(t.max_term_days, "terms.max_term_days")?,
        excluded_countries: countries.join(","),
        exclude_disputed: i32::from(t.exclude_disputed),
        exclude_intra_group: i32::from(t.exclude_intra_group),
        concentration_cap: rate(
            "terms.concentration_cap",
            &t.concentration_cap,
            Decimal::ONE,
        )?,
        approval_notice_days: days(t.approval_notice_days, "terms.approval_notice_days")?,
        factor_name: t.factor_name.trim().to_string(),
        factor_iban,
        subrogation_notice: t
            .subrogation_notice
            .clone()
            .filter(|s| !s.trim().is_empty()),
        created_at: now(),
    })
}

fn to_terms(r: &ContractVersionRow) -> Result<ContractTerms, ServiceError> {
    let days = |v: i32| u32::try_from(v).unwrap_or(0);
    let bad = |what: &str, v: &str| {
        invalid(
            "contract_version_invalid",
            what,
            format!("stored {what} '{v}'"),
        )
    };
    Ok(ContractTerms {
        effective_from: r.effective_from,
        recourse: Recourse::parse(&r.recourse).ok_or_else(|| bad("recourse", &r.recourse))?,
        notification: Notification::parse(&r.notification)
            .ok_or_else(|| bad("notification", &r.notification))?,
        scope: Scope::parse(&r.scope).ok_or_else(|| bad("scope", &r.scope))?,
        advance_rate: stored_rate("advance_rate", &r.advance_rate)?,
        reserve_rate: stored_rate("reserve_rate", &r.reserve_rate)?,
        fee_rate: stored_rate("fee_rate", &r.fee_rate)?,
        fee_vat_rate: stored_rate("fee_vat_rate", &r.fee_vat_rate)?,
        reference_series: r.reference_series.clone(),
        margin: stored_rate("margin", &r.margin)?,
        recourse_days: days(r.recourse_days),
        max_invoice_age_days: days(r.max_invoice_age_days),
        max_term_days: days(r.max_term_days),
        excluded_countries: r
            .excluded_countries
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        exclude_disputed: r.exclude_disputed != 0,
        exclude_intra_group: r.exclude_intra_group != 0,
        concentration_cap: stored_rate("concentration_cap", &r.concentration_cap)?,
        approval_notice_days: days(r.approval_notice_days),
        factor_name: r.factor_name.clone(),
        factor_iban: r.factor_iban.clone(),
        subrogation_notice: r.subrogation_notice.clone(),
    })
}

pub fn create_contract(
    conn: &mut DbConnection,
    input: &ContractInput,
) -> Result<Contract, ServiceError> {
    let currency = currency_of(input.currency.trim())?;
    let (factor, number) = (input.factor.trim(), input.number.trim());
    if factor.is_empty() {
        return Err(invalid(
            "field_required",
            "factor",
            "the factor's name is required",
        ));
    }
    if number.is_empty() {
        return Err(invalid(
            "field_required",
            "number",
            "the contract number is required",
        ));
    }
    let seller = get_seller(conn, &input.seller)?;
    let row = ContractRow {
        id: new_id(),
        factor: factor.to_string(),
        number: number.to_string(),
        seller_id: seller.id,
        currency: currency.code().to_string(),
        connection: None,
        next_assignment_seq: 1,
        created_at: now(),
    };
    let version = version_row(&row.id, &input.terms)?;
    write_tx(conn, |conn| {
        let taken: Option<String> = contracts::table
            .filter(contracts::number.eq(&row.number))
            .select(contracts::id)
            .first(conn)
            .optional()?;
        if let Some(id) = taken {
            return Err(ServiceError::conflict(
                "contract_exists",
                format!("contract {} is already recorded as {id}", row.number),
            ));
        }
        diesel::insert_into(contracts::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(versions::table)
            .values(&version)
            .execute(conn)?;
        get_contract(conn, &row.id)
    })
}

/// A new version of the terms from its effective date; earlier ones stay.
pub fn add_version(
    conn: &mut DbConnection,
    reference: &str,
    terms: &TermsInput,
) -> Result<Contract, ServiceError> {
    let contract = get_contract(conn, reference)?;
    let row = version_row(&contract.id, terms)?;
    write_tx(conn, |conn| {
        if contract
            .versions
            .iter()
            .any(|v| v.effective_from == row.effective_from)
        {
            return Err(ServiceError::conflict(
                "contract_version_exists",
                format!(
                    "a version effective {} exists; versions are never overwritten",
                    row.effective_from
                ),
            ));
        }
        diesel::insert_into(versions::table)
            .values(&row)
            .execute(conn)?;
        get_contract(conn, &contract.id)
    })
}

/// A contract by our id or its number.
pub fn get_contract(conn: &mut DbConnection, reference: &str) -> Result<Contract, ServiceError> {
    let reference = reference.trim();
    let row: ContractRow = contracts::table
        .filter(
            contracts::id
                .eq(reference)
                .or(contracts::number.eq(reference)),
        )
        .select(ContractRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ServiceError::not_found("contract_not_found", "factoring contract", reference)
        })?;
    let rows: Vec<ContractVersionRow> = versions::table
        .filter(versions::contract_id.eq(&row.id))
        .order(versions::effective_from)
        .select(ContractVersionRow::as_select())
        .load(conn)?;
    Ok(Contract {
        versions: rows.iter().map(to_terms).collect::<Result<_, _>>()?,
        id: row.id,
        factor: row.factor,
        number: row.number,
        seller_id: row.seller_id,
        currency: row.currency,
        connection: row.connection,
    })
}

/// Links a contract to a configured factor connection (`None` unlinks).
/// `known` lists the connections of the configuration.
pub fn link_contract(
    conn: &mut DbConnection,
    reference: &str,
    connection: Option<&str>,
    known: &[String],
) -> Result<Contract, ServiceError> {
    if let Some(name) = connection {
        if !known.iter().any(|k| k == name) {
            return Err(invalid(
                "connection_unknown",
                "connection",
                format!("no factor connection '{name}' in the configuration"),
            ));
        }
    }
    let contract = get_contract(conn, reference)?;
    diesel::update(contracts::table.find(&contract.id))
        .set(contracts::connection.eq(connection))
        .execute(conn)?;
    get_contract(conn, &contract.id)
}

/// The contract row locked for the rest of the transaction (PostgreSQL;
/// SQLite's write transaction already serialises writers).
pub(crate) fn lock_contract(conn: &mut DbConnection, id: &str) -> Result<(), ServiceError> {
    if let DbConnection::Postgres(c) = conn {
        contracts::table
            .find(id)
            .select(contracts::id)
            .for_update()
            .first::<String>(c)?;
    }
    Ok(())
}
