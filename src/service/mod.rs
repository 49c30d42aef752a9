//! Use cases. Each opens one transaction, applies the rules of `domain` and
//! `ledger`, and writes the state change and its journal entry together.

pub mod claims;
pub mod collection_terms;
pub mod cover;
mod cover_reads;
pub mod cover_terms;
pub mod disputes;
pub mod documents;
pub mod dunning;
pub mod factoring;
pub mod imports;
pub mod insurance;
pub mod insurer_calls;
mod invoice_batch;
pub mod invoices;
pub mod keys;
pub mod kpi;
pub mod ledger;
pub mod outbox;
pub mod parties;
mod payment_batch;
pub mod payments;
pub mod penalties;
pub mod pipeline;
pub mod premiums;
pub mod promises;
pub mod rates;
pub mod receivable_facts;
pub mod recoveries;
pub mod reports;
pub mod risk;
pub mod statements;

use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::domain::aging::AgingBuckets;
use crate::error::ErrorCode;
use crate::ledger::{Chart, LedgerError};
use crate::store::StoreError;

/// What every use case needs besides a connection: the chart of accounts and
/// report settings. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub chart: Arc<Chart>,
    pub aging: AgingBuckets,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            chart: Arc::new(Chart::pcg_default()),
            aging: AgingBuckets::default(),
        }
    }
}

/// The service layer's error: a stable code, and for input errors the field
/// at fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    #[error("{what} '{id}' not found")]
    NotFound {
        code: &'static str,
        what: &'static str,
        id: String,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

impl ErrorCode for ServiceError {
    fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid { code, .. }
            | ServiceError::NotFound { code, .. }
            | ServiceError::Conflict { code, .. } => code,
            ServiceError::Store(e) => e.code(),
            ServiceError::Ledger(e) => e.code(),
        }
    }
}

impl From<DieselError> for ServiceError {
    fn from(e: DieselError) -> Self {
        // The database's own guards (ledger triggers, constraints) speak in
        // the same codes as the code-level checks.
        if let DieselError::DatabaseError(kind, info) = &e {
            let msg = info.message();
            for code in ["ledger_unbalanced", "ledger_insert_only"] {
                if msg.contains(code) {
                    return ServiceError::Conflict {
                        code: if code == "ledger_unbalanced" {
                            "ledger_unbalanced"
                        } else {
                            "ledger_insert_only"
                        },
                        message: msg.to_string(),
                    };
                }
            }
            if matches!(kind, DatabaseErrorKind::UniqueViolation) {
                return ServiceError::Conflict {
                    code: "conflict",
                    message: msg.to_string(),
                };
            }
        }
        ServiceError::Store(StoreError::Query(e))
    }
}

impl ServiceError {
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ServiceError {
        let field = field.into();
        let message = message.into();
        ServiceError::Invalid {
            code,
            message: if field.is_empty() {
                message
            } else {
                format!("{field}: {message}")
            },
            field: if field.is_empty() { None } else { Some(field) },
        }
    }

    pub fn not_found(
        code: &'static str,
        what: &'static str,
        id: impl Into<String>,
    ) -> ServiceError {
        ServiceError::NotFound {
            code,
            what,
            id: id.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Prefixes the field (e.g. "[3]" for the fourth item of a batch).
    pub fn at(self, prefix: &str) -> ServiceError {
        match self {
            ServiceError::Invalid {
                code,
                field,
                message,
            } => {
                let (field, message) = match field {
                    Some(f) => {
                        let rest = message.strip_prefix(&format!("{f}: ")).unwrap_or(&message);
                        (format!("{prefix}.{f}"), format!("{prefix}.{f}: {rest}"))
                    }
                    None => (prefix.to_string(), format!("{prefix}: {message}")),
                };
                ServiceError::Invalid {
                    code,
                    field: Some(field),
                    message,
                }
            }
            ServiceError::Ledger(e) => ServiceError::Invalid {
                code: e.code(),
                field: Some(prefix.to_string()),
                message: format!("{prefix}: {e}"),
            },
            ServiceError::NotFound { code, what, id } => ServiceError::Invalid {
                code,
                field: Some(prefix.to_string()),
                message: format!("{prefix}: {what} '{id}' not found"),
            },
            ServiceError::Conflict { code, message } => ServiceError::Conflict {
                code,
                message: format!("{prefix}: {message}"),
            },
            other => other,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            ServiceError::Conflict {
                code: "conflict",
                ..
            }
        )
    }
}

/// Time-ordered ids (UUID v7): text-sortable in creation order, which cursor
/// pagination relies on.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    // Microseconds: what both databases keep, so a value read back compares equal.
    t.with_nanosecond_trunc()
}

trait TruncNanos {
    fn with_nanosecond_trunc(self) -> Self;
}

impl TruncNanos for NaiveDateTime {
    fn with_nanosecond_trunc(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1000 * 1000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}

/// A page of results and the cursor for the next one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: i64 = 100;
pub const MAX_PAGE_SIZE: i64 = 1000;

pub fn page_size(limit: Option<i64>) -> Result<i64, ServiceError> {
    match limit {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        Some(n) => Err(ServiceError::invalid(
            "validation_failed",
            "limit",
            format!("{n} is not between 1 and {MAX_PAGE_SIZE}"),
        )),
    }
}
