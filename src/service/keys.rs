//! API keys: random secrets shown once, stored as SHA-256 hashes.

use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{new_id, now, ServiceError};
use crate::store::rows::ApiKeyRow;
use crate::store::schema::api_keys;
use crate::store::DbConnection;

/// Who may call what. Each API route names the roles it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Treasurer,
    Accountant,
    FinanceSystem,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Treasurer,
        Role::Accountant,
        Role::FinanceSystem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Treasurer => "treasurer",
            Role::Accountant => "accountant",
            Role::FinanceSystem => "finance_system",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "admin" => Some(Role::Admin),
            "treasurer" => Some(Role::Treasurer),
            "accountant" => Some(Role::Accountant),
            "finance_system" => Some(Role::FinanceSystem),
            _ => None,
        }
    }
}

/// The key as created: the secret appears here and nowhere else, ever.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedKey {
    pub id: String,
    pub label: String,
    pub role: Role,
    pub key: String,
}

/// A key as an authenticated request knows it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: String,
    pub role: Role,
}

const KEY_PREFIX: &str = "fg_";

/// A 256-bit random secret needs no slow hash: SHA-256 is enough to make a
/// stolen table useless.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub fn create_key(
    conn: &mut DbConnection,
    role: Role,
    label: &str,
) -> Result<CreatedKey, ServiceError> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = format!("{KEY_PREFIX}{}", hex::encode(secret));
    let row = ApiKeyRow {
        id: new_id(),
        label: label.to_string(),
        role: role.as_str().to_string(),
        key_hash: hash_key(&key),
        key_prefix: key[..KEY_PREFIX.len() + 6].to_string(),
        created_at: now(),
        revoked_at: None,
    };
    diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(conn)?;
    Ok(CreatedKey {
        id: row.id,
        label: row.label,
        role,
        key,
    })
}

/// The principal for a presented key's hash ([`hash_key`]), if the key
/// exists and is not revoked.
pub fn authenticate_hash(
    conn: &mut DbConnection,
    key_hash: &str,
) -> Result<Option<Principal>, ServiceError> {
    let row: Option<ApiKeyRow> = api_keys::table
        .filter(
            api_keys::key_hash
                .eq(key_hash)
                .and(api_keys::revoked_at.is_null()),
        )
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.and_then(|r| Role::parse(&r.role).map(|role| Principal { key_id: r.id, role })))
}

pub fn revoke_key(conn: &mut DbConnection, id: &str) -> Result<(), ServiceError> {
    let n = diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(now())))
    .execute(conn)?;
    if n == 0 {
        return Err(ServiceError::not_found("api_key_not_found", "API key", id));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub label: String,
    pub role: String,
    pub key_prefix: String,
    pub created_at: chrono::NaiveDateTime,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

pub fn list_keys(conn: &mut DbConnection) -> Result<Vec<KeyInfo>, ServiceError> {
    let rows: Vec<ApiKeyRow> = api_keys::table
        .order(api_keys::id)
        .select(ApiKeyRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| KeyInfo {
            id: r.id,
            label: r.label,
            role: r.role,
            key_prefix: r.key_prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}
