//! The CII reader and writer against real Factur-X, ZUGFeRD and XRechnung
//! files: every field as read by hand, the EN 16931 rules each file breaks,
//! write-then-read round trips, and hostile or damaged input.

mod expected;

use factorgate::formats::einvoice::cii::read_cii;
use factorgate::formats::einvoice::cii_write::write_cii;
use factorgate::formats::einvoice::{check, DocumentError, EInvoice};
use factorgate::formats::xml::Limits;

macro_rules! fixture {
    ($file:literal) => {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/cii/",
            $file
        ))
        .expect($file)
    };
}

fn read(bytes: &[u8]) -> Result<EInvoice, DocumentError> {
    read_cii(bytes, Limits::default())
}

fn rules(doc: &EInvoice) -> Vec<&'static str> {
    check(doc).into_iter().map(|v| v.rule).collect()
}

/// One test per fixture (its fields and the rules it breaks), and the list
/// of all of them for the tests run over every file.
macro_rules! fixtures {
    ($($test:ident: $file:literal => $expected:path, breaks $rules:expr;)*) => {
        $(
            #[test]
            fn $test() {
                let doc = read(&fixture!($file)).expect($file);
                assert_eq!(doc, $expected());
                let expected_rules: &[&str] = &$rules;
                assert_eq!(rules(&doc), expected_rules, "{:#?}", check(&doc));
            }
        )*

        fn all_fixtures() -> Vec<(&'static str, Vec<u8>)> {
            vec![$(($file, fixture!($file))),*]
        }
    };
}

fixtures! {
    rounding_issue: "ConnectingEurope-eInvoicing-EN16931__CII-BR-CO-10-RoundingIssue.xml"
        => expected::rounding_issue, breaks [];
    cii_example1: "ConnectingEurope-eInvoicing-EN16931__CII_example1.xml"
        => expected::example1, breaks [];
    cii_example2: "ConnectingEurope-eInvoicing-EN16931__CII_example2.xml"
        => expected::example2, breaks [];
    cii_example8: "ConnectingEurope-eInvoicing-EN16931__CII_example8.xml"
        => expected::example8, breaks [];
    xrechnung_category_o: "ConnectingEurope-eInvoicing-EN16931__XRechnung-O.xml"
        => expected::xrechnung_o, breaks [];
    huf: "ConnectingEurope-eInvoicing-EN16931__huf_example_cii.xml"
        => expected::huf, breaks [];
    extended_foreign_currency: "ZUGFeRD-mustangproject__Extended_fremdwaehrung.xml"
        => expected::extended_foreign_currency, breaks [];
    facturx_basic: "ZUGFeRD-mustangproject__Factur-X_basic.xml"
        => expected::facturx_basic, breaks [];
    rabatte_prepaid: "ZUGFeRD-mustangproject__ZUGFeRD-invoice_rabatte_3_abschlag_duepayableamount.xml"
        => expected::rabatte, breaks [];
    facturx_en16931: "ZUGFeRD-mustangproject__factur-x.xml"
        => expected::facturx, breaks [];
    // DuePayableAmount 336.91 against a GrandTotalAmount of 336.9.
    invalid_xr_v30: "ZUGFeRD-mustangproject__invalidXRV30.xml"
        => expected::invalid_xr_v30, breaks ["BR-CO-16"];
    // MINIMUM profile: no lines and no line total are needed.
    minimum_avoir: "ZUGFeRD-mustangproject__valid_Avoir_FR_type380_minimum_factur-x.xml"
        => expected::minimum_avoir, breaks [];
    kosit_01_01a: "itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_uncefact.xml"
        => expected::kosit_01_01a, breaks [];
    kosit_01_14a: "itplr-kosit-xrechnung-testsuite__01.14a-INVOICE_uncefact.xml"
        => expected::kosit_01_14a, breaks [];
    kosit_03_01a_negative_due: "itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_uncefact.xml"
        => expected::kosit_03_01a, breaks [];
    kosit_04_05a: "itplr-kosit-xrechnung-testsuite__04.05a-INVOICE_uncefact.xml"
        => expected::kosit_04_05a, breaks [];
}

#[test]
fn every_xml_fixture_has_its_test() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cii");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".xml"))
        .collect();
    on_disk.sort();
    let mut tested: Vec<String> = all_fixtures().into_iter().map(|(n, _)| n.into()).collect();
    tested.sort();
    assert_eq!(on_disk, tested);
    assert_eq!(tested.len(), 16);
}

/// What `write_cii` gives `read_cii` back: the same document (a document
/// without a profile gets EN 16931's).
fn round_trip(doc: &EInvoice) -> Result<EInvoice, DocumentError> {
    let mut xml = Vec::new();
    write_cii(doc, &mut xml)?;
    let mut back = read(&xml).expect("the writer's own output reads");
    if doc.profile.is_none() {
        assert_eq!(back.profile.as_deref(), Some("urn:cen.eu:en16931:2017"));
        back.profile = None;
    }
    Ok(back)
}

#[test]
fn every_fixture_reads_back_equal_after_writing() {
    for (name, bytes) in all_fixtures() {
        let doc = read(&bytes).unwrap();
        let back = round_trip(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, doc, "{name}");
        assert_eq!(check(&back), check(&doc), "{name}");
    }
}

