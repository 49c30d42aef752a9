//! The invoice XML inside a Factur-X / ZUGFeRD / XRechnung PDF.
//!
//! Such a PDF is a PDF/A-3 carrying the XML as an associated file: a file
//! specification listed in the catalog's `/Names /EmbeddedFiles` name tree
//! and/or its `/AF` array, whose `/EF` entry holds the embedded file stream.
//! We look the file up by its conventional name, decompress it under a cap,
//! and hand the bytes to the XML readers. The PDF comes from outside, so the
//! whole lookup runs under `catch_unwind`: no input may panic the process.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use super::DocumentError;

/// Largest PDF looked at, whatever the caller's XML cap: parsing keeps the
/// whole file and its objects in memory.
pub const MAX_PDF_BYTES: usize = 256 * 1024 * 1024;

/// Cap on any object or cross-reference stream lopdf inflates while loading.
const MAX_OBJECT_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// Name-tree nodes visited at most, so a crafted tree cannot loop or explode.
const MAX_TREE_NODES: usize = 10_000;

/// The conventional names of the invoice attachment, in order of preference
/// (compared case-insensitively, so `ZUGFeRD-invoice.xml` matches too).
const INVOICE_FILE_NAMES: [&str; 3] = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

/// An embedded file found in the PDF: its name and its stream object.
struct Attachment {
    name: String,
    stream: ObjectId,
}

/// The embedded invoice XML of a Factur-X / ZUGFeRD / XRechnung PDF,
/// decompressed and at most `max_bytes` long.
///
/// The attachment is the one named `factur-x.xml`, `zugferd-invoice.xml`
/// or `xrechnung.xml`, else the only embedded `.xml` file. A PDF without one
/// is `UnknownFormat`; a PDF that does not parse is `Malformed`; an input
/// over [`MAX_PDF_BYTES`] or an XML over `max_bytes` is `Unsafe`.
pub fn extract_xml(pdf: &[u8], max_bytes: u64) -> Result<Vec<u8>, DocumentError> {
    if pdf.len() > MAX_PDF_BYTES {
        return Err(DocumentError::Unsafe {
            message: format!("PDF larger than {MAX_PDF_BYTES} bytes"),
        });
    }
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    match catch_unwind(AssertUnwindSafe(|| extract_unguarded(pdf, cap))) {
        Ok(result) => result,
        Err(_) => Err(DocumentError::malformed(
            "pdf",
            "the PDF could not be parsed (parser failure)",
        )),
    }
}

fn extract_unguarded(pdf: &[u8], cap: usize) -> Result<Vec<u8>, DocumentError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_OBJECT_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(pdf, options)
        .map_err(|e| DocumentError::malformed("pdf", format!("not a readable PDF: {e}")))?;
    let catalog = doc
        .catalog()
        .map_err(|e| DocumentError::malformed("pdf:/Root", format!("no document catalog: {e}")))?;
    let attachments = attachments(&doc, catalog);
    let chosen = choose(&attachments).ok_or_else(|| no_invoice_xml(&attachments))?;
    let path = format!("pdf:/EmbeddedFiles/{}", chosen.name);
    let stream = doc
        .get_object(chosen.stream)
        .and_then(Object::as_stream)
        .map_err(|e| DocumentError::malformed(&path, format!("not a file stream: {e}")))?;
    stream.get_plain_content_with_limit(cap).map_err(|e| {
        if matches!(
            e,
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
        ) {
            DocumentError::Unsafe {
                message: format!("embedded {} larger than {cap} bytes", chosen.name),
            }
        } else {
            DocumentError::malformed(&path, format!("cannot decompress: {e}"))
        }
    })
}

fn no_invoice_xml(attachments: &[Attachment]) -> DocumentError {
    let message = if attachments.is_empty() {
        "the PDF carries no Factur-X/ZUGFeRD XML (no embedded files)".to_string()
    } else {
        let names: Vec<&str> = attachments.iter().map(|a| a.name.as_str()).collect();
        format!(
            "the PDF carries no Factur-X/ZUGFeRD XML (embedded files: {})",
            names.join(", ")
        )
    };
    DocumentError::UnknownFormat { message }
}

