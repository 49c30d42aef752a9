//! Factoring calls and guards on both backends: submissions, funding and
//! approval requests queued to the outbox with their answers applied;
//! notified invoices exported as factored documents; the eligibility rules
//! that need the store (intra-group, excluded country, concentration,
//! unicity of credit notes); and the database constraint that keeps an
//! invoice in one active assignment, raced from two threads.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use factorgate::error::ErrorCode;
use factorgate::formats::einvoice::ubl_write::write_ubl_bytes;
use factorgate::formats::einvoice::Syntax;
use factorgate::service::documents::invoice_document;
use factorgate::service::factoring::approvals::{
    apply_approval_answer, request_approval, ApprovalRequestInput,
};
use factorgate::service::factoring::{
    apply_assignment_answer, approval_in_force, confirm, create_contract, get_assignment,
    get_contract, link_contract, propose, request_funding, set_intra_group, submit, ContractInput,
    Selection,
};
use factorgate::service::outbox::get_message;
use factorgate::store::schema::{
    factoring_assignment_items as items, factoring_assignments, journal_entries, outbox_messages,
};
use factorgate::store::DbConnection;
use serde_json::json;

use crate::common::backends;
use crate::factoring::{
    all_on, approve, balance, count_rows, d, invoice, named, portfolio, setup, terms,
};

fn link(conn: &mut DbConnection) {
    link_contract(conn, "CT-1", Some("bnp"), &["bnp".to_string()]).unwrap();
}

