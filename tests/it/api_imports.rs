//! `POST /v1/imports` and `GET /v1/invoices/{id}/document` over HTTP.

use actix_web::http::Method;
use diesel::prelude::*;
use factorgate::store::rows::SellerRow;
use factorgate::store::schema::{invoices, sellers};

use crate::api::{get, keys, req, state, Api};
use crate::common::backends;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Atelier Durand, the seller of the intake fixtures (made-up ids, written
/// directly as configuration would).
fn durand(db: &crate::common::TestDb) {
    let mut conn = db.store.conn().unwrap();
    diesel::insert_into(sellers::table)
        .values(SellerRow {
            id: "s-durand".into(),
            name: "Atelier Durand SAS".into(),
            siren: Some("123456789".into()),
            vat: Some("FR32123456789".into()),
            iban: None,
            created_at: chrono::Utc::now().naive_utc(),
        })
        .execute(&mut *conn)
        .unwrap();
}

#[actix_web::test]
async fn files_are_imported_from_a_raw_body_or_multipart_parts() {
    for db in backends() {
        durand(&db);
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        // No key, then a raw CSV body: 3 invoices created.
        api.send(
            req(Method::POST, "/v1/imports", None).set_payload(fixture("intake/invoices.csv")),
        )
        .await
        .problem(401, "unauthorized");
        let r = api
            .send(
                req(Method::POST, "/v1/imports?name=march.csv", Some(&k.finance))
                    .insert_header(("Content-Type", "text/csv"))
                    .set_payload(fixture("intake/invoices.csv")),
            )
            .await;
        let body = r.expect(201);
        assert_eq!(body["files"][0]["file"], "march.csv");
        assert_eq!(body["files"][0]["status"], "imported");
        assert_eq!(body["files"][0]["created"], 3);
        // Multipart: the same CSV again (unchanged) and a refused XML.
        let boundary = "XfgBoundary42";
        let mut multipart = Vec::new();
        for (name, bytes) in [
            ("again.csv", fixture("intake/invoices.csv")),
            (
                "bad.xml",
                fixture("cii/ZUGFeRD-mustangproject__invalidXRV30.xml"),
            ),
        ] {
            multipart.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            multipart.extend_from_slice(&bytes);
            multipart.extend_from_slice(b"\r\n");
        }
        multipart.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = api
            .send(
                req(Method::POST, "/v1/imports", Some(&k.treasurer))
                    .insert_header((
                        "Content-Type",
                        format!("multipart/form-data; boundary={boundary}"),
                    ))
                    .set_payload(multipart),
            )
            .await;
        let body = r.expect(422);
        let files = body["files"].as_array().unwrap();
        assert_eq!(files.len(), 2, "{body}");
        assert_eq!(files[0]["file"], "again.csv");
        assert_eq!(files[0]["status"], "unchanged");
        assert_eq!(files[0]["unchanged"], 3);
        assert_eq!(files[1]["status"], "refused");
        assert_eq!(files[1]["problem"]["rules"][0], "BR-CO-16");
        let mut conn = db.store.conn().unwrap();
        let count: i64 = invoices::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(count, 3, "{}", db.name);
        // An empty body names what is missing.
        api.send(req(Method::POST, "/v1/imports", Some(&k.admin)))
            .await
            .problem(400, "file_missing");
    }
}

#[actix_web::test]
async fn an_invoice_is_served_as_ubl_or_cii() {
    for db in backends() {
        durand(&db);
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let r = api
            .send(
                req(Method::POST, "/v1/imports", Some(&k.accountant))
                    .set_payload(fixture("intake/invoices.csv")),
            )
            .await;
        let id = r.expect(201)["files"][0]["invoice_ids"][0]
            .as_str()
            .unwrap()
            .to_string();
        for (syntax, root) in [("ubl", "Invoice"), ("cii", "CrossIndustryInvoice")] {
            let r = api
                .send(get(
                    &format!("/v1/invoices/{id}/document?syntax={syntax}"),
                    &k.finance,
                ))
                .await;
            assert_eq!(r.status.as_u16(), 200);
            assert_eq!(
                r.headers.get("content-type").unwrap().to_str().unwrap(),
                "application/xml"
            );
            let xml = String::from_utf8(r.body.to_vec()).unwrap();
            assert!(xml.contains(root), "{syntax}: {xml}");
            assert!(xml.contains("FA-2026-0001"), "{syntax}");
            assert!(xml.contains("Factor Finance SA"), "{syntax}: the payee");
        }
        api.send(get(
            &format!("/v1/invoices/{id}/document?syntax=pdf"),
            &k.finance,
        ))
        .await
        .problem(400, "query_invalid");
    }
}
