//! Factoring use cases: contracts and their versions, debtor approvals,
//! assignment proposals and batches, the factor account's money (funding,
//! reserve, financing charges, collections, recourse) and its position.
//!
//! Every movement of the factor account is a `factoring_movements` row
//! written in the same transaction as its journal entry: the position at
//! any date is their sum, and equals the 467 and 4678 balances.

pub mod approvals;
pub mod assignments;
pub mod collections;
pub mod contracts;
pub(crate) mod movements;
pub mod notify;
pub mod position;
pub mod proposal;
pub mod recourse;
pub mod rejections;

pub use approvals::{
    apply_approval_answer, approval_in_force, list_approvals, record_approval, request_approval,
    ApprovalInput,
};
pub use assignments::{confirm, get_assignment, list_assignments, submit, Assignment};
pub use collections::route_collections;
pub use contracts::{
    add_version, create_contract, get_contract, link_contract, Contract, ContractInput, TermsInput,
};
pub use position::{
    apply_funding_answer, apply_funding_answer_in_tx, get_funding, position, release_reserve,
    request_funding, Position,
};
pub use proposal::{propose, Proposal, Selection};
pub use recourse::{charge_back, recourse_due};
pub use rejections::{apply_assignment_answer, apply_assignment_answer_in_tx, reject};

use rust_decimal::Decimal;

use super::ServiceError;
use crate::money::{Currency, MoneyError};

pub(crate) fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(code, field, message.into())
}

pub(crate) fn currency_of(code: &str) -> Result<Currency, ServiceError> {
    Currency::from_code(code).map_err(|e| invalid("currency_unknown", "currency", e.to_string()))
}

pub(crate) fn money_err(e: MoneyError) -> ServiceError {
    invalid("amount_overflow", "amount", e.to_string())
}

/// A stored decimal rate; a row that does not read back is refused.
pub(crate) fn stored_rate(field: &str, raw: &str) -> Result<Decimal, ServiceError> {
    raw.parse().map_err(|_| {
        invalid(
            "rate_invalid",
            field,
            format!("stored rate '{raw}' is not a decimal"),
        )
    })
}

/// Flags a buyer as a company of our group [société du groupe] (or not):
/// contracts that exclude intra-group buyers refuse its invoices.
pub fn set_intra_group(
    conn: &mut crate::store::DbConnection,
    buyer: &str,
    intra_group: bool,
) -> Result<crate::service::parties::Buyer, ServiceError> {
    use crate::store::schema::buyers;
    use diesel::prelude::*;
    let id = crate::service::parties::resolve_buyer_id(conn, buyer)?;
    diesel::update(buyers::table.find(&id))
        .set(buyers::intra_group.eq(i32::from(intra_group)))
        .execute(conn)?;
    crate::service::parties::get_buyer(conn, &id)
}
