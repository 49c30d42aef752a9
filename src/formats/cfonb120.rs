//! CFONB 120: the French banks' fixed-width account statement
//! [relevé de compte 120 caractères], records of 120 characters:
//! 01 old balance [ancien solde], 04 movement [mouvement], 05 complement to
//! the movement before it [complément], 07 new balance [nouveau solde].
//!
//! Positions (1-based, inclusive) from the CFONB brochure "Relevé de compte
//! sur support informatique" (July 2004), cross-checked against the
//! field table of pennylane-hq/cfonb's line parsers:
//!
//! | field                        | 01/07  | 04      | 05      |
//! |------------------------------|--------|---------|---------|
//! | record code                  | 1-2    | 1-2     | 1-2     |
//! | bank code [code banque]      | 3-7    | 3-7     | 3-7     |
//! | internal operation code      |        | 8-11    | 8-11    |
//! | branch code [code guichet]   | 12-16  | 12-16   | 12-16   |
//! | currency (ISO alpha)         | 17-19  | 17-19   | 17-19   |
//! | number of decimals           | 20     | 20      | 20      |
//! | account number               | 22-32  | 22-32   | 22-32   |
//! | interbank operation code     |        | 33-34   | 33-34   |
//! | date DDMMYY                  | 35-40  | 35-40 (booking) | 35-40 |
//! | value date DDMMYY            |        | 43-48   |         |
//! | label [libellé]              |        | 49-79   |         |
//! | entry number [n° d'écriture] |        | 82-88   |         |
//! | qualifier of the complement  |        |         | 46-48   |
//! | complement text              |        |         | 49-118  |
//! | amount                       | 91-104 | 91-104  |         |
//! | reference                    |        | 105-120 |         |
//!
//! Amounts are 14 characters: 13 digits then one character that carries
//! the sign and the last digit: `{` and `A`..`I` are +0 and +1..+9, `}` and
//! `J`..`R` are -0 and -1..-9. Years of two digits are 20YY.

use std::io::BufRead;

use chrono::NaiveDate;

use super::statement::{
    Balance, Entry, EntryStatus, Statement, StatementError, StatementFile, StatementFormat,
    TxDetail,
};
use crate::error::ErrorCode;
use crate::money::{Currency, Money};

const WIDTH: usize = 120;

