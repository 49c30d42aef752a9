//! Cash matching [lettrage des encaissements]: which open invoices an
//! incoming payment settles, how sure we are (a score 0-100) and why (an
//! explanation a person can check). Pure: it reads a [`MatchIndex`] built
//! by the caller and returns a proposal; the service applies it.
//!
//! Clues, strongest first:
//! 1. a structured creditor reference (ISO 11649 RF, check digits verified)
//!    naming an open invoice;
//! 2. invoice numbers in the remittance text (several allowed);
//! 3. the payer's IBAN, else its name, leading to a buyer, then the amount:
//!    one open invoice of exactly that amount, or several of the buyer's
//!    oldest open invoices that add up to it exactly (bounded search), else
//!    the buyer's invoices oldest first (partial payment), the rest left as
//!    a credit on the buyer's account (overpayment).

pub mod engine;
pub mod index;
pub mod rf;
pub mod subset;
pub mod text;

pub use engine::{match_line, LineFacts, Method, Outcome, Proposal};
pub use index::{BuyerKey, MatchIndex, OpenItem};

/// Default score at or above which a proposal is applied without review.
pub const DEFAULT_THRESHOLD: u8 = 90;
