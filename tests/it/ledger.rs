//! The ledger's invariants on real databases: every entry balances, the
//! ledger is insert-only, and each buyer's sub-ledger equals its open items.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::domain::invoice::{InvoiceInput, InvoiceKind, InvoiceState};
use factorgate::domain::party::{BuyerInput, SellerInput};
use factorgate::domain::payment::PaymentInput;
use factorgate::money::Currency;
use factorgate::service::invoices::{
    get_invoice, list_invoices, record_invoice, record_invoices, InvoiceFilter, RecordStatus,
};
use factorgate::service::kpi::snapshot;
use factorgate::service::ledger::{
    buyer_receivable_balance, entries_for_event, reverse_entry, trial_balance_as_of,
};
use factorgate::service::parties::{create_buyer, create_seller};
use factorgate::service::payments::{list_payments, record_payment, PaymentFilter};
use factorgate::service::reports::aging;
use factorgate::store::DbConnection;
use rand::{Rng, SeedableRng};

use crate::common::{backends, TestDb};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn seller(conn: &mut DbConnection) -> String {
    create_seller(
        conn,
        &SellerInput {
            name: "Acme Industrie".into(),
            siren: Some("732829320".into()),
            vat: None,
            iban: None,
        },
    )
    .unwrap()
    .id
}

pub fn buyer(conn: &mut DbConnection, name: &str) -> String {
    create_buyer(
        conn,
        &BuyerInput {
            name: name.into(),
            country: "FR".into(),
            legal_ids: vec![],
        },
    )
    .unwrap()
    .id
}

pub fn invoice(
    seller: &str,
    buyer: &str,
    number: &str,
    issue: NaiveDate,
    due: NaiveDate,
    net: &str,
    tax: &str,
    gross: &str,
) -> InvoiceInput {
    InvoiceInput {
        seller: seller.into(),
        buyer_id: Some(buyer.into()),
        buyer_legal_id: None,
        number: number.into(),
        kind: InvoiceKind::Invoice,
        issue_date: issue,
        due_date: due,
        currency: "EUR".into(),
        net: net.into(),
        tax: tax.into(),
        gross: gross.into(),
        payment_terms: None,
        credited_invoice: None,
        buyer_reference: None,
        order_reference: None,
    }
}

fn payment(buyer: &str, on: NaiveDate, amount: &str) -> PaymentInput {
    PaymentInput {
        buyer_id: Some(buyer.into()),
        buyer_legal_id: None,
        received_on: on,
        currency: "EUR".into(),
        amount: amount.into(),
        reference: None,
        external_id: None,
        allocations: None,
    }
}

