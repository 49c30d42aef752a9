//! Canonical account statements [relevés de compte] as read from a file,
//! whatever its format (camt.053, camt.054, CFONB 120, and later factor and
//! insurer statements), and the detection of the format from the content.

use std::io::BufRead;

use chrono::NaiveDate;
use serde::Serialize;

use super::einvoice::DocumentError;
use crate::error::ErrorCode;
use crate::money::{Currency, Money};

/// The formats a statement file may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StatementFormat {
    #[serde(rename = "camt.053")]
    Camt053,
    #[serde(rename = "camt.054")]
    Camt054,
    #[serde(rename = "cfonb120")]
    Cfonb120,
}

impl StatementFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementFormat::Camt053 => "camt.053",
            StatementFormat::Camt054 => "camt.054",
            StatementFormat::Cfonb120 => "cfonb120",
        }
    }
}

/// What a file held: one or more statements of one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFile {
    pub format: StatementFormat,
    pub statements: Vec<Statement>,
}

/// One statement (camt.053 Stmt), notification (camt.054 Ntfctn) or CFONB
/// 01..07 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The bank's id of the statement (Stmt/Id).
    pub id: String,
    /// The account: IBAN, or the bank's other id when there is no IBAN.
    pub account: String,
    /// The account's currency when the file states it (Acct/Ccy).
    pub currency: Option<Currency>,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub balances: Vec<Balance>,
    pub entries: Vec<Entry>,
}

/// A balance with its ISO 20022 type code (OPBD, CLBD, PRCD, CLAV...),
/// signed: negative when the indicator is DBIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub kind: String,
    pub amount: Money,
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Booked [comptabilisé]: it moved the balance.
    Booked,
    /// Pending, information or another status: not (yet) on the balance.
    Other(String),
}

/// One entry (Ntry): a booking on the account, possibly a batch of several
/// transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 0-based position in its statement.
    pub index: usize,
    /// NtryRef: unique in the statement (not always: see the PostFinance
    /// fixture, where four entries share one).
    pub entry_ref: Option<String>,
    /// AcctSvcrRef: the bank's own reference of the booking.
    pub servicer_ref: Option<String>,
    /// Signed: positive for a credit (CRDT), negative for a debit (DBIT).
    pub amount: Money,
    pub status: EntryStatus,
    pub reversal: bool,
    pub booked_on: Option<NaiveDate>,
    pub value_on: Option<NaiveDate>,
    pub additional_info: Option<String>,
    pub details: Vec<TxDetail>,
}

/// One transaction's details (TxDtls).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxDetail {
    /// Signed like the entry; None when the file gives no amount.
    pub amount: Option<Money>,
    pub end_to_end_id: Option<String>,
    pub servicer_ref: Option<String>,
    /// The other party: the debtor of a credit, the creditor of a debit.
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    /// Unstructured remittance texts (RmtInf/Ustrd), in order.
    pub remittance: Vec<String>,
    /// Structured creditor references (RmtInf/Strd/CdtrRefInf/Ref).
    pub creditor_refs: Vec<String>,
}

/// A statement line as we keep it: one per entry, or one per transaction of
/// a batch entry whose details carry amounts that add up to the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// The entry's reference: AcctSvcrRef, else NtryRef, else `#<position>`.
    pub entry_ref: String,
    /// Whether `entry_ref` is the bank's own booking reference (AcctSvcrRef),
    /// unique on the account across statements.
    pub bank_unique: bool,
    /// 0 for an entry kept whole; 1.. for the transactions of a split batch.
    pub detail_index: i32,
    pub amount: Money,
    pub booked: bool,
    pub booked_on: Option<NaiveDate>,
    pub value_on: Option<NaiveDate>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub remittance: String,
    pub structured_ref: Option<String>,
    pub end_to_end_id: Option<String>,
}

