//! Captures the sandbox's answers into `tests/recorded/` for the offline
//! tests. Run by hand after changing the sandbox's wire format:
//! `cargo test -p factorgate-rest-insurer --test record -- --ignored`.

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
}

fn limit(siren: &str, value: &str) -> Value {
    json!({
        "policyNumber": "POL-1", "requestType": "NEW",
        "buyer": {"companyName": "Acheteur SA", "countryCode": "FR",
                  "legalIds": [{"scheme": "0002", "value": siren}]},
        "requestedAmount": {"value": value, "currency": "EUR"},
        "effectiveDate": "2025-03-01"
    })
}

#[tokio::test]
#[ignore = "rewrites tests/recorded/ from a live sandbox"]
async fn record_responses() {
    let sandbox = spawn(recording_config(), "127.0.0.1:0").unwrap();
    let mut rec = Recorder {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        token: String::new(),
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/recorded"),
    };
    record_all(&mut rec).await;
    sandbox.stop();
    // What the offline tests will read: each file a status and a body.
    let written = std::fs::read_dir(&rec.dir).unwrap().count();
    assert!(written >= 21, "only {written} recordings written");
    let again: Value = serde_json::from_str(
        &std::fs::read_to_string(rec.dir.join("bearer_invalid_401.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(again["status"], 401);
}

/// Fixed dates and seeded settlements, so recordings differ only in ids.
fn recording_config() -> SandboxConfig {
    let mut config = SandboxConfig::from_toml_str(
        r#"
        today = "2025-05-02"
        pending_polls = 0
        [[settlements]]
        settlement_id = "S-1"
        claim_id = "CLM-000009"
        kind = "INDEMNITY"
        amount = "9000.00"
        currency = "EUR"
        paid_on = "2025-04-01"
        [[settlements]]
        settlement_id = "S-2"
        claim_id = "CLM-000009"
        kind = "RECOVERY_SHARE"
        amount = "150.50"
        currency = "EUR"
        paid_on = "2025-04-20"
        "#,
    )
    .unwrap();
    config.fail_first.fetch_settlements = 1;
    config
}

/// Every exchange the offline tests replay, saved one file each.
async fn record_all(rec: &mut Recorder) {
    let (http, base) = (rec.http.clone(), rec.base.clone());
    let wrong = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("factorgate", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    rec.save("token_invalid_client_401", wrong).await;
    let good = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("factorgate", Some("sandbox-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    rec.token = rec.save("token", good).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let cases = [
        ("approved", "552100554", "30000.00"),
        ("partially_approved", "552100554", "80000.00"),
        ("refused", "999999999", "1000.00"),
        ("conditional", "111111111", "1000.00"),
        ("unknown_status", "777777777", "1000.00"),
    ];
    for (name, siren, value) in cases {
        let job = rec
            .post(
                &format!("limit_{name}_202"),
                "/v1/credit-limit-requests",
                name,
                &limit(siren, value),
            )
            .await;
        let path = format!(
            "/v1/credit-limit-requests/jobs/{}",
            job["jobId"].as_str().unwrap()
        );
        rec.get(&format!("job_{name}"), &path).await;
    }
    rec.post(
        "idempotency_key_reused_422",
        "/v1/credit-limit-requests",
        "approved",
        &limit("552100554", "1.00"),
    )
    .await;
    rec.post(
        "limit_invalid_422",
        "/v1/credit-limit-requests",
        "bad",
        &limit("552100554", "-5"),
    )
    .await;
    rec.get(
        "job_not_found_404",
        "/v1/credit-limit-requests/jobs/JOB-404",
    )
    .await;
    let notice = json!({
        "policyNumber": "POL-1",
        "buyer": {"companyName": "Acheteur SA", "countryCode": "FR",
                  "legalIds": [{"scheme": "0002", "value": "552100554"}]},
        "invoiceNumber": "F-2025-001", "invoiceDate": "2025-01-10", "dueDate": "2025-02-10",
        "overdueAmount": {"value": "1200.00", "currency": "EUR"}
    });
    rec.post("notice_201", "/v1/overdue-notices", "n1", &notice)
        .await;
    let claim = json!({
        "policyNumber": "POL-1",
        "buyer": {"companyName": "Acheteur SA", "countryCode": "FR",
                  "legalIds": [{"scheme": "0002", "value": "552100554"}]},
        "invoiceNumbers": ["F-2025-001"], "claimAmount": {"value": "1200.00", "currency": "EUR"},
        "filingDate": "2025-05-01"
    });
    rec.post("claim_201", "/v1/claims", "c1", &claim).await;
    rec.get("buyers_found", "/v1/buyers?scheme=0002&id=552100554")
        .await;
    rec.get(
        "settlements_unavailable_503",
        "/v1/settlements?paidSince=2025-01-01",
    )
    .await;
    rec.get("settlements", "/v1/settlements?paidSince=2025-01-01")
        .await;
    rec.token = "expired-or-unknown".into();
    rec.get("bearer_invalid_401", "/v1/settlements?paidSince=2025-01-01")
        .await;
}
