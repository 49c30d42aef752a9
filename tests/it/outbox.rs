//! The outbox on both backends, without a counterparty: messages commit
//! with their record or not at all, leases keep two workers apart and
//! bring a dead worker's message back, parked messages are retried or
//! cancelled by a person.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use factorgate::domain::outbox::{AfterFailure, Operation, RetryPolicy};
use factorgate::error::ErrorCode;
use factorgate::service::claims::{file_claim, notify_overdue};
use factorgate::service::insurance::{create_policy, PolicyInput, TermsInput};
use factorgate::service::insurer_calls::{link_policy, request_limit, LimitRequestInput};
use factorgate::service::invoices::record_invoice;
use factorgate::service::outbox::{
    cancel_message, claim_due, complete, enqueue, fail, get_message, list_messages, retry_message,
    MessageFilter, NewMessage, Subject,
};
use factorgate::service::parties::create_seller;
use factorgate::service::ServiceError;
use factorgate::store::schema::{insurance_claims, journal_entries, outbox_messages};
use factorgate::store::{write_tx, DbConnection};
use serde_json::json;

use crate::api::{get, keys, post, state, Api};
use crate::common::{backends, TestDb};

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Seller, buyer INSEE (SIREN 732829320), invoice F-1 of EUR 35,000 due
/// 31 March 2026, and policy POL-1 (notify within 60 days, claim after
/// 150), linked to `connection` when given. Returns (policy, invoice,
/// buyer) ids.
pub(crate) fn setup(
    db: &TestDb,
    conn: &mut DbConnection,
    connection: Option<&str>,
) -> (String, String, String) {
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
    let buyer = factorgate::service::parties::create_buyer(
        conn,
        &serde_json::from_value(json!({"name": "INSEE", "country": "FR",
            "legal_ids": [{"scheme": "siren", "value": "732829320"}]}))
        .unwrap(),
    )
    .unwrap();
    let invoice = record_invoice(
        conn,
        &db.ctx,
        &serde_json::from_value(json!({
            "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
            "number": "F-1", "issue_date": "2026-02-01", "due_date": "2026-03-31", "currency": "EUR",
            "net": "29166.67", "tax": "5833.33", "gross": "35000.00"
        }))
        .unwrap(),
    )
    .unwrap()
    .invoice;
    let policy = create_policy(
        conn,
        &PolicyInput {
            insurer: "Allianz Trade".into(),
            number: "POL-1".into(),
            currency: "EUR".into(),
            terms: TermsInput {
                effective_from: d(2026, 1, 1),
                indemnity_rate: "0.90".into(),
                max_credit_days: 120,
                notification_days: 60,
                waiting_days: 150,
                discretionary_limit: "50000.00".into(),
                deductible: "500.00".into(),
                reduction_notice_days: 30,
                vat_covered: false,
                max_liability: None,
                premium_rate: "0".into(),
            },
        },
    )
    .unwrap();
    if let Some(c) = connection {
        link_policy(conn, &policy.id, Some(c), &[c.to_string()]).unwrap();
    }
    (policy.id, invoice.id, buyer.id)
}

fn acme() -> Vec<String> {
    vec!["acme".to_string()]
}

fn message_count(conn: &mut DbConnection) -> i64 {
    outbox_messages::table.count().get_result(conn).unwrap()
}

fn raw(n: usize) -> NewMessage {
    NewMessage {
        connection: "acme".into(),
        operation: Operation::NotifyOverdue,
        subject: Subject::Notice,
        subject_id: format!("notice-{n}"),
        idempotency_key: format!("fg:test:{n}"),
        payload: json!({"n": n}),
        due_at: factorgate::service::now() - chrono::Duration::seconds(1),
    }
}

