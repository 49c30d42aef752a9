//! A journal entry [écriture comptable] before it is stored, and the
//! invariants every entry must meet. The ledger is insert-only: a mistake is
//! corrected by a reversing entry [extourne], never by an update.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::chart::Chart;
use super::LedgerError;
use crate::money::Currency;

/// One line of an entry: an amount on one side of one account. Amounts are
/// minor units, never negative: the side says the direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryLine {
    pub account: String,
    /// The buyer's auxiliary account [compte auxiliaire] on 411/416 lines:
    /// the buyer sub-ledger is the sum of these lines.
    pub buyer_id: Option<String>,
    pub debit: i64,
    pub credit: i64,
    pub currency: Currency,
    pub label: String,
}

impl EntryLine {
    pub fn debit(account: &str, amount: i64, currency: Currency, label: &str) -> EntryLine {
        EntryLine {
            account: account.to_string(),
            buyer_id: None,
            debit: amount,
            credit: 0,
            currency,
            label: label.to_string(),
        }
    }

    pub fn credit(account: &str, amount: i64, currency: Currency, label: &str) -> EntryLine {
        EntryLine {
            credit: amount,
            debit: 0,
            ..EntryLine::debit(account, 0, currency, label)
        }
    }

    pub fn with_buyer(mut self, buyer_id: &str) -> EntryLine {
        self.buyer_id = Some(buyer_id.to_string());
        self
    }
}

/// An entry ready to be stored: it names its journal, its supporting
/// document [pièce justificative] and the event that caused it, so every
/// figure of the ledger can be traced back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDraft {
    /// Journal code, e.g. "VE" (see [`super::JournalCode`]).
    pub journal: String,
    /// Accounting date [date comptable].
    pub date: NaiveDate,
    pub label: String,
    /// Reference of the supporting document: invoice number, payment reference.
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    /// What happened, e.g. "invoice.issued".
    pub event_kind: String,
    /// Id of the record the event is about, e.g. the invoice id.
    pub event_id: String,
    pub lines: Vec<EntryLine>,
}

impl EntryDraft {
    /// Checks the invariants the store relies on: at least two lines, each
    /// on exactly one side with a positive amount, on an account of the
    /// chart, and debits equal credits in each currency (an entry may mix
    /// currencies, but never converts between them).
    pub fn validate(&self, chart: &Chart) -> Result<(), LedgerError> {
        for (field, value) in [
            ("journal", &self.journal),
            ("piece reference", &self.piece_ref),
            ("event kind", &self.event_kind),
            ("event id", &self.event_id),
        ] {
            if value.trim().is_empty() {
                return Err(LedgerError::MissingField(field));
            }
        }
        if self.lines.len() < 2 {
            return Err(LedgerError::EmptyEntry {
                lines: self.lines.len(),
            });
        }
        let mut sums: BTreeMap<Currency, (i64, i64)> = BTreeMap::new();
        for (index, line) in self.lines.iter().enumerate() {
            let reason = if line.debit < 0 || line.credit < 0 {
                Some("amounts must not be negative")
            } else if (line.debit > 0) == (line.credit > 0) {
                Some("exactly one of debit and credit must be positive")
            } else if line
                .buyer_id
                .as_deref()
                .is_some_and(|b| b.trim().is_empty())
            {
                Some("buyer id is empty")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(LedgerError::LineInvalid { index, reason });
            }
            if !chart.contains(&line.account) {
                return Err(LedgerError::UnknownAccount {
                    index,
                    account: line.account.clone(),
                });
            }
            let (debit, credit) = sums.entry(line.currency).or_insert((0, 0));
            *debit = debit.checked_add(line.debit).ok_or(LedgerError::Overflow)?;
            *credit = credit
                .checked_add(line.credit)
                .ok_or(LedgerError::Overflow)?;
        }
        match sums.into_iter().find(|(_, (d, c))| d != c) {
            Some((currency, (debit, credit))) => Err(LedgerError::Unbalanced {
                currency,
                debit,
                credit,
            }),
            None => Ok(()),
        }
    }

