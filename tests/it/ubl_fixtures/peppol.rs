//! PEPPOL BIS Billing 3.0 examples (OpenPEPPOL/peppol-bis-invoice-3).

use super::{reread, verify, Expect, Id, P, PEPPOL, T};

/// Seller and buyer shared by the PEPPOL "Snippet1" family.
const SNIPPET_SELLER_IDS: &[Id] = &[("99887766", None), ("9482348239847239874", Some("0088"))];
const SNIPPET_BUYER: P = P {
    name: "Buyer Official Name",
    country: Some("SE"),
    vat: Some("SE4598375937"),
    legal: Some(("39937423947", Some("0183"))),
    // PartyIdentification, then EndpointID: the same value twice.
    ids: &[("FR23342", Some("0002")), ("FR23342", Some("0002"))],
};
const SNIPPET_TERMS: Option<&str> = Some("Payment within 10 days, 2% discount");

#[test]
fn peppol_base_example() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__base-example.xml",
        Expect {
            profile: PEPPOL,
            number: "Snippet1",
            type_code: "380",
            credit_note: false,
            issue: "2017-11-13",
            due: Some("2017-12-01"),
            currency: "EUR",
            buyer_reference: Some("0150abc"),
            order_reference: None,
            billing_references: &[],
            payment_terms: SNIPPET_TERMS,
            seller: P {
                name: "SupplierOfficialName Ltd",
                country: Some("GB"),
                vat: Some("GB1232434"),
                legal: Some(("GB983294", None)),
                ids: SNIPPET_SELLER_IDS,
            },
            buyer: SNIPPET_BUYER,
            payee: None,
            accounts: &["IBAN32423940"],
            lines: &[("1", "2800"), ("2", "-1500")],
            breakdowns: &[("S", Some("25.0"), "1325", "331.25")],
            totals: T {
                line: Some("1300"),
                charges: Some("25"),
                exclusive: Some("1325"),
                tax: Some("331.25"),
                inclusive: Some("1656.25"),
                payable: Some("1656.25"),
                ..T::default()
            },
            // 2800 - 1500 = 1300; 1300 + 25 = 1325; 1325 + 331.25 = 1656.25.
            rules: &[],
        },
    );
    assert_eq!(
        reread("OpenPEPPOL-peppol-bis-invoice-3__base-example.xml", &doc),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_credit_note_correcting_the_base_example() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__base-creditnote-correction.xml",
        Expect {
            profile: PEPPOL,
            number: "Snippet1",
            type_code: "381",
            credit_note: true,
            issue: "2017-11-13",
            // No DueDate in a CreditNote and no PaymentDueDate in its means.
            due: None,
            currency: "EUR",
            buyer_reference: Some("0150abc"),
            order_reference: None,
            billing_references: &["Snippet1"],
            payment_terms: SNIPPET_TERMS,
            seller: P {
                name: "SupplierOfficialName Ltd",
                country: Some("GB"),
                vat: Some("GB1232434"),
                legal: Some(("GB983294", None)),
                ids: SNIPPET_SELLER_IDS,
            },
            buyer: SNIPPET_BUYER,
            payee: None,
            accounts: &["IBAN32423940"],
            lines: &[("1", "2800"), ("2", "-1500")],
            breakdowns: &[("S", Some("25.0"), "1325", "331.25")],
            totals: T {
                line: Some("1300"),
                charges: Some("25"),
                exclusive: Some("1325"),
                tax: Some("331.25"),
                inclusive: Some("1656.25"),
                payable: Some("1656.25"),
                ..T::default()
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "OpenPEPPOL-peppol-bis-invoice-3__base-creditnote-correction.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_negative_invoice_correction() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__base-negative-inv-correction.xml",
        Expect {
            profile: PEPPOL,
            number: "Correction1",
            type_code: "380",
            credit_note: false,
            issue: "2017-11-13",
            due: Some("2017-12-01"),
            currency: "EUR",
            buyer_reference: Some("0150abc"),
            order_reference: None,
            billing_references: &["Snippet1"],
            payment_terms: SNIPPET_TERMS,
            seller: P {
                name: "SupplierOfficialName Ltd",
                country: Some("GB"),
                vat: Some("GB1232434"),
                legal: Some(("GB983294", None)),
                ids: SNIPPET_SELLER_IDS,
            },
            buyer: SNIPPET_BUYER,
            payee: None,
            accounts: &["IBAN32423940"],
            lines: &[("1", "-2800"), ("2", "1500")],
            breakdowns: &[("S", Some("25.0"), "-1325", "-331.25")],
            totals: T {
                line: Some("-1300"),
                charges: Some("-25"),
                exclusive: Some("-1325"),
                tax: Some("-331.25"),
                inclusive: Some("-1656.25"),
                payable: Some("-1656.25"),
                ..T::default()
            },
            // Every total negative, and still consistent.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "OpenPEPPOL-peppol-bis-invoice-3__base-negative-inv-correction.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_two_standard_vat_rates() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__Vat-category-S.xml",
        Expect {
            profile: PEPPOL,
            number: "Snippet1",
            type_code: "380",
            credit_note: false,
            issue: "2017-11-13",
            due: Some("2017-12-01"),
            currency: "EUR",
            buyer_reference: Some("0150abc"),
            order_reference: None,
            billing_references: &[],
            payment_terms: SNIPPET_TERMS,
            seller: P {
                name: "SupplierOfficialName Ltd",
                country: Some("GB"),
                vat: Some("GB1232434"),
                legal: Some(("GB983294", None)),
                ids: &[("99887766", None), ("7300010000001", Some("0088"))],
            },
            buyer: SNIPPET_BUYER,
            payee: None,
            accounts: &["IBAN32423940"],
            lines: &[("1", "4000.00"), ("2", "2000.00"), ("3", "900.00")],
            breakdowns: &[
                ("S", Some("25"), "5000.0", "1250"),
                ("S", Some("15"), "2000.0", "300"),
            ],
            totals: T {
                line: Some("6900"),
                allowances: Some("100"),
                charges: Some("200"),
                exclusive: Some("7000"),
                tax: Some("1550.00"),
                inclusive: Some("8550"),
                payable: Some("8550"),
                ..T::default()
            },
            // 6900 - 100 + 200 = 7000; 1250 + 300 = 1550; 7000 + 1550 = 8550.
            rules: &[],
        },
    );
    assert_eq!(
        reread("OpenPEPPOL-peppol-bis-invoice-3__Vat-category-S.xml", &doc),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_vat_exempt_in_pounds() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__vat-category-E.xml",
        Expect {
            profile: PEPPOL,
            number: "Vat-Z",
            type_code: "380",
            credit_note: false,
            issue: "2018-08-30",
            due: None,
            currency: "GBP",
            buyer_reference: Some("test reference"),
            order_reference: None,
            billing_references: &[],
            payment_terms: Some("Payment within 30 days"),
            seller: P {
                // Only a registration name: no PartyName at all.
                name: "The Sellercompany Incorporated",
                country: Some("GB"),
                vat: Some("GB928741974"),
                legal: None,
                ids: &[("7300010000001", None), ("7300010000001", Some("0088"))],
            },
            buyer: P {
                name: "The Buyercompany",
                country: Some("DK"),
                vat: None,
                legal: None,
                ids: &[("12345678", Some("0184"))],
            },
            payee: None,
            accounts: &["SE1212341234123412"],
            lines: &[("1", "1200.00")],
            breakdowns: &[("E", Some("0"), "1200.00", "0.00")],
            totals: T {
                line: Some("1200.00"),
                exclusive: Some("1200.00"),
                tax: Some("0.00"),
                inclusive: Some("1200.00"),
                payable: Some("1200.00"),
                ..T::default()
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread("OpenPEPPOL-peppol-bis-invoice-3__vat-category-E.xml", &doc),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_norwegian_example_with_payee_prepaid_and_rounding() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__Norwegian-example-1.xml",
        Expect {
            profile: PEPPOL,
            number: "TOSL108",
            type_code: "380",
            credit_note: false,
            issue: "2013-06-30",
            due: Some("2013-07-20"),
            currency: "NOK",
            buyer_reference: Some("3150bdn"),
            order_reference: Some("123"),
            billing_references: &[],
            payment_terms: Some(
                "2 % discount if paid within 2 days. Penalty percentage 10% from due date",
            ),
            seller: P {
                name: "The Sellercompany ASA",
                country: Some("NO"),
                // The second PartyTaxScheme (TAX, "Foretaksregisteret") is not VAT.
                vat: Some("NO123456785MVA"),
                legal: Some(("123456785", Some("0192"))),
                ids: &[("1238764941386", Some("0088")), ("123456785", Some("0192"))],
            },
            buyer: P {
                name: "Buyercompany ASA",
                country: Some("NO"),
                vat: Some("NO987654325MVA"),
                legal: Some(("987654325", Some("0192"))),
                ids: &[("3456789012098", Some("0088")), ("987654325", Some("0192"))],
            },
            payee: Some(P {
                name: "Ebeneser Scrooge AS",
                country: None,
                vat: None,
                legal: Some(("999999999", Some("0192"))),
                ids: &[("2298740918237", Some("0088"))],
            }),
            accounts: &["NO9386011117947"],
            lines: &[
                ("1", "1273"),
                ("2", "-3.96"),
                ("3", "4.96"),
                ("4", "-25"),
                ("5", "187.5"),
            ],
            breakdowns: &[
                ("S", Some("25"), "1460.5", "365.13"),
                ("S", Some("15"), "1", "0.15"),
                ("E", Some("0"), "-25", "0"),
            ],
            totals: T {
                line: Some("1436.5"),
                allowances: Some("100"),
                charges: Some("100"),
                exclusive: Some("1436.5"),
                tax: Some("365.28"),
                inclusive: Some("1801.78"),
                prepaid: Some("1000"),
                rounding: Some("0.22"),
                payable: Some("802.00"),
            },
            // Lines add up to 1436.5; 365.13 + 0.15 + 0 = 365.28;
            // 1436.5 + 365.28 = 1801.78; 1801.78 - 1000 + 0.22 = 802.00.
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "OpenPEPPOL-peppol-bis-invoice-3__Norwegian-example-1.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}

#[test]
fn peppol_greek_example_with_pipes_in_the_number() {
    let doc = verify(
        "OpenPEPPOL-peppol-bis-invoice-3__GR-base-example-correct.xml",
        Expect {
            profile: PEPPOL,
            number: "061828591|01/10/2020|0|1.1|0|1",
            type_code: "380",
            credit_note: false,
            issue: "2020-10-01",
            due: Some("2020-12-01"),
            currency: "EUR",
            buyer_reference: Some("0150abc"),
            order_reference: None,
            billing_references: &[],
            payment_terms: SNIPPET_TERMS,
            seller: P {
                name: "SupplierOfficialName Ltd",
                country: Some("GR"),
                vat: Some("EL0618285912"),
                legal: Some(("EL801399030", None)),
                ids: &[("155988103000", None), ("801399030", Some("9933"))],
            },
            buyer: P {
                name: "Buyer Official Name",
                country: Some("GR"),
                vat: Some("EL061828591"),
                legal: Some(("39937423947", Some("0183"))),
                ids: &[("FR23342", Some("0002")), ("061828591", Some("9933"))],
            },
            payee: None,
            accounts: &["IBAN32423940"],
            lines: &[("1", "2800"), ("2", "-1500")],
            breakdowns: &[("S", Some("25.0"), "1325", "331.25")],
            totals: T {
                line: Some("1300"),
                charges: Some("25"),
                exclusive: Some("1325"),
                tax: Some("331.25"),
                inclusive: Some("1656.25"),
                payable: Some("1656.25"),
                ..T::default()
            },
            rules: &[],
        },
    );
    assert_eq!(
        reread(
            "OpenPEPPOL-peppol-bis-invoice-3__GR-base-example-correct.xml",
            &doc
        ),
        doc,
        "round trip"
    );
}
