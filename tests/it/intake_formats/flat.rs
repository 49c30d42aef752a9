//! The flat formats: CSV (ours and a mapped French export), JSON and JSON
//! Lines, field by field, and their error paths.

use super::*;
use factorgate::formats::einvoice::csv::{load_mapping, read_csv, CsvMapping};
use factorgate::formats::einvoice::json::{read_json, read_json_lines};
use factorgate::formats::einvoice::{check, EInvoice, Party, Syntax, Totals};

// ---- CSV ----

fn read_all(rel: &str, options: &ReadOptions, format: Format) -> Vec<EInvoice> {
    let bytes = fixture(rel);
    let (detected, docs) = read_documents(&bytes[..], options).expect("opens");
    assert_eq!(detected, format);
    docs.map(|d| d.expect("reads")).collect()
}

fn seller_durand(vat: Option<&str>, siren: bool) -> Party {
    Party {
        name: "Atelier Durand SAS".into(),
        vat_id: vat.map(Into::into),
        legal_id: siren.then(|| id("123456789", "0002")),
        ..Party::default()
    }
}

#[test]
fn our_csv_maps_every_column() {
    let docs = read_all("intake/invoices.csv", &ReadOptions::default(), Format::Csv);
    assert_eq!(docs.len(), 3);

    let mut first = EInvoice::empty(Syntax::Csv);
    first.profile = Some("csv".into());
    first.number = "FA-2026-0001".into();
    first.type_code = "380".into();
    first.issue_date = date(2026, 3, 2);
    first.due_date = date(2026, 4, 1);
    first.payment_terms = Some("30 jours net".into());
    first.currency = "EUR".into();
    first.buyer_reference = Some("SERV-ACHATS".into());
    first.order_reference = Some("PO-7781".into());
    first.seller = seller_durand(Some("FR32123456789"), true);
    first.buyer = Party {
        name: "Boulangerie Martin SARL".into(),
        country: Some("FR".into()),
        vat_id: Some("FR44552081317".into()),
        legal_id: Some(id("55208131700015", "0009")),
        ids: vec![id("552081317", "0002"), id("3012345678901", "0088")],
    };
    first.payee = Some(Party {
        name: "Factor Finance SA".into(),
        vat_id: Some("FR90987654321".into()),
        legal_id: Some(id("987654321", "0002")),
        ..Party::default()
    });
    first.payment_accounts = vec!["FR7630006000011234567890189".into()];
    first.lines = one_line(dec!(1000.00));
    first.totals = Totals {
        line_total: Some(dec!(1000.00)),
        allowances: Some(dec!(50.00)),
        charges: Some(dec!(10.00)),
        tax_exclusive: Some(dec!(960.00)),
        tax_total: Some(dec!(192.00)),
        tax_inclusive: Some(dec!(1152.00)),
        prepaid: Some(dec!(100.00)),
        rounding: None,
        payable: Some(dec!(1052.00)),
    };
    assert_eq!(docs[0], first);

    let mut second = EInvoice::empty(Syntax::Csv);
    second.profile = Some("csv".into());
    second.number = "FA-2026-0002".into();
    second.type_code = "380".into();
    second.issue_date = date(2026, 3, 5);
    second.currency = "EUR".into();
    second.seller = seller_durand(Some("FR32123456789"), false);
    second.buyer = Party {
        name: "Café du Port".into(),
        country: Some("FR".into()),
        legal_id: Some(id("732829320", "0002")),
        ids: vec![id("150483782", "0060"), id("969500T3MBS4SQAMHJ45", "0199")],
        ..Party::default()
    };
    second.lines = one_line(dec!(250.50));
    second.totals = Totals {
        line_total: Some(dec!(250.50)),
        tax_exclusive: Some(dec!(250.50)),
        tax_total: Some(dec!(50.10)),
        tax_inclusive: Some(dec!(300.60)),
        rounding: Some(dec!(-0.60)),
        payable: Some(dec!(300.00)),
        ..Totals::default()
    };
    assert_eq!(docs[1], second);

    let mut credit = EInvoice::empty(Syntax::Csv);
    credit.profile = Some("urn:cen.eu:en16931:2017".into());
    credit.number = "AV-2026-0001".into();
    credit.type_code = "381".into();
    credit.issue_date = date(2026, 3, 10);
    credit.payment_terms = Some("Remboursement, par virement".into());
    credit.currency = "EUR".into();
    credit.billing_references = vec!["FA-2026-0001".into()];
    credit.seller = seller_durand(None, true);
    credit.buyer = Party {
        name: "Boulangerie Martin SARL".into(),
        legal_id: Some(id("55208131700015", "0009")),
        ..Party::default()
    };
    credit.lines = one_line(dec!(100.00));
    credit.totals = Totals {
        line_total: Some(dec!(100.00)),
        tax_exclusive: Some(dec!(100.00)),
        tax_total: Some(dec!(20.00)),
        tax_inclusive: Some(dec!(120.00)),
        payable: Some(dec!(120.00)),
        ..Totals::default()
    };
    assert_eq!(docs[2], credit);
    assert_eq!(credit.billing_references[0], docs[0].number);

    for d in &docs {
        assert_eq!(check(d), vec![], "{}", d.number);
    }
}

