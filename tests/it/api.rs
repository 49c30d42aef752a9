//! The HTTP API end to end, through actix's test service, against each
//! backend (SQLite always, PostgreSQL when FACTORGATE_TEST_POSTGRES_URL is
//! set).

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use factorgate::api::{app, routes, Access, ApiState};
use factorgate::formats::fec::FEC_COLUMNS;
use factorgate::service::keys::{create_key, Role};
use futures_util::future::LocalBoxFuture;
use serde_json::{json, Value};

use crate::common::{backends, TestDb};

const SELLER_SIREN: &str = "552100554";
const BUYER_SIREN: &str = "732829320";

/// An answer, read whole.
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a problem+json answer with this status and code.
    pub(crate) fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["status"], status);
        assert_eq!(p["type"], format!("https://factorgate.dev/problems/{code}"));
        p
    }

    pub(crate) fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

async fn send<S, R, B>(app: &S, req: R) -> Resp
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Resp {
        status,
        headers,
        body,
    }
}

/// The application under test, behind one concrete call type.
pub(crate) struct Api {
    call: Box<dyn Fn(TestRequest) -> LocalBoxFuture<'static, Resp>>,
}

impl Api {
    pub(crate) async fn new(state: ApiState) -> Api {
        let svc = Rc::new(test::init_service(app(state)).await);
        Api {
            call: Box::new(move |r| {
                let svc = svc.clone();
                Box::pin(async move { send(&*svc, r.to_request()).await })
            }),
        }
    }

    pub(crate) async fn send(&self, r: TestRequest) -> Resp {
        (self.call)(r).await
    }
}

pub(crate) fn req(method: Method, path: &str, key: Option<&str>) -> TestRequest {
    let r = TestRequest::default().method(method).uri(path);
    match key {
        Some(k) => r.insert_header(("Authorization", format!("Bearer {k}"))),
        None => r,
    }
}

pub(crate) fn get(path: &str, key: &str) -> TestRequest {
    req(Method::GET, path, Some(key))
}

pub(crate) fn post(path: &str, key: &str, body: &Value) -> TestRequest {
    req(Method::POST, path, Some(key))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

pub(crate) struct Keys {
    pub(crate) admin: String,
    pub(crate) treasurer: String,
    pub(crate) accountant: String,
    pub(crate) finance: String,
}

pub(crate) fn keys(db: &TestDb) -> Keys {
    let mut conn = db.store.conn().unwrap();
    let mut make = |role| create_key(&mut conn, role, "test").unwrap().key;
    Keys {
        admin: make(Role::Admin),
        treasurer: make(Role::Treasurer),
        accountant: make(Role::Accountant),
        finance: make(Role::FinanceSystem),
    }
}

pub(crate) fn state(db: &TestDb) -> ApiState {
    ApiState::new(db.store.clone(), db.ctx.clone())
}

fn invoice(number: &str, gross: &str) -> Value {
    // net + 20 % VAT = gross, for the round figures the tests use.
    let gross_minor: i64 = gross.replace('.', "").parse().unwrap();
    let net = gross_minor * 10 / 12;
    let tax = gross_minor - net;
    json!({
        "seller": SELLER_SIREN,
        "buyer_legal_id": {"scheme": "siren", "value": BUYER_SIREN},
        "number": number,
        "issue_date": "2025-01-01",
        "due_date": "2025-01-31",
        "currency": "EUR",
        "net": format!("{}.{:02}", net / 100, net % 100),
        "tax": format!("{}.{:02}", tax / 100, tax % 100),
        "gross": gross,
    })
}

/// A seller and a buyer (by SIREN); returns the buyer's id.
async fn parties(api: &Api, k: &Keys) -> String {
    let r = api
        .send(post(
            "/v1/sellers",
            &k.admin,
            &json!({"name": "Peugeot SA", "siren": "552 100 554"}),
        ))
        .await;
    let seller = r.expect(201);
    assert_eq!(seller["siren"], SELLER_SIREN);
    assert_eq!(seller["name"], "Peugeot SA");
    let seller_id = seller["id"].as_str().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/sellers/{seller_id}").as_str())
    );
    let r = api
        .send(post(
            "/v1/buyers",
            &k.treasurer,
            &json!({"name": "INSEE", "country": "fr",
                    "legal_ids": [{"scheme": "siren", "value": "732 829 320"}]}),
        ))
        .await;
    let buyer = r.expect(201);
    assert_eq!(buyer["country"], "FR");
    assert_eq!(
        buyer["legal_ids"],
        json!([{"scheme": "siren", "value": BUYER_SIREN, "verified": true}])
    );
    buyer["id"].as_str().unwrap().to_string()
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

#[actix_web::test]
async fn keys_roles_health_and_unknown_routes() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;

        let r = api.send(req(Method::GET, "/healthz", None)).await;
        assert_eq!(r.expect(200), json!({"status": "ok"}), "{}", db.name);

        let r = api.send(req(Method::GET, "/v1/sellers", None)).await;
        r.problem(401, "unauthorized");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"factorgate\"")
        );

        let r = api.send(get("/v1/sellers", "fg_0000000000000000")).await;
        r.problem(401, "unauthorized");
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));

        let r = api
            .send(
                req(Method::GET, "/v1/sellers", None)
                    .insert_header(("Authorization", "Basic YTpi")),
            )
            .await;
        r.problem(401, "unauthorized");

        // Every role reads the sellers.
        for key in [&k.admin, &k.treasurer, &k.accountant, &k.finance] {
            let r = api.send(get("/v1/sellers", key)).await;
            assert_eq!(r.expect(200), json!({"items": [], "next_cursor": null}));
        }

        // finance_system may not post a manual entry; nothing is read first.
        let entry = json!({"date": "2025-02-01", "label": "x", "piece_ref": "P1", "reference": "r1",
            "lines": [{"account": "512", "debit": "1.00", "currency": "EUR"},
                      {"account": "471", "credit": "1.00", "currency": "EUR"}]});
        let r = api
            .send(post("/v1/ledger/entries", &k.finance, &entry))
            .await;
        let p = r.problem(403, "forbidden");
        assert_eq!(
            p["detail"],
            "role finance_system may not call POST /v1/ledger/entries"
        );
        // A treasurer may not export the FEC, an accountant and admin may.
        let r = api
            .send(get("/v1/exports/fec?year=2025", &k.treasurer))
            .await;
        r.problem(403, "forbidden");
        let r = api
            .send(get("/v1/exports/fec?year=2025", &k.accountant))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = api.send(get("/v1/exports/fec?year=2025", &k.admin)).await;
        assert_eq!(r.status, StatusCode::OK);
        // Only admin creates sellers.
        let r = api
            .send(post("/v1/sellers", &k.accountant, &json!({"name": "X"})))
            .await;
        r.problem(403, "forbidden");

        let r = api.send(get("/v1/nothing-here", &k.admin)).await;
        let p = r.problem(404, "route_not_found");
        assert_eq!(p["detail"], "no route for GET /v1/nothing-here");
        let r = api
            .send(req(Method::DELETE, "/v1/sellers", Some(&k.admin)))
            .await;
        r.problem(405, "method_not_allowed");
        assert_eq!(r.header("allow"), Some("POST, GET"));

        let r = api.send(get("/v1/invoices/nope", &k.finance)).await;
        let p = r.problem(404, "invoice_not_found");
        assert_eq!(p["detail"], "invoice 'nope' not found");
    }
}

