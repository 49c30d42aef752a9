//! The REST insurer adapter over real HTTP against the sandbox, spawned in
//! process on 127.0.0.1: tokens, decisions, idempotency, notices, claims,
//! settlements and the failures the outbox must tell apart.

use std::time::Duration;

use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, Amount, BuyerIdentity, ClaimFiling, InsurerAdapter, LegalId, LimitRequest,
    LimitRequestKind, LimitStatus, OverdueNotice, Secret, SettlementKind,
};
use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};
use factorgate_sandbox::{spawn, SandboxConfig, SandboxHandle};
use serde_json::Value;

fn adapter(sandbox: &SandboxHandle, secret: &str, timeout_ms: u64) -> RestInsurer {
    RestInsurer::new(RestInsurerConfig {
        base_url: sandbox.base_url(),
        client_id: "factorgate".into(),
        client_secret: Secret::new(secret),
        timeout: Duration::from_millis(timeout_ms),
    })
    .unwrap()
}

fn eur(minor: i64) -> Amount {
    Amount {
        minor,
        exponent: 2,
        currency: *b"EUR",
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn buyer(siren: &str) -> BuyerIdentity {
    BuyerIdentity {
        name: "Acheteur SA".into(),
        country: "FR".into(),
        legal_ids: vec![LegalId {
            scheme: "0002".into(),
            value: siren.into(),
        }],
        insurer_buyer_id: None,
    }
}

fn limit(key: &str, siren: &str, minor: i64) -> LimitRequest {
    LimitRequest {
        idempotency_key: key.into(),
        policy_number: "POL-1".into(),
        kind: LimitRequestKind::New,
        buyer: buyer(siren),
        amount: eur(minor),
        wanted_from: day("2025-03-01"),
    }
}

fn notice(key: &str) -> OverdueNotice {
    OverdueNotice {
        idempotency_key: key.into(),
        policy_number: "POL-1".into(),
        buyer: buyer("552100554"),
        invoice_number: "F-2025-001".into(),
        issue_date: day("2025-01-10"),
        due_date: day("2025-02-10"),
        overdue: eur(120_000),
    }
}

async fn log(sandbox: &SandboxHandle) -> Vec<Value> {
    let url = format!("{}/sandbox/requests", sandbox.base_url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

fn count(log: &[Value], path: &str) -> usize {
    log.iter().filter(|r| r["path"] == path).count()
}

#[tokio::test]
async fn the_token_is_cached_and_fetched_again_once_after_a_401() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let id = LegalId {
        scheme: "0002".into(),
        value: "552100554".into(),
    };
    assert_eq!(insurer.find_buyer(&id).await.unwrap(), None);
    assert_eq!(insurer.find_buyer(&id).await.unwrap(), None);
    assert_eq!(count(&log(&sandbox).await, "/oauth/token"), 1, "cached");

    let expire = format!("{}/sandbox/expire-tokens", sandbox.base_url());
    reqwest::Client::new().post(expire).send().await.unwrap();
    assert_eq!(insurer.find_buyer(&id).await.unwrap(), None);
    let log = log(&sandbox).await;
    assert_eq!(count(&log, "/oauth/token"), 2);
    let statuses: Vec<_> = log
        .iter()
        .filter(|r| r["path"] == "/v1/buyers")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 401, 200], "one 401, then the retry");
    sandbox.stop();
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_before_it_expires() {
    let config = SandboxConfig {
        token_ttl_secs: 1,
        ..SandboxConfig::default()
    };
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let since = day("2025-01-01");
    assert!(insurer.fetch_settlements(since).await.unwrap().is_empty());
    // 1 s token, refreshed 0.1 s before expiry: after 1 s it is renewed.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(insurer.fetch_settlements(since).await.unwrap().is_empty());
    let log = log(&sandbox).await;
    assert_eq!(count(&log, "/oauth/token"), 2);
    assert!(
        log.iter().all(|r| r["status"] != 401),
        "never sent a stale token"
    );
    sandbox.stop();
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_not_retried() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "wrong", 2000);
    let e = insurer
        .request_limit(&limit("k", "552100554", 100))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::Unauthorized(m) if m.contains("invalid_client")),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(count(&log(&sandbox).await, "/v1/credit-limit-requests"), 0);
    sandbox.stop();
}

