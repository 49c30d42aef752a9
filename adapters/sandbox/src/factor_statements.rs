//! The simulated factor's statements, derived on each request from what
//! was submitted, the collections announced and the sandbox's today: one
//! statement per day with movements, balances seen from the client's side.
//!
//! Lines by day: an assignment's total on the day received; on its
//! funding day the advance (and its interest, when funded automatically),
//! the commission and its VAT, the reserve held; a drawing's advance on
//! its value date; a buyer's payment as a COLLECTION memo line (outside
//! the balance: it changes nothing the factor owes the client) with the
//! reserve released on it; an invoice still open `recourse_days` after
//! its due date comes back as RECOURSE, releasing its reserve.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;

use crate::factor::StatementQuery;
use crate::factor_rules::{minor_digits, round};
use crate::factor_wire::{StatementLineView, StatementView};
use crate::state::{Reply, Sandbox};
use crate::wire::Money;

/// A line before it gets its statement's entry id.
struct Movement {
    kind: &'static str,
    value_date: Option<NaiveDate>,
    amount: Decimal,
    assignment: Option<String>,
    invoice: Option<String>,
    label: String,
}

fn movement(kind: &'static str, amount: Decimal, assignment: &str, label: String) -> Movement {
    Movement {
        kind,
        value_date: None,
        amount,
        assignment: Some(assignment.to_string()),
        invoice: None,
        label,
    }
}

/// Every movement of `contract` booked up to `today`, by day, in order.
fn movements(s: &Sandbox, contract: &str, today: NaiveDate) -> BTreeMap<NaiveDate, Vec<Movement>> {
    let terms = &s.config.factor;
    let digits = minor_digits(&terms.currency);
    let mut days: BTreeMap<NaiveDate, Vec<Movement>> = BTreeMap::new();
    let mut book = |day: NaiveDate, m: Movement| {
        if day <= today && !m.amount.is_zero() {
            days.entry(day).or_default().push(m);
        }
    };
    for a in s
        .factor
        .assignments
        .iter()
        .filter(|a| a.contract == contract && !a.accepted.is_empty())
    {
        let f = &a.funding;
        book(
            a.received_on,
            movement(
                "ASSIGNMENT",
                f.total,
                &a.number,
                format!("Assignment {}", a.number),
            ),
        );
        let paid = |m: Movement| Movement {
            value_date: Some(a.funding_date),
            ..m
        };
        if terms.auto_fund {
            book(
                a.funding_date,
                paid(movement(
                    "ADVANCE",
                    -f.advance,
                    &a.number,
                    format!("Advance on {}", a.number),
                )),
            );
            book(
                a.funding_date,
                movement(
                    "INTEREST",
                    -f.interest,
                    &a.number,
                    "Financing charge to due dates".into(),
                ),
            );
        }
        book(
            a.funding_date,
            movement("FEE", -f.fee, &a.number, "Factoring commission".into()),
        );
        book(
            a.funding_date,
            movement(
                "FEE_VAT",
                -f.fee_vat,
                &a.number,
                "VAT on the commission".into(),
            ),
        );
        book(
            a.funding_date,
            movement("RESERVE_HELD", -f.reserve, &a.number, "Reserve held".into()),
        );
        for d in a.accepted.iter().filter(|d| !d.credit_note) {
            let Some(due_by) = d
                .due
                .checked_add_days(Days::new(u64::from(terms.recourse_days)))
            else {
                continue;
            };
            let open = d.gross - s.factor.collected(&d.number, due_by);
            if a.funding_date <= due_by && open > Decimal::ZERO {
                let invoice = |m: Movement| Movement {
                    invoice: Some(d.number.clone()),
                    ..m
                };
                let label = format!("Unpaid {} days after its due date", terms.recourse_days);
                book(
                    due_by,
                    invoice(movement("RECOURSE", -open, &a.number, label)),
                );
                let released = round(terms.reserve_rate * open, digits);
                book(
                    due_by,
                    invoice(movement(
                        "RESERVE_RELEASED",
                        released,
                        &a.number,
                        "Reserve released on recourse".into(),
                    )),
                );
            }
        }
    }
    for d in s.factor.drawings.iter().filter(|d| d.contract == contract) {
        let m = Movement {
            kind: "ADVANCE",
            value_date: Some(d.value_date),
            amount: -d.amount,
            assignment: None,
            invoice: None,
            label: format!("Funding request {}", d.id),
        };
        book(d.value_date, m);
    }
    for c in s
        .factor
        .collections
        .iter()
        .filter(|c| c.contract == contract)
    {
        let paid = |kind, amount, label: String| Movement {
            invoice: Some(c.invoice.clone()),
            ..movement(kind, amount, &c.assignment, label)
        };
        book(
            c.paid_on,
            paid("COLLECTION", c.amount, format!("Buyer paid {}", c.invoice)),
        );
        let released = round(terms.reserve_rate * c.amount, digits);
        book(
            c.paid_on,
            paid(
                "RESERVE_RELEASED",
                released,
                "Reserve released on collection".into(),
            ),
        );
    }
    days
}

/// Lines that count in the balance (all but the memo collections).
fn counts(kind: &str) -> bool {
    kind != "COLLECTION"
}

/// `GET /factor/v1/statements?contractNumber=&since=`, oldest first.
pub fn statements(s: &Sandbox, q: StatementQuery) -> Reply {
    let today = s.today();
    let currency = s.config.factor.currency.clone();
    let digits = minor_digits(&currency);
    // Written with the currency's decimals: "0.00", not "0".
    let money = |mut value: Decimal| {
        value.rescale(digits);
        Money {
            value,
            currency: currency.clone(),
        }
    };
    let mut balance = Decimal::ZERO;
    let mut list = Vec::new();
    for (day, moves) in movements(s, &q.contract_number, today) {
        let statement_id = format!("STM-{}-{}", q.contract_number, day.format("%Y%m%d"));
        let opening = balance;
        balance += moves
            .iter()
            .filter(|m| counts(m.kind))
            .map(|m| m.amount)
            .sum::<Decimal>();
        if day < q.since {
            continue;
        }
        let lines = moves
            .into_iter()
            .enumerate()
            .map(|(i, m)| StatementLineView {
                entry_id: format!("{statement_id}-{:03}", i + 1),
                kind: m.kind.into(),
                booking_date: day,
                value_date: m.value_date,
                amount: money(m.amount),
                assignment_number: m.assignment,
                invoice_number: m.invoice,
                label: m.label,
            })
            .collect();
        list.push(StatementView {
            statement_id,
            contract_number: q.contract_number.clone(),
            issue_date: day,
            opening_balance: money(opening),
            closing_balance: money(balance),
            lines,
        });
    }
    Reply::ok(200, json!({ "statements": list }))
}
