//! The invoice stream behind the aged balance and the KPIs: read on one
//! thread and added up on another, it must hand over every invoice once,
//! put later settlements back, and stop cleanly when the caller fails.

use factorgate::service::invoices::record_invoices;
use factorgate::service::receivable_facts::{Cut, CutReader};
use factorgate::service::ServiceError;
use serde_json::json;

use crate::collections::{d, pay, seller_and_buyer};
use crate::common::backends;

/// More invoices than one hand-off between the threads holds (2,048).
const COUNT: i64 = 5_000;

/// Invoice n (1-based) is of n euros, issued on 2 January 2026.
fn gross_minor(n: i64) -> i64 {
    n * 100
}

#[test]
fn every_invoice_once_with_later_settlements_put_back_and_a_failing_caller_stops_the_pass() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let (seller, buyer) = seller_and_buyer(conn, "Bernard SA", "FR");
        let inputs: Vec<_> = (1..=COUNT)
            .map(|n| {
                serde_json::from_value(json!({"seller": seller, "buyer_id": buyer,
                    "number": format!("RF-{n:05}"), "currency": "EUR",
                    "issue_date": "2026-01-02", "due_date": "2026-02-01",
                    "net": format!("{n}.00"), "tax": "0.00", "gross": format!("{n}.00")}))
                .unwrap()
            })
            .collect();
        record_invoices(conn, &db.ctx, &inputs).unwrap();
        // Paid on 10 March, oldest due first (all share one due date, so the
        // allocation order does not matter to the totals): 3.00 settles
        // 3.00 of the book.
        pay(&db, conn, &buyer, "2026-03-10", "3.00");

        let total: i64 = (1..=COUNT).map(gross_minor).sum();
        let stream = |conn: &mut factorgate::store::DbConnection, as_of| {
            let cut = Cut {
                as_of,
                period_from: d(2026, 3, 1),
            };
            let reader = CutReader::new(conn, cut, None).unwrap();
            let (mut n, mut payable, mut settled, mut collected) = (0i64, 0i64, 0i64, 0i64);
            reader
                .invoices(conn, |i| {
                    n += 1;
                    payable += i.payable;
                    settled += i.settled_by_as_of;
                    collected += i.collected_in_period;
                    Ok(())
                })
                .unwrap();
            (n, payable, settled, collected)
        };
        // On 31 March the payment counts: settled and collected in March.
        assert_eq!(stream(conn, d(2026, 3, 31)), (COUNT, total, 300, 300));
        // On 9 March it had not happened yet: put back.
        assert_eq!(stream(conn, d(2026, 3, 9)), (COUNT, total, 0, 0));

        // A caller that fails on the 3,000th invoice gets its error back,
        // and the pass stops there (no call after it).
        let cut = Cut {
            as_of: d(2026, 3, 31),
            period_from: d(2026, 3, 1),
        };
        let reader = CutReader::new(conn, cut, None).unwrap();
        let mut calls = 0;
        let err = reader
            .invoices(conn, |_| {
                calls += 1;
                if calls == 3_000 {
                    Err(ServiceError::conflict("stop_here", "the caller stops"))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert!(err.to_string().contains("the caller stops"), "{err}");
        assert_eq!(calls, 3_000);
        // The connection is still usable after the stopped pass.
        assert_eq!(stream(conn, d(2026, 3, 31)).0, COUNT);
    }
}
