//! Factor statements against the sandbox factor over real HTTP, on both
//! backends: an assignment confirmed, submitted and funded, a buyer paying
//! the factor, the statements fetched through `RestFactor` and imported:
//! every line tied or posted, the proof, a second import changing nothing,
//! an unknown assignment refused, and a difference listed line by line.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::error::ErrorCode;
use factorgate::jobs::statement_sync::sync_factor;
use factorgate::jobs::{Connections, Worker};
use factorgate::service::factoring::{confirm, link_contract, position, submit};
use factorgate::service::statements::import_factor_statement;
use factorgate::store::schema::{
    allocations, factoring_movements, invoices, journal_entries, statement_movements, statements,
};
use factorgate::store::DbConnection;
use factorgate_adapter::{
    Amount, FactorMovementKind, FactorStatement, FactorStatementLine, Secret,
};
use factorgate_rest_factor::{RestFactor, RestFactorConfig};
use factorgate_sandbox::SandboxConfig;
use rust_decimal::Decimal;
use serde_json::json;

use crate::common::backends;
use crate::factoring::{all_on, balance, d, portfolio, setup, terms};
use crate::outbox_http::{sandbox, settings};

fn connections(base_url: &str) -> Connections {
    let factor = RestFactor::new(RestFactorConfig {
        base_url: base_url.to_string(),
        client_id: "factorgate".into(),
        client_secret: Secret::new("sandbox-secret"),
        timeout: Duration::from_secs(5),
    })
    .expect("adapter");
    Connections::default().with_factor("bnp", Arc::new(factor))
}

/// The sandbox factor funds automatically; INSEE's limit is 15,000.00.
fn factor_sandbox() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.factor.auto_fund = true;
    config
        .factor
        .debtor_limits
        .insert("0002:732829320".into(), Decimal::new(15_000, 0));
    config
}

