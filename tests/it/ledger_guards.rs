//! What the databases themselves refuse after the ledger was narrowed (lines
//! keyed by entry and line number on PostgreSQL) and the invoices' seller
//! and buyer checks became statement triggers there: raw SQL, both backends.

use diesel::connection::SimpleConnection;

use crate::common::backends;
use crate::ledger::{buyer, d, invoice, seller};
use factorgate::service::invoices::record_invoice;
use factorgate::store::DbConnection;

fn raw(conn: &mut DbConnection, sql: &str) -> Result<(), String> {
    conn.batch_execute(sql).map_err(|e| e.to_string())
}

fn is_postgres(name: &str) -> bool {
    name.starts_with("postgres")
}

/// Lines then header in one transaction (SQLite), or one statement
/// (PostgreSQL), as each backend takes an entry.
fn entry_sql(postgres: bool, id: &str, lines: &[(i32, &str, i64, i64, &str)]) -> String {
    let values: Vec<String> = lines
        .iter()
        .map(|(no, account, debit, credit, currency)| {
            format!("('{id}', {no}, '{account}', {debit}, {credit}, '{currency}', 'x')")
        })
        .collect();
    let lines = format!(
        "INSERT INTO journal_lines (entry_id, line_no, account, debit_minor, credit_minor, currency, label) VALUES {};",
        values.join(", ")
    );
    let header = format!(
        "INSERT INTO journal_entries (id, journal_code, entry_date, label, piece_ref, piece_date, event_kind, event_id, created_at) \
         VALUES ('{id}', 'OD', '2026-01-01', 'x', 'p', '2026-01-01', 'test', '{id}', '2026-01-01 00:00:00')"
    );
    if postgres {
        format!("BEGIN; WITH h AS ({header}) {lines} COMMIT;")
    } else {
        format!("BEGIN; {lines} {header}; COMMIT;")
    }
}

#[test]
fn entries_balance_per_currency_and_stay_closed() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let pg = is_postgres(db.name);
        // Balanced in EUR, not in USD.
        let two_currencies = entry_sql(
            pg,
            "m1",
            &[
                (1, "411", 100, 0, "EUR"),
                (2, "707", 0, 100, "EUR"),
                (3, "411", 50, 0, "USD"),
                (4, "707", 0, 40, "USD"),
            ],
        );
        let err = raw(conn, &two_currencies).unwrap_err();
        assert!(err.contains("ledger_unbalanced"), "{}: {err}", db.name);
        let _ = raw(conn, "ROLLBACK;");
        let ok = entry_sql(
            pg,
            "m2",
            &[
                (1, "411", 100, 0, "EUR"),
                (2, "707", 0, 100, "EUR"),
                (3, "411", 50, 0, "USD"),
                (4, "707", 0, 50, "USD"),
            ],
        );
        assert_eq!(raw(conn, &ok), Ok(()), "{}", db.name);
        // A line numbered after the last one, or reusing a number, cannot
        // join the posted entry, inside a transaction or not.
        for (no, debit, credit) in [(5, 10, 0), (1, 0, 10)] {
            let line = format!(
                "INSERT INTO journal_lines (entry_id, line_no, account, debit_minor, credit_minor, currency, label) \
                 VALUES ('m2', {no}, '411', {debit}, {credit}, 'EUR', 'x');"
            );
            let err = raw(conn, &line).unwrap_err();
            assert!(
                err.contains("ledger_insert_only")
                    || err.contains("UNIQUE")
                    || err.contains("duplicate key"),
                "{}: line {no}: {err}",
                db.name
            );
            let err = raw(conn, &format!("BEGIN; {line} COMMIT;")).unwrap_err();
            assert!(
                err.contains("ledger_insert_only")
                    || err.contains("UNIQUE")
                    || err.contains("duplicate key"),
                "{}: line {no} in a transaction: {err}",
                db.name
            );
            let _ = raw(conn, "ROLLBACK;");
        }
        let count: i64 = {
            use diesel::prelude::*;
            factorgate::store::schema::journal_lines::table
                .count()
                .get_result(conn)
                .unwrap()
        };
        assert_eq!(count, 4, "{}: only m2's lines", db.name);
    }
}

#[test]
fn an_invoice_needs_its_seller_and_buyer_and_keeps_them() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let s = seller(conn);
        let b = buyer(conn, "Durand SA");
        let inv = record_invoice(
            conn,
            &db.ctx,
            &invoice(
                &s,
                &b,
                "G-1",
                d(2026, 1, 1),
                d(2026, 1, 31),
                "10.00",
                "2.00",
                "12.00",
            ),
        )
        .unwrap()
        .invoice;
        let insert = |id: &str, seller: &str, buyer: &str, number: &str, kind: &str| {
            format!(
                "INSERT INTO invoices (id, seller_id, buyer_id, number, kind, issue_date, due_date, currency, \
                 net_minor, tax_minor, gross_minor, open_minor, lme_exceeded, state, content_hash, created_at) \
                 VALUES ('{id}', '{seller}', '{buyer}', '{number}', '{kind}', '2026-01-01', '2026-01-31', 'EUR', \
                 10, 2, 12, 12, 0, 'open', 'h', '2026-01-01 00:00:00');"
            )
        };
        let refused = |e: &str| {
            let e = e.to_lowercase();
            e.contains("foreign key") || e.contains("invoice_party")
        };
        // Unknown buyer, unknown seller; a credit note too (it moves no
        // exposure, so only the party check can refuse it).
        for sql in [
            insert("x1", &s, "no-such-buyer", "G-2", "invoice"),
            insert("x2", "no-such-seller", &b, "G-3", "invoice"),
            insert("x3", &s, "no-such-buyer", "G-4", "credit_note"),
        ] {
            let err = raw(conn, &format!("BEGIN; {sql} COMMIT;")).unwrap_err();
            assert!(refused(&err), "{}: {sql}: {err}", db.name);
            let _ = raw(conn, "ROLLBACK;");
        }
        let moved = format!(
            "UPDATE invoices SET buyer_id = 'no-such-buyer' WHERE id = '{}';",
            inv.id
        );
        let err = raw(conn, &format!("BEGIN; {moved} COMMIT;")).unwrap_err();
        assert!(refused(&err), "{}: {err}", db.name);
        let _ = raw(conn, "ROLLBACK;");
        // A party with invoices stays.
        for sql in [
            format!("DELETE FROM buyers WHERE id = '{b}';"),
            format!("UPDATE sellers SET id = 'renamed' WHERE id = '{s}';"),
        ] {
            let err = raw(conn, &format!("BEGIN; {sql} COMMIT;")).unwrap_err();
            assert!(refused(&err), "{}: {sql}: {err}", db.name);
            let _ = raw(conn, "ROLLBACK;");
        }
        // Other changes to a party still go through.
        assert_eq!(
            raw(
                conn,
                &format!("UPDATE buyers SET name = 'Durand' WHERE id = '{b}';")
            ),
            Ok(()),
            "{}",
            db.name
        );
        let count: i64 = {
            use diesel::prelude::*;
            factorgate::store::schema::invoices::table
                .count()
                .get_result(conn)
                .unwrap()
        };
        assert_eq!(count, 1, "{}: only G-1", db.name);
    }
}
