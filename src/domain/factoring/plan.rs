//! How a selection splits: the concentration cap over the whole portfolio,
//! then each buyer's debtor approval over its invoices, oldest due first.
//!
//! Concentration: with O the assigned outstanding before this assignment
//! and S the eligible selection (invoices less credit notes), the buyer's
//! allowance is floor(cap x (O + S)) less what it already has assigned.
//! Its invoices are taken whole, oldest due first, while they fit; the
//! first that does not fit and every later one are not eligible
//! (`concentration_cap`). Invoices are never split by the cap; one pass
//! (excluding an invoice shrinks the portfolio a little, which is not
//! re-checked: the factor's own check is the same one pass).

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::eligibility::{Candidate, Ineligible};

/// What the factor already carries for one buyer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BuyerState {
    /// The debtor approval in force; `None`: none (nothing is approved).
    pub limit: Option<i64>,
    /// Approved amounts still open under active assignments.
    pub approved_in_use: i64,
    /// Assigned amounts still open under active assignments.
    pub outstanding: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedItem {
    pub candidate: Candidate,
    /// Empty: assigned.
    pub reasons: Vec<Ineligible>,
    /// The part within the approval (financed); zero for credit notes.
    pub approved: i64,
    /// Assigned but not financed.
    pub non_approved: i64,
}

