//! Importing real invoice files end to end, on every backend: mapping,
//! parties, postings, replays, conflicts and refusals (nothing written).

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
use factorgate::service::imports::{import_documents, FileReport, FileStatus};
use factorgate::service::invoices::{get_invoice, Invoice};
use factorgate::service::ledger::{buyer_receivable_balance, entries_for_event};
use factorgate::service::Context;
use factorgate::store::rows::SellerRow;
use factorgate::store::schema::{buyers, invoices, journal_lines, sellers};
use factorgate::store::DbConnection;

use crate::common::backends;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One of our companies, as configuration holds it. Written directly: the
/// public test documents use made-up ids our checks would refuse at entry.
fn our_seller(conn: &mut DbConnection, name: &str, siren: Option<&str>, vat: Option<&str>) {
    diesel::insert_into(sellers::table)
        .values(SellerRow {
            id: format!("s-{name}"),
            name: name.into(),
            siren: siren.map(str::to_string),
            vat: vat.map(str::to_string),
            iban: None,
            created_at: chrono::Utc::now().naive_utc(),
        })
        .execute(conn)
        .unwrap();
}

fn import(conn: &mut DbConnection, ctx: &Context, name: &str, bytes: &[u8]) -> FileReport {
    import_with(conn, ctx, name, bytes, &ReadOptions::default())
}

/// The buyer's 411 balance in EUR (debit positive).
fn receivable(conn: &mut DbConnection, ctx: &Context, buyer_id: &str) -> i64 {
    buyer_receivable_balance(conn, ctx, buyer_id)
        .unwrap()
        .into_iter()
        .filter(|(c, _)| c.code() == "EUR")
        .map(|(_, v)| v)
        .sum()
}

fn counts(conn: &mut DbConnection) -> (i64, i64, i64) {
    (
        invoices::table.count().get_result(conn).unwrap(),
        buyers::table.count().get_result(conn).unwrap(),
        journal_lines::table.count().get_result(conn).unwrap(),
    )
}

fn only_invoice(conn: &mut DbConnection, report: &FileReport) -> Invoice {
    assert_eq!(report.invoice_ids.len(), 1, "{report:?}");
    get_invoice(conn, &report.invoice_ids[0]).unwrap()
}

const FACTUR_X: &str = "cii/ZUGFeRD-mustangproject__factur-x.xml";

#[test]
fn a_factur_x_invoice_is_recorded_with_its_entry_and_a_new_buyer() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "beispiel", None, Some("DE136695976"));
        let report = import(conn, &db.ctx, "factur-x.xml", &fixture(FACTUR_X));
        assert_eq!(
            report.status,
            FileStatus::Imported,
            "{}: {report:?}",
            db.name
        );
        assert_eq!(
            (report.invoices, report.created, report.unchanged),
            (1, 1, 0)
        );
        assert_eq!(report.format.as_deref(), Some("cii"));
        let inv = only_invoice(conn, &report);
        // Values as the file states them (read by hand).
        assert_eq!(inv.number, "RE-20201121/508");
        assert_eq!(inv.type_code, "380");
        assert_eq!(
            inv.issue_date,
            NaiveDate::from_ymd_opt(2020, 11, 21).unwrap()
        );
        assert_eq!(inv.due_date, NaiveDate::from_ymd_opt(2020, 12, 12).unwrap());
        assert_eq!(inv.net.minor(), 49_600);
        assert_eq!(inv.tax.minor(), 7_504);
        assert_eq!(inv.gross.minor(), 57_104);
        assert_eq!(inv.open.minor(), 57_104);
        assert_eq!(inv.payable.map(|m| m.minor()), Some(57_104));
        assert_eq!(inv.line_total.map(|m| m.minor()), Some(49_600));
        assert_eq!(inv.seller_iban.as_deref(), Some("DE88200800000970375700"));
        assert_eq!(inv.source_format, "cii");
        assert_eq!(inv.profile.as_deref(), Some("urn:cen.eu:en16931:2017"));
        assert_eq!(inv.seller_id, "s-beispiel");
        let (name, country): (String, String) = buyers::table
            .find(&inv.buyer_id)
            .select((buyers::name, buyers::country))
            .first(conn)
            .unwrap();
        assert_eq!((name.as_str(), country.as_str()), ("Theodor Est", "DE"));
        // Sales entry: 411 gross on the buyer's sub-ledger.
        assert_eq!(
            receivable(conn, &db.ctx, &inv.buyer_id),
            57_104,
            "{}",
            db.name
        );
        assert_eq!(entries_for_event(conn, &inv.id).unwrap().len(), 1);
    }
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "beispiel", None, Some("DE136695976"));
        let first = import(conn, &db.ctx, "a.xml", &fixture(FACTUR_X));
        assert_eq!(first.status, FileStatus::Imported);
        let before = counts(conn);
        let again = import(conn, &db.ctx, "a-again.xml", &fixture(FACTUR_X));
        assert_eq!(
            again.status,
            FileStatus::Unchanged,
            "{}: {again:?}",
            db.name
        );
        assert_eq!((again.created, again.unchanged), (0, 1));
        assert_eq!(again.invoice_ids, first.invoice_ids);
        assert_eq!(
            counts(conn),
            before,
            "{}: no new invoice, buyer or line",
            db.name
        );
    }
}

