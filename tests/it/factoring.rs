//! Factoring on both backends: contracts, debtor approvals, a proposal and
//! its confirmation with postings, funding, a collection that reaches us,
//! the reserve, recourse, rejections, and the ledger invariants of an
//! assigned portfolio. Figures are worked out by hand in the comments.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::error::ErrorCode;
use factorgate::service::factoring::approvals::{list_approvals, ApprovalInput};
use factorgate::service::factoring::{
    apply_funding_answer, charge_back, confirm, create_contract, get_contract, position, propose,
    record_approval, recourse_due, reject, release_reserve, request_funding, ContractInput,
    Selection, TermsInput,
};
use factorgate::service::invoices::record_invoice;
use factorgate::service::ledger::{buyer_receivable_balance, trial_balance_as_of};
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::service::payments::record_payment;
use factorgate::service::rates::import_rates;
use factorgate::store::schema::{
    factoring_assignment_items, factoring_assignments, factoring_fundings, journal_entries,
};
use factorgate::store::DbConnection;
use serde_json::json;

use crate::common::{backends, TestDb};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// With recourse (60 days), confidential, spot; 90 % advance, 10 %
/// reserve, 0.5 % commission + 20 % VAT, EURIBOR 3M + 1.5 %; invoices at
/// most 90 days old with terms of at most 60 days; no buyer in Russia.
pub fn terms(from: NaiveDate) -> TermsInput {
    serde_json::from_value(json!({
        "effective_from": from, "recourse": "with_recourse", "notification": "confidential",
        "scope": "spot", "advance_rate": "0.90", "reserve_rate": "0.10", "fee_rate": "0.005",
        "fee_vat_rate": "0.20", "reference_series": "EURIBOR3M", "margin": "0.015",
        "recourse_days": 60, "max_invoice_age_days": 90, "max_term_days": 60,
        "excluded_countries": ["RU"], "factor_name": "BNP Paribas Factor"
    }))
    .unwrap()
}

/// Seller Peugeot, buyers INSEE (A) and EDF (B), EURIBOR 3M at 3.5 % from
/// 1 January 2026, and contract CT-1 with `t`.
pub fn setup(conn: &mut DbConnection, t: TermsInput) {
    create_seller(
        conn,
        &serde_json::from_value(json!({"name": "Peugeot SA", "siren": "552100554"})).unwrap(),
    )
    .unwrap();
    for (name, siren) in [("INSEE", "732829320"), ("EDF", "552081317")] {
        create_buyer(
            conn,
            &serde_json::from_value(json!({"name": name, "country": "FR",
                "legal_ids": [{"scheme": "siren", "value": siren}]}))
            .unwrap(),
        )
        .unwrap();
    }
    import_rates(
        conn,
        "series,date,value\nEURIBOR3M,2026-01-01,0.035\n".as_bytes(),
    )
    .unwrap();
    create_contract(
        conn,
        &ContractInput {
            factor: "BNP Paribas Factor".into(),
            number: "CT-1".into(),
            seller: "552100554".into(),
            currency: "EUR".into(),
            terms: t,
        },
    )
    .unwrap();
}

/// Records an invoice of buyer `siren`; returns its id.
pub fn invoice(
    db: &TestDb,
    conn: &mut DbConnection,
    siren: &str,
    number: &str,
    issue: &str,
    due: &str,
    [net, tax, gross]: [&str; 3],
) -> String {
    record_invoice(
        conn,
        &db.ctx,
        &serde_json::from_value(json!({
            "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": siren},
            "currency": "EUR", "number": number, "issue_date": issue, "due_date": due,
            "net": net, "tax": tax, "gross": gross
        }))
        .unwrap(),
    )
    .unwrap()
    .invoice
    .id
}

