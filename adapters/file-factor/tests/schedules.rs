//! Writing assignment schedules into a real outbox folder, with both
//! shipped profiles: exact content, one file per key, nothing half-written.

mod common;

use common::*;
use factorgate_adapter::{AdapterError, AssignmentStatus, FactorAdapter};

#[tokio::test]
async fn a_csv_schedule_has_one_row_per_document_as_the_profile_lays_out() {
    let f = folders();
    let factor = factor("csv-factor", &f);
    let answer = factor
        .submit_assignment(&assignment("k1", "CTR-1", "A-0001"))
        .await
        .unwrap();
    assert_eq!(answer.status, AssignmentStatus::Pending);
    assert_eq!(answer.reference, "ASSIGN_CTR-1_A-0001.csv");
    assert_eq!(listing(&f.outbox), ["ASSIGN_CTR-1_A-0001.csv"]);
    let text = std::fs::read_to_string(f.outbox.join(&answer.reference)).unwrap();
    // Columns in the profile's order; amounts with a point; the SIRET is
    // preferred as the buyer id, the SIREN when there is no SIRET.
    let expected = "\
contract;batch;assigned_on;type;document;buyer_name;buyer_id;country;issue_date;due_date;gross;approved;currency
CTR-1;A-0001;2026-03-02;INV;F-1;Acheteur Un SA;55210055400013;FR;2026-03-01;2026-04-30;6000.00;6000.00;EUR
CTR-1;A-0001;2026-03-02;INV;F-2;Acheteur Deux SARL;732829320;FR;2026-03-01;2026-04-30;10000.00;7500.00;EUR
CTR-1;A-0001;2026-03-02;CRN;AV-1;Acheteur Deux SARL;732829320;FR;2026-03-01;2026-04-30;1000.00;0.00;EUR
";
    assert_eq!(text, expected);
}

#[tokio::test]
async fn the_same_key_never_writes_a_second_file() {
    let f = folders();
    let factor = factor("csv-factor", &f);
    let a = assignment("k1", "CTR-1", "A-0001");
    let first = factor.submit_assignment(&a).await.unwrap();
    let again = factor.submit_assignment(&a).await.unwrap();
    assert_eq!(first.reference, again.reference);
    assert_eq!(listing(&f.outbox).len(), 1);
    // Even once the transfer took the file away, a retry writes nothing.
    std::fs::remove_file(f.outbox.join(&first.reference)).unwrap();
    let after = factor.submit_assignment(&a).await.unwrap();
    assert_eq!(after.reference, first.reference);
    assert!(listing(&f.outbox).is_empty(), "not written again");
    // The same key for another assignment is refused.
    let e = factor
        .submit_assignment(&assignment("k1", "CTR-1", "A-0002"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "idempotency_key_reused"),
        "{e:?}"
    );
    assert!(listing(&f.outbox).is_empty());
}

#[tokio::test]
async fn a_factofrance_schedule_is_360_character_records_at_their_positions() {
    let f = folders();
    let factor = factor("factofrance", &f);
    let answer = factor
        .submit_assignment(&assignment("k1", "CTR001", "A1"))
        .await
        .unwrap();
    assert_eq!(answer.reference, "FCTR001_A1_20260302.txt");
    let bytes = std::fs::read(f.outbox.join(&answer.reference)).unwrap();
    // Latin-1: "Société" is 7 bytes, so every record is 360 bytes + CR LF.
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let records: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(records.len(), 5, "header, 3 documents, trailer");
    assert!(records.iter().all(|r| r.chars().count() == 360));
    let at = |r: &str, from: usize, len: usize| -> String {
        r.chars().skip(from - 1).take(len).collect()
    };
    let h = records[0];
    assert_eq!(at(h, 1, 3), "100");
    assert_eq!(at(h, 4, 6), "CTR001");
    assert_eq!(at(h, 10, 18), "Société Exemple SA");
    assert_eq!(at(h, 50, 8), "20260302");
    assert_eq!(at(h, 120, 16), "443061841       ");
    assert_eq!(at(h, 352, 9), "EUR000000");
    let f1 = records[1];
    assert_eq!(at(f1, 1, 3), "101");
    assert_eq!(at(f1, 18, 14), "55210055400013");
    assert_eq!(at(f1, 263, 15), "F-1            ");
    // 6000.00 EUR = 600000 cents on 15 digits, sign apart.
    assert_eq!(at(f1, 281, 16), "+000000000600000");
    assert_eq!(at(f1, 300, 8), "20260430");
    assert_eq!(at(f1, 358, 3), "FAC");
    let av = records[3];
    assert_eq!(at(av, 1, 3), "102");
    assert_eq!(at(av, 18, 14), "732829320     ");
    assert_eq!(at(av, 281, 16), "-000000000100000");
    assert_eq!(at(av, 358, 3), "AVO");
    let t = records[4];
    assert_eq!(at(t, 1, 3), "199");
    // 2 invoices: 6000.00 + 10000.00 = 1 600 000 cents; 1 credit note 1000.00.
    assert_eq!(at(t, 58, 19), "0002000000001600000");
    assert_eq!(at(t, 77, 19), "0001000000000100000");
}