#[test]
fn submission_and_the_factor_s_answers() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        let err = link_contract(conn, "CT-1", Some("nope"), &["bnp".to_string()]).unwrap_err();
        assert_eq!(err.code(), "connection_unknown", "{}", db.name);
        link(conn);
        let a = confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        let s = submit(conn, &a.number).unwrap();
        assert_eq!(s.state, "submitted");
        let m = get_message(conn, s.message_id.as_deref().unwrap()).unwrap();
        assert_eq!(
            (m.operation.as_str(), m.connection.as_str()),
            ("submit_assignment", "bnp")
        );
        assert_eq!(m.idempotency_key, format!("fg:submit_assignment:{}", a.id));
        assert_eq!(m.payload["idempotency_key"], m.idempotency_key);
        assert_eq!(m.payload["documents"].as_array().unwrap().len(), 3);
        // 12,000 + 6,000 + 2,400 = 20,400.00
        assert_eq!(m.payload["total"]["minor"], 2_040_000);
        assert_eq!(
            submit(conn, &a.number).unwrap_err().code(),
            "assignment_not_draft"
        );

        // The factor refuses F-3 and pays 9,000 on the rest.
        let answer = serde_json::from_value(
            json!({"reference": "BNP-77", "status": "partially_rejected",
            "raw_status": "PARTIEL", "rejected": [{"number": "F-3", "reason": "débiteur inconnu"}],
            "advance": {"minor": 900_000, "exponent": 2, "currency": [69, 85, 82]},
            "value_date": "2026-03-13"}),
        )
        .unwrap();
        apply_assignment_answer(conn, &db.ctx, &a.id, &answer).unwrap();
        let a = get_assignment(conn, &a.id).unwrap();
        assert_eq!(
            (a.state.as_str(), a.factor_reference.as_deref()),
            ("acknowledged", Some("BNP-77"))
        );
        let f3 = a.items.iter().find(|i| i.number == "F-3").unwrap();
        assert_eq!((f3.state.as_str(), f3.active), ("rejected", false));
        assert_eq!(balance(&db, conn, "512"), 900_000);
        // 18,000 - 1,800 reserve - 108 commission - 9,000 advance = 7,092.
        assert_eq!(balance(&db, conn, "467"), 709_200);
        let err = apply_assignment_answer(
            conn,
            &db.ctx,
            &a.id,
            &serde_json::from_value(
                json!({"reference": "BNP-77", "status": "partially_rejected",
                "raw_status": "PARTIEL", "rejected": [{"number": "F-404", "reason": "?"}]}),
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "invoice_not_in_assignment");
        apply_assignment_answer(
            conn,
            &db.ctx,
            &a.id,
            &serde_json::from_value(
                json!({"reference": "BNP-77", "status": "funded", "raw_status": "FINANCE",
                    "advance": {"minor": 900_000, "exponent": 2, "currency": [69, 85, 82]}}),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(get_assignment(conn, &a.id).unwrap().state, "funded");
        // The advance the factor repeats in its later answer is not paid twice.
        assert_eq!(balance(&db, conn, "512"), 900_000);

        // A funding request goes out through the outbox too.
        let f = request_funding(conn, "CT-1", "100.00", Some(d(2026, 3, 13))).unwrap();
        let m = get_message(conn, f.message_id.as_deref().unwrap()).unwrap();
        assert_eq!(m.operation, "request_funding");
        assert_eq!(m.payload["amount"]["minor"], 10_000);
        assert_eq!(m.idempotency_key, format!("fg:request_funding:{}", f.id));
    }
}

#[test]
fn an_approval_request_and_its_answers() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        let input: ApprovalRequestInput = serde_json::from_value(json!({
            "contract": "CT-1", "buyer": "552081317", "amount": "20000.00", "wanted_from": "2026-03-01"
        }))
        .unwrap();
        assert_eq!(
            request_approval(conn, &input).unwrap_err().code(),
            "contract_not_connected",
            "{}",
            db.name
        );
        assert_eq!(
            outbox_messages::table
                .count()
                .get_result::<i64>(conn)
                .unwrap(),
            0
        );
        link(conn);
        let r = request_approval(conn, &input).unwrap();
        let m = get_message(conn, &r.message_id).unwrap();
        assert_eq!(m.operation, "request_approval");
        assert_eq!(m.payload["contract_number"], "CT-1");
        assert_eq!(m.payload["amount"]["minor"], 2_000_000);
        let pending = serde_json::from_value(
            json!({"reference": "AGR-1", "status": "pending", "raw_status": "EN COURS"}),
        )
        .unwrap();
        apply_approval_answer(
            conn,
            "bnp",
            &r.message_id,
            &r.approval.id,
            &pending,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let polls: i64 = outbox_messages::table
            .filter(outbox_messages::operation.eq("poll_approval"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(polls, 1);
        let granted = serde_json::from_value(json!({"reference": "AGR-1", "status": "partially_approved",
            "raw_status": "ACCORD PARTIEL", "amount": {"minor": 1_500_000, "exponent": 2, "currency": [69, 85, 82]},
            "effective_on": "2026-03-02"}))
        .unwrap();
        apply_approval_answer(
            conn,
            "bnp",
            &r.message_id,
            &r.approval.id,
            &granted,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let contract = get_contract(conn, "CT-1").unwrap();
        let buyer = factorgate::service::parties::resolve_buyer_id(conn, "552081317").unwrap();
        let l = approval_in_force(conn, &contract, &buyer, d(2026, 3, 2))
            .unwrap()
            .unwrap();
        assert_eq!(l.amount, 1_500_000);
        assert!(approval_in_force(conn, &contract, &buyer, d(2026, 3, 1))
            .unwrap()
            .is_none());
        let usd = serde_json::from_value(
            json!({"reference": "AGR-1", "status": "approved", "raw_status": "OK",
            "amount": {"minor": 1, "exponent": 2, "currency": [85, 83, 68]}}),
        )
        .unwrap();
        let err = apply_approval_answer(
            conn,
            "bnp",
            &r.message_id,
            &r.approval.id,
            &usd,
            std::time::Duration::from_secs(60),
        )
        .unwrap_err();
        assert_eq!(err.code(), "answer_currency_mismatch");
    }
}

fn ubl(conn: &mut DbConnection, id: &str) -> String {
    String::from_utf8(write_ubl_bytes(&invoice_document(conn, id, Syntax::Ubl).unwrap()).unwrap())
        .unwrap()
}

#[test]
fn notified_invoices_carry_the_factor_confidential_ones_do_not() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let mut t = terms(d(2026, 1, 1));
        t.notification = factorgate::domain::factoring::Notification::Notified;
        t.factor_iban = Some("FR76 3000 6000 0112 3456 7890 189".into());
        t.subrogation_notice = Some("Subrogé au profit de BNP Paribas Factor.".into());
        setup(conn, t);
        portfolio(&db, conn);
        let a = confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-1"])).unwrap();
        let f1 = a.items[0].invoice_id.clone();
        let xml = ubl(conn, &f1);
        assert!(
            xml.contains("<cbc:InvoiceTypeCode>393</cbc:InvoiceTypeCode>"),
            "{}: {xml}",
            db.name
        );
        assert!(xml.contains("BNP Paribas Factor"));
        assert!(xml.contains("FR7630006000011234567890189"));
        assert!(xml.contains("Subrogé au profit de BNP Paribas Factor."));
        // Once the assignment is rejected the invoice is ours again.
        factorgate::service::factoring::reject(
            conn,
            &db.ctx,
            &a.number,
            None,
            d(2026, 3, 11),
            None,
        )
        .unwrap();
        let xml = ubl(conn, &f1);
        assert!(
            xml.contains("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"),
            "{xml}"
        );
        assert!(!xml.contains("BNP Paribas Factor"));
    }
}

#[test]
fn confidential_invoices_are_exported_unchanged() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        let a = confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-1"])).unwrap();
        let xml = ubl(conn, &a.items[0].invoice_id);
        assert!(
            xml.contains("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"),
            "{}",
            db.name
        );
        assert!(!xml.contains("BNP Paribas Factor"));
    }
}

