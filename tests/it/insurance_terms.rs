//! Policy terms beyond the single indemnity, on both backends: the yearly
//! maximum liability across claims, the premium and its one posting per
//! period, and recoveries after indemnity with their postings.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::domain::insurance_money::{CapReason, RecoveredBy};
use factorgate::error::ErrorCode;
use factorgate::service::claims::{decide_claim, file_claim, notify_overdue, pay_claim};
use factorgate::service::insurance::{add_version, create_policy, PolicyInput, TermsInput};
use factorgate::service::invoices::record_invoice;
use factorgate::service::ledger::trial_balance_as_of;
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::service::premiums::premium;
use factorgate::service::recoveries::{record_recovery, RecoveryInput};
use factorgate::store::schema::{insurance_premiums, insurance_recoveries};
use factorgate::store::DbConnection;
use serde_json::json;

use crate::common::{backends, TestDb};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 90 %, EUR 500 deductible, VAT not covered, from 1 January 2026.
fn terms(from: NaiveDate, max_liability: Option<&str>, premium_rate: &str) -> TermsInput {
    TermsInput {
        effective_from: from,
        indemnity_rate: "0.90".into(),
        max_credit_days: 120,
        notification_days: 60,
        waiting_days: 150,
        discretionary_limit: "100000.00".into(),
        deductible: "500.00".into(),
        reduction_notice_days: 30,
        vat_covered: false,
        max_liability: max_liability.map(str::to_string),
        premium_rate: premium_rate.into(),
    }
}

/// Our seller, buyer INSEE, and a EUR policy. Returns the policy id.
fn setup(conn: &mut DbConnection, t: TermsInput) -> String {
    create_seller(
        conn,
        &factorgate::domain::party::SellerInput {
            name: "Peugeot SA".into(),
            siren: Some("552100554".into()),
            vat: None,
            iban: None,
        },
    )
    .unwrap();
    create_buyer(
        conn,
        &serde_json::from_value(json!({"name": "INSEE", "country": "FR",
            "legal_ids": [{"scheme": "siren", "value": "732829320"}]}))
        .unwrap(),
    )
    .unwrap();
    create_policy(
        conn,
        &PolicyInput {
            insurer: "Allianz Trade".into(),
            number: "POL-7".into(),
            currency: "EUR".into(),
            terms: t,
        },
    )
    .unwrap()
    .id
}