#[actix_web::test]
async fn invoices_are_recorded_read_back_and_replayed() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let buyer_id = parties(&api, &k).await;

        let body = invoice("F-2025-001", "1200.00");
        let r = api.send(post("/v1/invoices", &k.finance, &body)).await;
        let created = r.expect(201);
        let id = created["id"].as_str().unwrap().to_string();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/invoices/{id}").as_str()),
            "{}",
            db.name
        );
        assert_eq!(created["number"], "F-2025-001");
        assert_eq!(created["kind"], "invoice");
        assert_eq!(created["buyer_id"], buyer_id.as_str());
        assert_eq!(created["net"], eur("1000.00"));
        assert_eq!(created["tax"], eur("200.00"));
        assert_eq!(created["gross"], eur("1200.00"));
        assert_eq!(created["open"], eur("1200.00"));
        assert_eq!(created["state"], "open");
        assert_eq!(created["lme_exceeded"], false);
        assert_eq!(created["issue_date"], "2025-01-01");
        assert_eq!(created["due_date"], "2025-01-31");

        let r = api
            .send(get(&format!("/v1/invoices/{id}"), &k.treasurer))
            .await;
        assert_eq!(r.expect(200), created);

        // The same invoice again: unchanged, same record.
        let r = api.send(post("/v1/invoices", &k.accountant, &body)).await;
        assert_eq!(r.expect(200), created);

        // The same number with other content: a conflict.
        let r = api
            .send(post(
                "/v1/invoices",
                &k.admin,
                &invoice("F-2025-001", "1500.00"),
            ))
            .await;
        let p = r.problem(409, "invoice_number_conflict");
        assert!(p["detail"].as_str().unwrap().contains("F-2025-001"), "{p}");

        // Its sales entry: 411 debit gross on the buyer, 707 and 44571 credit.
        let r = api
            .send(get(&format!("/v1/invoices/{id}/entries"), &k.accountant))
            .await;
        let entries = r.expect(200);
        assert_eq!(entries["next_cursor"], Value::Null);
        let items = entries["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["event_id"], id.as_str());
        let lines: Vec<(String, String, String)> = items[0]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["account"].as_str().unwrap().to_string(),
                    l["debit"]["amount"].as_str().unwrap().to_string(),
                    l["credit"]["amount"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                ("411".into(), "1200.00".into(), "0.00".into()),
                ("707".into(), "0.00".into(), "1000.00".into()),
                ("44571".into(), "0.00".into(), "200.00".into()),
            ]
        );
        assert_eq!(items[0]["lines"][0]["buyer_id"], buyer_id.as_str());

        // By seller SIREN, buyer by legal id, with filters.
        let r = api
            .send(get(&format!("/v1/buyers/siren:{BUYER_SIREN}"), &k.finance))
            .await;
        assert_eq!(r.expect(200)["id"], buyer_id.as_str());
        let r = api
            .send(get(&format!("/v1/sellers/{SELLER_SIREN}"), &k.finance))
            .await;
        assert_eq!(r.expect(200)["siren"], SELLER_SIREN);
        let r = api
            .send(get(
                "/v1/invoices?state=open&currency=EUR&kind=invoice",
                &k.finance,
            ))
            .await;
        assert_eq!(r.expect(200)["items"].as_array().unwrap().len(), 1);
        let r = api.send(get("/v1/invoices?state=paid", &k.finance)).await;
        assert_eq!(r.expect(200)["items"], json!([]));
        let r = api.send(get("/v1/invoices?colour=red", &k.finance)).await;
        let p = r.problem(400, "query_invalid");
        assert_eq!(p["field"], "colour");
        let r = api.send(get("/v1/invoices?limit=0", &k.finance)).await;
        r.problem(400, "query_invalid");
        let r = api
            .send(get("/v1/invoices?due_before=tomorrow", &k.finance))
            .await;
        r.problem(400, "query_invalid");
    }
}

