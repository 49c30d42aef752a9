//! API keys: `Authorization: Bearer <key>`, looked up by hash; each route
//! names the roles it admits, and admin is admitted everywhere.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderMap, AUTHORIZATION};

use super::problem::Problem;
use super::routes::{Access, RouteSpec};
use crate::service::keys::{self, Principal, Role};
use crate::store::Store;

/// The key presented in the `Authorization` header, if any. The scheme is
/// case-insensitive (RFC 9110 §11.1).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, Problem> {
    let value = headers.get(AUTHORIZATION).ok_or_else(|| {
        Problem::unauthorized("an API key is required: Authorization: Bearer <key>", false)
    })?;
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not ASCII", true))?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::unauthorized(
            "the Authorization scheme must be Bearer",
            false,
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Problem::unauthorized("the bearer token is empty", true));
    }
    Ok(token)
}

/// May a principal of `role` call the route?
pub fn admits(access: &Access, role: Role) -> bool {
    match access {
        Access::Public => true,
        Access::Roles(roles) => role == Role::Admin || roles.contains(&role),
    }
}

/// Keys authenticated in the last few seconds, by hash (never the key
/// itself), so the hottest routes (cover checks) do not read the key table
/// on every call. A revocation (`factorgate keys revoke`) takes effect
/// within the cache's time to live ([`KeyCache::DEFAULT_TTL`]).
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Principal, Instant)>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new(Self::DEFAULT_TTL)
    }
}

impl KeyCache {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

    /// A zero `ttl` turns the cache off: every call reads the key table.
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache {
            ttl,
            entries: RwLock::default(),
        }
    }
    /// Beyond this many keys the cache starts afresh: a flood of unknown
    /// keys cannot grow it (unknown keys are never cached anyway).
    const CAPACITY: usize = 10_000;

    fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let (principal, at) = entries.get(hash)?;
        (at.elapsed() < self.ttl).then(|| principal.clone())
    }

    fn put(&self, hash: String, principal: Principal) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(hash, (principal, Instant::now()));
        }
    }
}

/// Authenticates and authorizes a request for a route: `None` on a public
/// route, the principal otherwise; 401 for a missing or unknown key, 403
/// for a key whose role the route does not admit.
pub async fn authorize(
    store: &Store,
    cache: &KeyCache,
    headers: &HeaderMap,
    route: &RouteSpec,
) -> Result<Option<Principal>, Problem> {
    if matches!(route.access, Access::Public) {
        return Ok(None);
    }
    let hash = keys::hash_key(bearer_token(headers)?);
    let principal = match cache.get(&hash) {
        Some(p) => p,
        None => {
            let lookup = hash.clone();
            let found = store
                .run(move |conn| keys::authenticate_hash(conn, &lookup))
                .await
                .map_err(Problem::from)?
                .ok_or_else(|| Problem::unauthorized("the API key is unknown or revoked", true))?;
            cache.put(hash, found.clone());
            found
        }
    };
    if !admits(&route.access, principal.role) {
        return Err(Problem::forbidden(format!(
            "role {} may not call {} {}",
            principal.role.as_str(),
            route.method,
            route.path
        )));
    }
    Ok(Some(principal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(&headers("Bearer fg_abc")).unwrap(), "fg_abc");
        assert_eq!(
            bearer_token(&headers("bearer   fg_abc ")).unwrap(),
            "fg_abc"
        );
        assert_eq!(
            bearer_token(&headers("Basic dXNlcg==")).unwrap_err().code,
            "unauthorized"
        );
        assert!(bearer_token(&headers("Bearer ")).is_err());
        let missing = bearer_token(&HeaderMap::new()).unwrap_err();
        assert_eq!(missing.status.as_u16(), 401);
        assert!(missing
            .headers
            .iter()
            .any(|(n, v)| n == "www-authenticate" && v.to_str().unwrap().starts_with("Bearer")));
    }

    #[test]
    fn admin_is_admitted_everywhere() {
        let only_accountant = Access::Roles(&[Role::Accountant]);
        assert!(admits(&only_accountant, Role::Admin));
        assert!(admits(&only_accountant, Role::Accountant));
        assert!(!admits(&only_accountant, Role::Treasurer));
        assert!(admits(&Access::Public, Role::FinanceSystem));
    }
}