fn cents(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Open items of a buyer as stored: open invoices, less unused credit notes,
/// less unallocated payments.
fn open_items(conn: &mut DbConnection, buyer: &str) -> i64 {
    let (invoices, credit_notes) = open_documents(conn, buyer);
    let payments = list_payments(
        conn,
        &PaymentFilter {
            buyer_id: Some(buyer.into()),
            limit: Some(1000),
            ..Default::default()
        },
    )
    .unwrap();
    invoices
        - credit_notes
        - payments
            .items
            .iter()
            .map(|p| p.unallocated.minor())
            .sum::<i64>()
}

/// A buyer's open invoices and open credit notes, read one by one.
fn open_documents(conn: &mut DbConnection, buyer: &str) -> (i64, i64) {
    let (mut invoices, mut credit_notes) = (0, 0);
    let mut cursor = None;
    loop {
        let page = list_invoices(
            conn,
            &InvoiceFilter {
                buyer_id: Some(buyer.into()),
                cursor: cursor.clone(),
                limit: Some(50),
                ..Default::default()
            },
        )
        .unwrap();
        for i in &page.items {
            match i.kind {
                InvoiceKind::Invoice => invoices += i.open.minor(),
                InvoiceKind::CreditNote => credit_notes += i.open.minor(),
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            return (invoices, credit_notes);
        }
    }
}

/// The trigger-kept exposure row of a buyer in a currency.
fn exposure_row(conn: &mut DbConnection, buyer: &str, currency: &str) -> i64 {
    use diesel::prelude::*;
    use factorgate::store::schema::buyer_exposures as e;
    e::table
        .filter(e::buyer_id.eq(buyer).and(e::currency.eq(currency)))
        .select(e::open_minor)
        .first::<i64>(conn)
        .optional()
        .unwrap()
        .unwrap_or(0)
}

/// Every buyer's kept sub-ledger sums (`buyer_ledger_balances`, written by
/// a trigger) against the same sums worked out from the lines themselves.
fn kept_balances_match_lines(conn: &mut DbConnection, label: &str) {
    use factorgate::store::schema::{buyer_ledger_balances as kept, journal_lines as l};
    let mut from_lines: std::collections::BTreeMap<(String, String, String), (i64, i64)> =
        Default::default();
    let lines: Vec<(Option<String>, String, String, i64, i64)> = l::table
        .select((
            l::buyer_id,
            l::account,
            l::currency,
            l::debit_minor,
            l::credit_minor,
        ))
        .load(conn)
        .unwrap();
    for (buyer, account, currency, debit, credit) in lines {
        if let Some(buyer) = buyer {
            let sums = from_lines.entry((buyer, account, currency)).or_default();
            sums.0 += debit;
            sums.1 += credit;
        }
    }
    let kept_rows: Vec<(String, String, String, i64, i64)> = kept::table
        .select((
            kept::buyer_id,
            kept::account,
            kept::currency,
            kept::debit_minor,
            kept::credit_minor,
        ))
        .load(conn)
        .unwrap();
    let kept_sums: std::collections::BTreeMap<_, _> = kept_rows
        .into_iter()
        .map(|(b, a, c, d, cr)| ((b, a, c), (d, cr)))
        .collect();
    assert!(
        !from_lines.is_empty(),
        "{label}: no sub-ledger lines to compare"
    );
    assert_eq!(
        kept_sums, from_lines,
        "{label}: kept sub-ledger sums vs lines"
    );
}

/// Returns how many buyers were checked against the model.
fn run_random_sequence(db: &TestDb, seed: u64, events: usize) -> usize {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut conn = db.store.conn().unwrap();
    let conn = &mut *conn;
    let s = seller(conn);
    let buyers: Vec<String> = (0..3).map(|i| buyer(conn, &format!("Buyer {i}"))).collect();
    // The model: what each buyer owes, from the events alone.
    let mut owed = vec![0i64; buyers.len()];
    let mut numbers: Vec<Vec<String>> = vec![Vec::new(); buyers.len()];
    // owed_by_day[n]: what each buyer owed at the end of day n.
    let mut owed_by_day: Vec<Vec<i64>> = Vec::with_capacity(events);
    for n in 0..events {
        let b = rng.gen_range(0..buyers.len());
        let day = d(2026, 1, 1) + chrono::Duration::days(n as i64);
        match rng.gen_range(0..10) {
            0..=4 => {
                let net: i64 = rng.gen_range(1..500_000);
                let tax = net / 5;
                let number = format!("F{seed}-{n}");
                record_invoice(
                    conn,
                    &db.ctx,
                    &invoice(
                        &s,
                        &buyers[b],
                        &number,
                        day,
                        day + chrono::Duration::days(rng.gen_range(0..90)),
                        &cents(net),
                        &cents(tax),
                        &cents(net + tax),
                    ),
                )
                .unwrap();
                owed[b] += net + tax;
                numbers[b].push(number);
            }
            5 | 6 => {
                let net: i64 = rng.gen_range(1..200_000);
                let mut cn = invoice(
                    &s,
                    &buyers[b],
                    &format!("A{seed}-{n}"),
                    day,
                    day,
                    &cents(net),
                    "0.00",
                    &cents(net),
                );
                cn.kind = InvoiceKind::CreditNote;
                if !numbers[b].is_empty() && rng.gen_bool(0.7) {
                    cn.credited_invoice =
                        Some(numbers[b][rng.gen_range(0..numbers[b].len())].clone());
                }
                record_invoice(conn, &db.ctx, &cn).unwrap();
                owed[b] -= net;
            }
            _ => {
                let amount: i64 = rng.gen_range(1..700_000);
                record_payment(conn, &db.ctx, &payment(&buyers[b], day, &cents(amount))).unwrap();
                owed[b] -= amount;
            }
        }
        owed_by_day.push(owed.clone());
    }
    // The aged balance at past dates puts later settlements back: each
    // buyer's total is what the events up to that day left it owing, and
    // the one-pass KPI snapshot carries the same aged balance.
    for n in [events / 4, events / 2, events * 3 / 4] {
        let as_of = d(2026, 1, 1) + chrono::Duration::days(n as i64);
        let aged = aging(conn, &db.ctx.aging, as_of, None).unwrap();
        for (i, b) in buyers.iter().enumerate() {
            let total: i64 = aged
                .rows
                .iter()
                .filter(|r| r.buyer_id.as_deref() == Some(b.as_str()))
                .map(|r| r.total)
                .sum();
            assert_eq!(
                total, owed_by_day[n][i],
                "{}: seed {seed} buyer {i} as of {as_of}: aged balance vs events",
                db.name
            );
        }
        let both = snapshot(conn, as_of, None, true, None, Some(&db.ctx.aging)).unwrap();
        assert_eq!(both.aging.as_ref(), Some(&aged), "{}: seed {seed}", db.name);
    }
    let eur = Currency::EUR;
    for (i, b) in buyers.iter().enumerate() {
        let ledger: i64 = buyer_receivable_balance(conn, &db.ctx, b)
            .unwrap()
            .iter()
            .filter(|(c, _)| *c == eur)
            .map(|(_, v)| *v)
            .sum();
        assert_eq!(
            ledger, owed[i],
            "{}: seed {seed} buyer {i}: sub-ledger vs events",
            db.name
        );
        assert_eq!(
            open_items(conn, b),
            owed[i],
            "{}: seed {seed} buyer {i}: open items vs events",
            db.name
        );
        assert_eq!(
            exposure_row(conn, b, "EUR"),
            open_documents(conn, b).0,
            "{}: seed {seed} buyer {i}: exposure row vs open invoices",
            db.name
        );
        let aged = aging(conn, &db.ctx.aging, d(2030, 1, 1), Some(b)).unwrap();
        let aged_total: i64 = aged.rows.iter().map(|r| r.total).sum();
        assert_eq!(
            aged_total, owed[i],
            "{}: seed {seed} buyer {i}: aged balance vs events",
            db.name
        );
    }
    kept_balances_match_lines(conn, &format!("{}: seed {seed}", db.name));
    let tb = trial_balance_as_of(conn, &db.ctx, None).unwrap();
    assert!(tb.is_balanced(), "{}: trial balance must balance", db.name);
    assert_eq!(tb.balance_of("411", eur), owed.iter().sum::<i64>());
    buyers.len()
}

#[test]
fn random_event_sequences_keep_each_sub_ledger_equal_to_open_items() {
    for seed in 1..=5u64 {
        for db in backends() {
            // PostgreSQL is slower per event: two seeds are enough there.
            if db.name == "postgres" && seed > 2 {
                continue;
            }
            assert_eq!(run_random_sequence(&db, seed, 80), 3, "every buyer checked");
        }
    }
}

#[test]
fn invoice_posts_receivable_sales_and_vat() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let s = seller(&mut conn);
        let b = buyer(&mut conn, "Durand SARL");
        let rec = record_invoice(
            &mut conn,
            &db.ctx,
            &invoice(
                &s,
                &b,
                "F-1",
                d(2026, 1, 15),
                d(2026, 3, 15),
                "1000.00",
                "200.00",
                "1200.00",
            ),
        )
        .unwrap();
        assert_eq!(rec.status, RecordStatus::Created);
        let entries = entries_for_event(&mut conn, &rec.invoice.id).unwrap();
        assert_eq!(entries.len(), 1);
        let lines: Vec<(String, i64, i64)> = entries[0]
            .lines
            .iter()
            .map(|l| (l.account.clone(), l.debit.minor(), l.credit.minor()))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("411".into(), 120_000, 0),
                ("707".into(), 0, 100_000),
                ("44571".into(), 0, 20_000)
            ],
            "{}",
            db.name
        );
        assert_eq!(entries[0].journal, "VE");
        assert_eq!(entries[0].lines[0].buyer_id.as_deref(), Some(b.as_str()));
    }
}

