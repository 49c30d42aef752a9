//! Factur-X / ZUGFeRD PDFs: the real fixtures, PDFs written here with
//! lopdf (compressed attachments, name trees), and damaged files.

use super::*;
use factorgate::formats::einvoice::facturx_pdf::extract_xml;

#[test]
fn the_mustang_pdf_carries_its_cii_invoice() {
    let xml = extract_xml(&fixture(MUSTANG_PDF), 1 << 20).expect("extracts");
    assert!(xml.starts_with(b"<?xml"));
    assert_eq!(detect(&xml).expect("detects"), Format::Cii);
    // The embedded file stream is stored unfiltered, /Length 8323.
    assert_eq!(xml.len(), 8323);
    let text = String::from_utf8(xml).expect("UTF-8");
    // Values read by hand from the embedded factur-x.xml.
    assert!(text.contains("<ram:ID>RE1001</ram:ID>"));
    assert!(text.contains("<ram:TypeCode>380</ram:TypeCode>"));
    assert!(text.contains("<ram:DuePayableAmount>963.11</ram:DuePayableAmount>"));
    assert!(text.trim_end().ends_with("</rsm:CrossIndustryInvoice>"));
}

#[test]
fn the_french_basicwl_pdf_carries_its_cii_credit() {
    let xml = extract_xml(&fixture(AVOIR_PDF), 1 << 20).expect("extracts");
    assert!(xml.starts_with(b"<?xml"));
    assert_eq!(detect(&xml).expect("detects"), Format::Cii);
    // /Params /Size 4847 in the file specification.
    assert_eq!(xml.len(), 4847);
    let text = String::from_utf8(xml).expect("UTF-8");
    assert!(text.contains("<ram:ID>urn:factur-x.eu:1p0:basicwl</ram:ID>"));
    assert!(text.contains("<ram:ID>AV-2017-0005</ram:ID>"));
    assert!(text.contains("<ram:TypeCode>380</ram:TypeCode>"));
    assert!(text.contains("<ram:DuePayableAmount>-233.47</ram:DuePayableAmount>"));
}

#[test]
fn an_embedded_xml_over_the_cap_is_unsafe() {
    assert!(matches!(
        extract_xml(&fixture(MUSTANG_PDF), 1000),
        Err(DocumentError::Unsafe { .. })
    ));
}

#[test]
fn a_pdf_is_read_through_its_embedded_xml() {
    let options = ReadOptions::default();
    let pdf = fixture(AVOIR_PDF);
    let (format, docs) = read_documents(&pdf[..], &options).expect("opens the PDF");
    assert_eq!(format, Format::FacturXPdf);
    // The CII reader itself is tested with the CII fixtures.
    assert_eq!(docs.count(), 1);
}

/// A PDF/A-3-like file written with lopdf: the given attachments, each
/// Flate-compressed, listed in a two-level /EmbeddedFiles name tree and,
/// when `in_af`, in the catalog's /AF array.
fn pdf_with(attachments: &[(&str, &[u8])], in_af: bool) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let pages = doc.add_object(dictionary! {"Type" => "Pages", "Kids" => vec![], "Count" => 0});
    let mut names = Vec::new();
    let mut af = Vec::new();
    for (name, content) in attachments {
        let mut stream = Stream::new(
            dictionary! {"Type" => "EmbeddedFile", "Subtype" => "text/xml"},
            content.to_vec(),
        );
        stream.compress().expect("compresses");
        let file = doc.add_object(stream);
        let spec = doc.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal(*name),
            "UF" => Object::string_literal(*name),
            "AFRelationship" => "Alternative",
            "EF" => dictionary! {"F" => file, "UF" => file},
        });
        names.push(Object::string_literal(*name));
        names.push(spec.into());
        af.push(Object::from(spec));
    }
    let leaf = doc.add_object(dictionary! {"Names" => names});
    let mut catalog = dictionary! {
        "Type" => "Catalog",
        "Pages" => pages,
        "Names" => dictionary! {"EmbeddedFiles" => dictionary! {"Kids" => vec![leaf.into()]}},
    };
    if in_af {
        catalog.set("AF", af);
    }
    let root = doc.add_object(catalog);
    doc.trailer.set("Root", root);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writes");
    out
}

#[test]
fn flate_compressed_attachments_are_found_and_inflated() {
    let xml = format!(
        "<?xml version=\"1.0\"?><rsm:CrossIndustryInvoice>{}</rsm:CrossIndustryInvoice>",
        "<!-- padding -->".repeat(200)
    );
    let pdf = pdf_with(
        &[
            ("logo.xml", b"<logo/>"),
            ("ZUGFeRD-invoice.xml", xml.as_bytes()),
        ],
        true,
    );
    assert!(pdf.len() < xml.len(), "the attachment is compressed");
    assert_eq!(
        extract_xml(&pdf, 1 << 20).expect("extracts"),
        xml.as_bytes()
    );
    // Found through the name tree alone, as the only .xml file.
    let pdf = pdf_with(&[("invoice.xml", xml.as_bytes())], false);
    assert_eq!(
        extract_xml(&pdf, 1 << 20).expect("extracts"),
        xml.as_bytes()
    );
    // Inflating past the cap is refused.
    let big = " ".repeat(100_000);
    let pdf = pdf_with(&[("factur-x.xml", big.as_bytes())], true);
    assert!(matches!(
        extract_xml(&pdf, 10_000),
        Err(DocumentError::Unsafe { .. })
    ));
}

#[test]
fn a_pdf_without_invoice_xml_is_an_unknown_format() {
    for pdf in [
        pdf_with(&[], true),
        pdf_with(&[("a.xml", b"<a/>"), ("b.xml", b"<b/>")], true),
    ] {
        match extract_xml(&pdf, 1 << 20) {
            Err(DocumentError::UnknownFormat { message }) => {
                assert!(message.contains("no Factur-X/ZUGFeRD XML"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A deterministic byte stream for the damage tests (no clock, no RNG crate).
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

fn assert_handled(result: Result<Vec<u8>, DocumentError>, what: &str) {
    match result {
        Ok(xml) => assert!(!xml.is_empty(), "{what}: empty XML"),
        Err(
            DocumentError::Malformed { .. }
            | DocumentError::UnknownFormat { .. }
            | DocumentError::Unsafe { .. },
        ) => {}
        Err(other) => panic!("{what}: unexpected {other:?}"),
    }
}

#[test]
fn damaged_pdfs_never_panic() {
    let mut seed = 42;
    for rel in [MUSTANG_PDF, AVOIR_PDF] {
        let pdf = fixture(rel);
        for i in 0..30 {
            let cut = pdf.len() * i / 30;
            assert_handled(
                extract_xml(&pdf[..cut], 1 << 20),
                &format!("{rel} cut {cut}"),
            );
            let _ = detect(&pdf[..cut]);
        }
        for _ in 0..100 {
            let mut flipped = pdf.clone();
            let flips = 1 + lcg(&mut seed) % 8;
            for _ in 0..flips {
                let at = (lcg(&mut seed) as usize) % flipped.len();
                flipped[at] ^= 1 << (lcg(&mut seed) % 8);
            }
            assert_handled(extract_xml(&flipped, 1 << 20), &format!("{rel} flipped"));
        }
    }
}
