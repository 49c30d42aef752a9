//! The worker against the sandbox insurer over real HTTP, on both
//! backends: a 503 is retried with the same idempotency key, a refusal is
//! parked with its attempts, a limit request goes requested → pending →
//! polled → approved as decision rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use factorgate::config::WorkerSettings;
use factorgate::domain::outbox::RetryPolicy;
use factorgate::jobs::{Connections, Worker};
use factorgate::service::claims::notify_overdue;
use factorgate::service::outbox::{get_message, retry_message, Message};
use factorgate::store::schema::{insurance_limit_decisions as decisions, insurance_notices};
use factorgate::store::Store;
use factorgate_adapter::Secret;
use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};
use factorgate_sandbox::{SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

use crate::api::{keys, post, state, Api};
use crate::common::backends;
use crate::outbox::{d, setup};

pub(crate) fn sandbox(config: SandboxConfig) -> SandboxHandle {
    factorgate_sandbox::spawn(config, "127.0.0.1:0").expect("sandbox")
}

/// Short waits so a test retries within a second or two.
pub(crate) fn settings() -> WorkerSettings {
    WorkerSettings {
        enabled: true,
        poll: Duration::from_millis(20),
        batch: 8,
        timeout: Duration::from_secs(5),
        lease: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
            jitter: 0.0,
        },
        decision_poll: Duration::ZERO,
    }
}

fn worker(store: &Store, base_url: &str, secret: &str) -> Worker {
    let insurer = RestInsurer::new(RestInsurerConfig {
        base_url: base_url.to_string(),
        client_id: "factorgate".into(),
        client_secret: Secret::new(secret),
        timeout: Duration::from_secs(5),
    })
    .expect("adapter");
    let connections = Connections::default().with("acme", Arc::new(insurer));
    Worker::new(store.clone(), connections, settings())
}

/// Runs passes until the message is done or parked (20 s at most).
async fn settle(worker: &Worker, store: &Store, id: &str) -> Message {
    let started = Instant::now();
    loop {
        worker.run_once().await.expect("pass");
        let m = get_message(&mut store.conn().unwrap(), id).unwrap();
        if m.state == "done" || m.state == "failed" {
            return m;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "stuck: {m:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The sandbox's log of requests carrying `key`.
pub(crate) async fn logged(base_url: &str, key: &str) -> Vec<Value> {
    let all: Vec<Value> = reqwest::get(format!("{base_url}/sandbox/requests"))
        .await
        .expect("sandbox log")
        .json()
        .await
        .expect("log JSON");
    all.into_iter()
        .filter(|r| r["idempotency_key"] == json!(key))
        .collect()
}

#[actix_web::test]
async fn a_503_is_retried_with_the_same_idempotency_key() {
    for db in backends() {
        let mut config = SandboxConfig::default();
        config.fail_first.notify_overdue = 1;
        let insurer = sandbox(config);
        let (policy, invoice, _) = setup(&db, &mut db.store.conn().unwrap(), Some("acme"));
        let notice = notify_overdue(
            &mut db.store.conn().unwrap(),
            &policy,
            &invoice,
            "overdue",
            d(2026, 4, 10),
        )
        .unwrap();
        let id = notice.outbox_message.unwrap();
        let w = worker(&db.store, &insurer.base_url(), "sandbox-secret");

        let first = w.run_once().await.unwrap();
        assert_eq!((first.taken, first.rescheduled), (1, 1), "{}", db.name);
        let m = get_message(&mut db.store.conn().unwrap(), &id).unwrap();
        assert_eq!((m.state.as_str(), m.attempts), ("pending", 1));
        assert_eq!(m.last_error_code.as_deref(), Some("adapter_unavailable"));
        // The sandbox asked for Retry-After: 1 s, longer than our 50 ms
        // backoff: the next attempt is at least ~1 s after the failure.
        let wait = m.next_attempt_at - m.updated_at;
        assert!(wait >= chrono::Duration::milliseconds(990), "{wait}");

        let m = settle(&w, &db.store, &id).await;
        assert_eq!((m.state.as_str(), m.attempts), ("done", 2), "{}", db.name);
        let log = m.attempt_log.unwrap();
        let outcomes: Vec<(&str, Option<&str>)> = log
            .iter()
            .map(|a| (a.outcome.as_str(), a.error_code.as_deref()))
            .collect();
        assert_eq!(
            outcomes,
            vec![("retry", Some("adapter_unavailable")), ("succeeded", None)]
        );
        // The insurer saw the same key twice: refused, then accepted.
        let key = format!("fg:notify_overdue:{}", notice.id);
        let seen = logged(&insurer.base_url(), &key).await;
        let statuses: Vec<u64> = seen.iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses.len(), 2, "{seen:?}");
        assert_eq!(statuses[0], 503);
        assert!((200..300).contains(&statuses[1]), "{statuses:?}");
        // The receipt's reference is on the notice.
        let reference: Option<String> = insurance_notices::table
            .find(&notice.id)
            .select(insurance_notices::insurer_reference)
            .first(&mut *db.store.conn().unwrap())
            .unwrap();
        assert_eq!(
            reference.as_deref(),
            m.result.as_ref().unwrap()["insurer_reference"].as_str()
        );
        assert!(reference.is_some_and(|r| !r.is_empty()));
        insurer.stop();
    }
}

#[actix_web::test]
async fn refused_credentials_park_the_message_until_a_person_retries() {
    for db in backends() {
        let insurer = sandbox(SandboxConfig::default());
        let (policy, invoice, _) = setup(&db, &mut db.store.conn().unwrap(), Some("acme"));
        let notice = notify_overdue(
            &mut db.store.conn().unwrap(),
            &policy,
            &invoice,
            "overdue",
            d(2026, 4, 10),
        )
        .unwrap();
        let id = notice.outbox_message.unwrap();
        let wrong = worker(&db.store, &insurer.base_url(), "not-the-secret");
        let pass = wrong.run_once().await.unwrap();
        // Not retryable: parked at the first attempt, budget untouched.
        assert_eq!((pass.taken, pass.parked), (1, 1), "{}", db.name);
        let m = get_message(&mut db.store.conn().unwrap(), &id).unwrap();
        assert_eq!((m.state.as_str(), m.attempts), ("failed", 1));
        assert_eq!(m.last_error_code.as_deref(), Some("adapter_unauthorized"));
        let log = m.attempt_log.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].outcome.as_str(), log[0].error_code.as_deref()),
            ("failed", Some("adapter_unauthorized"))
        );
        assert!(log[0].finished_at.is_some() && log[0].duration_ms.is_some());
        // Nothing more happens on its own.
        assert_eq!(wrong.run_once().await.unwrap().taken, 0);

        // The secret fixed, a person retries: same key, done.
        retry_message(&mut db.store.conn().unwrap(), &id).unwrap();
        let right = worker(&db.store, &insurer.base_url(), "sandbox-secret");
        let m = settle(&right, &db.store, &id).await;
        assert_eq!((m.state.as_str(), m.attempts), ("done", 2), "{}", db.name);
        let key = format!("fg:notify_overdue:{}", notice.id);
        let seen = logged(&insurer.base_url(), &key).await;
        assert_eq!(
            seen.len(),
            1,
            "the refused attempt never reached the notice: {seen:?}"
        );
        insurer.stop();
    }
}

