//! A factor with a REST/JSON API: OAuth2 client credentials, assignments
//! [cessions] acknowledged then funded, funding requests, debtor approvals
//! [agréments] answered by a job to poll, and statements. Typed glue only:
//! the wire shapes and their mapping live in [`transformers`]; retries
//! and the record of attempts are the gateway's.
//!
//! The only state is the cached access token, used until shortly before it
//! expires and fetched again once when the factor answers 401.

pub mod transformers;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, AssignmentAnswer, AssignmentSubmission, DebtorApprovalRequest, FactorAdapter,
    FactorStatement, FundingAnswer, FundingRequest, LimitAnswer, Secret,
};
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tracing::Instrument;

use transformers::{
    ApprovalBody, AssignmentBody, FundingBody, StatementList, TokenResponse, WireApproval,
    WireAssignment, WireFunding,
};

#[derive(Debug, Clone)]
pub struct RestFactorConfig {
    /// The API root, e.g. `https://api.factor.example` (routes are
    /// `/oauth/token` and `/factor/v1/...` under it).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// For each HTTP exchange, connection included.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
struct CachedToken {
    value: String,
    refresh_at: Instant,
}

/// Tokens are used until this share of their life is left (at most 30 s),
/// so a request never leaves with a token about to expire.
fn refresh_at(now: Instant, expires_in: Duration) -> Instant {
    let margin = (expires_in / 10).min(Duration::from_secs(30));
    now + expires_in - margin
}

/// A token lifetime when the server does not say one.
const DEFAULT_TOKEN_LIFE: Duration = Duration::from_secs(60);

pub struct RestFactor {
    base: Url,
    client_id: String,
    client_secret: Secret,
    timeout: Duration,
    http: reqwest::Client,
    token: Mutex<Option<CachedToken>>,
}

/// What a request carries besides its route.
struct Call<'a> {
    operation: &'static str,
    method: Method,
    segments: &'a [&'a str],
    query: &'a [(&'a str, String)],
    body: Option<Vec<u8>>,
    idempotency_key: Option<&'a str>,
}

