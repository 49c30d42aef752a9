//! Posting rules [schémas d'écritures]: each business event becomes one
//! balanced entry on the accounts [`ChartRoles`] names (DOMAIN.md,
//! "Accounting").
//!
//! Amounts come in signed, as the documents state them. Each line goes on
//! its natural side when positive and on the other side when negative, so a
//! negative invoice (they exist: a type 380 invoice with negative totals)
//! posts mirrored with positive amounts, and a zero amount posts no line.
//! The caller validates the draft against the chart before storing it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::chart::{ChartRoles, JournalCode};
use super::entry::{EntryDraft, EntryLine};
use super::LedgerError;
use crate::money::Currency;

pub const INVOICE_ISSUED: &str = "invoice.issued";
pub const CREDIT_NOTE_ISSUED: &str = "credit_note.issued";
pub const PAYMENT_RECEIVED: &str = "payment.received";
pub const PREPAID_APPLIED: &str = "invoice.prepaid_applied";

/// What was sold, which decides the sales account (707 or 706).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    Goods,
    Services,
}

/// The figures of an invoice or credit note that the ledger needs. Amounts
/// are minor units of `currency`; `gross` [TTC] must be `net` + `tax`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFacts {
    pub invoice_id: String,
    pub number: String,
    pub buyer_id: String,
    pub issue_date: NaiveDate,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub currency: Currency,
    pub kind: SaleKind,
}

/// A payment received from a buyer [encaissement].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFacts {
    pub payment_id: String,
    pub buyer_id: String,
    pub received_on: NaiveDate,
    pub amount: i64,
    pub currency: Currency,
    /// The bank's or remitter's reference, used as the supporting document.
    pub reference: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Debit,
    Credit,
}

/// Puts `amount` on `side` when positive, on the other side when negative,
/// and nowhere when zero.
fn push_line(
    lines: &mut Vec<EntryLine>,
    side: Side,
    account: &str,
    amount: i64,
    currency: Currency,
    label: &str,
    buyer_id: Option<&str>,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Ok(());
    }
    let magnitude = amount.checked_abs().ok_or(LedgerError::Overflow)?;
    let debit_side = (side == Side::Debit) == (amount > 0);
    let mut line = if debit_side {
        EntryLine::debit(account, magnitude, currency, label)
    } else {
        EntryLine::credit(account, magnitude, currency, label)
    };
    line.buyer_id = buyer_id.map(str::to_string);
    lines.push(line);
    Ok(())
}

/// The sales entry and its credit-note mirror: `receivable_side` is where
/// the gross amount goes (debit for an invoice, credit for a credit note).
fn post_sale(
    facts: &InvoiceFacts,
    roles: &ChartRoles,
    receivable_side: Side,
    event_kind: &'static str,
    label: String,
) -> Result<EntryDraft, LedgerError> {
    let sum = facts
        .net
        .checked_add(facts.tax)
        .ok_or(LedgerError::Overflow)?;
    if sum != facts.gross {
        return Err(LedgerError::InconsistentTotals {
            net: facts.net,
            tax: facts.tax,
            gross: facts.gross,
        });
    }
    let other_side = match receivable_side {
        Side::Debit => Side::Credit,
        Side::Credit => Side::Debit,
    };
    let sales = match facts.kind {
        SaleKind::Goods => &roles.sales_goods,
        SaleKind::Services => &roles.sales_services,
    };
    let c = facts.currency;
    let mut lines = Vec::with_capacity(3);
    push_line(
        &mut lines,
        receivable_side,
        &roles.receivable,
        facts.gross,
        c,
        &label,
        Some(&facts.buyer_id),
    )?;
    push_line(&mut lines, other_side, sales, facts.net, c, &label, None)?;
    push_line(
        &mut lines,
        other_side,
        &roles.vat_collected,
        facts.tax,
        c,
        &label,
        None,
    )?;
    if lines.is_empty() {
        return Err(LedgerError::NothingToPost {
            event_kind,
            event_id: facts.invoice_id.clone(),
        });
    }
    Ok(EntryDraft {
        journal: JournalCode::Sales.code().to_string(),
        date: facts.issue_date,
        label,
        piece_ref: facts.number.clone(),
        piece_date: facts.issue_date,
        event_kind: event_kind.to_string(),
        event_id: facts.invoice_id.clone(),
        lines,
    })
}