/// F-1 (A, 12,000.00 due 30 April), F-2 (A, 6,000.00 due 4 May), F-3 (B,
/// 2,400.00 due 30 April); A approved for 15,000.00 from 1 February.
pub fn portfolio(db: &TestDb, conn: &mut DbConnection) {
    invoice(
        db,
        conn,
        "732829320",
        "F-1",
        "2026-03-01",
        "2026-04-30",
        ["10000.00", "2000.00", "12000.00"],
    );
    invoice(
        db,
        conn,
        "732829320",
        "F-2",
        "2026-03-05",
        "2026-05-04",
        ["5000.00", "1000.00", "6000.00"],
    );
    invoice(
        db,
        conn,
        "552081317",
        "F-3",
        "2026-03-02",
        "2026-04-30",
        ["2000.00", "400.00", "2400.00"],
    );
    approve(conn, "732829320", "approved", "15000.00", d(2026, 2, 1));
}

pub fn approve(conn: &mut DbConnection, buyer: &str, kind: &str, amount: &str, on: NaiveDate) {
    record_approval(
        conn,
        &serde_json::from_value::<ApprovalInput>(json!({
            "contract": "CT-1", "buyer": buyer, "kind": kind, "amount": amount, "decided_on": on
        }))
        .unwrap(),
    )
    .unwrap();
}

pub fn all_on(on: NaiveDate) -> Selection {
    Selection {
        contract: "CT-1".into(),
        assigned_on: Some(on),
        ..Selection::default()
    }
}

pub fn named(on: NaiveDate, invoices: &[&str]) -> Selection {
    Selection {
        contract: "CT-1".into(),
        assigned_on: Some(on),
        invoices: Some(invoices.iter().map(|s| s.to_string()).collect()),
        ..Selection::default()
    }
}

pub fn balance(db: &TestDb, conn: &mut DbConnection, account: &str) -> i64 {
    trial_balance_as_of(conn, &db.ctx, None)
        .unwrap()
        .rows
        .iter()
        .filter(|r| r.account == account)
        .map(|r| r.balance)
        .sum()
}

pub fn receivable_of(db: &TestDb, conn: &mut DbConnection, siren: &str) -> i64 {
    let id = factorgate::service::parties::resolve_buyer_id(conn, siren).unwrap();
    buyer_receivable_balance(conn, &db.ctx, &id)
        .unwrap()
        .iter()
        .map(|(_, b)| b)
        .sum()
}

/// The factoring invariant: a buyer's 411 balance is the open amount of
/// its invoices that are not under an active assignment.
pub fn open_not_assigned(conn: &mut DbConnection, siren: &str) -> i64 {
    use factorgate::store::schema::invoices;
    let id = factorgate::service::parties::resolve_buyer_id(conn, siren).unwrap();
    let active: Vec<String> = factoring_assignment_items::table
        .filter(factoring_assignment_items::active.eq(1))
        .select(factoring_assignment_items::invoice_id)
        .load(conn)
        .unwrap();
    invoices::table
        .filter(invoices::buyer_id.eq(id))
        .select((invoices::id, invoices::open_minor))
        .load::<(String, i64)>(conn)
        .unwrap()
        .into_iter()
        .filter(|(i, _)| !active.contains(i))
        .map(|(_, o)| o)
        .sum()
}

pub fn count_rows(conn: &mut DbConnection) -> (i64, i64, i64, i64) {
    (
        factoring_assignments::table
            .count()
            .get_result(conn)
            .unwrap(),
        factoring_assignment_items::table
            .count()
            .get_result(conn)
            .unwrap(),
        factoring_fundings::table.count().get_result(conn).unwrap(),
        journal_entries::table.count().get_result(conn).unwrap(),
    )
}