#[test]
fn replay_is_unchanged_and_other_content_is_a_conflict() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let s = seller(&mut conn);
        let b = buyer(&mut conn, "Durand SARL");
        let first = invoice(
            &s,
            &b,
            "F-7",
            d(2026, 2, 1),
            d(2026, 3, 1),
            "100.00",
            "20.00",
            "120.00",
        );
        let a = record_invoice(&mut conn, &db.ctx, &first).unwrap();
        let again = record_invoice(&mut conn, &db.ctx, &first).unwrap();
        assert_eq!(again.status, RecordStatus::Unchanged);
        assert_eq!(again.invoice.id, a.invoice.id);
        let changed = invoice(
            &s,
            &b,
            "F-7",
            d(2026, 2, 1),
            d(2026, 3, 1),
            "100.00",
            "20.00",
            "120.00",
        );
        let mut changed = changed;
        changed.due_date = d(2026, 3, 2);
        let err = record_invoice(&mut conn, &db.ctx, &changed).unwrap_err();
        assert_eq!(
            factorgate::error::ErrorCode::code(&err),
            "invoice_number_conflict",
            "{}",
            db.name
        );
        let tb = trial_balance_as_of(&mut conn, &db.ctx, None).unwrap();
        assert_eq!(
            tb.balance_of("411", Currency::EUR),
            12_000,
            "{}: one invoice posted once",
            db.name
        );
    }
}