#[actix_web::test]
async fn lists_page_with_a_cursor() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        let mut ids = HashSet::new();
        for n in ["A-1", "A-2", "A-3"] {
            let r = api
                .send(post("/v1/invoices", &k.admin, &invoice(n, "120.00")))
                .await;
            ids.insert(r.expect(201)["id"].as_str().unwrap().to_string());
        }
        let first = api
            .send(get("/v1/invoices?limit=2", &k.finance))
            .await
            .expect(200);
        assert_eq!(first["items"].as_array().unwrap().len(), 2, "{}", db.name);
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a next cursor")
            .to_string();
        let second = api
            .send(get(
                &format!("/v1/invoices?limit=2&cursor={cursor}"),
                &k.finance,
            ))
            .await
            .expect(200);
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["next_cursor"], Value::Null);
        let mut seen: Vec<String> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["items"].as_array().unwrap())
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        let numbers: Vec<&str> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["items"].as_array().unwrap())
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec!["A-1", "A-2", "A-3"]);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen.into_iter().collect::<HashSet<_>>(), ids);

        // Buyers and sellers page the same way.
        let r = api
            .send(get("/v1/buyers?country=FR&limit=1", &k.finance))
            .await;
        let page = r.expect(200);
        assert_eq!(page["items"][0]["name"], "INSEE");
        assert_eq!(page["next_cursor"], Value::Null);
        let r = api.send(get("/v1/buyers?country=DE", &k.finance)).await;
        assert_eq!(r.expect(200)["items"], json!([]));
        let r = api.send(get("/v1/sellers?limit=1", &k.finance)).await;
        assert_eq!(r.expect(200)["items"][0]["siren"], SELLER_SIREN);
    }
}

#[actix_web::test]
async fn bad_input_is_refused_with_its_field_and_writes_nothing() {
    for db in backends() {
        let k = keys(&db);
        let mut st = state(&db);
        st.body_limit = 4096;
        let api = Api::new(st).await;

        // An invalid SIREN on a buyer: 422, and no buyer.
        let r = api
            .send(post(
                "/v1/buyers",
                &k.admin,
                &json!({"name": "Bad", "country": "FR",
                        "legal_ids": [{"scheme": "siren", "value": "732829321"}]}),
            ))
            .await;
        let p = r.problem(422, "legal_id_check_digit");
        assert_eq!(p["field"], "legal_ids[0]", "{}", db.name);
        let r = api.send(get("/v1/buyers", &k.admin)).await;
        assert_eq!(r.expect(200), json!({"items": [], "next_cursor": null}));

        parties(&api, &k).await;

        let r = api
            .send(
                req(Method::POST, "/v1/invoices", Some(&k.admin))
                    .insert_header(("Content-Type", "application/json"))
                    .set_payload("{\n  \"seller\": \"552100554\",\n  \"number\": 12,\n}"),
            )
            .await;
        let p = r.problem(400, "json_invalid");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("line 3"), "{detail}");
        assert!(detail.contains("invalid type: integer `12`"), "{detail}");

        let r = api
            .send(
                req(Method::POST, "/v1/invoices", Some(&k.admin))
                    .set_payload(r#"{"seller": "552100554"}"#),
            )
            .await;
        let p = r.problem(400, "json_invalid");
        assert_eq!(p["field"], "number");
        assert!(p["detail"]
            .as_str()
            .unwrap()
            .starts_with("missing field `number`"));

        let mut body = invoice("B-1", "120.00");
        body["currency"] = json!("XYZ");
        let r = api.send(post("/v1/invoices", &k.admin, &body)).await;
        let p = r.problem(422, "currency_unknown");
        assert_eq!(p["field"], "currency");

        let mut body = invoice("B-1", "120.00");
        body["net"] = json!("-100.00");
        let r = api.send(post("/v1/invoices", &k.admin, &body)).await;
        let p = r.problem(422, "amount_negative");
        assert_eq!(p["field"], "net");

        let mut body = invoice("B-1", "120.00");
        body["net"] = json!("100.001");
        let r = api.send(post("/v1/invoices", &k.admin, &body)).await;
        let p = r.problem(422, "amount_over_precise");
        assert_eq!(p["field"], "net");

        let mut body = invoice("B-1", "120.00");
        body["due_date"] = json!("2024-12-31");
        let r = api.send(post("/v1/invoices", &k.admin, &body)).await;
        let p = r.problem(422, "due_date_before_issue_date");
        assert_eq!(p["field"], "due_date");

        let mut body = invoice("B-1", "120.00");
        body["seller"] = json!("999999999");
        let r = api.send(post("/v1/invoices", &k.admin, &body)).await;
        let p = r.problem(422, "seller_not_found");
        assert_eq!(p["field"], "seller");

        // A batch whose second item is wrong records neither.
        let mut bad = invoice("B-3", "120.00");
        bad["currency"] = json!("EURO");
        let batch = json!([invoice("B-2", "120.00"), bad]);
        let r = api.send(post("/v1/invoices", &k.admin, &batch)).await;
        let p = r.problem(422, "currency_unknown");
        assert_eq!(p["field"], "[1].currency");
        let r = api.send(post("/v1/invoices", &k.admin, &json!([]))).await;
        r.problem(422, "batch_empty");

        // Too large a body, and a body that is not JSON.
        let big = format!("[{}]", vec![invoice("C", "1.20").to_string(); 40].join(","));
        let r = api
            .send(req(Method::POST, "/v1/invoices", Some(&k.admin)).set_payload(big))
            .await;
        r.problem(413, "payload_too_large");
        let r = api
            .send(
                req(Method::POST, "/v1/invoices", Some(&k.admin))
                    .insert_header(("Content-Type", "text/csv"))
                    .set_payload("a,b"),
            )
            .await;
        r.problem(415, "unsupported_media_type");

        let r = api.send(get("/v1/invoices", &k.admin)).await;
        assert_eq!(r.expect(200), json!({"items": [], "next_cursor": null}));
        let r = api.send(get("/v1/ledger/trial-balance", &k.admin)).await;
        let tb = r.expect(200);
        assert_eq!(tb["rows"], json!([]));
        assert_eq!(tb["balanced"], true);
    }
}