    /// The entry that cancels this one [contre-passation]: same accounts and
    /// amounts, sides swapped, caused by the correcting event.
    pub fn reversal(&self, event_kind: &str, event_id: &str, date: NaiveDate) -> EntryDraft {
        EntryDraft {
            journal: self.journal.clone(),
            date,
            label: format!("Extourne {}", self.label),
            piece_ref: self.piece_ref.clone(),
            piece_date: self.piece_date,
            event_kind: event_kind.to_string(),
            event_id: event_id.to_string(),
            lines: self
                .lines
                .iter()
                .map(|l| EntryLine {
                    debit: l.credit,
                    credit: l.debit,
                    ..l.clone()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    /// Invoice of 100.00 net + 20.00 VAT = 120.00 gross.
    fn sale() -> EntryDraft {
        let eur = Currency::EUR;
        EntryDraft {
            journal: "VE".into(),
            date: date(3),
            label: "Facture F-1".into(),
            piece_ref: "F-1".into(),
            piece_date: date(3),
            event_kind: "invoice.issued".into(),
            event_id: "inv-1".into(),
            lines: vec![
                EntryLine::debit("411", 12_000, eur, "Facture F-1").with_buyer("B1"),
                EntryLine::credit("707", 10_000, eur, "Facture F-1"),
                EntryLine::credit("44571", 2_000, eur, "Facture F-1"),
            ],
        }
    }

    #[test]
    fn a_balanced_entry_is_valid() {
        assert_eq!(sale().validate(&Chart::pcg_default()), Ok(()));
    }

    #[test]
    fn an_unbalanced_entry_names_currency_and_sums() {
        let mut e = sale();
        e.lines[2].credit = 1_950; // credits 119.50 against debits 120.00
        let err = e.validate(&Chart::pcg_default()).unwrap_err();
        assert_eq!(
            err,
            LedgerError::Unbalanced {
                currency: Currency::EUR,
                debit: 12_000,
                credit: 11_950
            }
        );
        assert!(err.to_string().contains("difference 0.50"));
        assert_eq!(err.code(), "ledger_unbalanced");
    }

    #[test]
    fn balance_is_checked_per_currency() {
        let chart = Chart::pcg_default();
        let mut e = sale();
        // 50.00 USD debit and credit: EUR still balances, USD too.
        e.lines.push(EntryLine::debit("512", 5_000, usd(), "x"));
        e.lines.push(EntryLine::credit("471", 5_000, usd(), "x"));
        assert_eq!(e.validate(&chart), Ok(()));
        // Moving the USD credit to EUR leaves USD debit-heavy and EUR credit-heavy:
        // EUR is reported first (currencies are checked in code order).
        e.lines[4].currency = Currency::EUR;
        assert_eq!(
            e.validate(&chart),
            Err(LedgerError::Unbalanced {
                currency: Currency::EUR,
                debit: 12_000,
                credit: 17_000
            })
        );
    }

    #[test]
    fn bad_lines_are_named_by_index() {
        let chart = Chart::pcg_default();
        type Spoil = fn(&mut EntryLine);
        let cases: [(usize, Spoil); 4] = [
            (1, |l| l.credit = -10_000),
            (2, |l| l.debit = 2_000),
            (0, |l| l.debit = 0),
            (0, |l| l.buyer_id = Some(" ".into())),
        ];
        for (index, spoil) in cases {
            let mut e = sale();
            spoil(&mut e.lines[index]);
            let err = e.validate(&chart).unwrap_err();
            assert!(
                matches!(err, LedgerError::LineInvalid { index: i, .. } if i == index),
                "{err}"
            );
            assert_eq!(err.code(), "ledger_line_invalid");
        }
    }

    #[test]
    fn unknown_account_is_named() {
        let mut e = sale();
        e.lines[1].account = "7070".into();
        assert_eq!(
            e.validate(&Chart::pcg_default()),
            Err(LedgerError::UnknownAccount {
                index: 1,
                account: "7070".into()
            })
        );
    }

    #[test]
    fn fewer_than_two_lines_or_missing_event_is_refused() {
        let chart = Chart::pcg_default();
        let mut e = sale();
        e.lines.truncate(1);
        assert_eq!(
            e.validate(&chart),
            Err(LedgerError::EmptyEntry { lines: 1 })
        );
        assert_eq!(e.validate(&chart).unwrap_err().code(), "ledger_empty_entry");

        let mut e = sale();
        e.event_id = String::new();
        assert_eq!(
            e.validate(&chart),
            Err(LedgerError::MissingField("event id"))
        );
        let mut e = sale();
        e.event_kind = " ".into();
        assert_eq!(
            e.validate(&chart),
            Err(LedgerError::MissingField("event kind"))
        );
    }

    #[test]
    fn overflowing_sums_are_an_error() {
        let eur = Currency::EUR;
        let mut e = sale();
        e.lines = vec![
            EntryLine::debit("411", i64::MAX, eur, "x"),
            EntryLine::debit("411", 1, eur, "x"),
            EntryLine::credit("707", 1, eur, "x"),
        ];
        let err = e.validate(&Chart::pcg_default()).unwrap_err();
        assert_eq!(err, LedgerError::Overflow);
        assert_eq!(err.code(), "amount_overflow");
    }

    #[test]
    fn reversal_swaps_sides_and_names_the_correcting_event() {
        let original = sale();
        let rev = original.reversal("invoice.cancelled", "inv-1", date(10));
        assert_eq!(rev.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(rev.event_kind, "invoice.cancelled");
        assert_eq!(rev.date, date(10));
        assert_eq!(rev.piece_date, date(3));
        assert_eq!(rev.label, "Extourne Facture F-1");
        assert_eq!((rev.lines[0].debit, rev.lines[0].credit), (0, 12_000));
        assert_eq!(rev.lines[0].buyer_id.as_deref(), Some("B1"));
        assert_eq!((rev.lines[1].debit, rev.lines[1].credit), (10_000, 0));
        assert_eq!((rev.lines[2].debit, rev.lines[2].credit), (2_000, 0));
        // Each account's net movement over both entries is zero.
        for (a, b) in original.lines.iter().zip(&rev.lines) {
            assert_eq!(a.debit - a.credit + b.debit - b.credit, 0);
        }
    }
}