/// Records an invoice (or a credit note with `kind`) and returns its id.
fn invoice(db: &TestDb, conn: &mut DbConnection, extra: serde_json::Value) -> String {
    let mut v = json!({
        "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
        "currency": "EUR"
    });
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    record_invoice(conn, &db.ctx, &serde_json::from_value(v).unwrap())
        .unwrap()
        .invoice
        .id
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

fn balanced(conn: &mut DbConnection, db: &TestDb) -> bool {
    trial_balance_as_of(conn, &db.ctx, None)
        .unwrap()
        .is_balanced()
}

#[test]
fn the_yearly_maximum_caps_the_second_claim_and_renews_next_year() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // EUR 30,000 a year; years run 1 Jan 2026 - 31 Dec 2026, then 2027.
        let policy = setup(conn, terms(d(2026, 1, 1), Some("30000.00"), "0"));
        let f1 = invoice(
            &db,
            conn,
            json!({"number": "F-1", "issue_date": "2026-01-10", "due_date": "2026-02-28",
                "net": "20000.00", "tax": "4000.00", "gross": "24000.00"}),
        );
        let f2 = invoice(
            &db,
            conn,
            json!({"number": "F-2", "issue_date": "2026-02-01", "due_date": "2026-03-31",
                "net": "15000.00", "tax": "3000.00", "gross": "18000.00"}),
        );
        let f3 = invoice(
            &db,
            conn,
            json!({"number": "F-3", "issue_date": "2026-08-01", "due_date": "2026-09-30",
                "net": "10000.00", "tax": "2000.00", "gross": "12000.00"}),
        );
        notify_overdue(conn, &policy, &f1, "overdue", d(2026, 3, 10)).unwrap();
        notify_overdue(conn, &policy, &f2, "overdue", d(2026, 4, 10)).unwrap();
        notify_overdue(conn, &policy, &f3, "overdue", d(2026, 10, 10)).unwrap();

        // F-1, filed 1 Aug 2026: 90 % x 20,000 - 500 = 17,500.00, under the cap.
        let c1 = file_claim(conn, &db.ctx, &policy, &f1, d(2026, 8, 1), false).unwrap();
        let c1 = decide_claim(conn, &c1.id, true, d(2026, 8, 15)).unwrap();
        assert_eq!(
            c1.indemnity.map(|m| m.minor()),
            Some(1_750_000),
            "{}",
            db.name
        );
        assert_eq!((c1.capped_by, c1.indemnity_uncapped), (None, None));
        pay_claim(conn, &db.ctx, &c1.id, d(2026, 9, 1)).unwrap();

        // F-2, filed 1 Sep 2026 (same year): 90 % x 15,000 - 500 = 13,000.00,
        // but only 30,000 - 17,500 = 12,500.00 is left of the year's maximum.
        let c2 = file_claim(conn, &db.ctx, &policy, &f2, d(2026, 9, 1), false).unwrap();
        let c2 = decide_claim(conn, &c2.id, true, d(2026, 9, 20)).unwrap();
        assert_eq!(
            c2.indemnity.map(|m| m.minor()),
            Some(1_250_000),
            "{}",
            db.name
        );
        assert_eq!(c2.indemnity_uncapped.map(|m| m.minor()), Some(1_300_000));
        assert_eq!(c2.capped_by, Some(CapReason::YearlyMaxLiability));

        // F-3, filed 5 Jan 2027 on insolvency: a new policy year, the full
        // 90 % x 10,000 - 500 = 8,500.00.
        let c3 = file_claim(conn, &db.ctx, &policy, &f3, d(2027, 1, 5), true).unwrap();
        let c3 = decide_claim(conn, &c3.id, true, d(2027, 1, 20)).unwrap();
        assert_eq!(
            c3.indemnity.map(|m| m.minor()),
            Some(850_000),
            "{}",
            db.name
        );
        assert_eq!(c3.capped_by, None);

        pay_claim(conn, &db.ctx, &c2.id, d(2026, 10, 1)).unwrap();
        pay_claim(conn, &db.ctx, &c3.id, d(2027, 2, 1)).unwrap();
        // Indemnities 17,500 + 12,500 + 8,500 = 38,500.00 of income.
        assert_eq!(balance(conn, &db, "7587"), -3_850_000);
        assert_eq!(balance(conn, &db, "512"), 3_850_000);
        // Losses net of VAT 20,000 + 15,000 + 10,000 = 45,000.00.
        assert_eq!(balance(conn, &db, "654"), 4_500_000);
        assert!(balanced(conn, &db), "{}", db.name);
        // A decided claim is not decided again.
        assert_eq!(
            decide_claim(conn, &c2.id, true, d(2026, 9, 21))
                .unwrap_err()
                .code(),
            "claim_decided"
        );
    }
}