#[actix_web::test]
async fn batches_record_all_or_nothing_and_replay_unchanged() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        let batch = json!([invoice("L-1", "120.00"), invoice("L-2", "240.00")]);
        let r = api.send(post("/v1/invoices", &k.finance, &batch)).await;
        let out = r.expect(201);
        assert_eq!(
            (out["created"].as_u64(), out["unchanged"].as_u64()),
            (Some(2), Some(0))
        );
        assert_eq!(out["items"][1]["status"], "created");
        assert_eq!(out["items"][1]["invoice"]["gross"], eur("240.00"));
        assert_eq!(r.header("location"), None);
        let r = api.send(post("/v1/invoices", &k.finance, &batch)).await;
        let again = r.expect(200);
        assert_eq!(
            (again["created"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(2))
        );
        assert_eq!(
            again["items"][0]["invoice"]["id"],
            out["items"][0]["invoice"]["id"]
        );
        let r = api.send(get("/v1/invoices", &k.finance)).await;
        assert_eq!(
            r.expect(200)["items"].as_array().unwrap().len(),
            2,
            "{}",
            db.name
        );
    }
}

#[actix_web::test]
async fn idempotency_key_replays_the_first_answer() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        let body = invoice("I-1", "120.00");
        let with_key = |key: &str, path: &str, body: &Value| {
            post(path, &k.finance, body).insert_header(("Idempotency-Key", key.to_string()))
        };

        let first = api.send(with_key("order-1", "/v1/invoices", &body)).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", db.name);
        assert_eq!(first.header("idempotent-replayed"), None);
        let replay = api.send(with_key("order-1", "/v1/invoices", &body)).await;
        assert_eq!(replay.status, StatusCode::CREATED);
        assert_eq!(replay.body, first.body);
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(replay.header("location"), first.header("location"));
        assert_eq!(replay.header("content-type"), Some("application/json"));

        let r = api.send(get("/v1/invoices", &k.finance)).await;
        assert_eq!(r.expect(200)["items"].as_array().unwrap().len(), 1);

        // The same key with another body, or on another path: a conflict.
        let r = api
            .send(with_key(
                "order-1",
                "/v1/invoices",
                &invoice("I-2", "120.00"),
            ))
            .await;
        r.problem(409, "idempotency_key_reused");
        let r = api
            .send(with_key("order-1", "/v1/credit-notes", &body))
            .await;
        r.problem(409, "idempotency_key_reused");
        let r = api.send(get("/v1/invoices", &k.finance)).await;
        assert_eq!(r.expect(200)["items"].as_array().unwrap().len(), 1);

        // Keys belong to one API key: another caller's "order-1" is its own.
        let r = api
            .send(
                post("/v1/invoices", &k.admin, &body).insert_header(("Idempotency-Key", "order-1")),
            )
            .await;
        assert_eq!(r.expect(200)["id"], first.json()["id"]);

        // A refused request is replayed as refused.
        let mut bad = invoice("I-3", "120.00");
        bad["currency"] = json!("XYZ");
        let r1 = api.send(with_key("order-3", "/v1/invoices", &bad)).await;
        r1.problem(422, "currency_unknown");
        let r2 = api.send(with_key("order-3", "/v1/invoices", &bad)).await;
        r2.problem(422, "currency_unknown");
        assert_eq!(r2.body, r1.body);
        assert_eq!(r2.header("idempotent-replayed"), Some("true"));

        let long = "k".repeat(256);
        let r = api.send(with_key(&long, "/v1/invoices", &body)).await;
        let p = r.problem(400, "idempotency_key_invalid");
        assert_eq!(p["field"], "Idempotency-Key");
    }
}