#[test]
fn truncated_fixtures_are_refused_without_panicking() {
    for (name, bytes) in all_fixtures() {
        let root_start = find(&bytes, b"<rsm:CrossIndustryInvoice").unwrap();
        let root_end = rfind(&bytes, b"</rsm:CrossIndustryInvoice>").unwrap();
        for i in 0..50 {
            let cut = bytes.len() * i / 50;
            let result = read(&bytes[..cut]);
            // Only the root's end tag makes a document; before the root
            // there is not even a format to recognise.
            assert!(cut < root_end, "{name}");
            match result {
                Err(DocumentError::Malformed { path, .. }) => {
                    assert!(path.starts_with('/'), "{name}")
                }
                Err(DocumentError::UnknownFormat { .. }) if cut <= root_start => {}
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
}

#[test]
fn damaged_fixtures_never_panic_and_what_reads_still_round_trips() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        // xorshift64: reproducible without a dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut refused, mut accepted) = (0, 0);
    for (name, bytes) in all_fixtures() {
        for _ in 0..200 {
            let mut damaged = bytes.clone();
            let at = (next() % damaged.len() as u64) as usize;
            damaged[at] ^= (next() % 255 + 1) as u8;
            match read(&damaged) {
                Ok(doc) => {
                    accepted += 1;
                    let _ = check(&doc);
                    // The writer may refuse text XML cannot carry; what it
                    // writes must read back the same.
                    if let Ok(back) = round_trip(&doc) {
                        assert_eq!(back, doc, "{name} with byte {at} flipped");
                    }
                }
                Err(DocumentError::Rules { .. }) => panic!("the reader applies no rules"),
                Err(e) => {
                    refused += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
    assert!(
        refused > 100 && accepted > 100,
        "{refused} refused, {accepted} accepted"
    );
}

const CII_OPEN: &str = r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">"#;

fn unsafe_message(xml: &str) -> String {
    match read(xml.as_bytes()) {
        Err(DocumentError::Unsafe { message }) => message,
        other => panic!("expected unsafe, got {other:?}"),
    }
}

#[test]
fn ten_thousand_levels_deep_is_unsafe() {
    let depth = 10_000;
    let inside_skipped = format!(
        "{CII_OPEN}<rsm:ExchangedDocument>{}{}</rsm:ExchangedDocument></rsm:CrossIndustryInvoice>",
        "<ram:IncludedNote>".repeat(depth),
        "</ram:IncludedNote>".repeat(depth)
    );
    assert!(unsafe_message(&inside_skipped).contains("deeper than"));
    let inside_mapped = format!(
        "{CII_OPEN}{}{}</rsm:CrossIndustryInvoice>",
        "<rsm:SupplyChainTradeTransaction>".repeat(depth),
        "</rsm:SupplyChainTradeTransaction>".repeat(depth)
    );
    assert!(unsafe_message(&inside_mapped).contains("deeper than"));
}

#[test]
fn doctypes_and_entities_are_unsafe() {
    let bomb = format!(
        r#"<?xml version="1.0"?><!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>{CII_OPEN}<rsm:ExchangedDocument><ram:ID>&c;</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"#
    );
    assert!(unsafe_message(&bomb).contains("DTD"));
    let external = format!(
        r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>{CII_OPEN}<rsm:ExchangedDocument><ram:ID>&x;</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"#
    );
    unsafe_message(&external);
    // Without a DTD an undeclared entity is just broken XML.
    let undeclared = format!(
        "{CII_OPEN}<rsm:ExchangedDocument><ram:ID>&x;</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"
    );
    assert!(matches!(
        read(undeclared.as_bytes()),
        Err(DocumentError::Malformed { .. })
    ));
}

#[test]
fn huge_numbers_are_malformed_not_a_panic() {
    let bytes = fixture!("ZUGFeRD-mustangproject__factur-x.xml");
    let xml = String::from_utf8(bytes).unwrap();
    let huge = "9".repeat(400);
    // (element, its value in the file, the value put there); the last
    // occurrence is the header one.
    for (element, value, replacement) in [
        ("ram:GrandTotalAmount", "571.04", huge.clone()),
        ("ram:LineTotalAmount", "20.00", format!("-{huge}.5")),
        ("ram:RateApplicablePercent", "19.00", format!("0.{huge}")),
        ("ram:TaxTotalAmount", "75.04", "1e400".to_string()),
    ] {
        let from = format!(">{value}</{element}>");
        let at = xml.rfind(&from).expect(element);
        let damaged = format!(
            "{}>{replacement}</{element}>{}",
            &xml[..at],
            &xml[at + from.len()..]
        );
        match read(damaged.as_bytes()) {
            Err(DocumentError::Malformed { path, message }) => {
                assert!(path.ends_with(element), "{path} for {element}");
                assert!(message.chars().count() < 100, "{message}");
            }
            other => panic!("{element}: expected malformed, got {other:?}"),
        }
    }
}

#[test]
fn the_size_cap_applies() {
    let bytes = fixture!("itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_uncefact.xml");
    let limits = Limits {
        max_bytes: 100_000,
        ..Limits::default()
    };
    assert!(matches!(
        read_cii(&bytes[..], limits),
        Err(DocumentError::Unsafe { .. })
    ));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}
