//! One camt entry (Ntry) and its transaction details (TxDtls).

use std::io::BufRead;

use crate::formats::statement::{Entry, EntryStatus, StatementError, TxDetail};
use crate::formats::xml::{GuardedReader, XmlEvent};
use crate::money::Money;

use super::value::{negate, read_amount, read_date_choice, read_indicator};

pub fn read_entry<R: BufRead>(
    r: &mut GuardedReader<R>,
    index: usize,
) -> Result<Entry, StatementError> {
    let mut amount: Option<Money> = None;
    let mut credit: Option<bool> = None;
    let mut entry = Entry {
        index,
        entry_ref: None,
        servicer_ref: None,
        amount: Money::zero(crate::money::Currency::EUR),
        // An entry without status (the Lithuanian fixtures) is in a
        // statement, which reports bookings: read as booked.
        status: EntryStatus::Booked,
        reversal: false,
        booked_on: None,
        value_on: None,
        additional_info: None,
        details: Vec::new(),
    };
    let mut raw_details = Vec::new();
    let mut c = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut attrs)? {
        match c.as_str() {
            "NtryRef" => entry.entry_ref = non_empty(r.text()?),
            "Amt" => amount = Some(read_amount(r, &c, &attrs)?),
            "CdtDbtInd" => credit = Some(read_indicator(r, &c)?),
            "RvslInd" => entry.reversal = r.text()?.trim() == "true",
            "Sts" => entry.status = read_status(r)?,
            "BookgDt" => entry.booked_on = read_date_choice(r)?,
            "ValDt" => entry.value_on = read_date_choice(r)?,
            "AcctSvcrRef" => entry.servicer_ref = non_empty(r.text()?),
            "AddtlNtryInf" => entry.additional_info = non_empty(r.text()?),
            "NtryDtls" => {
                let mut d = String::new();
                let mut d_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut d, &mut d_attrs)? {
                    if d == "TxDtls" {
                        raw_details.push(read_details(r)?);
                    } else {
                        r.skip()?;
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    let (Some(amount), Some(credit)) = (amount, credit) else {
        return Err(StatementError::invalid(
            "field_required",
            format!("{}/Ntry[{}]", r.path(), index + 1),
            "an entry needs Amt and CdtDbtInd",
        ));
    };
    entry.amount = if credit { amount } else { negate(amount, r)? };
    for raw in raw_details {
        entry.details.push(raw.into_detail(credit, r)?);
    }
    Ok(entry)
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

/// `<Sts>BOOK</Sts>` up to v9, `<Sts><Cd>BOOK</Cd></Sts>` from v10.
fn read_status<R: BufRead>(r: &mut GuardedReader<R>) -> Result<EntryStatus, StatementError> {
    let mut code = String::new();
    loop {
        match r.next()? {
            Some(XmlEvent::Text(t)) => code.push_str(t.trim()),
            Some(XmlEvent::Start { local, .. }) => {
                if local == "Cd" || local == "Prtry" {
                    code = r.text()?.trim().to_string();
                } else {
                    r.skip()?;
                }
            }
            Some(XmlEvent::End { .. }) | None => break,
        }
    }
    Ok(if code == "BOOK" {
        EntryStatus::Booked
    } else {
        EntryStatus::Other(code)
    })
}

#[derive(Default)]
struct Party {
    name: Option<String>,
    iban: Option<String>,
}

/// A TxDtls as read, before the entry's indicator tells which party is the
/// other side.
#[derive(Default)]
struct RawDetail {
    amount: Option<Money>,
    /// From AmtDtls (v2): used when there is no Amt.
    amount_details: Option<Money>,
    credit: Option<bool>,
    end_to_end_id: Option<String>,
    servicer_ref: Option<String>,
    debtor: Party,
    creditor: Party,
    remittance: Vec<String>,
    creditor_refs: Vec<String>,
}

impl RawDetail {
    fn into_detail<R: BufRead>(
        self,
        entry_credit: bool,
        r: &GuardedReader<R>,
    ) -> Result<TxDetail, StatementError> {
        let credit = self.credit.unwrap_or(entry_credit);
        let amount = match self.amount.or(self.amount_details) {
            Some(a) if !credit => Some(negate(a, r)?),
            other => other,
        };
        let party = if entry_credit {
            self.debtor
        } else {
            self.creditor
        };
        Ok(TxDetail {
            amount,
            end_to_end_id: self.end_to_end_id,
            servicer_ref: self.servicer_ref,
            counterparty_name: party.name,
            counterparty_iban: party.iban,
            remittance: self.remittance,
            creditor_refs: self.creditor_refs,
        })
    }
}

fn read_details<R: BufRead>(r: &mut GuardedReader<R>) -> Result<RawDetail, StatementError> {
    let mut d = RawDetail::default();
    let mut c = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut attrs)? {
        match c.as_str() {
            "Refs" => {
                let mut f = String::new();
                let mut f_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut f, &mut f_attrs)? {
                    match f.as_str() {
                        "EndToEndId" => {
                            d.end_to_end_id = non_empty(r.text()?).filter(|s| s != "NOTPROVIDED")
                        }
                        "AcctSvcrRef" => d.servicer_ref = non_empty(r.text()?),
                        _ => r.skip()?,
                    }
                }
            }
            "Amt" => d.amount = Some(read_amount(r, &c, &attrs)?),
            "AmtDtls" => d.amount_details = read_amount_details(r)?,
            "CdtDbtInd" => d.credit = Some(read_indicator(r, &c)?),
            "RltdPties" => {
                let mut p = String::new();
                let mut p_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut p, &mut p_attrs)? {
                    match p.as_str() {
                        "Dbtr" => d.debtor.name = read_party_name(r)?,
                        "Cdtr" => d.creditor.name = read_party_name(r)?,
                        "DbtrAcct" => d.debtor.iban = read_iban_of_account(r)?,
                        "CdtrAcct" => d.creditor.iban = read_iban_of_account(r)?,
                        _ => r.skip()?,
                    }
                }
            }
            "RmtInf" => {
                let mut p = String::new();
                let mut p_attrs: Vec<(String, String)> = Vec::new();
                while r.child_into(&mut p, &mut p_attrs)? {
                    match p.as_str() {
                        "Ustrd" => {
                            if let Some(t) = non_empty(r.text()?) {
                                d.remittance.push(t);
                            }
                        }
                        "Strd" => read_structured(r, &mut d.creditor_refs)?,
                        _ => r.skip()?,
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    Ok(d)
}

/// AmtDtls: the transaction amount (TxAmt) first, else the instructed one.
fn read_amount_details<R: BufRead>(
    r: &mut GuardedReader<R>,
) -> Result<Option<Money>, StatementError> {
    let mut tx = None;
    let mut instructed = None;
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        let slot = match c.as_str() {
            "TxAmt" => &mut tx,
            "InstdAmt" => &mut instructed,
            _ => {
                r.skip()?;
                continue;
            }
        };
        let mut a = String::new();
        let mut attrs: Vec<(String, String)> = Vec::new();
        while r.child_into(&mut a, &mut attrs)? {
            if a == "Amt" {
                *slot = Some(read_amount(r, &a, &attrs)?);
            } else {
                r.skip()?;
            }
        }
    }
    Ok(tx.or(instructed))
}

/// Dbtr/Nm (up to v7) or Dbtr/Pty/Nm (v8 on).
fn read_party_name<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Option<String>, StatementError> {
    let mut name = None;
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        match c.as_str() {
            "Nm" => name = non_empty(r.text()?),
            "Pty" => name = read_party_name(r)?.or(name),
            _ => r.skip()?,
        }
    }
    Ok(name)
}

/// DbtrAcct/Id/IBAN: only an IBAN identifies a payer's account for us.
fn read_iban_of_account<R: BufRead>(
    r: &mut GuardedReader<R>,
) -> Result<Option<String>, StatementError> {
    let mut iban = None;
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        if c == "Id" {
            let mut found = None;
            let mut k = String::new();
            let mut k_attrs: Vec<(String, String)> = Vec::new();
            while r.child_into(&mut k, &mut k_attrs)? {
                if k == "IBAN" {
                    found = non_empty(r.text()?.split_whitespace().collect());
                } else {
                    r.skip()?;
                }
            }
            iban = found;
        } else {
            r.skip()?;
        }
    }
    Ok(iban)
}

/// Strd/CdtrRefInf/Ref, possibly several Strd blocks.
fn read_structured<R: BufRead>(
    r: &mut GuardedReader<R>,
    refs: &mut Vec<String>,
) -> Result<(), StatementError> {
    let mut c = String::new();
    let mut c_attrs: Vec<(String, String)> = Vec::new();
    while r.child_into(&mut c, &mut c_attrs)? {
        if c == "CdtrRefInf" {
            let mut k = String::new();
            let mut k_attrs: Vec<(String, String)> = Vec::new();
            while r.child_into(&mut k, &mut k_attrs)? {
                if k == "Ref" {
                    if let Some(t) = non_empty(r.text()?) {
                        refs.push(t);
                    }
                } else {
                    r.skip()?;
                }
            }
        } else {
            r.skip()?;
        }
    }
    Ok(())
}