fn french_options() -> ReadOptions {
    let text = String::from_utf8(fixture("intake/factures_fr.toml")).expect("UTF-8");
    ReadOptions {
        csv_mapping: load_mapping(&text).expect("mapping"),
        ..ReadOptions::default()
    }
}

#[test]
fn a_french_export_reads_through_its_mapping() {
    let options = french_options();
    assert_eq!(options.csv_mapping.delimiter, ';');
    assert_eq!(options.csv_mapping.ignore, vec!["Commentaire".to_string()]);
    let docs = read_all("intake/factures_fr.csv", &options, Format::Csv);
    assert_eq!(docs.len(), 2);

    let mut first = EInvoice::empty(Syntax::Csv);
    first.profile = Some("csv".into());
    first.number = "FA-0042".into();
    first.type_code = "380".into();
    first.issue_date = date(2026, 1, 15);
    first.due_date = date(2026, 2, 14);
    first.currency = "EUR".into();
    first.seller = seller_durand(None, true);
    first.buyer = Party {
        name: "Épicerie Fine Lyonnaise".into(),
        country: Some("FR".into()),
        legal_id: Some(id("478951236", "0002")),
        ..Party::default()
    };
    first.lines = one_line(dec!(1234.56));
    first.totals = Totals {
        line_total: Some(dec!(1234.56)),
        tax_exclusive: Some(dec!(1234.56)),
        tax_total: Some(dec!(246.91)),
        tax_inclusive: Some(dec!(1481.47)),
        prepaid: Some(dec!(100.00)),
        payable: Some(dec!(1381.47)),
        ..Totals::default()
    };
    assert_eq!(docs[0], first);

    let mut credit = EInvoice::empty(Syntax::Csv);
    credit.profile = Some("csv".into());
    credit.number = "AV-0007".into();
    credit.type_code = "381".into();
    credit.issue_date = date(2026, 1, 31);
    credit.currency = "EUR".into();
    credit.seller = seller_durand(None, true);
    credit.buyer = Party {
        name: "Dupont & Fils".into(),
        country: Some("FR".into()),
        ..Party::default()
    };
    credit.lines = one_line(dec!(-200.00));
    credit.totals = Totals {
        line_total: Some(dec!(-200.00)),
        tax_exclusive: Some(dec!(-200.00)),
        tax_total: Some(dec!(-40.00)),
        tax_inclusive: Some(dec!(-240.00)),
        payable: Some(dec!(-240.00)),
        ..Totals::default()
    };
    assert_eq!(docs[1], credit);
    for d in &docs {
        assert_eq!(check(d), vec![], "{}", d.number);
    }
}