#[test]
fn the_same_number_with_other_content_is_a_conflict_and_changes_nothing() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "beispiel", None, Some("DE136695976"));
        assert_eq!(
            import(conn, &db.ctx, "a.xml", &fixture(FACTUR_X)).status,
            FileStatus::Imported
        );
        let before = counts(conn);
        let text = String::from_utf8(fixture(FACTUR_X)).unwrap();
        let later_due = text.replace(">20201212<", ">20201215<");
        assert_ne!(
            text, later_due,
            "the fixture states its due date as 20201212"
        );
        let report = import(conn, &db.ctx, "b.xml", later_due.as_bytes());
        assert_eq!(
            report.status,
            FileStatus::Conflict,
            "{}: {report:?}",
            db.name
        );
        assert_eq!(
            report.problem.as_ref().map(|p| p.code.as_str()),
            Some("invoice_number_conflict")
        );
        assert_eq!(counts(conn), before);
    }
}

#[test]
fn a_file_breaking_an_en16931_rule_is_refused_with_the_rule_and_nothing_is_written() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // invalidXRV30: DuePayableAmount 336.91 while GrandTotalAmount is 336.9.
        let before = counts(conn);
        let report = import(
            conn,
            &db.ctx,
            "invalid.xml",
            &fixture("cii/ZUGFeRD-mustangproject__invalidXRV30.xml"),
        );
        assert_eq!(report.status, FileStatus::Refused);
        let problem = report.problem.expect("a problem");
        assert_eq!(problem.code, "en16931_rule_violation");
        assert_eq!(problem.rules, vec!["BR-CO-16".to_string()]);
        assert!(
            problem.message.contains("ram:DuePayableAmount"),
            "{}",
            problem.message
        );
        assert_eq!(counts(conn), before, "{}", db.name);
    }
}

#[test]
fn a_seller_that_is_not_ours_is_refused() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        let report = import(conn, &db.ctx, "f.xml", &fixture(FACTUR_X));
        assert_eq!(report.status, FileStatus::Refused);
        let problem = report.problem.expect("a problem");
        assert_eq!(problem.code, "seller_not_configured");
        assert!(
            problem.message.contains("DE136695976"),
            "{}",
            problem.message
        );
        assert_eq!(counts(conn), (0, 0, 0), "{}: not even the buyer", db.name);
    }
}

#[test]
fn a_negative_french_avoir_becomes_a_credit_note_kept_on_account() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // Seller found through its VAT number's SIREN (FR11 999999998).
        our_seller(conn, "moulin", Some("999999998"), None);
        let report = import(
            conn,
            &db.ctx,
            "avoir.xml",
            &fixture("cii/ZUGFeRD-mustangproject__valid_Avoir_FR_type380_minimum_factur-x.xml"),
        );
        assert_eq!(
            report.status,
            FileStatus::Imported,
            "{}: {report:?}",
            db.name
        );
        let inv = only_invoice(conn, &report);
        assert_eq!(inv.number, "AV-2017-0005");
        assert_eq!(
            inv.kind,
            factorgate::domain::invoice::InvoiceKind::CreditNote
        );
        assert_eq!(inv.type_code, "380");
        assert_eq!(
            (inv.net.minor(), inv.tax.minor(), inv.gross.minor()),
            (21_848, 1_499, 23_347)
        );
        // FA-2017-0010 is not recorded: the credit stays on the account.
        assert_eq!(inv.credited_invoice_id, None);
        assert_eq!(inv.open.minor(), 23_347);
        assert!(
            report.notes.iter().any(|n| n.contains("FA-2017-0010")),
            "{:?}",
            report.notes
        );
        assert_eq!(receivable(conn, &db.ctx, &inv.buyer_id), -23_347);
        let buyer = factorgate::service::parties::get_buyer(conn, &inv.buyer_id).unwrap();
        assert_eq!(buyer.name, "Ma jolie boutique");
        assert!(
            buyer
                .legal_ids
                .iter()
                .any(|l| l.scheme == "vat" && l.value == "FR19787878784" && l.verified),
            "{:?}",
            buyer.legal_ids
        );
    }
}

