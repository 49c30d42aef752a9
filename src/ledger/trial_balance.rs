//! Trial balance [balance générale]: debit and credit totals per account and
//! currency. Since every entry balances per currency, so must the totals:
//! when they do not, the ledger was written by something that bypassed the
//! entry checks.

use std::collections::BTreeMap;

use serde::Serialize;

use super::chart::Chart;
use super::LedgerError;
use crate::money::Currency;

/// One account in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalanceRow {
    pub account: String,
    /// Label from the chart; empty when the chart no longer has the account.
    pub label: String,
    pub currency: Currency,
    pub debit: i64,
    pub credit: i64,
    /// `debit - credit`: positive for a debit balance [solde débiteur].
    pub balance: i64,
}

/// Totals of one currency over all accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyTotal {
    pub currency: Currency,
    pub debit: i64,
    pub credit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalance {
    /// Sorted by account number, then currency code.
    pub rows: Vec<TrialBalanceRow>,
    /// Sorted by currency code.
    pub totals: Vec<CurrencyTotal>,
}

impl TrialBalance {
    /// True when total debits equal total credits in every currency.
    pub fn is_balanced(&self) -> bool {
        self.totals.iter().all(|t| t.debit == t.credit)
    }

    /// The balance (debit - credit) of an account in a currency; 0 when the
    /// account has no movement.
    pub fn balance_of(&self, account: &str, currency: Currency) -> i64 {
        self.rows
            .iter()
            .find(|r| r.account == account && r.currency == currency)
            .map_or(0, |r| r.balance)
    }
}

/// Sums ledger lines `(account, currency, debit, credit)`. A negative amount
/// is refused (stored lines never carry one), and so is an overflowing sum.
pub fn trial_balance<'a, I>(lines: I, chart: &Chart) -> Result<TrialBalance, LedgerError>
where
    I: IntoIterator<Item = (&'a str, Currency, i64, i64)>,
{
    let mut sums: BTreeMap<(&'a str, Currency), (i64, i64)> = BTreeMap::new();
    let mut totals: BTreeMap<Currency, (i64, i64)> = BTreeMap::new();
    for (index, (account, currency, debit, credit)) in lines.into_iter().enumerate() {
        if debit < 0 || credit < 0 {
            return Err(LedgerError::LineInvalid {
                index,
                reason: "amounts must not be negative",
            });
        }
        for (d, c) in [
            sums.entry((account, currency)).or_insert((0, 0)),
            totals.entry(currency).or_insert((0, 0)),
        ] {
            *d = d.checked_add(debit).ok_or(LedgerError::Overflow)?;
            *c = c.checked_add(credit).ok_or(LedgerError::Overflow)?;
        }
    }
    let rows = sums
        .into_iter()
        .map(|((account, currency), (debit, credit))| TrialBalanceRow {
            account: account.to_string(),
            label: chart.label_of(account).to_string(),
            currency,
            debit,
            credit,
            // Both sums are non-negative, so the difference fits in i64.
            balance: debit - credit,
        })
        .collect();
    let totals = totals
        .into_iter()
        .map(|(currency, (debit, credit))| CurrencyTotal {
            currency,
            debit,
            credit,
        })
        .collect();
    Ok(TrialBalance { rows, totals })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    #[test]
    fn invoice_then_partial_payment() {
        let eur = Currency::EUR;
        // Invoice 1,000 + 200 VAT; payment of 700; a USD entry of 50 on the side.
        let lines = [
            ("411", eur, 120_000, 0),
            ("707", eur, 0, 100_000),
            ("44571", eur, 0, 20_000),
            ("512", eur, 70_000, 0),
            ("411", eur, 0, 70_000),
            ("512", usd(), 5_000, 0),
            ("411", usd(), 0, 5_000),
        ];
        let tb = trial_balance(lines, &Chart::pcg_default()).unwrap();
        let keys: Vec<(&str, &str)> = tb
            .rows
            .iter()
            .map(|r| (r.account.as_str(), r.currency.code()))
            .collect();
        assert_eq!(
            keys,
            [
                ("411", "EUR"),
                ("411", "USD"),
                ("44571", "EUR"),
                ("512", "EUR"),
                ("512", "USD"),
                ("707", "EUR")
            ]
        );
        // 411 EUR: 1,200 debit - 700 credit = 500 still owed.
        assert_eq!(
            tb.rows[0],
            TrialBalanceRow {
                account: "411".into(),
                label: "Clients".into(),
                currency: eur,
                debit: 120_000,
                credit: 70_000,
                balance: 50_000
            }
        );
        assert_eq!(tb.balance_of("707", eur), -100_000);
        assert_eq!(tb.balance_of("411", usd()), -5_000);
        assert_eq!(tb.balance_of("654", eur), 0);
        assert_eq!(
            tb.totals,
            [
                CurrencyTotal {
                    currency: eur,
                    debit: 190_000,
                    credit: 190_000
                },
                CurrencyTotal {
                    currency: usd(),
                    debit: 5_000,
                    credit: 5_000
                }
            ]
        );
        assert!(tb.is_balanced());
    }

    #[test]
    fn a_one_sided_ledger_is_reported_unbalanced() {
        let tb = trial_balance(
            [
                ("411", Currency::EUR, 100, 0),
                ("9999", Currency::EUR, 0, 90),
            ],
            &Chart::pcg_default(),
        )
        .unwrap();
        assert!(!tb.is_balanced());
        assert_eq!(tb.rows[1].label, "");
    }

    #[test]
    fn negative_amounts_and_overflow_are_errors() {
        let chart = Chart::pcg_default();
        let err = trial_balance(
            [("411", Currency::EUR, 1, 0), ("707", Currency::EUR, 0, -1)],
            &chart,
        )
        .unwrap_err();
        assert!(matches!(err, LedgerError::LineInvalid { index: 1, .. }));
        let err = trial_balance(
            [
                ("411", Currency::EUR, i64::MAX, 0),
                ("512", Currency::EUR, 1, 0),
            ],
            &chart,
        )
        .unwrap_err();
        assert_eq!(err.code(), "amount_overflow");
    }

    #[test]
    fn serializes_currency_as_code() {
        let tb = trial_balance(
            [("512", Currency::EUR, 5, 0), ("471", Currency::EUR, 0, 5)],
            &Chart::pcg_default(),
        )
        .unwrap();
        let json = serde_json::to_value(&tb).unwrap();
        assert_eq!(json["rows"][0]["account"], "471");
        assert_eq!(json["rows"][0]["label"], "Compte d'attente");
        assert_eq!(json["rows"][0]["balance"], -5);
        assert_eq!(json["totals"][0]["currency"], "EUR");
    }
}