/// Sales invoice [facture]: debit 411 gross on the buyer's sub-ledger,
/// credit 707/706 net and 44571 VAT (no VAT line when the tax is zero).
pub fn post_invoice(facts: &InvoiceFacts, roles: &ChartRoles) -> Result<EntryDraft, LedgerError> {
    let label = format!("Facture {}", facts.number);
    post_sale(facts, roles, Side::Debit, INVOICE_ISSUED, label)
}

/// Credit note [avoir]: debit 707/706 net and 44571 VAT, credit 411 gross
/// on the buyer's sub-ledger. Amounts are given positive, as on the document.
pub fn post_credit_note(
    facts: &InvoiceFacts,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let label = format!("Avoir {}", facts.number);
    post_sale(facts, roles, Side::Credit, CREDIT_NOTE_ISSUED, label)
}

/// Payment from a buyer [règlement client]: debit 512, credit 411 on the
/// buyer's sub-ledger. A negative amount (a refund, a bounced cheque) posts
/// mirrored. Without a bank reference the payment id is the piece reference,
/// since the entry must name a supporting document.
pub fn post_payment(facts: &PaymentFacts, roles: &ChartRoles) -> Result<EntryDraft, LedgerError> {
    let piece_ref = if facts.reference.trim().is_empty() {
        facts.payment_id.clone()
    } else {
        facts.reference.clone()
    };
    let label = format!("Règlement {piece_ref}");
    let c = facts.currency;
    let mut lines = Vec::with_capacity(2);
    push_line(
        &mut lines,
        Side::Debit,
        &roles.bank,
        facts.amount,
        c,
        &label,
        None,
    )?;
    push_line(
        &mut lines,
        Side::Credit,
        &roles.receivable,
        facts.amount,
        c,
        &label,
        Some(&facts.buyer_id),
    )?;
    if lines.is_empty() {
        return Err(LedgerError::NothingToPost {
            event_kind: PAYMENT_RECEIVED,
            event_id: facts.payment_id.clone(),
        });
    }
    Ok(EntryDraft {
        journal: JournalCode::Bank.code().to_string(),
        date: facts.received_on,
        label,
        piece_ref,
        piece_date: facts.received_on,
        event_kind: PAYMENT_RECEIVED.to_string(),
        event_id: facts.payment_id.clone(),
        lines,
    })
}