#[actix_web::test]
async fn payments_settle_invoices_and_the_ledger_balances() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let buyer_id = parties(&api, &k).await;
        let inv = api
            .send(post("/v1/invoices", &k.finance, &invoice("P-1", "1200.00")))
            .await
            .expect(201);
        let inv_id = inv["id"].as_str().unwrap();

        let pay = |amount: &str, ext: &str| {
            json!({"buyer_id": buyer_id, "received_on": "2025-02-10", "currency": "EUR",
                   "amount": amount, "reference": "VIR 1", "external_id": ext})
        };
        let r = api
            .send(post("/v1/payments", &k.treasurer, &pay("500.00", "bank-1")))
            .await;
        let p1 = r.expect(201);
        let p1_id = p1["id"].as_str().unwrap();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/payments/{p1_id}").as_str())
        );
        assert_eq!(p1["amount"], eur("500.00"));
        assert_eq!(p1["unallocated"], eur("0.00"));
        assert_eq!(
            p1["allocations"],
            json!([{"invoice_id": inv_id, "amount": eur("500.00")}])
        );
        let inv = api
            .send(get(&format!("/v1/invoices/{inv_id}"), &k.finance))
            .await
            .expect(200);
        assert_eq!(inv["open"], eur("700.00"), "{}", db.name);
        assert_eq!(inv["state"], "partially_paid");

        // The same bank payment again: the first record, nothing new.
        let r = api
            .send(post("/v1/payments", &k.treasurer, &pay("500.00", "bank-1")))
            .await;
        assert_eq!(r.expect(200)["id"], p1_id);
        let r = api
            .send(post("/v1/payments", &k.treasurer, &pay("501.00", "bank-1")))
            .await;
        r.problem(409, "payment_external_id_conflict");

        let r = api
            .send(post("/v1/payments", &k.finance, &pay("700.00", "bank-2")))
            .await;
        r.expect(201);
        let inv = api
            .send(get(&format!("/v1/invoices/{inv_id}"), &k.finance))
            .await
            .expect(200);
        assert_eq!(inv["open"], eur("0.00"));
        assert_eq!(inv["state"], "paid");

        let list = api
            .send(get("/v1/payments?limit=1", &k.finance))
            .await
            .expect(200);
        assert_eq!(list["items"][0]["id"], p1_id);
        let next = list["next_cursor"].as_str().unwrap();
        let list2 = api
            .send(get(
                &format!("/v1/payments?limit=1&cursor={next}"),
                &k.finance,
            ))
            .await
            .expect(200);
        assert_eq!(list2["items"][0]["amount"], eur("700.00"));
        assert_eq!(list2["next_cursor"], Value::Null);
        let one = api
            .send(get(&format!("/v1/payments/{p1_id}"), &k.finance))
            .await
            .expect(200);
        assert_eq!(one, p1);

        let mut bad = pay("10.00", "bank-3");
        bad["currency"] = json!("EUX");
        let r = api.send(post("/v1/payments", &k.finance, &bad)).await;
        assert_eq!(r.problem(422, "currency_unknown")["field"], "currency");

        // Trial balance: 411 +1200 -500 -700 = 0; 512 +1200; 707 -1000; 44571 -200.
        let tb = api
            .send(get(
                "/v1/ledger/trial-balance?as_of=2025-12-31",
                &k.accountant,
            ))
            .await
            .expect(200);
        assert_eq!(tb["balanced"], true);
        assert_eq!(tb["as_of"], "2025-12-31");
        assert_eq!(
            tb["totals"],
            json!([{"currency": "EUR", "debit": 240000, "credit": 240000}])
        );
        let balances: BTreeMap<String, i64> = tb["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["account"].as_str().unwrap().to_string(),
                    r["balance"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            balances,
            BTreeMap::from([
                ("411".to_string(), 0),
                ("44571".to_string(), -20000),
                ("512".to_string(), 120000),
                ("707".to_string(), -100000),
            ])
        );
        // Before the payments only the invoice counts.
        let tb = api
            .send(get(
                "/v1/ledger/trial-balance?as_of=2025-01-31",
                &k.treasurer,
            ))
            .await
            .expect(200);
        assert_eq!(
            tb["totals"],
            json!([{"currency": "EUR", "debit": 120000, "credit": 120000}])
        );
        let r = api.send(get("/v1/ledger/trial-balance", &k.finance)).await;
        r.problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn aging_puts_each_invoice_in_its_bucket() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let buyer_id = parties(&api, &k).await;
        // Due 2025-01-31; as of 2025-03-15 that is 28 (February) + 15 = 43
        // days past due: the 31-60 bucket.
        api.send(post("/v1/invoices", &k.admin, &invoice("G-1", "1200.00")))
            .await
            .expect(201);
        // Due 2025-03-20: not yet due on 2025-03-15.
        let mut later = invoice("G-2", "240.00");
        later["issue_date"] = json!("2025-02-20");
        later["due_date"] = json!("2025-03-20");
        api.send(post("/v1/invoices", &k.admin, &later))
            .await
            .expect(201);
        // Due 2024-11-30, 105 days before as_of: over 90.
        let mut old = invoice("G-3", "60.00");
        old["issue_date"] = json!("2024-11-01");
        old["due_date"] = json!("2024-11-30");
        api.send(post("/v1/invoices", &k.admin, &old))
            .await
            .expect(201);

        let report = api
            .send(get(
                &format!("/v1/reports/aging?as_of=2025-03-15&buyer_id=siren:{BUYER_SIREN}"),
                &k.treasurer,
            ))
            .await
            .expect(200);
        assert_eq!(report["as_of"], "2025-03-15", "{}", db.name);
        assert_eq!(
            report["labels"],
            json!(["not_due", "1-30", "31-60", "61-90", "over_90"])
        );
        assert_eq!(
            report["rows"],
            json!([{"buyer_id": buyer_id, "currency": "EUR",
                    "buckets": [24000, 0, 120000, 0, 6000], "total": 150000}])
        );
        assert_eq!(
            report["totals"],
            json!([{"buyer_id": null, "currency": "EUR",
                    "buckets": [24000, 0, 120000, 0, 6000], "total": 150000}])
        );
        // As of 2025-01-15 only G-1 (not due) and G-3 (46 days late) exist.
        let report = api
            .send(get("/v1/reports/aging?as_of=2025-01-15", &k.accountant))
            .await
            .expect(200);
        assert_eq!(
            report["totals"][0]["buckets"],
            json!([120000, 0, 6000, 0, 0])
        );
        let r = api
            .send(get(
                "/v1/reports/aging?as_of=2025-01-15&buyer_id=nobody",
                &k.admin,
            ))
            .await;
        r.problem(404, "buyer_not_found");
        let r = api
            .send(get("/v1/reports/aging?as_of=15/01/2025", &k.admin))
            .await;
        r.problem(400, "query_invalid");
        let r = api.send(get("/v1/reports/aging", &k.finance)).await;
        r.problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn credit_notes_are_their_own_resource() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        let inv = api
            .send(post("/v1/invoices", &k.admin, &invoice("N-1", "1200.00")))
            .await
            .expect(201);
        let inv_id = inv["id"].as_str().unwrap();

        let mut note = invoice("AV-1", "240.00");
        note["credited_invoice"] = json!("N-1");
        note["kind"] = json!("invoice");
        let r = api
            .send(post("/v1/credit-notes", &k.accountant, &note))
            .await;
        assert_eq!(r.problem(422, "kind_mismatch")["field"], "kind");

        note.as_object_mut().unwrap().remove("kind");
        let r = api
            .send(post("/v1/credit-notes", &k.accountant, &note))
            .await;
        let created = r.expect(201);
        let cn_id = created["id"].as_str().unwrap();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/credit-notes/{cn_id}").as_str())
        );
        assert_eq!(created["kind"], "credit_note");
        assert_eq!(created["credited_invoice_id"], inv_id);
        assert_eq!(created["open"], eur("0.00"));

        let inv = api
            .send(get(&format!("/v1/invoices/{inv_id}"), &k.admin))
            .await
            .expect(200);
        assert_eq!(inv["open"], eur("960.00"), "{}", db.name);
        assert_eq!(inv["state"], "partially_paid");

        let r = api
            .send(get(&format!("/v1/credit-notes/{cn_id}"), &k.finance))
            .await;
        assert_eq!(r.expect(200)["number"], "AV-1");
        let r = api
            .send(get(&format!("/v1/credit-notes/{inv_id}"), &k.finance))
            .await;
        r.problem(404, "credit_note_not_found");
        let list = api
            .send(get("/v1/credit-notes", &k.finance))
            .await
            .expect(200);
        let numbers: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec!["AV-1"]);
        let r = api
            .send(get("/v1/credit-notes?kind=invoice", &k.finance))
            .await;
        r.problem(400, "query_invalid");
    }
}

