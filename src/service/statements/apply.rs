//! What a match does to the books. An applied match is a payment through
//! the payments service (D 512 bank / C 411 buyer); an overpayment's rest
//! is moved to the buyer's credit account (D 411 / C 4191). A line not
//! applied at import is parked in suspense (D 512 / C 471): the money is at
//! the bank, whose it is waits for a person; when it is resolved the
//! suspense is cleared (D 471 / C 512) and the payment recorded as above,
//! so that the net effect is D 471 / C 411.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::payment::{AllocationInput, PaymentInput};
use crate::ledger::{EntryDraft, EntryLine, JournalCode};
use crate::money::{format_minor, Currency};
use crate::service::ledger::{post, PreparedEntries};
use crate::service::payments::{record_payment_in, PlannedPayment};
use crate::service::{Context, ServiceError};
use crate::store::DbConnection;

pub const SUSPENSE_PARKED: &str = "statement.suspense_parked";
pub const SUSPENSE_CLEARED: &str = "statement.suspense_cleared";
pub const CREDIT_RECLASSIFIED: &str = "payment.credit_reclassified";

/// A settlement as proposed and stored with the line (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProposal {
    pub buyer_id: String,
    pub allocations: Vec<ProposedAllocation>,
    /// Left as a credit on the buyer's account.
    pub unallocated_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedAllocation {
    pub invoice_id: String,
    pub invoice_number: String,
    pub amount_minor: i64,
}

/// The facts of a statement line a posting needs.
pub struct LineMoney<'a> {
    pub movement_id: &'a str,
    pub date: NaiveDate,
    pub amount: i64,
    pub currency: Currency,
    pub label: &'a str,
}

fn piece(line: &LineMoney) -> String {
    let label: String = line.label.chars().take(60).collect();
    if label.trim().is_empty() {
        line.movement_id.to_string()
    } else {
        label
    }
}

/// Records the payment of a line (inside the caller's transaction), and
/// moves an overpayment's rest to the buyer's credit account. Returns the
/// payment id. The payment's external id is the line's: applying a line
/// twice records it once.
pub fn apply_payment(
    conn: &mut DbConnection,
    ctx: &Context,
    line: &LineMoney,
    proposal: &StoredProposal,
) -> Result<String, ServiceError> {
    let e = line.currency.exponent();
    let input = PaymentInput {
        buyer_id: Some(proposal.buyer_id.clone()),
        buyer_legal_id: None,
        received_on: line.date,
        currency: line.currency.code().to_string(),
        amount: format_minor(line.amount, e, '.'),
        reference: Some(piece(line)),
        external_id: Some(format!("statement-line:{}", line.movement_id)),
        allocations: Some(
            proposal
                .allocations
                .iter()
                .map(|a| AllocationInput {
                    invoice: a.invoice_id.clone(),
                    amount: format_minor(a.amount_minor, e, '.'),
                })
                .collect(),
        ),
    };
    let payment = record_payment_in(conn, ctx, &input)?;
    if payment.unallocated.minor() > 0 {
        let draft = credit_reclassified(
            ctx,
            line,
            &payment.id,
            &proposal.buyer_id,
            payment.unallocated.minor(),
        );
        post(conn, ctx, &draft)?;
    }
    Ok(payment.id)
}

/// D 411 / C 4191: an overpayment's rest moved to the buyer's credit.
fn credit_reclassified(
    ctx: &Context,
    line: &LineMoney,
    payment_id: &str,
    buyer_id: &str,
    amount: i64,
) -> EntryDraft {
    let roles = ctx.chart.roles();
    let label = format!("Trop-perçu {payment_id}");
    EntryDraft {
        journal: JournalCode::Bank.code().to_string(),
        date: line.date,
        label: label.clone(),
        piece_ref: piece(line),
        piece_date: line.date,
        event_kind: CREDIT_RECLASSIFIED.to_string(),
        event_id: payment_id.to_string(),
        lines: vec![
            EntryLine::debit(&roles.receivable, amount, line.currency, &label).with_buyer(buyer_id),
            EntryLine::credit(&roles.customer_credit, amount, line.currency, &label)
                .with_buyer(buyer_id),
        ],
    }
}

/// The batch form of [`apply_payment`] used at import: the payment is
/// planned (recorded with the statement's others by
/// `payments::record_planned_payments`) and an overpayment's
/// reclassification added to the statement's entries. Returns the payment.
pub fn plan_payment(
    batch: &mut PreparedEntries,
    ctx: &Context,
    line: &LineMoney,
    proposal: &StoredProposal,
) -> Result<PlannedPayment, ServiceError> {
    let id = crate::service::new_id();
    if proposal.unallocated_minor > 0 {
        let draft = credit_reclassified(
            ctx,
            line,
            &id,
            &proposal.buyer_id,
            proposal.unallocated_minor,
        );
        batch.add(ctx, &draft, None)?;
    }
    Ok(PlannedPayment {
        id,
        buyer_id: proposal.buyer_id.clone(),
        received_on: line.date,
        currency: line.currency,
        amount: line.amount,
        reference: piece(line),
        external_id: format!("statement-line:{}", line.movement_id),
        allocations: proposal
            .allocations
            .iter()
            .map(|a| (a.invoice_id.clone(), a.amount_minor))
            .collect(),
    })
}

fn suspense_entry(ctx: &Context, line: &LineMoney, clear: bool) -> EntryDraft {
    let roles = ctx.chart.roles();
    let (label, kind) = if clear {
        (
            format!("Sortie d'attente {}", piece(line)),
            SUSPENSE_CLEARED,
        )
    } else {
        (
            format!("Encaissement en attente {}", piece(line)),
            SUSPENSE_PARKED,
        )
    };
    let (debit, credit) = if clear {
        (&roles.suspense, &roles.bank)
    } else {
        (&roles.bank, &roles.suspense)
    };
    EntryDraft {
        journal: JournalCode::Bank.code().to_string(),
        date: line.date,
        label: label.clone(),
        piece_ref: piece(line),
        piece_date: line.date,
        event_kind: kind.to_string(),
        event_id: line.movement_id.to_string(),
        lines: vec![
            EntryLine::debit(debit, line.amount, line.currency, &label),
            EntryLine::credit(credit, line.amount, line.currency, &label),
        ],
    }
}

/// D 512 / C 471 for a credit not applied at import: checked and added to
/// the statement's batch of entries, written together at its end (same
/// transaction). Returns the entry's id.
pub fn park_in_suspense(
    batch: &mut PreparedEntries,
    ctx: &Context,
    line: &LineMoney,
) -> Result<String, ServiceError> {
    batch.add(ctx, &suspense_entry(ctx, line, false), None)
}

/// D 471 / C 512 when a parked line is resolved (the payment then posts
/// D 512 / C 411).
pub fn clear_suspense(
    conn: &mut DbConnection,
    ctx: &Context,
    line: &LineMoney,
) -> Result<String, ServiceError> {
    post(conn, ctx, &suspense_entry(ctx, line, true))
}
