//! Cover checks with the policies kept in memory (`TermsCache`) see every
//! change at once, on both backends: a limit decision, new invoices, a hold,
//! a new version of the terms, and a version changed by hand-written SQL.
//! The expected figures are worked out from the rules: limit (named, else
//! discretionary) less exposure (open invoices plus holds) is the headroom;
//! the covered part is the amount asked up to the headroom; a term longer
//! than the policy's maximum covers nothing.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use factorgate::domain::cover::{CoverReason, DecisionKind};
use factorgate::domain::invoice::InvoiceInput;
use factorgate::error::ErrorCode;
use factorgate::service::cover::{cover_check_cached, CoverCheck, CoverCheckInput, HoldRequest};
use factorgate::service::cover_terms::TermsCache;
use factorgate::service::insurance::add_version;
use factorgate::service::invoices::record_invoice;
use factorgate::store::DbConnection;
use serde_json::json;

use crate::api::{keys, post, state, Api};
use crate::common::{backends, TestDb};
use crate::insurance::{d, decide, setup, terms};

/// EUR 1,000.00 for the setup's buyer (EUR 35,000 open, due 31 March
/// 2026), delivered on `on` at 60 days.
fn ask(conn: &mut DbConnection, cache: &TermsCache, on: NaiveDate) -> CoverCheck {
    cover_check_cached(conn, cache, &input("1000.00", on, None)).unwrap()
}

fn input(amount: &str, on: NaiveDate, hold: Option<HoldRequest>) -> CoverCheckInput {
    CoverCheckInput {
        buyer: "siren:732829320".into(),
        amount: amount.into(),
        currency: "EUR".into(),
        date: Some(on),
        term_days: Some(60),
        policy_id: None,
        hold,
    }
}

/// F-2: EUR 4,500.00 gross, issued 1 March 2026, due 30 April.
fn second_invoice(db: &TestDb, conn: &mut DbConnection) {
    let invoice: InvoiceInput = serde_json::from_value(json!({
        "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
        "number": "F-2", "issue_date": "2026-03-01", "due_date": "2026-04-30", "currency": "EUR",
        "net": "3750.00", "tax": "750.00", "gross": "4500.00"
    }))
    .unwrap();
    record_invoice(conn, &db.ctx, &invoice).unwrap();
}

fn figures(c: &CoverCheck) -> (i64, i64, i64, i64) {
    (
        c.limit.minor(),
        c.exposure.minor(),
        c.covered.minor(),
        c.uncovered.minor(),
    )
}

/// Limit, exposure, covered and uncovered, in minor units.
#[track_caller]
fn assert_figures(c: &CoverCheck, expected: (i64, i64, i64, i64), db: &TestDb) {
    assert_eq!(figures(c), expected, "{}", db.name);
}

