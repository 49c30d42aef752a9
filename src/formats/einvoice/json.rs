//! The invoice JSON: an object, or an array of objects, whose fields are the
//! CSV columns (see [`super::csv`]), plus optional
//! `"lines": [{"id": "1", "net_amount": "100.00"}]`. Also JSON Lines, one
//! object per line, read as a stream.
//!
//! Amounts are strings (`"1234.56"`) or JSON numbers; a number travels
//! through a double, so one with more than 15 significant digits is refused
//! (write it as a string). Dates are `YYYY-MM-DD`. Unknown fields are
//! refused, naming them. Each object maps to an [`EInvoice`] exactly as a
//! CSV row does ([`FlatInvoice::to_einvoice`]: same defaults, same
//! synthesised line when no lines are given, profile "json").
//!
//! Error paths: `field net` (a single object), `invoice 2, field net` (an
//! array), `line 7, field net` (JSON Lines); syntax errors give
//! `line L, column C`.

use std::io::{BufRead, Read};

use serde_json::{Map, Number, Value};

use super::csv::{Column, FlatInvoice, FlatLine, ValueStyle};
use super::model::{EInvoice, Syntax};
use super::DocumentError;

/// Longest JSON Lines line accepted, so a file without newlines cannot
/// fill memory.
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// Every invoice of a JSON document; the first bad one fails the read.
pub fn read_json(bytes: &[u8]) -> Result<Vec<EInvoice>, DocumentError> {
    read_json_each(bytes)?.into_iter().collect()
}

/// Every invoice of a JSON document, each with its own outcome; `Err` only
/// when the document itself is not JSON or not an object / array of objects.
pub fn read_json_each(bytes: &[u8]) -> Result<Vec<Result<EInvoice, DocumentError>>, DocumentError> {
    let value: Value = serde_json::from_slice(bytes).map_err(syntax_error)?;
    match value {
        Value::Object(map) => Ok(vec![from_object(&map, "")]),
        Value::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => from_object(map, &format!("invoice {}, ", i + 1)),
                other => Err(DocumentError::malformed(
                    format!("invoice {}", i + 1),
                    format!("expected an invoice object, found {}", kind(other)),
                )),
            })
            .collect()),
        other => Err(DocumentError::malformed(
            "/",
            format!(
                "expected an invoice object or an array of them, found {}",
                kind(&other)
            ),
        )),
    }
}

/// The invoices of a JSON Lines input, read one line at a time. Blank
/// lines are skipped; a bad line is an `Err` item and reading goes on; an
/// I/O error or an over-long line ends the iteration.
pub fn read_json_lines<R: BufRead>(
    input: R,
) -> impl Iterator<Item = Result<EInvoice, DocumentError>> {
    JsonLines {
        input,
        buf: Vec::new(),
        line: 0,
        finished: false,
    }
}

struct JsonLines<R> {
    input: R,
    buf: Vec<u8>,
    line: u64,
    finished: bool,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<EInvoice, DocumentError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            self.buf.clear();
            self.line += 1;
            let at = format!("line {}", self.line);
            let read = (&mut self.input)
                .take(MAX_LINE_BYTES + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Err(e) => {
                    self.finished = true;
                    return Some(Err(DocumentError::malformed(
                        at,
                        format!("cannot read on: {e}"),
                    )));
                }
                Ok(0) => self.finished = true,
                Ok(_) if self.buf.len() as u64 > MAX_LINE_BYTES => {
                    self.finished = true;
                    return Some(Err(DocumentError::Unsafe {
                        message: format!("{at} is longer than {MAX_LINE_BYTES} bytes"),
                    }));
                }
                Ok(_) => {
                    let mut text = self.buf.as_slice();
                    if self.line == 1 {
                        text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
                    }
                    let text = text.trim_ascii();
                    if text.is_empty() {
                        continue;
                    }
                    let parsed = match serde_json::from_slice::<Value>(text) {
                        Ok(Value::Object(map)) => from_object(&map, &format!("{at}, ")),
                        Ok(other) => Err(DocumentError::malformed(
                            at,
                            format!("expected an invoice object, found {}", kind(&other)),
                        )),
                        Err(e) => Err(DocumentError::malformed(
                            format!("line {}, column {}", self.line, e.column()),
                            e.to_string(),
                        )),
                    };
                    return Some(parsed);
                }
            }
        }
        None
    }
}

fn syntax_error(e: serde_json::Error) -> DocumentError {
    DocumentError::malformed(
        format!("line {}, column {}", e.line(), e.column()),
        e.to_string(),
    )
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON number as decimal text, refused when a double cannot have kept
/// every digit it was written with.
fn number_text(n: &Number) -> Result<String, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i.to_string());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.to_string());
    }
    let text = n.to_string();
    let significant = text
        .split(['e', 'E'])
        .next()
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    if significant > 15 || text.contains(['e', 'E']) {
        return Err(format!(
            "{text} cannot be read exactly from a JSON number: write it as a string"
        ));
    }
    Ok(text)
}