impl RestFactor {
    /// Fails (as `Protocol`: a configuration bug, not a retry case) when
    /// the base URL cannot be read or the HTTP client cannot be built.
    pub fn new(config: RestFactorConfig) -> Result<RestFactor, AdapterError> {
        let base = Url::parse(&config.base_url)
            .map_err(|e| AdapterError::Protocol(format!("base_url '{}': {e}", config.base_url)))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(AdapterError::Protocol(format!(
                "base_url '{}': expected an http(s) URL",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| AdapterError::Protocol(format!("HTTP client: {e}")))?;
        Ok(RestFactor {
            base,
            client_id: config.client_id,
            client_secret: config.client_secret,
            timeout: config.timeout,
            http,
            token: Mutex::new(None),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn send_error(&self, e: reqwest::Error) -> AdapterError {
        if e.is_timeout() {
            AdapterError::Timeout(u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX))
        } else if e.is_decode() {
            AdapterError::Protocol(e.to_string())
        } else {
            // Connection refused or reset, DNS, TLS: no answer.
            AdapterError::Transport(e.to_string())
        }
    }

    /// A valid token: the cached one, or a new one when there is none,
    /// it is about to expire, or it is `stale` (refused with a 401).
    async fn token(&self, stale: Option<&str>) -> Result<String, AdapterError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref() {
            let refused = stale == Some(t.value.as_str());
            if !refused && Instant::now() < t.refresh_at {
                return Ok(t.value.clone());
            }
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn fetch_token(&self) -> Result<CachedToken, AdapterError> {
        let span =
            tracing::info_span!("factor_token", adapter = "rest", client_id = %self.client_id);
        async {
            let asked = Instant::now();
            let response = self
                .http
                .post(self.url(&["oauth", "token"]))
                .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .map_err(|e| self.send_error(e))?;
            let status = response.status().as_u16();
            let retry_after = retry_after(&response);
            let body = response.bytes().await.map_err(|e| self.send_error(e))?;
            match status {
                200..=299 => {
                    let token: TokenResponse = transformers::parse_body(&body)?;
                    let life = token
                        .expires_in
                        .map_or(DEFAULT_TOKEN_LIFE, Duration::from_secs);
                    tracing::debug!(expires_in = life.as_secs(), "access token issued");
                    Ok(CachedToken {
                        value: token.access_token,
                        refresh_at: refresh_at(asked, life),
                    })
                }
                // RFC 6749 answers bad client credentials with 400 or 401.
                400 | 401 | 403 => Err(AdapterError::Unauthorized(
                    match transformers::error_from_response(status, None, &body) {
                        AdapterError::Rejected { code, message } => format!("{code}: {message}"),
                        AdapterError::Unauthorized(m) => m,
                        other => other.to_string(),
                    },
                )),
                _ => Err(transformers::error_from_response(
                    status,
                    retry_after,
                    &body,
                )),
            }
        }
        .instrument(span)
        .await
    }

    /// Sends one request (and once more with a fresh token after a 401),
    /// reads a 2xx body as `T`, maps anything else to an `AdapterError`.
    async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, AdapterError> {
        let span = tracing::info_span!(
            "factor_call",
            adapter = "rest",
            operation = call.operation,
            idempotency_key = call.idempotency_key.unwrap_or(""),
            status = tracing::field::Empty,
        );
        let outcome = async {
            let mut url = self.url(call.segments);
            if !call.query.is_empty() {
                url.query_pairs_mut().extend_pairs(call.query);
            }
            let mut token = self.token(None).await?;
            let mut refreshed = false;
            loop {
                let mut request = self
                    .http
                    .request(call.method.clone(), url.clone())
                    .bearer_auth(&token);
                if let Some(key) = call.idempotency_key {
                    request = request.header("Idempotency-Key", key);
                }
                if let Some(body) = &call.body {
                    request = request
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                let response = request.send().await.map_err(|e| self.send_error(e))?;
                let status = response.status().as_u16();
                tracing::Span::current().record("status", status);
                if status == 401 && !refreshed {
                    tracing::debug!("token refused: fetching a new one");
                    token = self.token(Some(&token)).await?;
                    refreshed = true;
                    continue;
                }
                let retry_after = retry_after(&response);
                let body = response.bytes().await.map_err(|e| self.send_error(e))?;
                return if (200..300).contains(&status) {
                    transformers::parse_body(&body)
                } else {
                    Err(transformers::error_from_response(
                        status,
                        retry_after,
                        &body,
                    ))
                };
            }
        }
        .instrument(span.clone())
        .await;
        if let Err(e) = &outcome {
            span.in_scope(|| tracing::warn!(code = e.code(), error = %e, "factor call failed"));
        }
        outcome
    }
}

/// `Retry-After` in seconds (the HTTP-date form reads as absent).
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn json_body(value: &impl serde::Serialize) -> Result<Option<Vec<u8>>, AdapterError> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| AdapterError::Protocol(format!("cannot write the request: {e}")))
}

#[async_trait]
impl FactorAdapter for RestFactor {
    fn name(&self) -> &str {
        "rest"
    }

    async fn submit_assignment(
        &self,
        assignment: &AssignmentSubmission,
    ) -> Result<AssignmentAnswer, AdapterError> {
        let answer: WireAssignment = self
            .call(Call {
                operation: "submit_assignment",
                method: Method::POST,
                segments: &["factor", "v1", "assignments"],
                query: &[],
                body: json_body(&AssignmentBody::from(assignment))?,
                idempotency_key: Some(&assignment.idempotency_key),
            })
            .await?;
        AssignmentAnswer::try_from(answer)
    }

    async fn assignment_status(&self, reference: &str) -> Result<AssignmentAnswer, AdapterError> {
        let answer: WireAssignment = self
            .call(Call {
                operation: "assignment_status",
                method: Method::GET,
                segments: &["factor", "v1", "assignments", reference],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        AssignmentAnswer::try_from(answer)
    }

    async fn request_funding(
        &self,
        request: &FundingRequest,
    ) -> Result<FundingAnswer, AdapterError> {
        let answer: WireFunding = self
            .call(Call {
                operation: "request_funding",
                method: Method::POST,
                segments: &["factor", "v1", "funding-requests"],
                query: &[],
                body: json_body(&FundingBody::from(request))?,
                idempotency_key: Some(&request.idempotency_key),
            })
            .await?;
        FundingAnswer::try_from(answer)
    }

    async fn request_approval(
        &self,
        request: &DebtorApprovalRequest,
    ) -> Result<LimitAnswer, AdapterError> {
        let job: WireApproval = self
            .call(Call {
                operation: "request_approval",
                method: Method::POST,
                segments: &["factor", "v1", "debtor-approvals"],
                query: &[],
                body: json_body(&ApprovalBody::from(request))?,
                idempotency_key: Some(&request.idempotency_key),
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn poll_approval(&self, reference: &str) -> Result<LimitAnswer, AdapterError> {
        let job: WireApproval = self
            .call(Call {
                operation: "poll_approval",
                method: Method::GET,
                segments: &["factor", "v1", "debtor-approvals", "jobs", reference],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn fetch_statements(
        &self,
        contract_number: &str,
        since: NaiveDate,
    ) -> Result<Vec<FactorStatement>, AdapterError> {
        let list: StatementList = self
            .call(Call {
                operation: "fetch_statements",
                method: Method::GET,
                segments: &["factor", "v1", "statements"],
                query: &[
                    ("contractNumber", contract_number.to_string()),
                    ("since", since.to_string()),
                ],
                body: None,
                idempotency_key: None,
            })
            .await?;
        let mut statements = list
            .statements
            .into_iter()
            .map(FactorStatement::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        statements
            .sort_by(|a, b| (a.issued_on, &a.statement_id).cmp(&(b.issued_on, &b.statement_id)));
        Ok(statements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_base_url_is_refused_and_references_are_one_segment() {
        let config = |url: &str| RestFactorConfig {
            base_url: url.into(),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            timeout: Duration::from_secs(1),
        };
        assert!(matches!(
            RestFactor::new(config("nope")),
            Err(AdapterError::Protocol(_))
        ));
        let ok = RestFactor::new(config("https://factor.example/api/")).unwrap();
        assert_eq!(
            ok.url(&["factor", "v1", "assignments", "A/1"]).as_str(),
            "https://factor.example/api/factor/v1/assignments/A%2F1"
        );
    }
}
