//! Rules on a statement as a whole: its balances must tell the same story
//! as its movements.

use crate::formats::statement::{Statement, StatementError};
use crate::money::{format_minor, Currency};

/// How a statement's balances were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceCheck {
    /// Opening + booked movements = closing.
    Reconciled,
    /// The statement gives no booked opening or no booked closing balance
    /// (a camt.054 notification never does): nothing to check.
    NotGiven,
}

/// The booked balances are checked: opening (OPBD, else PRCD: the
/// previous statement's closing) plus booked entries must equal the closing
/// booked balance (CLBD). Available and forward balances (OPAV, CLAV, FWAV,
/// ITAV) and interim or information ones (ITBD, INFO, XPCD) depend on value
/// dates and holds, not on the entries listed: they are not checked. A
/// booked balance or an entry in another currency than the statement's
/// cannot be added up and is refused.
pub fn check_balances(st: &Statement) -> Result<(Currency, BalanceCheck), StatementError> {
    let currency = st
        .currency
        .or_else(|| st.entries.first().map(|e| e.amount.currency()))
        .or_else(|| st.balances.first().map(|b| b.amount.currency()));
    let Some(currency) = currency else {
        return Err(StatementError::invalid(
            "statement_currency_unknown",
            st.id.clone(),
            format!("statement {} states no currency and has no entries", st.id),
        ));
    };
    let mismatch = |what: String, found: Currency| StatementError::CurrencyMismatch {
        statement: st.id.clone(),
        what,
        found: found.code().to_string(),
        expected: currency.code().to_string(),
    };
    let mut sum: i64 = 0;
    for e in &st.entries {
        if e.amount.currency() != currency {
            return Err(mismatch(
                format!("entry {}", e.index + 1),
                e.amount.currency(),
            ));
        }
        if e.status == crate::formats::statement::EntryStatus::Booked {
            sum = sum.checked_add(e.amount.minor()).ok_or_else(|| {
                StatementError::invalid("amount_overflow", st.id.clone(), "sum overflows")
            })?;
        }
    }
    let booked = |kinds: &[&str]| {
        kinds
            .iter()
            .find_map(|k| st.balances.iter().find(|b| b.kind == *k))
    };
    for b in &st.balances {
        if matches!(b.kind.as_str(), "OPBD" | "PRCD" | "CLBD") && b.amount.currency() != currency {
            return Err(mismatch(format!("balance {}", b.kind), b.amount.currency()));
        }
    }
    let (Some(opening), Some(closing)) = (booked(&["OPBD", "PRCD"]), booked(&["CLBD"])) else {
        return Ok((currency, BalanceCheck::NotGiven));
    };
    let expected = opening.amount.minor().checked_add(sum);
    if expected != Some(closing.amount.minor()) {
        let e = currency.exponent();
        let fmt = |m: i64| format!("{} {}", currency.code(), format_minor(m, e, '.'));
        let expected = expected.unwrap_or(i64::MAX);
        return Err(StatementError::Unbalanced {
            statement: st.id.clone(),
            detail: format!(
                "opening {} plus booked movements {} gives {}, but the closing balance is {}",
                fmt(opening.amount.minor()),
                fmt(sum),
                fmt(expected),
                fmt(closing.amount.minor())
            ),
            difference: fmt(closing.amount.minor().saturating_sub(expected)),
        });
    }
    Ok((currency, BalanceCheck::Reconciled))
}
