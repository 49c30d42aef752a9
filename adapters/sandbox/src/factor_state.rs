//! The simulated factor's memory: assignments with what it accepted and
//! will pay, approval jobs, drawings and the collections the test hooks
//! announced. Statements are derived from it, never stored.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::factor_rules::{Accepted, Funding};
use crate::factor_wire::ApprovalView;

#[derive(Debug, Clone)]
pub struct Assignment {
    pub id: String,
    pub contract: String,
    pub number: String,
    pub received_on: NaiveDate,
    pub funding_date: NaiveDate,
    pub accepted: Vec<Accepted>,
    /// (document number, reason).
    pub rejected: Vec<(String, String)>,
    pub funding: Funding,
}

/// A funding request accepted [tirage].
#[derive(Debug, Clone)]
pub struct Drawing {
    pub id: String,
    pub contract: String,
    pub amount: Decimal,
    pub value_date: NaiveDate,
}

/// A buyer's payment to the factor, from `POST /sandbox/factor/collections`.
#[derive(Debug, Clone)]
pub struct Collection {
    pub contract: String,
    pub assignment: String,
    pub invoice: String,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct ApprovalJob {
    pub pending: ApprovalView,
    pub decided: ApprovalView,
    pub polls: u32,
}

#[derive(Debug, Clone, Default)]
pub struct FactorBook {
    pub assignments: Vec<Assignment>,
    pub approvals: HashMap<String, ApprovalJob>,
    pub drawings: Vec<Drawing>,
    pub collections: Vec<Collection>,
    /// Approved amounts already used per debtor ("SCHEME:VALUE").
    pub used: HashMap<String, Decimal>,
}

impl FactorBook {
    pub fn assignment(&self, id: &str) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.id == id)
    }

    /// Whether `number` was accepted in an assignment of `contract`.
    pub fn already_assigned(&self, contract: &str, number: &str) -> bool {
        self.assignments
            .iter()
            .filter(|a| a.contract == contract)
            .any(|a| a.accepted.iter().any(|d| d.number == number))
    }

    /// The accepted invoice `number` and its assignment, in any contract.
    pub fn invoice(&self, number: &str) -> Option<(&Assignment, &Accepted)> {
        self.assignments.iter().find_map(|a| {
            a.accepted
                .iter()
                .find(|d| !d.credit_note && d.number == number)
                .map(|d| (a, d))
        })
    }

    /// What buyers paid on `invoice` up to and including `day`.
    pub fn collected(&self, invoice: &str, day: NaiveDate) -> Decimal {
        self.collections
            .iter()
            .filter(|c| c.invoice == invoice && c.paid_on <= day)
            .map(|c| c.amount)
            .sum()
    }
}