fn csv_error(csv: &str, mapping: &CsvMapping) -> (String, String) {
    match read_csv(csv.as_bytes(), mapping) {
        Err(e) => malformed_path(Err::<(), _>(e)),
        Ok(mut rows) => malformed_path(rows.next().expect("a row")),
    }
}

#[test]
fn csv_errors_name_the_line_and_column() {
    let ours = CsvMapping::default();
    let (path, message) = csv_error(&format!("{HEADER},colour\n"), &ours);
    assert_eq!(path, "header, column colour");
    assert!(message.contains("unknown column \"colour\""), "{message}");

    let (path, message) = csv_error(
        "seller_vat,number,issue_date,currency,buyer_name,tax,gross\n",
        &ours,
    );
    assert_eq!(path, "header, column net");
    assert!(message.contains("missing required column net"), "{message}");

    let (path, message) = csv_error(
        "number,issue_date,currency,buyer_name,net,tax,gross\n",
        &ours,
    );
    assert!(
        path.contains("seller_vat or seller_siren"),
        "{path}: {message}"
    );

    // The bad row is reported on its own line, after a good one.
    let text =
        format!("{HEADER}\nFR1,F-1,2026-03-01,EUR,B,1,0,1\nFR1,F-2,01/03/2026,EUR,B,1,0,1\n");
    let mut rows = read_csv(text.as_bytes(), &ours).expect("header");
    assert!(rows.next().expect("row 1").is_ok());
    let (path, message) = malformed_path(rows.next().expect("row 2"));
    assert_eq!(path, "line 3, column issue_date");
    assert!(message.contains("\"01/03/2026\""), "{message}");

    let (path, message) = csv_error(
        &format!("{HEADER}\nFR1,F-1,2026-03-01,EUR,B,10.001,0,1\n"),
        &ours,
    );
    assert_eq!(path, "line 2, column net");
    assert!(
        message.contains("\"10.001\" has more than 2 decimals"),
        "{message}"
    );

    let (path, message) = csv_error(
        &format!("{HEADER}\nFR1,F-1,2026-03-01,EUR,B,1,0,1O.00\n"),
        &ours,
    );
    assert_eq!(path, "line 2, column gross");
    assert!(message.contains("\"1O.00\" is not an amount"), "{message}");

    let (path, _) = csv_error(&format!("{HEADER}\nFR1,,2026-03-01,EUR,B,1,0,1\n"), &ours);
    assert_eq!(path, "line 2, column number");
}

#[test]
fn mapped_csv_errors_name_their_headers() {
    let french = french_options().csv_mapping;
    let header =
        "Raison sociale;N° SIREN vendeur;Facture N°;Date facture;Devise;Client;TVA;Montant TTC\n";
    let (path, message) = csv_error(header, &french);
    assert_eq!(path, "header, column Montant HT (net)");
    assert!(message.contains("Montant HT (net)"), "{message}");

    let header =
        "N° SIREN vendeur;Facture N°;Date facture;Devise;Client;Montant HT;TVA;Montant TTC\n";
    let (path, message) = csv_error(
        &format!("{header}123456789;F-1;2026-03-01;EUR;B;1;0;1\n"),
        &french,
    );
    assert_eq!(path, "line 2, column Date facture");
    assert!(
        message.contains("\"2026-03-01\" is not a date as %d/%m/%Y"),
        "{message}"
    );

    let (path, message) = csv_error(
        &format!("{header}123456789;F-1;01/03/2026;EUR;B;12.50;0;12,50\n"),
        &french,
    );
    assert_eq!(path, "line 2, column Montant HT");
    assert!(message.contains("\"12.50\""), "{message}");

    let (path, message) = csv_error(
        &format!("{header}12345678;F-1;01/03/2026;EUR;B;1;0;1\n"),
        &french,
    );
    assert_eq!(path, "line 2, column N° SIREN vendeur");
    assert!(message.contains("SIREN"), "{message}");
}

// ---- JSON and JSON Lines ----