#[actix_web::test]
async fn manual_entries_and_reversals() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let entry = json!({"date": "2025-02-01", "label": "Frais bancaires", "piece_ref": "REL-02",
            "reference": "manual-1",
            "lines": [{"account": "512", "debit": "100.00", "currency": "EUR"},
                      {"account": "471", "credit": "100.00", "currency": "EUR"}]});
        let r = api
            .send(post("/v1/ledger/entries", &k.accountant, &entry))
            .await;
        let posted = r.expect(201);
        let id = posted["id"].as_str().unwrap();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/ledger/entries/{id}").as_str())
        );
        assert_eq!(posted["journal"], "OD", "{}", db.name);
        assert_eq!(posted["lines"][0]["debit"], eur("100.00"));
        let r = api.send(post("/v1/ledger/entries", &k.admin, &entry)).await;
        assert_eq!(r.expect(200)["id"], id);

        let mut unbalanced = entry.clone();
        unbalanced["reference"] = json!("manual-2");
        unbalanced["lines"][1]["credit"] = json!("90.00");
        let r = api
            .send(post("/v1/ledger/entries", &k.accountant, &unbalanced))
            .await;
        assert_eq!(r.problem(422, "ledger_unbalanced")["field"], "lines");

        let r = api
            .send(get(&format!("/v1/ledger/entries/{id}"), &k.treasurer))
            .await;
        assert_eq!(r.expect(200), posted);

        let path = format!("/v1/ledger/entries/{id}/reversal");
        let r = api
            .send(post(&path, &k.accountant, &json!({"date": "2025-02-02"})))
            .await;
        let reversal = r.expect(201);
        let rid = reversal["id"].as_str().unwrap();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/ledger/entries/{rid}").as_str())
        );
        assert_eq!(reversal["reverses_entry_id"], id);
        assert_eq!(reversal["date"], "2025-02-02");
        assert_eq!(reversal["lines"][0]["credit"], eur("100.00"));
        let r = api
            .send(post(&path, &k.accountant, &json!({"date": "2025-02-02"})))
            .await;
        assert_eq!(r.expect(200)["id"], rid);
        let r = api.send(post(&path, &k.treasurer, &json!({}))).await;
        r.problem(403, "forbidden");
        let r = api
            .send(post(
                "/v1/ledger/entries/nope/reversal",
                &k.accountant,
                &json!({"date": "2025-02-02"}),
            ))
            .await;
        r.problem(404, "entry_not_found");

        let tb = api
            .send(get("/v1/ledger/trial-balance", &k.accountant))
            .await
            .expect(200);
        assert_eq!(tb["balanced"], true);
        assert_eq!(tb["as_of"], Value::Null);
        assert_eq!(
            tb["totals"],
            json!([{"currency": "EUR", "debit": 20000, "credit": 20000}])
        );
    }
}

