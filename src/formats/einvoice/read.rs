//! One way in for every invoice format: detect the format from the content
//! (never the file name, which users get wrong), then read it as a stream
//! of documents.
//!
//! The outer `Err` of [`read_documents`] means the input as a whole could
//! not be opened (unknown format, over the size cap, a PDF without invoice
//! XML, a JSON syntax error, a bad CSV header); each item's `Err` is one
//! document that could not be read.

use std::io::{BufRead, Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

use super::model::EInvoice;
use super::{cii, csv, facturx_pdf, json, ubl, DocumentError};
use crate::formats::xml::Limits;

/// What an input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "ubl")]
    Ubl,
    #[serde(rename = "cii")]
    Cii,
    #[serde(rename = "facturx_pdf")]
    FacturXPdf,
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "jsonl")]
    JsonLines,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ubl => "ubl",
            Format::Cii => "cii",
            Format::FacturXPdf => "facturx_pdf",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
        }
    }
}

/// Bytes looked at to detect the format.
pub const DETECT_BYTES: usize = 64 * 1024;

fn unknown(message: impl Into<String>) -> DocumentError {
    DocumentError::UnknownFormat {
        message: message.into(),
    }
}

/// The format of an input, from its first bytes ([`DETECT_BYTES`] are
/// plenty): `%PDF-` is a Factur-X PDF; XML is UBL (root `Invoice` or
/// `CreditNote`) or CII (`CrossIndustryInvoice`); `{` / `[` is JSON, or
/// JSON Lines when a complete object on the first line is followed by a
/// line starting with `{`; UTF-8 text with `,` `;` tab or `|` in its first
/// line is CSV. Anything else is `UnknownFormat`.
pub fn detect(head: &[u8]) -> Result<Format, DocumentError> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(unknown("UTF-16 text: send UTF-8"));
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body.trim_ascii_start();
    match start.first() {
        None => Err(unknown("the input is empty")),
        Some(_) if start.starts_with(b"%PDF-") => Ok(Format::FacturXPdf),
        Some(b'<') => xml_format(start),
        Some(b'{' | b'[') => Ok(json_format(start)),
        Some(_) => csv_format(body),
    }
}

/// UBL or CII by the root element's local name.
fn xml_format(head: &[u8]) -> Result<Format, DocumentError> {
    let mut reader = Reader::from_reader(head);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                return match local.as_str() {
                    "Invoice" | "CreditNote" => Ok(Format::Ubl),
                    "CrossIndustryInvoice" => Ok(Format::Cii),
                    _ => Err(unknown(format!(
                        "XML with root element {local}, not an invoice (Invoice, CreditNote or CrossIndustryInvoice)"
                    ))),
                };
            }
            Ok(Event::Eof) => {
                return Err(unknown(format!(
                    "XML without a root element in its first {} bytes",
                    head.len()
                )))
            }
            Ok(_) => {}
            Err(e) => {
                return Err(DocumentError::malformed(
                    "/",
                    format!("not well-formed XML before the root element: {e}"),
                ))
            }
        }
    }
}

fn json_format(head: &[u8]) -> Format {
    if head.first() != Some(&b'{') {
        return Format::Json;
    }
    let Some(newline) = head.iter().position(|b| *b == b'\n') else {
        return Format::Json;
    };
    let first_is_whole = serde_json::from_slice::<serde::de::IgnoredAny>(&head[..newline]).is_ok();
    let next_is_object = head[newline..].trim_ascii_start().first() == Some(&b'{');
    if first_is_whole && next_is_object {
        Format::JsonLines
    } else {
        Format::Json
    }
}

fn csv_format(body: &[u8]) -> Result<Format, DocumentError> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        // The head may end inside a character: judge what came before.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Err(unknown("binary content, or text that is not UTF-8")),
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\u{c}'))
    {
        return Err(unknown("binary content"));
    }
    let first = text.lines().next().unwrap_or("");
    if first.contains([',', ';', '\t', '|']) {
        Ok(Format::Csv)
    } else {
        Err(unknown(
            "text without a delimiter (, ; tab |) in its first line: not a CSV header",
        ))
    }
}

/// How to read: XML caps (also the cap on whole-document formats) and the
/// CSV layout.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub limits: Limits,
    pub csv_mapping: csv::CsvMapping,
}

type Documents<'a> = Box<dyn Iterator<Item = Result<EInvoice, DocumentError>> + Send + 'a>;