#[test]
fn a_json_array_maps_every_field() {
    let docs = read_all(
        "intake/invoices.json",
        &ReadOptions::default(),
        Format::Json,
    );
    assert_eq!(
        docs,
        read_json(&fixture("intake/invoices.json")).expect("reads")
    );
    assert_eq!(docs.len(), 2);

    let mut first = EInvoice::empty(Syntax::Json);
    first.profile = Some("json".into());
    first.number = "RE-2026-17".into();
    first.type_code = "380".into();
    first.issue_date = date(2026, 2, 20);
    first.due_date = date(2026, 3, 22);
    first.currency = "EUR".into();
    first.order_reference = Some("PO-55".into());
    first.seller = Party {
        name: "weclapp.com".into(),
        vat_id: Some("DE327606228".into()),
        ..Party::default()
    };
    first.buyer = Party {
        name: "Beispiel AG".into(),
        country: Some("DE".into()),
        vat_id: Some("DE123456789".into()),
        ids: vec![id("4012345000009", "0088")],
        ..Party::default()
    };
    first.lines = vec![
        Line {
            id: "1".into(),
            net_amount: dec!(84.95),
        },
        Line {
            id: "2".into(),
            net_amount: dec!(719.40),
        },
    ];
    first.totals = Totals {
        line_total: Some(dec!(804.35)),
        charges: Some(dec!(4.99)),
        tax_exclusive: Some(dec!(809.34)),
        tax_total: Some(dec!(153.77)),
        tax_inclusive: Some(dec!(963.11)),
        payable: Some(dec!(963.11)),
        ..Totals::default()
    };
    assert_eq!(docs[0], first);

    let mut credit = EInvoice::empty(Syntax::Json);
    credit.profile = Some("json".into());
    credit.number = "AV-2026-0002".into();
    credit.type_code = "381".into();
    credit.issue_date = date(2026, 2, 28);
    credit.currency = "EUR".into();
    credit.billing_references = vec!["FA-2026-0002".into()];
    credit.seller = seller_durand(None, true);
    credit.buyer = Party {
        name: "Café du Port".into(),
        legal_id: Some(id("73282932000074", "0009")),
        ids: vec![id("732829320", "0002")],
        ..Party::default()
    };
    credit.payee = Some(Party {
        name: "Factor Finance SA".into(),
        ..Party::default()
    });
    credit.lines = one_line(dec!(50));
    credit.totals = Totals {
        line_total: Some(dec!(50)),
        tax_exclusive: Some(dec!(50)),
        tax_total: Some(dec!(10.5)),
        tax_inclusive: Some(dec!(60.5)),
        payable: Some(dec!(60.5)),
        ..Totals::default()
    };
    assert_eq!(docs[1], credit);
    for d in &docs {
        assert_eq!(check(d), vec![], "{}", d.number);
    }
}

