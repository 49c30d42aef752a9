//! Credit insurance on both backends: policy versions, limit decisions with
//! notice periods, exposure from open invoices, and the cover check (service
//! and HTTP).

use chrono::NaiveDate;
use factorgate::domain::cover::{CoverReason, DecisionKind};
use factorgate::domain::ids::LegalIdScheme;
use factorgate::domain::invoice::InvoiceInput;
use factorgate::domain::party::{BuyerInput, LegalIdInput, SellerInput};
use factorgate::error::ErrorCode;
use factorgate::service::cover::{cover_check, CoverCheckInput};
use factorgate::service::insurance::{
    add_version, create_policy, record_decision, DecisionInput, PolicyInput, TermsInput,
};
use factorgate::service::invoices::record_invoice;
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::store::DbConnection;
use serde_json::json;

use crate::api::{keys, post, state, Api};
use crate::common::{backends, TestDb};

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub(crate) fn terms(from: NaiveDate, discretionary: &str) -> TermsInput {
    TermsInput {
        effective_from: from,
        indemnity_rate: "0.90".into(),
        max_credit_days: 120,
        notification_days: 60,
        waiting_days: 150,
        discretionary_limit: discretionary.into(),
        deductible: "500.00".into(),
        reduction_notice_days: 30,
        vat_covered: false,
        max_liability: None,
        premium_rate: "0".into(),
    }
}

/// Our seller, buyer INSEE (SIREN 732829320) with EUR 35,000 open, due
/// 31 March 2026, and a EUR policy. Returns the policy id.
pub(crate) fn setup(db: &TestDb, conn: &mut DbConnection) -> String {
    create_seller(
        conn,
        &SellerInput {
            name: "Peugeot SA".into(),
            siren: Some("552100554".into()),
            vat: None,
            iban: None,
        },
    )
    .unwrap();
    create_buyer(
        conn,
        &BuyerInput {
            name: "INSEE".into(),
            country: "FR".into(),
            legal_ids: vec![LegalIdInput {
                scheme: LegalIdScheme::Siren,
                value: "732829320".into(),
            }],
        },
    )
    .unwrap();
    let invoice: InvoiceInput = serde_json::from_value(json!({
        "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
        "number": "F-1", "issue_date": "2026-02-01", "due_date": "2026-03-31", "currency": "EUR",
        "net": "29166.67", "tax": "5833.33", "gross": "35000.00"
    }))
    .unwrap();
    record_invoice(conn, &db.ctx, &invoice).unwrap();
    create_policy(
        conn,
        &PolicyInput {
            insurer: "Allianz Trade".into(),
            number: "POL-2026-001".into(),
            currency: "EUR".into(),
            terms: terms(d(2026, 1, 1), "10000.00"),
        },
    )
    .unwrap()
    .id
}

pub(crate) fn decide(
    conn: &mut DbConnection,
    policy: &str,
    kind: DecisionKind,
    amount: Option<&str>,
    on: NaiveDate,
) {
    record_decision(
        conn,
        &DecisionInput {
            policy_id: policy.into(),
            buyer: "siren:732829320".into(),
            kind,
            amount: amount.map(str::to_string),
            decided_on: on,
            expires_on: Some(d(2026, 12, 31)),
            reference: None,
        },
    )
    .unwrap();
}

fn check(
    conn: &mut DbConnection,
    amount: &str,
    on: NaiveDate,
) -> factorgate::service::cover::CoverCheck {
    cover_check(
        conn,
        &CoverCheckInput {
            buyer: "732829320".into(),
            amount: amount.into(),
            currency: "EUR".into(),
            date: Some(on),
            term_days: Some(60),
            policy_id: None,
            hold: None,
        },
    )
    .unwrap()
}

