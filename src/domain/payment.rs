//! Payments received and their allocation to invoices [lettrage].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::party::LegalIdInput;
use crate::error::ErrorCode;
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("{field}: {reason}")]
    Invalid {
        field: String,
        reason: String,
        code: &'static str,
    },
}

impl ErrorCode for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            PaymentError::Invalid { code, .. } => code,
        }
    }
}

fn invalid(
    field: impl Into<String>,
    code: &'static str,
    reason: impl Into<String>,
) -> PaymentError {
    PaymentError::Invalid {
        field: field.into(),
        reason: reason.into(),
        code,
    }
}

/// A payment as a caller sends it. Without explicit allocations the amount
/// settles the buyer's open invoices oldest due date first; what is left
/// stays as a credit on the buyer's account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[serde(default)]
    pub buyer_id: Option<String>,
    #[serde(default)]
    pub buyer_legal_id: Option<LegalIdInput>,
    pub received_on: NaiveDate,
    pub currency: String,
    pub amount: String,
    #[serde(default)]
    pub reference: Option<String>,
    /// The payer's or bank's id for this payment: sending it twice records it once.
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub allocations: Option<Vec<AllocationInput>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    /// Our invoice id or the invoice number.
    pub invoice: String,
    pub amount: String,
}

/// An open invoice a payment may settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: String,
    pub number: String,
    pub due_date: NaiveDate,
    pub open: i64,
}

/// The outcome: what goes to which invoice, and what stays unallocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub invoice_id: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationPlan {
    pub allocations: Vec<Allocation>,
    pub unallocated: i64,
}

pub fn parse_amount(field: &str, raw: &str, currency: Currency) -> Result<i64, PaymentError> {
    let money = Money::parse(raw, currency).map_err(|e| invalid(field, e.code(), e.to_string()))?;
    if money.minor() <= 0 {
        return Err(invalid(
            field,
            "amount_not_positive",
            "must be greater than zero",
        ));
    }
    Ok(money.minor())
}

/// Oldest due date first (then invoice number), never more than an invoice's
/// open amount.
pub fn allocate_oldest_first(amount: i64, mut open: Vec<OpenInvoice>) -> AllocationPlan {
    open.sort_by(|a, b| {
        a.due_date
            .cmp(&b.due_date)
            .then_with(|| a.number.cmp(&b.number))
    });
    let mut left = amount;
    let mut allocations = Vec::new();
    for inv in open {
        if left == 0 {
            break;
        }
        if inv.open <= 0 {
            continue;
        }
        let take = left.min(inv.open);
        allocations.push(Allocation {
            invoice_id: inv.id,
            amount: take,
        });
        left -= take;
    }
    AllocationPlan {
        allocations,
        unallocated: left,
    }
}

/// Allocations the caller chose: each names an open invoice of the buyer, none
/// exceeds what is open, and together they do not exceed the payment.
pub fn allocate_explicit(
    amount: i64,
    requested: &[(usize, String, i64)],
    open: &[OpenInvoice],
) -> Result<AllocationPlan, PaymentError> {
    let mut remaining_open: Vec<i64> = open.iter().map(|i| i.open).collect();
    let mut allocations: Vec<Allocation> = Vec::new();
    let mut left = amount;
    for (index, invoice_ref, wanted) in requested {
        let field = format!("allocations[{index}]");
        let pos = open
            .iter()
            .position(|i| &i.id == invoice_ref || &i.number == invoice_ref)
            .ok_or_else(|| {
                invalid(
                    &field,
                    "invoice_not_open",
                    format!(
                        "'{invoice_ref}' is not an open invoice of this buyer in this currency"
                    ),
                )
            })?;
        if *wanted > remaining_open[pos] {
            return Err(invalid(
                &field,
                "allocation_exceeds_open_amount",
                format!("'{invoice_ref}' has less open than allocated"),
            ));
        }
        if *wanted > left {
            return Err(invalid(
                &field,
                "allocation_exceeds_payment",
                "allocations exceed the payment amount",
            ));
        }
        remaining_open[pos] -= wanted;
        left -= wanted;
        match allocations
            .iter_mut()
            .find(|a| a.invoice_id == open[pos].id)
        {
            Some(a) => a.amount += wanted,
            None => allocations.push(Allocation {
                invoice_id: open[pos].id.clone(),
                amount: *wanted,
            }),
        }
    }
    Ok(AllocationPlan {
        allocations,
        unallocated: left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inv(id: &str, due: (i32, u32, u32), open: i64) -> OpenInvoice {
        OpenInvoice {
            id: id.into(),
            number: format!("N-{id}"),
            due_date: NaiveDate::from_ymd_opt(due.0, due.1, due.2).unwrap(),
            open,
        }
    }

    #[test]
    fn oldest_due_first_then_credit() {
        let plan = allocate_oldest_first(
            250,
            vec![
                inv("b", (2026, 3, 1), 100),
                inv("a", (2026, 2, 1), 100),
                inv("c", (2026, 4, 1), 30),
            ],
        );
        assert_eq!(
            plan.allocations,
            vec![
                Allocation {
                    invoice_id: "a".into(),
                    amount: 100
                },
                Allocation {
                    invoice_id: "b".into(),
                    amount: 100
                },
                Allocation {
                    invoice_id: "c".into(),
                    amount: 30
                },
            ]
        );
        assert_eq!(plan.unallocated, 20);
    }

    #[test]
    fn partial_payment_leaves_invoice_partly_open() {
        let plan = allocate_oldest_first(60, vec![inv("a", (2026, 2, 1), 100)]);
        assert_eq!(
            plan.allocations,
            vec![Allocation {
                invoice_id: "a".into(),
                amount: 60
            }]
        );
        assert_eq!(plan.unallocated, 0);
    }

    #[test]
    fn explicit_allocations_are_checked() {
        let open = vec![inv("a", (2026, 2, 1), 100), inv("b", (2026, 3, 1), 50)];
        let plan =
            allocate_explicit(120, &[(0, "N-b".into(), 50), (1, "a".into(), 40)], &open).unwrap();
        assert_eq!(plan.unallocated, 30);
        assert_eq!(plan.allocations.len(), 2);
        let err = allocate_explicit(120, &[(0, "b".into(), 60)], &open).unwrap_err();
        assert_eq!(err.code(), "allocation_exceeds_open_amount");
        let err = allocate_explicit(40, &[(0, "a".into(), 50)], &open).unwrap_err();
        assert_eq!(err.code(), "allocation_exceeds_payment");
        let err = allocate_explicit(40, &[(0, "zzz".into(), 5)], &open).unwrap_err();
        assert_eq!(err.code(), "invoice_not_open");
    }

    proptest! {
        #[test]
        fn allocation_conserves_the_amount(amount in 1i64..1_000_000, opens in proptest::collection::vec(0i64..100_000, 0..20)) {
            let invoices: Vec<OpenInvoice> = opens.iter().enumerate()
                .map(|(i, o)| inv(&i.to_string(), (2026, 1, 1 + (i as u32 % 28)), *o)).collect();
            let total_open: i64 = opens.iter().sum();
            let plan = allocate_oldest_first(amount, invoices.clone());
            let allocated: i64 = plan.allocations.iter().map(|a| a.amount).sum();
            prop_assert_eq!(allocated + plan.unallocated, amount);
            prop_assert_eq!(allocated, amount.min(total_open));
            for a in &plan.allocations {
                let source = invoices.iter().find(|i| i.id == a.invoice_id).unwrap();
                prop_assert!(a.amount > 0 && a.amount <= source.open);
            }
        }
    }
}