#[test]
fn rules_that_read_the_buyer_and_the_portfolio() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let mut t = terms(d(2026, 1, 1));
        t.scope = factorgate::domain::factoring::Scope::WholeTurnover;
        t.concentration_cap = "0.60".into();
        setup(conn, t);
        portfolio(&db, conn);
        for (name, country, siren) in [
            ("Gazprom", "RU", "380129866"),
            ("PSA Retail", "FR", "572093920"),
        ] {
            factorgate::service::parties::create_buyer(
                conn,
                &serde_json::from_value(json!({"name": name, "country": country,
                    "legal_ids": [{"scheme": "siren", "value": siren}]}))
                .unwrap(),
            )
            .unwrap();
        }
        invoice(
            &db,
            conn,
            "380129866",
            "F-RU",
            "2026-03-01",
            "2026-04-30",
            ["100.00", "20.00", "120.00"],
        );
        invoice(
            &db,
            conn,
            "572093920",
            "F-SUB",
            "2026-03-01",
            "2026-04-30",
            ["100.00", "20.00", "120.00"],
        );
        assert_eq!(
            set_intra_group(conn, "572093920", true).unwrap().name,
            "PSA Retail"
        );
        // A credit note of INSEE goes with its invoices (unicity).
        factorgate::service::invoices::record_invoice(
            conn,
            &db.ctx,
            &serde_json::from_value(json!({"seller": "552100554", "kind": "credit_note",
                "buyer_legal_id": {"scheme": "siren", "value": "732829320"}, "currency": "EUR",
                "number": "AV-1", "issue_date": "2026-03-06", "due_date": "2026-03-06",
                "net": "500.00", "tax": "100.00", "gross": "600.00"}))
            .unwrap(),
        )
        .unwrap();
        let p = propose(conn, &all_on(d(2026, 3, 10))).unwrap();
        let item = |n: &str| p.items.iter().find(|i| i.number == n).unwrap().clone();
        assert_eq!(item("F-SUB").reasons, vec!["intra_group"], "{}", db.name);
        assert_eq!(item("F-RU").reasons, vec!["excluded_country"]);
        assert_eq!(item("AV-1").kind, "credit_note");
        assert!(item("AV-1").eligible);
        // Eligible before the cap: A 18,000 - 600 = 17,400 and B 2,400:
        // 19,800 in all, 60 % = 11,880 per buyer. A: F-1 12,000 does not
        // fit, so F-1 and F-2 are out; B: 2,400 fits.
        assert_eq!(item("F-1").reasons, vec!["concentration_cap"]);
        assert_eq!(item("F-2").reasons, vec!["concentration_cap"]);
        assert!(item("F-3").eligible);
        // Assigned: 2,400 - 600 (the credit note still goes with A).
        assert_eq!(p.assigned.minor(), 180_000);
        let sel = Selection {
            buyer: Some("572093920".into()),
            ..all_on(d(2026, 3, 10))
        };
        assert_eq!(
            confirm(conn, &db.ctx, &sel).unwrap_err().code(),
            "nothing_to_assign"
        );
    }
}

