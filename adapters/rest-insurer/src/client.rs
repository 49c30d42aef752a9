//! The HTTP side every REST adapter shares: OAuth2 client credentials with
//! a cached token (used until shortly before it expires, fetched again once
//! when the counterparty answers 401), one request per call with its
//! idempotency key, answers read or mapped to an [`AdapterError`].

use std::time::{Duration, Instant};

use factorgate_adapter::{AdapterError, Secret};
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::transformers::{self, TokenResponse};

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

/// An HTTP+JSON client with OAuth2 client credentials: the token cache,
/// one request with its idempotency key, the answer read or mapped to an
/// [`AdapterError`]. Shared by the REST insurer and the REST factor.
pub struct OAuthClient {
    /// "insurer" or "factor": named in spans and logs.
    counterparty: &'static str,
    base: Url,
    client_id: String,
    client_secret: Secret,
    timeout: Duration,
    http: reqwest::Client,
    token: Mutex<Option<CachedToken>>,
}

/// What a request carries besides its route.
pub struct Call<'a> {
    pub operation: &'static str,
    pub method: Method,
    pub segments: &'a [&'a str],
    pub query: &'a [(&'a str, String)],
    pub body: Option<Vec<u8>>,
    pub idempotency_key: Option<&'a str>,
}

impl OAuthClient {
    /// Fails (as `Protocol`: a configuration bug, not a retry case) when
    /// the base URL cannot be read or the HTTP client cannot be built.
    pub fn new(
        counterparty: &'static str,
        base_url: &str,
        client_id: String,
        client_secret: Secret,
        timeout: Duration,
    ) -> Result<OAuthClient, AdapterError> {
        let base = Url::parse(base_url)
            .map_err(|e| AdapterError::Protocol(format!("base_url '{base_url}': {e}")))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(AdapterError::Protocol(format!(
                "base_url '{base_url}': expected an http(s) URL"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| AdapterError::Protocol(format!("HTTP client: {e}")))?;
        Ok(OAuthClient {
            counterparty,
            base,
            client_id,
            client_secret,
            timeout,
            http,
            token: Mutex::new(None),
        })
    }

    pub fn url(&self, segments: &[&str]) -> Url {
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
        let span = tracing::info_span!("access_token", counterparty = self.counterparty, adapter = "rest", client_id = %self.client_id);
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
    pub async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, AdapterError> {
        let span = tracing::info_span!(
            "counterparty_call",
            counterparty = self.counterparty,
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
            span.in_scope(|| tracing::warn!(code = e.code(), error = %e, counterparty = self.counterparty, "call failed"));
        }
        outcome
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the
/// counterparties we know; it reads as absent).
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

pub fn json_body(value: &impl serde::Serialize) -> Result<Option<Vec<u8>>, AdapterError> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| AdapterError::Protocol(format!("cannot write the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base_url: &str) -> Result<OAuthClient, AdapterError> {
        OAuthClient::new(
            "insurer",
            base_url,
            "c".into(),
            Secret::new("s"),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn a_token_is_used_until_a_tenth_of_its_life_is_left_at_most_30_s() {
        let now = Instant::now();
        // 3600 s: margin min(360, 30) = 30 → refresh after 3570 s.
        assert_eq!(
            refresh_at(now, Duration::from_secs(3600)),
            now + Duration::from_secs(3570)
        );
        // 10 s: margin min(1, 30) = 1 → refresh after 9 s.
        assert_eq!(
            refresh_at(now, Duration::from_secs(10)),
            now + Duration::from_secs(9)
        );
    }

    #[test]
    fn a_bad_base_url_is_refused_at_construction() {
        assert!(matches!(
            client("not a url"),
            Err(AdapterError::Protocol(_))
        ));
        assert!(matches!(
            client("ftp://insurer.example"),
            Err(AdapterError::Protocol(_))
        ));
        let ok = client("https://insurer.example/api/").unwrap();
        assert_eq!(
            ok.url(&["v1", "credit-limit-requests", "jobs", "J/1"])
                .as_str(),
            "https://insurer.example/api/v1/credit-limit-requests/jobs/J%2F1"
        );
    }
}
