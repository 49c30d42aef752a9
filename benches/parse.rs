//! Parsing speed of the e-invoice readers on typical invoices (issue 3:
//! at least 20,000 UBL and 20,000 CII invoices/s on one core).
//!
//! `cargo bench --bench parse`; throughput is printed as elements/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use factorgate::formats::einvoice::cii::read_cii;
use factorgate::formats::einvoice::ubl::read_ubl;
use factorgate::formats::xml::Limits;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(c: &mut Criterion) {
    let cases = [
        (
            "ubl/XRechnung 2 lines",
            "ubl/ZUGFeRD-mustangproject__XRECHNUNG_Einfach.ubl.xml",
            true,
        ),
        (
            "ubl/PEPPOL base 2 lines",
            "ubl/OpenPEPPOL-peppol-bis-invoice-3__base-example.xml",
            true,
        ),
        (
            "cii/Factur-X 3 lines",
            "cii/ZUGFeRD-mustangproject__factur-x.xml",
            false,
        ),
        (
            "cii/XRechnung 2 lines",
            "cii/itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_uncefact.xml",
            false,
        ),
    ];
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(1));
    for (name, path, ubl) in cases {
        let bytes = fixture(path);
        group.bench_function(name, |b| {
            b.iter(|| {
                let doc = if ubl {
                    read_ubl(&bytes[..], Limits::default())
                } else {
                    read_cii(&bytes[..], Limits::default())
                };
                std::hint::black_box(doc.map(|d| d.number.len()).unwrap_or(0))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
