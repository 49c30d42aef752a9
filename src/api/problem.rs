//! RFC 9457 problem details: every error the API returns is a
//! `application/problem+json` document with a stable `code` a client can
//! switch on, and the field at fault when one is known.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::ErrorCode;
use crate::service::ServiceError;
use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";
pub const PROBLEM_BASE: &str = "https://factorgate.dev/problems/";

/// One problem, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<String>,
    /// Extra headers (e.g. `WWW-Authenticate`, `Allow`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

/// The document as serialized.
#[derive(Serialize)]
struct ProblemDoc<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            detail: detail.into(),
            field: None,
            headers: Vec::new(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Problem {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// 400 `json_invalid`: the body is not the JSON the route expects.
    pub fn json_invalid(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "json_invalid", detail)
    }

    /// 400 `query_invalid`: a query parameter is missing, unknown or malformed.
    pub fn query_invalid(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "query_invalid", detail)
    }

    /// 422 for a well-formed request whose content is refused.
    pub fn unprocessable(
        code: &'static str,
        field: impl Into<String>,
        detail: impl Into<String>,
    ) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_field(field)
    }

    pub fn unauthorized(detail: impl Into<String>, invalid_token: bool) -> Problem {
        let challenge = if invalid_token {
            "Bearer realm=\"factorgate\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"factorgate\""
        };
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, challenge)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn route_not_found(method: &str, path: &str) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            format!("no route for {method} {path}"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str, allow: HeaderValue) -> Problem {
        let mut p = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "{method} is not allowed on {path}; allowed: {}",
                allow.to_str().unwrap_or("")
            ),
        );
        p.headers.push((header::ALLOW, allow));
        p
    }

    pub fn payload_too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body exceeds {limit} bytes"),
        )
    }

    /// 500 without details: the cause goes to the log, never to the client.
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to handle the request; the error was logged",
        )
    }

    /// The JSON document.
    pub fn body(&self) -> String {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let doc = ProblemDoc {
            kind: format!("{PROBLEM_BASE}{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            field: self.field.as_deref(),
        };
        serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_string())
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        for (name, value) in &self.headers {
            builder.insert_header((name.clone(), value.clone()));
        }
        builder.body(self.body())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl actix_web::ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::from(ServiceError::Store(e))
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        let code = e.code();
        match e {
            ServiceError::Invalid { field, message, .. } => Problem {
                field,
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            },
            ServiceError::NotFound { .. } => {
                Problem::new(StatusCode::NOT_FOUND, code, e.to_string())
            }
            // A bare unique violation carries the database's words (table and
            // constraint names): log them, tell the client what it means.
            ServiceError::Conflict { message, .. } if code == "conflict" => {
                tracing::warn!(error = %message, "unique constraint refused a write");
                Problem::new(
                    StatusCode::CONFLICT,
                    code,
                    "the request conflicts with a record that already exists",
                )
            }
            ServiceError::Conflict { message, .. } if code == "internal" => {
                tracing::error!(error = %message, "service reported an internal error");
                Problem::internal()
            }
            ServiceError::Conflict { message, .. } => {
                Problem::new(StatusCode::CONFLICT, code, message)
            }
            ServiceError::Ledger(ledger) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, ledger.to_string())
            }
            ServiceError::Store(store) => {
                tracing::error!(error = %store, code, "database error");
                if code == "database_unavailable" {
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        code,
                        "the database is unavailable; retry later",
                    )
                } else {
                    Problem {
                        code,
                        ..Problem::internal()
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(p: &Problem) -> serde_json::Value {
        serde_json::from_str(&p.body()).unwrap()
    }

    #[test]
    fn invalid_input_is_422_with_its_field() {
        let p = Problem::from(ServiceError::invalid(
            "currency_unknown",
            "currency",
            "unknown currency 'XXY'",
        ));
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        let d = doc(&p);
        assert_eq!(
            d["type"],
            "https://factorgate.dev/problems/currency_unknown"
        );
        assert_eq!(d["code"], "currency_unknown");
        assert_eq!(d["field"], "currency");
        assert_eq!(d["status"], 422);
        assert_eq!(d["detail"], "currency: unknown currency 'XXY'");
    }

    #[test]
    fn store_errors_never_leak_sql() {
        let e = ServiceError::Store(StoreError::Query(diesel::result::Error::QueryBuilderError(
            "SELECT secret FROM api_keys".into(),
        )));
        let p = Problem::from(e);
        assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(p.code, "database_error");
        assert!(!p.body().contains("SELECT"));
        let p = Problem::from(StoreError::Connect("refused".into()));
        assert_eq!(p.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(p.code, "database_unavailable");
    }

    #[test]
    fn not_found_and_conflicts() {
        let p = Problem::from(ServiceError::not_found("buyer_not_found", "buyer", "b1"));
        assert_eq!(
            (p.status, p.code),
            (StatusCode::NOT_FOUND, "buyer_not_found")
        );
        assert_eq!(doc(&p).get("field"), None);
        let p = Problem::from(ServiceError::conflict(
            "conflict",
            "UNIQUE constraint failed: x",
        ));
        assert_eq!(p.status, StatusCode::CONFLICT);
        assert!(!p.detail.contains("UNIQUE"));
    }
}
