//! The `factorgate` binary end to end on a fresh SQLite file: every command
//! a person uses, its output formats, its exit codes and its messages.

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

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

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all, stdin)).unwrap()
    }

    fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(out.status.code(), Some(2), "input errors exit 2");
        String::from_utf8(out.stderr).unwrap()
    }
}

fn setup(cli: &Cli) -> (String, String) {
    let seller = cli.json(
        &[
            "sellers",
            "add",
            "--name",
            "Acme Industrie",
            "--siren",
            "732 829 320",
            "--iban",
            "FR14 2004 1010 0505 0001 3M02 606",
        ],
        None,
    );
    assert_eq!(seller["siren"], "732829320");
    let buyer = cli.json(
        &[
            "buyers",
            "add",
            "--name",
            "Peugeot SA",
            "--country",
            "FR",
            "--id",
            "siren:552100554",
        ],
        None,
    );
    assert_eq!(buyer["legal_ids"][0]["value"], "552100554");
    (
        seller["id"].as_str().unwrap().to_string(),
        buyer["id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_day_of_work_through_the_cli() {
    let cli = Cli::new();
    let (seller, buyer) = setup(&cli);
    let invoices = format!(
        r#"[{{"seller":"732829320","buyer_legal_id":{{"scheme":"siren","value":"552100554"}},"number":"F-2026-001",
             "issue_date":"2026-01-15","due_date":"2026-02-14","currency":"EUR","net":"1000.00","tax":"200.00","gross":"1200.00"}},
            {{"seller":"{seller}","buyer_id":"{buyer}","number":"F-2026-002","issue_date":"2026-01-20",
             "due_date":"2026-05-20","currency":"EUR","net":"500.00","tax":"100.00","gross":"600.00"}}]"#
    );
    let recorded = cli.json(&["invoices", "add"], Some(&invoices));
    assert_eq!(recorded[0]["status"], "created");
    assert_eq!(
        recorded[1]["invoice"]["lme_exceeded"], true,
        "120 days is beyond the LME cap"
    );
    assert_eq!(recorded[0]["invoice"]["lme_exceeded"], false);
    // Importing the same file again changes nothing.
    let again = cli.json(&["invoices", "add"], Some(&invoices));
    assert_eq!(again[0]["status"], "unchanged");

    let payment = cli.json(
        &[
            "payments",
            "add",
            "--buyer",
            "siren:552100554",
            "--amount",
            "1500.00",
            "--date",
            "2026-03-01",
        ],
        None,
    );
    assert_eq!(payment["unallocated"]["amount"], "0.00");
    assert_eq!(
        payment["allocations"].as_array().unwrap().len(),
        2,
        "1200 to F-001, 300 to F-002"
    );

    let list = cli.json(&["invoices", "list", "--buyer", &buyer], None);
    let open: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["open"]["amount"].as_str().unwrap())
        .collect();
    assert_eq!(open, vec!["0.00", "300.00"]);

    // Aged balance as of 2026-03-01: F-002 (due 2026-05-20) is not due.
    let aging = cli.json(&["report", "aging", "--as-of", "2026-03-01"], None);
    assert_eq!(
        aging["totals"][0]["buckets"],
        serde_json::json!([30000, 0, 0, 0, 0])
    );
    // Before the payment, F-001 is 15 days late on 2026-03-01... as of 2026-02-20 it is 6 days late.
    let aging = cli.json(&["report", "aging", "--as-of", "2026-02-20"], None);
    assert_eq!(
        aging["totals"][0]["buckets"],
        serde_json::json!([60000, 120000, 0, 0, 0])
    );

    let tb = cli.json(&["ledger", "trial-balance"], None);
    let totals = &tb["totals"][0];
    assert_eq!(totals["debit"], totals["credit"]);
    assert_eq!(
        totals["debit"], 330000,
        "1800 invoiced + 1500 received, in cents"
    );

    let csv = cli.ok(&["invoices", "list", "--format", "csv"], None);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,number,kind,buyer_id,issue_date,due_date,currency,gross,open,state,lme_exceeded"
    );
    assert_eq!(lines.count(), 2);

    let table = cli.ok(&["buyers", "show", "siren:552100554"], None);
    assert!(
        table.contains("Peugeot SA") && table.contains("siren:552100554"),
        "{table}"
    );

    let fec_path = cli.dir.path().join("fec.txt");
    cli.ok(
        &[
            "export",
            "fec",
            "--year",
            "2026",
            "--output",
            fec_path.to_str().unwrap(),
        ],
        None,
    );
    let fec = std::fs::read(&fec_path).unwrap();
    let text = String::from_utf8_lossy(&fec);
    let rows: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(rows[0].starts_with("JournalCode\tJournalLib\tEcritureNum\tEcritureDate"));
    // 2 invoices x 3 lines + 1 payment x 2 lines.
    assert_eq!(rows.len(), 1 + 8);
    let first: Vec<&str> = rows[1].split('\t').collect();
    assert_eq!(first.len(), 18);
    assert_eq!(&first[..5], &["VE", "Ventes", "1", "20260115", "411"]);
    assert_eq!(first[11], "1200,00");
    assert_eq!(first[12], "0,00");

    let key = cli.json(
        &[
            "keys",
            "create",
            "--role",
            "finance-system",
            "--label",
            "ERP",
        ],
        None,
    );
    assert!(key["key"].as_str().unwrap().starts_with("fg_"));
    let keys = cli.json(&["keys", "list"], None);
    assert_eq!(keys[0]["role"], "finance_system");
    assert!(keys[0].get("key").is_none(), "the secret is never listed");
}

