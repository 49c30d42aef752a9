//! Collections on both backends: disputes and promises, late-payment
//! penalties and their invoicing, KPIs and the aged balance as of a past
//! date rebuilt from history, and risk scores. Every expected figure is
//! worked out by hand in the comments.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::domain::kpi::{KpiRow, KpiScope};
use factorgate::domain::risk::RiskClass;
use factorgate::error::ErrorCode;
use factorgate::service::collection_terms::{set_terms, TermsInput};
use factorgate::service::disputes::{
    is_disputed, list_disputes, open_dispute, resolve_dispute, DisputeFilter, DisputeInput,
    ResolveInput,
};
use factorgate::service::invoices::{get_invoice, record_invoice};
use factorgate::service::kpi::{kpi_trends, kpis, snapshot};
use factorgate::service::ledger::trial_balance_as_of;
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::service::payments::record_payment;
use factorgate::service::penalties::{invoice_penalties, penalty_of};
use factorgate::service::promises::{list_promises, record_promise, review_promises, PromiseInput};
use factorgate::service::rates::import_rates;
use factorgate::service::reports::aging;
use factorgate::service::risk::{factor_points, risk_scores};
use factorgate::store::schema::{disputes, journal_entries};
use factorgate::store::DbConnection;
use rust_decimal_macros::dec;
use serde_json::json;

use crate::common::{backends, TestDb};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Seller "Peugeot SA" and a buyer; returns (seller id, buyer id).
pub fn seller_and_buyer(conn: &mut DbConnection, buyer: &str, country: &str) -> (String, String) {
    let seller = match create_seller(
        conn,
        &factorgate::domain::party::SellerInput {
            name: "Peugeot SA".into(),
            siren: Some("552100554".into()),
            vat: None,
            iban: None,
        },
    ) {
        Ok(s) => s.id,
        Err(_) => factorgate::service::parties::list_sellers(conn).unwrap()[0]
            .id
            .clone(),
    };
    let b = create_buyer(
        conn,
        &serde_json::from_value(json!({"name": buyer, "country": country})).unwrap(),
    )
    .unwrap();
    (seller, b.id)
}

/// Records an invoice of `gross` (no VAT) and returns its id.
pub fn invoice(
    db: &TestDb,
    conn: &mut DbConnection,
    (seller, buyer): (&str, &str),
    number: &str,
    issued: &str,
    due: &str,
    gross: &str,
) -> String {
    let v = json!({"seller": seller, "buyer_id": buyer, "number": number, "currency": "EUR",
        "issue_date": issued, "due_date": due, "net": gross, "tax": "0.00", "gross": gross});
    record_invoice(conn, &db.ctx, &serde_json::from_value(v).unwrap())
        .unwrap()
        .invoice
        .id
}

pub fn pay(db: &TestDb, conn: &mut DbConnection, buyer: &str, on: &str, amount: &str) {
    let v = json!({"buyer_id": buyer, "received_on": on, "currency": "EUR", "amount": amount});
    record_payment(conn, &db.ctx, &serde_json::from_value(v).unwrap()).unwrap();
}

/// ECB main refinancing rate: 2.15 % from 11 June 2025 (in force on
/// 1 January 2026), 2.40 % from 1 March 2026 (not a reference date: the
/// first half of 2026 keeps 2.15 %).
pub fn ecb_rates(conn: &mut DbConnection) {
    import_rates(
        conn,
        "series,date,value\nECB-MRO,2025-06-11,2.15\nECB-MRO,2026-03-01,2.40\n".as_bytes(),
    )
    .unwrap();
}

fn dispute(invoice: &str, amount: &str, reason: &str) -> DisputeInput {
    DisputeInput {
        invoice: invoice.into(),
        reason: reason.into(),
        amount: amount.into(),
        owner: "alice".into(),
        notes: Some("3 pallets damaged".into()),
        opened_on: d(2026, 3, 5),
    }
}

