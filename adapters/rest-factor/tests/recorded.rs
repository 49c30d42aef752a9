//! Offline: answers recorded from the sandbox factor (`tests/record.rs`,
//! terms by default, `auto_fund = false`, `pending_polls = 0`, today
//! 2026-03-02 then 2026-03-03), and hand-written ones (`hand_written_*`)
//! the sandbox never sends, run through the transformers as the adapter
//! would. A record is `{"status", "retry_after", "body"}`.

use factorgate_adapter::{
    AdapterError, AssignmentAnswer, AssignmentStatus, FactorMovementKind as K, FactorStatement,
    FundingAnswer, FundingStatus, LimitAnswer, LimitStatus,
};
use factorgate_rest_factor::transformers::{
    error_from_response, parse_body, StatementList, WireApproval, WireAssignment, WireFunding,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

struct Recorded {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

fn load(name: &str) -> Recorded {
    let path = format!("{}/tests/recorded/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let record: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    Recorded {
        status: u16::try_from(record["status"].as_u64().unwrap()).unwrap(),
        retry_after: record["retry_after"].as_str().map(|s| s.parse().unwrap()),
        body: serde_json::to_vec(&record["body"]).unwrap(),
    }
}

fn success<W: DeserializeOwned>(name: &str) -> W {
    let r = load(name);
    assert!((200..300).contains(&r.status), "{name} is a success");
    parse_body(&r.body).unwrap()
}

fn failure(name: &str) -> AdapterError {
    let r = load(name);
    assert!(r.status >= 400, "{name} is a failure");
    error_from_response(r.status, r.retry_after, &r.body)
}

fn assignment(name: &str) -> AssignmentAnswer {
    AssignmentAnswer::try_from(success::<WireAssignment>(name)).unwrap()
}

fn approval(name: &str) -> LimitAnswer {
    LimitAnswer::try_from(success::<WireApproval>(name)).unwrap()
}

#[test]
fn an_assignment_is_pending_when_received_then_acknowledged() {
    let sent = assignment("assignment_received_201");
    assert_eq!(
        (sent.status, sent.raw_status.as_str()),
        (AssignmentStatus::Pending, "RECEIVED")
    );
    assert!(sent.reference.starts_with("ASG-"));
    let later = assignment("assignment_acknowledged");
    assert_eq!(later.status, AssignmentStatus::Acknowledged);
    assert_eq!(later.reference, sent.reference);
    // Without automatic funding the factor pays nothing on its own.
    assert_eq!(later.advance, None);
    assert!(matches!(
        failure("assignment_not_found_404"),
        AdapterError::NotFound(_)
    ));
    let e = failure("total_mismatch_422");
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "TOTAL_MISMATCH"),
        "{e:?}"
    );
}

#[test]
fn an_unknown_assignment_status_is_pending_without_its_advance() {
    let a = assignment("hand_written_assignment_unknown_status");
    assert_eq!(a.status, AssignmentStatus::Pending);
    assert_eq!(a.raw_status, "FUNDING_UNDER_REVIEW");
    assert_eq!((a.advance, a.value_date), (None, None));
}

#[test]
fn funding_is_granted_up_to_the_available_then_refused() {
    let f = FundingAnswer::try_from(success::<WireFunding>("funding_accepted_201")).unwrap();
    // 20000.00 asked; available 0.90 × (6000.00 + 7500.00) = 12150.00.
    assert_eq!(f.status, FundingStatus::Accepted);
    assert_eq!(f.amount.map(|a| a.minor), Some(1_215_000));
    assert_eq!(
        f.value_date.map(|d| d.to_string()).as_deref(),
        Some("2026-03-03")
    );
    assert!(f.note.is_some());
    let f = FundingAnswer::try_from(success::<WireFunding>("funding_refused_201")).unwrap();
    assert_eq!((f.status, f.amount), (FundingStatus::Refused, None));
}

#[test]
fn approvals_map_to_limit_answers_and_unknown_words_stay_pending() {
    assert_eq!(
        approval("approval_partially_approved_202").status,
        LimitStatus::Pending
    );
    let partial = approval("approval_job_partially_approved");
    // 25000.00 asked on a debtor whose limit is 20000.00.
    assert_eq!(partial.status, LimitStatus::PartiallyApproved);
    assert_eq!(partial.amount.map(|a| a.minor), Some(2_000_000));
    assert!(partial.reference.starts_with("FAP-"));
    let refused = approval("approval_job_refused");
    assert_eq!(
        (refused.status, refused.amount),
        (LimitStatus::Refused, None)
    );
    assert_eq!(
        refused.note.as_deref(),
        Some("No limit available on this debtor")
    );
    let unknown = approval("approval_job_unknown_status");
    assert_eq!(unknown.status, LimitStatus::Pending);
    assert_eq!(unknown.raw_status, "UNDER_REVIEW_LEVEL_2");
    assert!(
        unknown.reference.starts_with("FJOB-"),
        "still the job to poll"
    );
}

#[test]
fn statements_read_with_their_kinds_and_balances() {
    let list: StatementList = success("statements");
    let statements: Vec<FactorStatement> = list
        .statements
        .into_iter()
        .map(|s| FactorStatement::try_from(s).unwrap())
        .collect();
    assert_eq!(statements.len(), 2);
    let moves = |s: &FactorStatement| -> Vec<(K, i64)> {
        s.lines.iter().map(|l| (l.kind, l.amount.minor)).collect()
    };
    assert_eq!(moves(&statements[0]), [(K::Assignment, 1_500_000)]);
    // Funding day without automatic funding: commission 0.5% of 16000.00,
    // its VAT, the reserve 10% of 15000.00, then the drawing of 12150.00.
    assert_eq!(
        moves(&statements[1]),
        [
            (K::Fee, -8_000),
            (K::FeeVat, -1_600),
            (K::ReserveHeld, -150_000),
            (K::Advance, -1_215_000)
        ]
    );
    // 15000 - 80 - 16 - 1500 - 12150 = 1254.00.
    assert_eq!(statements[1].closing_balance.minor, 125_400);
    let e = failure("statements_unavailable_503");
    assert!(
        matches!(
            e,
            AdapterError::Unavailable {
                status: 503,
                retry_after: Some(1),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn an_unknown_line_type_is_other_and_an_inexact_amount_refused() {
    let list: StatementList = success("hand_written_statement_unknown_line");
    let mut statements = list.statements.into_iter();
    let first = FactorStatement::try_from(statements.next().unwrap()).unwrap();
    assert_eq!(first.lines[0].kind, K::Other);
    assert_eq!(first.lines[0].text, "Currency adjustment");
    let second = FactorStatement::try_from(statements.next().unwrap());
    assert!(
        matches!(second, Err(AdapterError::Protocol(_))),
        "{second:?}"
    );
}
