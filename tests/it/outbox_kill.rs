//! The kill test: a `factorgate worker` process is SIGKILLed while its call
//! to the insurer is in flight; a new worker takes the message over when
//! the lease expires. Nothing is lost, nothing is sent twice.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use factorgate::service::claims::notify_overdue;
use factorgate::service::outbox::get_message;
use factorgate::store::schema::insurance_notices;
use factorgate::store::DatabaseUrl;
use factorgate_sandbox::SandboxConfig;

use crate::common::backends;
use crate::outbox::{d, setup};
use crate::outbox_http::{logged, sandbox};

/// The insurer takes 1.5 s to answer a notice; a worker allows 5 s per
/// call and holds a message 6 s.
fn config(dir: &std::path::Path, base_url: &str) -> std::path::PathBuf {
    let path = dir.join("factorgate.toml");
    std::fs::write(
        &path,
        format!(
            "[worker]\ntimeout_ms = 5000\nlease_secs = 6\npoll_ms = 50\nbackoff_base_ms = 50\n\n\
             [insurers.acme]\nadapter = \"rest\"\nbase_url = \"{base_url}\"\n\
             client_id = \"factorgate\"\nclient_secret_env = \"KILL_TEST_SECRET\"\n"
        ),
    )
    .unwrap();
    path
}

fn start_worker(config: &std::path::Path, database: &str, log: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_factorgate"))
        .args(["--config", config.to_str().unwrap(), "--database", database])
        .args(["worker", "--poll-ms", "50"])
        .env("KILL_TEST_SECRET", "sandbox-secret")
        .env("FACTORGATE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start factorgate worker")
}

#[actix_web::test]
async fn a_worker_killed_mid_call_loses_nothing_and_sends_nothing_twice() {
    for db in backends() {
        let mut slow = SandboxConfig::default();
        slow.delays_ms.notify_overdue = 1500;
        let insurer = sandbox(slow);
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), &insurer.base_url());
        let database = match db.store.url() {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
            DatabaseUrl::SqliteMemory => unreachable!("tests use files"),
        };
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
        let key = format!("fg:notify_overdue:{}", notice.id);

        // The first worker sends the notice; once the insurer has it (and
        // is still "thinking"), the worker dies.
        let mut first = start_worker(&cfg, &database, &dir.path().join("first.log"));
        let started = Instant::now();
        while logged(&insurer.base_url(), &key).await.is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{}: the notice never reached the insurer",
                db.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.kill().expect("SIGKILL");
        first.wait().unwrap();
        let m = get_message(&mut db.store.conn().unwrap(), &id).unwrap();
        assert_eq!(
            (m.state.as_str(), m.attempts),
            ("in_flight", 1),
            "{}",
            db.name
        );

        // A new worker takes it over when the lease expires.
        let mut second = start_worker(&cfg, &database, &dir.path().join("second.log"));
        let started = Instant::now();
        let m = loop {
            let m = get_message(&mut db.store.conn().unwrap(), &id).unwrap();
            if m.state == "done" || m.state == "failed" {
                break m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{}: not done: {m:?}",
                db.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        second.kill().unwrap();
        second.wait().unwrap();

        assert_eq!(m.state, "done", "{}: {m:?}", db.name);
        // Every attempt is on record: the dead one abandoned, the second
        // one succeeded, by two different workers.
        let log = m.attempt_log.clone().unwrap();
        let outcomes: Vec<&str> = log.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(outcomes, vec!["abandoned", "succeeded"], "{}", db.name);
        assert_eq!(log[0].error_code.as_deref(), Some("lease_expired"));
        assert_ne!(log[0].worker, log[1].worker);
        // Exactly one request reached the insurer as new; the second was
        // recognised as a replay of it.
        let seen = logged(&insurer.base_url(), &key).await;
        let replays: Vec<bool> = seen.iter().map(|r| r["replay"] == true).collect();
        assert_eq!(replays, vec![false, true], "{}: {seen:?}", db.name);
        // The notice has the insurer's reference.
        let reference: Option<String> = insurance_notices::table
            .find(&notice.id)
            .select(insurance_notices::insurer_reference)
            .first(&mut *db.store.conn().unwrap())
            .unwrap();
        let answered = m.result.as_ref().unwrap()["insurer_reference"].clone();
        assert!(reference.as_deref().is_some_and(|r| !r.is_empty()));
        assert_eq!(reference.as_deref(), answered.as_str(), "{}", db.name);
        insurer.stop();
    }
}