#[test]
fn cover_follows_the_limit_history_and_the_buyers_exposure() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(&db, conn);
        // No named limit yet: EUR 10,000 discretionary, all used by the EUR 35,000 open.
        let a = check(conn, "12000.00", d(2026, 1, 5));
        assert_eq!(
            (a.limit.minor(), a.exposure.minor(), a.covered.minor()),
            (1_000_000, 3_500_000, 0)
        );
        assert_eq!(
            a.reasons,
            vec![CoverReason::NoLimit, CoverReason::LimitExceeded]
        );
        decide(conn, &policy, DecisionKind::Requested, None, d(2026, 1, 6));
        decide(
            conn,
            &policy,
            DecisionKind::Approved,
            Some("40000.00"),
            d(2026, 1, 10),
        );
        // EUR 40,000 - 35,000 = 5,000 of the 12,000 asked.
        let a = check(conn, "12000.00", d(2026, 3, 2));
        assert_eq!(
            (a.covered.minor(), a.uncovered.minor(), a.headroom.minor()),
            (500_000, 700_000, 500_000),
            "{}",
            db.name
        );
        assert_eq!(a.reasons, vec![CoverReason::LimitExceeded]);
        // Reduced to 20,000 on 1 March: in force 31 March (30 days' notice).
        decide(
            conn,
            &policy,
            DecisionKind::Reduced,
            Some("20000.00"),
            d(2026, 3, 1),
        );
        let a = check(conn, "1000.00", d(2026, 3, 15));
        assert_eq!((a.limit.minor(), a.covered.minor()), (4_000_000, 100_000));
        assert_eq!(a.reasons, vec![CoverReason::ReductionNotified]);
        let a = check(conn, "1000.00", d(2026, 4, 1));
        assert_eq!((a.limit.minor(), a.covered.minor()), (2_000_000, 0));
        assert_eq!(a.reasons, vec![CoverReason::LimitExceeded]);
        // F-1 unpaid since 31 March: past the 60-day deadline (30 May), new
        // deliveries are not covered.
        decide(
            conn,
            &policy,
            DecisionKind::Increased,
            Some("50000.00"),
            d(2026, 5, 1),
        );
        assert_eq!(
            check(conn, "1000.00", d(2026, 5, 30)).covered.minor(),
            100_000
        );
        let a = check(conn, "1000.00", d(2026, 5, 31));
        assert_eq!(a.covered.minor(), 0);
        assert_eq!(a.reasons, vec![CoverReason::BuyerOverdue]);
    }
}

#[test]
fn policy_versions_are_added_never_overwritten() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(&db, conn);
        let p = add_version(conn, &policy, &terms(d(2026, 7, 1), "0")).unwrap();
        assert_eq!(p.versions.len(), 2);
        assert_eq!(p.versions[1].discretionary_limit, 0);
        let err = add_version(conn, &policy, &terms(d(2026, 7, 1), "5000.00")).unwrap_err();
        assert_eq!(err.code(), "policy_version_exists");
        // From 1 July no discretionary cover: nothing for a buyer without a limit.
        let a = check(conn, "100.00", d(2026, 7, 2));
        assert_eq!((a.limit.minor(), a.covered.minor()), (0, 0), "{}", db.name);
        let mut bad = terms(d(2026, 8, 1), "10.00");
        bad.indemnity_rate = "90".into();
        assert_eq!(
            add_version(conn, &policy, &bad).unwrap_err().code(),
            "rate_invalid"
        );
        let err = cover_check(
            conn,
            &CoverCheckInput {
                buyer: "siren:552081317".into(),
                amount: "1.00".into(),
                currency: "EUR".into(),
                date: None,
                term_days: None,
                policy_id: None,
                hold: None,
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "buyer_not_found");
        // The same buyer by its scheme name, its ISO 6523 code, bare, and
        // by our id: one answer.
        let by = |conn: &mut DbConnection, buyer: &str| {
            cover_check(
                conn,
                &CoverCheckInput {
                    buyer: buyer.into(),
                    amount: "100.00".into(),
                    currency: "EUR".into(),
                    date: Some(d(2026, 6, 1)),
                    term_days: Some(60),
                    policy_id: None,
                    hold: None,
                },
            )
            .unwrap()
            .buyer_id
        };
        let ours = by(conn, "siren:732829320");
        assert_eq!(by(conn, "0002:732829320"), ours, "{}", db.name);
        assert_eq!(by(conn, "732 829 320"), ours, "{}", db.name);
        assert_eq!(by(conn, &ours), ours, "{}", db.name);
        let unknown_scheme = cover_check(
            conn,
            &CoverCheckInput {
                buyer: "9999:732829320".into(),
                amount: "1.00".into(),
                currency: "EUR".into(),
                date: None,
                term_days: None,
                policy_id: None,
                hold: None,
            },
        )
        .unwrap_err();
        assert_eq!(unknown_scheme.code(), "buyer_not_found", "{}", db.name);
    }
}

