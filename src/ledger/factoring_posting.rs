//! Postings of factoring (DOMAIN.md, "Accounting"), all in the factoring
//! journal (FA). The factor current account (467) carries what the factor
//! owes us: assigned receivables in, advances, reserve, fees, charges and
//! charge-backs out.

use chrono::NaiveDate;

use super::chart::{ChartRoles, JournalCode};
use super::entry::{EntryDraft, EntryLine};
use super::LedgerError;
use crate::money::Currency;

pub const ASSIGNMENT_CONFIRMED: &str = "factoring_assignment.confirmed";
pub const ASSIGNMENT_REJECTED: &str = "factoring_assignment.rejected";
pub const ADVANCE_RECEIVED: &str = "factoring_funding.advanced";
pub const RESERVE_RELEASED: &str = "factoring_reserve.released";
pub const RESERVE_CREDITED: &str = "factoring_reserve.credited";
pub const FINANCING_CHARGED: &str = "factoring_financing.charged";
pub const CHARGED_BACK: &str = "factoring_item.charged_back";

/// What moves when receivables go to the factor (or come back on a
/// rejection): per buyer, invoices less credit notes, and the reserve and
/// commission that go with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFacts {
    pub event_id: String,
    pub assignment_number: String,
    pub currency: Currency,
    pub on: NaiveDate,
    /// (buyer id, invoices less credit notes), any sign.
    pub per_buyer: Vec<(String, i64)>,
    pub reserve: i64,
    pub fee_net: i64,
    pub fee_vat: i64,
}

fn draft(
    kind: &str,
    event_id: &str,
    piece: &str,
    on: NaiveDate,
    label: String,
    lines: Vec<EntryLine>,
) -> EntryDraft {
    EntryDraft {
        journal: JournalCode::Factoring.code().to_string(),
        date: on,
        label,
        piece_ref: piece.to_string(),
        piece_date: on,
        event_kind: kind.to_string(),
        event_id: event_id.to_string(),
        lines,
    }
}

/// A line on `account`, debit when `debit` holds after the direction is
/// applied; zero amounts give no line, negative ones switch sides.
fn line(
    lines: &mut Vec<EntryLine>,
    debit: bool,
    account: &str,
    amount: i64,
    c: Currency,
    label: &str,
    buyer: Option<&str>,
) {
    if amount == 0 {
        return;
    }
    let (debit, amount) = if amount < 0 {
        (!debit, -amount)
    } else {
        (debit, amount)
    };
    let mut l = if debit {
        EntryLine::debit(account, amount, c, label)
    } else {
        EntryLine::credit(account, amount, c, label)
    };
    if let Some(b) = buyer {
        l = l.with_buyer(b);
    }
    lines.push(l);
}

/// Assignment confirmed: debit 467, credit 411 per buyer (gross); reserve
/// retained: debit 4678, credit 467; commission: debit 6225 (net) and
/// 44566 (VAT), credit 467. With `reverse`, the mirror (a rejection).
pub fn post_assignment(
    facts: &AssignmentFacts,
    reverse: bool,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let c = facts.currency;
    let d = !reverse;
    let (kind, label) = if reverse {
        (
            ASSIGNMENT_REJECTED,
            format!("Rejet cession {}", facts.assignment_number),
        )
    } else {
        (
            ASSIGNMENT_CONFIRMED,
            format!("Cession bordereau {}", facts.assignment_number),
        )
    };
    let mut lines = Vec::with_capacity(facts.per_buyer.len() + 6);
    let total: i64 = facts
        .per_buyer
        .iter()
        .try_fold(0i64, |acc, (_, a)| acc.checked_add(*a))
        .ok_or(LedgerError::Overflow)?;
    line(
        &mut lines,
        d,
        &roles.factor_current_account,
        total,
        c,
        &label,
        None,
    );
    for (buyer, amount) in &facts.per_buyer {
        line(
            &mut lines,
            !d,
            &roles.receivable,
            *amount,
            c,
            &label,
            Some(buyer),
        );
    }
    line(
        &mut lines,
        d,
        &roles.factor_reserve,
        facts.reserve,
        c,
        &label,
        None,
    );
    line(
        &mut lines,
        !d,
        &roles.factor_current_account,
        facts.reserve,
        c,
        &label,
        None,
    );
    line(
        &mut lines,
        d,
        &roles.factoring_fees,
        facts.fee_net,
        c,
        &label,
        None,
    );
    line(
        &mut lines,
        d,
        &roles.vat_deductible,
        facts.fee_vat,
        c,
        &label,
        None,
    );
    line(
        &mut lines,
        !d,
        &roles.factor_current_account,
        facts.fee_net + facts.fee_vat,
        c,
        &label,
        None,
    );
    if lines.len() < 2 {
        return Err(LedgerError::NothingToPost {
            event_kind: kind,
            event_id: facts.event_id.clone(),
        });
    }
    Ok(draft(
        kind,
        &facts.event_id,
        &facts.assignment_number,
        facts.on,
        label,
        lines,
    ))
}

/// What a two-line posting is about.
struct Event<'a> {
    kind: &'static str,
    event_id: &'a str,
    piece: &'a str,
    on: NaiveDate,
    amount: i64,
    currency: Currency,
}

/// A two-line entry: debit `debit` (with its buyer), credit `credit`.
fn simple(
    e: Event<'_>,
    label: String,
    (debit, debit_buyer): (&str, Option<&str>),
    credit: &str,
) -> Result<EntryDraft, LedgerError> {
    if e.amount <= 0 {
        return Err(LedgerError::NothingToPost {
            event_kind: e.kind,
            event_id: e.event_id.to_string(),
        });
    }
    let mut lines = Vec::with_capacity(2);
    line(
        &mut lines,
        true,
        debit,
        e.amount,
        e.currency,
        &label,
        debit_buyer,
    );
    line(
        &mut lines, false, credit, e.amount, e.currency, &label, None,
    );
    Ok(draft(e.kind, e.event_id, e.piece, e.on, label, lines))
}

