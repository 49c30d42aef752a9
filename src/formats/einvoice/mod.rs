//! Electronic invoices: one model (EN 16931's business terms), readers and
//! writers per syntax, and the rules a document must pass.

pub mod cii;
pub mod cii_write;
pub mod csv;
pub mod facturx_pdf;
pub mod json;
pub mod model;
pub mod read;
pub mod rules;
pub mod terms;
pub mod ubl;
pub mod ubl_write;
pub mod value;

pub use model::{EInvoice, Line, Party, SchemedId, Syntax, TaxBreakdown, Totals};
pub use rules::{check, Violation};

use crate::error::ErrorCode;

/// Why a document could not be read. Nothing is imported from a document
/// that fails to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not well-formed, or an element holds what it cannot (a date that is
    /// not a date, an amount that is not a number).
    #[error("malformed document at {path}: {message}")]
    Malformed { path: String, message: String },
    /// Refused before reading on: a DTD or entity declaration, nesting or
    /// size beyond the caps.
    #[error("unsafe document: {message}")]
    Unsafe { message: String },
    /// The content is none of the formats we read.
    #[error("unrecognised format: {message}")]
    UnknownFormat { message: String },
    /// Read, but it breaks EN 16931 rules.
    #[error("{}", .violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Rules { violations: Vec<Violation> },
}

impl ErrorCode for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            DocumentError::Malformed { .. } => "document_malformed",
            DocumentError::Unsafe { .. } => "document_unsafe",
            DocumentError::UnknownFormat { .. } => "format_unknown",
            DocumentError::Rules { .. } => "en16931_rule_violation",
        }
    }
}

impl DocumentError {
    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        DocumentError::Malformed {
            path: path.into(),
            message: message.into(),
        }
    }
}