impl PlannedItem {
    pub fn eligible(&self) -> bool {
        self.reasons.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BuyerSummary {
    pub buyer_id: String,
    /// Invoices less credit notes assigned now.
    pub assigned: i64,
    pub approved: i64,
    pub non_approved: i64,
    pub limit: Option<i64>,
    /// Approval left after this assignment.
    pub headroom_after: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssignmentPlan {
    pub items: Vec<PlannedItem>,
    pub buyers: Vec<BuyerSummary>,
    /// Invoices less credit notes.
    pub assigned: i64,
    pub approved: i64,
    pub non_approved: i64,
}

fn signed(c: &Candidate) -> i64 {
    if c.credit_note {
        -c.open
    } else {
        c.open
    }
}

/// Plans an assignment from candidates already checked one by one
/// (`reasons` from [`super::check_invoice`]).
pub fn plan_assignment(
    checked: Vec<(Candidate, Vec<Ineligible>)>,
    buyers: &BTreeMap<String, BuyerState>,
    portfolio_outstanding: i64,
    concentration_cap: Decimal,
) -> AssignmentPlan {
    let mut items: Vec<PlannedItem> = checked
        .into_iter()
        .map(|(candidate, reasons)| PlannedItem {
            candidate,
            reasons,
            approved: 0,
            non_approved: 0,
        })
        .collect();
    // Oldest due first within a buyer; the order the schedule lists them.
    items.sort_by(|a, b| {
        let (a, b) = (&a.candidate, &b.candidate);
        (&a.buyer_id, a.due_date, &a.number).cmp(&(&b.buyer_id, b.due_date, &b.number))
    });
    let selection: i64 = items
        .iter()
        .filter(|i| i.eligible())
        .map(|i| signed(&i.candidate))
        .sum();
    if concentration_cap < Decimal::ONE {
        let total = Decimal::from(portfolio_outstanding + selection.max(0));
        let cap_amount = (total * concentration_cap)
            .floor()
            .to_i64()
            .unwrap_or(i64::MAX);
        let mut taken: BTreeMap<&str, (i64, bool)> = BTreeMap::new();
        for item in items.iter_mut() {
            if !item.eligible() || item.candidate.credit_note {
                continue;
            }
            let state = buyers
                .get(&item.candidate.buyer_id)
                .copied()
                .unwrap_or_default();
            let (sum, closed) = taken
                .entry(item.candidate.buyer_id.as_str())
                .or_insert((state.outstanding, false));
            if *closed || *sum + item.candidate.open > cap_amount {
                *closed = true;
                item.reasons.push(Ineligible::ConcentrationCap);
            } else {
                *sum += item.candidate.open;
            }
        }
    }
    let mut summaries: BTreeMap<String, BuyerSummary> = BTreeMap::new();
    let mut headroom: BTreeMap<String, i64> = BTreeMap::new();
    for item in items.iter_mut().filter(|i| i.eligible()) {
        let buyer = item.candidate.buyer_id.clone();
        let state = buyers.get(&buyer).copied().unwrap_or_default();
        let left = headroom
            .entry(buyer.clone())
            .or_insert_with(|| (state.limit.unwrap_or(0) - state.approved_in_use).max(0));
        if !item.candidate.credit_note {
            item.approved = item.candidate.open.min(*left);
            item.non_approved = item.candidate.open - item.approved;
            *left -= item.approved;
        }
        let s = summaries
            .entry(buyer.clone())
            .or_insert_with(|| BuyerSummary {
                buyer_id: buyer.clone(),
                limit: state.limit,
                ..BuyerSummary::default()
            });
        s.assigned += signed(&item.candidate);
        s.approved += item.approved;
        s.non_approved += item.non_approved;
        s.headroom_after = *left;
    }
    let buyers: Vec<BuyerSummary> = summaries.into_values().collect();
    AssignmentPlan {
        assigned: buyers.iter().map(|b| b.assigned).sum(),
        approved: buyers.iter().map(|b| b.approved).sum(),
        non_approved: buyers.iter().map(|b| b.non_approved).sum(),
        items,
        buyers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::InvoiceState;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn inv(buyer: &str, number: &str, due_day: u32, open: i64) -> Candidate {
        Candidate {
            invoice_id: format!("id-{number}"),
            number: number.into(),
            credit_note: false,
            seller_id: "s".into(),
            buyer_id: buyer.into(),
            buyer_country: "FR".into(),
            intra_group: false,
            currency: "EUR".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 4, due_day).unwrap(),
            open,
            state: InvoiceState::Open,
            already_assigned: false,
        }
    }

    fn limit(l: i64, used: i64, outstanding: i64) -> BuyerState {
        BuyerState {
            limit: Some(l),
            approved_in_use: used,
            outstanding,
        }
    }

    #[test]
    fn the_approval_covers_the_oldest_invoices_first_and_splits_the_last() {
        // Limit 10,000 with 3,000 in use: 7,000 left. F-1 (due 5 April,
        // 4,000) approved whole; F-2 (due 10 April, 5,000): 3,000 approved,
        // 2,000 not.
        let buyers = BTreeMap::from([("A".to_string(), limit(1_000_000, 300_000, 0))]);
        let plan = plan_assignment(
            vec![
                (inv("A", "F-2", 10, 500_000), vec![]),
                (inv("A", "F-1", 5, 400_000), vec![]),
            ],
            &buyers,
            0,
            Decimal::ONE,
        );
        let got: Vec<_> = plan
            .items
            .iter()
            .map(|i| (i.candidate.number.as_str(), i.approved, i.non_approved))
            .collect();
        assert_eq!(got, vec![("F-1", 400_000, 0), ("F-2", 300_000, 200_000)]);
        assert_eq!(
            (plan.assigned, plan.approved, plan.non_approved),
            (900_000, 700_000, 200_000)
        );
        assert_eq!(plan.buyers[0].headroom_after, 0);
    }

    #[test]
    fn without_an_approval_everything_is_assigned_unfinanced() {
        let plan = plan_assignment(
            vec![(inv("B", "F-9", 5, 100), vec![])],
            &BTreeMap::new(),
            0,
            Decimal::ONE,
        );
        assert_eq!((plan.approved, plan.non_approved), (0, 100));
    }

    #[test]
    fn credit_notes_reduce_the_buyer_total_and_are_never_approved() {
        let mut cn = inv("A", "AV-1", 1, 50_000);
        cn.credit_note = true;
        let buyers = BTreeMap::from([("A".to_string(), limit(1_000_000, 0, 0))]);
        let plan = plan_assignment(
            vec![(inv("A", "F-1", 5, 200_000), vec![]), (cn, vec![])],
            &buyers,
            0,
            Decimal::ONE,
        );
        // 2,000 - 500 = 1,500 assigned; the invoice's 2,000 approved.
        assert_eq!((plan.assigned, plan.approved), (150_000, 200_000));
    }

    #[test]
    fn the_concentration_cap_drops_a_buyer_s_later_invoices() {
        // Portfolio 6,000 (buyer A has 1,000 of it), selection: A 2,000 +
        // 1,000 and B 1,000. Total after: 6,000 + 4,000 = 10,000; cap 30 %
        // -> 3,000 for A: 1,000 held + F-1 2,000 = 3,000 fits; F-2 would
        // make 4,000: excluded. B: 1,000 <= 3,000.
        let buyers = BTreeMap::from([(
            "A".to_string(),
            BuyerState {
                limit: None,
                approved_in_use: 0,
                outstanding: 100_000,
            },
        )]);
        let plan = plan_assignment(
            vec![
                (inv("A", "F-1", 5, 200_000), vec![]),
                (inv("A", "F-2", 6, 100_000), vec![]),
                (inv("B", "G-1", 5, 100_000), vec![]),
            ],
            &buyers,
            600_000,
            "0.30".parse().unwrap(),
        );
        let f2 = plan
            .items
            .iter()
            .find(|i| i.candidate.number == "F-2")
            .unwrap();
        assert_eq!(f2.reasons, vec![Ineligible::ConcentrationCap]);
        assert_eq!(plan.assigned, 300_000);
    }

    #[test]
    fn ineligible_items_are_listed_but_not_counted() {
        let plan = plan_assignment(
            vec![(inv("A", "F-1", 5, 200_000), vec![Ineligible::Disputed])],
            &BTreeMap::new(),
            0,
            Decimal::ONE,
        );
        assert_eq!(plan.items.len(), 1);
        assert_eq!((plan.assigned, plan.approved), (0, 0));
        assert!(plan.buyers.is_empty());
    }

    proptest! {
        #[test]
        fn approved_never_exceeds_headroom_nor_open(
            opens in proptest::collection::vec(1i64..1_000_000, 1..20),
            lim in 0i64..5_000_000, used in 0i64..5_000_000
        ) {
            let checked = opens.iter().enumerate()
                .map(|(i, o)| (inv("A", &format!("F-{i:02}"), 1 + (i as u32 % 28), *o), vec![]))
                .collect();
            let buyers = BTreeMap::from([("A".to_string(), limit(lim, used, 0))]);
            let plan = plan_assignment(checked, &buyers, 0, Decimal::ONE);
            prop_assert!(plan.approved <= (lim - used).max(0));
            prop_assert_eq!(plan.approved + plan.non_approved, opens.iter().sum::<i64>());
            for i in &plan.items {
                prop_assert!(i.approved >= 0 && i.approved <= i.candidate.open);
            }
        }
    }
}