async fn hook(base_url: &str, path: &str, body: serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{base_url}{path}"))
        .json(&body)
        .send()
        .await
        .expect("hook");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

fn counts(conn: &mut DbConnection) -> (i64, i64, i64, i64) {
    (
        journal_entries::table.count().get_result(conn).unwrap(),
        factoring_movements::table.count().get_result(conn).unwrap(),
        statements::table.count().get_result(conn).unwrap(),
        statement_movements::table.count().get_result(conn).unwrap(),
    )
}

fn eur(minor: i64) -> Amount {
    Amount {
        minor,
        exponent: 2,
        currency: *b"EUR",
    }
}

fn line(entry: &str, kind: FactorMovementKind, on: NaiveDate, minor: i64) -> FactorStatementLine {
    FactorStatementLine {
        entry_reference: entry.into(),
        kind,
        booked_on: on,
        value_date: None,
        amount: eur(minor),
        assignment_number: None,
        invoice_number: None,
        text: String::new(),
    }
}

#[test]
fn sandbox_factor_statements_are_tied_posted_and_proved() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in backends() {
        let sb = runtime.block_on(async { sandbox(factor_sandbox()) });
        let base = sb.base_url();
        let conns = connections(&base);
        let w =
            Worker::new(db.store.clone(), conns.clone(), settings()).with_context(db.ctx.clone());
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        link_contract(conn, "CT-1", Some("bnp"), &["bnp".to_string()]).unwrap();

        // Tuesday 10 March 2026: F-1 12,000.00 and F-2 6,000.00 (INSEE,
        // approved 15,000.00: F-1 whole, 3,000.00 of F-2) and F-3 2,400.00
        // (EDF, no approval) assigned: 20,400.00.
        runtime.block_on(hook(
            &base,
            "/sandbox/factor/clock",
            json!({"today": "2026-03-10"}),
        ));
        let a = confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        submit(conn, &a.number).unwrap();
        let pass = runtime.block_on(w.drain()).unwrap();
        assert_eq!((pass.done, pass.parked), (1, 0), "{}: {pass:?}", db.name);

        // Wednesday 11 March the factor funds; 28 April INSEE pays it F-1.
        runtime.block_on(hook(
            &base,
            "/sandbox/factor/clock",
            json!({"today": "2026-04-28"}),
        ));
        runtime.block_on(hook(
            &base,
            "/sandbox/factor/collections",
            json!({"invoiceNumber": "F-1", "amount": "12000.00", "paidOn": "2026-04-28"}),
        ));

        let mut said = Vec::new();
        let sync = runtime
            .block_on(sync_factor(
                conn,
                &db.ctx,
                &conns,
                "CT-1",
                d(2026, 3, 1),
                &mut |m| said.push(m.to_string()),
            ))
            .unwrap();
        // The poll found the assignment funded: advance 90 % × 15,000.00.
        assert_eq!(sync.polled.len(), 1, "{}: {sync:?}", db.name);
        assert_eq!(sync.polled[0].advance_minor, Some(1_350_000), "{}", db.name);
        assert_eq!(sync.statements.len(), 3, "{}: {said:?}", db.name);
        let [s10, s11, s28] = [
            &sync.statements[0],
            &sync.statements[1],
            &sync.statements[2],
        ];

        // 10 March, the factor: ASSIGNMENT +20,400.00, closing 20,400.00.
        // Our 467 that day: +20,400.00 − reserve 10 % 2,040.00 − commission
        // 0.5 % 102.00 − VAT 20 % 20.40 = 18,237.60: we book reserve and
        // commission at confirmation, the factor on its funding day, so
        // the difference 2,162.40 is exactly our two movements.
        assert_eq!(s10.lines[0].action, "tied", "{}: {s10:?}", db.name);
        assert!(!s10.proof.proved, "{}", db.name);
        assert_eq!(s10.proof.books_minor, 1_823_760, "{}", db.name);
        assert_eq!(s10.proof.difference_minor, 216_240, "{}", db.name);
        let mut ours: Vec<(String, i64)> = s10
            .proof
            .books_only
            .iter()
            .map(|l| (l.kind.clone(), l.amount_minor))
            .collect();
        ours.sort();
        assert_eq!(
            ours,
            vec![("fee".into(), -12_240), ("reserve_held".into(), -204_000)],
            "{}",
            db.name
        );
        assert!(s10.proof.statement_only.is_empty(), "{}", db.name);
        assert_eq!(s10.proof.unexplained_minor, 0, "{}", db.name);

        // 11 March, the factor: advance −13,500.00, interest −95.25
        // (F-1 10,800.00 × 5 % × 50 days / 360 = 75.00; F-2 2,700.00 × 5 %
        // × 54 days / 360 = 20.25), commission −102.00, VAT −20.40, reserve
        // −2,040.00: closing 20,400.00 − 15,757.65 = 4,642.35. Advance,
        // commission, VAT and reserve are tied to what we booked; the
        // interest is posted (661 / 467): 18,237.60 − 13,500.00 − 95.25 =
        // 4,642.35. Proved.
        let actions: Vec<(&str, &str)> = s11.lines.iter().map(|l| (l.kind, l.action)).collect();
        assert_eq!(
            actions,
            vec![
                ("advance", "tied"),
                ("interest", "posted"),
                ("fee", "tied"),
                ("fee_vat", "tied"),
                ("reserve_held", "tied")
            ],
            "{}",
            db.name
        );
        assert_eq!(s11.closing_minor, 464_235, "{}", db.name);
        assert!(s11.proof.proved, "{}: {:?}", db.name, s11.proof);

        // 28 April: COLLECTION 12,000.00 (memo) and RESERVE_RELEASED 10 % =
        // +1,200.00, closing 5,842.35; F-1 settled without an entry, the
        // release credited 467 / 4678: 4,642.35 + 1,200.00 = 5,842.35.
        assert!(
            s28.lines.iter().all(|l| l.action == "posted"),
            "{}: {s28:?}",
            db.name
        );
        assert_eq!(s28.closing_minor, 584_235, "{}", db.name);
        assert!(s28.proof.proved, "{}: {:?}", db.name, s28.proof);
        assert_eq!(balance(&db, conn, "467"), 584_235, "{}", db.name);
        // 4678: 2,040.00 held − 1,200.00 released = 840.00.
        assert_eq!(balance(&db, conn, "4678"), 84_000, "{}", db.name);
        assert_eq!(balance(&db, conn, "661"), 9_525, "{}", db.name);
        let f1_open: i64 = invoices::table
            .filter(invoices::number.eq("F-1"))
            .select(invoices::open_minor)
            .first(conn)
            .unwrap();
        assert_eq!(f1_open, 0, "{}", db.name);
        let p = position(conn, "CT-1", Some(d(2026, 4, 28))).unwrap();
        assert_eq!(p.balance.minor(), 584_235, "{}", db.name);
        // The factor repaid itself from F-1: 90 % of its 12,000.00 approved
        // = 10,800.00 of the 13,500.00 advanced, so 2,700.00 stays financed.
        assert_eq!(p.financed.minor(), 270_000, "{}", db.name);
        // F-1's settlement is in its history, dated the day the buyer paid.
        let f1: String = invoices::table
            .filter(invoices::number.eq("F-1"))
            .select(invoices::id)
            .first(conn)
            .unwrap();
        let settled: Vec<(String, i64, NaiveDate)> = allocations::table
            .filter(allocations::invoice_id.eq(&f1))
            .select((
                allocations::source_kind,
                allocations::amount_minor,
                allocations::allocated_on,
            ))
            .load(conn)
            .unwrap();
        assert_eq!(
            settled,
            [("factor_collection".to_string(), 1_200_000, d(2026, 4, 28))],
            "{}",
            db.name
        );

        // A second sync changes nothing: every line known.
        let before = counts(conn);
        let again = runtime
            .block_on(sync_factor(
                conn,
                &db.ctx,
                &conns,
                "CT-1",
                d(2026, 3, 1),
                &mut |_| {},
            ))
            .unwrap();
        assert_eq!(counts(conn), before, "{}", db.name);
        assert!(
            again.statements.iter().all(|s| s.new_lines == 0),
            "{}",
            db.name
        );
        assert!(again.statements[2].proof.proved, "{}", db.name);

        // A statement naming an assignment we do not know: refused whole.
        let mut bad = FactorStatement {
            statement_id: "STM-BAD".into(),
            contract_number: "CT-1".into(),
            issued_on: d(2026, 4, 30),
            opening_balance: eur(584_235),
            closing_balance: eur(584_235 - 1_000),
            lines: vec![
                line(
                    "ADJ-1",
                    FactorMovementKind::Adjustment,
                    d(2026, 4, 30),
                    -1_000,
                ),
                line("INT-9", FactorMovementKind::Interest, d(2026, 4, 30), 0),
            ],
        };
        bad.lines[1].assignment_number = Some("CT-1-999999".into());
        let e = import_factor_statement(conn, &db.ctx, "CT-1", &bad).unwrap_err();
        assert_eq!(e.code(), "assignment_not_found", "{}: {e}", db.name);
        assert_eq!(counts(conn), before, "{}", db.name);

        // Unbalanced: 5,842.35 − 10.00 ≠ 5,842.35.
        let mut unbalanced = bad.clone();
        unbalanced.lines.truncate(1);
        unbalanced.closing_balance = eur(584_235);
        let e = import_factor_statement(conn, &db.ctx, "CT-1", &unbalanced).unwrap_err();
        assert_eq!(e.code(), "statement_unbalanced", "{}: {e}", db.name);
        assert_eq!(counts(conn), before, "{}", db.name);

        // An adjustment of −10.00 we cannot explain: stored, not posted,
        // and the proof lists it: closing 5,832.35 − our 5,842.35 = −10.00.
        let mut adjusted = bad.clone();
        adjusted.statement_id = "STM-ADJ".into();
        adjusted.lines.truncate(1);
        let r = import_factor_statement(conn, &db.ctx, "CT-1", &adjusted).unwrap();
        assert_eq!(r.lines[0].action, "review", "{}", db.name);
        assert_eq!(r.lines[0].state, "unmatched", "{}", db.name);
        assert!(!r.proof.proved, "{}", db.name);
        assert_eq!(r.proof.difference_minor, -1_000, "{}", db.name);
        assert_eq!(
            r.proof.statement_only.len(),
            1,
            "{}: {:?}",
            db.name,
            r.proof
        );
        assert_eq!(
            r.proof.statement_only[0].reference, "STM-ADJ/ADJ-1",
            "{}",
            db.name
        );
        assert_eq!(
            r.proof.statement_only[0].amount_minor, -1_000,
            "{}",
            db.name
        );
        assert!(r.proof.books_only.is_empty(), "{}", db.name);
        assert_eq!(r.proof.unexplained_minor, 0, "{}", db.name);
        // Nothing posted for it.
        assert_eq!(counts(conn).0, before.0, "{}", db.name);

        // 29 June: F-3 (EDF, 2,400.00 due 30 April, not approved) is still
        // unpaid 60 days after its due date: RECOURSE −2,400.00 and its
        // reserve RESERVE_RELEASED 10 % = +240.00, closing 5,842.35 −
        // 2,400.00 + 240.00 = 3,682.35. The recourse is a charge-back (411 /
        // 467; nothing approved, so no financing charge), the release 467 /
        // 4678: our 467 is 3,682.35 too.
        runtime.block_on(hook(
            &base,
            "/sandbox/factor/clock",
            json!({"today": "2026-06-29"}),
        ));
        let sync = runtime
            .block_on(sync_factor(
                conn,
                &db.ctx,
                &conns,
                "CT-1",
                d(2026, 6, 1),
                &mut |_| {},
            ))
            .unwrap();
        assert_eq!(sync.statements.len(), 1, "{}: {sync:?}", db.name);
        let s29 = &sync.statements[0];
        let actions: Vec<(&str, &str)> = s29.lines.iter().map(|l| (l.kind, l.action)).collect();
        assert_eq!(
            actions,
            vec![("recourse", "posted"), ("reserve_released", "posted")],
            "{}",
            db.name
        );
        assert_eq!(s29.closing_minor, 368_235, "{}", db.name);
        assert!(s29.proof.proved, "{}: {:?}", db.name, s29.proof);
        assert_eq!(balance(&db, conn, "467"), 368_235, "{}", db.name);
        assert_eq!(
            crate::factoring::receivable_of(&db, conn, "552081317"),
            240_000,
            "{}",
            db.name
        );
    }
}

