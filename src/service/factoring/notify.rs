//! Factored documents: an invoice under an active assignment of a notified
//! contract is exported as type 393 (credit note 396), with the factor as
//! payee, the factor's account for payment and the subrogation notice in
//! the payment terms. Confidential contracts change nothing.

use diesel::prelude::*;

use super::contracts::get_contract;
use crate::domain::factoring::Notification;
use crate::formats::einvoice::{EInvoice, Party};
use crate::service::ServiceError;
use crate::store::schema::{
    factoring_assignment_items as items, factoring_assignments as assignments,
};
use crate::store::DbConnection;

/// The default notice when the contract gives none.
pub const DEFAULT_NOTICE: &str = "Pour être libératoire, votre règlement doit être effectué à l'ordre du factor, qui le reçoit par subrogation dans le cadre d'un contrat d'affacturage.";

pub fn apply_factoring(
    conn: &mut DbConnection,
    invoice_id: &str,
    doc: &mut EInvoice,
) -> Result<(), ServiceError> {
    let found: Option<(String, chrono::NaiveDate)> = items::table
        .inner_join(assignments::table)
        .filter(items::invoice_id.eq(invoice_id).and(items::active.eq(1)))
        .select((assignments::contract_id, assignments::assigned_on))
        .first(conn)
        .optional()?;
    let Some((contract_id, assigned_on)) = found else {
        return Ok(());
    };
    let contract = get_contract(conn, &contract_id)?;
    let terms = contract.terms_at(assigned_on)?;
    if terms.notification != Notification::Notified {
        return Ok(());
    }
    doc.type_code = if doc.credit_note_document {
        "396"
    } else {
        "393"
    }
    .into();
    doc.payee = Some(Party {
        name: terms.factor_name.clone(),
        ..Party::default()
    });
    if let Some(iban) = &terms.factor_iban {
        doc.payment_accounts = vec![iban.clone()];
    }
    let notice = terms
        .subrogation_notice
        .clone()
        .unwrap_or_else(|| DEFAULT_NOTICE.to_string());
    doc.payment_terms = Some(match doc.payment_terms.take() {
        Some(t) if !t.trim().is_empty() => format!("{t} {notice}"),
        _ => notice,
    });
    Ok(())
}