/// The invoice attachment: a conventional name first, else a lone `.xml`.
fn choose(attachments: &[Attachment]) -> Option<&Attachment> {
    for wanted in INVOICE_FILE_NAMES {
        if let Some(a) = attachments
            .iter()
            .find(|a| base_name(&a.name).eq_ignore_ascii_case(wanted))
        {
            return Some(a);
        }
    }
    let mut xml = attachments
        .iter()
        .filter(|a| base_name(&a.name).to_ascii_lowercase().ends_with(".xml"));
    match (xml.next(), xml.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Every embedded file reachable from the catalog's `/AF` array and its
/// `/Names /EmbeddedFiles` tree, each stream once.
fn attachments(doc: &Document, catalog: &Dictionary) -> Vec<Attachment> {
    let mut specs: Vec<(Option<String>, &Dictionary)> = Vec::new();
    if let Some(af) = deref(doc, catalog.get(b"AF").ok()).and_then(|o| o.as_array().ok()) {
        for spec in af {
            if let Some(dict) = deref(doc, Some(spec)).and_then(|o| o.as_dict().ok()) {
                specs.push((None, dict));
            }
        }
    }
    let tree = deref(doc, catalog.get(b"Names").ok())
        .and_then(|o| o.as_dict().ok())
        .and_then(|names| deref(doc, names.get(b"EmbeddedFiles").ok()))
        .and_then(|o| o.as_dict().ok());
    if let Some(root) = tree {
        let mut budget = MAX_TREE_NODES;
        walk_name_tree(doc, root, &mut budget, &mut specs);
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (key, spec) in specs {
        let Some(stream) = embedded_stream(doc, spec) else {
            continue;
        };
        if !seen.insert(stream) {
            continue;
        }
        let name = text(doc, spec.get(b"UF").ok())
            .or_else(|| text(doc, spec.get(b"F").ok()))
            .or(key)
            .unwrap_or_default();
        out.push(Attachment { name, stream });
    }
    out
}

/// Collects the (key, file specification) pairs of a name tree, depth first.
fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    budget: &mut usize,
    out: &mut Vec<(Option<String>, &'a Dictionary)>,
) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    if let Some(names) = deref(doc, node.get(b"Names").ok()).and_then(|o| o.as_array().ok()) {
        for pair in names.chunks(2) {
            if let [key, value] = pair {
                if let Some(spec) = deref(doc, Some(value)).and_then(|o| o.as_dict().ok()) {
                    out.push((text(doc, Some(key)), spec));
                }
            }
        }
    }
    if let Some(kids) = deref(doc, node.get(b"Kids").ok()).and_then(|o| o.as_array().ok()) {
        for kid in kids {
            if let Some(kid) = deref(doc, Some(kid)).and_then(|o| o.as_dict().ok()) {
                walk_name_tree(doc, kid, budget, out);
            }
        }
    }
}

/// The embedded file stream of a file specification (`/EF /UF` or `/EF /F`).
fn embedded_stream(doc: &Document, spec: &Dictionary) -> Option<ObjectId> {
    let ef = deref(doc, spec.get(b"EF").ok())?.as_dict().ok()?;
    [b"UF".as_slice(), b"F".as_slice()]
        .into_iter()
        .filter_map(|key| ef.get(key).ok())
        .find_map(|o| o.as_reference().ok())
}

fn deref<'a>(doc: &'a Document, object: Option<&'a Object>) -> Option<&'a Object> {
    doc.dereference(object?).ok().map(|(_, o)| o)
}

fn text(doc: &Document, object: Option<&Object>) -> Option<String> {
    lopdf::decode_text_string(deref(doc, object)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_empty_input_are_malformed_not_panics() {
        for input in [&b""[..], b"%PDF-1.7\n", b"hello", &[0xffu8; 64][..]] {
            assert!(
                matches!(
                    extract_xml(input, 1 << 20),
                    Err(DocumentError::Malformed { .. })
                ),
                "{input:?}"
            );
        }
    }

    #[test]
    fn the_conventional_name_wins_over_other_xml_files() {
        let a = |name: &str, n: u32| Attachment {
            name: name.into(),
            stream: (n, 0),
        };
        let files = [a("other.xml", 1), a("ZUGFeRD-invoice.xml", 2)];
        assert_eq!(choose(&files).map(|a| a.stream), Some((2, 0)));
        let files = [a("invoice.XML", 1), a("logo.png", 2)];
        assert_eq!(choose(&files).map(|a| a.stream), Some((1, 0)));
        let files = [a("a.xml", 1), a("b.xml", 2)];
        assert!(choose(&files).is_none());
        assert!(matches!(
            no_invoice_xml(&files),
            DocumentError::UnknownFormat { message } if message.contains("a.xml, b.xml")
        ));
    }
}