#[test]
fn contracts_are_versioned_and_bad_terms_are_refused_whole() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        let mut later = terms(d(2026, 7, 1));
        later.advance_rate = "0.85".into();
        let c = factorgate::service::factoring::add_version(conn, "CT-1", &later).unwrap();
        assert_eq!(c.versions.len(), 2, "{}", db.name);
        assert_eq!(
            c.terms_at(d(2026, 6, 30)).unwrap().advance_rate.to_string(),
            "0.9"
        );
        assert_eq!(
            c.terms_at(d(2026, 7, 1)).unwrap().advance_rate.to_string(),
            "0.85"
        );
        let again = factorgate::service::factoring::add_version(conn, "CT-1", &later).unwrap_err();
        assert_eq!(again.code(), "contract_version_exists");
        let mut bad = terms(d(2026, 1, 1));
        bad.reserve_rate = "1.5".into();
        let input = ContractInput {
            factor: "Eurofactor".into(),
            number: "CT-2".into(),
            seller: "552100554".into(),
            currency: "EUR".into(),
            terms: bad,
        };
        let err = create_contract(conn, &input).unwrap_err();
        assert_eq!(err.code(), "rate_invalid");
        assert!(err.to_string().contains("reserve_rate"), "{err}");
        assert_eq!(
            get_contract(conn, "CT-2").unwrap_err().code(),
            "contract_not_found"
        );
        let dup = ContractInput {
            number: "CT-1".into(),
            terms: terms(d(2026, 1, 1)),
            ..input
        };
        assert_eq!(
            create_contract(conn, &dup).unwrap_err().code(),
            "contract_exists"
        );
    }
}

#[test]
fn a_reduced_approval_waits_for_its_notice_period() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        approve(conn, "732829320", "approved", "10000.00", d(2026, 2, 1));
        approve(conn, "732829320", "reduced", "4000.00", d(2026, 3, 1));
        // 30 days' notice: 10,000 until 30 March, 4,000 from 31 March.
        let before = list_approvals(conn, "CT-1", None, d(2026, 3, 30)).unwrap();
        assert_eq!(
            before[0].in_force.unwrap().minor(),
            1_000_000,
            "{}",
            db.name
        );
        assert_eq!(before[0].lowering_from, Some(d(2026, 3, 31)));
        assert_eq!(before[0].decisions.len(), 2);
        let after = list_approvals(conn, "CT-1", Some("732829320"), d(2026, 3, 31)).unwrap();
        assert_eq!(after[0].in_force.unwrap().minor(), 400_000);
        let err = record_approval(
            conn,
            &serde_json::from_value::<ApprovalInput>(json!({
                "contract": "CT-1", "buyer": "732829320", "kind": "approved", "decided_on": "2026-03-01"
            }))
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "field_required");
    }
}

#[test]
fn a_proposal_lists_every_invoice_with_its_reasons_and_the_money_expected() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        // Not eligible: issued 1 December (99 days before 10 March), and
        // a 75-day term.
        invoice(
            &db,
            conn,
            "552081317",
            "F-OLD",
            "2025-12-01",
            "2026-01-30",
            ["100.00", "20.00", "120.00"],
        );
        invoice(
            &db,
            conn,
            "552081317",
            "F-LONG",
            "2026-03-01",
            "2026-05-15",
            ["100.00", "20.00", "120.00"],
        );
        let before = count_rows(conn);
        let p = propose(conn, &all_on(d(2026, 3, 10))).unwrap();
        let reasons = |n: &str| {
            p.items
                .iter()
                .find(|i| i.number == n)
                .unwrap()
                .reasons
                .clone()
        };
        assert_eq!(reasons("F-OLD"), vec!["too_old"], "{}", db.name);
        assert_eq!(reasons("F-LONG"), vec!["term_too_long"]);
        assert!(reasons("F-1").is_empty());
        // A: F-1 12,000 approved; F-2 3,000 of 6,000 (15,000 - 12,000 left).
        // B: no approval, 2,400 non-approved.
        let f2 = p.items.iter().find(|i| i.number == "F-2").unwrap();
        assert_eq!(
            (f2.approved.minor(), f2.non_approved.minor()),
            (300_000, 300_000)
        );
        assert_eq!(p.assigned.minor(), 2_040_000);
        assert_eq!(p.approved.minor(), 1_500_000);
        assert_eq!(p.non_approved.minor(), 540_000);
        // 90 % x 15,000 = 13,500; 10 % x 20,400 = 2,040; 0.5 % x 20,400 =
        // 102.00 + 20 % VAT = 20.40.
        assert_eq!(p.advance.minor(), 1_350_000);
        assert_eq!(p.reserve.minor(), 204_000);
        assert_eq!((p.fee.minor(), p.fee_vat.minor()), (10_200, 2_040));
        // (3.5 % + 1.5 %) x 90 % = 4.5 % on 12,000 x 51 days (10 March to
        // 30 April) + 3,000 x 55 days (to 4 May) = 777,000; x 4.5 % / 360
        // = 97.125 -> 97.13.
        assert_eq!(p.financing_charge.unwrap().minor(), 9_713);
        let b = p.buyers.iter().find(|b| b.approval.is_some()).unwrap();
        assert_eq!(
            (b.assigned.minor(), b.approval_left.minor()),
            (1_800_000, 0)
        );
        assert_eq!(count_rows(conn), before, "a proposal writes nothing");
    }
}

