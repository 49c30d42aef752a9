//! Statement import and cash matching [rapprochement bancaire]: a file is
//! read, its balances checked, its lines stored once (a second import or an
//! overlapping statement adds nothing), matched against open invoices and
//! applied, suggested, or parked in suspense: all of one file in one
//! transaction, or nothing.

mod apply;
mod factor;
mod factor_lines;
mod factor_proof;
mod import;
mod index;
mod review;
mod settlements;

pub use apply::{ProposedAllocation, StoredProposal};
pub use factor::{import_factor_statement, FactorLineReport, FactorStatementReport};
pub use factor_proof::{DiffLine, Proof};
pub use import::{import_statement, ImportOptions, LineReport, StatementReport, StatementSummary};
pub use index::load_index;
pub use review::{
    assign_movement, confirm_suggestion, get_statement, list_movements, reject_suggestion,
    MovementView, StatementView,
};
pub use settlements::{import_insurer_settlements, SettlementLine, SettlementReport};

use serde::Serialize;

/// Where a statement comes from. Bank statements are read here; factor and
/// insurer statements use the same tables through their adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Bank,
    Factor,
    Insurer,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Bank => "bank",
            SourceKind::Factor => "factor",
            SourceKind::Insurer => "insurer",
        }
    }
}

/// A statement line's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Applied: a payment settles invoices (and perhaps leaves a credit).
    Matched,
    /// A proposal below the threshold waits for a person; money in suspense.
    Suggested,
    /// No proposal, or one rejected: money in suspense until resolved.
    Unmatched,
    /// Not ours to match: debits on the account (our own payments, fees),
    /// and entries not booked. Listed, never posted.
    Ignored,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Matched => "matched",
            LineState::Suggested => "suggested",
            LineState::Unmatched => "unmatched",
            LineState::Ignored => "ignored",
        }
    }
}