fn import_with(
    conn: &mut DbConnection,
    ctx: &Context,
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
) -> FileReport {
    let report = match read_documents(bytes, options) {
        Err(e) => FileReport::refused(name, None, &e),
        Ok((format, docs)) => {
            import_documents(conn, ctx, name, format.as_str(), docs, 2, &mut |_| {})
        }
    };
    report
}

fn by_number(conn: &mut DbConnection, number: &str) -> Invoice {
    let id: String = invoices::table
        .filter(invoices::number.eq(number))
        .select(invoices::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("{number}: {e}"));
    get_invoice(conn, &id).unwrap()
}

#[test]
fn a_csv_file_is_recorded_with_prepaid_payee_and_its_credit_note_applied() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "durand", Some("123456789"), Some("FR32123456789"));
        let report = import(
            conn,
            &db.ctx,
            "invoices.csv",
            &fixture("intake/invoices.csv"),
        );
        assert_eq!(
            report.status,
            FileStatus::Imported,
            "{}: {report:?}",
            db.name
        );
        assert_eq!((report.invoices, report.created), (3, 3));
        assert_eq!(report.format.as_deref(), Some("csv"));
        // Row 1: 1152.00 gross, 100.00 prepaid, a factor as payee; row 3's
        // credit note of 120.00 names it, so 1152 - 100 - 120 stays open.
        let fa1 = by_number(conn, "FA-2026-0001");
        assert_eq!(fa1.gross.minor(), 115_200);
        assert_eq!(fa1.prepaid.minor(), 10_000);
        assert_eq!(fa1.payable.map(|m| m.minor()), Some(105_200));
        assert_eq!(fa1.line_total.map(|m| m.minor()), Some(100_000));
        assert_eq!(fa1.payee_name.as_deref(), Some("Factor Finance SA"));
        assert_eq!(
            fa1.seller_iban.as_deref(),
            Some("FR7630006000011234567890189")
        );
        assert_eq!(fa1.open.minor(), 93_200, "{}", db.name);
        assert_eq!(
            fa1.state,
            factorgate::domain::invoice::InvoiceState::PartiallyPaid
        );
        let av = by_number(conn, "AV-2026-0001");
        assert_eq!(
            av.kind,
            factorgate::domain::invoice::InvoiceKind::CreditNote
        );
        assert_eq!(av.credited_invoice_id.as_deref(), Some(fa1.id.as_str()));
        assert_eq!(av.buyer_id, fa1.buyer_id, "found again by its SIRET");
        assert_eq!(receivable(conn, &db.ctx, &fa1.buyer_id), 93_200);
        // Row 2: payable = 300.60 gross - 0.60 rounding.
        let fa2 = by_number(conn, "FA-2026-0002");
        assert_eq!(fa2.payable.map(|m| m.minor()), Some(30_000));
        assert_eq!(fa2.gross.minor(), 30_060);
        let buyers: i64 = buyers::table.count().get_result(conn).unwrap();
        assert_eq!(buyers, 2);
    }
}

#[test]
fn one_bad_row_refuses_the_whole_csv_file() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "durand", Some("123456789"), Some("FR32123456789"));
        let text = String::from_utf8(fixture("intake/invoices.csv")).unwrap();
        // Third row: gross 121.00 for 100.00 + 20.00 (BR-CO-15).
        let bad = text.replace(",100.00,20.00,120.00,", ",100.00,20.00,121.00,");
        assert_ne!(bad, text);
        let report = import(conn, &db.ctx, "bad.csv", bad.as_bytes());
        assert_eq!(
            report.status,
            FileStatus::Refused,
            "{}: {report:?}",
            db.name
        );
        let problem = report.problem.expect("a problem");
        assert_eq!(problem.invoice_index, Some(2));
        assert_eq!(problem.rules, vec!["BR-CO-15".to_string()]);
        assert!(problem.message.contains("gross"), "{}", problem.message);
        assert_eq!(
            counts(conn),
            (0, 0, 0),
            "{}: rows 1 and 2 were not kept",
            db.name
        );
    }
}