pub fn read_cfonb120<R: BufRead>(mut input: R) -> Result<StatementFile, StatementError> {
    let mut records: Vec<(usize, Vec<char>)> = Vec::new();
    let mut raw = Vec::new();
    let mut line_no = 0usize;
    loop {
        raw.clear();
        let n = input
            .read_until(b'\n', &mut raw)
            .map_err(|e| StatementError::invalid("io_error", "cfonb120", e.to_string()))?;
        if n == 0 {
            break;
        }
        while matches!(raw.last(), Some(b'\n' | b'\r')) {
            raw.pop();
        }
        // Latin-1 (ISO 8859-1/15) by the standard: every byte is a char.
        let chars: Vec<char> = raw.iter().map(|b| char::from(*b)).collect();
        if chars.iter().all(|c| *c == ' ') {
            line_no += 1;
            continue;
        }
        // Some banks send the records without line ends.
        if chars.len() > WIDTH && chars.len().checked_rem(WIDTH) == Some(0) {
            for chunk in chars.chunks(WIDTH) {
                line_no += 1;
                records.push((line_no, chunk.to_vec()));
            }
            continue;
        }
        line_no += 1;
        if chars.len() != WIDTH {
            return Err(at(
                "cfonb_record_length",
                line_no,
                1,
                format!("a record has {} characters, not {WIDTH}", chars.len()),
            ));
        }
        records.push((line_no, chars));
    }
    let mut statements: Vec<Statement> = Vec::new();
    let mut open: Option<Statement> = None;
    for (line, rec) in &records {
        let line = *line;
        let f = |from: usize, to: usize| -> String { rec[from - 1..to].iter().collect() };
        let code = f(1, 2);
        match code.as_str() {
            "01" => {
                if open.is_some() {
                    return Err(at(
                        "cfonb_sequence",
                        line,
                        1,
                        "an old balance (01) before the previous statement's new balance (07)",
                    ));
                }
                let (account, currency, scale) = header(rec, line)?;
                let date = date(&f(35, 40), line, 35)?;
                let amount = amount(&f(91, 104), scale, currency, line)?;
                open = Some(Statement {
                    id: format!("{account}-{}", date.format("%Y%m%d")),
                    account,
                    currency: Some(currency),
                    from_date: Some(date),
                    to_date: None,
                    balances: vec![Balance {
                        kind: "OPBD".into(),
                        amount,
                        date: Some(date),
                    }],
                    entries: Vec::new(),
                });
            }
            "04" => {
                let st = open.as_mut().ok_or_else(|| {
                    at(
                        "cfonb_sequence",
                        line,
                        1,
                        "a movement (04) outside a statement (01..07)",
                    )
                })?;
                let (account, currency, scale) = header(rec, line)?;
                same_account(st, &account, line)?;
                let booked = date(&f(35, 40), line, 35)?;
                let value = f(43, 48);
                let value_on = if value.trim().is_empty() {
                    None
                } else {
                    Some(date(&value, line, 43)?)
                };
                let amount = amount(&f(91, 104), scale, currency, line)?;
                let number = f(82, 88).trim().to_string();
                let reference = f(105, 120).trim().to_string();
                let index = st.entries.len();
                st.entries.push(Entry {
                    index,
                    entry_ref: (!number.is_empty()).then(|| number.clone()),
                    servicer_ref: None,
                    amount,
                    status: EntryStatus::Booked,
                    reversal: false,
                    booked_on: Some(booked),
                    value_on,
                    additional_info: None,
                    details: vec![TxDetail {
                        remittance: vec![f(49, 79).trim().to_string()]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect(),
                        end_to_end_id: (!reference.is_empty()).then_some(reference),
                        ..TxDetail::default()
                    }],
                });
            }
            "05" => {
                let entry = open
                    .as_mut()
                    .and_then(|st| st.entries.last_mut())
                    .ok_or_else(|| {
                        at(
                            "cfonb_sequence",
                            line,
                            1,
                            "a complement (05) without a movement (04) before it",
                        )
                    })?;
                let qualifier = f(46, 48);
                let text = f(49, 118).trim().to_string();
                if let Some(d) = entry.details.first_mut() {
                    match qualifier.as_str() {
                        // NPY: name of the payer [nom du payeur].
                        "NPY" => d.counterparty_name = Some(text),
                        // LIB, LCC, LC2, RCN (creditor's reference), REF...:
                        // remittance text.
                        _ if !text.is_empty() => d.remittance.push(text),
                        _ => {}
                    }
                }
            }
            "07" => {
                let mut st = open.take().ok_or_else(|| {
                    at(
                        "cfonb_sequence",
                        line,
                        1,
                        "a new balance (07) without an old balance (01)",
                    )
                })?;
                let (account, currency, scale) = header(rec, line)?;
                same_account(&st, &account, line)?;
                let date = date(&f(35, 40), line, 35)?;
                st.to_date = Some(date);
                st.balances.push(Balance {
                    kind: "CLBD".into(),
                    amount: amount(&f(91, 104), scale, currency, line)?,
                    date: Some(date),
                });
                statements.push(st);
            }
            other => {
                return Err(at(
                    "cfonb_record_code",
                    line,
                    1,
                    format!("record code '{other}' is none of 01, 04, 05, 07"),
                ))
            }
        }
    }
    if open.is_some() {
        return Err(at(
            "cfonb_sequence",
            line_no,
            1,
            "the file ends before the statement's new balance (07)",
        ));
    }
    if statements.is_empty() {
        return Err(at("cfonb_empty", 1, 1, "no statement in the file"));
    }
    Ok(StatementFile {
        format: StatementFormat::Cfonb120,
        statements,
    })
}

fn at(code: &'static str, line: usize, col: usize, message: impl Into<String>) -> StatementError {
    StatementError::invalid(code, format!("line {line} column {col}"), message)
}

/// Account (bank + branch + account number), currency and decimals.
fn header(rec: &[char], line: usize) -> Result<(String, Currency, u32), StatementError> {
    let f = |from: usize, to: usize| -> String { rec[from - 1..to].iter().collect() };
    let account = format!("{}{}{}", f(3, 7), f(12, 16), f(22, 32).trim());
    let currency =
        Currency::from_code(f(17, 19).trim()).map_err(|e| at(e.code(), line, 17, e.to_string()))?;
    let scale = rec[19].to_digit(10).ok_or_else(|| {
        at(
            "cfonb_decimals",
            line,
            20,
            "the number of decimals is not a digit",
        )
    })?;
    Ok((account, currency, scale))
}

