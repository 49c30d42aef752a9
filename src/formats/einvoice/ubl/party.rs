//! The parties of a UBL document: seller, buyer (each wrapped in its
//! Accounting...Party) and payee.

use std::io::BufRead;

use super::{id_of, schemed};
use crate::formats::einvoice::model::Party;
use crate::formats::einvoice::DocumentError;
use crate::formats::xml::GuardedReader;

/// AccountingSupplierParty / AccountingCustomerParty: the cac:Party inside.
pub(super) fn wrapped_party<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Party, DocumentError> {
    let mut found = Party::default();
    while let Some((local, _)) = r.child()? {
        match local.as_str() {
            "Party" => found = party(r)?,
            _ => r.skip()?,
        }
    }
    Ok(found)
}

/// A cac:Party (or cac:PayeeParty, which has the same content).
pub(super) fn party<R: BufRead>(r: &mut GuardedReader<R>) -> Result<Party, DocumentError> {
    let mut p = Party::default();
    let mut registration_name = None;
    let mut trading_name = None;
    let mut endpoints = Vec::new();
    while let Some((local, attrs)) = r.child()? {
        match local.as_str() {
            "EndpointID" => endpoints.push(schemed(r, attrs)?),
            "PartyIdentification" => {
                while let Some((local, attrs)) = r.child()? {
                    match local.as_str() {
                        "ID" => p.ids.push(schemed(r, attrs)?),
                        _ => r.skip()?,
                    }
                }
            }
            "PartyName" => {
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "Name" if trading_name.is_none() => trading_name = Some(r.text()?),
                        _ => r.skip()?,
                    }
                }
            }
            "PostalAddress" => {
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "Country" => {
                            while let Some((local, _)) = r.child()? {
                                match local.as_str() {
                                    "IdentificationCode" => p.country = Some(r.text()?),
                                    _ => r.skip()?,
                                }
                            }
                        }
                        _ => r.skip()?,
                    }
                }
            }
            "PartyTaxScheme" => {
                let mut company = None;
                let mut scheme = None;
                while let Some((local, _)) = r.child()? {
                    match local.as_str() {
                        "CompanyID" => company = Some(r.text()?),
                        "TaxScheme" => scheme = id_of(r)?,
                        _ => r.skip()?,
                    }
                }
                // Other schemes (FC, TAX, LOC) are tax registrations, not the
                // VAT identifier.
                if scheme.as_deref() == Some("VAT") && p.vat_id.is_none() {
                    p.vat_id = company;
                }
            }
            "PartyLegalEntity" => {
                while let Some((local, attrs)) = r.child()? {
                    match local.as_str() {
                        "RegistrationName" => registration_name = Some(r.text()?),
                        "CompanyID" => p.legal_id = Some(schemed(r, attrs)?),
                        _ => r.skip()?,
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    // The electronic address is one more identifier of the party, after
    // its own identifiers.
    p.ids.append(&mut endpoints);
    p.name = registration_name.or(trading_name).unwrap_or_default();
    Ok(p)
}
