//! Offline: answers recorded from the sandbox (`tests/record.rs`), and a
//! few hand-written ones (`hand_written_*`) the sandbox never sends, run
//! through the transformers as the adapter would.
//!
//! A record is `{"status", "retry_after", "body"}`; a string body is sent
//! as raw text (an HTML error page), anything else as JSON.

use factorgate_adapter::{
    AdapterError, LimitAnswer, LimitStatus, Receipt, Settlement, SettlementKind,
};
use factorgate_rest_insurer::transformers::{
    error_from_response, parse_body, BuyerSearch, ClaimReceipt, NoticeReceipt, SettlementList,
    TokenResponse, WireJob,
};
use serde_json::Value;

struct Recorded {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

fn load(name: &str) -> Recorded {
    let path = format!("{}/tests/recorded/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let record: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let body = match &record["body"] {
        Value::String(text) => text.as_bytes().to_vec(),
        json => serde_json::to_vec(json).unwrap(),
    };
    Recorded {
        status: u16::try_from(record["status"].as_u64().unwrap()).unwrap(),
        retry_after: record["retry_after"].as_str().map(|s| s.parse().unwrap()),
        body,
    }
}

/// What the adapter makes of a recorded limit answer.
fn limit_answer(name: &str) -> Result<LimitAnswer, AdapterError> {
    let r = load(name);
    assert!((200..300).contains(&r.status), "{name} is a success");
    LimitAnswer::try_from(parse_body::<WireJob>(&r.body)?)
}

fn failure(name: &str) -> AdapterError {
    let r = load(name);
    assert!(r.status >= 400, "{name} is a failure");
    error_from_response(r.status, r.retry_after, &r.body)
}

#[test]
fn a_new_job_is_pending_with_its_job_to_poll() {
    let a = limit_answer("limit_approved_202").unwrap();
    assert_eq!(a.status, LimitStatus::Pending);
    assert_eq!(a.raw_status, "PENDING");
    assert_eq!(a.reference, "JOB-000002");
    assert_eq!(a.amount, None);
}

#[test]
fn decisions_map_to_our_statuses_and_amounts() {
    let a = limit_answer("job_approved").unwrap();
    assert_eq!(
        (a.status, a.reference.as_str()),
        (LimitStatus::Approved, "DEC-000003")
    );
    // "30000.00" EUR = 3 000 000 cents.
    assert_eq!(
        a.amount.map(|m| (m.minor, m.exponent)),
        Some((3_000_000, 2))
    );
    assert_eq!(
        a.effective_on.map(|d| d.to_string()).as_deref(),
        Some("2025-03-01")
    );
    assert_eq!(
        a.expires_on.map(|d| d.to_string()).as_deref(),
        Some("2026-03-01")
    );
    assert_eq!(a.insurer_buyer_id.as_deref(), Some("BUY-0002-552100554"));

    let p = limit_answer("job_partially_approved").unwrap();
    assert_eq!(p.status, LimitStatus::PartiallyApproved);
    // "40000.00" EUR = 4 000 000 cents.
    assert_eq!(p.amount.map(|m| m.minor), Some(4_000_000));

    let r = limit_answer("job_refused").unwrap();
    assert_eq!(r.status, LimitStatus::Refused);
    assert_eq!((r.amount, r.expires_on), (None, None));
    assert_eq!(r.note.as_deref(), Some("Buyer risk not acceptable"));

    let c = limit_answer("job_conditional").unwrap();
    assert_eq!(c.status, LimitStatus::Conditional);
    assert_eq!(c.amount.map(|m| m.minor), Some(100_000));
    assert!(c.note.unwrap().contains("60 days"));
}

#[test]
fn an_unknown_status_is_pending_and_kept_raw_never_a_grant() {
    let u = limit_answer("job_unknown_status").unwrap();
    assert_eq!(u.status, LimitStatus::Pending);
    assert_eq!(u.raw_status, "UNDER_REVIEW_LEVEL_2");
    assert_eq!(u.reference, "JOB-000010", "the job stays the thing to poll");
    assert_eq!(u.amount, None);
}

#[test]
fn an_approval_without_an_amount_is_unreadable_not_a_grant() {
    let e = limit_answer("hand_written_job_approved_without_amount").unwrap_err();
    assert!(
        matches!(&e, AdapterError::Protocol(m) if m.contains("JOB-000098")),
        "{e:?}"
    );
}

#[test]
fn receipts_buyers_settlements_and_tokens_are_read() {
    let n: Receipt = parse_body::<NoticeReceipt>(&load("notice_201").body)
        .unwrap()
        .into();
    assert_eq!(
        (n.insurer_reference.as_str(), n.raw_status.as_str()),
        ("OVN-000012", "RECEIVED")
    );
    assert_eq!(n.received_on.to_string(), "2025-05-02");
    let c: Receipt = parse_body::<ClaimReceipt>(&load("claim_201").body)
        .unwrap()
        .into();
    assert_eq!(
        (c.insurer_reference.as_str(), c.raw_status.as_str()),
        ("CLM-000013", "REGISTERED")
    );

    let found = parse_body::<BuyerSearch>(&load("buyers_found").body).unwrap();
    assert_eq!(found.buyers.len(), 1);
    assert_eq!(found.buyers[0].buyer_id, "BUY-0002-552100554");

    let list = parse_body::<SettlementList>(&load("settlements").body).unwrap();
    let paid: Vec<Settlement> = list
        .settlements
        .into_iter()
        .map(|s| Settlement::try_from(s).unwrap())
        .collect();
    assert_eq!(paid.len(), 2);
    assert_eq!(
        (paid[0].kind, paid[0].amount.minor),
        (SettlementKind::Indemnity, 900_000)
    );
    // "150.50" EUR = 15 050 cents.
    assert_eq!(
        (paid[1].kind, paid[1].amount.minor),
        (SettlementKind::RecoveryShare, 15_050)
    );
    assert_eq!(paid[1].claim_reference, "CLM-000009");

    let token = parse_body::<TokenResponse>(&load("token").body).unwrap();
    assert_eq!(token.expires_in, Some(3600));
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
}

#[test]
fn error_replies_map_to_the_outbox_s_kinds() {
    assert_eq!(
        failure("settlements_unavailable_503"),
        AdapterError::Unavailable {
            status: 503,
            message: "SERVICE_UNAVAILABLE: simulated outage (fail_first)".into(),
            retry_after: Some(1),
        }
    );
    assert!(matches!(failure("bearer_invalid_401"),
        AdapterError::Unauthorized(m) if m.starts_with("INVALID_TOKEN")));
    assert!(matches!(failure("token_invalid_client_401"),
        AdapterError::Unauthorized(m) if m.starts_with("invalid_client")));
    assert!(matches!(failure("job_not_found_404"),
        AdapterError::NotFound(m) if m.contains("JOB-404")));
    assert!(matches!(failure("idempotency_key_reused_422"),
        AdapterError::Rejected { code, .. } if code == "IDEMPOTENCY_KEY_REUSED"));
    assert!(matches!(failure("limit_invalid_422"),
        AdapterError::Rejected { code, message } if code == "INVALID_REQUEST" && message.contains("requestedAmount")));
}

#[test]
fn unreadable_error_bodies() {
    // A proxy's HTML 502 is still an outage, with its Retry-After.
    assert_eq!(
        failure("hand_written_bad_gateway_html_502"),
        AdapterError::Unavailable {
            status: 502,
            message: "HTTP 502".into(),
            retry_after: Some(30),
        }
    );
    // A 4xx without a code we can read: not a refusal we understood.
    assert!(matches!(
        failure("hand_written_bad_request_not_json_400"),
        AdapterError::Protocol(_)
    ));
    // A 2xx that is not the JSON we expect.
    let e = parse_body::<WireJob>(&load("hand_written_bad_request_not_json_400").body).unwrap_err();
    assert!(matches!(e, AdapterError::Protocol(_)));
}