#[test]
fn a_dispute_moves_the_invoice_out_of_allocation_and_back() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (s, b) = seller_and_buyer(conn, "Dupont SARL", "FR");
        let f1 = invoice(
            &db,
            conn,
            (&s, &b),
            "F-1",
            "2026-02-01",
            "2026-02-28",
            "1200.00",
        );

        // Bad input is refused, naming the field, and changes nothing.
        let e = open_dispute(conn, &dispute("F-1", "200.00", "mood")).unwrap_err();
        assert_eq!((e.code(), db.name), ("dispute_reason_unknown", db.name));
        let e = open_dispute(conn, &dispute("F-1", "1200.01", "quality")).unwrap_err();
        assert_eq!(e.code(), "dispute_amount_exceeds_open");
        let n: i64 = disputes::table.count().get_result(conn).unwrap();
        assert_eq!(n, 0);

        let opened = open_dispute(conn, &dispute("F-1", "200.00", "quality")).unwrap();
        assert_eq!(opened.state, "open");
        assert_eq!(opened.amount.minor(), 20_000);
        assert_eq!(get_invoice(conn, &f1).unwrap().state.as_str(), "disputed");
        assert!(is_disputed(conn, &f1).unwrap());
        let e = open_dispute(conn, &dispute("F-1", "10.00", "price")).unwrap_err();
        assert_eq!(e.code(), "dispute_already_open");

        // A payment does not settle a disputed invoice: 1,200 stays unallocated.
        let v = json!({"buyer_id": b, "received_on": "2026-03-06", "currency": "EUR", "amount": "1200.00"});
        let p = record_payment(conn, &db.ctx, &serde_json::from_value(v).unwrap()).unwrap();
        assert_eq!(p.unallocated.minor(), 120_000);

        // Resolving by credit note needs one; rejecting returns it to open.
        let e = resolve_dispute(
            conn,
            &opened.id,
            &ResolveInput {
                resolution: "credit_note".into(),
                resolved_on: d(2026, 3, 10),
                notes: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "dispute_credit_note_missing");
        let done = resolve_dispute(
            conn,
            &opened.id,
            &ResolveInput {
                resolution: "rejected".into(),
                resolved_on: d(2026, 3, 10),
                notes: Some("goods were fine".into()),
            },
        )
        .unwrap();
        assert_eq!(done.state, "resolved");
        assert_eq!(get_invoice(conn, &f1).unwrap().state.as_str(), "open");
        assert!(!is_disputed(conn, &f1).unwrap());
        let e = resolve_dispute(
            conn,
            &opened.id,
            &ResolveInput {
                resolution: "paid".into(),
                resolved_on: d(2026, 3, 11),
                notes: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "dispute_already_resolved");
        let history = list_disputes(
            conn,
            &DisputeFilter {
                invoice: Some("F-1".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].resolution.as_deref(), Some("rejected"));
    }
}

#[test]
fn a_promise_is_pending_until_its_date_then_kept_or_broken() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (s, b) = seller_and_buyer(conn, "Dupont SARL", "FR");
        invoice(
            &db,
            conn,
            (&s, &b),
            "F-1",
            "2026-02-01",
            "2026-02-28",
            "1000.00",
        );
        invoice(
            &db,
            conn,
            (&s, &b),
            "F-2",
            "2026-02-02",
            "2026-03-01",
            "1000.00",
        );
        let promise = |invoice: &str, amount: &str| PromiseInput {
            invoice: invoice.into(),
            amount: amount.into(),
            promised_on: d(2026, 3, 10),
            recorded_on: d(2026, 3, 2),
            notes: None,
        };
        let e = record_promise(conn, &promise("F-1", "1000.01")).unwrap_err();
        assert_eq!(e.code(), "promise_amount_exceeds_open");
        record_promise(conn, &promise("F-1", "500.00")).unwrap();
        record_promise(conn, &promise("F-2", "1000.00")).unwrap();
        let e = record_promise(conn, &promise("F-1", "100.00")).unwrap_err();
        assert_eq!(e.code(), "promise_already_pending");
        // 1,300 paid on 5 March, oldest due first: F-1 gets 1,000 (promise
        // of 500 kept), F-2 gets 300 (short of its 1,000: broken after 10 March).
        pay(&db, conn, &b, "2026-03-05", "1300.00");
        let r = review_promises(conn, d(2026, 3, 10)).unwrap();
        assert_eq!((r.kept, r.broken, r.pending), (1, 0, 1));
        let r = review_promises(conn, d(2026, 3, 11)).unwrap();
        assert_eq!((r.kept, r.broken, r.pending), (0, 1, 0));
        let broken = list_promises(conn, Some("F-2"), None).unwrap();
        assert_eq!(broken[0].state, "broken");
        assert_eq!(broken[0].settled_on, Some(d(2026, 3, 11)));
        let kept = list_promises(conn, None, Some("kept")).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].invoice_number, "F-1");
        assert_eq!(kept[0].settled_on, Some(d(2026, 3, 5)));
    }
}