#[test]
fn confirmation_funding_collection_reserve_and_recourse_keep_the_books_in_step() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        let a = confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        assert_eq!(a.number, "CT-1-000001", "{}", db.name);
        assert_eq!((a.state.as_str(), a.items.len()), ("draft", 3));
        // 467: 20,400 - 2,040 reserve - 122.40 commission = 18,237.60.
        assert_eq!(balance(&db, conn, "467"), 1_823_760);
        assert_eq!(balance(&db, conn, "4678"), 204_000);
        assert_eq!(
            (balance(&db, conn, "6225"), balance(&db, conn, "44566")),
            (10_200, 2_040)
        );
        for siren in ["732829320", "552081317"] {
            assert_eq!(receivable_of(&db, conn, siren), 0);
            assert_eq!(open_not_assigned(conn, siren), 0);
        }
        let p = position(conn, "CT-1", Some(d(2026, 3, 10))).unwrap();
        assert_eq!(
            (p.assigned.minor(), p.approved.minor()),
            (2_040_000, 1_500_000)
        );
        assert_eq!(p.balance.minor(), 1_823_760);
        assert_eq!(p.available.minor(), 1_350_000, "min(13,500 - 0, 18,237.60)");

        // More than available: refused, nothing written.
        let before = count_rows(conn);
        let err = request_funding(conn, "CT-1", "13500.01", Some(d(2026, 3, 10))).unwrap_err();
        assert_eq!(err.code(), "funding_exceeds_available");
        assert_eq!(count_rows(conn), before);
        let f = request_funding(conn, "CT-1", "10000.00", Some(d(2026, 3, 10))).unwrap();
        assert_eq!(f.state, "requested");
        assert_eq!(
            position(conn, "CT-1", Some(d(2026, 3, 10)))
                .unwrap()
                .available
                .minor(),
            350_000
        );
        let answer = serde_json::from_value(json!({"reference": "FIN-9", "status": "accepted",
            "raw_status": "OK", "amount": {"minor": 1_000_000, "exponent": 2, "currency": [69, 85, 82]},
            "value_date": "2026-03-12"}))
        .unwrap();
        let f = apply_funding_answer(conn, &db.ctx, &f.id, &answer).unwrap();
        assert_eq!(
            (f.state.as_str(), f.value_date),
            ("accepted", Some(d(2026, 3, 12)))
        );
        assert_eq!(balance(&db, conn, "512"), 1_000_000);
        // Applying it again changes nothing.
        apply_funding_answer(conn, &db.ctx, &f.id, &answer).unwrap();
        assert_eq!(balance(&db, conn, "512"), 1_000_000);
        let p = position(conn, "CT-1", Some(d(2026, 3, 12))).unwrap();
        assert_eq!(
            (p.advanced.minor(), p.financed.minor()),
            (1_000_000, 1_000_000)
        );
        assert_eq!(p.available.minor(), 350_000, "13,500 - 10,000");

        // INSEE pays F-1 to us (confidential): 512 / 467, never 411.
        let f1 = a
            .items
            .iter()
            .find(|i| i.number == "F-1")
            .unwrap()
            .invoice_id
            .clone();
        record_payment(
            conn,
            &db.ctx,
            &serde_json::from_value(
                json!({"buyer_legal_id": {"scheme": "siren", "value": "732829320"},
                "received_on": "2026-04-30", "currency": "EUR", "amount": "12000.00",
                "allocations": [{"invoice": f1, "amount": "12000.00"}]}),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(receivable_of(&db, conn, "732829320"), 0);
        assert_eq!(open_not_assigned(conn, "732829320"), 0);
        // The approved 12,000 repays 90 % = 10,800, capped at the 10,000
        // financed; 10,000 x 49 days (12 March - 30 April) x 5 % / 360 =
        // 68.0555... -> 68.06.
        assert_eq!(balance(&db, conn, "661"), 6_806);
        let p = position(conn, "CT-1", Some(d(2026, 4, 30))).unwrap();
        assert_eq!(
            (p.assigned.minor(), p.approved.minor(), p.financed.minor()),
            (840_000, 300_000, 0)
        );
        assert_eq!(
            (p.collected.minor(), p.financing_charges.minor()),
            (1_200_000, 6_806)
        );
        // 18,237.60 - 10,000 - 12,000 - 68.06: we hold the factor's money.
        assert_eq!(p.balance.minor(), -383_046);
        assert_eq!(balance(&db, conn, "467"), p.balance.minor());
        assert_eq!(p.available.minor(), 0);
        // Required 10 % x 8,400 = 840: 1,200 of the 2,040 may be released.
        assert_eq!(p.reserve_releasable.minor(), 120_000);
        let err = release_reserve(conn, &db.ctx, "CT-1", "1200.01", d(2026, 4, 30)).unwrap_err();
        assert_eq!(err.code(), "reserve_release_exceeds_releasable");
        let p = release_reserve(conn, &db.ctx, "CT-1", "1200.00", d(2026, 4, 30)).unwrap();
        assert_eq!(
            (p.reserve.minor(), balance(&db, conn, "4678")),
            (84_000, 84_000)
        );

        // Recourse: F-3 due 30 April + 60 days is listed from 30 June.
        assert!(recourse_due(conn, "CT-1", d(2026, 6, 29))
            .unwrap()
            .is_empty());
        let due = recourse_due(conn, "CT-1", d(2026, 6, 30)).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].invoice_number.as_str(), due[0].recourse_from),
            ("F-3", d(2026, 6, 30))
        );
        let err =
            charge_back(conn, &db.ctx, "CT-1-999999", "F-3", 240_000, d(2026, 6, 30)).unwrap_err();
        assert_eq!(err.code(), "assignment_not_found");
        let err =
            charge_back(conn, &db.ctx, "CT-1-000001", "F-3", 200_000, d(2026, 6, 30)).unwrap_err();
        assert_eq!(err.code(), "charge_back_amount_mismatch");
        charge_back(conn, &db.ctx, "CT-1-000001", "F-3", 240_000, d(2026, 6, 30)).unwrap();
        assert_eq!(receivable_of(&db, conn, "552081317"), 240_000);
        assert_eq!(open_not_assigned(conn, "552081317"), 240_000);
        let err =
            charge_back(conn, &db.ctx, "CT-1-000001", "F-3", 240_000, d(2026, 6, 30)).unwrap_err();
        assert_eq!(err.code(), "item_not_active");
        let p = position(conn, "CT-1", Some(d(2026, 6, 30))).unwrap();
        assert_eq!(p.charged_back.minor(), 240_000);
        assert_eq!(balance(&db, conn, "467"), p.balance.minor());
        assert!(trial_balance_as_of(conn, &db.ctx, None)
            .unwrap()
            .is_balanced());
    }
}

