//! A factor's INTEREST line and the financing charge we computed ourselves
//! when a collection reached us are the same interest: the line ties to
//! our charge instead of being posted twice; an interest line with no
//! charge of ours behind it is posted. Both backends.

use factorgate::service::factoring::{apply_funding_answer, confirm, request_funding};
use factorgate::service::payments::record_payment;
use factorgate::service::statements::import_factor_statement;
use factorgate_adapter::{Amount, FactorMovementKind, FactorStatement, FactorStatementLine};
use serde_json::json;

use crate::common::backends;
use crate::factoring::{all_on, balance, d, portfolio, setup, terms};

fn eur(minor: i64) -> Amount {
    Amount {
        minor,
        exponent: 2,
        currency: *b"EUR",
    }
}

/// One INTEREST line of `minor` on 30 April, opening 0.
fn interest_statement(id: &str, minor: i64) -> FactorStatement {
    FactorStatement {
        statement_id: id.into(),
        contract_number: "CT-1".into(),
        issued_on: d(2026, 4, 30),
        opening_balance: eur(0),
        closing_balance: eur(minor),
        lines: vec![FactorStatementLine {
            entry_reference: format!("{id}-1"),
            kind: FactorMovementKind::Interest,
            booked_on: d(2026, 4, 30),
            value_date: None,
            amount: eur(minor),
            assignment_number: None,
            invoice_number: None,
            text: "Commission de financement".into(),
        }],
    }
}

#[test]
fn an_interest_line_ties_to_our_own_financing_charge_and_is_not_posted_twice() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        let a = confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        let f = request_funding(conn, "CT-1", "10000.00", Some(d(2026, 3, 10))).unwrap();
        let answer = serde_json::from_value(json!({"reference": "FIN-9", "status": "accepted",
            "raw_status": "OK", "amount": {"minor": 1_000_000, "exponent": 2, "currency": [69, 85, 82]},
            "value_date": "2026-03-12"}))
        .unwrap();
        apply_funding_answer(conn, &db.ctx, &f.id, &answer).unwrap();
        // INSEE pays F-1 to us on 30 April: the advance is repaid and we
        // charge 10,000 x 49 days (12 March - 30 April) x (3.5 % + 1.5 %)
        // / 360 = 68.0555... -> 68.06 (661 / 467).
        let f1 = a.items.iter().find(|i| i.number == "F-1").unwrap();
        record_payment(
            conn,
            &db.ctx,
            &serde_json::from_value(json!({
                "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
                "received_on": "2026-04-30", "currency": "EUR", "amount": "12000.00",
                "allocations": [{"invoice": f1.invoice_id, "amount": "12000.00"}]}))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(balance(&db, conn, "661"), 6_806, "{}", db.name);

        // The factor's statement charges the same 68.06: tied, not posted.
        let r = import_factor_statement(conn, &db.ctx, "CT-1", &interest_statement("S-1", -6_806))
            .unwrap();
        assert_eq!(r.lines[0].action, "tied", "{}: {r:?}", db.name);
        assert_eq!(balance(&db, conn, "661"), 6_806, "{}", db.name);

        // A later 10.00 of interest with no charge of ours behind it: posted.
        let r = import_factor_statement(conn, &db.ctx, "CT-1", &interest_statement("S-2", -1_000))
            .unwrap();
        assert_eq!(r.lines[0].action, "posted", "{}: {r:?}", db.name);
        assert_eq!(balance(&db, conn, "661"), 7_806, "{}", db.name);
    }
}