impl Entry {
    /// The entry's lines. A batch is split into its transactions only when
    /// each carries an amount in the entry's currency and they add up to the
    /// entry exactly; otherwise (no amounts, or a detail in another
    /// currency, as in genkgo's v8 file) the entry stays one line carrying
    /// all the details' texts: the bank did not tell us how to split it.
    pub fn movements(&self) -> Vec<Movement> {
        let (entry_ref, bank_unique) = match (&self.servicer_ref, &self.entry_ref) {
            (Some(s), _) => (s.clone(), true),
            (None, Some(r)) => (r.clone(), false),
            (None, None) => (format!("#{}", self.index + 1), false),
        };
        let booked = self.status == EntryStatus::Booked;
        let splittable = self.details.len() > 1 && {
            let mut sum = Some(0i64);
            for d in &self.details {
                sum = match (sum, d.amount) {
                    (Some(s), Some(a)) if a.currency() == self.amount.currency() => {
                        s.checked_add(a.minor())
                    }
                    _ => None,
                };
            }
            sum == Some(self.amount.minor())
        };
        let line = |index: i32, amount: Money, details: &[TxDetail]| {
            let mut texts: Vec<&str> = details
                .iter()
                .flat_map(|d| d.remittance.iter().map(String::as_str))
                .collect();
            if texts.is_empty() {
                if let Some(info) = &self.additional_info {
                    texts.push(info);
                }
            }
            let first =
                |f: fn(&TxDetail) -> Option<&String>| details.iter().find_map(|d| f(d)).cloned();
            Movement {
                entry_ref: entry_ref.clone(),
                bank_unique,
                detail_index: index,
                amount,
                booked,
                booked_on: self.booked_on,
                value_on: self.value_on,
                counterparty_name: first(|d| d.counterparty_name.as_ref()),
                counterparty_iban: first(|d| d.counterparty_iban.as_ref()),
                remittance: texts.join(" / "),
                structured_ref: details
                    .iter()
                    .flat_map(|d| d.creditor_refs.iter())
                    .next()
                    .cloned(),
                end_to_end_id: first(|d| d.end_to_end_id.as_ref()),
            }
        };
        if splittable {
            self.details
                .iter()
                .enumerate()
                .filter_map(|(i, d)| {
                    d.amount
                        .map(|a| line(i as i32 + 1, a, std::slice::from_ref(d)))
                })
                .collect()
        } else {
            vec![line(0, self.amount, &self.details)]
        }
    }
}

/// Why a statement file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A value is missing or not what it should be, at an element path
    /// (camt) or a line and column (CFONB).
    #[error("{at}: {message}")]
    Invalid {
        code: &'static str,
        at: String,
        message: String,
    },
    /// A message kind we read but do not accept (camt.052 intraday reports).
    #[error("{message}")]
    NotAccepted { message: String },
    /// Opening balance plus booked movements differs from the closing
    /// balance. `detail` tells the figures: "opening EUR 18.15 plus booked
    /// movements EUR 8.85 gives EUR 27.00, but the closing balance is EUR
    /// 27.05".
    #[error("statement {statement}: {detail} (difference {difference})")]
    Unbalanced {
        statement: String,
        detail: String,
        difference: String,
    },
    /// A booked balance or an entry in another currency than the statement's.
    #[error("statement {statement}: {what} is in {found}, the statement is in {expected}")]
    CurrencyMismatch {
        statement: String,
        what: String,
        found: String,
        expected: String,
    },
}

impl ErrorCode for StatementError {
    fn code(&self) -> &'static str {
        match self {
            StatementError::Document(d) => d.code(),
            StatementError::Invalid { code, .. } => code,
            StatementError::NotAccepted { .. } => "statement_kind_not_accepted",
            StatementError::Unbalanced { .. } => "statement_unbalanced",
            StatementError::CurrencyMismatch { .. } => "statement_currency_mismatch",
        }
    }
}

impl StatementError {
    pub fn invalid(code: &'static str, at: impl Into<String>, message: impl Into<String>) -> Self {
        StatementError::Invalid {
            code,
            at: at.into(),
            message: message.into(),
        }
    }
}

/// Reads a statement file, its format told by its content: XML (camt) or
/// 120-character records (CFONB).
pub fn read_statement_file<R: BufRead>(mut input: R) -> Result<StatementFile, StatementError> {
    let head = input
        .fill_buf()
        .map_err(|e| StatementError::invalid("io_error", "/", e.to_string()))?;
    let first = head
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    match first {
        Some(b'<') => super::camt::read_camt(input),
        Some(b'0') => super::cfonb120::read_cfonb120(input),
        _ => Err(StatementError::Document(DocumentError::UnknownFormat {
            message: "neither an XML camt.053/camt.054 document nor CFONB 120 records".into(),
        })),
    }
}