#[test]
fn a_message_commits_with_its_record_or_not_at_all() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let (policy, invoice, _) = setup(&db, conn, Some("acme"));

        // A change that fails after queueing its call leaves no message.
        let r: Result<(), ServiceError> = write_tx(conn, |c| {
            enqueue(c, raw(1))?;
            Err(ServiceError::conflict("test_refused", "the change fails"))
        });
        assert_eq!(r.unwrap_err().code(), "test_refused");
        assert_eq!(message_count(conn), 0, "{}", db.name);

        // A refused notice queues nothing.
        let early = notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 3, 30));
        assert_eq!(early.unwrap_err().code(), "invoice_not_overdue");
        assert_eq!(message_count(conn), 0);

        // A recorded notice has its message, carrying a key derived from it.
        let notice = notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 4, 10)).unwrap();
        let id = notice.outbox_message.clone().expect("queued");
        let m = get_message(conn, &id).unwrap();
        let key = format!("fg:notify_overdue:{}", notice.id);
        assert_eq!(
            (
                m.operation.as_str(),
                m.state.as_str(),
                m.subject_id.as_str()
            ),
            ("notify_overdue", "pending", notice.id.as_str())
        );
        assert_eq!(m.idempotency_key, key);
        assert_eq!(m.payload["idempotency_key"], json!(key));
        assert_eq!(m.payload["invoice_number"], json!("F-1"));
        // Open EUR 35,000.00 = 3,500,000 cents.
        assert_eq!(m.payload["overdue"]["minor"], json!(3_500_000));
        assert_eq!(
            m.payload["buyer"]["legal_ids"][0],
            json!({"scheme": "0002", "value": "732829320"})
        );

        // The outbox refusing the claim's message undoes the claim and its
        // posting too.
        let entries: i64 = journal_entries::table.count().get_result(conn).unwrap();
        conn.batch_execute(match db.name {
            "sqlite" => "CREATE TRIGGER refuse_claims BEFORE INSERT ON outbox_messages \
                 WHEN NEW.operation = 'file_claim' BEGIN SELECT RAISE(ABORT, 'outbox refused'); END;",
            _ => "CREATE FUNCTION refuse_claims() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'outbox refused'; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER refuse_claims BEFORE INSERT ON outbox_messages FOR EACH ROW \
                 WHEN (NEW.operation = 'file_claim') EXECUTE FUNCTION refuse_claims();",
        })
        .unwrap();
        assert!(file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 8, 28), false).is_err());
        let claims: i64 = insurance_claims::table.count().get_result(conn).unwrap();
        let entries_after: i64 = journal_entries::table.count().get_result(conn).unwrap();
        assert_eq!(
            (claims, entries_after, message_count(conn)),
            (0, entries, 1),
            "{}",
            db.name
        );
    }
}

#[test]
fn without_a_connection_nothing_is_queued_and_decisions_stay_manual() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let (policy, invoice, buyer) = setup(&db, conn, None);
        let notice = notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 4, 10)).unwrap();
        assert_eq!(notice.outbox_message, None);
        assert_eq!(message_count(conn), 0);
        let err = request_limit(
            conn,
            &LimitRequestInput {
                policy_id: policy.clone(),
                buyer: buyer.clone(),
                amount: Some("20000.00".into()),
                kind: factorgate_adapter::LimitRequestKind::New,
                wanted_from: None,
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "policy_not_connected");
        let err = link_policy(conn, &policy, Some("nobody"), &["acme".into()]).unwrap_err();
        assert_eq!(err.code(), "connection_unknown");
        assert!(err.to_string().contains("nobody"), "{err}");
        assert_eq!(message_count(conn), 0, "{}", db.name);
    }
}

#[test]
fn two_workers_never_take_the_same_message() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        write_tx(&mut conn, |c| {
            for n in 0..40 {
                enqueue(c, raw(n))?;
            }
            Ok::<_, ServiceError>(())
        })
        .unwrap();
        drop(conn);
        let workers: Vec<_> = ["w1", "w2"]
            .into_iter()
            .map(|w| {
                let store = db.store.clone();
                std::thread::spawn(move || {
                    let mut conn = store.conn().unwrap();
                    let mut taken = Vec::new();
                    loop {
                        let batch = claim_due(
                            &mut conn,
                            w,
                            &acme(),
                            Duration::from_secs(60),
                            &RetryPolicy::default(),
                            3,
                        )
                        .unwrap();
                        if batch.is_empty() {
                            return taken;
                        }
                        taken.extend(batch.into_iter().map(|c| c.message.id));
                    }
                })
            })
            .collect();
        let taken: Vec<Vec<String>> = workers.into_iter().map(|h| h.join().unwrap()).collect();
        let (a, b): (BTreeSet<_>, BTreeSet<_>) = (
            taken[0].iter().cloned().collect(),
            taken[1].iter().cloned().collect(),
        );
        assert_eq!(
            a.len() + b.len(),
            40,
            "{}: a message was taken twice",
            db.name
        );
        assert!(a.is_disjoint(&b), "{}", db.name);
        // Each message has exactly one attempt, owned by its taker.
        let mut conn = db.store.conn().unwrap();
        for id in a.iter().take(3) {
            let m = get_message(&mut conn, id).unwrap();
            let log = m.attempt_log.unwrap();
            assert_eq!(log.len(), 1);
            assert_eq!(
                (log[0].worker.as_str(), log[0].outcome.as_str()),
                ("w1", "in_flight")
            );
        }
    }
}

