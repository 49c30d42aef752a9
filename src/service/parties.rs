//! Sellers (our companies) and buyers with their legal ids.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{new_id, now, page_size, Page, ServiceError};
use crate::domain::ids::{LegalId, LegalIdScheme};
use crate::domain::party::{
    validate_buyer, validate_seller, BuyerInput, LegalIdInput, PartyError, SellerInput, ValidBuyer,
};
use crate::error::ErrorCode;
use crate::store::rows::{BuyerRow, LegalIdRow, SellerRow};
use crate::store::schema::{buyer_legal_ids, buyers, sellers};
use crate::store::{write_tx, DbConnection};

impl From<PartyError> for ServiceError {
    fn from(e: PartyError) -> Self {
        let field = match &e {
            PartyError::InvalidField { field, .. } => field.to_string(),
            PartyError::InvalidLegalId { field, .. } => field.clone(),
        };
        ServiceError::Invalid {
            code: e.code(),
            field: Some(field),
            message: e.to_string(),
        }
    }
}

pub type Seller = SellerRow;

pub fn create_seller(conn: &mut DbConnection, input: &SellerInput) -> Result<Seller, ServiceError> {
    let valid = validate_seller(input)?;
    write_tx(conn, |conn| {
        for (field, value) in [("siren", &valid.siren), ("vat", &valid.vat)] {
            if let Some(v) = value {
                if find_seller(conn, v)?.is_some() {
                    return Err(ServiceError::conflict(
                        "seller_exists",
                        format!("{field}: a seller with {v} already exists"),
                    ));
                }
            }
        }
        let row = SellerRow {
            id: new_id(),
            name: valid.name.clone(),
            siren: valid.siren.clone(),
            vat: valid.vat.clone(),
            iban: valid.iban.clone(),
            created_at: now(),
        };
        diesel::insert_into(sellers::table)
            .values(&row)
            .execute(conn)?;
        Ok(row)
    })
}

pub fn list_sellers(conn: &mut DbConnection) -> Result<Vec<Seller>, ServiceError> {
    Ok(sellers::table
        .order(sellers::id)
        .select(SellerRow::as_select())
        .load(conn)?)
}

