//! Reading statement and acknowledgement files from a real inbox folder:
//! the hand-written fixtures' figures, bad files refused whole, bad
//! profiles refused when loaded.

mod common;

use common::*;
use factorgate_adapter::{AdapterError, AssignmentStatus, FactorAdapter, FactorMovementKind as K};
use factorgate_file_factor::{FileFactor, Profile};

fn copy_fixture(f: &Folders, name: &str) {
    std::fs::copy(fixture(name), f.inbox.join(name)).unwrap();
}

/// (kind, minor, entry reference) of each line.
fn summary(s: &factorgate_adapter::FactorStatement) -> Vec<(K, i64, String)> {
    s.lines
        .iter()
        .map(|l| (l.kind, l.amount.minor, l.entry_reference.clone()))
        .collect()
}

#[tokio::test]
async fn a_csv_statement_reads_into_our_movement_kinds() {
    let f = folders();
    copy_fixture(&f, "STATEMENT_CTR-1_2026-03.csv");
    let factor = factor("csv-factor", &f);
    let list = factor
        .fetch_statements("CTR-1", day("2026-03-01"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s.statement_id, "ST-2026-03");
    assert_eq!(s.contract_number, "CTR-1");
    assert_eq!(s.issued_on, day("2026-03-31"), "the CLOSING row's date");
    assert_eq!(s.opening_balance, eur(0));
    // 15000 - 12150 - 75 - 15 - 1500 + 600 = 1860.00; the 6000.00
    // collection is a memo line, outside the balance.
    assert_eq!(s.closing_balance, eur(186_000));
    let expected = [
        (K::Assignment, 1_500_000, "E1"),
        (K::Advance, -1_215_000, "E2"),
        (K::Fee, -7_500, "E3"),
        (K::FeeVat, -1_500, "E4"),
        (K::ReserveHeld, -150_000, "E5"),
        (K::Collection, 600_000, "E6"),
        (K::ReserveReleased, 60_000, "E7"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(k, m, r)| (*k, *m, r.to_string()))
        .collect();
    assert_eq!(summary(s), expected);
    let advance = &s.lines[1];
    assert_eq!(advance.value_date, Some(day("2026-03-03")));
    assert_eq!(advance.assignment_number.as_deref(), Some("A-0001"));
    assert_eq!(advance.invoice_number, None);
    assert_eq!(s.lines[5].invoice_number.as_deref(), Some("F-1"));
    // Another contract, or a later date, lists nothing.
    assert!(factor
        .fetch_statements("CTR-2", day("2026-03-01"))
        .await
        .unwrap()
        .is_empty());
    assert!(factor
        .fetch_statements("CTR-1", day("2026-04-01"))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_factofrance_statement_is_checked_against_its_trailer() {
    let f = folders();
    copy_fixture(&f, "RCTR001_20260331.txt");
    let factor = factor("factofrance", &f);
    let list = factor
        .fetch_statements("CTR001", day("2026-03-31"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s.statement_id, "RLV-2026-03");
    assert_eq!(s.issued_on, day("2026-03-31"));
    // 6000 + 10000 - 1000 - 12150 - 75 - 15 - 1500 + 600 = 1860.00.
    assert_eq!(s.closing_balance, eur(186_000));
    let kinds: Vec<(K, i64)> = s.lines.iter().map(|l| (l.kind, l.amount.minor)).collect();
    assert_eq!(
        kinds,
        [
            (K::Assignment, 600_000),
            (K::Assignment, 1_000_000),
            (K::Assignment, -100_000),
            (K::Advance, -1_215_000),
            (K::Fee, -7_500),
            (K::FeeVat, -1_500),
            (K::ReserveHeld, -150_000),
            (K::Collection, 600_000),
            (K::ReserveReleased, 60_000),
        ]
    );
    assert_eq!(s.lines[0].invoice_number.as_deref(), Some("F-1"));
    assert_eq!(s.lines[0].text, "ACHETEUR UN SA");
    assert_eq!(s.lines[3].value_date, Some(day("2026-03-03")));
}

/// The fixture with one record replaced by `edit` of it.
fn edited(name: &str, line: usize, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split(eol).map(str::to_string).collect();
    lines[line - 1] = edit(&lines[line - 1]);
    lines.join(eol).into_bytes()
}

async fn refusal(profile: &str, good: &str, bad_name: &str, bad: Vec<u8>) -> String {
    let f = folders();
    copy_fixture(&f, good);
    std::fs::write(f.inbox.join(bad_name), bad).unwrap();
    let contract = if profile == "csv-factor" {
        "CTR-1"
    } else {
        "CTR001"
    };
    let e = factor(profile, &f)
        .fetch_statements(contract, day("2026-01-01"))
        .await
        .unwrap_err();
    match e {
        AdapterError::Protocol(message) => message,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_csv_statement_is_refused_whole_naming_line_and_field() {
    let name = "STATEMENT_CTR-1_2026-03.csv";
    // Line 4 is the advance: "-12150.00" becomes "-12150.0O".
    let bad = edited(name, 4, |l| l.replace("-12150.00", "-12150.0O"));
    let m = refusal("csv-factor", name, "STATEMENT_CTR-1_2026-03b.csv", bad).await;
    assert!(m.contains("STATEMENT_CTR-1_2026-03b.csv"), "{m}");
    assert!(
        m.contains("line 4") && m.contains("line.amount.value (column 'amount')"),
        "{m}"
    );
    // The closing balance off by one cent.
    let bad = edited(name, 10, |l| l.replace("1860.00", "1860.01"));
    let m = refusal("csv-factor", name, "STATEMENT_X.csv", bad).await;
    assert!(
        m.contains("line 10") && m.contains("trailer.closing_balance"),
        "{m}"
    );
    assert!(m.contains("186000") && m.contains("186001"), "{m}");
    // A file without its amount column.
    let text = std::fs::read_to_string(fixture(name))
        .unwrap()
        .replace(";amount;", ";montant;");
    let m = refusal("csv-factor", name, "STATEMENT_Y.csv", text.into_bytes()).await;
    assert!(m.contains("line 1") && m.contains("column 'amount'"), "{m}");
}

#[tokio::test]
async fn a_factofrance_file_with_a_wrong_trailer_or_record_is_refused() {
    let name = "RCTR001_20260331.txt";
    // Trailer (line 11) says 3 invoices at 58-61 instead of 2.
    let bad = edited(name, 11, |l| format!("{}0003{}", &l[..57], &l[61..]));
    let m = refusal("factofrance", name, "RCTR001_BAD1.txt", bad).await;
    assert!(
        m.contains("line 11") && m.contains("trailer.totals.count (positions 58-61)"),
        "{m}"
    );
    assert!(m.contains("says 3 records 101, the file has 2"), "{m}");
    // A record cut short.
    let bad = edited(name, 3, |l| l[..300].to_string());
    let m = refusal("factofrance", name, "RCTR001_BAD2.txt", bad).await;
    assert!(
        m.contains("line 3") && m.contains("300 characters, the profile says 360"),
        "{m}"
    );
    // An unknown record code.
    let bad = edited(name, 5, |l| format!("105{}", &l[3..]));
    let m = refusal("factofrance", name, "RCTR001_BAD3.txt", bad).await;
    assert!(
        m.contains("line 5") && m.contains("unknown record code '105'"),
        "{m}"
    );
}

fn profile_without(profile: &str, line: &str) -> String {
    let text =
        std::fs::read_to_string(repo_file(&format!("schemas/{profile}/1/profile.toml"))).unwrap();
    assert!(text.contains(line), "the profile has {line}");
    text.replace(line, "")
}

#[test]
fn a_profile_with_a_missing_column_is_refused_when_loaded() {
    let f = folders();
    // The statement's amount column.
    let path = f.root.path().join("no-amount.toml");
    std::fs::write(
        &path,
        profile_without("csv-factor", "amount = { value = \"amount\" }\n"),
    )
    .unwrap();
    let e = FileFactor::new(&path, &f.outbox, &f.inbox).err().unwrap();
    assert_eq!(e.code(), "profile_invalid");
    assert!(
        e.to_string().contains("no-amount.toml")
            && e.to_string().contains("missing field `amount`"),
        "{e}"
    );
    // The schedule's gross column.
    let text = profile_without("csv-factor", "  { name = \"gross\", value = \"gross\" },\n");
    let e = Profile::from_toml_str(&text).unwrap_err();
    assert!(e.contains("missing field: nothing gives the amount"), "{e}");
    // A funding request file without its amount.
    let text = profile_without(
        "csv-factor",
        "  { name = \"amount\", value = \"amount\" },\n",
    );
    let e = Profile::from_toml_str(&text).unwrap_err();
    assert!(
        e.contains("funding_request.columns: missing field: no column gives Amount"),
        "{e}"
    );
    // A fixed-width detail record without its due date.
    let text = profile_without(
        "factofrance",
        "  { at = 300, len = 8, value = \"due_date\" },\n",
    );
    let e = Profile::from_toml_str(&text).unwrap_err();
    assert!(
        e.contains("schedule.fixed.detail: missing field: nothing gives the due date"),
        "{e}"
    );
    // A field past the record's end.
    let text = std::fs::read_to_string(repo_file("schemas/factofrance/1/profile.toml"))
        .unwrap()
        .replace(
            "{ at = 355, len = 6, value = \"constant\", text = \"000000\" },\n]\n\n# 101",
            "{ at = 356, len = 6, value = \"constant\", text = \"000000\" },\n]\n\n# 101",
        );
    let e = Profile::from_toml_str(&text).unwrap_err();
    assert!(
        e.contains("schedule.fixed.header") && e.contains("outside the 360-character record"),
        "{e}"
    );
}

#[tokio::test]
async fn acknowledgements_give_the_status_and_the_refused_documents() {
    let f = folders();
    let factor = factor("csv-factor", &f);
    let answer = factor
        .submit_assignment(&assignment("k1", "CTR-1", "A-0001"))
        .await
        .unwrap();
    let none = factor.assignment_status(&answer.reference).await.unwrap();
    assert_eq!(none.status, AssignmentStatus::Pending);
    std::fs::write(
        f.inbox.join("ASSIGN_CTR-1_A-0001.ack"),
        "PARTIAL\nAV-1;credit note without invoice\n",
    )
    .unwrap();
    let ack = factor.assignment_status(&answer.reference).await.unwrap();
    assert_eq!(ack.status, AssignmentStatus::PartiallyRejected);
    assert_eq!(ack.raw_status, "PARTIAL");
    assert_eq!(ack.rejected.len(), 1);
    assert_eq!(ack.rejected[0].number, "AV-1");
    assert_eq!(ack.rejected[0].reason, "credit note without invoice");
    // A code the profile does not know is pending, never funded.
    std::fs::write(
        f.inbox.join("ASSIGN_CTR-1_A-0001.ack"),
        "EN_COURS_DE_CONTROLE\n",
    )
    .unwrap();
    let unknown = factor.assignment_status(&answer.reference).await.unwrap();
    assert_eq!(unknown.status, AssignmentStatus::Pending);
    assert_eq!(unknown.raw_status, "EN_COURS_DE_CONTROLE");
}
