//! `factorgate demo` end to end: the real binary on a temp SQLite file,
//! against the sandbox it starts on 127.0.0.1. The figures asserted are
//! worked out by hand from the bundled fixture files and the sandbox's
//! rules (comments below).

use std::path::Path;
use std::process::{Command, Output};

use factorgate::service::ledger::trial_balance_as_of;
use factorgate::service::Context;
use factorgate::store::Store;

fn demo(db: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factorgate"))
        .arg("--database")
        .arg(format!("sqlite://{}", db.display()))
        .arg("demo")
        .args(extra)
        .current_dir(db.parent().unwrap())
        .env_remove("DATABASE_URL")
        .env_remove("FACTORGATE_CONFIG")
        .env("FACTORGATE_LOG", "warn")
        .output()
        .unwrap()
}

/// The line of `text` that starts with `start` (a table row).
fn row<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
    let line = text
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{text}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// BT-112 (GrandTotalAmount) of a bundled CII file, read from the file.
fn grand_total(file: &str) -> String {
    let path = format!("{}/tests/fixtures/cii/{file}", env!("CARGO_MANIFEST_DIR"));
    let xml = std::fs::read_to_string(path).unwrap();
    let start = xml.find("<ram:GrandTotalAmount>").unwrap() + "<ram:GrandTotalAmount>".len();
    let len = xml[start..].find('<').unwrap();
    xml[start..start + len].to_string()
}

#[test]
fn the_demo_runs_the_quick_start_and_refuses_a_second_run_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = demo(&db, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    // Six bundled files, one invoice each; the latest issue date in them
    // is 2024-11-15 (471102 and 47110815), so the demo runs as of
    // 2024-11-25.
    assert!(
        stdout.contains("6 invoices imported; the demo runs as of 2024-11-25"),
        "{stdout}"
    );
    // Limits: the sandbox approves up to 50,000.00 in full (Kunden AG
    // Mitte asked 5,000.00) and half above it (Muster GmbH asked
    // 60,000.00: 30,000.00).
    assert_eq!(
        row(&stdout, "Kunden AG Mitte  5000.00 EUR "),
        ["Kunden AG Mitte", "5000.00 EUR", "approved", "5000.00 EUR"]
    );
    assert_eq!(
        row(&stdout, "Muster GmbH      60000.00 EUR"),
        [
            "Muster GmbH",
            "60000.00 EUR",
            "partially_approved",
            "30000.00 EUR"
        ]
    );
    // Cover of a 6,000.00 sale to Kunden AG Mitte: limit 5,000.00 less
    // its exposure, invoice 471102 open for 235.62 = 4,764.38 covered,
    // 1,235.62 not.
    assert_eq!(
        row(&stdout, "Kunden AG Mitte  6000.00 EUR"),
        [
            "Kunden AG Mitte",
            "6000.00 EUR",
            "4764.38 EUR",
            "1235.62 EUR",
            "limit_exceeded"
        ]
    );
    // Factoring (seller DE123456789): 471102 is the one eligible invoice
    // (2020-1 and 123456XX are older than 90 days, 47110815 is in GBP),
    // so the assigned total is its gross as written in the file.
    let gross = grand_total("ZUGFeRD-mustangproject__Factur-X_basic.xml");
    assert_eq!(gross, "235.62");
    assert_eq!(
        row(&stdout, "assigned  "),
        ["assigned", &format!("{gross} EUR")]
    );
    assert_eq!(
        row(&stdout, "2020-1 "),
        [
            "2020-1",
            "Rechnungsempfänger",
            "119.00 EUR",
            "no",
            "too_old",
            "0.00 EUR"
        ]
    );
    // The advance: 90 % of 235.62 = 212.058 -> 212.06, less the fee
    // 0.5 % = 1.1781 -> 1.18 and its VAT 20 % = 0.236 -> 0.24: 210.64,
    // on the next business day after Monday 2024-11-25.
    assert!(
        stdout.contains(
            "funding of 210.64 EUR requested on 2024-11-25: accepted, value date 2024-11-26"
        ),
        "{stdout}"
    );
    assert_eq!(row(&stdout, "advanced  "), ["advanced", "210.64 EUR"]);
    // The factor's statement of the funding day: commission 0.5 % of
    // 235.62 = 1.1781 -> 1.18, its VAT 20 % = 0.236 -> 0.24, reserve 10 %
    // = 23.562 -> 23.56, the 210.64 advance; each tied to what we booked
    // (nothing posted twice). Closing 235.62 - 1.18 - 0.24 - 23.56 - 210.64
    // = 0.00, which our 467 equals: proved.
    assert_eq!(
        row(&stdout, "STM-FCT-DEMO-1-20241126-001"),
        [
            "STM-FCT-DEMO-1-20241126-001",
            "fee",
            "-1.18 EUR",
            "tied",
            "FCT-DEMO-1-000001"
        ]
    );
    assert_eq!(
        row(&stdout, "STM-FCT-DEMO-1-20241126-003"),
        [
            "STM-FCT-DEMO-1-20241126-003",
            "reserve_held",
            "-23.56 EUR",
            "tied",
            "FCT-DEMO-1-000001"
        ]
    );
    assert!(
        stdout.contains("proved: our 467 = 0.00 EUR = the statement's closing balance"),
        "{stdout}"
    );
    // The bank statement: the RF-referenced payment and the one naming
    // its invoice are matched, the unknown payer stays in suspense.
    assert_eq!(
        row(&stdout, "DEMO-BK-1"),
        [
            "DEMO-BK-1",
            "1012.69 EUR",
            "matched",
            "100",
            "RF702015776085 check digits valid, invoice 2015776085 open EUR 1,012.69, amount equal"
        ]
    );
    assert!(
        stdout.contains("3 lines: 2 matched, 0 suggested, 1 unmatched (in suspense)"),
        "{stdout}"
    );
    // Aged balance: the two paid invoices are gone; EUR left is 235.62
    // not due plus 119.00 + 336.90 = 455.90 over 90 days.
    // 47110815 (GBP): GrandTotalAmount 1021.91 less TotalPrepaidAmount 500
    // = DuePayableAmount 521.91 in the fixture file; not due on 2024-11-25.
    assert_eq!(
        row(&stdout, "Metallbau Leipzig GmbH & Co. KG  GBP"),
        [
            "Metallbau Leipzig GmbH & Co. KG",
            "GBP",
            "521.91",
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "521.91"
        ]
    );
    assert_eq!(
        row(&stdout, "TOTAL                            EUR"),
        ["TOTAL", "EUR", "235.62", "0.00", "0.00", "0.00", "455.90", "691.52"]
    );
    // Buyers' cover: Muster GmbH paid its only invoice: nothing exposed.
    assert_eq!(
        row(&stdout, "Muster GmbH      30000.00 EUR"),
        ["Muster GmbH", "30000.00 EUR", "0.00 EUR", "30000.00 EUR"]
    );

    // A second run on the same file is refused, with its stable code.
    let again = demo(&db, &[]);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("error[demo_database_not_empty]"), "{err}");
    assert!(again.stdout.is_empty());
}

