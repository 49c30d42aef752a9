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
    while let Some((c, attrs)) = r.child()? {
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
                while let Some((d, _)) = r.child()? {
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
    (!t.is_empty()).then(|| t.to_string())
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
    while let Some((c, attrs)) = r.child()? {
        match c.as_str() {
            "Refs" => {
                while let Some((f, _)) = r.child()? {
                    match f.as_str() {
                        "EndToEndId" => {
                            d.end_to_end_id =
                                non_empty(r.text()?).filter(|s| s != "NOTPROVIDED")
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
                while let Some((p, _)) = r.child()? {
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
                while let Some((p, _)) = r.child()? {
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
    while let Some((c, _)) = r.child()? {
        let slot = match c.as_str() {
            "TxAmt" => &mut tx,
            "InstdAmt" => &mut instructed,
            _ => {
                r.skip()?;
                continue;
            }
        };
        while let Some((a, attrs)) = r.child()? {
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
fn read_party_name<R: BufRead>(
    r: &mut GuardedReader<R>,
) -> Result<Option<String>, StatementError> {
    let mut name = None;
    while let Some((c, _)) = r.child()? {
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
    while let Some((c, _)) = r.child()? {
        if c == "Id" {
            let mut found = None;
            while let Some((k, _)) = r.child()? {
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
    while let Some((c, _)) = r.child()? {
        if c == "CdtrRefInf" {
            while let Some((k, _)) = r.child()? {
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
