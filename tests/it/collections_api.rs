//! The collections routes over HTTP on both backends: a dispute opened and
//! refused, penalties charged once, KPIs and risk answered.

use serde_json::json;

use crate::api::{get, keys, post, state, Api};
use crate::collections::{ecb_rates, invoice, seller_and_buyer};
use crate::common::backends;

#[actix_web::test]
async fn disputes_penalties_and_kpis_over_http() {
    for db in backends() {
        let k = keys(&db);
        let buyer = {
            let mut c = db.store.conn().unwrap();
            let conn = &mut *c;
            ecb_rates(conn);
            let (s, b) = seller_and_buyer(conn, "Dupont SARL", "FR");
            invoice(
                &db,
                conn,
                (&s, &b),
                "F-1",
                "2026-01-01",
                "2026-01-31",
                "10000.00",
            );
            invoice(
                &db,
                conn,
                (&s, &b),
                "F-2",
                "2026-01-01",
                "2026-01-31",
                "500.00",
            );
            b
        };
        let api = Api::new(state(&db)).await;

        // A dispute with an unknown reason: 422 naming the field; then a good one.
        let body = json!({"invoice": "F-2", "reason": "mood", "amount": "100.00",
            "owner": "alice", "opened_on": "2026-02-02"});
        let p = api.send(post("/v1/disputes", &k.accountant, &body)).await;
        assert_eq!(p.problem(422, "dispute_reason_unknown")["field"], "reason");
        let body = json!({"invoice": "F-2", "reason": "price", "amount": "100.00",
            "owner": "alice", "opened_on": "2026-02-02"});
        let r = api.send(post("/v1/disputes", &k.accountant, &body)).await;
        let d = r.expect(201);
        let id = d["id"].as_str().unwrap();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/disputes/{id}").as_str())
        );
        api.send(post("/v1/disputes", &k.accountant, &body))
            .await
            .problem(409, "dispute_already_open");

        // Penalties of F-1 as of 2 March (30 days at 12.15 % on 10,000 =
        // 99.86, plus EUR 40): 201, then 200 for the same date.
        let r = api
            .send(get(
                "/v1/penalties?as_of=2026-03-02&invoice=F-1",
                &k.treasurer,
            ))
            .await
            .expect(200);
        assert_eq!(r["items"][0]["interest"]["amount"], "99.86");
        let charge = json!({"as_of": "2026-03-02"});
        let r = api
            .send(post("/v1/invoices/F-1/penalties", &k.accountant, &charge))
            .await
            .expect(201);
        assert_eq!(r["indemnity"]["amount"], "40.00");
        let again = api
            .send(post("/v1/invoices/F-1/penalties", &k.accountant, &charge))
            .await
            .expect(200);
        assert_eq!(again["already_charged"], true);
        // A treasurer may read but not post penalties.
        api.send(post("/v1/invoices/F-1/penalties", &k.treasurer, &charge))
            .await
            .problem(403, "forbidden");

        // KPIs as of 5 February: 10,500 issued, all overdue, 100 disputed.
        let r = api
            .send(get(
                &format!("/v1/reports/kpi?as_of=2026-02-05&buyer_id={buyer}"),
                &k.treasurer,
            ))
            .await
            .expect(200);
        let total = &r["rows"][0];
        assert_eq!(total["scope"], "total");
        assert_eq!(total["outstanding"]["amount"], "10500.00");
        assert_eq!(total["overdue"]["amount"], "10500.00");
        assert_eq!(total["disputed"]["amount"], "100.00");
        assert!(r.get("aging").is_none(), "only when asked for");
        // With the aged balance of the same date: due 31 January, 5 days
        // late on 5 February, all 10,500 in the 1-30 bucket (minor units).
        let r = api
            .send(get(
                &format!("/v1/reports/kpi?as_of=2026-02-05&buyer_id={buyer}&aging=true"),
                &k.treasurer,
            ))
            .await
            .expect(200);
        assert_eq!(r["rows"][0]["outstanding"]["amount"], "10500.00");
        assert_eq!(r["aging"]["labels"][1], "1-30");
        assert_eq!(
            r["aging"]["totals"][0]["buckets"],
            json!([0, 1_050_000, 0, 0, 0])
        );
        assert_eq!(r["aging"]["rows"][0]["buyer_id"], buyer.as_str());
        api.send(get(
            "/v1/reports/kpi?from=2026-01-01&to=2026-02-28&aging=true",
            &k.treasurer,
        ))
        .await
        .problem(422, "aging_with_trends");
        let r = api
            .send(get(
                &format!("/v1/risk?as_of=2026-02-05&buyer_id={buyer}"),
                &k.treasurer,
            ))
            .await
            .expect(200);
        // Overdue 100 % = 25 points, one dispute = 5: 30, class B.
        assert_eq!(r["items"][0]["score"], "30");
        assert_eq!(r["items"][0]["class"], "B");
    }
}
