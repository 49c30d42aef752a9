//! The UBL reader and writer against the real documents in
//! tests/fixtures/ubl. Every expected value below was read by hand from
//! the XML file (and every rule outcome worked out by hand from its
//! figures), not taken from a run of the reader.

mod en16931;
mod peppol;
mod xrechnung;

use std::panic::{catch_unwind, AssertUnwindSafe};

use factorgate::formats::einvoice::ubl::read_ubl_bytes;
use factorgate::formats::einvoice::ubl_write::write_ubl;
use factorgate::formats::einvoice::{check, DocumentError, EInvoice, Party, Syntax};
use factorgate::formats::xml::Limits;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ubl/");

/// Every file of tests/fixtures/ubl (checked against the directory below).
const ALL: [&str; 21] = [
    "ConnectingEurope-eInvoicing-EN16931__BIS3_Invoice_negativ.XML",
    "ConnectingEurope-eInvoicing-EN16931__FT_G2G_TD01_con_Allegato_Bonifico_e_Split_Payment.xml",
    "ConnectingEurope-eInvoicing-EN16931__issue116.xml",
    "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example1.xml",
    "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example2.xml",
    "ConnectingEurope-eInvoicing-EN16931__ubl-tc434-example5.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__GR-base-example-correct.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__Norwegian-example-1.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__Vat-category-S.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__base-creditnote-correction.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__base-example.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__base-negative-inv-correction.xml",
    "OpenPEPPOL-peppol-bis-invoice-3__vat-category-E.xml",
    "ZUGFeRD-mustangproject__TESTXRECHNUNG_INVDSS_012015776085.XML",
    "ZUGFeRD-mustangproject__XRECHNUNG_Einfach.ubl.xml",
    "itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_ubl.xml",
    "itplr-kosit-xrechnung-testsuite__01.14a-INVOICE_ubl.xml",
    "itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_ubl.xml",
    "itplr-kosit-xrechnung-testsuite__04.01a-INVOICE_ubl.xml",
    "kduvekot-ubl-release-package__UBL-CreditNote-2.1-Example.xml",
    "kduvekot-ubl-release-package__UBL-Invoice-2.1-Example-Trivial.xml",
];

fn load(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const PEPPOL: Option<&str> =
    Some("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0");
const XRECHNUNG: Option<&str> =
    Some("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0");
const EN16931: Option<&str> = Some("urn:cen.eu:en16931:2017");

type Id = (&'static str, Option<&'static str>);

struct P {
    name: &'static str,
    country: Option<&'static str>,
    vat: Option<&'static str>,
    legal: Option<Id>,
    ids: &'static [Id],
}

/// BG-22 as written in the file; None where the element is absent.
#[derive(Default)]
struct T {
    line: Option<&'static str>,
    allowances: Option<&'static str>,
    charges: Option<&'static str>,
    exclusive: Option<&'static str>,
    tax: Option<&'static str>,
    inclusive: Option<&'static str>,
    prepaid: Option<&'static str>,
    rounding: Option<&'static str>,
    payable: Option<&'static str>,
}

struct Expect {
    profile: Option<&'static str>,
    number: &'static str,
    type_code: &'static str,
    credit_note: bool,
    issue: &'static str,
    due: Option<&'static str>,
    currency: &'static str,
    buyer_reference: Option<&'static str>,
    order_reference: Option<&'static str>,
    billing_references: &'static [&'static str],
    payment_terms: Option<&'static str>,
    seller: P,
    buyer: P,
    payee: Option<P>,
    accounts: &'static [&'static str],
    /// (BT-126, BT-131) per line.
    lines: &'static [(&'static str, &'static str)],
    /// (category, rate, taxable, tax) per VAT breakdown.
    breakdowns: &'static [(
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
    )],
    totals: T,
    /// The EN 16931 rules `check` must report, in its order.
    rules: &'static [&'static str],
}

fn read(bytes: &[u8]) -> Result<EInvoice, DocumentError> {
    read_ubl_bytes(bytes, Limits::default())
}