/// The sandbox insurer pays the indemnity of an accepted claim and an
/// amount on a claim we do not know: the first is paid through the claims
/// service once (512 / 7587), the second waits unmatched; a second sync
/// changes nothing.
#[test]
fn insurer_settlements_pay_the_claim_once_and_leave_the_unknown_unmatched() {
    use factorgate::jobs::statement_sync::sync_settlements;
    use factorgate::service::claims::{decide_claim, file_claim, notify_overdue};
    use factorgate::store::schema::{insurance_claims, insurance_policies};
    use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in backends() {
        let sb = runtime.block_on(async { sandbox(SandboxConfig::default()) });
        let base = sb.base_url();
        let insurer = RestInsurer::new(RestInsurerConfig {
            base_url: base.clone(),
            client_id: "factorgate".into(),
            client_secret: Secret::new("sandbox-secret"),
            timeout: Duration::from_secs(5),
        })
        .expect("adapter");
        let conns = Connections::default().with("acme", Arc::new(insurer));
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // F-1 35,000.00 (5,833.33 VAT), insured 90 %, 500.00 deductible.
        let (policy, invoice, _) = crate::outbox::setup(&db, conn, None);
        notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 4, 10)).unwrap();
        let claim = file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 8, 28), false).unwrap();
        // 90 % of 29,166.67 = 26,250.00, less 500.00 = 25,750.00.
        decide_claim(conn, &claim.id, true, d(2026, 9, 15)).unwrap();
        diesel::update(insurance_policies::table.find(&policy))
            .set(insurance_policies::connection.eq("acme"))
            .execute(conn)
            .unwrap();
        diesel::update(insurance_claims::table.find(&claim.id))
            .set(insurance_claims::insurer_reference.eq("CLM-77"))
            .execute(conn)
            .unwrap();
        for (id, claim_id, amount) in [("S-1", "CLM-77", "25750.00"), ("S-2", "CLM-404", "1000.00")]
        {
            runtime.block_on(hook(
                &base,
                "/sandbox/settlements",
                json!({"settlement_id": id, "claim_id": claim_id, "kind": "INDEMNITY",
                    "amount": amount, "currency": "EUR", "paid_on": "2026-10-01"}),
            ));
        }
        let r = runtime
            .block_on(sync_settlements(
                conn,
                &db.ctx,
                &conns,
                &policy,
                d(2026, 9, 1),
            ))
            .unwrap();
        assert_eq!(r.new_lines, 2, "{}: {r:?}", db.name);
        let s1 = r.lines.iter().find(|l| l.settlement_id == "S-1").unwrap();
        assert_eq!(
            (s1.action, s1.state.as_str()),
            ("posted", "matched"),
            "{}",
            db.name
        );
        assert_eq!(
            s1.claim_id.as_deref(),
            Some(claim.id.as_str()),
            "{}",
            db.name
        );
        let s2 = r.lines.iter().find(|l| l.settlement_id == "S-2").unwrap();
        assert_eq!(
            (s2.action, s2.state.as_str()),
            ("review", "unmatched"),
            "{}",
            db.name
        );
        assert_eq!(balance(&db, conn, "512"), 2_575_000, "{}", db.name);
        assert_eq!(balance(&db, conn, "7587"), -2_575_000, "{}", db.name);
        let state: String = insurance_claims::table
            .find(&claim.id)
            .select(insurance_claims::state)
            .first(conn)
            .unwrap();
        assert_eq!(state, "paid", "{}", db.name);

        // Again: both known, nothing posted twice.
        let before = counts(conn);
        let again = runtime
            .block_on(sync_settlements(
                conn,
                &db.ctx,
                &conns,
                &policy,
                d(2026, 9, 1),
            ))
            .unwrap();
        assert_eq!((again.new_lines, again.known_lines), (0, 2), "{}", db.name);
        assert_eq!(counts(conn), before, "{}", db.name);
        assert_eq!(balance(&db, conn, "512"), 2_575_000, "{}", db.name);
    }
}