fn same_account(st: &Statement, account: &str, line: usize) -> Result<(), StatementError> {
    if st.account != account {
        return Err(at(
            "cfonb_account_changed",
            line,
            3,
            format!(
                "account {account} inside the statement of account {}",
                st.account
            ),
        ));
    }
    Ok(())
}

fn date(text: &str, line: usize, col: usize) -> Result<NaiveDate, StatementError> {
    let bad = || {
        at(
            "date_invalid",
            line,
            col,
            format!("'{text}' is not a date DDMMYY"),
        )
    };
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |a: usize| text[a..a + 2].parse::<u32>().unwrap_or(0);
    NaiveDate::from_ymd_opt(2000 + n(4) as i32, n(2), n(0)).ok_or_else(bad)
}

/// The sign-and-last-digit character: (+1 or -1, digit).
fn sign_digit(c: char) -> Option<(i64, i64)> {
    match c {
        '{' => Some((1, 0)),
        'A'..='I' => Some((1, c as i64 - 'A' as i64 + 1)),
        '}' => Some((-1, 0)),
        'J'..='R' => Some((-1, c as i64 - 'J' as i64 + 1)),
        _ => None,
    }
}

/// A 14-character amount with `scale` decimals, in the currency's minor
/// units: extra decimals must be zeros.
pub fn amount(
    text: &str,
    scale: u32,
    currency: Currency,
    line: usize,
) -> Result<Money, StatementError> {
    let bad = |m: &str| at("amount_invalid", line, 91, format!("'{text}': {m}"));
    let chars: Vec<char> = text.chars().collect();
    let (last, digits) = chars.split_last().ok_or_else(|| bad("empty"))?;
    let (sign, last_digit) =
        sign_digit(*last).ok_or_else(|| bad("the last character is no sign code"))?;
    let mut value: i64 = 0;
    for c in digits {
        let d = c.to_digit(10).ok_or_else(|| bad("not digits"))?;
        value = value * 10 + i64::from(d);
    }
    value = value * 10 + last_digit;
    let exp = u32::from(currency.exponent());
    let minor = if scale >= exp {
        let div = 10i64.pow(scale - exp);
        if value % div != 0 {
            return Err(bad(&format!("more decimals than {currency} has")));
        }
        value / div
    } else {
        value * 10i64.pow(exp - scale)
    };
    Ok(Money::new(sign * minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_digit_table() {
        // From the CFONB table: '{'=+0, 'A'=+1 .. 'I'=+9, '}'=-0, 'J'=-1 .. 'R'=-9.
        assert_eq!(sign_digit('{'), Some((1, 0)));
        assert_eq!(sign_digit('A'), Some((1, 1)));
        assert_eq!(sign_digit('I'), Some((1, 9)));
        assert_eq!(sign_digit('}'), Some((-1, 0)));
        assert_eq!(sign_digit('J'), Some((-1, 1)));
        assert_eq!(sign_digit('R'), Some((-1, 9)));
        assert_eq!(sign_digit('S'), None);
        assert_eq!(sign_digit('5'), None);
    }

    #[test]
    fn amounts() {
        // "0000000012345E" with 2 decimals: digits 123455 -> +1234.55 EUR.
        assert_eq!(
            amount("0000000012345E", 2, Currency::EUR, 1)
                .unwrap()
                .minor(),
            123455
        );
        // "0000000000100}" with 2 decimals: 1000 negative -> -10.00.
        assert_eq!(
            amount("0000000000100}", 2, Currency::EUR, 1)
                .unwrap()
                .minor(),
            -1000
        );
        // 3 decimals on EUR: "0000000001234{" = 12.340 -> 1234 cents.
        assert_eq!(
            amount("0000000001234{", 3, Currency::EUR, 1)
                .unwrap()
                .minor(),
            1234
        );
        // 12.345 EUR cannot be cents.
        assert!(amount("0000000001234E", 3, Currency::EUR, 1).is_err());
        assert!(amount("00000000012X4E", 2, Currency::EUR, 1).is_err());
    }
}
