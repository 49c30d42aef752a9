//! API keys: `Authorization: Bearer <key>`, looked up by hash; each route
//! names the roles it admits, and admin is admitted everywhere.

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

/// Authenticates and authorizes a request for a route: `None` on a public
/// route, the principal otherwise; 401 for a missing or unknown key, 403
/// for a key whose role the route does not admit.
pub async fn authorize(
    store: &Store,
    headers: &HeaderMap,
    route: &RouteSpec,
) -> Result<Option<Principal>, Problem> {
    if matches!(route.access, Access::Public) {
        return Ok(None);
    }
    let token = bearer_token(headers)?.to_string();
    let principal = store
        .run(move |conn| keys::authenticate(conn, &token))
        .await
        .map_err(Problem::from)?
        .ok_or_else(|| Problem::unauthorized("the API key is unknown or revoked", true))?;
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