#[test]
fn a_bad_item_refuses_the_whole_batch() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let s = seller(&mut conn);
        let b = buyer(&mut conn, "Durand SARL");
        let mut bad = invoice(
            &s,
            &b,
            "F-3",
            d(2026, 1, 1),
            d(2026, 2, 1),
            "1.00",
            "0.20",
            "1.20",
        );
        bad.currency = "EURO".into();
        let batch = vec![
            invoice(
                &s,
                &b,
                "F-1",
                d(2026, 1, 1),
                d(2026, 2, 1),
                "1.00",
                "0.20",
                "1.20",
            ),
            invoice(
                &s,
                &b,
                "F-2",
                d(2026, 1, 1),
                d(2026, 2, 1),
                "1.00",
                "0.20",
                "1.20",
            ),
            bad,
        ];
        let err = record_invoices(&mut conn, &db.ctx, &batch).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("[2].currency"), "{}: {msg}", db.name);
        assert_eq!(factorgate::error::ErrorCode::code(&err), "currency_unknown");
        let page = list_invoices(&mut conn, &InvoiceFilter::default()).unwrap();
        assert!(page.items.is_empty(), "{}: nothing written", db.name);
        let lines: i64 = factorgate::store::schema::journal_lines::table
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(lines, 0);
        // An unknown buyer late in the batch: also nothing written.
        let mut ghost = invoice(
            &s,
            &b,
            "F-9",
            d(2026, 1, 1),
            d(2026, 2, 1),
            "1.00",
            "0.20",
            "1.20",
        );
        ghost.buyer_id = Some("no-such-buyer".into());
        let batch = vec![
            invoice(
                &s,
                &b,
                "F-1",
                d(2026, 1, 1),
                d(2026, 2, 1),
                "1.00",
                "0.20",
                "1.20",
            ),
            ghost,
        ];
        let err = record_invoices(&mut conn, &db.ctx, &batch).unwrap_err();
        assert_eq!(factorgate::error::ErrorCode::code(&err), "buyer_not_found");
        assert!(list_invoices(&mut conn, &InvoiceFilter::default())
            .unwrap()
            .items
            .is_empty());
    }
}

