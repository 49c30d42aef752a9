//! The sandbox over real HTTP on 127.0.0.1: tokens, idempotency, polling,
//! the test hooks and the request log.

use std::time::{Duration, Instant};

use factorgate_sandbox::{spawn, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let reply: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "factorgate"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().unwrap().to_string()
}

impl Client {
    async fn new(sandbox: &SandboxHandle) -> Client {
        let http = reqwest::Client::new();
        let base = sandbox.base_url();
        let token = token(&http, &base).await;
        Client { http, base, token }
    }

    async fn post(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn log(&self) -> Vec<Value> {
        let r = self.http.get(format!("{}/sandbox/requests", self.base));
        r.send().await.unwrap().json().await.unwrap()
    }
}

fn limit_request(siren: &str, amount: &str) -> Value {
    json!({
        "policyNumber": "POL-1",
        "requestType": "NEW",
        "buyer": {
            "companyName": "Acheteur SA",
            "countryCode": "FR",
            "legalIds": [{"scheme": "0002", "value": siren}]
        },
        "requestedAmount": {"value": amount, "currency": "EUR"},
        "effectiveDate": "2025-03-01"
    })
}

#[tokio::test]
async fn a_token_is_needed_and_given_only_for_the_right_secret() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let wrong = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("factorgate", Some("nope"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let right: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("factorgate", Some("sandbox-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(right["token_type"], "Bearer");
    assert_eq!(right["expires_in"], 3600);

    let anonymous = http
        .get(format!("{base}/v1/settlements?paidSince=2025-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    sandbox.stop();
}

#[tokio::test]
async fn a_limit_job_is_pending_then_decided_by_the_rules() {
    let config = SandboxConfig {
        pending_polls: 2,
        ..SandboxConfig::default()
    };
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let c = Client::new(&sandbox).await;
    // 80000.00 > approve_up_to 50000: granted 80000.00 × 0.5 = 40000.00.
    let (status, job) = c
        .post(
            "/v1/credit-limit-requests",
            "k1",
            &limit_request("552100554", "80000.00"),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(job["status"], "PENDING");
    assert_eq!(job["buyerId"], "BUY-0002-552100554");
    let path = format!(
        "/v1/credit-limit-requests/jobs/{}",
        job["jobId"].as_str().unwrap()
    );
    // pending_polls = 2: two PENDING answers, the third is the decision.
    assert_eq!(c.get(&path).await.1["status"], "PENDING");
    assert_eq!(c.get(&path).await.1["status"], "PENDING");
    let (_, done) = c.get(&path).await;
    assert_eq!(done["status"], "PARTIALLY_APPROVED");
    assert_eq!(
        done["decision"]["grantedAmount"],
        json!({"value": "40000.00", "currency": "EUR"})
    );
    assert_eq!(done["decision"]["effectiveDate"], "2025-03-01");
    // 2025-03-01 + 365 days = 2026-03-01.
    assert_eq!(done["decision"]["expiryDate"], "2026-03-01");
    let (status, missing) = c.get("/v1/credit-limit-requests/jobs/JOB-404").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "JOB_NOT_FOUND");
    sandbox.stop();
}

#[tokio::test]
async fn a_replayed_post_gets_the_first_answer_and_another_body_a_conflict() {
    let sandbox = spawn(SandboxConfig::default(), "127.0.0.1:0").unwrap();
    let c = Client::new(&sandbox).await;
    let body = limit_request("552100554", "1000.00");
    let (s1, first) = c.post("/v1/credit-limit-requests", "same", &body).await;
    let (s2, again) = c.post("/v1/credit-limit-requests", "same", &body).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first, again, "the replay answers the first job");
    let (s3, conflict) = c
        .post(
            "/v1/credit-limit-requests",
            "same",
            &limit_request("552100554", "2000.00"),
        )
        .await;
    assert_eq!(s3, 422);
    assert_eq!(conflict["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    let missing_key = c
        .http
        .post(format!("{}/v1/claims", c.base))
        .bearer_auth(&c.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_key.status().as_u16(), 400);

    let log = c.log().await;
    let posts: Vec<_> = log
        .iter()
        .filter(|r| r["idempotency_key"] == "same")
        .collect();
    assert_eq!(posts.len(), 3);
    assert_eq!(
        posts
            .iter()
            .map(|r| r["replay"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(posts[0]["method"], "POST");
    assert_eq!(posts[0]["path"], "/v1/credit-limit-requests");
    assert!(posts[0]["received_at"].as_str().unwrap().ends_with('Z'));
    sandbox.stop();
}

#[tokio::test]
async fn fail_first_answers_503_then_works_and_reset_starts_over() {
    let mut config = SandboxConfig::default();
    config.fail_first.notify_overdue = 2;
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let c = Client::new(&sandbox).await;
    let notice = json!({
        "policyNumber": "POL-1",
        "buyer": {"companyName": "A", "countryCode": "FR",
                  "legalIds": [{"scheme": "0002", "value": "552100554"}]},
        "invoiceNumber": "F-1",
        "invoiceDate": "2025-01-10",
        "dueDate": "2025-02-10",
        "overdueAmount": {"value": "1200.00", "currency": "EUR"}
    });
    for _ in 0..2 {
        let r = c
            .http
            .post(format!("{}/v1/overdue-notices", c.base))
            .bearer_auth(&c.token)
            .header("Idempotency-Key", "n1")
            .json(&notice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
    }
    let (status, receipt) = c.post("/v1/overdue-notices", "n1", &notice).await;
    assert_eq!(status, 201);
    assert_eq!(receipt["status"], "RECEIVED");

    let reset = c
        .http
        .post(format!("{}/sandbox/reset", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 204);
    assert!(c.log().await.is_empty(), "the log is forgotten");
    let again = c
        .http
        .post(format!("{}/v1/overdue-notices", c.base))
        .bearer_auth(&c.token)
        .header("Idempotency-Key", "n1")
        .json(&notice)
        .send()
        .await
        .unwrap();
    // Tokens are forgotten too.
    assert_eq!(again.status().as_u16(), 401);
    sandbox.stop();
}

#[tokio::test]
async fn a_delay_holds_the_answer_back() {
    let mut config = SandboxConfig::default();
    config.delays_ms.find_buyer = 300;
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let c = Client::new(&sandbox).await;
    let started = Instant::now();
    let (status, found) = c.get("/v1/buyers?scheme=0002&id=552100554").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, 200);
    assert_eq!(found["buyers"], json!([]));
    sandbox.stop();
}

#[tokio::test]
async fn settlements_come_from_config_and_the_admin_route() {
    let config = SandboxConfig::from_toml_str(
        r#"
        [[settlements]]
        settlement_id = "S-1"
        claim_id = "CLM-9"
        kind = "INDEMNITY"
        amount = "9000.00"
        currency = "EUR"
        paid_on = "2025-04-01"
        "#,
    )
    .unwrap();
    let sandbox = spawn(config, "127.0.0.1:0").unwrap();
    let c = Client::new(&sandbox).await;
    let added = c
        .http
        .post(format!("{}/sandbox/settlements", c.base))
        .json(
            &json!([{"settlement_id": "S-0", "claim_id": "CLM-1", "kind": "RECOVERY_SHARE",
                       "amount": "150.50", "currency": "EUR", "paid_on": "2025-02-01"},
                      {"settlement_id": "S-old", "claim_id": "CLM-1", "kind": "INDEMNITY",
                       "amount": "1.00", "currency": "EUR", "paid_on": "2024-12-31"}]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 201);
    let (_, list) = c.get("/v1/settlements?paidSince=2025-01-01").await;
    let ids: Vec<_> = list["settlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["settlementId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S-0", "S-1"], "oldest first, none before paidSince");
    assert_eq!(list["settlements"][0]["type"], "RECOVERY_SHARE");
    assert_eq!(list["settlements"][0]["amount"]["value"], "150.50");
    let (status, _) = c.get("/v1/settlements").await;
    assert_eq!(status, 400, "paidSince is required");
    sandbox.stop();
}
