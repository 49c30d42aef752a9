use chrono::NaiveDate;

use super::*;
use crate::domain::matching::index::{MatchIndex, OpenItem};
use crate::domain::matching::rf::reference_for;
use crate::money::Currency;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Two buyers: ACME (IBAN FR76...01) with four open invoices, BETA with one.
fn book() -> MatchIndex {
    let mut ix = MatchIndex::new();
    let acme = ix.add_buyer("b-acme", "ACME Industries SAS", false);
    let beta = ix.add_buyer("b-beta", "Béta Négoce SARL", false);
    ix.add_iban("FR76 3000 1000 0100 0000 0000 001", acme);
    let mut item = |id: &str, number: &str, buyer: u32, open: i64, due: &str| {
        ix.add_item(OpenItem {
            invoice_id: id.into(),
            number: number.into(),
            buyer,
            currency: Currency::EUR,
            open,
            due_date: d(due),
        })
    };
    item("i1", "F-2026-001", acme, 120_000, "2026-01-31");
    item("i2", "F-2026-002", acme, 50_000, "2026-02-28");
    item("i3", "F-2026-003", acme, 30_000, "2026-03-31");
    item("i4", "F-2026-004", acme, 45_500, "2026-04-30");
    item("i5", "F-2026-010", beta, 99_900, "2026-02-15");
    ix.finish();
    ix
}

fn line<'a>(amount: i64, text: &'a str) -> LineFacts<'a> {
    LineFacts {
        amount,
        currency: Currency::EUR,
        remittance: text,
        structured_ref: None,
        counterparty_name: None,
        counterparty_iban: None,
    }
}

fn proposal(o: Outcome) -> Proposal {
    match o {
        Outcome::Proposal(p) => p,
        Outcome::NoMatch { explanation } => panic!("no match: {explanation}"),
    }
}

#[test]
fn rf_reference_with_equal_amount_scores_100() {
    let ix = book();
    let rf = reference_for("F-2026-001").unwrap();
    let mut l = line(120_000, "");
    l.structured_ref = Some(&rf);
    let p = proposal(match_line(&ix, &l));
    assert_eq!(p.score, 100);
    assert_eq!(p.method, Method::Reference);
    assert_eq!(p.allocations, vec![(0, 120_000)]);
    assert_eq!(p.unallocated, 0);
    assert_eq!(
        p.explanation,
        format!("{rf} check digits valid, invoice F-2026-001 open EUR 1,200.00, amount equal")
    );
}

#[test]
fn rf_reference_with_bad_check_digits_is_not_trusted() {
    let ix = book();
    let rf = reference_for("F-2026-001").unwrap();
    // Change the check digits: 00 is never valid (98 - r is 2..98).
    let bad = format!("RF00{}", &rf[4..]);
    let mut l = line(120_000, "");
    l.structured_ref = Some(&bad);
    // No other clue: no match, and the explanation says why.
    match match_line(&ix, &l) {
        Outcome::NoMatch { explanation } => {
            assert!(
                explanation.contains("check digits invalid"),
                "{explanation}"
            )
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn several_numbers_in_text_summing_exactly() {
    let ix = book();
    // 500.00 + 300.00 = 800.00 for F-2026-002 and F-2026-003.
    let p = proposal(match_line(
        &ix,
        &line(80_000, "Facture n° F 2026 002 + FACT F-2026-003"),
    ));
    assert_eq!(p.method, Method::InvoiceNumber);
    assert_eq!(p.score, 96);
    assert_eq!(p.allocations, vec![(1, 50_000), (2, 30_000)]);
}

#[test]
fn partial_payment_of_a_named_invoice() {
    let ix = book();
    // 400.00 of F-2026-001's 1,200.00: 800.00 stays open.
    let p = proposal(match_line(&ix, &line(40_000, "INV F2026001")));
    assert_eq!(p.score, 90);
    assert_eq!(p.allocations, vec![(0, 40_000)]);
    assert!(
        p.explanation
            .contains("partial payment of EUR 400.00 (EUR 800.00 stays open)"),
        "{}",
        p.explanation
    );
}

#[test]
fn overpayment_of_a_named_invoice_leaves_a_credit() {
    let ix = book();
    // 1,000.00 for F-2026-010 (999.00 open): 1.00 left as a credit; below
    // the threshold, so a person confirms it.
    let p = proposal(match_line(&ix, &line(100_000, "F-2026-010")));
    assert_eq!(p.allocations, vec![(4, 99_900)]);
    assert_eq!(p.unallocated, 100);
    assert!(p.score < crate::domain::matching::DEFAULT_THRESHOLD);
}

#[test]
fn iban_and_exact_amount() {
    let ix = book();
    let mut l = line(45_500, "virement");
    l.counterparty_iban = Some("FR7630001000010000000000001");
    let p = proposal(match_line(&ix, &l));
    assert_eq!(p.method, Method::Iban);
    assert_eq!(p.score, 92);
    assert_eq!(p.allocations, vec![(3, 45_500)]);
}

#[test]
fn iban_and_a_sum_of_invoices() {
    let ix = book();
    // 1,200.00 + 455.00 = 1,655.00: invoices 1 and 4 (no other pair or
    // single adds up to it: 500+300=800, 1200+500=1700, 1200+300=1500 ...).
    let mut l = line(165_500, "");
    l.counterparty_iban = Some("FR7630001000010000000000001");
    let p = proposal(match_line(&ix, &l));
    assert_eq!(p.score, 88);
    assert_eq!(p.allocations, vec![(0, 120_000), (3, 45_500)]);
}

#[test]
fn iban_without_exact_amount_pays_oldest_first() {
    let ix = book();
    // 1,300.00: F-2026-001 (1,200.00) in full, then 100.00 of F-2026-002.
    let mut l = line(130_000, "");
    l.counterparty_iban = Some("FR7630001000010000000000001");
    let p = proposal(match_line(&ix, &l));
    assert_eq!(p.allocations, vec![(0, 120_000), (1, 10_000)]);
    assert_eq!(p.score, 70);
}

#[test]
fn name_fuzzy_but_bounded() {
    let ix = book();
    let mut l = line(99_900, "");
    l.counterparty_name = Some("BETA NEGOCE");
    let p = proposal(match_line(&ix, &l));
    assert_eq!(p.method, Method::Name);
    // Exact name after normalisation (accents, SARL dropped): 92 - 5.
    assert_eq!(p.score, 87);
    l.counterparty_name = Some("ACME INDUSTRIES FRANCE");
    let p = proposal(match_line(&ix, &l));
    // 2 of 3 words shared with ACME INDUSTRIES; no 999.00 invoice at ACME,
    // no sum either (the amounts are 1200, 500, 300, 455): oldest first.
    assert_eq!(p.buyer, 0);
    assert_eq!(p.score, 55);
    l.counterparty_name = Some("Unknown Trading");
    assert!(matches!(match_line(&ix, &l), Outcome::NoMatch { .. }));
}