#[actix_web::test]
async fn a_cover_check_over_http() {
    for db in backends() {
        let policy = {
            let mut conn = db.store.conn().unwrap();
            let policy = setup(&db, &mut conn);
            decide(
                &mut conn,
                &policy,
                DecisionKind::Approved,
                Some("40000.00"),
                d(2026, 1, 10),
            );
            policy
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let body = json!({"buyer": "siren:732829320", "amount": "12000.00", "currency": "EUR",
                          "date": "2026-03-02", "term_days": 60});
        let r = api
            .send(post("/v1/cover-checks", &k.finance, &body))
            .await
            .expect(200);
        assert_eq!(r["policy_id"], policy.as_str());
        assert_eq!(
            r["covered"],
            json!({"amount": "5000.00", "currency": "EUR"})
        );
        assert_eq!(
            r["uncovered"],
            json!({"amount": "7000.00", "currency": "EUR"})
        );
        assert_eq!(r["reasons"], json!(["limit_exceeded"]));
        let mut long = body.clone();
        long["term_days"] = json!(150);
        let r = api
            .send(post("/v1/cover-checks", &k.treasurer, &long))
            .await
            .expect(200);
        assert_eq!(r["reasons"], json!(["term_too_long"]));
        let mut bad = body.clone();
        bad["amount"] = json!("12.345");
        api.send(post("/v1/cover-checks", &k.finance, &bad))
            .await
            .problem(422, "amount_invalid");
    }
}

#[actix_web::test]
async fn overdue_insured_invoices_are_listed_soonest_deadline_first() {
    for db in backends() {
        let policy = {
            let mut conn = db.store.conn().unwrap();
            let conn = &mut *conn;
            let policy = setup(&db, conn);
            // F-2: EUR 1,200 (200 VAT) due 28 February; F-1 (35,000) is due 31 March.
            let f2: InvoiceInput = serde_json::from_value(json!({
                "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
                "number": "F-2", "issue_date": "2026-01-15", "due_date": "2026-02-28", "currency": "EUR",
                "net": "1000.00", "tax": "200.00", "gross": "1200.00"
            }))
            .unwrap();
            record_invoice(conn, &db.ctx, &f2).unwrap();
            let items =
                factorgate::service::insurance::insurance_due(conn, &policy, d(2026, 4, 15))
                    .unwrap();
            assert_eq!(
                items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(),
                vec!["F-2", "F-1"],
                "{}",
                db.name
            );
            // F-2: 28 Feb + 60 = 29 April; + 150 = 28 July.
            assert_eq!(
                (items[0].notify_by, items[0].claim_from),
                (d(2026, 4, 29), d(2026, 7, 28))
            );
            assert_eq!(items[0].days_overdue, 46);
            // 90 % of the 1,000 net, less the 500 deductible.
            assert_eq!(items[0].at_stake.minor(), 40_000);
            // F-1: 31 Mar + 60 = 30 May; + 150 = 28 August; 90 % of 29,166.67 = 26,250.003 -> 26,250.00, less 500.
            assert_eq!(
                (items[1].notify_by, items[1].claim_from),
                (d(2026, 5, 30), d(2026, 8, 28))
            );
            assert_eq!(items[1].at_stake.minor(), 2_575_000);
            assert!(!items[1].notification_late);
            let later = factorgate::service::insurance::insurance_due(conn, &policy, d(2026, 5, 1))
                .unwrap();
            assert!(
                later[0].notification_late,
                "F-2's deadline passed on 29 April"
            );
            policy
        };
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let r = api
            .send(crate::api::get(
                &format!("/v1/insurance/policies/{policy}/due?as_of=2026-04-15"),
                &k.accountant,
            ))
            .await
            .expect(200);
        assert_eq!(r["items"][0]["number"], "F-2");
        assert_eq!(
            r["items"][0]["at_stake"],
            json!({"amount": "400.00", "currency": "EUR"})
        );
        api.send(crate::api::get(
            &format!("/v1/insurance/policies/{policy}/due"),
            &k.finance,
        ))
        .await
        .problem(403, "forbidden");
    }
}

fn hold_check(
    conn: &mut DbConnection,
    amount: &str,
    order: &str,
) -> factorgate::service::cover::CoverCheck {
    cover_check(
        conn,
        &CoverCheckInput {
            buyer: "siren:732829320".into(),
            amount: amount.into(),
            currency: "EUR".into(),
            date: Some(d(2026, 3, 2)),
            term_days: Some(30),
            policy_id: None,
            hold: Some(factorgate::service::cover::HoldRequest {
                minutes: 60,
                order_reference: Some(order.into()),
            }),
        },
    )
    .unwrap()
}

#[test]
fn a_hold_reserves_cover_until_its_invoice_consumes_it() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(&db, conn);
        decide(
            conn,
            &policy,
            DecisionKind::Approved,
            Some("40000.00"),
            d(2026, 1, 10),
        );
        // 40,000 - 35,000 open: 3,000 held for PO-1.
        let first = hold_check(conn, "3000.00", "PO-1");
        let hold = first.hold.expect("a hold");
        assert_eq!(hold.amount.minor(), 300_000);
        // The hold counts in the exposure: 2,000 headroom left, not 5,000.
        let second = hold_check(conn, "3000.00", "PO-2");
        assert_eq!(
            (second.exposure.minor(), second.covered.minor()),
            (3_800_000, 200_000),
            "{}",
            db.name
        );
        factorgate::service::cover::release_hold(conn, &second.hold.unwrap().id).unwrap();
        // PO-1's invoice consumes its hold: exposure is the invoice, counted once.
        let invoice: InvoiceInput = serde_json::from_value(json!({
            "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
            "number": "F-3", "issue_date": "2026-03-02", "due_date": "2026-04-01", "currency": "EUR",
            "net": "2500.00", "tax": "500.00", "gross": "3000.00", "order_reference": "PO-1"
        }))
        .unwrap();
        record_invoice(conn, &db.ctx, &invoice).unwrap();
        let after = check(conn, "1.00", d(2026, 3, 2));
        assert_eq!(
            after.exposure.minor(),
            3_800_000,
            "{}: 35,000 + 3,000 invoiced, no hold",
            db.name
        );
        assert_eq!(
            factorgate::service::cover::release_hold(conn, &hold.id)
                .unwrap_err()
                .code(),
            "hold_not_found",
            "a consumed hold cannot be released"
        );
    }
}