/// The settlements sync through the API: a treasurer syncs, the indemnity
/// 25,750.00 is posted; an accountant may not (403).
#[actix_web::test]
async fn settlements_sync_through_the_api() {
    use crate::api::{keys, post, state, Api};
    use factorgate::service::claims::{decide_claim, file_claim, notify_overdue};
    use factorgate::store::schema::insurance_policies;
    use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};

    for db in backends() {
        let sb = sandbox(SandboxConfig::default());
        let base = sb.base_url();
        let insurer = RestInsurer::new(RestInsurerConfig {
            base_url: base.clone(),
            client_id: "factorgate".into(),
            client_secret: Secret::new("sandbox-secret"),
            timeout: Duration::from_secs(5),
        })
        .expect("adapter");
        let conns = Connections::default().with("acme", Arc::new(insurer));
        let ids = {
            let mut conn = db.store.conn().unwrap();
            let conn = &mut *conn;
            let (policy, invoice, _) = crate::outbox::setup(&db, conn, None);
            notify_overdue(conn, &policy, &invoice, "overdue", d(2026, 4, 10)).unwrap();
            let claim =
                file_claim(conn, &db.ctx, &policy, &invoice, d(2026, 8, 28), false).unwrap();
            decide_claim(conn, &claim.id, true, d(2026, 9, 15)).unwrap();
            diesel::update(insurance_policies::table.find(&policy))
                .set(insurance_policies::connection.eq("acme"))
                .execute(conn)
                .unwrap();
            (policy, claim.id)
        };
        let (policy, claim) = ids;
        hook(
            &base,
            "/sandbox/settlements",
            json!({"settlement_id": "S-1", "claim_id": claim, "kind": "INDEMNITY",
                "amount": "25750.00", "currency": "EUR", "paid_on": "2026-10-01"}),
        )
        .await;
        let k = keys(&db);
        let api = Api::new(state(&db).with_adapters(conns)).await;
        let path = format!("/v1/insurance/policies/{policy}/settlements/sync");
        let body = json!({"since": "2026-09-01"});
        api.send(post(&path, &k.accountant, &body))
            .await
            .expect(403);
        let r = api.send(post(&path, &k.treasurer, &body)).await.expect(200);
        assert_eq!(r["lines"][0]["action"], json!("posted"), "{}: {r}", db.name);
        assert_eq!(r["lines"][0]["claim_id"], json!(claim), "{}", db.name);
        let mut conn = db.store.conn().unwrap();
        assert_eq!(balance(&db, &mut conn, "7587"), -2_575_000, "{}", db.name);
        let again = api.send(post(&path, &k.treasurer, &body)).await.expect(200);
        assert_eq!(again["lines"][0]["action"], json!("known"), "{}", db.name);
    }
}

