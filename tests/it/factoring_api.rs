//! `/v1/factoring/...` over the API on both backends: a contract, an
//! approval, a proposal, a confirmed assignment with its Location, the
//! position, a funding refused then accepted, recourse and its errors.

use serde_json::json;

use crate::api::{get, keys, post, state, Api};
use crate::common::backends;
use crate::factoring::{d, portfolio, setup, terms};

#[actix_web::test]
async fn factoring_over_http() {
    for db in backends() {
        {
            let mut conn = db.store.conn().unwrap();
            setup(&mut conn, terms(d(2026, 1, 1)));
            portfolio(&db, &mut conn);
        }
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let c = api
            .send(get("/v1/factoring/contracts/CT-1", &k.accountant))
            .await
            .expect(200);
        assert_eq!(c["factor"], "BNP Paribas Factor", "{}", db.name);
        // An accountant reads but does not assign.
        api.send(post(
            "/v1/factoring/proposals",
            &k.accountant,
            &json!({"contract": "CT-1"}),
        ))
        .await
        .problem(403, "forbidden");
        let sel = json!({"contract": "CT-1", "assigned_on": "2026-03-10"});
        let p = api
            .send(post("/v1/factoring/proposals", &k.treasurer, &sel))
            .await
            .expect(200);
        // Same portfolio as the service test: 20,400 assigned, 15,000 approved.
        assert_eq!(p["assigned"]["amount"], "20400.00");
        assert_eq!(p["approved"]["amount"], "15000.00");
        let r = api
            .send(post("/v1/factoring/assignments", &k.treasurer, &sel))
            .await;
        let a = r.expect(201);
        assert_eq!(a["number"], "CT-1-000001");
        let location = r.header("location").unwrap().to_string();
        assert_eq!(
            location,
            format!("/v1/factoring/assignments/{}", a["id"].as_str().unwrap())
        );
        let again = api.send(get(&location, &k.accountant)).await.expect(200);
        assert_eq!(again["items"].as_array().unwrap().len(), 3);
        api.send(post(
            "/v1/factoring/assignments",
            &k.treasurer,
            &json!({"contract": "CT-1",
            "assigned_on": "2026-03-10", "invoices": ["F-1"]}),
        ))
        .await
        .problem(409, "invoice_already_assigned");
        let pos = api
            .send(get(
                "/v1/factoring/contracts/CT-1/position?as_of=2026-03-10",
                &k.accountant,
            ))
            .await
            .expect(200);
        assert_eq!(pos["available"]["amount"], "13500.00");
        api.send(post(
            "/v1/factoring/contracts/CT-1/fundings",
            &k.treasurer,
            &json!({"amount": "13500.01", "requested_on": "2026-03-10"}),
        ))
        .await
        .problem(422, "funding_exceeds_available");
        let r = api
            .send(post(
                "/v1/factoring/contracts/CT-1/fundings",
                &k.treasurer,
                &json!({"amount": "5000.00", "requested_on": "2026-03-10"}),
            ))
            .await;
        let f = r.expect(201);
        assert_eq!(f["state"], "requested");
        assert!(r
            .header("location")
            .unwrap()
            .starts_with("/v1/factoring/fundings/"));
        let rec = api
            .send(get(
                "/v1/factoring/contracts/CT-1/recourse?as_of=2026-07-01",
                &k.accountant,
            ))
            .await
            .expect(200);
        // F-1 and F-3 are due 30 April: + 60 days is 29 June.
        assert_eq!(rec["items"].as_array().unwrap().len(), 2);
        api.send(post("/v1/factoring/charge-backs", &k.treasurer,
            &json!({"assignment": "CT-9-000001", "invoice": "F-3", "amount": "2400.00", "on": "2026-07-01"})))
            .await
            .problem(404, "assignment_not_found");
        let cb = api
            .send(post("/v1/factoring/charge-backs", &k.treasurer,
                &json!({"assignment": "CT-1-000001", "invoice": "F-3", "amount": "2400.00", "on": "2026-07-01"})))
            .await
            .expect(200);
        assert_eq!(cb["invoice_number"], "F-3");
        let approvals = api
            .send(get(
                "/v1/factoring/contracts/CT-1/approvals?as_of=2026-03-10",
                &k.accountant,
            ))
            .await
            .expect(200);
        assert_eq!(approvals["items"][0]["in_force"]["amount"], "15000.00");
    }
}