#[test]
fn a_dead_workers_message_is_taken_over_when_its_lease_expires() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let id = write_tx(conn, |c| enqueue(c, raw(7))).unwrap();
        let policy = RetryPolicy::default();
        let lease = Duration::from_millis(800);
        // A worker configured without this connection leaves it alone.
        let elsewhere = vec!["elsewhere".to_string()];
        assert!(claim_due(conn, "other", &elsewhere, lease, &policy, 10)
            .unwrap()
            .is_empty());
        let first = claim_due(conn, "dead", &acme(), lease, &policy, 10).unwrap();
        assert_eq!(first.len(), 1);
        // Leased: nobody else takes it.
        assert!(claim_due(conn, "alive", &acme(), lease, &policy, 10)
            .unwrap()
            .is_empty());
        std::thread::sleep(Duration::from_millis(900));
        let second = claim_due(conn, "alive", &acme(), lease, &policy, 10).unwrap();
        assert_eq!((second.len(), second[0].attempt), (1, 2), "{}", db.name);
        // The dead worker's late answer is not applied: the lease is gone.
        let mut applied = false;
        let kept = complete(conn, &first[0], "dead", &json!({}), Duration::ZERO, |_| {
            applied = true;
            Ok(())
        })
        .unwrap();
        assert!(!kept && !applied);
        assert!(complete(
            conn,
            &second[0],
            "alive",
            &json!({"ok": 1}),
            Duration::ZERO,
            |_| Ok(())
        )
        .unwrap());
        let m = get_message(conn, &id).unwrap();
        let log = m.attempt_log.clone().unwrap();
        let outcomes: Vec<(&str, &str)> = log
            .iter()
            .map(|a| (a.worker.as_str(), a.outcome.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            vec![("dead", "abandoned"), ("alive", "succeeded")]
        );
        assert_eq!(log[0].error_code.as_deref(), Some("lease_expired"));
        assert_eq!((m.state.as_str(), m.attempts), ("done", 2), "{}", db.name);
    }
}

#[actix_web::test]
async fn parked_messages_are_listed_retried_and_cancelled_by_hand() {
    for db in backends() {
        let id = {
            let mut conn = db.store.conn().unwrap();
            let conn = &mut *conn;
            let id = write_tx(conn, |c| enqueue(c, raw(3))).unwrap();
            let c = claim_due(
                conn,
                "w",
                &acme(),
                Duration::from_secs(60),
                &RetryPolicy::default(),
                1,
            )
            .unwrap();
            // A refusal is parked at once.
            let after = RetryPolicy::default().after_failure(1, false, None, 0.0);
            assert_eq!(after, AfterFailure::Park);
            fail(
                conn,
                &c[0],
                "w",
                "adapter_rejected",
                "policy unknown",
                Duration::from_millis(5),
                after,
            )
            .unwrap();
            let parked = list_messages(
                conn,
                &MessageFilter {
                    state: Some("failed".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(parked.len(), 1);
            assert_eq!(
                parked[0].last_error_code.as_deref(),
                Some("adapter_rejected")
            );
            assert_eq!(retry_message(conn, &id).unwrap().state, "pending");
            // A pending message is not retried again, but may be cancelled.
            assert_eq!(
                retry_message(conn, &id).unwrap_err().code(),
                "outbox_not_retryable"
            );
            assert_eq!(cancel_message(conn, &id).unwrap().state, "cancelled");
            // A cancelled message is never taken.
            assert!(claim_due(
                conn,
                "w",
                &acme(),
                Duration::from_secs(60),
                &RetryPolicy::default(),
                1
            )
            .unwrap()
            .is_empty());
            id
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let list = api
            .send(get("/v1/outbox?state=cancelled", &k.treasurer))
            .await
            .expect(200);
        assert_eq!(list["items"][0]["id"], json!(id));
        api.send(get("/v1/outbox", &k.accountant))
            .await
            .problem(403, "forbidden");
        let r = api
            .send(post(
                &format!("/v1/outbox/{id}/retry"),
                &k.treasurer,
                &json!({}),
            ))
            .await
            .expect(200);
        assert_eq!(r["state"], json!("pending"));
        let r = api
            .send(post(
                &format!("/v1/outbox/{id}/retry"),
                &k.treasurer,
                &json!({}),
            ))
            .await;
        r.problem(409, "outbox_not_retryable");
        let r = api
            .send(post(
                &format!("/v1/outbox/{id}/cancel"),
                &k.admin,
                &json!({}),
            ))
            .await
            .expect(200);
        assert_eq!(r["state"], json!("cancelled"));
        let one = api
            .send(get(&format!("/v1/outbox/{id}"), &k.treasurer))
            .await
            .expect(200);
        // The refused attempt stays on record.
        assert_eq!(one["attempt_log"][0]["outcome"], json!("failed"));
        assert_eq!(
            one["attempt_log"][0]["error_code"],
            json!("adapter_rejected")
        );
        api.send(get("/v1/outbox/nope", &k.treasurer))
            .await
            .problem(404, "outbox_message_not_found");
    }
}