/// The text of a field: a string, or a number where numbers are allowed.
fn field_text(value: &Value, numbers: bool) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) if numbers => number_text(n).map(Some),
        other => Err(format!(
            "expected {}, found {}",
            if numbers {
                "a string or a number"
            } else {
                "a string"
            },
            kind(other)
        )),
    }
}

fn from_object(map: &Map<String, Value>, prefix: &str) -> Result<EInvoice, DocumentError> {
    let at = |field: &str| format!("{prefix}field {field}");
    let mut flat = FlatInvoice::new();
    for (key, value) in map {
        if key == "lines" {
            flat.lines = lines(value, &at)?;
            continue;
        }
        let Some(column) = Column::ALL.iter().copied().find(|c| c.name() == key) else {
            return Err(DocumentError::malformed(
                at(key),
                format!("unknown field {key:?}"),
            ));
        };
        let numbers = column.is_amount() || column == Column::TypeCode;
        let text = field_text(value, numbers).map_err(|m| DocumentError::malformed(at(key), m))?;
        if let Some(text) = text {
            flat.set(column, &text);
        }
    }
    flat.to_einvoice(Syntax::Json, &ValueStyle::default(), &at)
}

fn lines(value: &Value, at: &dyn Fn(&str) -> String) -> Result<Vec<FlatLine>, DocumentError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(DocumentError::malformed(
                at("lines"),
                format!("expected an array of lines, found {}", kind(other)),
            ))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = |field: &str| at(&format!("lines[{i}].{field}"));
        let Value::Object(map) = item else {
            return Err(DocumentError::malformed(
                at(&format!("lines[{i}]")),
                format!("expected a line object, found {}", kind(item)),
            ));
        };
        let mut line = FlatLine::default();
        for (key, value) in map {
            let slot = match key.as_str() {
                "id" => &mut line.id,
                "net_amount" => &mut line.net_amount,
                _ => {
                    return Err(DocumentError::malformed(
                        here(key),
                        format!("unknown field {key:?} (a line has id and net_amount)"),
                    ))
                }
            };
            let text =
                field_text(value, true).map_err(|m| DocumentError::malformed(here(key), m))?;
            *slot = text.unwrap_or_default();
        }
        if line.net_amount.trim().is_empty() {
            return Err(DocumentError::malformed(
                here("net_amount"),
                "net_amount is required",
            ));
        }
        out.push(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const MIN: &str = r#""seller_vat":"FR1","number":"F-1","issue_date":"2026-03-01","currency":"EUR","buyer_name":"B","net":100,"tax":"20.00","gross":120.0"#;

    #[test]
    fn numbers_and_strings_both_read_as_amounts() {
        let docs = read_json(format!("{{{MIN}}}").as_bytes()).expect("reads");
        assert_eq!(docs[0].totals.tax_exclusive, Some(dec!(100)));
        assert_eq!(docs[0].totals.tax_inclusive, Some(dec!(120)));
        assert_eq!(docs[0].profile.as_deref(), Some("json"));
    }

    #[test]
    fn numbers_a_double_cannot_hold_are_refused() {
        assert!(number_text(&Number::from_f64(1234.56).expect("finite")).is_ok());
        let long: Value = serde_json::from_str("12345678901234567.5").expect("json");
        let Value::Number(n) = long else {
            panic!("number")
        };
        assert!(number_text(&n).is_err());
    }

    #[test]
    fn explicit_lines_replace_the_synthesised_one() {
        let text = format!(
            r#"{{{MIN},"lines":[{{"id":"a","net_amount":"60"}},{{"id":2,"net_amount":40}}]}}"#
        );
        let d = &read_json(text.as_bytes()).expect("reads")[0];
        assert_eq!(d.lines.len(), 2);
        assert_eq!(d.lines[1].id, "2");
        assert_eq!(d.totals.line_total, Some(dec!(100)));
    }

    #[test]
    fn an_endless_line_is_refused() {
        let input = std::io::BufReader::new(std::io::repeat(b' ').take(MAX_LINE_BYTES + 10));
        let r: Vec<_> = read_json_lines(input).collect();
        assert_eq!(r.len(), 1);
        assert!(matches!(&r[0], Err(DocumentError::Unsafe { .. })), "{r:?}");
    }

    #[test]
    fn line_errors_name_the_line_field() {
        let text = format!(r#"[{{{MIN},"lines":[{{"id":"1","net":"60"}}]}}]"#);
        match read_json(text.as_bytes()) {
            Err(DocumentError::Malformed { path, .. }) => {
                assert_eq!(path, "invoice 1, field lines[0].net")
            }
            other => panic!("{other:?}"),
        }
    }
}