#[test]
fn the_demo_leaves_the_books_balanced_and_fresh_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(demo(&db, &[]).status.success());
    // --fresh deletes the file and runs again on an empty one.
    let out = demo(&db, &["--fresh"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = Store::open(&format!("sqlite://{}", db.display())).unwrap();
    let mut conn = store.conn().unwrap();
    let tb = trial_balance_as_of(&mut conn, &Context::default(), None).unwrap();
    assert!(tb.is_balanced(), "{:?}", tb.totals);
    let balance = |account: &str| -> i64 {
        tb.rows
            .iter()
            .filter(|r| r.account == account)
            .map(|r| r.balance)
            .sum()
    };
    // The bank (512): the statement's 1,012.69 + 571.04 + 150.00 =
    // 1,733.73, plus the advance 210.64 = 1,944.37.
    assert_eq!(balance("512"), 194_437);
}

#[test]
fn fresh_never_drops_a_postgresql_database() {
    let dir = tempfile::tempdir().unwrap();
    // Refused before any connection is attempted: no server is needed.
    let out = Command::new(env!("CARGO_BIN_EXE_factorgate"))
        .args([
            "--database",
            "postgres://demo@127.0.0.1:1/none",
            "demo",
            "--fresh",
        ])
        .current_dir(dir.path())
        .env_remove("FACTORGATE_CONFIG")
        .env("FACTORGATE_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[demo_fresh_postgres]"), "{err}");
    assert!(out.stdout.is_empty());
}
