//! CEN/TC 434 examples (ConnectingEurope/eInvoicing-EN16931) and the
//! OASIS UBL 2.1 release examples.

use super::{reread, verify, Expect, EN16931, P, PEPPOL, T};

#[test]
fn en16931_example1_twenty_lines_two_accounts() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example1.xml",
        Expect {
            profile: EN16931,
            number: "12115118",
            type_code: "380",
            credit_note: false,
            issue: "2015-01-09",
            due: Some("2015-01-09"),
            currency: "EUR",
            buyer_reference: None,
            order_reference: None,
            billing_references: &[],
            payment_terms: None,
            seller: P {
                name: "De Koksmaat",
                country: Some("NL"),
                vat: Some("NL8200.98.395.B.01"),
                legal: Some(("57151520", None)),
                ids: &[],
            },
            buyer: P {
                name: "ODIN 59",
                country: Some("NL"),
                vat: None,
                legal: None,
                ids: &[("10202", None)],
            },
            payee: None,
            accounts: &["NL57 RABO 0107307510", "NL03 INGB 0004489902"],
            lines: &[
                ("1", "19.90"),
                ("2", "9.85"),
                ("3", "8.29"),
                ("4", "14.46"),
                ("5", "35.00"),
                ("6", "35.00"),
                ("7", "10.65"),
                ("8", "1.55"),
                ("9", "14.37"),
                ("10", "8.29"),
                ("11", "16.58"),
                ("12", "9.95"),
                ("13", "3.30"),
                ("14", "10.80"),
                ("15", "3.90"),
                ("16", "7.60"),
                ("17", "9.34"),
                ("18", "18.63"),
                ("19", "102.12"),
                ("20", "-109.98"),
            ],
            breakdowns: &[
                ("S", Some("6"), "183.23", "10.99"),
                ("S", Some("21"), "46.37", "9.74"),
            ],
            totals: T {
                line: Some("229.60"),
                exclusive: Some("229.60"),
                tax: Some("20.73"),
                inclusive: Some("250.33"),
                payable: Some("250.33"),
                ..T::default()
            },
            // The twenty lines add up to 229.60; 10.99 + 9.74 = 20.73.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example1.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn en16931_example2_payee_and_prepaid() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example2.xml",
        Expect {
            profile: EN16931,
            number: "TOSL108",
            type_code: "380",
            credit_note: false,
            issue: "2013-06-30",
            due: Some("2013-07-20"),
            currency: "NOK",
            buyer_reference: None,
            order_reference: Some("123"),
            billing_references: &[],
            payment_terms: Some(
                "2 % discount if paid within 2 days\n            Penalty percentage 10% from due date",
            ),
            seller: P {
                name: "Salescompany ltd.",
                country: Some("NO"),
                vat: Some("NO123456789MVA"),
                legal: Some(("123456789", None)),
                ids: &[("1238764941386", Some("0088"))],
            },
            buyer: P {
                name: "The Buyercompany",
                country: Some("NO"),
                vat: Some("NO987654321MVA"),
                legal: Some(("987654321", None)),
                ids: &[("3456789012098", Some("0088"))],
            },
            payee: Some(P {
                name: "Ebeneser Scrooge AS",
                country: None,
                vat: None,
                legal: Some(("989823401", None)),
                ids: &[("2298740918237", Some("0088"))],
            }),
            accounts: &["NO9386011117947"],
            lines: &[
                ("1", "1273.00"),
                ("2", "-3.96"),
                ("3", "4.96"),
                ("4", "-25.00"),
                ("5", "187.50"),
            ],
            breakdowns: &[
                ("S", Some("25"), "1460.50", "365.13"),
                ("S", Some("15"), "1.00", "0.15"),
                ("E", Some("0"), "-25.00", "0.00"),
            ],
            totals: T {
                line: Some("1436.50"),
                allowances: Some("100.00"),
                charges: Some("100.00"),
                exclusive: Some("1436.50"),
                tax: Some("365.28"),
                inclusive: Some("1801.78"),
                prepaid: Some("1000.00"),
                rounding: None,
                payable: Some("801.78"),
            },
            // 1801.78 - 1000.00 = 801.78.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example2.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn en16931_example5_vat_also_in_the_accounting_currency() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example5.xml",
        Expect {
            profile: EN16931,
            number: "TOSL110",
            type_code: "380",
            credit_note: false,
            issue: "2013-04-10",
            due: Some("2013-05-10"),
            currency: "DKK",
            buyer_reference: Some("qwerty"),
            order_reference: Some("PO4711"),
            billing_references: &["TOSL109"],
            payment_terms: Some("50% prepaid, 50% within one month"),
            seller: P {
                name: "SellerCompany",
                country: Some("NL"),
                vat: Some("NL16356706"),
                legal: Some(("NL16356706", None)),
                ids: &[
                    ("5790000436101", Some("0088")),
                    ("info@selco.nl", Some("EM")),
                ],
            },
            buyer: P {
                name: "Buyercompany ltd",
                country: Some("DK"),
                vat: Some("DK16356607"),
                legal: Some(("DK16356607", None)),
                ids: &[
                    ("5790000436057", Some("0088")),
                    ("info@buyercompany.dk", Some("EM")),
                ],
            },
            payee: Some(P {
                name: "Dagobert Duck",
                country: None,
                vat: None,
                legal: Some(("DK16356608", None)),
                ids: &[("DK16356608", None)],
            }),
            // Direct debit: the only account is the payer's (PaymentMandate).
            accounts: &[],
            lines: &[("1", "1000.00"), ("2", "500.00"), ("3", "2500.00")],
            breakdowns: &[
                ("S", Some("25"), "1500.00", "375.00"),
                ("S", Some("12"), "2500.00", "300.00"),
            ],
            totals: T {
                line: Some("4000.00"),
                allowances: Some("150.00"),
                charges: Some("150.00"),
                exclusive: Some("4000.00"),
                // The DKK TaxTotal, not the EUR one (628.62).
                tax: Some("675.00"),
                inclusive: Some("4675.00"),
                prepaid: Some("2337.50"),
                rounding: None,
                payable: Some("2337.50"),
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example5.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn en16931_negative_danish_invoice() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__BIS3_Invoice_negativ.XML",
        Expect {
            profile: PEPPOL,
            number: "12345",
            type_code: "380",
            credit_note: false,
            issue: "2019-01-25",
            due: Some("2019-02-24"),
            currency: "DKK",
            buyer_reference: Some("n/a"),
            order_reference: Some("n/a"),
            billing_references: &[],
            payment_terms: None,
            seller: P {
                name: "Company A",
                country: Some("DK"),
                vat: Some("DK12345678"),
                legal: Some(("DK12345678", Some("0184"))),
                ids: &[("DK12345678", Some("0184")), ("DK12345678", Some("0184"))],
            },
            buyer: P {
                name: "Company B",
                country: Some("DK"),
                vat: Some("DK87654321"),
                legal: Some(("DK87654321", Some("0184"))),
                ids: &[("DK87654321", Some("0184")), ("DK87654321", Some("0184"))],
            },
            payee: None,
            accounts: &["1234567891234"],
            lines: &[("1", "-625743.54")],
            breakdowns: &[("S", Some("25"), "-625743.54", "-156435.89")],
            totals: T {
                line: Some("-625743.54"),
                exclusive: Some("-625743.54"),
                tax: Some("-156435.89"),
                inclusive: Some("-782179.43"),
                payable: Some("-782179.43"),
                ..T::default()
            },
            // -625743.54 + -156435.89 = -782179.43.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "ConnectingEurope-eInvoicing-EN16931__BIS3_Invoice_negativ.XML",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn en16931_issue116_swedish_invoice() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__issue116.xml",
        Expect {
            profile: PEPPOL,
            number: "2018210",
            type_code: "380",
            credit_note: false,
            issue: "2018-02-08",
            due: Some("2018-03-07"),
            currency: "SEK",
            buyer_reference: Some("Buyer reference"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some("30 dagar netto. Dröjsmålsränta:12 %"),
            seller: P {
                name: "SÄLJARNAMNET",
                country: Some("AF"),
                vat: Some("SE123456789001"),
                legal: Some(("1234567890", Some("0007"))),
                ids: &[("5566778899", Some("0007"))],
            },
            buyer: P {
                name: "Project services AB",
                country: Some("AF"),
                vat: Some("SE123451234501"),
                legal: Some(("1234512345", Some("0007"))),
                ids: &[("1234512345", Some("0007"))],
            },
            payee: None,
            accounts: &[],
            lines: &[("1", "100"), ("2", "50"), ("3", "150"), ("4", "400")],
            breakdowns: &[
                ("S", Some("6"), "100", "6"),
                ("S", Some("25"), "400", "100"),
                ("S", Some("12"), "200", "24"),
                ("E", Some("0"), "0", "0"),
            ],
            totals: T {
                line: Some("700"),
                allowances: Some("1"),
                charges: Some("1"),
                exclusive: Some("700"),
                tax: Some("130"),
                inclusive: Some("830"),
                prepaid: Some("0"),
                rounding: Some("0"),
                payable: Some("830"),
            },
            // The issue (a breakdown matching no line) is beyond these rules:
            // 700 - 1 + 1 = 700; 6 + 100 + 24 + 0 = 130; 700 + 130 = 830.
            rules: &[],
        },
    );
    assert_eq!(
        reread("ConnectingEurope-eInvoicing-EN16931__issue116.xml", &doc),
        doc,
        "round trip"
    );
}

#[test]
fn en16931_italian_split_payment_with_a_3_mb_attachment() {
    let doc = verify(
        "ConnectingEurope-eInvoicing-EN16931__FT_G2G_TD01_con_Allegato_Bonifico_e_Split_Payment.xml",
        Expect {
            profile: PEPPOL,
            number: "1316/85",
            type_code: "380",
            credit_note: false,
            issue: "2020-02-13",
            due: None,
            currency: "EUR",
            buyer_reference: Some("110#2020-02-05#ABCDEF"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some("D.LGS. 231/2002 S.M.I"),
            seller: P {
                name: "Azienda Unita Sanitaria Locale di Reggio Emilia",
                country: Some("IT"),
                vat: Some("IT01598570354"),
                legal: None,
                ids: &[("UF6WX8", Some("0201"))],
            },
            buyer: P {
                // RegistrationName wins over PartyName ("AZIENDA USL DI MODENA").
                name: "AZIENDA AUSL DI MODENA",
                country: Some("IT"),
                vat: Some("IT02241850367"),
                legal: None,
                ids: &[("UFLCTZ", Some("0201"))],
            },
            payee: None,
            accounts: &["IT64W0100003245243300306301"],
            lines: &[("1", "1246.00")],
            breakdowns: &[("B", Some("22"), "1246.00", "274.12")],
            totals: T {
                line: Some("1246.00"),
                exclusive: Some("1246.00"),
                tax: Some("274.12"),
                inclusive: Some("1520.12"),
                prepaid: Some("274.12"),
                payable: Some("1246.00"),
                ..T::default()
            },
            // The VAT is booked as paid: 1520.12 - 274.12 = 1246.00.
            rules: &[],
        },
    );
    assert_eq!(reread("ConnectingEurope-eInvoicing-EN16931__FT_G2G_TD01_con_Allegato_Bonifico_e_Split_Payment.xml", &doc), doc, "round trip");
}

// ---- OASIS UBL 2.1 examples -----------------------------------------------

#[test]
fn oasis_credit_note_example_does_not_add_up() {
    let doc = verify(
        "kduvekot-ubl-release-package__UBL-CreditNote-2.1-Example.xml",
        Expect {
            profile: None,
            number: "TOSL108",
            // No CreditNoteTypeCode in the file.
            type_code: "381",
            credit_note: true,
            issue: "2009-12-15",
            due: None,
            currency: "EUR",
            buyer_reference: None,
            order_reference: Some("123"),
            billing_references: &[],
            payment_terms: None,
            seller: P {
                name: "The Sellercompany Incorporated",
                country: Some("DK"),
                vat: Some("DK12345"),
                legal: Some(("5402697509", Some("CVR"))),
                ids: &[("Supp123", Some("ZZZ")), ("1234567890123", Some("GLN"))],
            },
            buyer: P {
                name: "The buyercompany inc.",
                country: Some("BE"),
                vat: Some("BE54321"),
                legal: Some(("5645342123", Some("ZZZ"))),
                ids: &[("345KS5324", Some("ZZZ")), ("1234567987654", Some("GLN"))],
            },
            payee: Some(P {
                name: "Ebeneser Scrooge Inc.",
                country: None,
                vat: None,
                legal: Some(("6411982340", Some("UK:CH"))),
                ids: &[("098740918237", Some("GLN"))],
            }),
            accounts: &[],
            lines: &[
                ("1", "1273"),
                ("2", "-3.96"),
                ("3", "4.96"),
                ("4", "-25"),
                ("5", "187.5"),
            ],
            breakdowns: &[
                ("S", Some("20"), "1460.5", "292.1"),
                ("AA", Some("10"), "1", "0.1"),
                ("E", Some("0"), "-25", "0"),
            ],
            totals: T {
                line: Some("1436.5"),
                allowances: Some("100"),
                charges: Some("100"),
                exclusive: Some("1436.5"),
                tax: Some("292.20"),
                inclusive: Some("1729"),
                prepaid: Some("1000"),
                rounding: Some("0.30"),
                payable: Some("729"),
            },
            // Lines 1436.5 and VAT 292.1 + 0.1 + 0 = 292.20 agree, but
            // 1436.5 + 292.20 = 1728.70, not 1729 (BR-CO-15), and
            // 1729 - 1000 + 0.30 = 729.30, not 729 (BR-CO-16).
            rules: &["BR-CO-15", "BR-CO-16"],
        },
    );
    assert_eq!(
        reread(
            "kduvekot-ubl-release-package__UBL-CreditNote-2.1-Example.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn oasis_trivial_invoice_lacks_required_terms() {
    let doc = verify(
        "kduvekot-ubl-release-package__UBL-Invoice-2.1-Example-Trivial.xml",
        Expect {
            profile: None,
            number: "123",
            type_code: "",
            credit_note: false,
            issue: "2011-09-22",
            due: None,
            currency: "",
            buyer_reference: None,
            order_reference: None,
            billing_references: &[],
            payment_terms: None,
            seller: P {
                name: "Custom Cotter Pins",
                country: None,
                vat: None,
                legal: None,
                ids: &[],
            },
            buyer: P {
                name: "North American Veeblefetzer",
                country: None,
                vat: None,
                legal: None,
                ids: &[],
            },
            payee: None,
            accounts: &[],
            lines: &[("1", "100.00")],
            breakdowns: &[],
            totals: T {
                payable: Some("100.00"),
                ..T::default()
            },
            // No type code, no currency, and of the totals only PayableAmount.
            rules: &["BR-04", "BR-05", "BR-12", "BR-13", "BR-14"],
        },
    );
    assert_eq!(
        reread(
            "kduvekot-ubl-release-package__UBL-Invoice-2.1-Example-Trivial.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}