#[test]
fn payments_and_credit_notes_move_invoice_states() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let s = seller(&mut conn);
        let b = buyer(&mut conn, "Durand SARL");
        let inv = record_invoice(
            &mut conn,
            &db.ctx,
            &invoice(
                &s,
                &b,
                "F-1",
                d(2026, 1, 1),
                d(2026, 1, 31),
                "1000.00",
                "200.00",
                "1200.00",
            ),
        )
        .unwrap()
        .invoice;
        record_payment(&mut conn, &db.ctx, &payment(&b, d(2026, 2, 5), "500.00")).unwrap();
        let now = get_invoice(&mut conn, &inv.id).unwrap();
        assert_eq!(
            (now.open.minor(), now.state),
            (70_000, InvoiceState::PartiallyPaid),
            "{}",
            db.name
        );
        let mut cn = invoice(
            &s,
            &b,
            "A-1",
            d(2026, 2, 10),
            d(2026, 2, 10),
            "100.00",
            "20.00",
            "120.00",
        );
        cn.kind = InvoiceKind::CreditNote;
        cn.credited_invoice = Some("F-1".into());
        let credit = record_invoice(&mut conn, &db.ctx, &cn).unwrap().invoice;
        assert_eq!(credit.open.minor(), 0, "credit fully used against F-1");
        assert_eq!(credit.credited_invoice_id.as_deref(), Some(inv.id.as_str()));
        assert_eq!(
            get_invoice(&mut conn, &inv.id).unwrap().open.minor(),
            58_000
        );
        // Overpayment: 580 settles the rest, 20 stays as credit on account.
        let p = record_payment(&mut conn, &db.ctx, &payment(&b, d(2026, 2, 20), "600.00")).unwrap();
        assert_eq!(p.unallocated.minor(), 2_000);
        let paid = get_invoice(&mut conn, &inv.id).unwrap();
        assert_eq!((paid.open.minor(), paid.state), (0, InvoiceState::Paid));
        let balance = buyer_receivable_balance(&mut conn, &db.ctx, &b).unwrap();
        assert_eq!(
            balance,
            vec![(Currency::EUR, -2_000)],
            "{}: 1200 - 120 - 500 - 600",
            db.name
        );
        // The aged balance as of 2026-02-06 is rebuilt from dates: 1200 - 500 open, 6 days late.
        let aged = aging(&mut conn, &db.ctx.aging, d(2026, 2, 6), Some(&b)).unwrap();
        assert_eq!(aged.rows.len(), 1);
        assert_eq!(
            aged.rows[0].buckets,
            vec![0, 70_000, 0, 0, 0],
            "{}",
            db.name
        );
    }
}

#[test]
fn reversal_is_a_new_mirror_entry() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let s = seller(&mut conn);
        let b = buyer(&mut conn, "Durand SARL");
        let inv = record_invoice(
            &mut conn,
            &db.ctx,
            &invoice(
                &s,
                &b,
                "F-1",
                d(2026, 1, 1),
                d(2026, 1, 31),
                "10.00",
                "2.00",
                "12.00",
            ),
        )
        .unwrap()
        .invoice;
        let original = entries_for_event(&mut conn, &inv.id).unwrap().remove(0);
        let rev = reverse_entry(&mut conn, &db.ctx, &original.id, d(2026, 1, 5)).unwrap();
        assert_eq!(rev.reverses_entry_id.as_deref(), Some(original.id.as_str()));
        assert_eq!(rev.lines[0].credit.minor(), 1_200);
        let tb = trial_balance_as_of(&mut conn, &db.ctx, None).unwrap();
        assert_eq!(tb.balance_of("411", Currency::EUR), 0, "{}", db.name);
        // Reversing twice returns the same reversal.
        let again = reverse_entry(&mut conn, &db.ctx, &original.id, d(2026, 1, 6)).unwrap();
        assert_eq!(again.id, rev.id);
        let tb_before = trial_balance_as_of(&mut conn, &db.ctx, Some(d(2026, 1, 4))).unwrap();
        assert_eq!(
            tb_before.balance_of("411", Currency::EUR),
            1_200,
            "as of the 4th, only the invoice"
        );
    }
}

fn raw(conn: &mut DbConnection, sql: &str) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(sql).map_err(|e| e.to_string())
}