#[test]
fn a_kept_policy_never_hides_a_change_from_the_next_check() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(&db, conn);
        let cache = TermsCache::default();
        let on = d(2026, 3, 2);
        // Discretionary EUR 10,000, all taken by the 35,000 open.
        let a = ask(conn, &cache, on);
        assert_figures(&a, (1_000_000, 3_500_000, 0, 100_000), &db);
        assert_eq!(
            a.reasons,
            vec![CoverReason::NoLimit, CoverReason::LimitExceeded]
        );
        // Kept: the same answer again.
        assert_eq!(figures(&ask(conn, &cache, on)), figures(&a));
        // A named limit of 40,000: headroom 5,000, the 1,000 is covered.
        decide(
            conn,
            &policy,
            DecisionKind::Approved,
            Some("40000.00"),
            d(2026, 1, 10),
        );
        let a = ask(conn, &cache, on);
        assert_figures(&a, (4_000_000, 3_500_000, 100_000, 0), &db);
        assert!(a.reasons.is_empty());
        // F-2 (4,500): exposure 39,500, headroom 500.
        second_invoice(&db, conn);
        let a = ask(conn, &cache, on);
        assert_figures(&a, (4_000_000, 3_950_000, 50_000, 50_000), &db);
        assert_eq!(a.reasons, vec![CoverReason::LimitExceeded]);
        // A hold of 300 takes 300 of the 500 left: 200 for the next check.
        let held = cover_check_cached(
            conn,
            &cache,
            &input(
                "300.00",
                on,
                Some(HoldRequest {
                    minutes: 60,
                    order_reference: Some("PO-7".into()),
                }),
            ),
        )
        .unwrap();
        assert_eq!(held.hold.as_ref().map(|h| h.amount.minor()), Some(30_000));
        let a = ask(conn, &cache, on);
        assert_figures(&a, (4_000_000, 3_980_000, 20_000, 80_000), &db);
        // New terms from 1 March: at most 30 days of credit, so a sale at
        // 60 days is not covered at all.
        let mut short = terms(d(2026, 3, 1), "10000.00");
        short.max_credit_days = 30;
        add_version(conn, &policy, &short).unwrap();
        let a = ask(conn, &cache, on);
        assert_eq!(
            (a.covered.minor(), a.uncovered.minor()),
            (0, 100_000),
            "{}",
            db.name
        );
        assert_eq!(a.reasons, vec![CoverReason::TermTooLong]);
        // Before 1 March the first terms still answer.
        let before = ask(conn, &cache, d(2026, 2, 27));
        assert_eq!(before.reasons, vec![CoverReason::LimitExceeded]);
        // The same version changed by hand-written SQL (no service call):
        // 90 days, and the 60-day sale is covered up to the headroom again.
        conn.batch_execute(&format!(
            "UPDATE insurance_policy_versions SET max_credit_days = 90 \
             WHERE policy_id = '{policy}' AND effective_from = '2026-03-01'"
        ))
        .unwrap();
        let a = ask(conn, &cache, on);
        assert_figures(&a, (4_000_000, 3_980_000, 20_000, 80_000), &db);
        assert_eq!(a.reasons, vec![CoverReason::LimitExceeded]);
    }
}