#[test]
fn the_database_keeps_an_invoice_in_one_active_assignment() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        let a = confirm(conn, &db.ctx, &named(d(2026, 3, 10), &["F-1"])).unwrap();
        let item: factorgate::store::factoring_rows::AssignmentItemRow = items::table
            .select(factorgate::store::factoring_rows::AssignmentItemRow::as_select())
            .first(conn)
            .unwrap();
        // A second active row for the same invoice, written behind the
        // service's back: the partial unique index refuses it.
        let mut twin = item.clone();
        twin.id = "twin".into();
        let err = diesel::insert_into(items::table)
            .values(&twin)
            .execute(conn)
            .unwrap_err();
        assert!(
            matches!(
                err,
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _
                )
            ),
            "{}: {err:?}",
            db.name
        );
        // Inactive rows (history) are not limited.
        twin.active = 0;
        diesel::insert_into(items::table)
            .values(&twin)
            .execute(conn)
            .unwrap();
        assert_eq!(a.items.len(), 1);
    }
}

/// Two factors, one invoice, two threads confirming at once: exactly one
/// assignment wins; the other gets `invoice_already_assigned` and leaves
/// nothing behind (no assignment, no item, no entry).
#[test]
fn two_confirmations_racing_for_one_invoice_give_one_assignment() {
    for db in backends() {
        {
            let mut conn = db.store.conn().unwrap();
            let conn = &mut *conn;
            setup(conn, terms(d(2026, 1, 1)));
            portfolio(&db, conn);
            create_contract(
                conn,
                &ContractInput {
                    factor: "Eurofactor".into(),
                    number: "CT-2".into(),
                    seller: "552100554".into(),
                    currency: "EUR".into(),
                    terms: terms(d(2026, 1, 1)),
                },
            )
            .unwrap();
            approve(conn, "552081317", "approved", "1000.00", d(2026, 2, 1));
        }
        let before = {
            let mut conn = db.store.conn().unwrap();
            count_rows(&mut conn)
        };
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ["CT-1", "CT-2"]
            .into_iter()
            .map(|contract| {
                let store = db.store.clone();
                let ctx = db.ctx.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut conn = store.conn().unwrap();
                    let sel = Selection {
                        contract: contract.into(),
                        ..named(d(2026, 3, 10), &["F-1", "F-2"])
                    };
                    barrier.wait();
                    confirm(&mut conn, &ctx, &sel)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{}: {results:?}", db.name);
        let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!(
            lost.code(),
            "invoice_already_assigned",
            "{}: {lost}",
            db.name
        );
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let after = count_rows(conn);
        // One assignment of two items and its one entry; nothing else.
        assert_eq!(after, (before.0 + 1, before.1 + 2, before.2, before.3 + 1));
        let batches: i64 = factoring_assignments::table
            .count()
            .get_result(conn)
            .unwrap();
        let entries: i64 = journal_entries::table
            .filter(journal_entries::event_kind.eq("factoring_assignment.confirmed"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!((batches, entries), (1, 1));
    }
}