#[actix_web::test]
async fn a_hold_over_http_is_made_and_released() {
    for db in backends() {
        {
            let mut conn = db.store.conn().unwrap();
            let policy = setup(&db, &mut conn);
            decide(
                &mut conn,
                &policy,
                DecisionKind::Approved,
                Some("40000.00"),
                d(2026, 1, 10),
            );
        }
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let body = json!({"buyer": "siren:732829320", "amount": "4000.00", "currency": "EUR",
                          "date": "2026-03-02", "hold": {"minutes": 30, "order_reference": "PO-9"}});
        let r = api
            .send(post("/v1/cover-checks", &k.finance, &body))
            .await
            .expect(200);
        assert_eq!(
            r["hold"]["amount"],
            json!({"amount": "4000.00", "currency": "EUR"})
        );
        let id = r["hold"]["id"].as_str().unwrap().to_string();
        let again = api
            .send(post("/v1/cover-checks", &k.finance, &body))
            .await
            .expect(200);
        assert_eq!(
            again["covered"],
            json!({"amount": "1000.00", "currency": "EUR"}),
            "{}",
            db.name
        );
        let path = format!("/v1/cover-holds/{id}/release");
        assert_eq!(
            api.send(post(&path, &k.treasurer, &json!({})))
                .await
                .expect(200)["state"],
            "released"
        );
        api.send(post(&path, &k.treasurer, &json!({})))
            .await
            .problem(404, "hold_not_found");
    }
}

