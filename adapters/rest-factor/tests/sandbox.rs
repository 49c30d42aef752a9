//! The REST factor adapter over real HTTP against the sandbox factor,
//! spawned in process on 127.0.0.1: every trait method, the figures of
//! the sandbox's terms worked out by hand, idempotent retries, tokens,
//! outages and unknown statuses.
//!
//! Default terms: advance 90% of approved amounts, reserve 10% of the
//! total, commission 0.5% of invoices + 20% VAT, interest 5% a year over
//! 360 days to the due date, recourse 60 days after the due date; debtor
//! limits 0002:552100554 → 50000, 0002:732829320 → 20000.

use std::time::Duration;

use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, Amount, AssignedDocument, AssignmentStatus, AssignmentSubmission, BuyerIdentity,
    DebtorApprovalRequest, DocumentKind, FactorAdapter, FactorMovementKind as K, FundingRequest,
    FundingStatus, LegalId, LimitRequestKind, LimitStatus, Secret, SellerIdentity,
};
use factorgate_rest_factor::{RestFactor, RestFactorConfig};
use factorgate_sandbox::{spawn, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

fn adapter(sandbox: &SandboxHandle, secret: &str, timeout_ms: u64) -> RestFactor {
    RestFactor::new(RestFactorConfig {
        base_url: sandbox.base_url(),
        client_id: "factorgate".into(),
        client_secret: Secret::new(secret),
        timeout: Duration::from_millis(timeout_ms),
    })
    .unwrap()
}

fn start(config: SandboxConfig) -> (SandboxHandle, RestFactor) {
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let factor = adapter(&sandbox, "sandbox-secret", 2000);
    (sandbox, factor)
}

/// The sandbox on Monday 2 March 2026.
fn monday() -> SandboxConfig {
    SandboxConfig {
        today: Some(day("2026-03-02")),
        ..SandboxConfig::default()
    }
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
        name: format!("Acheteur {siren}"),
        country: "FR".into(),
        legal_ids: vec![LegalId {
            scheme: "0002".into(),
            value: siren.into(),
        }],
        insurer_buyer_id: None,
    }
}

fn doc(
    kind: DocumentKind,
    number: &str,
    siren: &str,
    gross: i64,
    approved: i64,
) -> AssignedDocument {
    AssignedDocument {
        kind,
        number: number.into(),
        buyer: buyer(siren),
        issue_date: day("2026-03-01"),
        due_date: day("2026-04-30"),
        gross: eur(gross),
        approved: eur(approved),
    }
}

/// F-1 6000.00 (approved 6000) and F-2 10000.00 (approved 7500), less
/// credit note AV-1 1000.00: 15000.00.
fn assignment(key: &str, number: &str) -> AssignmentSubmission {
    AssignmentSubmission {
        idempotency_key: key.into(),
        contract_number: "CTR-1".into(),
        assignment_number: number.into(),
        seller: SellerIdentity {
            name: "Société Exemple SA".into(),
            siren: Some("443061841".into()),
            vat: None,
            iban: None,
        },
        assigned_on: day("2026-03-02"),
        documents: vec![
            doc(DocumentKind::Invoice, "F-1", "552100554", 600_000, 600_000),
            doc(
                DocumentKind::Invoice,
                "F-2",
                "732829320",
                1_000_000,
                750_000,
            ),
            doc(DocumentKind::CreditNote, "AV-1", "732829320", 100_000, 0),
        ],
        total: eur(1_500_000),
    }
}