#[actix_web::test]
async fn checks_over_http_see_limits_invoices_and_terms_change_at_once() {
    for db in backends() {
        let policy = {
            let mut conn = db.store.conn().unwrap();
            setup(&db, &mut conn)
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let body = json!({"buyer": "0002:732829320", "amount": "1000.00", "currency": "EUR",
                          "date": "2026-03-02", "term_days": 60});
        let check = || post("/v1/cover-checks", &k.finance, &body);
        let r = api.send(check()).await.expect(200);
        assert_eq!(r["covered"]["amount"], "0.00", "{}", db.name);
        assert_eq!(r["reasons"], json!(["no_limit", "limit_exceeded"]));
        {
            let mut conn = db.store.conn().unwrap();
            decide(
                &mut conn,
                &policy,
                DecisionKind::Approved,
                Some("40000.00"),
                d(2026, 1, 10),
            );
        }
        let r = api.send(check()).await.expect(200);
        assert_eq!(r["covered"]["amount"], "1000.00", "{}", db.name);
        assert_eq!(r["headroom"]["amount"], "5000.00");
        {
            let mut conn = db.store.conn().unwrap();
            second_invoice(&db, &mut conn);
        }
        let r = api.send(check()).await.expect(200);
        assert_eq!(r["exposure"]["amount"], "39500.00", "{}", db.name);
        assert_eq!(r["covered"]["amount"], "500.00");
        {
            let mut conn = db.store.conn().unwrap();
            let mut short = terms(d(2026, 3, 1), "10000.00");
            short.max_credit_days = 30;
            add_version(&mut conn, &policy, &short).unwrap();
        }
        let r = api.send(check()).await.expect(200);
        assert_eq!(r["covered"]["amount"], "0.00", "{}", db.name);
        assert_eq!(r["reasons"], json!(["term_too_long"]));
    }
}

/// Version `n` of the terms: effective `n` days after 1 January 2026,
/// with a discretionary limit of EUR n,000.
fn version(conn: &mut DbConnection, policy: &str, n: i64) {
    let from = d(2026, 1, 1) + chrono::Duration::days(n);
    add_version(conn, policy, &terms(from, &format!("{n}000.00"))).unwrap();
}

#[test]
fn terms_committed_on_another_connection_are_seen_by_the_next_check() {
    for db in backends() {
        let policy = {
            let mut conn = db.store.conn().unwrap();
            setup(&db, &mut conn)
        };
        let cache = TermsCache::default();
        // On 1 June every version below is in force; the buyer has no
        // named limit, so the limit is the latest version's discretionary.
        let on = d(2026, 6, 1);
        let committed = AtomicI64::new(0);
        std::thread::scope(|scope| {
            let (to_checker, from_writer) = mpsc::channel::<i64>();
            let (to_writer, from_checker) = mpsc::channel::<()>();
            let (store, policy, committed) = (&db.store, &policy, &committed);
            scope.spawn(move || {
                let mut conn = store.conn().unwrap();
                // In step: each version committed, then checked.
                for n in 1..=5 {
                    version(&mut conn, policy, n);
                    to_checker.send(n).unwrap();
                    from_checker.recv().unwrap();
                }
                // Then as fast as it goes, while checks run.
                for n in 6..=30 {
                    version(&mut conn, policy, n);
                    committed.store(n, Ordering::SeqCst);
                }
            });
            let mut conn = store.conn().unwrap();
            let conn = &mut *conn;
            for n in from_writer.iter().take(5) {
                let a = ask(conn, &cache, on);
                assert_eq!(a.limit.minor(), n * 100_000, "{} version {n}", db.name);
                to_writer.send(()).unwrap();
            }
            // Never older than what was committed before the check began,
            // never going back.
            let mut last = 0;
            loop {
                let floor = committed.load(Ordering::SeqCst) * 100_000;
                let limit = ask(conn, &cache, on).limit.minor();
                assert!(limit >= floor, "{}: {limit} < {floor}", db.name);
                assert!(limit >= last, "{}: {limit} after {last}", db.name);
                last = limit;
                if limit == 3_000_000 {
                    break;
                }
            }
        });
    }
}

/// Connections are not probed when lent (a round trip per check): one the
/// server closed fails its next work, is found dead then, and is dropped,
/// so the pool does not lend it again. PostgreSQL only.
#[actix_web::test]
async fn a_connection_the_server_closed_is_dropped_not_lent_again() {
    use diesel::{Connection, PgConnection};
    use factorgate::store::{DatabaseUrl, StoreError};
    let Some(db) = crate::common::postgres() else {
        return;
    };
    let DatabaseUrl::Postgres(url) = db.store.url().clone() else {
        panic!("a PostgreSQL store");
    };
    let ping = || {
        db.store
            .run(|c| c.batch_execute("SELECT 1").map_err(StoreError::from))
    };
    ping().await.unwrap();
    let mut admin = PgConnection::establish(&url).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    // At most one failure per pooled connection (8), then only answers.
    let mut failures = 0;
    for _ in 0..12 {
        if ping().await.is_err() {
            failures += 1;
        }
    }
    assert!(failures <= 8, "{failures} failures");
    for _ in 0..20 {
        ping().await.unwrap();
    }
}

/// Without the generation's row no copy can be proven current: a check
/// refuses to answer rather than answer under unproven terms.
#[test]
fn without_the_generation_a_check_refuses_to_answer() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(&db, conn);
        conn.batch_execute("DELETE FROM insurance_terms_generation")
            .unwrap();
        let err = cover_check_cached(
            conn,
            &TermsCache::default(),
            &input("1.00", d(2026, 3, 2), None),
        )
        .unwrap_err();
        assert_eq!(err.code(), "cover_terms_changing", "{}", db.name);
    }
}