#[actix_web::test]
async fn policies_and_decisions_over_http() {
    for db in backends() {
        {
            let mut conn = db.store.conn().unwrap();
            setup(&db, &mut conn);
        }
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let terms = json!({"effective_from": "2026-01-01", "indemnity_rate": "0.85",
            "max_credit_days": 90, "notification_days": 45, "waiting_days": 120,
            "discretionary_limit": "5000.00"});
        let body =
            json!({"insurer": "Coface", "number": "C-77", "currency": "EUR", "terms": terms});
        api.send(post("/v1/insurance/policies", &k.finance, &body))
            .await
            .problem(403, "forbidden");
        let r = api
            .send(post("/v1/insurance/policies", &k.treasurer, &body))
            .await;
        let policy = r.expect(201);
        let id = policy["id"].as_str().unwrap().to_string();
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/insurance/policies/{id}").as_str())
        );
        assert_eq!(policy["versions"][0]["discretionary_limit"], 500_000);
        api.send(post("/v1/insurance/policies", &k.treasurer, &body))
            .await
            .problem(409, "policy_exists");
        let mut v2 = terms.clone();
        v2["effective_from"] = json!("2026-06-01");
        let p = api
            .send(post(
                &format!("/v1/insurance/policies/{id}/versions"),
                &k.admin,
                &v2,
            ))
            .await
            .expect(201);
        assert_eq!(p["versions"].as_array().unwrap().len(), 2);
        let decision = json!({"policy_id": id, "buyer": "siren:732829320", "kind": "approved",
                              "amount": "25000.00", "decided_on": "2026-01-10"});
        let r = api
            .send(post(
                "/v1/insurance/limit-decisions",
                &k.treasurer,
                &decision,
            ))
            .await;
        let made = r.expect(201);
        assert_eq!(
            made["amount"],
            json!({"amount": "25000.00", "currency": "EUR"})
        );
        let got = api
            .send(crate::api::get(r.header("location").unwrap(), &k.finance))
            .await
            .expect(200);
        assert_eq!(got["kind"], "approved", "{}", db.name);
        let mut no_amount = decision.clone();
        no_amount.as_object_mut().unwrap().remove("amount");
        api.send(post(
            "/v1/insurance/limit-decisions",
            &k.treasurer,
            &no_amount,
        ))
        .await
        .problem(422, "field_required");
    }
}