async fn hook(sandbox: &SandboxHandle, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn set_today(sandbox: &SandboxHandle, today: &str) {
    let r = hook(sandbox, "/sandbox/factor/clock", json!({ "today": today })).await;
    assert_eq!(r.status(), 200);
}

async fn log(sandbox: &SandboxHandle) -> Vec<Value> {
    let url = format!("{}/sandbox/requests", sandbox.base_url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// (kind, minor) of each line of a statement.
fn moves(s: &factorgate_adapter::FactorStatement) -> Vec<(K, i64)> {
    s.lines.iter().map(|l| (l.kind, l.amount.minor)).collect()
}

#[tokio::test]
async fn an_assignment_is_acknowledged_then_funded_on_the_next_business_day() {
    let (sandbox, factor) = start(monday());
    let sent = factor
        .submit_assignment(&assignment("k1", "A-0001"))
        .await
        .unwrap();
    assert_eq!(sent.status, AssignmentStatus::Pending);
    assert_eq!(sent.raw_status, "RECEIVED");
    assert!(sent.reference.starts_with("ASG-"));
    let same_day = factor.assignment_status(&sent.reference).await.unwrap();
    assert_eq!(same_day.status, AssignmentStatus::Acknowledged);
    assert_eq!(same_day.advance, None);
    set_today(&sandbox, "2026-03-03").await;
    let funded = factor.assignment_status(&sent.reference).await.unwrap();
    assert_eq!(funded.status, AssignmentStatus::Funded);
    // 0.90 × (6000.00 + 7500.00) = 12150.00, on Tuesday 3 March.
    assert_eq!(funded.advance, Some(eur(1_215_000)));
    assert_eq!(funded.value_date, Some(day("2026-03-03")));
    assert!(funded.rejected.is_empty());
    let missing = factor.assignment_status("ASG-999999").await.unwrap_err();
    assert!(matches!(missing, AdapterError::NotFound(_)), "{missing:?}");
    sandbox.stop();
}

#[tokio::test]
async fn statements_list_funding_collections_and_recourse_with_their_balances() {
    let (sandbox, factor) = start(monday());
    factor
        .submit_assignment(&assignment("k1", "A-0001"))
        .await
        .unwrap();
    set_today(&sandbox, "2026-03-03").await;
    let list = factor
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "one statement per day with movements");
    assert_eq!(list[0].issued_on, day("2026-03-02"));
    assert_eq!(moves(&list[0]), [(K::Assignment, 1_500_000)]);
    assert_eq!(
        (list[0].opening_balance, list[0].closing_balance),
        (eur(0), eur(1_500_000))
    );
    // Funding day: advance 12150.00; interest 12150 × 5% × 58 days
    // (3 March to 30 April) / 360 = 97.875 → 97.88; commission 0.5% of
    // 16000.00 invoices = 80.00, VAT 20% = 16.00; reserve 10% of 15000.00.
    let funding = &list[1];
    assert_eq!(
        moves(funding),
        [
            (K::Advance, -1_215_000),
            (K::Interest, -9_788),
            (K::Fee, -8_000),
            (K::FeeVat, -1_600),
            (K::ReserveHeld, -150_000),
        ]
    );
    // 15000 - 12150 - 97.88 - 80 - 16 - 1500 = 1156.12.
    assert_eq!(funding.opening_balance, eur(1_500_000));
    assert_eq!(funding.closing_balance, eur(115_612));
    assert_eq!(funding.lines[0].value_date, Some(day("2026-03-03")));
    assert_eq!(
        funding.lines[0].assignment_number.as_deref(),
        Some("A-0001")
    );

    // The buyer of F-1 pays 4000.00 of it to the factor on 20 March.
    let r = hook(
        &sandbox,
        "/sandbox/factor/collections",
        json!({"invoiceNumber": "F-1", "amount": "4000.00", "paidOn": "2026-03-20"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    set_today(&sandbox, "2026-03-20").await;
    let list = factor
        .fetch_statements("CTR-1", day("2026-03-04"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    // The collection is a memo line; the reserve released is 10% of it.
    assert_eq!(
        moves(&list[0]),
        [(K::Collection, 400_000), (K::ReserveReleased, 40_000)]
    );
    assert_eq!(list[0].lines[0].invoice_number.as_deref(), Some("F-1"));
    assert_eq!(
        (list[0].opening_balance, list[0].closing_balance),
        (eur(115_612), eur(155_612))
    );

    // 60 days after the 30 April due date, 29 June: F-1's open 2000.00 and
    // F-2's 10000.00 come back, each releasing 10% of reserve.
    set_today(&sandbox, "2026-06-29").await;
    let list = factor
        .fetch_statements("CTR-1", day("2026-06-01"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].issued_on, day("2026-06-29"));
    assert_eq!(
        moves(&list[0]),
        [
            (K::Recourse, -200_000),
            (K::ReserveReleased, 20_000),
            (K::Recourse, -1_000_000),
            (K::ReserveReleased, 100_000),
        ]
    );
    // 1556.12 - 2000 + 200 - 10000 + 1000 = -9243.88.
    assert_eq!(list[0].closing_balance, eur(-924_388));
    sandbox.stop();
}

#[tokio::test]
async fn a_collection_for_an_unknown_invoice_is_refused_by_the_hook() {
    let (sandbox, factor) = start(monday());
    factor
        .submit_assignment(&assignment("k1", "A-0001"))
        .await
        .unwrap();
    let r = hook(
        &sandbox,
        "/sandbox/factor/collections",
        json!({"invoiceNumber": "F-404", "amount": "1.00"}),
    )
    .await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNKNOWN_INVOICE");
    // More than the invoice's 6000.00 is refused too.
    let r = hook(
        &sandbox,
        "/sandbox/factor/collections",
        json!({"invoiceNumber": "F-1", "amount": "6000.01"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    sandbox.stop();
}

#[tokio::test]
async fn a_retry_with_the_same_key_is_a_replay_and_a_second_assignment_of_an_invoice_is_rejected() {
    let (sandbox, factor) = start(monday());
    let first = factor
        .submit_assignment(&assignment("same", "A-0001"))
        .await
        .unwrap();
    let again = factor
        .submit_assignment(&assignment("same", "A-0001"))
        .await
        .unwrap();
    assert_eq!(first.reference, again.reference);
    let log = log(&sandbox).await;
    let replays: Vec<_> = log
        .iter()
        .filter(|r| r["idempotency_key"] == "same")
        .map(|r| r["replay"].as_bool().unwrap())
        .collect();
    assert_eq!(replays, [false, true]);
    // The same invoices under a new key: double financing, refused one by one.
    let twice = factor
        .submit_assignment(&assignment("other", "A-0002"))
        .await
        .unwrap();
    assert_eq!(twice.status, AssignmentStatus::Rejected);
    let numbers: Vec<_> = twice.rejected.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["F-1", "F-2", "AV-1"]);
    assert!(twice.rejected[0].reason.starts_with("ALREADY_ASSIGNED"));
    sandbox.stop();
}

fn approval(key: &str, siren: &str, minor: i64) -> DebtorApprovalRequest {
    DebtorApprovalRequest {
        idempotency_key: key.into(),
        contract_number: "CTR-1".into(),
        kind: LimitRequestKind::New,
        buyer: buyer(siren),
        amount: eur(minor),
        wanted_from: day("2026-03-01"),
    }
}

#[tokio::test]
async fn debtor_approvals_are_pending_then_decided_from_the_debtor_limits() {
    let (sandbox, factor) = start(monday());
    let cases = [
        (
            "a",
            "732829320",
            1_500_000,
            LimitStatus::Approved,
            Some(1_500_000),
        ),
        // 25000.00 asked, limit 20000.00.
        (
            "p",
            "732829320",
            2_500_000,
            LimitStatus::PartiallyApproved,
            Some(2_000_000),
        ),
        ("r", "123456789", 100_000, LimitStatus::Refused, None),
        ("u", "777777777", 100_000, LimitStatus::Pending, None),
    ];
    for (key, siren, minor, want, approved) in cases {
        let asked = factor
            .request_approval(&approval(key, siren, minor))
            .await
            .unwrap();
        assert_eq!(
            (asked.status, asked.raw_status.as_str()),
            (LimitStatus::Pending, "PENDING"),
            "{key}"
        );
        // pending_polls = 1: the first poll is still pending.
        let first = factor.poll_approval(&asked.reference).await.unwrap();
        assert_eq!(first.status, LimitStatus::Pending, "{key}");
        let done = factor.poll_approval(&asked.reference).await.unwrap();
        assert_eq!(done.status, want, "{key}");
        assert_eq!(done.amount, approved.map(eur), "{key}");
        if want == LimitStatus::Pending {
            // An unknown status word is pending, still polled by its job.
            assert_eq!(done.raw_status, "UNDER_REVIEW_LEVEL_2");
            assert_eq!(done.reference, asked.reference);
        } else {
            assert!(done.reference.starts_with("FAP-"), "{key}");
            assert_eq!(done.effective_on, Some(day("2026-03-01")));
        }
    }
    let e = factor.poll_approval("FJOB-999999").await.unwrap_err();
    assert!(matches!(e, AdapterError::NotFound(_)), "{e:?}");
    sandbox.stop();
}

fn funding(key: &str, minor: i64) -> FundingRequest {
    FundingRequest {
        idempotency_key: key.into(),
        contract_number: "CTR-1".into(),
        amount: eur(minor),
        requested_on: day("2026-03-02"),
    }
}

#[tokio::test]
async fn funding_requests_are_accepted_up_to_what_is_available() {
    let mut config = monday();
    config.factor.auto_fund = false;
    let (sandbox, factor) = start(config);
    factor
        .submit_assignment(&assignment("k1", "A-0001"))
        .await
        .unwrap();
    // Available: the 12150.00 advance the assignment gives, not paid
    // automatically here.
    let first = factor
        .request_funding(&funding("f1", 1_000_000))
        .await
        .unwrap();
    assert_eq!(first.status, FundingStatus::Accepted);
    assert_eq!(first.amount, Some(eur(1_000_000)));
    assert_eq!(first.value_date, Some(day("2026-03-03")));
    // 12150.00 - 10000.00 = 2150.00 left.
    let second = factor
        .request_funding(&funding("f2", 500_000))
        .await
        .unwrap();
    assert_eq!(
        (second.status, second.amount),
        (FundingStatus::Accepted, Some(eur(215_000)))
    );
    assert!(second.note.is_some());
    let third = factor.request_funding(&funding("f3", 100)).await.unwrap();
    assert_eq!((third.status, third.amount), (FundingStatus::Refused, None));
    // The drawings are the statement's advances on their value date.
    set_today(&sandbox, "2026-03-03").await;
    let list = factor
        .fetch_statements("CTR-1", day("2026-03-03"))
        .await
        .unwrap();
    let advances: Vec<i64> = list[0]
        .lines
        .iter()
        .filter(|l| l.kind == K::Advance)
        .map(|l| l.amount.minor)
        .collect();
    assert_eq!(advances, [-1_000_000, -215_000]);
    sandbox.stop();
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_goes_through() {
    let (sandbox, factor) = start(monday());
    factor
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap();
    let r = hook(&sandbox, "/sandbox/expire-tokens", json!({})).await;
    assert_eq!(r.status(), 204);
    factor
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap();
    let log = log(&sandbox).await;
    assert_eq!(
        log.iter().filter(|r| r["path"] == "/oauth/token").count(),
        2
    );
    let statuses: Vec<_> = log
        .iter()
        .filter(|r| r["path"] == "/factor/v1/statements")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 401, 200]);
    sandbox.stop();
}

#[tokio::test]
async fn a_5xx_is_retryable_and_the_retry_goes_through() {
    let mut config = monday();
    config.fail_first.submit_assignment = 1;
    let (sandbox, factor) = start(config);
    let a = assignment("k1", "A-0001");
    let e = factor.submit_assignment(&a).await.unwrap_err();
    assert!(
        matches!(
            &e,
            AdapterError::Unavailable {
                status: 503,
                retry_after: Some(1),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable());
    let retried = factor.submit_assignment(&a).await.unwrap();
    assert_eq!(retried.status, AssignmentStatus::Pending);
    sandbox.stop();
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_a_slow_answer_a_timeout() {
    let mut config = monday();
    config.delays_ms.fetch_statements = 1500;
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let wrong = adapter(&sandbox, "wrong", 2000);
    let e = wrong
        .submit_assignment(&assignment("k", "A"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::Unauthorized(m) if m.contains("invalid_client")),
        "{e:?}"
    );
    let slow = adapter(&sandbox, "sandbox-secret", 300);
    let e = slow
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap_err();
    assert_eq!(e, AdapterError::Timeout(300));
    sandbox.stop();
}

#[tokio::test]
async fn a_total_that_does_not_add_up_is_rejected_with_its_code() {
    let (sandbox, factor) = start(monday());
    let mut a = assignment("k1", "A-0001");
    a.total = eur(1_600_000);
    let e = factor.submit_assignment(&a).await.unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "TOTAL_MISMATCH"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    sandbox.stop();
}