#[actix_web::test]
async fn fec_export_is_a_named_latin9_file() {
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        api.send(post("/v1/invoices", &k.admin, &invoice("E-1", "1200.00")))
            .await
            .expect(201);
        let r = api
            .send(get("/v1/exports/fec?year=2025", &k.accountant))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", db.name);
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=iso-8859-15")
        );
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"552100554FEC20251231.txt\"")
        );
        let text = String::from_utf8_lossy(&r.body);
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], FEC_COLUMNS.join("\t"));
        assert_eq!(lines[0].split('\t').count(), 18);
        assert_eq!(lines.len(), 4, "header + 3 lines of the invoice entry");
        let first: Vec<&str> = lines[1].split('\t').collect();
        assert_eq!(first[0], "VE");
        assert_eq!(first[3], "20250101");
        assert_eq!(first[4], "411");
        assert_eq!(first[11], "1200,00");
        assert_eq!(first[12], "0,00");

        let r = api.send(get("/v1/exports/fec?year=2024", &k.admin)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body.len(), FEC_COLUMNS.join("\t").len() + 2);
        let r = api.send(get("/v1/exports/fec?year=twenty", &k.admin)).await;
        r.problem(400, "query_invalid");
        let r = api.send(get("/v1/exports/fec", &k.admin)).await;
        let p = r.problem(400, "query_invalid");
        assert!(p["detail"].as_str().unwrap().contains("year"), "{p}");
        let r = api.send(get("/v1/exports/fec?year=99999", &k.admin)).await;
        r.problem(400, "query_invalid");
    }
}

