//! Exporting recorded invoices as UBL and CII: reading the export back gives
//! the same invoice, and importing it changes nothing.

use chrono::NaiveDate;
use factorgate::domain::ids::LegalIdScheme;
use factorgate::domain::intake::map_document;
use factorgate::domain::invoice::{InvoiceInput, InvoiceKind};
use factorgate::domain::party::{BuyerInput, LegalIdInput, SellerInput};
use factorgate::formats::einvoice::cii_write::write_cii;
use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
use factorgate::formats::einvoice::ubl_write::write_ubl;
use factorgate::formats::einvoice::{EInvoice, Syntax};
use factorgate::service::documents::invoice_document;
use factorgate::service::imports::{import_documents, FileStatus};
use factorgate::service::invoices::record_invoice;
use factorgate::service::parties::{create_buyer, create_seller};

use crate::common::backends;

fn write(doc: &EInvoice, syntax: Syntax) -> Vec<u8> {
    let mut out = Vec::new();
    match syntax {
        Syntax::Cii => write_cii(doc, &mut out),
        _ => write_ubl(doc, &mut out),
    }
    .unwrap();
    out
}

fn read_one(bytes: &[u8]) -> EInvoice {
    let options = ReadOptions::default();
    let (_, mut docs) = read_documents(bytes, &options).unwrap();
    let doc = docs.next().expect("one document").unwrap();
    assert!(docs.next().is_none());
    doc
}

#[test]
fn an_exported_invoice_reads_back_the_same_and_reimports_as_unchanged() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        // SIREN 732829320 (Luhn ok) and its VAT key: (12 + 3 x (732829320 mod 97)) mod 97 = 44.
        create_seller(
            conn,
            &SellerInput {
                name: "Atelier Durand SAS".into(),
                siren: Some("732829320".into()),
                vat: Some("FR44732829320".into()),
                iban: Some("FR7630006000011234567890189".into()),
            },
        )
        .unwrap();
        let buyer = create_buyer(
            conn,
            &BuyerInput {
                name: "Boulangerie Martin".into(),
                country: "FR".into(),
                legal_ids: vec![LegalIdInput {
                    scheme: LegalIdScheme::Siren,
                    value: "552081317".into(),
                }],
            },
        )
        .unwrap();
        let mut input: InvoiceInput = serde_json::from_value(serde_json::json!({
            "seller": "732829320", "buyer_id": buyer.id, "number": "FA-2026-0100",
            "issue_date": "2026-03-02", "due_date": "2026-04-01", "currency": "EUR",
            "net": "1000.00", "tax": "200.00", "gross": "1200.00",
            "buyer_reference": "SERV-ACHATS", "order_reference": "PO-7781"
        }))
        .unwrap();
        let invoice = record_invoice(conn, &db.ctx, &input).unwrap().invoice;
        input.number = "AV-2026-0100".into();
        input.kind = InvoiceKind::CreditNote;
        input.credited_invoice = Some("FA-2026-0100".into());
        input.net = "100.00".into();
        input.tax = "20.00".into();
        input.gross = "120.00".into();
        let credit = record_invoice(conn, &db.ctx, &input).unwrap().invoice;
        for syntax in [Syntax::Ubl, Syntax::Cii] {
            for (id, number, kind, gross) in [
                (&invoice.id, "FA-2026-0100", InvoiceKind::Invoice, 120_000),
                (&credit.id, "AV-2026-0100", InvoiceKind::CreditNote, 12_000),
            ] {
                let doc = invoice_document(conn, id, syntax).unwrap();
                let bytes = write(&doc, syntax);
                let back = read_one(&bytes);
                assert_eq!(back.syntax, syntax);
                let mapped = map_document(&back).unwrap();
                let v = &mapped.invoice;
                assert_eq!(v.number, number, "{} {syntax:?}", db.name);
                assert_eq!(v.kind, kind, "{number} {syntax:?}");
                assert_eq!(v.gross, gross);
                assert_eq!(v.issue_date, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
                assert_eq!(v.due_date, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
                assert_eq!(v.buyer_reference.as_deref(), Some("SERV-ACHATS"));
                assert_eq!(v.order_reference.as_deref(), Some("PO-7781"));
                assert_eq!(mapped.seller.siren.as_deref(), Some("732829320"));
                assert_eq!(mapped.buyer.verified[0].value, "552081317");
                if kind == InvoiceKind::CreditNote {
                    assert_eq!(v.credited_invoice.as_deref(), Some("FA-2026-0100"));
                }
                let options = ReadOptions::default();
                let (format, docs) = read_documents(&bytes[..], &options).unwrap();
                let report = import_documents(
                    conn,
                    &db.ctx,
                    "export",
                    format.as_str(),
                    docs,
                    10,
                    &mut |_| {},
                );
                assert_eq!(
                    report.status,
                    FileStatus::Unchanged,
                    "{} {syntax:?} {number}: {report:?}",
                    db.name
                );
                assert_eq!(report.invoice_ids, vec![id.clone()]);
            }
        }
    }
}

#[test]
fn a_factored_invoice_is_exported_with_its_type_and_the_factor_as_payee() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        create_seller(
            conn,
            &SellerInput {
                name: "Atelier Durand SAS".into(),
                siren: Some("732829320".into()),
                vat: None,
                iban: None,
            },
        )
        .unwrap();
        // Imported as factored (393) with the factor named as payee.
        let csv = "seller_siren,number,type_code,issue_date,due_date,currency,buyer_name,buyer_country,net,tax,gross,payee_name,payee_vat\n\
                   732829320,FF-1,393,2026-05-04,2026-06-03,EUR,Café du Port,FR,500.00,100.00,600.00,Factor Finance SA,FR90987654321\n";
        let options = ReadOptions::default();
        let (format, docs) = read_documents(csv.as_bytes(), &options).unwrap();
        let report = import_documents(
            conn,
            &db.ctx,
            "f.csv",
            format.as_str(),
            docs,
            10,
            &mut |_| {},
        );
        assert_eq!(report.status, FileStatus::Imported, "{report:?}");
        for syntax in [Syntax::Ubl, Syntax::Cii] {
            let doc = invoice_document(conn, &report.invoice_ids[0], syntax).unwrap();
            let back = read_one(&write(&doc, syntax));
            assert_eq!(back.type_code, "393", "{syntax:?}");
            let payee = back.payee.expect("the factor as payee");
            assert_eq!(payee.name, "Factor Finance SA");
            assert_eq!(
                payee.legal_id.map(|l| l.value).as_deref(),
                Some("FR90987654321"),
                "{syntax:?}"
            );
        }
    }
}