#[test]
fn the_premium_is_posted_once_per_period() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // 0.35 % until 30 June, 0.40 % from 1 July.
        let policy = setup(conn, terms(d(2026, 1, 1), None, "0.0035"));
        let v2 = add_version(conn, &policy, &terms(d(2026, 7, 1), None, "0.004")).unwrap();
        assert_eq!(v2.versions[1].premium_rate.to_string(), "0.004");
        // Bad terms are refused with their field, and add no version.
        for (rate, max, code) in [
            ("-0.001", None, "rate_invalid"),
            ("1.5", None, "rate_invalid"),
            ("0.003", Some("-1.00"), "amount_negative"),
        ] {
            let err = add_version(conn, &policy, &terms(d(2026, 10, 1), max, rate)).unwrap_err();
            assert_eq!(err.code(), code, "{rate} {max:?}");
        }
        let versions = factorgate::service::insurance::get_policy(conn, &policy)
            .unwrap()
            .versions;
        assert_eq!(versions.len(), 2);
        invoice(
            &db,
            conn,
            json!({"number": "F-1", "issue_date": "2026-01-10", "due_date": "2026-03-10",
                "net": "20000.00", "tax": "4000.00", "gross": "24000.00"}),
        );
        invoice(
            &db,
            conn,
            json!({"number": "A-1", "kind": "credit_note", "credited_invoice": "F-1",
                "issue_date": "2026-03-15", "due_date": "2026-03-15",
                "net": "2000.00", "tax": "400.00", "gross": "2400.00"}),
        );
        invoice(
            &db,
            conn,
            json!({"number": "F-2", "issue_date": "2026-07-15", "due_date": "2026-09-15",
                "net": "15000.00", "tax": "3000.00", "gross": "18000.00"}),
        );
        // Another currency, and a later invoice: outside this premium.
        invoice(
            &db,
            conn,
            json!({"number": "F-3", "issue_date": "2026-02-01", "due_date": "2026-04-01",
                "currency": "USD", "net": "5000.00", "tax": "0.00", "gross": "5000.00"}),
        );
        invoice(
            &db,
            conn,
            json!({"number": "F-4", "issue_date": "2026-10-01", "due_date": "2026-12-01",
                "net": "1000.00", "tax": "200.00", "gross": "1200.00"}),
        );
        // Turnover 20,000 - 2,000 + 15,000 = 33,000.00; premium 0.35 % x
        // 18,000 = 63.00 plus 0.40 % x 15,000 = 60.00: 123.00.
        let quoted = premium(conn, &db.ctx, &policy, d(2026, 1, 1), d(2026, 9, 30), false).unwrap();
        assert_eq!(
            (
                quoted.turnover.minor(),
                quoted.premium.minor(),
                quoted.posted
            ),
            (3_300_000, 12_300, false),
            "{}",
            db.name
        );
        assert_eq!(balance(conn, &db, "616"), 0, "a quote posts nothing");

        let posted = premium(conn, &db.ctx, &policy, d(2026, 1, 1), d(2026, 9, 30), true).unwrap();
        assert_eq!((posted.premium.minor(), posted.posted), (12_300, true));
        assert!(!posted.already_posted);
        assert_eq!(balance(conn, &db, "616"), 12_300);
        assert_eq!(balance(conn, &db, "401"), -12_300);

        // The same period again: the first record, nothing new.
        let again = premium(conn, &db.ctx, &policy, d(2026, 1, 1), d(2026, 9, 30), true).unwrap();
        assert!(again.already_posted);
        assert_eq!(again.id, posted.id);
        assert_eq!(balance(conn, &db, "616"), 12_300);
        // An overlapping period is refused and changes nothing.
        let err =
            premium(conn, &db.ctx, &policy, d(2026, 9, 1), d(2026, 12, 31), true).unwrap_err();
        assert_eq!(err.code(), "premium_period_overlaps");
        let err = premium(
            conn,
            &db.ctx,
            &policy,
            d(2026, 12, 31),
            d(2026, 10, 1),
            true,
        )
        .unwrap_err();
        assert_eq!(err.code(), "period_invalid");
        let rows: i64 = insurance_premiums::table.count().get_result(conn).unwrap();
        assert_eq!(rows, 1);
        assert_eq!(balance(conn, &db, "616"), 12_300);

        // The next quarter: 0.40 % x 1,000.00 = 4.00.
        let q4 = premium(
            conn,
            &db.ctx,
            &policy,
            d(2026, 10, 1),
            d(2026, 12, 31),
            true,
        )
        .unwrap();
        assert_eq!(q4.premium.minor(), 400);
        assert_eq!(balance(conn, &db, "616"), 12_700);
        assert_eq!(balance(conn, &db, "401"), -12_700);
        assert!(balanced(conn, &db), "{}", db.name);
    }
}

fn recovery(amount: &str, on: NaiveDate, by: RecoveredBy) -> RecoveryInput {
    RecoveryInput {
        amount: amount.into(),
        recovered_on: on,
        recovered_by: by,
    }
}