#[test]
fn bad_input_is_refused_with_the_field_and_a_code_and_changes_nothing() {
    let cli = Cli::new();
    let (seller, buyer) = setup(&cli);
    let base = |patch: &str| {
        format!(
            r#"{{"seller":"{seller}","buyer_id":"{buyer}","number":"F-1","issue_date":"2026-01-15","due_date":"2026-02-14",
                "currency":"EUR","net":"1000.00","tax":"200.00","gross":"1200.00"{patch}}}"#
        )
    };
    let cases = [
        (r#"{"seller": "#.to_string(), "json_invalid"),
        (
            base(r#","currency":"EUX""#).replacen(r#""currency":"EUR","#, "", 1),
            "currency_unknown",
        ),
        (
            base("").replace(r#""net":"1000.00""#, r#""net":"-1000.00""#),
            "amount_negative",
        ),
        (
            base("").replace(r#""tax":"200.00""#, r#""tax":"200.001""#),
            "amount_over_precise",
        ),
        (
            base("").replace(r#""due_date":"2026-02-14""#, r#""due_date":"2026-01-14""#),
            "due_date_before_issue_date",
        ),
    ];
    for (input, code) in cases {
        let err = cli.fails(&["invoices", "add"], Some(&input));
        assert!(
            err.contains(&format!("error[{code}]")),
            "expected {code}: {err}"
        );
    }
    let err = cli.fails(
        &["invoices", "add"],
        Some(&base("").replace(r#""tax":"200.00""#, r#""tax":"200.001""#)),
    );
    assert!(err.contains("tax"), "the message names the field: {err}");
    let err = cli.fails(
        &[
            "buyers",
            "add",
            "--name",
            "X",
            "--country",
            "FR",
            "--id",
            "siren:552100555",
        ],
        None,
    );
    assert!(
        err.contains("legal_ids[0]") && err.contains("legal_id_check_digit"),
        "{err}"
    );
    let err = cli.fails(
        &[
            "buyers",
            "add",
            "--name",
            "X",
            "--country",
            "FR",
            "--id",
            "lei:5493001KJTIIGC8Y1R13",
        ],
        None,
    );
    assert!(err.contains("legal_ids[0]"), "{err}");
    let err = cli.fails(
        &[
            "buyers",
            "add",
            "--name",
            "X",
            "--country",
            "FR",
            "--id",
            "vat:FR00552100554",
        ],
        None,
    );
    assert!(err.contains("legal_ids[0]"), "{err}");
    let list = cli.json(&["invoices", "list"], None);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing written"
    );
    let buyers = cli.json(&["buyers", "list"], None);
    assert_eq!(
        buyers["items"].as_array().unwrap().len(),
        1,
        "only the valid buyer"
    );

    cli.ok(&["invoices", "add"], Some(&base("")));
    let err = cli.fails(
        &["invoices", "add"],
        Some(
            &base("")
                .replace("1000.00", "900.00")
                .replace("1200.00", "1100.00"),
        ),
    );
    assert!(err.contains("error[invoice_number_conflict]"), "{err}");

    let unbalanced = r#"{"date":"2026-01-31","label":"Provision","piece_ref":"OD-1","reference":"od-1",
        "lines":[{"account":"411","debit":"100.00","currency":"EUR"},{"account":"707","credit":"90.00","currency":"EUR"}]}"#;
    let err = cli.fails(&["ledger", "post"], Some(unbalanced));
    assert!(
        err.contains("error[ledger_unbalanced]") && err.contains("lines"),
        "{err}"
    );
    let tb = cli.json(&["ledger", "trial-balance"], None);
    assert_eq!(
        tb["totals"][0]["debit"], 120000,
        "only the one invoice is posted"
    );
}

#[test]
fn import_reports_each_file_and_exports_back() {
    let cli = Cli::new();
    cli.ok(
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
    let good = cli.dir.path().join("march.csv");
    std::fs::write(
        &good,
        "seller_siren,number,issue_date,due_date,currency,buyer_name,buyer_country,buyer_siren,net,tax,gross\n\
         552100554,F-100,2026-03-02,2026-04-01,EUR,INSEE,FR,732829320,100.00,20.00,120.00\n\
         552100554,F-101,2026-03-03,2026-04-02,EUR,INSEE,FR,732829320,50.00,10.00,60.00\n",
    )
    .unwrap();
    let bad = cli.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "seller_siren,number,issue_date,currency,buyer_name,buyer_country,net,tax,gross\n\
         552100554,F-200,2026-03-02,EUR,INSEE,FR,100.00,20.00,121.00\n",
    )
    .unwrap();
    let good = good.to_str().unwrap();
    let report = cli.json(&["import", good], None);
    assert_eq!(report[0]["status"], "imported");
    assert_eq!(report[0]["created"], 2);
    assert_eq!(report[0]["format"], "csv");
    let again = cli.json(&["import", good], None);
    assert_eq!(again[0]["status"], "unchanged");
    let out = cli.run(&["import", bad.to_str().unwrap(), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(2));
    let refused: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(refused[0]["status"], "refused");
    assert_eq!(refused[0]["problem"]["rules"][0], "BR-CO-15");
    assert!(String::from_utf8_lossy(&out.stderr).contains("import_incomplete"));
    let id = report[0]["invoice_ids"][0].as_str().unwrap();
    let xml = cli.ok(&["invoices", "export", id, "--syntax", "cii"], None);
    assert!(
        xml.contains("CrossIndustryInvoice") && xml.contains("F-100"),
        "{xml}"
    );
}

#[test]
fn credit_insurance_through_the_cli() {
    let cli = Cli::new();
    cli.ok(
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
    cli.ok(
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
    let inv = cli.json(
        &["invoices", "add"],
        Some(
            r#"{"seller":"552100554","buyer_legal_id":{"scheme":"siren","value":"732829320"},
                 "number":"F-1","issue_date":"2026-02-01","due_date":"2026-03-31","currency":"EUR",
                 "net":"1000.00","tax":"200.00","gross":"1200.00"}"#,
        ),
    );
    let invoice_id = inv[0]["invoice"]["id"].as_str().unwrap().to_string();
    let policy = cli.json(
        &["insurance", "add-policy"],
        Some(
            r#"{"insurer":"Allianz Trade","number":"P-1","currency":"EUR","terms":{
                 "effective_from":"2026-01-01","indemnity_rate":"0.90","max_credit_days":120,
                 "notification_days":60,"waiting_days":150,"discretionary_limit":"10000.00",
                 "premium_rate":"0.004","max_liability":"50000.00"}}"#,
        ),
    );
    let policy_id = policy["id"].as_str().unwrap().to_string();
    let check = cli.json(
        &[
            "cover",
            "check",
            "--buyer",
            "siren:732829320",
            "--amount",
            "9500.00",
            "--date",
            "2026-03-01",
        ],
        None,
    );
    // EUR 10,000 discretionary less the EUR 1,200 open.
    assert_eq!(check["covered"]["amount"], "8800.00");
    assert_eq!(
        check["reasons"],
        serde_json::json!(["no_limit", "limit_exceeded"])
    );
    let late = cli.fails(
        &[
            "insurance",
            "claim",
            "--policy",
            &policy_id,
            "--invoice",
            &invoice_id,
            "--on",
            "2026-09-01",
        ],
        None,
    );
    assert!(late.contains("overdue_not_notified"), "{late}");
    cli.ok(
        &[
            "insurance",
            "notify",
            "--policy",
            &policy_id,
            "--invoice",
            &invoice_id,
            "--on",
            "2026-04-15",
        ],
        None,
    );
    let claim = cli.json(
        &[
            "insurance",
            "claim",
            "--policy",
            &policy_id,
            "--invoice",
            &invoice_id,
            "--on",
            "2026-08-28",
        ],
        None,
    );
    let claim_id = claim["id"].as_str().unwrap().to_string();
    let decided = cli.json(
        &[
            "insurance",
            "claim-decision",
            &claim_id,
            "--accepted",
            "--on",
            "2026-09-10",
        ],
        None,
    );
    // 90 % of the EUR 1,000 net, no deductible.
    assert_eq!(decided["indemnity"]["amount"], "900.00");
    let paid = cli.json(
        &["insurance", "claim-paid", &claim_id, "--on", "2026-09-20"],
        None,
    );
    assert_eq!(paid["state"], "paid");
    // 120.00 back from the buyer: VAT 120 x 200 / 1,200 = 20.00; the
    // insurer's 90 % of the 100.00 net = 90.00; ours 10.00.
    let recovered = cli.json(
        &[
            "insurance",
            "recovery",
            "--claim",
            &claim_id,
            "--amount",
            "120.00",
            "--date",
            "2026-10-01",
        ],
        None,
    );
    assert_eq!(recovered["insurer_share"]["amount"], "90.00");
    assert_eq!(recovered["our_share"]["amount"], "10.00");
    let bad = cli.fails(
        &[
            "insurance",
            "recovery",
            "--claim",
            &claim_id,
            "--amount",
            "1.00",
            "--date",
            "2026-10-01",
            "--by",
            "bank",
        ],
        None,
    );
    assert!(bad.contains("recovered_by_invalid"), "{bad}");
    // 0.4 % of the 1,000.00 invoiced in the quarter = 4.00, posted once.
    let args = [
        "insurance",
        "premium",
        "--policy",
        &policy_id,
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--post",
    ];
    let premium = cli.json(&args, None);
    assert_eq!(premium["premium"]["amount"], "4.00");
    assert_eq!(premium["already_posted"], false);
    assert_eq!(cli.json(&args, None)["already_posted"], true);
}
