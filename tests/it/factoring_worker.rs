//! The worker against the sandbox factor over real HTTP, on both backends:
//! a debtor approval requested, polled and recorded; an assignment
//! submitted and acknowledged; a funding request accepted and its advance
//! posted (512 / 467).

use std::sync::Arc;
use std::time::Duration;

use factorgate::jobs::{Connections, Worker};
use factorgate::service::factoring::{
    confirm, get_funding, link_contract, list_approvals, position, request_approval,
    request_funding, submit,
};
use factorgate::service::ledger::trial_balance_as_of;
use factorgate::service::outbox::get_message;
use factorgate::store::Store;
use factorgate_adapter::Secret;
use factorgate_rest_factor::{RestFactor, RestFactorConfig};
use factorgate_sandbox::SandboxConfig;
use rust_decimal::Decimal;
use serde_json::json;

use crate::common::backends;
use crate::factoring::{all_on, d, portfolio, setup, terms};
use crate::outbox_http::{sandbox, settings};

fn worker(store: &Store, base_url: &str, db: &crate::common::TestDb) -> Worker {
    let factor = RestFactor::new(RestFactorConfig {
        base_url: base_url.to_string(),
        client_id: "factorgate".into(),
        client_secret: Secret::new("sandbox-secret"),
        timeout: Duration::from_secs(5),
    })
    .expect("adapter");
    let connections = Connections::default().with_factor("bnp", Arc::new(factor));
    Worker::new(store.clone(), connections, settings()).with_context(db.ctx.clone())
}

/// The sandbox factor: limits of 15,000.00 on INSEE and 2,000.00 on EDF;
/// advances only on request.
fn factor_sandbox() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.factor.auto_fund = false;
    config.factor.pending_polls = 1;
    config
        .factor
        .debtor_limits
        .insert("0002:732829320".into(), Decimal::new(15_000, 0));
    config
        .factor
        .debtor_limits
        .insert("0002:552081317".into(), Decimal::new(2_000, 0));
    config
}

#[test]
fn approval_submission_and_funding_go_through_the_sandbox_factor() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in backends() {
        let sb = runtime.block_on(async { sandbox(factor_sandbox()) });
        let w = worker(&db.store, &sb.base_url(), &db);
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        link_contract(conn, "CT-1", Some("bnp"), &["bnp".to_string()]).unwrap();

        // EDF (552081317) has no approval yet: ask the factor for 5,000.00;
        // its limit there is 2,000.00, so it grants that much.
        request_approval(
            conn,
            &serde_json::from_value(json!({"contract": "CT-1", "buyer": "552081317",
                "amount": "5000.00", "wanted_from": "2026-03-01"}))
            .unwrap(),
        )
        .unwrap();
        let pass = runtime.block_on(w.drain()).unwrap();
        // The request (answered pending), then polls until decided.
        assert!(pass.done >= 2, "{}: {pass:?}", db.name);
        assert_eq!(pass.parked, 0, "{}: {pass:?}", db.name);
        let edf = list_approvals(conn, "CT-1", Some("552081317"), d(2026, 3, 10)).unwrap();
        assert_eq!(
            edf[0].in_force.map(|m| m.minor()),
            Some(200_000),
            "{}: {edf:?}",
            db.name
        );

        // The batch of the factoring tests: INSEE approved 15,000.00 of
        // its 18,000.00; EDF 2,000.00 of its 2,400.00.
        let a = confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        let s = submit(conn, &a.number).unwrap();
        let pass = runtime.block_on(w.drain()).unwrap();
        assert_eq!((pass.done, pass.parked), (1, 0), "{}: {pass:?}", db.name);
        let m = get_message(conn, s.message_id.as_deref().unwrap()).unwrap();
        assert_eq!(m.state, "done", "{}: {m:?}", db.name);
        assert_eq!(
            m.result.as_ref().unwrap()["status"],
            "pending",
            "RECEIVED maps to pending"
        );

        // Draw 10,000.00 of the 15,300.00 available (90 % of 17,000.00).
        let f = request_funding(conn, "CT-1", "10000.00", Some(d(2026, 3, 10))).unwrap();
        let pass = runtime.block_on(w.drain()).unwrap();
        assert_eq!((pass.done, pass.parked), (1, 0), "{}: {pass:?}", db.name);
        let m = get_message(conn, f.message_id.as_deref().unwrap()).unwrap();
        assert_eq!(
            m.result.as_ref().unwrap()["status"],
            "accepted",
            "{}: {m:?}",
            db.name
        );
        // The advance is posted on its value date (the sandbox funds the
        // next business day after its own today): 512 debited 10,000.00
        // against 467.
        let funded = get_funding(conn, &f.id).unwrap();
        assert_eq!(funded.state, "accepted", "{}", db.name);
        let on = funded.value_date.expect("value date");
        let bank: i64 = trial_balance_as_of(conn, &db.ctx, Some(on))
            .unwrap()
            .rows
            .iter()
            .filter(|r| r.account == "512")
            .map(|r| r.balance)
            .sum();
        assert_eq!(bank, 1_000_000, "{}", db.name);
        let p = position(conn, "CT-1", Some(on)).unwrap();
        assert_eq!(p.advanced.minor(), 1_000_000, "{}", db.name);
    }
}
