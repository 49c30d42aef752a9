//! The general ledger [comptabilité générale]: chart of accounts, posting
//! rules that turn each business event into one balanced entry, the
//! invariants every entry must meet, and the trial balance [balance
//! générale].
//!
//! Pure code: the service layer stores the drafts built here, in the same
//! transaction as the state change that caused them.

pub mod chart;
pub mod collections_posting;
pub mod entry;
pub mod factoring_posting;
pub mod insurance_posting;
pub mod posting;
pub mod trial_balance;

pub use chart::{Account, Chart, ChartError, ChartRoles, JournalCode};
pub use entry::{EntryDraft, EntryLine};
pub use posting::{
    post_credit_note, post_invoice, post_payment, post_prepaid_applied, InvoiceFacts, PaymentFacts,
    SaleKind, CREDIT_NOTE_ISSUED, INVOICE_ISSUED, PAYMENT_RECEIVED, PREPAID_APPLIED,
};
pub use trial_balance::{trial_balance, CurrencyTotal, TrialBalance, TrialBalanceRow};

use crate::error::ErrorCode;
use crate::money::{format_minor, Currency};

/// Errors of building, checking or summing entries. Each names what is at
/// fault so a person can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "entry does not balance in {currency}: debits {}, credits {}, difference {}",
        fmt_amount(*.debit, *.currency),
        fmt_amount(*.credit, *.currency),
        fmt_amount(.debit.saturating_sub(*.credit), *.currency)
    )]
    Unbalanced {
        currency: Currency,
        debit: i64,
        credit: i64,
    },
    #[error("line {index}: {reason}")]
    LineInvalid { index: usize, reason: &'static str },
    #[error("line {index}: account '{account}' is not in the chart of accounts")]
    UnknownAccount { index: usize, account: String },
    #[error("an entry needs at least two lines, this one has {lines}")]
    EmptyEntry { lines: usize },
    #[error("entry has no {0}")]
    MissingField(&'static str),
    #[error("gross {gross} is not net {net} + tax {tax}")]
    InconsistentTotals { net: i64, tax: i64, gross: i64 },
    #[error("nothing to post for {event_kind} '{event_id}': every amount is zero")]
    NothingToPost {
        event_kind: &'static str,
        event_id: String,
    },
    #[error("amount overflow")]
    Overflow,
}

/// Amounts in messages are shown in major units, as a person reads them.
/// (The difference saturates so that displaying an error never panics.)
fn fmt_amount(minor: i64, currency: Currency) -> String {
    format_minor(minor, currency.exponent(), '.')
}

impl ErrorCode for LedgerError {
    fn code(&self) -> &'static str {
        match self {
            LedgerError::Unbalanced { .. } => "ledger_unbalanced",
            LedgerError::LineInvalid { .. } => "ledger_line_invalid",
            LedgerError::UnknownAccount { .. } => "ledger_unknown_account",
            LedgerError::EmptyEntry { .. } => "ledger_empty_entry",
            LedgerError::MissingField(_) => "ledger_entry_incomplete",
            LedgerError::InconsistentTotals { .. } => "ledger_totals_inconsistent",
            LedgerError::NothingToPost { .. } => "ledger_nothing_to_post",
            LedgerError::Overflow => "amount_overflow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbalanced_message_names_currency_and_difference() {
        let err = LedgerError::Unbalanced {
            currency: Currency::EUR,
            debit: 12_000,
            credit: 10_050,
        };
        assert_eq!(
            err.to_string(),
            "entry does not balance in EUR: debits 120.00, credits 100.50, difference 19.50"
        );
        assert_eq!(err.code(), "ledger_unbalanced");
    }
}
