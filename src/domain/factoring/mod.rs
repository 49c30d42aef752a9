//! Factoring [affacturage] as pure rules: a contract's dated terms, the
//! money of an assignment (advance, reserve, commission and its VAT,
//! financing charge), which invoices are eligible and why not, and how a
//! selection is split into approved and non-approved amounts.
//! Amounts are minor units of the contract currency.

pub mod eligibility;
pub mod money;
pub mod plan;
pub mod terms;

pub use eligibility::{check_invoice, Candidate, Ineligible};
pub use money::{advance, commission, financing_charge, reserve, Commission, FinancingSlice};
pub use plan::{plan_assignment, AssignmentPlan, BuyerState, PlannedItem};
pub use terms::{terms_at, ContractTerms, Notification, Recourse, Scope};