#[test]
fn a_french_export_is_read_through_its_mapping_file() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "durand", Some("123456789"), None);
        let mut options = ReadOptions::default();
        options.csv_mapping = factorgate::formats::einvoice::csv::load_mapping(
            &String::from_utf8(fixture("intake/factures_fr.toml")).unwrap(),
        )
        .unwrap();
        let report = import_with(
            conn,
            &db.ctx,
            "factures_fr.csv",
            &fixture("intake/factures_fr.csv"),
            &options,
        );
        assert_eq!(
            report.status,
            FileStatus::Imported,
            "{}: {report:?}",
            db.name
        );
        assert_eq!(report.created, 2);
        // "1.481,47" TTC with "100,00" paid in advance.
        let fa = by_number(conn, "FA-0042");
        assert_eq!(
            (fa.net.minor(), fa.tax.minor(), fa.gross.minor()),
            (123_456, 24_691, 148_147)
        );
        assert_eq!(fa.open.minor(), 138_147);
        assert_eq!(fa.issue_date, NaiveDate::from_ymd_opt(2026, 1, 15).unwrap());
        assert_eq!(fa.due_date, NaiveDate::from_ymd_opt(2026, 2, 14).unwrap());
        // A credit note written with negative amounts, as exports do.
        let av = by_number(conn, "AV-0007");
        assert_eq!(
            av.kind,
            factorgate::domain::invoice::InvoiceKind::CreditNote
        );
        assert_eq!(av.gross.minor(), 24_000);
        assert_eq!(av.due_date, av.issue_date);
    }
}

/// A CSV row for seller "durand" (SIREN 123456789) and the buyer named by
/// `(name, siren, siret)`, of 120.00 (100.00 + 20.00 VAT).
fn buyer_row(number: &str, name: &str, siren: &str, siret: &str) -> String {
    format!(
        "FR32123456789,123456789,Atelier Durand SAS,{number},380,2026-03-02,2026-04-01,,EUR,{name},FR,,{siren},{siret},,,,100.00,,,100.00,20.00,120.00,,,120.00,,,,,,,,\n"
    )
}

const CSV_HEADER: &str = "seller_vat,seller_siren,seller_name,number,type_code,issue_date,due_date,payment_terms,currency,buyer_name,buyer_country,buyer_vat,buyer_siren,buyer_siret,buyer_gln,buyer_duns,buyer_lei,line_total,allowances,charges,net,tax,gross,prepaid,rounding,payable,buyer_reference,order_reference,credited_invoice,payee_name,payee_vat,payee_siren,seller_iban,profile\n";

#[test]
fn buyers_created_by_a_file_are_found_by_any_of_their_ids_and_ids_that_disagree_refuse_the_file() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        our_seller(conn, "durand", Some("123456789"), Some("FR32123456789"));
        // Batches of 2 (import_with): the second row, in the same batch as
        // the first, names the buyer the first one creates by its SIRET only.
        let first = [
            CSV_HEADER.to_string(),
            buyer_row("B-1", "Beta SA", "732829320", "73282932000009"),
            buyer_row("B-2", "Beta SA", "", "73282932000009"),
            buyer_row("B-3", "Beta SA", "732829320", ""),
        ]
        .concat();
        let report = import(conn, &db.ctx, "first.csv", first.as_bytes());
        assert_eq!(
            report.status,
            FileStatus::Imported,
            "{}: {report:?}",
            db.name
        );
        let beta: Vec<String> = ["B-1", "B-2", "B-3"]
            .iter()
            .map(|n| by_number(conn, n).buyer_id)
            .collect();
        assert!(beta.iter().all(|b| *b == beta[0]), "{}: {beta:?}", db.name);
        assert_eq!(counts(conn), (3, 1, 9), "{}", db.name);

        // Row 2 names Gamma's SIREN (row 0 creates Gamma) and Beta's SIRET:
        // the file is refused whole, Gamma included.
        let second = [
            CSV_HEADER.to_string(),
            buyer_row("G-1", "Gamma SARL", "552081317", ""),
            buyer_row("G-2", "Gamma SARL", "552081317", ""),
            buyer_row("G-3", "Gamma SARL", "552081317", "73282932000009"),
        ]
        .concat();
        let report = import(conn, &db.ctx, "second.csv", second.as_bytes());
        assert_eq!(
            report.status,
            FileStatus::Refused,
            "{}: {report:?}",
            db.name
        );
        let problem = report.problem.expect("a problem");
        assert_eq!(problem.code, "buyer_ids_disagree");
        assert!(problem.message.contains(&beta[0]), "{}", problem.message);
        assert_eq!(problem.invoice_index, Some(2));
        assert_eq!(
            counts(conn),
            (3, 1, 9),
            "{}: nothing of the second file",
            db.name
        );
    }
}