#[actix_web::test]
async fn a_limit_request_goes_requested_pending_polled_approved() {
    for db in backends() {
        // One poll answers PENDING, the next one decides.
        let insurer = sandbox(SandboxConfig {
            pending_polls: 1,
            ..SandboxConfig::default()
        });
        let (policy, _, buyer) = setup(&db, &mut db.store.conn().unwrap(), Some("acme"));
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let body = json!({"policy_id": policy, "buyer": "siren:732829320", "amount": "20000.00"});
        let r = api
            .send(post("/v1/insurance/limit-requests", &k.treasurer, &body))
            .await;
        let requested = r.expect(201);
        let decision_id = requested["id"].as_str().unwrap().to_string();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/insurance/limit-decisions/{decision_id}").as_str())
        );
        assert_eq!(requested["kind"], json!("requested"));
        let message = requested["message_id"].as_str().unwrap().to_string();

        let w = worker(&db.store, &insurer.base_url(), "sandbox-secret");
        let m = settle(&w, &db.store, &message).await;
        assert_eq!(m.state, "done", "{}", db.name);
        // Then the polls: the first still pending, the second decides.
        for _ in 0..20 {
            if w.run_once().await.unwrap().taken == 0 {
                break;
            }
        }
        let rows: Vec<(String, Option<i64>, Option<String>)> = decisions::table
            .filter(decisions::buyer_id.eq(&buyer))
            .order(decisions::created_at)
            .select((
                decisions::kind,
                decisions::amount_minor,
                decisions::reference,
            ))
            .load(&mut *db.store.conn().unwrap())
            .unwrap();
        let kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            kinds,
            vec!["requested", "pending", "approved"],
            "{}",
            db.name
        );
        // EUR 20,000.00 asked, at most approve_up_to (50,000): granted in
        // full, 2,000,000 cents.
        assert_eq!((rows[0].1, rows[2].1), (Some(2_000_000), Some(2_000_000)));
        // The job reference rides on the pending row and the decision.
        assert!(rows[1].2.is_some());
        let polls: Vec<Message> = factorgate::service::outbox::list_messages(
            &mut db.store.conn().unwrap(),
            &factorgate::service::outbox::MessageFilter {
                subject_id: Some(decision_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let ops: Vec<(&str, &str)> = polls
            .iter()
            .rev()
            .map(|m| (m.operation.as_str(), m.state.as_str()))
            .collect();
        assert_eq!(
            ops,
            vec![
                ("request_limit", "done"),
                ("poll_decision", "done"),
                ("poll_decision", "done")
            ]
        );
        insurer.stop();
    }
}