#[test]
fn recoveries_are_shared_with_the_insurer_and_posted() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(conn, terms(d(2026, 1, 1), None, "0"));
        // EUR 35,000 with 5,833.33 VAT, as in the claims tests.
        let f1 = invoice(
            &db,
            conn,
            json!({"number": "F-1", "issue_date": "2026-02-01", "due_date": "2026-03-31",
                "net": "29166.67", "tax": "5833.33", "gross": "35000.00"}),
        );
        notify_overdue(conn, &policy, &f1, "overdue", d(2026, 4, 10)).unwrap();
        let claim = file_claim(conn, &db.ctx, &policy, &f1, d(2026, 8, 28), false).unwrap();
        let early = recovery("100.00", d(2026, 9, 1), RecoveredBy::Us);
        assert_eq!(
            record_recovery(conn, &db.ctx, &claim.id, &early)
                .unwrap_err()
                .code(),
            "claim_not_paid"
        );
        // 90 % x 29,166.67 - 500 = 25,750.00.
        decide_claim(conn, &claim.id, true, d(2026, 9, 15)).unwrap();
        pay_claim(conn, &db.ctx, &claim.id, d(2026, 10, 1)).unwrap();
        assert_eq!(
            record_recovery(conn, &db.ctx, &claim.id, &early)
                .unwrap_err()
                .code(),
            "recovery_before_payment"
        );
        assert_eq!(balance(conn, &db, "654"), 2_916_667);

        // The buyer pays us 6,000.00: VAT 6,000 x 5,833.33 / 35,000 =
        // 999.9994 -> 999.99; base 5,000.01; insurer 90 % = 4,500.009 ->
        // 4,500.01; ours 500.00.
        let r1 = record_recovery(
            conn,
            &db.ctx,
            &claim.id,
            &recovery("6000.00", d(2026, 11, 2), RecoveredBy::Us),
        )
        .unwrap();
        assert_eq!(
            (
                r1.vat.minor(),
                r1.insurer_share.minor(),
                r1.our_share.minor()
            ),
            (99_999, 450_001, 50_000),
            "{}",
            db.name
        );
        assert_eq!(r1.loss_remaining.minor(), 2_900_000);
        // 512: 25,750.00 indemnity + 6,000.00; 401 owes the insurer 4,500.01;
        // 44571: 999.99 collected again; 654: 29,166.67 - 500.00.
        assert_eq!(balance(conn, &db, "512"), 3_175_000);
        assert_eq!(balance(conn, &db, "401"), -450_001);
        assert_eq!(balance(conn, &db, "44571"), -99_999);
        assert_eq!(balance(conn, &db, "654"), 2_866_667);

        // The insurer collects 3,500.00: VAT 3,500 x 5,833.33 / 35,000 =
        // 583.333 -> 583.33; base 2,916.67; insurer 2,625.003 -> 2,625.00;
        // it owes us 3,500 - 2,625 = 875.00; ours 291.67.
        let r2 = record_recovery(
            conn,
            &db.ctx,
            &claim.id,
            &recovery("3500.00", d(2026, 12, 1), RecoveredBy::Insurer),
        )
        .unwrap();
        assert_eq!(
            (
                r2.vat.minor(),
                r2.insurer_share.minor(),
                r2.our_share.minor()
            ),
            (58_333, 262_500, 29_167)
        );
        assert_eq!(balance(conn, &db, "512"), 3_175_000, "no cash for us yet");
        // 401: -4,500.01 + 875.00; 44571: -999.99 - 583.33; 654: - 291.67.
        assert_eq!(balance(conn, &db, "401"), -362_501);
        assert_eq!(balance(conn, &db, "44571"), -158_332);
        assert_eq!(balance(conn, &db, "654"), 2_837_500);
        assert!(balanced(conn, &db), "{}", db.name);

        // 35,000 - 6,000 - 3,500 = 25,500.00 remains: one cent more is refused.
        let err = record_recovery(
            conn,
            &db.ctx,
            &claim.id,
            &recovery("25500.01", d(2026, 12, 15), RecoveredBy::Us),
        )
        .unwrap_err();
        assert_eq!(err.code(), "recovery_exceeds_loss");
        let rows: i64 = insurance_recoveries::table
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(rows, 2);
        assert_eq!(balance(conn, &db, "512"), 3_175_000);
        let last = record_recovery(
            conn,
            &db.ctx,
            &claim.id,
            &recovery("25500.00", d(2026, 12, 15), RecoveredBy::Us),
        )
        .unwrap();
        assert_eq!(last.loss_remaining.minor(), 0);
        assert!(balanced(conn, &db), "{}", db.name);
    }
}

