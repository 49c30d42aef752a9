//! What a handler receives ([`Call`]) and what it returns ([`Reply`]).
//!
//! A call owns everything it needs (no `HttpRequest`), so a handler's future
//! is `Send` and can outlive a client that hangs up: the work it started in
//! the database is finished and its answer recorded for an idempotent retry.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::problem::{Problem, PROBLEM_JSON};
use super::ApiState;
use crate::service::keys::Principal;
use crate::service::{Context, ServiceError, MAX_PAGE_SIZE};
use crate::store::DbConnection;

pub const JSON: &str = "application/json";

/// One request, as a handler sees it.
pub struct Call {
    pub state: ApiState,
    /// `None` only on public routes.
    pub principal: Option<Principal>,
    /// Path parameters, percent-decoded, by name.
    pub params: Vec<(String, String)>,
    pub query: String,
    /// The request's Content-Type, as sent.
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Call {
    /// A path parameter declared by the route (`{id}`).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The body as `T`. A syntax or shape error is a 400 `json_invalid` whose
    /// detail is serde's message: the field, line and column at fault.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        parse_json(&self.body)
    }

    /// The query string as `T` (unknown parameters are refused when `T`
    /// says `deny_unknown_fields`): 400 `query_invalid` otherwise.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        actix_web::web::Query::<T>::from_query(&self.query)
            .map(actix_web::web::Query::into_inner)
            .map_err(|e| {
                let detail = match e {
                    actix_web::error::QueryPayloadError::Deserialize(inner) => inner.to_string(),
                    other => other.to_string(),
                };
                let field = backticked(&detail);
                let p = Problem::query_invalid(format!("query string: {detail}"));
                match field {
                    Some(f) => p.with_field(f),
                    None => p,
                }
            })
    }

    /// Runs service work on a pooled connection, off the async workers.
    pub async fn db<T, F>(&self, f: F) -> Result<T, Problem>
    where
        F: FnOnce(&mut DbConnection, &Context) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let ctx = self.state.ctx.clone();
        self.state
            .store
            .run(move |conn| f(conn, &ctx))
            .await
            .map_err(Problem::from)
    }

    /// [`Call::db`] for short read-only work: on SQLite it runs on the
    /// worker thread when a connection is free (see [`crate::store::Store::run_read`]).
    pub async fn db_read<T, F>(&self, f: F) -> Result<T, Problem>
    where
        F: FnOnce(&mut DbConnection, &Context) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let ctx = self.state.ctx.clone();
        self.state
            .store
            .run_read(move |conn| f(conn, &ctx))
            .await
            .map_err(Problem::from)
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::json_invalid(
            "the request body is empty; a JSON document is expected",
        ));
    }
    serde_json::from_slice(body).map_err(json_problem)
}

/// A serde_json error as a problem, with the field named when serde names it
/// (`missing field `x``, `unknown field `x``).
pub fn json_problem(e: serde_json::Error) -> Problem {
    let detail = e.to_string();
    let p = Problem::json_invalid(detail.clone());
    match backticked(&detail) {
        Some(f) if detail.contains(" field `") => p.with_field(f),
        _ => p,
    }
}

/// The first `name` quoted in backticks in a serde message.
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// A page size given in a query string: 1..=MAX_PAGE_SIZE.
pub fn check_limit(limit: Option<i64>) -> Result<(), Problem> {
    match limit {
        Some(n) if !(1..=MAX_PAGE_SIZE).contains(&n) => Err(Problem::query_invalid(format!(
            "limit: {n} is not between 1 and {MAX_PAGE_SIZE}"
        ))
        .with_field("limit")),
        _ => Ok(()),
    }
}

/// What a handler answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Reply, Problem> {
        let body = serde_json::to_vec(value).map_err(|e| {
            tracing::error!(error = %e, "response serialization failed");
            Problem::internal()
        })?;
        Ok(Reply {
            status,
            content_type: JSON,
            body: Bytes::from(body),
            headers: Vec::new(),
        })
    }

    pub fn ok<T: Serialize>(value: &T) -> Result<Reply, Problem> {
        Reply::json(StatusCode::OK, value)
    }

    /// 201 with a `Location` header naming the new resource.
    pub fn created<T: Serialize>(location: String, value: &T) -> Result<Reply, Problem> {
        Ok(Reply::json(StatusCode::CREATED, value)?.with_location(location))
    }

    pub fn with_location(mut self, location: String) -> Reply {
        if let Ok(v) = HeaderValue::from_str(&location) {
            self.headers.push((header::LOCATION, v));
        }
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// A stored answer (idempotent replay): JSON, or problem+json for errors.
    pub fn stored(status: u16, body: String) -> Reply {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        Reply {
            content_type: if status.as_u16() >= 400 {
                PROBLEM_JSON
            } else {
                JSON
            },
            status,
            body: Bytes::from(body),
            headers: Vec::new(),
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CONTENT_TYPE, self.content_type));
        for (name, value) in self.headers {
            builder.append_header((name, value));
        }
        builder.body(self.body)
    }
}

impl From<Problem> for Reply {
    fn from(p: Problem) -> Reply {
        Reply {
            status: p.status,
            content_type: PROBLEM_JSON,
            body: Bytes::from(p.body()),
            headers: p.headers,
        }
    }
}

/// A list response: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Items<T> {
    pub fn all(items: Vec<T>) -> Items<T> {
        Items {
            items,
            next_cursor: None,
        }
    }
}

impl<T> From<crate::service::Page<T>> for Items<T> {
    fn from(p: crate::service::Page<T>) -> Items<T> {
        Items {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        name: String,
    }

    #[test]
    fn json_errors_name_field_and_position() {
        let p = parse_json::<S>(b"{\n  \"nom\": 1\n}").unwrap_err();
        assert_eq!(p.code, "json_invalid");
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert_eq!(p.field.as_deref(), Some("nom"));
        assert!(p.detail.contains("line 2"), "{}", p.detail);
        let p = parse_json::<S>(b"{\"name\": ").unwrap_err();
        assert!(p.detail.contains("EOF"), "{}", p.detail);
        let p = parse_json::<S>(b"  ").unwrap_err();
        assert!(p.detail.contains("empty"));
    }

    #[test]
    fn limits() {
        assert!(check_limit(None).is_ok());
        assert!(check_limit(Some(1)).is_ok());
        assert_eq!(check_limit(Some(0)).unwrap_err().code, "query_invalid");
        assert!(check_limit(Some(MAX_PAGE_SIZE + 1)).is_err());
    }
}