/// Decimals compared as text: the scale written in the file is kept.
fn text(d: Option<rust_decimal::Decimal>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn assert_party(role: &str, got: &Party, want: &P) {
    assert_eq!(got.name, want.name, "{role} name");
    assert_eq!(got.country.as_deref(), want.country, "{role} country");
    assert_eq!(got.vat_id.as_deref(), want.vat, "{role} VAT id");
    let legal = got
        .legal_id
        .as_ref()
        .map(|l| (l.value.as_str(), l.scheme.as_deref()));
    assert_eq!(legal, want.legal, "{role} legal id");
    let ids: Vec<_> = got
        .ids
        .iter()
        .map(|i| (i.value.as_str(), i.scheme.as_deref()))
        .collect();
    assert_eq!(ids, want.ids, "{role} ids");
}

/// Checks every mapped field of a fixture against what was read from the
/// file by hand; returns the document read.
fn verify(name: &str, want: Expect) -> EInvoice {
    assert!(ALL.contains(&name), "{name} is not in ALL");
    let doc = read(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(doc.syntax, Syntax::Ubl);
    assert_eq!(doc.profile.as_deref(), want.profile, "profile");
    assert_eq!(doc.number, want.number, "number");
    assert_eq!(doc.type_code, want.type_code, "type code");
    assert_eq!(doc.credit_note_document, want.credit_note, "credit note");
    assert_eq!(
        doc.issue_date.map(|d| d.to_string()).as_deref(),
        Some(want.issue),
        "issue date"
    );
    assert_eq!(
        doc.due_date.map(|d| d.to_string()).as_deref(),
        want.due,
        "due date"
    );
    assert_eq!(doc.currency, want.currency, "currency");
    assert_eq!(
        doc.buyer_reference.as_deref(),
        want.buyer_reference,
        "buyer reference"
    );
    assert_eq!(
        doc.order_reference.as_deref(),
        want.order_reference,
        "order reference"
    );
    assert_eq!(
        doc.billing_references, want.billing_references,
        "billing references"
    );
    assert_eq!(
        doc.payment_terms.as_deref(),
        want.payment_terms,
        "payment terms"
    );
    assert_party("seller", &doc.seller, &want.seller);
    assert_party("buyer", &doc.buyer, &want.buyer);
    match (&doc.payee, &want.payee) {
        (Some(got), Some(p)) => assert_party("payee", got, p),
        (None, None) => {}
        (got, _) => panic!("payee: got {got:?}"),
    }
    assert_eq!(doc.payment_accounts, want.accounts, "payment accounts");
    let lines: Vec<_> = doc
        .lines
        .iter()
        .map(|l| (l.id.clone(), l.net_amount.to_string()))
        .collect();
    let want_lines: Vec<_> = want
        .lines
        .iter()
        .map(|(i, a)| (i.to_string(), a.to_string()))
        .collect();
    assert_eq!(lines, want_lines, "lines");
    let breakdowns: Vec<_> = doc
        .tax_breakdowns
        .iter()
        .map(|b| {
            (
                b.category.clone(),
                text(b.rate),
                b.taxable_amount.to_string(),
                b.tax_amount.to_string(),
            )
        })
        .collect();
    let want_breakdowns: Vec<_> = want
        .breakdowns
        .iter()
        .map(|(c, r, t, a)| {
            (
                c.to_string(),
                r.map(String::from),
                t.to_string(),
                a.to_string(),
            )
        })
        .collect();
    assert_eq!(breakdowns, want_breakdowns, "VAT breakdowns");
    let t = &doc.totals;
    let w = &want.totals;
    let pairs = [
        ("line total", t.line_total, w.line),
        ("allowances", t.allowances, w.allowances),
        ("charges", t.charges, w.charges),
        ("tax exclusive", t.tax_exclusive, w.exclusive),
        ("tax total", t.tax_total, w.tax),
        ("tax inclusive", t.tax_inclusive, w.inclusive),
        ("prepaid", t.prepaid, w.prepaid),
        ("rounding", t.rounding, w.rounding),
        ("payable", t.payable, w.payable),
    ];
    for (what, got, want) in pairs {
        assert_eq!(text(got).as_deref(), want, "{what}");
    }
    let rules: Vec<&str> = check(&doc).iter().map(|v| v.rule).collect();
    assert_eq!(rules, want.rules, "rules of {name}: {:?}", check(&doc));
    doc
}

/// Read, write, read again: the same document.
fn reread(name: &str, doc: &EInvoice) -> EInvoice {
    let mut out = Vec::new();
    write_ubl(doc, &mut out).unwrap_or_else(|e| panic!("{name}: writing: {e}"));
    read(&out).unwrap_or_else(|e| {
        panic!(
            "{name}: the written document does not read back: {e}\n{}",
            String::from_utf8_lossy(&out)
        )
    })
}

#[test]
fn the_fixture_list_is_the_directory() {
    let mut on_disk: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ALL.iter().map(|n| n.to_string()).collect();
    listed.sort();
    assert_eq!(listed, on_disk);
}

// ---- Robustness --------------------------------------------------------------

/// xorshift64*: deterministic, so a failing input can be found again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Reads, turning a panic into a test failure that names the input.
fn read_guarded(name: &str, what: &str, bytes: &[u8]) -> Result<EInvoice, DocumentError> {
    catch_unwind(AssertUnwindSafe(|| read(bytes)))
        .unwrap_or_else(|_| panic!("{name}, {what}: the reader panicked"))
}

#[test]
fn truncated_fixtures_are_refused_without_panicking() {
    for name in ALL {
        let bytes = load(name);
        // Any cut before the root's end tag leaves an element open.
        let root_end = bytes.windows(2).rposition(|w| w == b"</").unwrap();
        for i in 0..50 {
            let cut = root_end * i / 50 + i % 7;
            let result = read_guarded(name, &format!("cut at {cut}"), &bytes[..cut]);
            assert!(
                result.is_err(),
                "{name} cut at {cut} of {} was accepted",
                bytes.len()
            );
        }
    }
}

#[test]
fn flipped_bytes_never_panic_and_what_is_still_read_round_trips() {
    const NASTY: &[u8] = b"<>&/\"'=:.-+0 \x00\xff\xc3";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut accepted, mut refused) = (0, 0);
    for name in ALL {
        let mut bytes = load(name);
        // In the 3 MB fixture most bytes are base64: look at both ends,
        // where the structure is.
        let span = bytes.len().min(64 * 1024);
        for _ in 0..200 {
            let pos = if rng.coin() {
                rng.below(span)
            } else {
                bytes.len() - 1 - rng.below(span)
            };
            let old = bytes[pos];
            bytes[pos] = if rng.coin() {
                old ^ (1 << rng.below(8))
            } else {
                NASTY[rng.below(NASTY.len())]
            };
            let what = format!("byte {pos} {old:#04x} -> {:#04x}", bytes[pos]);
            match read_guarded(name, &what, &bytes) {
                Ok(doc) => {
                    accepted += 1;
                    assert_eq!(reread(name, &doc), doc, "{name}, {what}: round trip");
                }
                Err(_) => refused += 1,
            }
            bytes[pos] = old;
        }
    }
    // Both outcomes happen: flips in text are read, flips in markup refused.
    assert!(
        accepted > 500 && refused > 500,
        "{accepted} accepted, {refused} refused"
    );
}

const ROOT: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#;

fn unsafe_doc(xml: &str) -> bool {
    matches!(read(xml.as_bytes()), Err(DocumentError::Unsafe { .. }))
}

#[test]
fn ten_thousand_levels_of_nesting_are_unsafe() {
    let deep = |open: &str, close: &str| {
        format!(
            "{ROOT}<cac:AccountingSupplierParty><cac:Party>{}{}</cac:Party></cac:AccountingSupplierParty></Invoice>",
            open.repeat(10_000),
            close.repeat(10_000)
        )
    };
    // Inside an element the reader maps, and inside one it skips.
    assert!(unsafe_doc(&deep("<cac:PartyName>", "</cac:PartyName>")));
    assert!(unsafe_doc(&deep("<cac:X>", "</cac:X>")));
    assert!(unsafe_doc(&format!("{ROOT}{}", "<Invoice>".repeat(10_000))));
}

#[test]
fn dtds_and_entities_are_unsafe() {
    let bomb = format!(
        r#"<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>{ROOT}<cbc:ID>&c;</cbc:ID></Invoice>"#
    );
    assert!(unsafe_doc(&bomb));
    let xxe = format!(
        r#"<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>{ROOT}<cbc:ID>&x;</cbc:ID></Invoice>"#
    );
    assert!(unsafe_doc(&xxe));
    // Without a DTD an entity reference is just not well-formed.
    let undeclared = format!("{ROOT}<cbc:ID>&x;</cbc:ID></Invoice>");
    assert!(matches!(
        read(undeclared.as_bytes()),
        Err(DocumentError::Malformed { .. })
    ));
}

#[test]
fn a_document_over_the_size_cap_is_unsafe() {
    let bytes = load("itplr-kosit-xrechnung-testsuite__03.01a-INVOICE_ubl.xml");
    let limits = Limits {
        max_bytes: 64 * 1024,
        ..Limits::default()
    };
    assert!(matches!(
        read_ubl_bytes(&bytes, limits),
        Err(DocumentError::Unsafe { .. })
    ));
}

#[test]
fn huge_numbers_are_malformed_not_rounded() {
    let payable = |value: &str| {
        format!("{ROOT}<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID=\"EUR\">{value}</cbc:PayableAmount></cac:LegalMonetaryTotal></Invoice>")
    };
    let long = "9".repeat(400);
    let tiny = format!("0.{}1", "0".repeat(399));
    for value in [
        long.as_str(),
        tiny.as_str(),
        "1e30",
        "1E30",
        "79228162514264337593543950336",
    ] {
        match read(payable(value).as_bytes()) {
            Err(DocumentError::Malformed { path, message }) => {
                assert_eq!(path, "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount");
                assert!(message.len() < 120, "{message}");
            }
            other => panic!("{value:.20}: expected Malformed, got {other:?}"),
        }
    }
    let line = format!(
        "{ROOT}<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:LineExtensionAmount>{long}</cbc:LineExtensionAmount></cac:InvoiceLine></Invoice>"
    );
    assert!(matches!(
        read(line.as_bytes()),
        Err(DocumentError::Malformed { path, .. }) if path == "/Invoice/cac:InvoiceLine/cbc:LineExtensionAmount"
    ));
    // The largest amount a Decimal holds exactly is still read.
    let doc = read(payable("9999999999999999999999999999").as_bytes()).unwrap();
    assert_eq!(
        doc.totals.payable.unwrap().to_string(),
        "9999999999999999999999999999"
    );
}