#[test]
fn json_lines_map_every_field() {
    let docs = read_all(
        "intake/invoices.jsonl",
        &ReadOptions::default(),
        Format::JsonLines,
    );
    assert_eq!(docs.len(), 3);

    let mut first = EInvoice::empty(Syntax::Json);
    first.profile = Some("json".into());
    first.number = "FA-2026-0100".into();
    first.type_code = "380".into();
    first.issue_date = date(2026, 4, 1);
    first.due_date = date(2026, 5, 1);
    first.currency = "EUR".into();
    first.seller = seller_durand(Some("FR32123456789"), false);
    first.buyer = Party {
        name: "Boulangerie Martin SARL".into(),
        legal_id: Some(id("552081317", "0002")),
        ..Party::default()
    };
    first.lines = one_line(dec!(1000.00));
    first.totals = Totals {
        line_total: Some(dec!(1000.00)),
        tax_exclusive: Some(dec!(1000.00)),
        tax_total: Some(dec!(200.00)),
        tax_inclusive: Some(dec!(1200.00)),
        prepaid: Some(dec!(200.00)),
        payable: Some(dec!(1000.00)),
        ..Totals::default()
    };
    assert_eq!(docs[0], first);

    let mut chf = EInvoice::empty(Syntax::Json);
    chf.profile = Some("json".into());
    chf.number = "FA-2026-0101".into();
    chf.type_code = "380".into();
    chf.issue_date = date(2026, 4, 2);
    chf.currency = "CHF".into();
    chf.seller = seller_durand(Some("FR32123456789"), false);
    chf.buyer = Party {
        name: "Uhrmacher GmbH".into(),
        country: Some("CH".into()),
        ids: vec![id("5299000J2N45DDNE4Y28", "0199")],
        ..Party::default()
    };
    chf.payment_accounts = vec!["CH9300762011623852957".into()];
    chf.lines = one_line(dec!(19.99));
    chf.totals = Totals {
        line_total: Some(dec!(19.99)),
        tax_exclusive: Some(dec!(19.99)),
        tax_total: Some(dec!(0)),
        tax_inclusive: Some(dec!(19.99)),
        payable: Some(dec!(19.99)),
        ..Totals::default()
    };
    assert_eq!(docs[1], chf);

    let mut credit = EInvoice::empty(Syntax::Json);
    credit.profile = Some("json".into());
    credit.number = "AV-2026-0100".into();
    credit.type_code = "381".into();
    credit.issue_date = date(2026, 4, 3);
    credit.currency = "EUR".into();
    credit.buyer_reference = Some("SERV-ACHATS".into());
    credit.billing_references = vec!["FA-2026-0100".into()];
    credit.seller = seller_durand(Some("FR32123456789"), false);
    credit.buyer = Party {
        name: "Boulangerie Martin SARL".into(),
        ids: vec![id("150483782", "0060")],
        ..Party::default()
    };
    credit.lines = one_line(dec!(10.00));
    credit.totals = Totals {
        line_total: Some(dec!(10.00)),
        tax_exclusive: Some(dec!(10.00)),
        tax_total: Some(dec!(2.00)),
        tax_inclusive: Some(dec!(12.00)),
        payable: Some(dec!(12.00)),
        ..Totals::default()
    };
    assert_eq!(docs[2], credit);
}

const JSON_MIN: &str = r#""seller_vat":"FR1","number":"F-1","issue_date":"2026-03-01","currency":"EUR","buyer_name":"B","net":"1","tax":"0","gross":"1""#;

#[test]
fn json_errors_name_the_field_and_position() {
    let (path, message) = malformed_path(read_json(
        format!(r#"[{{{JSON_MIN}}}, {{{JSON_MIN},"nett":"1"}}]"#).as_bytes(),
    ));
    assert_eq!(path, "invoice 2, field nett");
    assert!(message.contains("unknown field \"nett\""), "{message}");

    let (path, message) = malformed_path(read_json(
        format!(r#"{{{JSON_MIN},"buyer_country":7}}"#).as_bytes(),
    ));
    assert_eq!(path, "field buyer_country");
    assert!(
        message.contains("expected a string, found a number"),
        "{message}"
    );

    let (path, message) = malformed_path(read_json(
        format!(r#"{{{JSON_MIN},"due_date":"2026-13-01"}}"#).as_bytes(),
    ));
    assert_eq!(path, "field due_date");
    assert!(message.contains("2026-13-01"), "{message}");

    let (path, _) = malformed_path(read_json(b"[{\"number\": \"F-1\",\n  \"net\" 1}]"));
    assert_eq!(path, "line 2, column 9");

    let text = format!(
        "{{{JSON_MIN}}}\n{{{JSON_MIN}}}\n{{{}}}\n",
        JSON_MIN.replace("\"1\"", "1.234")
    );
    let results: Vec<_> = read_json_lines(text.as_bytes()).collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let (path, message) = malformed_path(results[2].clone());
    assert_eq!(path, "line 3, field net");
    assert!(message.contains("more than 2 decimals"), "{message}");

    let results: Vec<_> = read_json_lines(&b"{\"number\":\n"[..]).collect();
    assert!(malformed_path(results[0].clone())
        .0
        .starts_with("line 1, column"));
}