fn balance(conn: &mut DbConnection, db: &TestDb, account: &str) -> i64 {
    trial_balance_as_of(conn, &db.ctx, None)
        .unwrap()
        .rows
        .iter()
        .filter(|r| r.account == account)
        .map(|r| r.balance)
        .sum()
}

#[test]
fn penalties_are_computed_then_invoiced_once_per_period() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (s, b) = seller_and_buyer(conn, "Dupont SARL", "FR");
        invoice(
            &db,
            conn,
            (&s, &b),
            "F-1",
            "2026-01-01",
            "2026-01-31",
            "10000.00",
        );

        // No ECB rate yet: a clear error.
        let e = penalty_of(conn, "F-1", d(2026, 3, 2)).unwrap_err();
        assert_eq!(e.code(), "rate_missing");
        ecb_rates(conn);

        // 2 March: 30 days late (1 Feb..2 Mar). Rate of 1 January: 2.15 + 10
        // = 12.15 %. 10,000 x 12.15 % x 30 / 365 = 99.863 -> 99.86; EUR 40.
        let p = penalty_of(conn, "F-1", d(2026, 3, 2)).unwrap();
        assert_eq!(p.days_late, 30);
        assert_eq!(p.interest.minor(), 9_986);
        assert_eq!(p.indemnity.minor(), 4_000);

        let charge = invoice_penalties(conn, &db.ctx, "F-1", d(2026, 3, 2)).unwrap();
        assert_eq!(charge.penalty_invoice_number, "PEN-F-1-20260302");
        assert_eq!(charge.period_from, d(2026, 2, 1));
        assert_eq!(
            (charge.interest.minor(), charge.indemnity.minor()),
            (9_986, 4_000)
        );
        assert_eq!(balance(conn, &db, "7631"), -9_986);
        assert_eq!(balance(conn, &db, "7588"), -4_000);
        // 411: 10,000.00 + 139.86.
        assert_eq!(balance(conn, &db, "411"), 1_013_986);
        let pen = get_invoice(conn, &charge.penalty_invoice_id).unwrap();
        assert_eq!(pen.gross.minor(), 13_986);

        // Again for the same date: the first charge, nothing new.
        let entries: i64 = journal_entries::table.count().get_result(conn).unwrap();
        let again = invoice_penalties(conn, &db.ctx, "F-1", d(2026, 3, 2)).unwrap();
        assert!(again.already_charged);
        assert_eq!(again.id, charge.id);
        let after: i64 = journal_entries::table.count().get_result(conn).unwrap();
        assert_eq!(after, entries);
        let e = invoice_penalties(conn, &db.ctx, "F-1", d(2026, 3, 1)).unwrap_err();
        assert_eq!(e.code(), "penalty_period_already_charged");

        // 12 March: the 10 days after 2 March only, no second indemnity:
        // 10,000 x 12.15 % x 10 / 365 = 33.287 -> 33.29.
        let next = invoice_penalties(conn, &db.ctx, "F-1", d(2026, 3, 12)).unwrap();
        assert_eq!(next.period_from, d(2026, 3, 3));
        assert_eq!((next.interest.minor(), next.indemnity.minor()), (3_329, 0));
        assert!(trial_balance_as_of(conn, &db.ctx, None)
            .unwrap()
            .is_balanced());

        // A contract rate replaces the legal one: 7.3 % x 10,000 x 30 / 365 = 60.00.
        set_terms(
            conn,
            &b,
            &TermsInput {
                penalty_rate: Some("7.3".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let p = penalty_of(conn, "F-1", d(2026, 3, 2)).unwrap();
        assert_eq!(p.interest.minor(), 6_000);
        let e = set_terms(
            conn,
            &b,
            &TermsInput {
                penalty_rate: Some("lots".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "penalty_rate_invalid");
    }
}

fn row<'a>(rows: &'a [KpiRow], scope: &KpiScope) -> &'a KpiRow {
    rows.iter().find(|r| &r.scope == scope).unwrap()
}

/// The portfolio of the KPI and risk tests:
/// - I1 (B1) issued 10 Jan, due 9 Feb, 1,000; paid 20 Feb (11 days late);
/// - I2 (B1) issued 15 Feb, due 17 Mar, 2,000; 500 paid 20 Mar;
/// - I3 (B2) issued 5 Mar, due 4 Apr, 3,000; disputed (400) 25 Mar to
///   5 Apr, then paid in full 10 Apr (6 days late).
fn kpi_portfolio(db: &TestDb, conn: &mut DbConnection) -> (String, String, String) {
    let (s, b1) = seller_and_buyer(conn, "Dupont SARL", "FR");
    let (_, b2) = seller_and_buyer(conn, "Muller GmbH", "DE");
    invoice(
        db,
        conn,
        (&s, &b1),
        "I1",
        "2026-01-10",
        "2026-02-09",
        "1000.00",
    );
    invoice(
        db,
        conn,
        (&s, &b1),
        "I2",
        "2026-02-15",
        "2026-03-17",
        "2000.00",
    );
    invoice(
        db,
        conn,
        (&s, &b2),
        "I3",
        "2026-03-05",
        "2026-04-04",
        "3000.00",
    );
    pay(db, conn, &b1, "2026-02-20", "1000.00");
    pay(db, conn, &b1, "2026-03-20", "500.00");
    let mut dsp = dispute("I3", "400.00", "quantity");
    dsp.opened_on = d(2026, 3, 25);
    let id = open_dispute(conn, &dsp).unwrap().id;
    resolve_dispute(
        conn,
        &id,
        &ResolveInput {
            resolution: "rejected".into(),
            resolved_on: d(2026, 4, 5),
            notes: None,
        },
    )
    .unwrap();
    pay(db, conn, &b2, "2026-04-10", "3000.00");
    (s, b1, b2)
}

#[test]
fn kpis_as_of_a_past_date_are_rebuilt_from_history() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (s, b1, b2) = kpi_portfolio(&db, conn);
        // Everything above is recorded; now ask as of 31 March over March
        // (31 days). On that date I3's payment (10 Apr) and the dispute's
        // end (5 Apr) had not happened.
        let r = kpis(conn, d(2026, 3, 31), Some(d(2026, 3, 1)), true, None).unwrap();
        assert_eq!(r.invoices, 3, "{}", db.name);
        let t = row(&r.rows, &KpiScope::Total);
        // Open: I1 0, I2 2,000 - 500 = 1,500 (due 17 Mar: overdue), I3 3,000 (current).
        assert_eq!(t.outstanding.minor(), 450_000);
        assert_eq!(t.overdue.minor(), 150_000);
        // 1,500 / 4,500 = 33.33 %.
        assert_eq!(t.overdue_rate, Some(dec!(33.33)));
        assert_eq!(t.disputed.minor(), 40_000);
        // Opening on 1 March: I1 settled in Feb (0), I2 2,000. Sales: I3.
        assert_eq!(t.opening.minor(), 200_000);
        assert_eq!(t.sales.minor(), 300_000);
        // Collected in March: 500; rate 500 / (2,000 + 3,000) = 10 %.
        assert_eq!(t.collected.minor(), 50_000);
        assert_eq!(t.collection_rate, Some(dec!(10)));
        // Simple DSO: 4,500 / 3,000 x 31 = 46.5.
        assert_eq!(t.dso_simple, Some(dec!(46.5)));
        // Count-back: March sales 3,000 (31 days) leave 1,500; February
        // sales 2,000: 1,500 / 2,000 x 28 = 21. DSO 52.
        assert_eq!(t.dso_count_back, dec!(52));
        // CEI: (5,000 - 4,500) / (5,000 - 3,000 current) = 25 %.
        assert_eq!(t.cei, Some(dec!(25)));
        // No invoice was paid in full in March.
        assert_eq!(t.average_days_late, None);
        let r1 = row(&r.rows, &KpiScope::Buyer(b1.clone()));
        // B1: 1,500 open, all overdue; 500 / 2,000 = 25 % collected.
        assert_eq!(r1.overdue_rate, Some(dec!(100)));
        assert_eq!(r1.collection_rate, Some(dec!(25)));
        assert_eq!(r1.dso_simple, None);
        assert_eq!(
            row(&r.rows, &KpiScope::Seller(s.clone()))
                .outstanding
                .minor(),
            450_000
        );

        // The aged balance of that date, too: B2 owes 3,000 not yet due.
        let aged = aging(conn, &db.ctx.aging, d(2026, 3, 31), Some(&b2)).unwrap();
        assert_eq!(aged.rows[0].buckets[0], 300_000);
        assert_eq!(aged.rows[0].total, 300_000);
        // Both from one pass: the same KPIs, and the aged balance of every
        // buyer. B1's 1,500 of I2 (due 17 Mar) is 14 days late on 31 Mar:
        // bucket 1-30; B2's 3,000 is not due.
        let both = snapshot(
            conn,
            d(2026, 3, 31),
            Some(d(2026, 3, 1)),
            true,
            None,
            Some(&db.ctx.aging),
        )
        .unwrap();
        assert_eq!(both.rows, r.rows, "{}", db.name);
        let aged = both.aging.expect("asked for");
        assert_eq!(aged.totals.len(), 1);
        assert_eq!(aged.totals[0].buckets, vec![300_000, 150_000, 0, 0, 0]);
        let b1_row = aged
            .rows
            .iter()
            .find(|r| r.buyer_id.as_deref() == Some(b1.as_str()))
            .unwrap();
        assert_eq!(b1_row.buckets, vec![0, 150_000, 0, 0, 0]);
        assert!(kpis(conn, d(2026, 3, 31), None, false, None)
            .unwrap()
            .aging
            .is_none());

        // As of 30 April over April: I3 paid 10 Apr, 6 days late; I2 alone open.
        let r = kpis(conn, d(2026, 4, 30), Some(d(2026, 4, 1)), true, None).unwrap();
        let t = row(&r.rows, &KpiScope::Total);
        assert_eq!(t.outstanding.minor(), 150_000);
        assert_eq!(t.disputed.minor(), 0);
        assert_eq!(t.average_days_late, Some(dec!(6)));
        assert_eq!(t.paid_invoices, 1);
        let r2 = row(&r.rows, &KpiScope::Buyer(b2.clone()));
        assert_eq!(r2.collected.minor(), 300_000);

        // Before any invoice: nothing at all.
        let r = kpis(conn, d(2026, 1, 5), None, true, None).unwrap();
        assert_eq!(r.invoices, 0);
        assert!(r.rows.is_empty());

        // Trends: January, February, March; February as of 28 Feb: I1 paid,
        // I2 open 2,000 (not due): outstanding 2,000.
        let trend = kpi_trends(conn, d(2026, 1, 1), d(2026, 3, 31)).unwrap();
        assert_eq!(trend.len(), 3);
        assert_eq!(trend[1].as_of, d(2026, 2, 28));
        assert_eq!(
            row(&trend[1].rows, &KpiScope::Total).outstanding.minor(),
            200_000
        );
        assert_eq!(
            row(&trend[2].rows, &KpiScope::Total).outstanding.minor(),
            450_000
        );
        let e = kpis(conn, d(2026, 1, 5), Some(d(2026, 2, 1)), false, None).unwrap_err();
        assert_eq!(e.code(), "period_invalid");
    }
}