#[test]
fn invoices_in_another_currency_count_at_their_issue_dates_rate() {
    use factorgate::service::rates::import_rates;
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let policy = setup(&db, conn);
        decide(
            conn,
            &policy,
            DecisionKind::Approved,
            Some("40000.00"),
            d(2026, 1, 10),
        );
        let csv = "series,date,value\nUSD/EUR,2026-01-01,0.95\nUSD/EUR,2026-02-01,0.92\n";
        let r = import_rates(conn, csv.as_bytes()).unwrap();
        assert_eq!((r.created, r.unchanged), (2, 0));
        assert_eq!(import_rates(conn, csv.as_bytes()).unwrap().unchanged, 2);
        let other = "series,date,value\nUSD/EUR,2026-02-01,0.93\n";
        assert_eq!(
            import_rates(conn, other.as_bytes()).unwrap_err().code(),
            "rate_conflict"
        );
        let bad = "series,date,value\nUSD/EUR,2026-02-30,0.93\n";
        let err = import_rates(conn, bad.as_bytes()).unwrap_err();
        assert_eq!(err.code(), "rates_invalid");
        assert!(err.to_string().contains("line 2"), "{err}");
        // USD 1,000 issued 10 February: at the 1 February rate, EUR 920.
        let usd: InvoiceInput = serde_json::from_value(json!({
            "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
            "number": "F-USD", "issue_date": "2026-02-10", "due_date": "2026-04-10", "currency": "USD",
            "net": "1000.00", "tax": "0.00", "gross": "1000.00"
        }))
        .unwrap();
        record_invoice(conn, &db.ctx, &usd).unwrap();
        let a = check(conn, "100.00", d(2026, 3, 2));
        assert_eq!(a.exposure.minor(), 3_500_000 + 92_000, "{}", db.name);
        // Without a rate for its currency, the check says which is missing.
        let gbp: InvoiceInput = serde_json::from_value(json!({
            "seller": "552100554", "buyer_legal_id": {"scheme": "siren", "value": "732829320"},
            "number": "F-GBP", "issue_date": "2026-02-10", "due_date": "2026-04-10", "currency": "GBP",
            "net": "10.00", "tax": "0.00", "gross": "10.00"
        }))
        .unwrap();
        record_invoice(conn, &db.ctx, &gbp).unwrap();
        let err = cover_check(
            conn,
            &CoverCheckInput {
                buyer: "732829320".into(),
                amount: "1.00".into(),
                currency: "EUR".into(),
                date: Some(d(2026, 3, 2)),
                term_days: None,
                policy_id: None,
                hold: None,
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "rate_missing");
        assert!(err.to_string().contains("GBP/EUR"), "{err}");
    }
}

#[test]
fn concurrent_holds_never_share_the_same_headroom() {
    for db in backends() {
        {
            let mut conn = db.store.conn().unwrap();
            let policy = setup(&db, &mut conn);
            decide(
                &mut conn,
                &policy,
                DecisionKind::Approved,
                Some("40000.00"),
                d(2026, 1, 10),
            );
        }
        // EUR 5,000 of headroom; eight orders of EUR 2,000 race for it.
        let covered: i64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = db.store.clone();
                    s.spawn(move || {
                        let mut conn = store.conn().unwrap();
                        hold_check(&mut conn, "2000.00", &format!("PO-{i}"))
                            .covered
                            .minor()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(
            covered, 500_000,
            "{}: the holds add up to the headroom, no more",
            db.name
        );
    }
}

#[actix_web::test]
async fn rates_are_imported_over_http_as_csv() {
    use crate::api::req;
    use actix_web::http::Method;
    for db in backends() {
        let k = keys(&db);
        let api = Api::new(state(&db)).await;
        let csv = "series,date,value\nUSD/EUR,2026-02-01,0.92\nEURIBOR3M,2026-02-01,0.02015\n";
        let send = |key: &str| {
            req(Method::POST, "/v1/rates", Some(key))
                .insert_header(("Content-Type", "text/csv"))
                .set_payload(csv)
        };
        let r = api.send(send(&k.treasurer)).await.expect(201);
        assert_eq!(
            (r["created"].clone(), r["unchanged"].clone()),
            (json!(2), json!(0))
        );
        let again = api.send(send(&k.treasurer)).await.expect(200);
        assert_eq!(again["unchanged"], 2, "{}", db.name);
        api.send(send(&k.finance)).await.problem(403, "forbidden");
    }
}