/// The OpenAPI document and the route table describe the same API.
#[test]
fn openapi_document_matches_the_route_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("schemas/openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_mapping());

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut documented: BTreeMap<(String, String), serde_yaml::Value> = BTreeMap::new();
    for (p, item) in doc["paths"].as_mapping().expect("paths") {
        let p = p.as_str().unwrap().to_string();
        for (m, op) in item.as_mapping().unwrap() {
            let m = m.as_str().unwrap();
            if METHODS.contains(&m) {
                documented.insert((m.to_uppercase(), p.clone()), op.clone());
            }
        }
    }
    let mut problems = Vec::new();
    for route in routes() {
        let key = (route.method.to_string(), route.path.to_string());
        let Some(op) = documented.remove(&key) else {
            problems.push(format!(
                "{} {} is not in openapi.yaml",
                route.method, route.path
            ));
            continue;
        };
        let roles: Vec<&str> = op["x-roles"]
            .as_sequence()
            .map(|s| s.iter().filter_map(|r| r.as_str()).collect())
            .unwrap_or_default();
        if op["x-roles"].as_sequence().is_none() || roles != route.role_names() {
            problems.push(format!(
                "{} {}: x-roles {:?} but the route admits {:?}",
                route.method,
                route.path,
                roles,
                route.role_names()
            ));
        }
        let public = op["security"].as_sequence().is_some_and(|s| s.is_empty());
        if public != matches!(route.access, Access::Public) {
            problems.push(format!(
                "{} {}: security does not match (public: {public})",
                route.method, route.path
            ));
        }
        for name in route.path.split('/').filter_map(|s| s.strip_prefix('{')) {
            let name = name.trim_end_matches('}');
            let declared = doc["paths"][route.path]["parameters"]
                .as_sequence()
                .into_iter()
                .chain(op["parameters"].as_sequence())
                .flatten()
                .any(|p| {
                    let p = match p["$ref"].as_str() {
                        Some(r) => {
                            &doc["components"]["parameters"]
                                [r.trim_start_matches("#/components/parameters/")]
                        }
                        None => p,
                    };
                    p["name"].as_str() == Some(name) && p["in"].as_str() == Some("path")
                });
            if !declared {
                problems.push(format!(
                    "{} {}: path parameter {name} undeclared",
                    route.method, route.path
                ));
            }
        }
    }
    for (method, path) in documented.keys() {
        problems.push(format!("{method} {path} is documented but has no route"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[actix_web::test]
async fn idempotency_claims_block_concurrent_retries_until_stale() {
    use diesel::RunQueryDsl;
    use factorgate::api::idempotency::body_hash;
    use factorgate::store::rows::IdempotencyRow;
    use factorgate::store::schema::idempotency_keys;

    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        parties(&api, &k).await;
        let created = {
            let mut conn = db.store.conn().unwrap();
            create_key(&mut conn, Role::FinanceSystem, "erp").unwrap()
        };
        let body = invoice("K-1", "120.00");
        // A request with this key is still running (claimed 1 s ago)...
        let claim = |key: &str, age: chrono::Duration| IdempotencyRow {
            api_key_id: created.id.clone(),
            idem_key: key.to_string(),
            method: "POST".into(),
            path: "/v1/invoices".into(),
            request_hash: body_hash(body.to_string().as_bytes()),
            status: 0,
            response_body: String::new(),
            created_at: factorgate::service::now() - age,
        };
        {
            let mut conn = db.store.conn().unwrap();
            diesel::insert_into(idempotency_keys::table)
                .values(&claim("busy", chrono::Duration::seconds(1)))
                .execute(&mut *conn)
                .unwrap();
            // ...and one was claimed by a process that died an hour ago.
            diesel::insert_into(idempotency_keys::table)
                .values(&claim("dead", chrono::Duration::hours(1)))
                .execute(&mut *conn)
                .unwrap();
        }
        let send_with = |key: &'static str| {
            post("/v1/invoices", &created.key, &body).insert_header(("Idempotency-Key", key))
        };
        let r = api.send(send_with("busy")).await;
        r.problem(409, "idempotency_key_in_progress");
        let r = api.send(get("/v1/invoices", &k.admin)).await;
        assert_eq!(r.expect(200)["items"], json!([]), "{}", db.name);

        let r = api.send(send_with("dead")).await;
        let first = r.expect(201);
        assert_eq!(first["number"], "K-1");
        let r = api.send(send_with("dead")).await;
        assert_eq!(r.expect(201), first);
        assert_eq!(r.header("idempotent-replayed"), Some("true"));
    }
}

#[actix_web::test]
async fn revoked_keys_are_refused_once_the_key_cache_forgets_them() {
    for db in backends() {
        // Keys are cached for a second here (5 s by default): a revoked key
        // still works within that second, and is refused after it.
        let mut st = state(&db);
        st.keys = std::sync::Arc::new(factorgate::api::auth::KeyCache::new(
            std::time::Duration::from_secs(1),
        ));
        let api = Api::new(st).await;
        let created = {
            let mut conn = db.store.conn().unwrap();
            create_key(&mut conn, Role::Admin, "old").unwrap()
        };
        let r = api.send(get("/v1/buyers", &created.key)).await;
        assert_eq!(r.expect(200)["items"], json!([]));
        {
            let mut conn = db.store.conn().unwrap();
            factorgate::service::keys::revoke_key(&mut conn, &created.id).unwrap();
        }
        let r = api.send(get("/v1/buyers", &created.key)).await;
        assert_eq!(r.expect(200)["items"], json!([]), "{}: cached", db.name);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let r = api.send(get("/v1/buyers", &created.key)).await;
        let p = r.problem(401, "unauthorized");
        assert_eq!(
            p["detail"], "the API key is unknown or revoked",
            "{}",
            db.name
        );
    }
}

#[actix_web::test]
async fn revoked_keys_are_refused() {
    for db in backends() {
        let mut st = state(&db);
        st.keys = std::sync::Arc::new(factorgate::api::auth::KeyCache::new(
            std::time::Duration::ZERO,
        ));
        let api = Api::new(st).await;
        let created = {
            let mut conn = db.store.conn().unwrap();
            create_key(&mut conn, Role::Admin, "old").unwrap()
        };
        let r = api.send(get("/v1/buyers", &created.key)).await;
        assert_eq!(r.expect(200)["items"], json!([]));
        {
            let mut conn = db.store.conn().unwrap();
            factorgate::service::keys::revoke_key(&mut conn, &created.id).unwrap();
        }
        let r = api.send(get("/v1/buyers", &created.key)).await;
        let p = r.problem(401, "unauthorized");
        assert_eq!(
            p["detail"], "the API key is unknown or revoked",
            "{}",
            db.name
        );
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"factorgate\", error=\"invalid_token\"")
        );
    }
}