/// An advance the buyer paid before the invoice [acompte reçu], booked then
/// to 4191, settles that much of the invoice at issue: debit 4191, credit
/// 411 on the buyer's sub-ledger. `prepaid` is the invoice's BT-113.
pub fn post_prepaid_applied(
    facts: &InvoiceFacts,
    prepaid: i64,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let label = format!("Acompte imputé facture {}", facts.number);
    let mut lines = Vec::with_capacity(2);
    let c = facts.currency;
    push_line(
        &mut lines,
        Side::Debit,
        &roles.customer_credit,
        prepaid,
        c,
        &label,
        None,
    )?;
    push_line(
        &mut lines,
        Side::Credit,
        &roles.receivable,
        prepaid,
        c,
        &label,
        Some(&facts.buyer_id),
    )?;
    if lines.is_empty() {
        return Err(LedgerError::NothingToPost {
            event_kind: PREPAID_APPLIED,
            event_id: facts.invoice_id.clone(),
        });
    }
    Ok(EntryDraft {
        journal: JournalCode::Sales.code().to_string(),
        date: facts.issue_date,
        label,
        piece_ref: facts.number.clone(),
        piece_date: facts.issue_date,
        event_kind: PREPAID_APPLIED.to_string(),
        event_id: facts.invoice_id.clone(),
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ledger::chart::Chart;
    use proptest::prelude::*;

    fn march(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    fn facts(net: i64, tax: i64, kind: SaleKind) -> InvoiceFacts {
        InvoiceFacts {
            invoice_id: "inv-7".into(),
            number: "F2025-007".into(),
            buyer_id: "buyer-1".into(),
            issue_date: march(14),
            net,
            tax,
            gross: net + tax,
            currency: Currency::EUR,
            kind,
        }
    }

    /// (account, buyer, debit, credit) of each line, for compact assertions.
    fn shape(e: &EntryDraft) -> Vec<(&str, Option<&str>, i64, i64)> {
        e.lines
            .iter()
            .map(|l| (l.account.as_str(), l.buyer_id.as_deref(), l.debit, l.credit))
            .collect()
    }

    #[test]
    fn invoice_of_goods_at_20_percent() {
        // 1,250.00 net + 250.00 VAT = 1,500.00 gross.
        let roles = ChartRoles::default();
        let e = post_invoice(&facts(125_000, 25_000, SaleKind::Goods), &roles).unwrap();
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            shape(&e),
            [
                ("411", Some("buyer-1"), 150_000, 0),
                ("707", None, 0, 125_000),
                ("44571", None, 0, 25_000)
            ]
        );
        assert_eq!(
            (e.journal.as_str(), e.event_kind.as_str()),
            ("VE", "invoice.issued")
        );
        assert_eq!(
            (e.event_id.as_str(), e.piece_ref.as_str()),
            ("inv-7", "F2025-007")
        );
        assert_eq!((e.date, e.piece_date), (march(14), march(14)));
        assert_eq!(e.label, "Facture F2025-007");
    }

    #[test]
    fn invoice_of_services_without_vat_has_no_vat_line() {
        // Export of services: 800.00 net, no VAT.
        let e = post_invoice(
            &facts(80_000, 0, SaleKind::Services),
            &ChartRoles::default(),
        )
        .unwrap();
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            shape(&e),
            [
                ("411", Some("buyer-1"), 80_000, 0),
                ("706", None, 0, 80_000)
            ]
        );
    }

    #[test]
    fn negative_invoice_posts_mirrored_with_positive_amounts() {
        // -100.00 net, -20.00 VAT, -120.00 gross.
        let e = post_invoice(
            &facts(-10_000, -2_000, SaleKind::Goods),
            &ChartRoles::default(),
        )
        .unwrap();
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            shape(&e),
            [
                ("411", Some("buyer-1"), 0, 12_000),
                ("707", None, 10_000, 0),
                ("44571", None, 2_000, 0)
            ]
        );
        assert_eq!(e.event_kind, INVOICE_ISSUED);
    }

    #[test]
    fn gross_must_be_net_plus_tax() {
        let mut f = facts(10_000, 2_000, SaleKind::Goods);
        f.gross = 12_001;
        let err = post_invoice(&f, &ChartRoles::default()).unwrap_err();
        assert_eq!(
            err,
            LedgerError::InconsistentTotals {
                net: 10_000,
                tax: 2_000,
                gross: 12_001
            }
        );
        assert_eq!(err.code(), "ledger_totals_inconsistent");
        let mut f = facts(i64::MAX, 0, SaleKind::Goods);
        f.tax = 1;
        assert_eq!(
            post_invoice(&f, &ChartRoles::default()),
            Err(LedgerError::Overflow)
        );
    }

    #[test]
    fn zero_invoice_has_nothing_to_post() {
        let err = post_invoice(&facts(0, 0, SaleKind::Goods), &ChartRoles::default()).unwrap_err();
        assert_eq!(
            err,
            LedgerError::NothingToPost {
                event_kind: INVOICE_ISSUED,
                event_id: "inv-7".into()
            }
        );
        assert_eq!(err.code(), "ledger_nothing_to_post");
    }

    #[test]
    fn credit_note_reverses_the_sale_sides() {
        // Credit note of 50.00 net + 10.00 VAT = 60.00 on services.
        let mut f = facts(5_000, 1_000, SaleKind::Services);
        f.invoice_id = "cn-2".into();
        f.number = "AV-002".into();
        let e = post_credit_note(&f, &ChartRoles::default()).unwrap();
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            shape(&e),
            [
                ("411", Some("buyer-1"), 0, 6_000),
                ("706", None, 5_000, 0),
                ("44571", None, 1_000, 0)
            ]
        );
        assert_eq!(
            (e.journal.as_str(), e.event_kind.as_str()),
            ("VE", "credit_note.issued")
        );
        assert_eq!(
            (e.event_id.as_str(), e.piece_ref.as_str()),
            ("cn-2", "AV-002")
        );
        assert_eq!(e.label, "Avoir AV-002");
    }

    #[test]
    fn roles_from_a_replacement_chart_are_used() {
        let roles = ChartRoles {
            receivable: "411000".into(),
            sales_goods: "707100".into(),
            ..ChartRoles::default()
        };
        let e = post_invoice(&facts(1_000, 200, SaleKind::Goods), &roles).unwrap();
        let accounts: Vec<&str> = e.lines.iter().map(|l| l.account.as_str()).collect();
        assert_eq!(accounts, ["411000", "707100", "44571"]);
    }

    fn payment(amount: i64, reference: &str) -> PaymentFacts {
        PaymentFacts {
            payment_id: "pay-9".into(),
            buyer_id: "buyer-1".into(),
            received_on: march(31),
            amount,
            currency: Currency::EUR,
            reference: reference.into(),
        }
    }

    #[test]
    fn payment_debits_bank_and_credits_the_buyer() {
        // 1,500.00 received against the invoice above.
        let e = post_payment(&payment(150_000, "VIR F2025-007"), &ChartRoles::default()).unwrap();
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            shape(&e),
            [
                ("512", None, 150_000, 0),
                ("411", Some("buyer-1"), 0, 150_000)
            ]
        );
        assert_eq!(
            (e.journal.as_str(), e.event_kind.as_str()),
            ("BQ", "payment.received")
        );
        assert_eq!(
            (e.event_id.as_str(), e.piece_ref.as_str()),
            ("pay-9", "VIR F2025-007")
        );
        assert_eq!(e.date, march(31));
    }

    #[test]
    fn payment_without_reference_uses_its_id_and_refund_mirrors() {
        let e = post_payment(&payment(-2_500, " "), &ChartRoles::default()).unwrap();
        assert_eq!(e.piece_ref, "pay-9");
        assert_eq!(
            shape(&e),
            [("512", None, 0, 2_500), ("411", Some("buyer-1"), 2_500, 0)]
        );
        assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
        assert_eq!(
            post_payment(&payment(i64::MIN, "x"), &ChartRoles::default()),
            Err(LedgerError::Overflow)
        );
        assert!(matches!(
            post_payment(&payment(0, "x"), &ChartRoles::default()),
            Err(LedgerError::NothingToPost { .. })
        ));
    }

    proptest! {
        #[test]
        fn any_non_negative_invoice_posts_a_valid_entry(
            net in 0i64..1_000_000_000_000,
            tax in 0i64..1_000_000_000_000,
            services in any::<bool>(),
            credit_note in any::<bool>(),
        ) {
            prop_assume!(net + tax > 0);
            let kind = if services { SaleKind::Services } else { SaleKind::Goods };
            let f = facts(net, tax, kind);
            let roles = ChartRoles::default();
            let e = if credit_note { post_credit_note(&f, &roles) } else { post_invoice(&f, &roles) }.unwrap();
            prop_assert_eq!(e.validate(&Chart::pcg_default()), Ok(()));
            let receivable: i64 = e.lines.iter().filter(|l| l.account == "411").map(|l| l.debit - l.credit).sum();
            prop_assert_eq!(receivable, if credit_note { -(net + tax) } else { net + tax });
            prop_assert_eq!(e.lines.len(), 1 + usize::from(net > 0) + usize::from(tax > 0));
        }
    }

    #[test]
    fn a_prepaid_amount_moves_from_advances_to_the_receivable() {
        let roles = Chart::pcg_default().roles().clone();
        let facts = InvoiceFacts {
            invoice_id: "inv-1".into(),
            number: "F-9".into(),
            buyer_id: "b-1".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            net: 100_000,
            tax: 20_000,
            gross: 120_000,
            currency: Currency::from_code("EUR").unwrap(),
            kind: SaleKind::Goods,
        };
        let e = post_prepaid_applied(&facts, 30_000, &roles).unwrap();
        assert_eq!(e.event_kind, PREPAID_APPLIED);
        assert_eq!(e.lines.len(), 2);
        assert_eq!(
            (e.lines[0].account.as_str(), e.lines[0].debit),
            ("4191", 30_000)
        );
        assert_eq!(
            (e.lines[1].account.as_str(), e.lines[1].credit),
            ("411", 30_000)
        );
        assert_eq!(e.lines[1].buyer_id.as_deref(), Some("b-1"));
        assert!(post_prepaid_applied(&facts, 0, &roles).is_err());
    }
}