/// The CLI refuses a factor statement file naming an assignment we do not
/// know (`assignment_not_found`, exit 2), and `factor sync` on a contract
/// without a connection (`contract_without_connection`).
#[test]
fn the_cli_refuses_unknown_assignments_and_unconnected_contracts() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_factorgate"))
            .args(args)
            .current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("t.db").display()),
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
    };
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(run(
        &[
            "sellers",
            "add",
            "--name",
            "Peugeot SA",
            "--siren",
            "552100554",
        ],
        None,
    ));
    ok(run(
        &["factor", "contract", "create"],
        Some(
            r#"{"factor":"Factor","number":"CTR-1","seller":"552100554","currency":"EUR",
            "terms":{"effective_from":"2026-01-01","recourse":"with_recourse","notification":"confidential",
            "scope":"spot","advance_rate":"0.90","reserve_rate":"0.10","fee_rate":"0.005","margin":"0.015",
            "recourse_days":60,"max_invoice_age_days":90,"max_term_days":60,"factor_name":"Factor"}}"#,
        ),
    ));
    let root = env!("CARGO_MANIFEST_DIR");
    let fixture = format!("{root}/adapters/file-factor/tests/fixtures/STATEMENT_CTR-1_2026-03.csv");
    let profile = format!("{root}/schemas/csv-factor/1/profile.toml");
    let out = run(
        &[
            "reconcile",
            "--factor-statement",
            &fixture,
            "--contract",
            "CTR-1",
            "--profile",
            &profile,
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error[assignment_not_found]"), "{err}");
    let out = run(&["factor", "sync", "--contract", "CTR-1"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error[contract_without_connection]"), "{err}");
}