/// A seller by our id, its SIREN or its VAT number.
pub fn find_seller(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<Seller>, ServiceError> {
    let reference = reference.trim();
    let normalized: String = reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    Ok(sellers::table
        .filter(
            sellers::id
                .eq(reference)
                .or(sellers::siren.eq(&normalized))
                .or(sellers::vat.eq(&normalized)),
        )
        .select(SellerRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get_seller(conn: &mut DbConnection, reference: &str) -> Result<Seller, ServiceError> {
    find_seller(conn, reference)?
        .ok_or_else(|| ServiceError::not_found("seller_not_found", "seller", reference))
}

#[derive(Debug, Clone, Serialize)]
pub struct LegalIdView {
    pub scheme: String,
    pub value: String,
    /// False for an id read from a received document that failed its check.
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Buyer {
    pub id: String,
    pub name: String,
    pub country: String,
    pub legal_ids: Vec<LegalIdView>,
    pub created_at: NaiveDateTime,
}

pub fn create_buyer(conn: &mut DbConnection, input: &BuyerInput) -> Result<Buyer, ServiceError> {
    let valid = validate_buyer(input)?;
    write_tx(conn, |conn| insert_buyer(conn, &valid))
}

/// Writes a checked buyer inside the caller's transaction; a legal id that
/// already belongs to a buyer is a conflict.
pub fn insert_buyer(conn: &mut DbConnection, valid: &ValidBuyer) -> Result<Buyer, ServiceError> {
    {
        for (i, id) in valid
            .legal_ids
            .iter()
            .chain(&valid.unverified_ids)
            .enumerate()
        {
            let owner: Option<String> = buyer_legal_ids::table
                .filter(
                    buyer_legal_ids::scheme
                        .eq(id.scheme.as_str())
                        .and(buyer_legal_ids::value.eq(&id.value)),
                )
                .select(buyer_legal_ids::buyer_id)
                .first(conn)
                .optional()?;
            if let Some(owner) = owner {
                return Err(ServiceError::Conflict {
                    code: "legal_id_taken",
                    message: format!(
                        "legal_ids[{i}]: {} {} already belongs to buyer {owner}",
                        id.scheme.as_str(),
                        id.value
                    ),
                });
            }
        }
        let row = BuyerRow {
            id: new_id(),
            name: valid.name.clone(),
            country: valid.country.clone(),
            created_at: now(),
        };
        diesel::insert_into(buyers::table)
            .values(&row)
            .execute(conn)?;
        let row_of = |l: &LegalId, verified: i32| LegalIdRow {
            scheme: l.scheme.as_str().to_string(),
            value: l.value.clone(),
            buyer_id: row.id.clone(),
            verified,
        };
        let ids: Vec<LegalIdRow> = (valid.legal_ids.iter().map(|l| row_of(l, 1)))
            .chain(valid.unverified_ids.iter().map(|l| row_of(l, 0)))
            .collect();
        for id in &ids {
            diesel::insert_into(buyer_legal_ids::table)
                .values(id)
                .execute(conn)?;
        }
        Ok(to_buyer(row, ids))
    }
}

fn to_buyer(row: BuyerRow, ids: Vec<LegalIdRow>) -> Buyer {
    Buyer {
        id: row.id,
        name: row.name,
        country: row.country,
        legal_ids: ids
            .into_iter()
            .map(|l| LegalIdView {
                scheme: l.scheme,
                value: l.value,
                verified: l.verified != 0,
            })
            .collect(),
        created_at: row.created_at,
    }
}

/// The normalized form of an id for lookup (spaces, dots, dashes removed;
/// upper case). A typed id that fails its check still finds nothing rather
/// than an error: lookups are not input.
pub fn normalize_legal_id(scheme: LegalIdScheme, raw: &str) -> String {
    crate::domain::ids::normalize(scheme, raw)
}

pub fn find_buyer_id_by_legal_id(
    conn: &mut DbConnection,
    id: &LegalIdInput,
) -> Result<Option<String>, ServiceError> {
    let value = normalize_legal_id(id.scheme, &id.value);
    Ok(buyer_legal_ids::table
        .filter(
            buyer_legal_ids::scheme
                .eq(id.scheme.as_str())
                .and(buyer_legal_ids::value.eq(value)),
        )
        .select(buyer_legal_ids::buyer_id)
        .first(conn)
        .optional()?)
}

/// A buyer by our id, or by "scheme:value" (e.g. siren:552100554), or by a
/// bare legal id value of any scheme.
/// Serialises the money movements of one buyer (payments, credit notes,
/// holds) inside a write transaction: they read the buyer's open amounts
/// and then write from them. SQLite's write transaction is already
/// exclusive; on PostgreSQL the buyer row is locked until commit.
pub(crate) fn lock_buyer(conn: &mut DbConnection, buyer_id: &str) -> Result<(), ServiceError> {
    if let DbConnection::Postgres(c) = conn {
        buyers::table
            .find(buyer_id)
            .select(buyers::id)
            .for_update()
            .first::<String>(c)?;
    }
    Ok(())
}

/// How a caller names a buyer: our id, `scheme:value` (scheme name or
/// its ISO 6523 code, `siren:...` or `0002:...`) or a bare legal id.
pub enum BuyerRef {
    /// Our id, or failing that a bare legal id (SIREN, VAT, ...).
    OursOrBare { ours: String, bare: String },
    /// `scheme:value`, the value normalised for its scheme.
    Legal {
        scheme: LegalIdScheme,
        value: String,
    },
}

impl BuyerRef {
    /// `None` for an unknown scheme. Our ids are UUIDs: a `scheme:value`
    /// reference cannot be one.
    pub fn parse(reference: &str) -> Option<BuyerRef> {
        Some(match reference.split_once(':') {
            Some((scheme, value)) => {
                let scheme = scheme
                    .parse::<LegalIdScheme>()
                    .ok()
                    .or_else(|| LegalIdScheme::from_iso6523(scheme))?;
                BuyerRef::Legal {
                    scheme,
                    value: normalize_legal_id(scheme, value),
                }
            }
            None => BuyerRef::OursOrBare {
                ours: reference.to_string(),
                bare: reference
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_uppercase(),
            },
        })
    }
}

/// Our id for a buyer named as [`BuyerRef::parse`] reads it: one indexed
/// probe when it is our id.
pub fn resolve_buyer_id(conn: &mut DbConnection, reference: &str) -> Result<String, ServiceError> {
    let not_found = || ServiceError::not_found("buyer_not_found", "buyer", reference);
    let found = match BuyerRef::parse(reference).ok_or_else(not_found)? {
        BuyerRef::Legal { scheme, value } => buyer_legal_ids::table
            .filter(
                buyer_legal_ids::scheme
                    .eq(scheme.as_str())
                    .and(buyer_legal_ids::value.eq(value)),
            )
            .select(buyer_legal_ids::buyer_id)
            .first::<String>(conn)
            .optional()?,
        BuyerRef::OursOrBare { ours, bare } => match buyers::table
            .find(&ours)
            .select(buyers::id)
            .first::<String>(conn)
            .optional()?
        {
            Some(id) => Some(id),
            None => buyer_legal_ids::table
                .filter(buyer_legal_ids::value.eq(bare))
                .select(buyer_legal_ids::buyer_id)
                .first::<String>(conn)
                .optional()?,
        },
    };
    found.ok_or_else(not_found)
}

pub fn get_buyer(conn: &mut DbConnection, reference: &str) -> Result<Buyer, ServiceError> {
    let buyer_id = resolve_buyer_id(conn, reference)?;
    let row: BuyerRow = buyers::table
        .find(&buyer_id)
        .select(BuyerRow::as_select())
        .first(conn)?;
    let ids = buyer_legal_ids::table
        .filter(buyer_legal_ids::buyer_id.eq(&row.id))
        .order((buyer_legal_ids::scheme, buyer_legal_ids::value))
        .select(LegalIdRow::as_select())
        .load(conn)?;
    Ok(to_buyer(row, ids))
}

#[derive(Debug, Clone, Default)]
pub struct BuyerFilter {
    pub country: Option<String>,
    pub name_contains: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub fn list_buyers(
    conn: &mut DbConnection,
    filter: &BuyerFilter,
) -> Result<Page<Buyer>, ServiceError> {
    let limit = page_size(filter.limit)?;
    let mut query = buyers::table.into_boxed();
    if let Some(c) = &filter.country {
        query = query.filter(buyers::country.eq(c.to_ascii_uppercase()));
    }
    if let Some(n) = &filter.name_contains {
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(buyers.name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(format!(
                    "%{}%",
                    n.to_lowercase()
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                ))
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(cursor) = &filter.cursor {
        query = query.filter(buyers::id.gt(cursor));
    }
    let rows: Vec<BuyerRow> = query
        .order(buyers::id)
        .limit(limit + 1)
        .select(BuyerRow::as_select())
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    let rows: Vec<BuyerRow> = rows.into_iter().take(limit as usize).collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut legal: Vec<LegalIdRow> = Vec::new();
    for chunk in ids.chunks(500) {
        legal.extend(
            buyer_legal_ids::table
                .filter(buyer_legal_ids::buyer_id.eq_any(chunk))
                .order((buyer_legal_ids::scheme, buyer_legal_ids::value))
                .select(LegalIdRow::as_select())
                .load(conn)?,
        );
    }
    let next_cursor = if has_more {
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let mine = legal
                .iter()
                .filter(|l| l.buyer_id == r.id)
                .cloned()
                .collect();
            to_buyer(r, mine)
        })
        .collect();
    Ok(Page { items, next_cursor })
}