/// Detects the format of `input` and reads its documents: UBL and CII one
/// document; a Factur-X PDF the UBL/CII document it carries; CSV and JSON
/// Lines a stream, one document per row/line; JSON the object or array.
/// Whole-document formats (PDF, JSON) over `limits.max_bytes` are `Unsafe`.
///
/// The first [`DETECT_BYTES`] are read ahead to detect the format and put
/// back in front of the rest, so nothing is lost whatever the caller's
/// buffer size.
pub fn read_documents<'a, R: BufRead + Send + 'a>(
    mut input: R,
    options: &'a ReadOptions,
) -> Result<(Format, Documents<'a>), DocumentError> {
    let mut head = Vec::with_capacity(DETECT_BYTES.min(8192));
    (&mut input)
        .take(DETECT_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let format = detect(&head)?;
    let input = Cursor::new(head).chain(input);
    let limits = options.limits;
    let documents: Documents<'a> = match format {
        Format::Ubl => Box::new(std::iter::once_with(move || ubl::read_ubl(input, limits))),
        Format::Cii => Box::new(std::iter::once_with(move || cii::read_cii(input, limits))),
        Format::FacturXPdf => {
            let pdf = read_capped(input, limits.max_bytes, "PDF")?;
            let xml = facturx_pdf::extract_xml(&pdf, limits.max_bytes)?;
            drop(pdf);
            match detect(&xml)? {
                Format::Ubl => Box::new(std::iter::once_with(move || {
                    ubl::read_ubl(xml.as_slice(), limits)
                })),
                Format::Cii => Box::new(std::iter::once_with(move || {
                    cii::read_cii(xml.as_slice(), limits)
                })),
                other => {
                    return Err(unknown(format!(
                        "the PDF's embedded invoice file is {}, not UBL or CII XML",
                        other.as_str()
                    )))
                }
            }
        }
        Format::Json => {
            let bytes = read_capped(input, limits.max_bytes, "JSON document")?;
            Box::new(json::read_json_each(&bytes)?.into_iter())
        }
        Format::JsonLines => Box::new(json::read_json_lines(input)),
        Format::Csv => Box::new(csv::read_csv(input, &options.csv_mapping)?),
    };
    Ok((format, documents))
}

fn io_error(e: std::io::Error) -> DocumentError {
    DocumentError::malformed("input", format!("cannot read: {e}"))
}

/// The whole input, refused past `max` bytes.
fn read_capped(input: impl Read, max: u64, what: &str) -> Result<Vec<u8>, DocumentError> {
    let mut bytes = Vec::new();
    input
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > max {
        return Err(DocumentError::Unsafe {
            message: format!("{what} larger than {max} bytes"),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_content() {
        let ok = |s: &[u8]| detect(s).map_err(|e| e.to_string());
        assert_eq!(ok(b"%PDF-1.7\n"), Ok(Format::FacturXPdf));
        assert_eq!(
            ok(b"\xEF\xBB\xBF <?xml version=\"1.0\"?>\n<!-- c --><ubl:Invoice xmlns:ubl=\"x\">"),
            Ok(Format::Ubl)
        );
        assert_eq!(ok(b"<CreditNote>"), Ok(Format::Ubl));
        assert_eq!(
            ok(b"<rsm:CrossIndustryInvoice xmlns:rsm=\"u\">"),
            Ok(Format::Cii)
        );
        assert_eq!(ok(b"[{\"a\":1}]"), Ok(Format::Json));
        assert_eq!(ok(b"{\n  \"a\": 1\n}\n"), Ok(Format::Json));
        assert_eq!(ok(b"{\"a\":1}\n"), Ok(Format::Json));
        assert_eq!(ok(b"{\"a\":1}\n\n{\"a\":2}\n"), Ok(Format::JsonLines));
        assert_eq!(ok(b"a;b;c\n1;2;3\n"), Ok(Format::Csv));
        let err = ok(b"<Document xmlns=\"camt\">").unwrap_err();
        assert!(err.contains("root element Document"), "{err}");
        for bad in [
            &b""[..],
            b"  \n",
            b"hello world\n",
            b"\x00\x01\x02a,b",
            b"\xFF\xFEa\x00",
        ] {
            assert!(
                matches!(detect(bad), Err(DocumentError::UnknownFormat { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_serialise_as_their_names() {
        for f in [
            Format::Ubl,
            Format::Cii,
            Format::FacturXPdf,
            Format::Csv,
            Format::Json,
            Format::JsonLines,
        ] {
            assert_eq!(
                serde_json::to_value(f).ok(),
                Some(serde_json::Value::from(f.as_str()))
            );
        }
    }

    #[test]
    fn the_detected_head_is_not_lost() {
        let options = ReadOptions::default();
        let csv = "seller_vat,number,issue_date,currency,buyer_name,net,tax,gross\n\
                   FR1,F-1,2026-03-01,EUR,B,1,0,1\n";
        // A one-byte buffer: the head is read ahead, not peeked.
        let input = std::io::BufReader::with_capacity(1, csv.as_bytes());
        let (format, docs) = read_documents(input, &options).expect("opens");
        assert_eq!(format, Format::Csv);
        let docs: Vec<_> = docs.collect();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].as_ref().map(|d| d.number.as_str()), Ok("F-1"));
    }

    #[test]
    fn whole_documents_over_the_cap_are_unsafe() {
        let options = ReadOptions {
            limits: Limits {
                max_bytes: 10,
                max_depth: 8,
            },
            ..ReadOptions::default()
        };
        let json = br#"[{"number":"a long enough document"}]"#;
        assert!(matches!(
            read_documents(&json[..], &options).map(|(f, _)| f),
            Err(DocumentError::Unsafe { .. })
        ));
    }
}
