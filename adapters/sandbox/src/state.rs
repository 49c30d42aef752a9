//! The simulated insurer's memory: tokens, buyers, jobs, receipts,
//! settlements, the idempotency store and the log of requests received.
//! Everything sits behind one mutex; no await happens while it is held.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::{Operation, SandboxConfig, SeedSettlement};
use crate::factor_state::FactorBook;
use crate::wire::{BuyerRef, BuyerView, JobView, WireLegalId};

/// An answer ready to send: status, JSON body, optional Retry-After.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn ok(status: u16, body: impl Serialize) -> Reply {
        Reply {
            status,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
            retry_after: None,
        }
    }

    /// The insurer's error shape: `{"error": {"code", "message"}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply {
            status,
            body: json!({"error": {"code": code, "message": message.into()}}),
            retry_after: None,
        }
    }
}

/// One line of `GET /sandbox/requests`.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    /// Answered from an earlier identical request.
    pub replay: bool,
    pub received_at: String,
    pub operation: Option<&'static str>,
    pub status: u16,
}

/// A limit request's job and the decision it will turn into.
#[derive(Debug, Clone)]
pub struct Job {
    pub view: JobView,
    pub polls: u32,
    /// The job once decided (status and decision filled).
    pub decided: JobView,
}

/// What the first answer to an idempotency key was.
#[derive(Debug, Clone)]
struct Remembered {
    path: String,
    body: Value,
    reply: Reply,
}

pub struct Sandbox {
    pub config: SandboxConfig,
    tokens: HashMap<String, Instant>,
    pub buyers: Vec<BuyerView>,
    pub jobs: HashMap<String, Job>,
    pub settlements: Vec<SeedSettlement>,
    remembered: HashMap<String, Remembered>,
    failures: HashMap<Operation, u64>,
    pub log: Vec<LoggedRequest>,
    counter: u64,
    /// The simulated factor's book.
    pub factor: FactorBook,
    /// Today as set by `POST /sandbox/factor/clock`, over `config.today`.
    pub clock: Option<NaiveDate>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Sandbox {
        let mut s = Sandbox {
            tokens: HashMap::new(),
            buyers: Vec::new(),
            jobs: HashMap::new(),
            settlements: config.settlements.clone(),
            remembered: HashMap::new(),
            failures: HashMap::new(),
            log: Vec::new(),
            counter: 0,
            factor: FactorBook::default(),
            clock: None,
            config,
        };
        for seed in s.config.buyers.clone() {
            let legal_ids = seed
                .legal_ids
                .iter()
                .filter_map(|id| id.split_once(':'))
                .map(|(scheme, value)| WireLegalId {
                    scheme: scheme.into(),
                    value: value.into(),
                })
                .collect::<Vec<_>>();
            s.buyers.push(BuyerView {
                buyer_id: buyer_id_for(&legal_ids),
                company_name: seed.name,
                country_code: seed.country,
                grade: seed.grade,
                legal_ids,
            });
        }
        s
    }

    /// Back to the configured state: everything received is forgotten.
    pub fn reset(&mut self) {
        *self = Sandbox::new(self.config.clone());
    }

    /// A sequential id: deterministic for a given order of requests.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{:06}", self.counter)
    }

    pub fn today(&self) -> NaiveDate {
        self.clock
            .or(self.config.today)
            .unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn issue_token(&mut self) -> (String, u64) {
        let ttl = self.config.token_ttl_secs;
        let token = format!(
            "sbx_{}_{:x}",
            self.next_id("tok"),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        self.tokens
            .insert(token.clone(), Instant::now() + Duration::from_secs(ttl));
        (token, ttl)
    }

    pub fn expire_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Checks `Authorization: Bearer <token>`.
    pub fn authorize(&self, authorization: Option<&str>) -> Result<(), Reply> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| Reply::error(401, "UNAUTHENTICATED", "a bearer token is required"))?;
        match self.tokens.get(token.trim()) {
            Some(expiry) if *expiry > Instant::now() => Ok(()),
            Some(_) => Err(Reply::error(
                401,
                "TOKEN_EXPIRED",
                "the access token has expired",
            )),
            None => Err(Reply::error(401, "INVALID_TOKEN", "unknown access token")),
        }
    }

    /// The `fail_first` hook: true while the operation must still fail.
    pub fn must_fail(&mut self, op: Operation) -> bool {
        let seen = self.failures.entry(op).or_insert(0);
        if *seen < self.config.fail_first.get(op) {
            *seen += 1;
            true
        } else {
            false
        }
    }

    /// The first answer to `key` if this is a replay of it; a 422 if the
    /// key was used for something else; `None` if the key is new.
    pub fn recall(&self, key: &str, path: &str, body: &Value) -> Option<Result<Reply, Reply>> {
        let first = self.remembered.get(key)?;
        if first.path == path && first.body == *body {
            Some(Ok(first.reply.clone()))
        } else {
            Some(Err(Reply::error(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                format!("Idempotency-Key '{key}' was used for a different request"),
            )))
        }
    }

    /// Remembers a successful answer; failures are not, so a corrected
    /// request may reuse the key.
    pub fn remember(&mut self, key: &str, path: &str, body: Value, reply: &Reply) {
        if (200..300).contains(&reply.status) {
            self.remembered.insert(
                key.to_string(),
                Remembered {
                    path: path.to_string(),
                    body,
                    reply: reply.clone(),
                },
            );
        }
    }

    pub fn log(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        replay: bool,
        op: Option<Operation>,
        status: u16,
    ) {
        self.log.push(LoggedRequest {
            method: method.to_string(),
            path: path.to_string(),
            idempotency_key: key.map(str::to_string),
            replay,
            received_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            operation: op.map(Operation::as_str),
            status,
        });
    }

    pub fn find_buyer(&self, scheme: &str, value: &str) -> Option<&BuyerView> {
        self.buyers.iter().find(|b| {
            b.legal_ids
                .iter()
                .any(|id| id.scheme == scheme && id.value == value)
        })
    }

    /// The insurer's id for the buyer a request names, registering a
    /// buyer it did not know.
    pub fn buyer_for(&mut self, buyer: &BuyerRef) -> String {
        let known = self.buyers.iter().find(|b| {
            Some(&b.buyer_id) == buyer.buyer_id.as_ref()
                || b.legal_ids.iter().any(|id| buyer.legal_ids.contains(id))
        });
        if let Some(b) = known {
            return b.buyer_id.clone();
        }
        let view = BuyerView {
            buyer_id: buyer_id_for(&buyer.legal_ids),
            company_name: buyer.company_name.clone(),
            country_code: buyer.country_code.clone(),
            grade: None,
            legal_ids: buyer.legal_ids.clone(),
        };
        let id = view.buyer_id.clone();
        self.buyers.push(view);
        id
    }
}

/// A buyer's insurer id from its first legal id: the same buyer gets the
/// same id in every run.
fn buyer_id_for(legal_ids: &[WireLegalId]) -> String {
    match legal_ids.first() {
        Some(id) => format!("BUY-{}-{}", id.scheme, id.value),
        None => "BUY-UNKNOWN".into(),
    }
}