#[tokio::test]
async fn an_assignment_that_does_not_fit_the_profile_writes_nothing() {
    let f = folders();
    let factor = factor("factofrance", &f);
    // The contract field is 6 characters: "CONTRACT-42" cannot be cut.
    let e = factor
        .submit_assignment(&assignment("k1", "CONTRACT-42", "A1"))
        .await
        .unwrap_err();
    match &e {
        AdapterError::Rejected { code, message } => {
            assert_eq!(code, "schedule_field_too_long");
            assert!(
                message.contains("record 100") && message.contains("ContractNumber"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let all: Vec<_> = std::fs::read_dir(&f.outbox).unwrap().collect();
    assert!(all.is_empty(), "no file, no temporary file, no key marker");
}

#[tokio::test]
async fn funding_is_a_file_where_the_profile_says_so_and_refused_otherwise() {
    let f = folders();
    let request = factorgate_adapter::FundingRequest {
        idempotency_key: "f-1".into(),
        contract_number: "CTR-1".into(),
        amount: eur(1_000_050),
        requested_on: day("2026-03-02"),
    };
    // csv-factor has a [funding_request] section: one row, 10000.50 EUR.
    let csv = factor("csv-factor", &f);
    let answer = csv.request_funding(&request).await.unwrap();
    assert_eq!(answer.status, factorgate_adapter::FundingStatus::Pending);
    assert_eq!(answer.reference, "FUNDING_CTR-1_20260302_f-1.csv");
    let text = std::fs::read_to_string(f.outbox.join(&answer.reference)).unwrap();
    assert_eq!(
        text,
        "contract;amount;currency;requested_on;reference\nCTR-1;10000.50;EUR;2026-03-02;f-1\n"
    );
    let again = csv.request_funding(&request).await.unwrap();
    assert_eq!(again.reference, answer.reference);
    assert_eq!(listing(&f.outbox).len(), 1, "the same key writes one file");
    // factofrance has none; neither profile exchanges debtor approvals.
    let ff = factor("factofrance", &f);
    let e = ff.request_funding(&request).await.unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "not_supported_by_profile"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    let e = csv.poll_approval("X").await.unwrap_err();
    assert!(
        matches!(&e, AdapterError::Rejected { code, .. } if code == "not_supported_by_profile"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_schedule_and_the_statement_that_takes_it_over_agree() {
    let f = folders();
    let factor = factor("csv-factor", &f);
    let a = assignment("k1", "CTR-1", "A-0001");
    let sent = factor.submit_assignment(&a).await.unwrap();
    // What we wrote: invoices minus credit notes, read back from the file.
    let text = std::fs::read_to_string(f.outbox.join(&sent.reference)).unwrap();
    let written: i64 = text
        .lines()
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split(';').collect();
            let cents = factorgate_file_factor::text::parse_amount(
                cells[10],
                2,
                factorgate_file_factor::profile::Decimal::Point,
            )
            .unwrap();
            if cells[3] == "CRN" {
                -cents
            } else {
                cents
            }
        })
        .sum();
    // 6000.00 + 10000.00 - 1000.00.
    assert_eq!(written, 1_500_000);
    assert_eq!(written, a.total.minor);
    // What the factor's statement says it took over for that batch.
    std::fs::copy(
        fixture("STATEMENT_CTR-1_2026-03.csv"),
        f.inbox.join("STATEMENT_CTR-1_2026-03.csv"),
    )
    .unwrap();
    let statements = factor
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap();
    let taken: i64 = statements[0]
        .lines
        .iter()
        .filter(|l| l.kind == factorgate_adapter::FactorMovementKind::Assignment)
        .filter(|l| l.assignment_number.as_deref() == Some("A-0001"))
        .map(|l| l.amount.minor)
        .sum();
    assert_eq!(taken, written);
}

#[test]
fn a_missing_outbox_is_refused_with_its_own_code() {
    let f = folders();
    let profile = repo_file("schemas/csv-factor/1/profile.toml");
    let missing = f.root.path().join("nowhere");
    let e = factorgate_file_factor::FileFactor::new(&profile, &missing, &f.inbox)
        .err()
        .unwrap();
    assert_eq!(e.code(), "file_factor_folder_missing");
    assert!(
        e.to_string().contains("outbox folder") && e.to_string().contains("nowhere"),
        "{e}"
    );
}