#[tokio::test]
async fn limit_requests_are_pending_then_polled_to_their_decision() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    // Default rules: approve up to 50000; above, half (0.5) of the request;
    // 0002:999999999 refused; 0002:777777777 answers an unknown status.
    let cases = [
        (
            "a",
            "552100554",
            3_000_000,
            LimitStatus::Approved,
            Some(3_000_000),
        ),
        // 80000.00 × 0.5 = 40000.00 → 4 000 000 cents.
        (
            "p",
            "552100554",
            8_000_000,
            LimitStatus::PartiallyApproved,
            Some(4_000_000),
        ),
        ("r", "999999999", 100_000, LimitStatus::Refused, None),
        (
            "c",
            "111111111",
            100_000,
            LimitStatus::Conditional,
            Some(100_000),
        ),
        ("u", "777777777", 100_000, LimitStatus::Pending, None),
    ];
    for (key, siren, minor, want, granted) in cases {
        let asked = insurer
            .request_limit(&limit(key, siren, minor))
            .await
            .unwrap();
        assert_eq!(asked.status, LimitStatus::Pending, "{key}");
        assert_eq!(asked.raw_status, "PENDING");
        assert!(asked.reference.starts_with("JOB-"));
        // pending_polls = 1: the first poll is still pending.
        let first = insurer.poll_decision(&asked.reference).await.unwrap();
        assert_eq!(first.status, LimitStatus::Pending, "{key}");
        let done = insurer.poll_decision(&asked.reference).await.unwrap();
        assert_eq!(done.status, want, "{key}");
        assert_eq!(done.amount, granted.map(eur), "{key}");
        assert_eq!(done.insurer_buyer_id, Some(format!("BUY-0002-{siren}")));
        if want == LimitStatus::Pending {
            assert_eq!(done.raw_status, "UNDER_REVIEW_LEVEL_2");
            assert_eq!(done.reference, asked.reference, "still the job to poll");
        } else {
            assert!(done.reference.starts_with("DEC-"), "{key}");
        }
    }
    let missing = insurer.poll_decision("JOB-999999").await.unwrap_err();
    assert!(matches!(missing, AdapterError::NotFound(_)), "{missing:?}");
    sandbox.stop();
}

#[tokio::test]
async fn a_decision_carries_its_dates_and_reason() {
    let config = SandboxConfig {
        pending_polls: 0,
        ..SandboxConfig::default()
    };
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let job = insurer
        .request_limit(&limit("d", "552100554", 100))
        .await
        .unwrap();
    let done = insurer.poll_decision(&job.reference).await.unwrap();
    assert_eq!(done.effective_on, Some(day("2025-03-01")));
    // 2025-03-01 + 365 days = 2026-03-01 (no 29 February in between).
    assert_eq!(done.expires_on, Some(day("2026-03-01")));
    let job = insurer
        .request_limit(&limit("r", "999999999", 100))
        .await
        .unwrap();
    let refused = insurer.poll_decision(&job.reference).await.unwrap();
    assert_eq!(refused.note.as_deref(), Some("Buyer risk not acceptable"));
    assert_eq!(refused.expires_on, None);
    sandbox.stop();
}

#[tokio::test]
async fn a_retry_with_the_same_key_is_a_replay_and_a_changed_body_is_rejected() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let first = insurer
        .request_limit(&limit("same", "552100554", 100))
        .await
        .unwrap();
    let again = insurer
        .request_limit(&limit("same", "552100554", 100))
        .await
        .unwrap();
    assert_eq!(first.reference, again.reference);
    let e = insurer
        .request_limit(&limit("same", "552100554", 200))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "IDEMPOTENCY_KEY_REUSED"),
        "{e:?}"
    );
    let log = log(&sandbox).await;
    let replays: Vec<_> = log
        .iter()
        .filter(|r| r["idempotency_key"] == "same")
        .map(|r| r["replay"].as_bool().unwrap())
        .collect();
    assert_eq!(replays, [false, true, false]);
    sandbox.stop();
}