#[test]
fn risk_scores_explain_each_factor() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (_, b1, b2) = kpi_portfolio(&db, conn);
        set_terms(
            conn,
            &b2,
            &TermsInput {
                insurer_grade: Some(7),
                ..Default::default()
            },
        )
        .unwrap();
        let all = risk_scores(conn, d(2026, 4, 30), None).unwrap();
        assert_eq!(all.len(), 2);
        let r1 = all.iter().find(|r| r.buyer_id == b1).unwrap();
        // B1 over the year to 30 April: I1 paid 11 days late -> 11/60 x 30
        // = 5.5; overdue 1,500 of 1,500 -> 25; no dispute, no broken
        // promise, no grade. 30.5: class B, 45 days, plan "standard".
        assert_eq!(factor_points(&r1.score, "days_late"), Some(dec!(5.5)));
        assert_eq!(factor_points(&r1.score, "overdue_rate"), Some(dec!(25)));
        assert_eq!(r1.score.score, dec!(30.5));
        assert_eq!(r1.score.class, RiskClass::B);
        assert_eq!(r1.score.recommended_term_days, 45);
        assert_eq!(r1.dunning_plan.as_deref(), Some("standard"));
        let r2 = all.iter().find(|r| r.buyer_id == b2).unwrap();
        // B2: 6 days late -> 3; nothing outstanding -> 0; one dispute -> 5;
        // grade 7 -> 6/9 x 10 = 6.67. 14.67: class A, 60 days.
        assert_eq!(factor_points(&r2.score, "days_late"), Some(dec!(3)));
        assert_eq!(factor_points(&r2.score, "disputes"), Some(dec!(5)));
        assert_eq!(factor_points(&r2.score, "insurer_grade"), Some(dec!(6.67)));
        assert_eq!(r2.score.score, dec!(14.67));
        assert_eq!(r2.score.class, RiskClass::A);
        assert_eq!(r2.dunning_plan.as_deref(), Some("light"));
        let e = risk_scores(conn, d(2026, 4, 30), Some("nobody")).unwrap_err();
        assert_eq!(e.code(), "buyer_not_found");
    }
}
