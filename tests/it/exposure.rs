//! The buyer exposure table stays equal to the open invoices under
//! concurrent writers, on both backends.

use diesel::prelude::*;
use factorgate::service::invoices::record_invoice;
use factorgate::service::payments::record_payment;
use factorgate::store::schema::buyer_exposures as e;
use factorgate::store::DbConnection;

use crate::common::backends;
use crate::ledger::{buyer, d, invoice, seller};

fn exposure_row(conn: &mut DbConnection, buyer: &str) -> i64 {
    e::table
        .filter(e::buyer_id.eq(buyer).and(e::currency.eq("EUR")))
        .select(e::open_minor)
        .first::<i64>(conn)
        .unwrap()
}

#[test]
fn concurrent_invoices_and_payments_for_one_buyer_lose_no_delta() {
    const WRITERS: usize = 4;
    const EACH: usize = 15;
    for db in backends() {
        let (s, b) = {
            let mut conn = db.store.conn().unwrap();
            (seller(&mut conn), buyer(&mut conn, "Contended SA"))
        };
        std::thread::scope(|scope| {
            for w in 0..WRITERS {
                let (store, ctx, s, b) = (&db.store, &db.ctx, &s, &b);
                scope.spawn(move || {
                    let mut conn = store.conn().unwrap();
                    for n in 0..EACH {
                        // Every invoice is EUR 120.00 gross (100.00 + 20.00).
                        record_invoice(
                            &mut conn,
                            ctx,
                            &invoice(
                                s,
                                b,
                                &format!("W{w}-{n}"),
                                d(2026, 3, 1),
                                d(2026, 4, 30),
                                "100.00",
                                "20.00",
                                "120.00",
                            ),
                        )
                        .unwrap();
                    }
                });
            }
        });
        let mut conn = db.store.conn().unwrap();
        // 4 writers x 15 invoices x EUR 120.00 = EUR 7,200.00.
        assert_eq!(exposure_row(&mut conn, &b), 720_000, "{}", db.name);

        // Payments allocated oldest first, from two threads at once:
        // 2 x EUR 1,000.00 leaves EUR 5,200.00 open.
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let (store, ctx, b) = (&db.store, &db.ctx, &b);
                scope.spawn(move || {
                    let mut conn = store.conn().unwrap();
                    record_payment(
                        &mut conn,
                        ctx,
                        &factorgate::domain::payment::PaymentInput {
                            buyer_id: Some(b.clone()),
                            buyer_legal_id: None,
                            received_on: d(2026, 4, 2),
                            currency: "EUR".into(),
                            amount: "1000.00".into(),
                            reference: None,
                            external_id: None,
                            allocations: None,
                        },
                    )
                    .unwrap();
                });
            }
        });
        assert_eq!(exposure_row(&mut conn, &b), 520_000, "{}", db.name);
    }
}