#[test]
fn a_rejection_reverses_its_share_and_frees_the_invoice() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        // F-3 out: 18,000 left, reserve 1,800, commission 90 + 18 VAT;
        // 467 = 18,000 - 1,800 - 108 = 16,092.
        let a = reject(
            conn,
            &db.ctx,
            "CT-1-000001",
            Some("F-3"),
            d(2026, 3, 11),
            Some("buyer unknown"),
        )
        .unwrap();
        assert_eq!(
            (
                a.total.minor(),
                a.reserve.minor(),
                a.fee.minor(),
                a.fee_vat.minor()
            ),
            (1_800_000, 180_000, 9_000, 1_800),
            "{}",
            db.name
        );
        assert_eq!(balance(&db, conn, "467"), 1_609_200);
        assert_eq!(receivable_of(&db, conn, "552081317"), 240_000);
        let p = propose(conn, &all_on(d(2026, 3, 11))).unwrap();
        let f3 = p.items.iter().find(|i| i.number == "F-3").unwrap();
        assert!(f3.eligible, "F-3 is free again");
        let err = reject(
            conn,
            &db.ctx,
            "CT-1-000001",
            Some("F-3"),
            d(2026, 3, 11),
            None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invoice_not_in_assignment");
        let a = reject(conn, &db.ctx, "CT-1-000001", None, d(2026, 3, 12), None).unwrap();
        assert_eq!(a.state, "rejected");
        for account in ["467", "4678", "6225", "44566"] {
            assert_eq!(balance(&db, conn, account), 0, "{account}");
        }
        assert_eq!(receivable_of(&db, conn, "732829320"), 1_800_000);
        let err = reject(conn, &db.ctx, "CT-1-000001", None, d(2026, 3, 12), None).unwrap_err();
        assert_eq!(err.code(), "assignment_not_rejectable");
        // The next batch takes the next number.
        let b = confirm(conn, &db.ctx, &all_on(d(2026, 3, 12))).unwrap();
        assert_eq!(b.number, "CT-1-000002");
    }
}

