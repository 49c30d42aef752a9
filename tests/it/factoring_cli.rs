//! `factorgate factor ...` and `factorgate assign ...` end to end on a
//! fresh SQLite file.

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_factorgate"))
            .args(args)
            .current_dir(self.dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.dir.path().join("t.db").display()),
            )
            .env_remove("FACTORGATE_CONFIG")
            .env("FACTORGATE_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    fn json(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.run(&all, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[test]
fn a_contract_an_assignment_and_a_drawing_through_the_cli() {
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
    };
    cli.json(
        &[
            "sellers",
            "add",
            "--name",
            "Peugeot SA",
            "--siren",
            "552100554",
        ],
        None,
    );
    cli.json(
        &[
            "buyers",
            "add",
            "--name",
            "INSEE",
            "--country",
            "FR",
            "--id",
            "siren:732829320",
        ],
        None,
    );
    cli.json(
        &["invoices", "add"],
        Some(
            r#"[{"seller":"552100554","buyer_legal_id":{"scheme":"siren","value":"732829320"},"number":"F-1",
                "issue_date":"2026-03-01","due_date":"2026-04-30","currency":"EUR","net":"10000.00","tax":"2000.00","gross":"12000.00"}]"#,
        ),
    );
    std::fs::write(
        cli.dir.path().join("rates.csv"),
        "series,date,value\nEURIBOR3M,2026-01-01,0.035\n",
    )
    .unwrap();
    cli.json(&["rates", "import", "rates.csv"], None);
    let contract = cli.json(
        &["factor", "contract", "create"],
        Some(
            r#"{"factor":"BNP Paribas Factor","number":"CT-1","seller":"552100554","currency":"EUR",
                "terms":{"effective_from":"2026-01-01","recourse":"with_recourse","notification":"confidential",
                "scope":"spot","advance_rate":"0.90","reserve_rate":"0.10","fee_rate":"0.005","margin":"0.015",
                "recourse_days":60,"max_invoice_age_days":90,"max_term_days":60,"factor_name":"BNP Paribas Factor"}}"#,
        ),
    );
    assert_eq!(contract["number"], "CT-1");
    cli.json(
        &[
            "factor",
            "approval",
            "record",
            "--contract",
            "CT-1",
            "--buyer",
            "732829320",
            "--kind",
            "approved",
            "--amount",
            "10000.00",
            "--decided-on",
            "2026-02-01",
        ],
        None,
    );
    let p = cli.json(
        &[
            "assign",
            "propose",
            "--contract",
            "CT-1",
            "--on",
            "2026-03-10",
        ],
        None,
    );
    // 10,000 of F-1's 12,000 approved: advance 90 % = 9,000.
    assert_eq!(p["approved"]["amount"], "10000.00");
    assert_eq!(p["non_approved"]["amount"], "2000.00");
    assert_eq!(p["advance"]["amount"], "9000.00");
    let a = cli.json(
        &[
            "assign",
            "confirm",
            "--contract",
            "CT-1",
            "--invoices",
            "F-1",
            "--on",
            "2026-03-10",
        ],
        None,
    );
    assert_eq!(a["number"], "CT-1-000001");
    let pos = cli.json(
        &[
            "factor",
            "position",
            "--contract",
            "CT-1",
            "--as-of",
            "2026-03-10",
        ],
        None,
    );
    // 12,000 - 1,200 reserve - 60 - 12 VAT = 10,728 owed; 9,000 available.
    assert_eq!(pos["balance"]["amount"], "10728.00");
    assert_eq!(pos["available"]["amount"], "9000.00");
    let out = cli.run(
        &[
            "factor",
            "fund",
            "--contract",
            "CT-1",
            "--amount",
            "9000.01",
            "--on",
            "2026-03-10",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("funding_exceeds_available"));
    let f = cli.json(
        &[
            "factor",
            "fund",
            "--contract",
            "CT-1",
            "--amount",
            "9000.00",
            "--on",
            "2026-03-10",
        ],
        None,
    );
    assert_eq!(f["state"], "requested");
    let table = cli.run(&["assign", "list", "--contract", "CT-1"], None);
    assert!(String::from_utf8_lossy(&table.stdout).contains("CT-1-000001"));
}

#[test]
fn a_contract_is_linked_to_a_configured_factor_connection_only() {
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
    };
    std::fs::write(
        cli.dir.path().join("factorgate.toml"),
        "[factors.bnp]\nadapter = \"rest\"\nbase_url = \"http://127.0.0.1:1\"\n\
         client_id = \"factorgate\"\nclient_secret = \"s\"\n",
    )
    .unwrap();
    cli.json(
        &[
            "sellers",
            "add",
            "--name",
            "Peugeot SA",
            "--siren",
            "552100554",
        ],
        None,
    );
    cli.json(
        &["factor", "contract", "create"],
        Some(
            r#"{"factor":"BNP Paribas Factor","number":"CT-1","seller":"552100554","currency":"EUR",
                "terms":{"effective_from":"2026-01-01","recourse":"with_recourse","notification":"confidential",
                "scope":"spot","advance_rate":"0.90","reserve_rate":"0.10","fee_rate":"0.005","margin":"0.015",
                "recourse_days":60,"max_invoice_age_days":90,"max_term_days":60,"factor_name":"BNP Paribas Factor"}}"#,
        ),
    );
    // A name the configuration does not know is refused, nothing changes.
    let out = cli.run(
        &["factor", "contract", "link", "CT-1", "--connection", "nope"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("connection_unknown"));
    let c = cli.json(&["factor", "contract", "show", "CT-1"], None);
    assert!(c["connection"].is_null(), "{c}");
    let c = cli.json(
        &["factor", "contract", "link", "CT-1", "--connection", "bnp"],
        None,
    );
    assert_eq!(c["connection"], "bnp");
    let c = cli.json(&["factor", "contract", "link", "CT-1", "--none"], None);
    assert!(c["connection"].is_null(), "{c}");
}
