//! What collections knows of a buyer beyond its identity: where dunning
//! e-mails go, the language of its letters, a contract late-payment rate,
//! and its credit insurer's grade.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{now, ServiceError};
use crate::store::schema::{buyer_collection_terms as terms, buyers};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    pub email: Option<String>,
    /// `fr` or `en`; absent: from the buyer's country.
    pub language: Option<String>,
    /// Contract late-payment rate, annual percent, e.g. "12.5".
    pub penalty_rate: Option<String>,
    /// The credit insurer's grade, 1 (best) to 10 (worst).
    pub insurer_grade: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = terms)]
pub struct CollectionTerms {
    pub buyer_id: String,
    pub email: Option<String>,
    pub language: Option<String>,
    pub penalty_rate: Option<String>,
    pub insurer_grade: Option<i32>,
    pub updated_at: NaiveDateTime,
}

/// French for buyers in French-speaking countries, English elsewhere.
pub fn language_of_country(country: &str) -> &'static str {
    match country {
        "FR" | "BE" | "LU" | "MC" | "CH" | "RE" | "GP" | "MQ" | "GF" | "YT" | "NC" | "PF" => "fr",
        _ => "en",
    }
}

/// Sets (replaces) a buyer's collection terms.
pub fn set_terms(
    conn: &mut DbConnection,
    buyer_id: &str,
    input: &TermsInput,
) -> Result<CollectionTerms, ServiceError> {
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(e) = email {
        let ok = e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
        });
        if !ok {
            return Err(ServiceError::invalid(
                "email_invalid",
                "email",
                format!("'{e}' is not an e-mail address"),
            ));
        }
    }
    if let Some(l) = &input.language {
        if l != "fr" && l != "en" {
            return Err(ServiceError::invalid(
                "language_unsupported",
                "language",
                format!("'{l}': templates exist in fr and en"),
            ));
        }
    }
    if let Some(r) = &input.penalty_rate {
        let ok = r
            .trim()
            .parse::<Decimal>()
            .is_ok_and(|v| v >= Decimal::ZERO && v <= Decimal::from(100));
        if !ok {
            return Err(ServiceError::invalid(
                "penalty_rate_invalid",
                "penalty_rate",
                format!("'{r}' is not an annual percent between 0 and 100"),
            ));
        }
    }
    if let Some(g) = input.insurer_grade {
        if !(1..=10).contains(&g) {
            return Err(ServiceError::invalid(
                "insurer_grade_invalid",
                "insurer_grade",
                format!("{g} is not between 1 and 10"),
            ));
        }
    }
    write_tx(conn, |conn| {
        let exists: Option<String> = buyers::table
            .find(buyer_id)
            .select(buyers::id)
            .first(conn)
            .optional()?;
        if exists.is_none() {
            return Err(ServiceError::not_found(
                "buyer_not_found",
                "buyer",
                buyer_id,
            ));
        }
        diesel::delete(terms::table.find(buyer_id)).execute(conn)?;
        diesel::insert_into(terms::table)
            .values((
                terms::buyer_id.eq(buyer_id),
                terms::email.eq(email),
                terms::language.eq(input.language.as_deref()),
                terms::penalty_rate.eq(input.penalty_rate.as_deref().map(str::trim)),
                terms::insurer_grade.eq(input.insurer_grade),
                terms::updated_at.eq(now()),
            ))
            .execute(conn)?;
        get_terms(conn, buyer_id)?
            .ok_or_else(|| ServiceError::not_found("buyer_not_found", "buyer", buyer_id))
    })
}

pub fn get_terms(
    conn: &mut DbConnection,
    buyer_id: &str,
) -> Result<Option<CollectionTerms>, ServiceError> {
    Ok(terms::table
        .find(buyer_id)
        .select(CollectionTerms::as_select())
        .first(conn)
        .optional()?)
}

/// The contract rate of a buyer, if its terms set one.
pub fn contract_rate(terms: Option<&CollectionTerms>) -> Option<Decimal> {
    terms
        .and_then(|t| t.penalty_rate.as_deref())
        .and_then(|r| r.parse().ok())
}
