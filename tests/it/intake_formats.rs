//! Intake formats: Factur-X PDF extraction on real files, format detection
//! on every fixture, the CSV / JSON / JSON Lines formats field by field,
//! their error paths, robustness on damaged PDFs, and CSV streaming.

mod flat;
mod pdf;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use factorgate::formats::einvoice::read::{detect, read_documents, Format, ReadOptions};
use factorgate::formats::einvoice::{DocumentError, Line, SchemedId};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const MUSTANG_PDF: &str = "cii/ZUGFeRD-mustangproject__MustangBeispiel20221026.pdf";
const AVOIR_PDF: &str = "cii/ZUGFeRD-mustangproject__validAvoir_FR_type380_BASICWL.pdf";

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn id(value: &str, scheme: &str) -> SchemedId {
    SchemedId {
        value: value.into(),
        scheme: Some(scheme.into()),
    }
}

fn one_line(net: Decimal) -> Vec<Line> {
    vec![Line {
        id: "1".into(),
        net_amount: net,
    }]
}

fn malformed_path(result: Result<impl std::fmt::Debug, DocumentError>) -> (String, String) {
    match result {
        Err(DocumentError::Malformed { path, message }) => (path, message),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

const HEADER: &str = "seller_vat,number,issue_date,currency,buyer_name,net,tax,gross";

// ---- detection ----

fn files_in(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(fixtures().join(dir))
        .expect("fixture dir")
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).expect("reads");
            (name, bytes)
        })
        // A fixture directory's provenance list is not a fixture.
        .filter(|(name, _)| name != "SOURCES.tsv")
        .collect();
    out.sort();
    out
}

fn head(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes
        .len()
        .min(factorgate::formats::einvoice::read::DETECT_BYTES)]
}

#[test]
fn every_fixture_is_detected_by_content() {
    let ubl = files_in("ubl");
    assert!(ubl.len() >= 20);
    for (name, bytes) in &ubl {
        assert_eq!(detect(head(bytes)).ok(), Some(Format::Ubl), "{name}");
    }
    let cii = files_in("cii");
    for (name, bytes) in &cii {
        let expected = if name.ends_with(".pdf") {
            Format::FacturXPdf
        } else {
            Format::Cii
        };
        assert_eq!(detect(head(bytes)).ok(), Some(expected), "{name}");
    }
    assert_eq!(cii.iter().filter(|(n, _)| n.ends_with(".pdf")).count(), 2);
    let camt = files_in("camt");
    assert!(camt.len() >= 20);
    for (name, bytes) in &camt {
        let root = if name.starts_with("prowide") {
            "message"
        } else {
            "Document"
        };
        match detect(head(bytes)) {
            Err(DocumentError::UnknownFormat { message }) => assert!(
                message.contains(&format!("root element {root}")),
                "{name}: {message}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
    let expected = [
        ("factures_fr.csv", Format::Csv),
        ("invoices.csv", Format::Csv),
        ("invoices.json", Format::Json),
        ("invoices.jsonl", Format::JsonLines),
    ];
    for (name, format) in expected {
        assert_eq!(
            detect(&fixture(&format!("intake/{name}"))).ok(),
            Some(format),
            "{name}"
        );
    }
}

// ---- streaming ----

/// 200,000 CSV rows made on the fly, never held in memory as a whole.
struct GeneratedCsv {
    rows: usize,
    next: usize,
    pending: Vec<u8>,
    offset: usize,
}

impl Read for GeneratedCsv {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.offset == self.pending.len() {
            self.pending.clear();
            self.offset = 0;
            if self.next == 0 {
                self.pending.extend_from_slice(HEADER.as_bytes());
                self.pending.push(b'\n');
            } else if self.next <= self.rows {
                let n = self.next;
                let row =
                    format!("FR32123456789,F-{n},2026-03-01,EUR,Buyer {n},{n}.00,0.50,{n}.50\n");
                self.pending.extend_from_slice(row.as_bytes());
            } else {
                return Ok(0);
            }
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.offset);
        buf[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[test]
fn a_large_csv_streams_row_by_row() {
    const ROWS: usize = 200_000;
    let source = GeneratedCsv {
        rows: ROWS,
        next: 0,
        pending: Vec::new(),
        offset: 0,
    };
    let options = ReadOptions::default();
    let (format, docs) = read_documents(BufReader::new(source), &options).expect("opens");
    assert_eq!(format, Format::Csv);
    let mut count = 0usize;
    let mut payable = Decimal::ZERO;
    let mut last = String::new();
    for doc in docs {
        let doc = doc.expect("row reads");
        count += 1;
        payable += doc.totals.payable.unwrap_or_default();
        if count == ROWS {
            last = doc.number;
        }
    }
    assert_eq!(count, ROWS);
    assert_eq!(last, format!("F-{ROWS}"));
    // sum of n + 0.50 for n = 1..=ROWS
    let n = Decimal::from(ROWS as u64);
    assert_eq!(payable, n * (n + Decimal::ONE) / dec!(2) + n * dec!(0.50));
}
