//! XRechnung 3.0 UBL invoices (KoSIT test suite, Mustang project).

use super::{reread, verify, Expect, P, T, XRECHNUNG};

#[test]
fn xrechnung_01_01a_prefixed_root() {
    let doc = verify(
        "itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_ubl.xml",
        Expect {
            profile: XRECHNUNG,
            number: "123456XX",
            type_code: "380",
            credit_note: false,
            issue: "2016-04-04",
            due: None,
            currency: "EUR",
            buyer_reference: Some("04011000-12345-03"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some("Zahlbar sofort ohne Abzug."),
            seller: P {
                name: "[Seller name]",
                country: Some("DE"),
                vat: Some("DE 123456789"),
                legal: Some(("[HRA-Eintrag]", None)),
                ids: &[("seller@email.de", Some("EM"))],
            },
            buyer: P {
                name: "[Buyer name]",
                country: Some("DE"),
                vat: None,
                legal: None,
                ids: &[("[Buyer identifier]", None), ("buyer@info.de", Some("EM"))],
            },
            payee: None,
            accounts: &["DE79000000001234567890"],
            lines: &[
                ("Zeitschrift [...]", "288.79"),
                ("Porto + Versandkosten", "26.07"),
            ],
            breakdowns: &[("S", Some("7"), "314.86", "22.04")],
            totals: T {
                line: Some("314.86"),
                exclusive: Some("314.86"),
                tax: Some("22.04"),
                inclusive: Some("336.9"),
                payable: Some("336.9"),
                ..T::default()
            },
            // 288.79 + 26.07 = 314.86; 314.86 + 22.04 = 336.90.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_ubl.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn xrechnung_01_14a_payee_and_buyer_vat() {
    let doc = verify(
        "itplr-kosit-xrechnung-testsuite__01.14a-INVOICE_ubl.xml",
        Expect {
            profile: XRECHNUNG,
            number: "1234567",
            type_code: "380",
            credit_note: false,
            issue: "2018-04-13",
            due: Some("2018-04-13"),
            currency: "EUR",
            buyer_reference: Some("90000000-03083-72"),
            order_reference: Some("65002278"),
            billing_references: &[],
            payment_terms: None,
            seller: P {
                name: "[Seller name]",
                country: Some("DE"),
                vat: Some("ATU123456789"),
                legal: Some(("HRB 123", None)),
                ids: &[("seller@email.de", Some("EM"))],
            },
            buyer: P {
                name: "[Buyer name]",
                country: Some("DE"),
                vat: Some("DE12345ABC"),
                legal: Some(("HRB 3456", None)),
                ids: &[("138", None), ("buyer@info.de", Some("EM"))],
            },
            payee: Some(P {
                name: "[Payee name]",
                country: None,
                vat: None,
                legal: None,
                ids: &[("74", None)],
            }),
            accounts: &["DE79000000001234567890"],
            lines: &[("1", "4743.75"), ("2", "6037.5")],
            breakdowns: &[("S", Some("19"), "10781.25", "2048.44")],
            totals: T {
                line: Some("10781.25"),
                exclusive: Some("10781.25"),
                tax: Some("2048.44"),
                inclusive: Some("12829.69"),
                payable: Some("12829.69"),
                ..T::default()
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "itplr-kosit-xrechnung-testsuite__01.14a-INVOICE_ubl.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn xrechnung_03_01a_negative_payable_after_prepayment() {
    let doc = verify(
        "itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_ubl.xml",
        Expect {
            profile: XRECHNUNG,
            number: "123456789",
            type_code: "380",
            credit_note: false,
            issue: "2019-02-28",
            due: Some("2019-03-14"),
            currency: "EUR",
            buyer_reference: Some("90000000-03083-72"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some("Dieses Guthaben werden wir auf Ihr Konto erstatten."),
            seller: P {
                name: "[Seller name]",
                country: Some("DE"),
                vat: Some("ATU123456789"),
                legal: None,
                ids: &[
                    ("[Seller identifier 1]", None),
                    ("[Seller identifier 2]", None),
                    ("[Bank assigned creditor identifier]", Some("SEPA")),
                    ("seller@email.de", Some("EM")),
                ],
            },
            buyer: P {
                name: "[Buyer name]",
                country: Some("DE"),
                vat: None,
                legal: None,
                ids: &[("BI123456", None), ("buyer@info.de", Some("EM"))],
            },
            payee: None,
            // SEPA direct debit: the account is the payer's.
            accounts: &[],
            lines: &[
                ("1.1", "204.3"),
                ("1.2", "26"),
                ("1.3", "25.05"),
                ("1.4", "3.17"),
                ("2.1", "13.28"),
                ("2.2", "156.94"),
                ("2.3", "70.71"),
                ("2.4", "18.42"),
                ("2.5", "52.09"),
                ("2.6", "8.93"),
                ("3.1", "46.5"),
                ("3.2", "7.44"),
                ("3.3", "48.33"),
                ("3.4", "6.12"),
            ],
            breakdowns: &[
                ("S", Some("19"), "578.89", "109.99"),
                ("S", Some("7"), "108.39", "7.59"),
            ],
            totals: T {
                line: Some("687.28"),
                exclusive: Some("687.28"),
                tax: Some("117.58"),
                inclusive: Some("804.86"),
                prepaid: Some("1030"),
                payable: Some("-225.14"),
                ..T::default()
            },
            // The fourteen lines add up to 687.28 (578.89 at 19 %, 108.39 at
            // 7 %); 804.86 - 1030 = -225.14.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_ubl.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn xrechnung_04_01a_extension_with_sub_lines() {
    let doc = verify(
        "itplr-kosit-xrechnung-testsuite__04.01a-INVOICE_ubl.xml",
        Expect {
            profile: Some(
                "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
            ),
            number: "12345",
            type_code: "380",
            credit_note: false,
            issue: "2019-05-15",
            due: None,
            currency: "EUR",
            buyer_reference: Some("12345678-12345-83"),
            order_reference: Some("123"),
            billing_references: &[],
            payment_terms: Some("Zahlbar innerhalb 14 Tagen nach Erhalt der Rechnung."),
            seller: P {
                name: "M. Meier Handwerk GbR",
                country: Some("DE"),
                vat: Some("DE/12/345/67890"),
                legal: Some(("1122334455", None)),
                ids: &[("seller@email.de", Some("EM"))],
            },
            buyer: P {
                name: "Beispielkunde",
                country: Some("DE"),
                vat: None,
                legal: None,
                ids: &[("345LA5324", None), ("buyer@info.de", Some("EM"))],
            },
            payee: None,
            accounts: &["DE79000000001234567890"],
            // Two invoice lines; their 26 SubInvoiceLines are not lines.
            lines: &[("1", "818.04"), ("2", "11718.8")],
            breakdowns: &[("S", Some("19"), "12536.84", "2382")],
            totals: T {
                line: Some("12536.84"),
                exclusive: Some("12536.84"),
                tax: Some("2382"),
                inclusive: Some("14918.84"),
                prepaid: Some("10000.0"),
                payable: Some("4918.84"),
                ..T::default()
            },
            // 818.04 + 11718.8 = 12536.84; 14918.84 - 10000.0 = 4918.84.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "itplr-kosit-xrechnung-testsuite__04.01a-INVOICE_ubl.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn mustang_xrechnung_einfach() {
    let doc = verify(
        "ZUGFeRD-mustangproject__XRECHNUNG_Einfach.ubl.xml",
        Expect {
            profile: XRECHNUNG,
            number: "471102",
            type_code: "380",
            credit_note: false,
            issue: "2024-11-15",
            due: None,
            currency: "EUR",
            buyer_reference: Some("04011000-12345-34"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some(
                "Zahlbar innerhalb 30 Tagen netto bis 15.12.2024, 3% Skonto innerhalb 10 Tagen bis 25.11.2024",
            ),
            seller: P {
                name: "Lieferant GmbH",
                country: Some("DE"),
                // The first PartyTaxScheme is FC (201/113/40209), not VAT.
                vat: Some("DE123456789"),
                legal: None,
                ids: &[("4000001123452", Some("0088")), ("info@Mustermann.de", Some("EM"))],
            },
            buyer: P {
                name: "Kunden AG Mitte",
                country: Some("DE"),
                vat: None,
                legal: None,
                ids: &[("GE2020211", None), ("info@kunde.de", Some("EM"))],
            },
            payee: None,
            accounts: &["DE02120300000000202051"],
            lines: &[("1", "198"), ("2", "275")],
            breakdowns: &[
                ("S", Some("7"), "275", "19.25"),
                ("S", Some("19"), "198", "37.62"),
            ],
            totals: T {
                line: Some("473"),
                allowances: Some("0"),
                charges: Some("0"),
                exclusive: Some("473"),
                tax: Some("56.87"),
                inclusive: Some("529.87"),
                prepaid: Some("0"),
                rounding: None,
                payable: Some("529.87"),
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread("ZUGFeRD-mustangproject__XRECHNUNG_Einfach.ubl.xml", &doc),
        doc,
        "round trip"
    );
}

#[test]
fn mustang_xrechnung_with_endpoint_n_a() {
    let doc = verify(
        "ZUGFeRD-mustangproject__TESTXRECHNUNG_INVDSS_012015776085.XML",
        Expect {
            profile: XRECHNUNG,
            number: "2015776085",
            type_code: "380",
            credit_note: false,
            issue: "2024-11-01",
            due: None,
            currency: "EUR",
            buyer_reference: Some("02-ZZ987654-99"),
            order_reference: Some("N/A"),
            billing_references: &[],
            payment_terms: Some(
                "Rechnungsbetrag zahlbar ohne Abzug sofort nach Erhalt der Rechnung.",
            ),
            seller: P {
                name: "Alphabet Fuhrparkmanagement GmbH",
                country: Some("DE"),
                vat: Some("DE238574172"),
                legal: Some(("HRB 181098", None)),
                ids: &[("DE238574172", Some("9930"))],
            },
            buyer: P {
                name: "Muster GmbH",
                country: Some("DE"),
                vat: None,
                legal: None,
                ids: &[("00987654", None), ("N/A", Some("9930"))],
            },
            payee: None,
            accounts: &["DE34700700100156919301"],
            lines: &[("1", "851.00")],
            breakdowns: &[("S", Some("19.00"), "851.00", "161.69")],
            totals: T {
                line: Some("851.00"),
                exclusive: Some("851.00"),
                tax: Some("161.69"),
                inclusive: Some("1012.69"),
                payable: Some("1012.69"),
                ..T::default()
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "ZUGFeRD-mustangproject__TESTXRECHNUNG_INVDSS_012015776085.XML",
            &doc
        ),
        doc,
        "round trip"
    );
}