#[actix_web::test]
async fn premiums_and_recoveries_over_http() {
    use crate::api::{keys, post, state, Api};
    for db in backends() {
        let (policy, f1) = {
            let mut conn = db.store.conn().unwrap();
            let policy = setup(&mut conn, terms(d(2026, 1, 1), Some("20000.00"), "0.005"));
            let f1 = invoice(
                &db,
                &mut conn,
                json!({"number": "F-1", "issue_date": "2026-02-01", "due_date": "2026-03-31",
                    "net": "29166.67", "tax": "5833.33", "gross": "35000.00"}),
            );
            (policy, f1)
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        // 0.5 % x 29,166.67 = 145.83335 -> 145.83.
        let premiums = format!("/v1/insurance/policies/{policy}/premiums");
        let body = json!({"from": "2026-01-01", "to": "2026-03-31", "post": true});
        let p = api
            .send(post(&premiums, &k.accountant, &body))
            .await
            .expect(200);
        assert_eq!(p["premium"], json!({"amount": "145.83", "currency": "EUR"}));
        assert_eq!(p["already_posted"], false, "{}", db.name);
        let again = api
            .send(post(&premiums, &k.accountant, &body))
            .await
            .expect(200);
        assert_eq!(again["already_posted"], true);
        api.send(post(
            &premiums,
            &k.accountant,
            &json!({"from": "2026-03-01", "to": "2026-06-30", "post": true}),
        ))
        .await
        .problem(409, "premium_period_overlaps");
        api.send(post(&premiums, &k.finance, &body))
            .await
            .problem(403, "forbidden");

        let claim = api
            .send(post(
                &format!("/v1/insurance/policies/{policy}/notices"),
                &k.accountant,
                &json!({"invoice_id": f1, "notified_on": "2026-04-10"}),
            ))
            .await
            .expect(201);
        assert_eq!(claim["late"], false);
        let claim = api
            .send(post(
                &format!("/v1/insurance/policies/{policy}/claims"),
                &k.treasurer,
                &json!({"invoice_id": f1, "filed_on": "2026-06-01", "insolvency": true}),
            ))
            .await
            .expect(201);
        let id = claim["id"].as_str().unwrap();
        // 25,750.00 from the terms, capped at the 20,000.00 yearly maximum.
        let decided = api
            .send(post(
                &format!("/v1/insurance/claims/{id}/decision"),
                &k.treasurer,
                &json!({"accepted": true, "decided_on": "2026-07-01"}),
            ))
            .await
            .expect(200);
        assert_eq!(
            decided["indemnity"],
            json!({"amount": "20000.00", "currency": "EUR"})
        );
        assert_eq!(
            decided["indemnity_uncapped"],
            json!({"amount": "25750.00", "currency": "EUR"})
        );
        assert_eq!(decided["capped_by"], "yearly_max_liability");
        api.send(post(
            &format!("/v1/insurance/claims/{id}/payment"),
            &k.treasurer,
            &json!({"paid_on": "2026-07-15"}),
        ))
        .await
        .expect(200);
        let recoveries = format!("/v1/insurance/claims/{id}/recoveries");
        // As in the service test: 6,000.00 shares 999.99 / 4,500.01 / 500.00.
        let r = api
            .send(post(
                &recoveries,
                &k.accountant,
                &json!({"amount": "6000.00", "recovered_on": "2026-08-01"}),
            ))
            .await
            .expect(201);
        assert_eq!(
            r["insurer_share"],
            json!({"amount": "4500.01", "currency": "EUR"})
        );
        assert_eq!(r["recovered_by"], "us");
        api.send(post(
            &recoveries,
            &k.accountant,
            &json!({"amount": "29000.01", "recovered_on": "2026-08-02"}),
        ))
        .await
        .problem(422, "recovery_exceeds_loss");
        api.send(post(
            &recoveries,
            &k.accountant,
            &json!({"amount": "10.00", "recovered_on": "2026-08-02", "recovered_by": "bank"}),
        ))
        .await
        .problem(400, "json_invalid");
    }
}