#[test]
fn a_bad_selection_is_refused_with_its_code_and_writes_nothing() {
    use factorgate::store::schema::invoices;
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-1"])).unwrap();
        let paid = invoice(
            &db,
            conn,
            "552081317",
            "F-PAID",
            "2026-03-01",
            "2026-04-30",
            ["100.00", "20.00", "120.00"],
        );
        diesel::update(invoices::table.find(&paid))
            .set((invoices::state.eq("paid"), invoices::open_minor.eq(0)))
            .execute(conn)
            .unwrap();
        let disputed = invoice(
            &db,
            conn,
            "552081317",
            "F-DISP",
            "2026-03-01",
            "2026-04-30",
            ["100.00", "20.00", "120.00"],
        );
        diesel::update(invoices::table.find(&disputed))
            .set(invoices::state.eq("disputed"))
            .execute(conn)
            .unwrap();
        create_seller(
            conn,
            &serde_json::from_value(json!({"name": "Renault", "siren": "441639465"})).unwrap(),
        )
        .unwrap();
        record_invoice(
            conn,
            &db.ctx,
            &serde_json::from_value(json!({"seller": "441639465",
                "buyer_legal_id": {"scheme": "siren", "value": "552081317"}, "currency": "EUR",
                "number": "R-1", "issue_date": "2026-03-01", "due_date": "2026-04-30",
                "net": "100.00", "tax": "20.00", "gross": "120.00"}))
            .unwrap(),
        )
        .unwrap();
        let before = count_rows(conn);
        for (number, code) in [
            ("F-1", "invoice_already_assigned"),
            ("F-PAID", "invoice_not_open"),
            ("F-DISP", "invoice_disputed"),
            ("R-1", "invoice_other_seller"),
        ] {
            let err = confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-2", number])).unwrap_err();
            assert_eq!(err.code(), code, "{} {number}: {err}", db.name);
            assert!(err.to_string().contains(number), "{err}");
            assert_eq!(count_rows(conn), before, "{number}: nothing written");
        }
        let err = confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-404"])).unwrap_err();
        assert_eq!(err.code(), "invoice_not_found");
        assert_eq!(count_rows(conn), before);
    }
}