/// Advance received [financement]: debit 512, credit 467.
pub fn post_advance(
    funding_id: &str,
    piece: &str,
    amount: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let e = Event {
        kind: ADVANCE_RECEIVED,
        event_id: funding_id,
        piece,
        on,
        amount,
        currency,
    };
    simple(
        e,
        format!("Financement factor {piece}"),
        (&roles.bank, None),
        &roles.factor_current_account,
    )
}

/// Reserve released: debit 512, credit 4678.
pub fn post_reserve_release(
    event_id: &str,
    piece: &str,
    amount: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let e = Event {
        kind: RESERVE_RELEASED,
        event_id,
        piece,
        on,
        amount,
        currency,
    };
    simple(
        e,
        format!("Libération fonds de garantie {piece}"),
        (&roles.bank, None),
        &roles.factor_reserve,
    )
}

/// Reserve released into the factor current account (a factor statement's
/// RESERVE_RELEASED line): debit 467, credit 4678.
pub fn post_reserve_credited(
    event_id: &str,
    piece: &str,
    amount: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let e = Event {
        kind: RESERVE_CREDITED,
        event_id,
        piece,
        on,
        amount,
        currency,
    };
    simple(
        e,
        format!("Fonds de garantie libéré au compte courant {piece}"),
        (&roles.factor_current_account, None),
        &roles.factor_reserve,
    )
}

/// Financing charge [commission de financement]: debit 661, credit 467.
pub fn post_financing_charge(
    event_id: &str,
    piece: &str,
    amount: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let e = Event {
        kind: FINANCING_CHARGED,
        event_id,
        piece,
        on,
        amount,
        currency,
    };
    simple(
        e,
        format!("Commission de financement {piece}"),
        (&roles.interest_expense, None),
        &roles.factor_current_account,
    )
}

/// Recourse [définancement]: the invoice comes back to the buyer's 411,
/// credit 467. `piece` is the invoice number.
pub fn post_charge_back(
    item_id: &str,
    piece: &str,
    buyer_id: &str,
    amount: i64,
    currency: Currency,
    on: NaiveDate,
    roles: &ChartRoles,
) -> Result<EntryDraft, LedgerError> {
    let e = Event {
        kind: CHARGED_BACK,
        event_id: item_id,
        piece,
        on,
        amount,
        currency,
    };
    simple(
        e,
        format!("Recours factor {piece}"),
        (&roles.receivable, Some(buyer_id)),
        &roles.factor_current_account,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Chart;

    fn facts() -> AssignmentFacts {
        AssignmentFacts {
            event_id: "a1".into(),
            assignment_number: "CT-1-000001".into(),
            currency: Currency::from_code("EUR").unwrap(),
            on: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            per_buyer: vec![("b1".into(), 1_200_000), ("b2".into(), -20_000)],
            reserve: 118_000,
            fee_net: 5_900,
            fee_vat: 1_180,
        }
    }

    fn sum(d: &EntryDraft, account: &str) -> i64 {
        d.lines
            .iter()
            .filter(|l| l.account == account)
            .map(|l| l.debit - l.credit)
            .sum()
    }

    #[test]
    fn an_assignment_moves_receivables_to_the_factor_account() {
        let chart = Chart::pcg_default();
        let d = post_assignment(&facts(), false, chart.roles()).unwrap();
        d.validate(&chart).unwrap();
        // 467: +11,800.00 assigned (12,000 - 200 credit note), - 1,180.00
        // reserve, - 70.80 commission with VAT = 10,549.20
        assert_eq!(sum(&d, "467"), 1_180_000 - 118_000 - 7_080);
        assert_eq!(sum(&d, "411"), -1_180_000);
        assert_eq!(sum(&d, "4678"), 118_000);
        assert_eq!((sum(&d, "6225"), sum(&d, "44566")), (5_900, 1_180));
        let b2: Vec<_> = d
            .lines
            .iter()
            .filter(|l| l.buyer_id.as_deref() == Some("b2"))
            .collect();
        assert_eq!((b2[0].debit, b2[0].credit), (20_000, 0));
    }

    #[test]
    fn a_rejection_mirrors_it() {
        let chart = Chart::pcg_default();
        let d = post_assignment(&facts(), true, chart.roles()).unwrap();
        d.validate(&chart).unwrap();
        assert_eq!(sum(&d, "411"), 1_180_000);
        assert_eq!(sum(&d, "467"), -(1_180_000 - 118_000 - 7_080));
        assert_eq!(d.event_kind, ASSIGNMENT_REJECTED);
    }

    #[test]
    fn money_movements_are_two_lines() {
        let chart = Chart::pcg_default();
        let r = chart.roles();
        let c = Currency::from_code("EUR").unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        let a = post_advance("f1", "CT-1", 900_000, c, on, r).unwrap();
        assert_eq!((sum(&a, "512"), sum(&a, "467")), (900_000, -900_000));
        let cb = post_charge_back("i1", "F-1", "b1", 50_000, c, on, r).unwrap();
        assert_eq!(cb.lines[0].buyer_id.as_deref(), Some("b1"));
        assert_eq!((sum(&cb, "411"), sum(&cb, "467")), (50_000, -50_000));
        assert!(post_financing_charge("x", "CT-1", 0, c, on, r).is_err());
        let rel = post_reserve_release("x", "CT-1", 10, c, on, r).unwrap();
        assert_eq!(sum(&rel, "4678"), -10);
    }
}
