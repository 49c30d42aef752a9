//! ISO 20022 bank-to-customer messages: camt.053 statements
//! (BkToCstmrStmt/Stmt) and camt.054 debit/credit notifications
//! (BkToCstmrDbtCdtNtfctn/Ntfctn), versions 001.02 to 001.13.
//!
//! The reader goes by local element names only, so one code path reads every
//! version (the namespace names the version; the elements we read kept
//! their names, with two known moves handled: party names under `Pty` from
//! v8, `Sts/Cd` from v10). It streams over the project's guarded XML reader
//! (no DTD, capped depth and size).

mod entry;
mod value;

use std::io::BufRead;

use super::einvoice::DocumentError;
use super::statement::{Balance, Statement, StatementError, StatementFile, StatementFormat};
use super::xml::{GuardedReader, Limits, XmlEvent};
use value::{negate, read_amount, read_currency, read_date, read_date_choice, read_indicator};

/// Camt files can be large (a year of a busy account): a higher size cap
/// than invoices, the same depth cap.
pub const MAX_CAMT_BYTES: u64 = 1024 * 1024 * 1024;

pub fn read_camt<R: BufRead>(input: R) -> Result<StatementFile, StatementError> {
    let mut r = GuardedReader::new(
        input,
        Limits {
            max_bytes: MAX_CAMT_BYTES,
            ..Limits::default()
        },
    );
    let root = loop {
        match r.next()? {
            Some(XmlEvent::Start { local, .. }) => break local,
            Some(_) => continue,
            None => return Err(unknown("the document is empty")),
        }
    };
    if root == "Document" {
        return read_document(&mut r);
    }
    // A transport envelope (e.g. a business application header beside the
    // Document, as in prowide's file): look one level down for the Document.
    let mut child = String::new();
    let mut child_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut child, &mut child_attrs)? {
        if child == "Document" {
            return read_document(&mut r);
        }
        r.skip()?;
    }
    Err(unknown(&format!(
        "root element {root} holds no ISO 20022 Document"
    )))
}

fn unknown(message: &str) -> StatementError {
    StatementError::Document(DocumentError::UnknownFormat {
        message: message.to_string(),
    })
}

fn read_document<R: BufRead>(r: &mut GuardedReader<R>) -> Result<StatementFile, StatementError> {
    let Some((message, _)) = r.child()? else {
        return Err(unknown("empty Document"));
    };
    let (format, part) = match message.as_str() {
        "BkToCstmrStmt" => (StatementFormat::Camt053, "Stmt"),
        "BkToCstmrDbtCdtNtfctn" => (StatementFormat::Camt054, "Ntfctn"),
        "BkToCstmrAcctRpt" => {
            return Err(StatementError::NotAccepted {
                message: "camt.052 account reports are intraday and not final: send the \
                          camt.053 statement or camt.054 notification instead"
                    .into(),
            })
        }
        other => {
            return Err(unknown(&format!(
                "Document/{other} is neither a camt.053 statement nor a camt.054 notification"
            )))
        }
    };
    let mut statements = Vec::new();
    let mut child = String::new();
    let mut child_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut child, &mut child_attrs)? {
        if child == part {
            statements.push(read_statement(r)?);
        } else {
            r.skip()?;
        }
    }
    // Whatever follows the message (nothing, in a valid file) is read to
    // the end so that a truncated document is refused.
    while r.next()?.is_some() {}
    Ok(StatementFile { format, statements })
}

fn read_statement<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Statement, StatementError> {
    let mut st = Statement {
        id: String::new(),
        account: String::new(),
        currency: None,
        from_date: None,
        to_date: None,
        balances: Vec::new(),
        entries: Vec::new(),
    };
    let mut child = String::new();
    let mut child_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut child, &mut child_attrs)? {
        match child.as_str() {
            "Id" => st.id = r.text()?.trim().to_string(),
            "Acct" => read_account(r, &mut st)?,
            "FrToDt" => {
                let mut c = String::new();
                let mut c_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut c, &mut c_attrs)? {
                    match c.as_str() {
                        "FrDtTm" | "FrDt" => st.from_date = Some(read_date(r, &c)?),
                        "ToDtTm" | "ToDt" => st.to_date = Some(read_date(r, &c)?),
                        _ => r.skip()?,
                    }
                }
            }
            "Bal" => st.balances.push(read_balance(r)?),
            "Ntry" => {
                let index = st.entries.len();
                st.entries.push(entry::read_entry(r, index)?);
            }
            _ => r.skip()?,
        }
    }
    if st.id.is_empty() {
        return Err(StatementError::invalid(
            "field_required",
            r.path(),
            "the statement has no Id",
        ));
    }
    if st.account.is_empty() {
        return Err(StatementError::invalid(
            "field_required",
            r.path(),
            format!("statement {} names no account (Acct/Id)", st.id),
        ));
    }
    Ok(st)
}

fn read_account<R: BufRead>(
    r: &mut GuardedReader<R>,
    st: &mut Statement,
) -> Result<(), StatementError> {
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        match c.as_str() {
            "Id" => st.account = read_account_id(r)?.unwrap_or_default(),
            "Ccy" => st.currency = Some(read_currency(r, &c)?),
            _ => r.skip()?,
        }
    }
    Ok(())
}

/// Acct/Id: IBAN, or Othr/Id. Leaves the reader after the Id element.
pub(crate) fn read_account_id<R: BufRead>(
    r: &mut GuardedReader<R>,
) -> Result<Option<String>, StatementError> {
    let mut found = None;
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        match c.as_str() {
            "IBAN" => found = Some(r.text()?.split_whitespace().collect::<String>()),
            "Othr" => {
                let mut o = String::new();
                let mut o_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut o, &mut o_attrs)? {
                    if o == "Id" && found.is_none() {
                        found = Some(r.text()?.trim().to_string());
                    } else {
                        r.skip()?;
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    Ok(found.filter(|s| !s.is_empty()))
}

fn read_balance<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Balance, StatementError> {
    let mut kind = String::new();
    let mut amount = None;
    let mut credit = true;
    let mut date = None;
    let mut c = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut attrs)? {
        match c.as_str() {
            "Tp" => {
                // Tp/CdOrPrtry/Cd or Tp/CdOrPrtry/Prtry.
                let mut t = String::new();
                let mut t_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut t, &mut t_attrs)? {
                    if t == "CdOrPrtry" {
                        let mut k = String::new();
                        let mut k_attrs: Vec<(String, String)> = Vec::new();
                        while r.child_into(&mut k, &mut k_attrs)? {
                            if k == "Cd" || k == "Prtry" {
                                kind = r.text()?.trim().to_string();
                            } else {
                                r.skip()?;
                            }
                        }
                    } else {
                        r.skip()?;
                    }
                }
            }
            "Amt" => amount = Some(read_amount(r, &c, &attrs)?),
            // Balances without an indicator (the Lithuanian fixtures) are
            // read as credit: a positive balance, which is what they hold.
            "CdtDbtInd" => credit = read_indicator(r, &c)?,
            "Dt" => date = read_date_choice(r)?,
            _ => r.skip()?,
        }
    }
    let amount = amount.ok_or_else(|| {
        StatementError::invalid("field_required", r.path(), "a balance has no Amt")
    })?;
    let amount = if credit { amount } else { negate(amount, r)? };
    Ok(Balance { kind, amount, date })
}
