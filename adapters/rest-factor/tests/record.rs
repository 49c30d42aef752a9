//! Captures the sandbox factor's answers into `tests/recorded/` for the
//! offline tests. Run by hand after changing the sandbox's wire format:
//! `cargo test -p factorgate-rest-factor --test record -- --ignored`.

use std::path::PathBuf;

use factorgate_sandbox::{spawn, SandboxConfig};
use serde_json::{json, Value};

struct Recorder {
    http: reqwest::Client,
    base: String,
    token: String,
    dir: PathBuf,
}

impl Recorder {
    async fn save(&self, name: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        let record = json!({"status": status, "retry_after": retry_after, "body": body});
        let text = serde_json::to_string_pretty(&record).unwrap() + "\n";
        std::fs::write(self.dir.join(format!("{name}.json")), text).unwrap();
        body
    }

    async fn post(&self, name: &str, path: &str, key: &str, body: &Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        self.save(name, r).await
    }

    async fn get(&self, name: &str, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        self.save(name, r).await
    }

    async fn clock(&self, today: &str) {
        let r = self
            .http
            .post(format!("{}/sandbox/factor/clock", self.base))
            .json(&json!({ "today": today }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

fn buyer(siren: &str) -> Value {
    json!({"companyName": "Acheteur SA", "countryCode": "FR",
           "legalIds": [{"scheme": "0002", "value": siren}]})
}

fn assignment(total: &str) -> Value {
    let doc = |kind: &str, number: &str, siren: &str, gross: &str, approved: &str| {
        json!({"documentType": kind, "number": number, "buyer": buyer(siren),
               "issueDate": "2026-03-01", "dueDate": "2026-04-30",
               "grossAmount": {"value": gross, "currency": "EUR"},
               "approvedAmount": {"value": approved, "currency": "EUR"}})
    };
    json!({
        "contractNumber": "CTR-1", "assignmentNumber": "A-0001",
        "seller": {"companyName": "Société Exemple SA", "siren": "443061841"},
        "assignmentDate": "2026-03-02",
        "documents": [
            doc("INVOICE", "F-1", "552100554", "6000.00", "6000.00"),
            doc("INVOICE", "F-2", "732829320", "10000.00", "7500.00"),
            doc("CREDIT_NOTE", "AV-1", "732829320", "1000.00", "0.00"),
        ],
        "totalAmount": {"value": total, "currency": "EUR"}
    })
}

fn approval(siren: &str, value: &str) -> Value {
    json!({"contractNumber": "CTR-1", "requestType": "NEW", "buyer": buyer(siren),
           "requestedAmount": {"value": value, "currency": "EUR"},
           "effectiveDate": "2026-03-01"})
}

/// Fixed dates, immediate decisions, one 503 on statements.
fn recording_config() -> SandboxConfig {
    let mut config = SandboxConfig {
        today: Some("2026-03-02".parse().unwrap()),
        ..SandboxConfig::default()
    };
    config.factor.pending_polls = 0;
    config.factor.auto_fund = false;
    config.fail_first.fetch_statements = 1;
    config
}

/// A recorder holding a token of the sandbox at `base`.
async fn recorder(base: String) -> Recorder {
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/oauth/token", base))
        .basic_auth("factorgate", Some("sandbox-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rec = Recorder {
        http,
        base,
        token: token["access_token"].as_str().unwrap().to_string(),
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/recorded"),
    };
    std::fs::create_dir_all(&rec.dir).unwrap();
    rec
}

async fn record_all(rec: &Recorder) {
    rec.post(
        "total_mismatch_422",
        "/factor/v1/assignments",
        "bad",
        &assignment("16000.00"),
    )
    .await;
    let sent = rec
        .post(
            "assignment_received_201",
            "/factor/v1/assignments",
            "k1",
            &assignment("15000.00"),
        )
        .await;
    let path = format!(
        "/factor/v1/assignments/{}",
        sent["assignmentId"].as_str().unwrap()
    );
    rec.get("assignment_acknowledged", &path).await;
    rec.get("assignment_not_found_404", "/factor/v1/assignments/ASG-404")
        .await;
    let funding = |value: &str| {
        json!({"contractNumber": "CTR-1", "requestDate": "2026-03-02",
               "requestedAmount": {"value": value, "currency": "EUR"}})
    };
    rec.post(
        "funding_accepted_201",
        "/factor/v1/funding-requests",
        "f1",
        &funding("20000.00"),
    )
    .await;
    rec.post(
        "funding_refused_201",
        "/factor/v1/funding-requests",
        "f2",
        &funding("1.00"),
    )
    .await;
    for (name, siren, value) in [
        ("partially_approved", "732829320", "25000.00"),
        ("refused", "123456789", "1000.00"),
        ("unknown_status", "777777777", "1000.00"),
    ] {
        let job = rec
            .post(
                &format!("approval_{name}_202"),
                "/factor/v1/debtor-approvals",
                name,
                &approval(siren, value),
            )
            .await;
        let path = format!(
            "/factor/v1/debtor-approvals/jobs/{}",
            job["jobId"].as_str().unwrap()
        );
        rec.get(&format!("approval_job_{name}"), &path).await;
    }
    rec.clock("2026-03-03").await;
    let since = "/factor/v1/statements?contractNumber=CTR-1&since=2026-03-01";
    rec.get("statements_unavailable_503", since).await;
    rec.get("statements", since).await;
}

#[tokio::test]
#[ignore = "rewrites tests/recorded/ from a live sandbox"]
async fn record_responses() {
    let sandbox = spawn(recording_config(), "127.0.0.1:0").unwrap();
    let rec = recorder(sandbox.base_url()).await;
    record_all(&rec).await;
    sandbox.stop();
    // What the offline tests will read: each file a status and a body.
    let written = std::fs::read_dir(&rec.dir).unwrap().count();
    assert!(written >= 14, "only {written} recordings written");
    let missing: Value = serde_json::from_str(
        &std::fs::read_to_string(rec.dir.join("assignment_not_found_404.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(missing["status"], 404);
}