#[tokio::test]
async fn notices_claims_and_settlements() {
    let config = SandboxConfig::from_toml_str(
        r#"
        today = "2025-05-02"
        [[settlements]]
        settlement_id = "S-1"
        claim_id = "CLM-9"
        kind = "INDEMNITY"
        amount = "9000.00"
        currency = "EUR"
        paid_on = "2025-04-01"
        [[settlements]]
        settlement_id = "S-2"
        claim_id = "CLM-9"
        kind = "RECOVERY_SHARE"
        amount = "150.5"
        currency = "EUR"
        paid_on = "2025-04-20"
        [[settlements]]
        settlement_id = "S-3"
        claim_id = "CLM-9"
        kind = "ADJUSTMENT"
        amount = "12"
        currency = "JPY"
        paid_on = "2025-04-21"
        "#,
    )
    .unwrap();
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let receipt = insurer.notify_overdue(&notice("n1")).await.unwrap();
    assert!(receipt.insurer_reference.starts_with("OVN-"));
    assert_eq!(receipt.received_on, day("2025-05-02"));
    assert_eq!(receipt.raw_status, "RECEIVED");
    let mut bad = notice("n2");
    bad.due_date = day("2025-01-01");
    let e = insurer.notify_overdue(&bad).await.unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, message }
        if code == "INVALID_REQUEST" && message.contains("dueDate")),
        "{e:?}"
    );

    let claim = ClaimFiling {
        idempotency_key: "c1".into(),
        policy_number: "POL-1".into(),
        buyer: buyer("552100554"),
        invoice_numbers: vec!["F-2025-001".into()],
        loss: eur(120_000),
        filed_on: day("2025-05-01"),
    };
    let receipt = insurer.file_claim(&claim).await.unwrap();
    assert!(receipt.insurer_reference.starts_with("CLM-"));
    assert_eq!(receipt.raw_status, "REGISTERED");

    let paid = insurer.fetch_settlements(day("2025-04-02")).await.unwrap();
    let seen: Vec<_> = paid
        .iter()
        .map(|s| {
            (
                s.settlement_id.as_str(),
                s.kind,
                s.amount.minor,
                s.amount.exponent,
            )
        })
        .collect();
    // S-1 was paid before the 2nd; 150.5 EUR = 15050 cents; 12 JPY = 12.
    assert_eq!(
        seen,
        [
            ("S-2", SettlementKind::RecoveryShare, 15_050, 2),
            ("S-3", SettlementKind::Other, 12, 0)
        ]
    );
    sandbox.stop();
}

#[tokio::test]
async fn an_outage_is_unavailable_with_its_retry_after() {
    let mut config = SandboxConfig::default();
    config.fail_first.file_claim = 1;
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let claim = ClaimFiling {
        idempotency_key: "c1".into(),
        policy_number: "POL-1".into(),
        buyer: buyer("552100554"),
        invoice_numbers: vec!["F-1".into()],
        loss: eur(5_000),
        filed_on: day("2025-05-01"),
    };
    let e = insurer.file_claim(&claim).await.unwrap_err();
    assert_eq!(
        e,
        AdapterError::Unavailable {
            status: 503,
            message: "SERVICE_UNAVAILABLE: simulated outage (fail_first)".into(),
            retry_after: Some(1),
        }
    );
    assert!(e.is_retryable());
    assert!(
        insurer.file_claim(&claim).await.is_ok(),
        "the second call goes through"
    );
    sandbox.stop();
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_though_the_request_arrived() {
    let mut config = SandboxConfig::default();
    config.delays_ms.notify_overdue = 1500;
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 300);
    let e = insurer.notify_overdue(&notice("slow")).await.unwrap_err();
    assert_eq!(e, AdapterError::Timeout(300));
    assert!(e.is_retryable());
    let log = log(&sandbox).await;
    let arrived: Vec<_> = log
        .iter()
        .filter(|r| r["idempotency_key"] == "slow")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        arrived,
        [201],
        "the insurer recorded it: retry with the same key"
    );
    sandbox.stop();
}

#[tokio::test]
async fn a_closed_port_is_a_transport_failure() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    sandbox.stop();
    let e = insurer
        .fetch_settlements(day("2025-01-01"))
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Transport(_)), "{e:?}");
}

#[tokio::test]
async fn a_buyer_is_known_once_the_insurer_has_seen_it() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let insurer = adapter(&sandbox, "sandbox-secret", 2000);
    let id = LegalId {
        scheme: "0002".into(),
        value: "552100554".into(),
    };
    assert_eq!(insurer.find_buyer(&id).await.unwrap(), None);
    insurer
        .request_limit(&limit("k", "552100554", 100))
        .await
        .unwrap();
    let found = insurer.find_buyer(&id).await.unwrap().unwrap();
    assert_eq!(found.insurer_buyer_id, "BUY-0002-552100554");
    assert_eq!(
        (found.name.as_str(), found.country.as_str()),
        ("Acheteur SA", "FR")
    );
    sandbox.stop();
}