#[test]
fn the_database_itself_refuses_unbalanced_or_changed_entries() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let lines = |id: &str, credit: i64| {
            format!(
                "INSERT INTO journal_lines (entry_id, line_no, account, debit_minor, credit_minor, currency, label) VALUES \
                 ('{id}', 1, '411', 100, 0, 'EUR', 'x'), ('{id}', 2, '707', 0, {credit}, 'EUR', 'x');"
            )
        };
        let header = |id: &str| {
            format!(
                "INSERT INTO journal_entries (id, journal_code, entry_date, label, piece_ref, piece_date, event_kind, event_id, created_at) \
                 VALUES ('{id}', 'OD', '2026-01-01', 'x', 'p', '2026-01-01', 'test', '{id}', '2026-01-01 00:00:00');"
            )
        };
        // How each backend takes an entry: SQLite, lines then header (the
        // header's row trigger checks them); PostgreSQL, both in one
        // statement (its statement triggers check them together).
        let postgres = db.name.starts_with("postgres");
        let entry = |id: &str, credit: i64| {
            if postgres {
                format!(
                    "BEGIN; WITH h AS ({}) {} COMMIT;",
                    header(id).trim_end_matches(';'),
                    lines(id, credit)
                )
            } else {
                format!("BEGIN; {} {} COMMIT;", lines(id, credit), header(id))
            }
        };
        let err = raw(conn, &entry("e1", 90)).unwrap_err();
        assert!(err.contains("ledger_unbalanced"), "{}: {err}", db.name);
        let _ = raw(conn, "ROLLBACK;");
        assert_eq!(raw(conn, &entry("e2", 100)), Ok(()), "{}", db.name);
        for sql in [
            "UPDATE journal_lines SET debit_minor = 1 WHERE entry_id = 'e2';",
            "DELETE FROM journal_lines WHERE entry_id = 'e2';",
            "DELETE FROM journal_entries WHERE id = 'e2';",
            "UPDATE journal_entries SET label = 'y' WHERE id = 'e2';",
            "INSERT INTO journal_lines (entry_id, line_no, account, debit_minor, credit_minor, currency, label) VALUES ('e2', 3, '411', 5, 0, 'EUR', 'x');",
        ] {
            let err = raw(conn, sql).unwrap_err();
            assert!(err.contains("ledger_insert_only"), "{}: {sql}: {err}", db.name);
        }
        // Lines without a header cannot commit.
        let err = raw(conn, &format!("BEGIN; {} COMMIT;", lines("e3", 100))).unwrap_err();
        let expected = if postgres {
            "ledger_orphan_lines"
        } else {
            "foreign key"
        };
        assert!(err.to_lowercase().contains(expected), "{}: {err}", db.name);
        let _ = raw(conn, "ROLLBACK;");
        // Nor can a header without lines.
        let err = raw(conn, &format!("BEGIN; {} COMMIT;", header("e4"))).unwrap_err();
        assert!(err.contains("ledger_unbalanced"), "{}: {err}", db.name);
        let _ = raw(conn, "ROLLBACK;");
        let count: i64 = factorgate::store::schema::journal_lines::table
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(count, 2, "{}: only e2's lines remain", db.name);
    }
}

#[test]
fn buyer_search_is_literal_and_case_insensitive_on_both_backends() {
    use factorgate::service::parties::{list_buyers, BuyerFilter};
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        buyer(&mut conn, "ACME_Nord");
        buyer(&mut conn, "ACMEXNord");
        buyer(&mut conn, "Durand 100%");
        let names = |conn: &mut DbConnection, q: &str| -> Vec<String> {
            let f = BuyerFilter {
                name_contains: Some(q.into()),
                ..Default::default()
            };
            let mut v: Vec<String> = list_buyers(conn, &f)
                .unwrap()
                .items
                .into_iter()
                .map(|b| b.name)
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            names(&mut conn, "acme_"),
            vec!["ACME_Nord".to_string()],
            "{}: '_' is literal",
            db.name
        );
        assert_eq!(
            names(&mut conn, "acme"),
            vec!["ACMEXNord".to_string(), "ACME_Nord".to_string()],
            "{}",
            db.name
        );
        assert_eq!(
            names(&mut conn, "100%"),
            vec!["Durand 100%".to_string()],
            "{}",
            db.name
        );
    }
}

#[test]
fn a_manual_entry_reference_is_posted_once() {
    use factorgate::service::ledger::{post_manual, ManualEntryInput};
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let input: ManualEntryInput = serde_json::from_str(
            r#"{"date":"2026-01-31","label":"Reclassement","piece_ref":"OD-1","reference":"od-1",
                "lines":[{"account":"416","debit":"100.00","currency":"EUR"},{"account":"411","credit":"100.00","currency":"EUR"}]}"#,
        )
        .unwrap();
        let first = post_manual(&mut conn, &db.ctx, &input).unwrap();
        let replay = post_manual(&mut conn, &db.ctx, &input).unwrap();
        assert_eq!(
            replay.id, first.id,
            "{}: a replay returns the first entry",
            db.name
        );
        let mut other = input.clone();
        other.lines[0].debit = Some("90.00".into());
        other.lines[1].credit = Some("90.00".into());
        let err = post_manual(&mut conn, &db.ctx, &other).unwrap_err();
        assert_eq!(
            factorgate::error::ErrorCode::code(&err),
            "manual_entry_reference_conflict",
            "{}",
            db.name
        );
        let tb = trial_balance_as_of(&mut conn, &db.ctx, None).unwrap();
        assert_eq!(
            tb.balance_of("416", Currency::EUR),
            10_000,
            "{}: posted once",
            db.name
        );
    }
}
