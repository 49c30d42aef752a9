//! Overdue notifications and claims on both backends: deadlines enforced,
//! indemnity computed from the policy, postings 416 / 7587 / 654 / 44571.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::error::ErrorCode;
use factorgate::service::claims::{decide_claim, file_claim, notify_overdue, pay_claim};
use factorgate::service::invoices::get_invoice;
use factorgate::service::ledger::trial_balance_as_of;
use factorgate::store::schema::invoices;
use factorgate::store::DbConnection;
use serde_json::json;

use crate::common::{backends, TestDb};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// F-1: EUR 35,000 (5,833.33 VAT) due 31 March 2026, insured at 90 % with a
/// EUR 500 deductible, VAT not covered; notify within 60 days (30 May),
/// claim after 150 (28 August). Returns (policy id, invoice id).
fn setup(db: &TestDb, conn: &mut DbConnection) -> (String, String) {
    let (policy, invoice, _) = crate::outbox::setup(db, conn, None);
    (policy, invoice)
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
fn a_notified_claim_is_indemnified_and_the_loss_written_off() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let (policy, invoice) = setup(&db, conn);
        let code = |e: factorgate::service::ServiceError| e.code();
        assert_eq!(
            code(notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 3, 31)).unwrap_err()),
            "invoice_not_overdue"
        );
        assert_eq!(
            code(file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 9, 1), false).unwrap_err()),
            "overdue_not_notified"
        );
        let notice = notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 4, 10)).unwrap();
        assert_eq!((notice.notify_by, notice.late), (d(2026, 5, 30), false));
        assert_eq!(
            code(file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 8, 27), false).unwrap_err()),
            "waiting_period_running"
        );
        let claim = file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 8, 28), false).unwrap();
        assert_eq!(
            (claim.loss.minor(), claim.loss_vat.minor()),
            (3_500_000, 583_333)
        );
        // The receivable is doubtful now.
        assert_eq!(
            (balance(conn, &db, "411"), balance(conn, &db, "416")),
            (0, 3_500_000),
            "{}",
            db.name
        );
        // 90 % of 29,166.67 = 26,250.003 -> 26,250.00, less 500 = 25,750.00.
        let decided = decide_claim(conn, &claim.id, true, d(2026, 9, 15)).unwrap();
        assert_eq!(decided.indemnity.map(|m| m.minor()), Some(2_575_000));
        pay_claim(conn, &db.ctx, &claim.id, d(2026, 10, 1)).unwrap();
        assert_eq!(balance(conn, &db, "416"), 0);
        assert_eq!(balance(conn, &db, "7587"), -2_575_000);
        assert_eq!(balance(conn, &db, "512"), 2_575_000);
        assert_eq!(balance(conn, &db, "654"), 2_916_667);
        // 44571: credited 5,833.33 at issue, debited back as VAT recovered.
        assert_eq!(balance(conn, &db, "44571"), 0);
        let inv = get_invoice(conn, &invoice).unwrap();
        assert_eq!(
            (inv.open.minor(), inv.state),
            (0, factorgate::domain::invoice::InvoiceState::WrittenOff)
        );
        assert_eq!(
            code(pay_claim(conn, &db.ctx, &claim.id, d(2026, 10, 2)).unwrap_err()),
            "claim_not_accepted"
        );
    }
}

#[test]
fn a_late_notice_loses_the_cover() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let (policy, invoice) = setup(&db, conn);
        let notice = notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 5, 31)).unwrap();
        assert!(
            notice.late,
            "{}: 31 May is after the 30 May deadline",
            db.name
        );
        let err = file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 9, 1), false).unwrap_err();
        assert_eq!(err.code(), "cover_lost_late_notice");
        // Nothing was posted for it.
        let open: i64 = invoices::table
            .find(&invoice)
            .select(invoices::open_minor)
            .first(conn)
            .unwrap();
        assert_eq!(open, 3_500_000);
        assert_eq!(balance(conn, &db, "416"), 0);
    }
}

#[actix_web::test]
async fn notices_and_claims_over_http() {
    use crate::api::{keys, post, state, Api};
    for db in backends() {
        let (policy, invoice) = {
            let mut conn = db.store.conn().unwrap();
            setup(&db, &mut conn)
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let notices = format!("/v1/insurance/policies/{policy}/notices");
        let n = api
            .send(post(
                &notices,
                &k.accountant,
                &json!({"invoice_id": invoice, "notified_on": "2026-04-10"}),
            ))
            .await
            .expect(201);
        assert_eq!(n["late"], false);
        assert_eq!(n["notify_by"], "2026-05-30");
        api.send(post(
            &notices,
            &k.finance,
            &json!({"invoice_id": invoice, "notified_on": "2026-04-10"}),
        ))
        .await
        .problem(403, "forbidden");
        let claim = api
            .send(post(
                &format!("/v1/insurance/policies/{policy}/claims"),
                &k.treasurer,
                &json!({"invoice_id": invoice, "filed_on": "2026-06-01", "insolvency": true}),
            ))
            .await
            .expect(201);
        assert_eq!(
            claim["loss"],
            json!({"amount": "35000.00", "currency": "EUR"})
        );
        let id = claim["id"].as_str().unwrap();
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
            json!({"amount": "25750.00", "currency": "EUR"}),
            "{}",
            db.name
        );
        let paid = api
            .send(post(
                &format!("/v1/insurance/claims/{id}/payment"),
                &k.treasurer,
                &json!({"paid_on": "2026-07-15"}),
            ))
            .await
            .expect(200);
        assert_eq!(paid["state"], "paid");
        api.send(post(
            &format!("/v1/insurance/claims/{id}/payment"),
            &k.treasurer,
            &json!({"paid_on": "2026-07-16"}),
        ))
        .await
        .problem(409, "claim_not_accepted");
    }
}
