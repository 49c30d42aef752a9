//! The invoice CSV: one row per invoice, no line detail, read as a stream
//! (one record buffer reused), so a million rows take no more memory than one.
//!
//! Columns (header row required, any order, names ASCII case-insensitive;
//! only the columns marked * are required in the header and in every row):
//!
//! | column | EN 16931 | notes |
//! |---|---|---|
//! | `seller_vat` | BT-31 | * one of `seller_vat` / `seller_siren` |
//! | `seller_siren` | BT-30 | SIREN, 9 digits, scheme 0002 |
//! | `seller_name` | BT-27 | optional (the flat formats' seller is usually the sender) |
//! | `number` * | BT-1 | |
//! | `type_code` | BT-3 | UNTDID 1001, default 380 (381 credit note) |
//! | `issue_date` * | BT-2 | `date_format`, default YYYY-MM-DD |
//! | `due_date` | BT-9 | |
//! | `payment_terms` | BT-20 | |
//! | `currency` * | BT-5 | ISO 4217 |
//! | `buyer_name` * | BT-44 | |
//! | `buyer_country` | BT-55 | ISO 3166-1 alpha-2 |
//! | `buyer_vat` | BT-48 | |
//! | `buyer_siren` | BT-47 | scheme 0002 (goes to BT-46 when a SIRET is given too) |
//! | `buyer_siret` | BT-47 | 14 digits, scheme 0009 |
//! | `buyer_gln` | BT-46 | scheme 0088 |
//! | `buyer_duns` | BT-46 | scheme 0060 |
//! | `buyer_lei` | BT-46 | scheme 0199 |
//! | `line_total` | BT-106 | default net + allowances - charges |
//! | `allowances` | BT-107 | |
//! | `charges` | BT-108 | |
//! | `net` * | BT-109 | |
//! | `tax` * | BT-110 | |
//! | `gross` * | BT-112 | |
//! | `prepaid` | BT-113 | |
//! | `rounding` | BT-114 | |
//! | `payable` | BT-115 | default gross - prepaid + rounding |
//! | `buyer_reference` | BT-10 | |
//! | `order_reference` | BT-13 | |
//! | `credited_invoice` | BT-25 | the invoice a credit note corrects |
//! | `payee_name` | BT-59 | a payee (a factor) is set when any payee column is |
//! | `payee_vat` | BT-63 | |
//! | `payee_siren` | BT-61 | scheme 0002 |
//! | `seller_iban` | BT-84 | spaces removed |
//! | `profile` | BT-24 | default "csv" |
//!
//! Amounts have at most 2 decimals. Each row also gets ONE synthesised line
//! (id "1", net = line_total): see [`FlatInvoice::to_einvoice`].
//!
//! A mapping file (TOML, [`CsvMapping`]) adapts the reader to another
//! export without converting it:
//!
//! ```toml
//! delimiter = ";"            # one ASCII character, default ","
//! decimal_separator = ","    # "." (default) or ","; with "," the thousands
//!                            # may be grouped by "." or spaces
//! date_format = "%d/%m/%Y"   # chrono strftime, default "%Y-%m-%d"
//! ignore = ["Commentaire"]   # their columns to skip (else: unknown column)
//! [columns]                  # our column = "their header"
//! number = "Facture N°"
//! ```

pub mod flat;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::model::{EInvoice, Syntax};
use super::DocumentError;
pub use flat::{Column, FlatInvoice, FlatLine, ValueStyle};

/// The documented columns, in order (see the module documentation).
pub fn documented_columns() -> &'static [&'static str] {
    flat::NAMES
}

/// How a CSV export is laid out, when it is not our own header with
/// `,` / `.` / ISO dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvMapping {
    /// Field delimiter, one ASCII character.
    pub delimiter: char,
    /// `.` or `,`.
    pub decimal_separator: char,
    /// chrono strftime format of the date columns.
    pub date_format: String,
    /// Our column name -> their header.
    pub columns: BTreeMap<String, String>,
    /// Their headers to skip.
    pub ignore: Vec<String>,
}

impl Default for CsvMapping {
    fn default() -> Self {
        CsvMapping {
            delimiter: ',',
            decimal_separator: '.',
            date_format: "%Y-%m-%d".into(),
            columns: BTreeMap::new(),
            ignore: Vec::new(),
        }
    }
}

fn mapping_error(key: &str, message: String) -> DocumentError {
    DocumentError::malformed(format!("mapping, {key}"), message)
}

impl CsvMapping {
    /// Refuses a mapping the reader could not apply faithfully.
    pub fn validate(&self) -> Result<(), DocumentError> {
        let d = self.delimiter;
        if !d.is_ascii() || d.is_ascii_alphanumeric() || matches!(d, '"' | '\n' | '\r') {
            return Err(mapping_error(
                "delimiter",
                format!("{d:?} cannot delimit fields (one ASCII punctuation, space or tab)"),
            ));
        }
        if !matches!(self.decimal_separator, '.' | ',') {
            return Err(mapping_error(
                "decimal_separator",
                format!("{:?} is neither '.' nor ','", self.decimal_separator),
            ));
        }
        if !flat::valid_date_format(&self.date_format) {
            return Err(mapping_error(
                "date_format",
                format!(
                    "{:?} is not a strftime date format (e.g. %d/%m/%Y)",
                    self.date_format
                ),
            ));
        }
        let mut theirs: HashMap<String, &str> = HashMap::new();
        for (ours, header) in &self.columns {
            if Column::from_name(ours).is_none() {
                return Err(mapping_error(
                    &format!("columns.{ours}"),
                    format!("{ours:?} is not one of our columns"),
                ));
            }
            let key = normalise(header);
            if key.is_empty() {
                return Err(mapping_error(
                    &format!("columns.{ours}"),
                    "the header is empty".into(),
                ));
            }
            if let Some(other) = theirs.insert(key, ours) {
                return Err(mapping_error(
                    &format!("columns.{ours}"),
                    format!("{header:?} is already the header of {other}"),
                ));
            }
        }
        // A header that is the name of one of our columns left unrenamed
        // would be claimed by two columns.
        for (ours, header) in &self.columns {
            if let Some(other) = Column::from_name(header.trim()) {
                if Some(other) != Column::from_name(ours) && self.header_of(other) == other.name() {
                    return Err(mapping_error(
                        &format!("columns.{ours}"),
                        format!(
                            "{header:?} is also our column {}: rename it too",
                            other.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Their header for our column.
    fn header_of(&self, column: Column) -> &str {
        self.columns
            .iter()
            .find(|(ours, _)| Column::from_name(ours) == Some(column))
            .map_or(column.name(), |(_, theirs)| theirs.as_str())
    }

    fn style(&self) -> ValueStyle {
        ValueStyle {
            decimal_comma: self.decimal_separator == ',',
            date_format: self.date_format.clone(),
        }
    }
}

/// Reads and checks a mapping file.
pub fn load_mapping(text: &str) -> Result<CsvMapping, DocumentError> {
    let mapping: CsvMapping = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .and_then(|s| text.as_bytes().get(..s.start))
            .map_or(0, |before| {
                before.iter().filter(|b| **b == b'\n').count() + 1
            });
        DocumentError::malformed(format!("mapping, line {line}"), e.message().to_string())
    })?;
    mapping.validate()?;
    Ok(mapping)
}

/// Header comparison: trimmed, BOM removed, case folded.
fn normalise(header: &str) -> String {
    header.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// The invoices of a CSV, one per row, read as the iterator advances.
/// A bad row is an `Err` item and reading goes on with the next row; an
/// I/O error ends the iteration.
pub struct CsvInvoices<R: Read> {
    reader: ::csv::Reader<LineCapped<R>>,
    record: ::csv::StringRecord,
    /// Our column for each of their columns (None: ignored).
    layout: Vec<Option<Column>>,
    /// The header as written, by our column, for error paths.
    headers: HashMap<Column, String>,
    flat: FlatInvoice,
    style: ValueStyle,
    finished: bool,
}

/// Opens a CSV of invoices: reads and checks the header now (unknown,
/// duplicate or missing required columns are `Malformed`, naming the
/// column), the rows as the returned iterator is advanced.
pub fn read_csv<R: Read>(input: R, mapping: &CsvMapping) -> Result<CsvInvoices<R>, DocumentError> {
    mapping.validate()?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter as u8)
        .has_headers(true)
        .flexible(false)
        .from_reader(LineCapped {
            inner: input,
            run: 0,
        });
    let header = reader
        .headers()
        .map_err(|e| DocumentError::malformed("header", e.to_string()))?
        .clone();
    let by_header: HashMap<String, Column> = Column::ALL
        .iter()
        .map(|c| (normalise(mapping.header_of(*c)), *c))
        .collect();
    let ignored: Vec<String> = mapping.ignore.iter().map(|h| normalise(h)).collect();
    let mut layout = Vec::with_capacity(header.len());
    let mut headers = HashMap::new();
    for (i, cell) in header.iter().enumerate() {
        let key = normalise(cell);
        if ignored.contains(&key) {
            layout.push(None);
            continue;
        }
        let shown = cell.trim_start_matches('\u{feff}').trim();
        let Some(column) = by_header.get(&key).copied() else {
            let message = if key.is_empty() {
                format!("column {} has no name", i + 1)
            } else {
                format!("unknown column {shown:?} (known: {})", known(mapping))
            };
            return Err(DocumentError::malformed(
                format!("header, column {shown}"),
                message,
            ));
        };
        if headers.insert(column, shown.to_string()).is_some() {
            return Err(DocumentError::malformed(
                format!("header, column {shown}"),
                format!("column {shown:?} appears twice"),
            ));
        }
        layout.push(Some(column));
    }
    for column in Column::REQUIRED {
        if !headers.contains_key(column) {
            return Err(missing(mapping, &[*column]));
        }
    }
    if !headers.contains_key(&Column::SellerVat) && !headers.contains_key(&Column::SellerSiren) {
        return Err(missing(mapping, &[Column::SellerVat, Column::SellerSiren]));
    }
    Ok(CsvInvoices {
        reader,
        record: ::csv::StringRecord::new(),
        layout,
        headers,
        flat: FlatInvoice::new(),
        style: mapping.style(),
        finished: false,
    })
}

fn known(mapping: &CsvMapping) -> String {
    let names: Vec<&str> = Column::ALL.iter().map(|c| mapping.header_of(*c)).collect();
    names.join(", ")
}

fn missing(mapping: &CsvMapping, columns: &[Column]) -> DocumentError {
    let names: Vec<String> = columns
        .iter()
        .map(|c| {
            let theirs = mapping.header_of(*c);
            if theirs == c.name() {
                theirs.to_string()
            } else {
                format!("{theirs} ({})", c.name())
            }
        })
        .collect();
    let names = names.join(" or ");
    DocumentError::malformed(
        format!("header, column {names}"),
        format!("missing required column {names}"),
    )
}

/// Longest physical line accepted: the CSV reader would otherwise grow its
/// record buffer without bound on a file with no newline.
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("a line longer than {MAX_LINE_BYTES} bytes")]
struct LineTooLong;

/// A reader that fails once a line runs past [`MAX_LINE_BYTES`].
struct LineCapped<R> {
    inner: R,
    /// Bytes since the last newline.
    run: u64,
}

impl<R: Read> Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        self.run = match read.iter().rposition(|b| *b == b'\n') {
            Some(last) => (n - last - 1) as u64,
            None => self.run + n as u64,
        };
        if self.run > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                LineTooLong,
            ));
        }
        Ok(n)
    }
}

impl<R: Read> Iterator for CsvInvoices<R> {
    type Item = Result<EInvoice, DocumentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let mut read = self.reader.read_record(&mut self.record);
        // Rows of empty cells (spreadsheet exports end with some) are skipped.
        while matches!(read, Ok(true)) && self.record.iter().all(|v| v.trim().is_empty()) {
            read = self.reader.read_record(&mut self.record);
        }
        match read {
            Ok(false) => {
                self.finished = true;
                None
            }
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                self.flat.clear();
                for (value, column) in self.record.iter().zip(&self.layout) {
                    if let Some(column) = column {
                        self.flat.set(*column, value);
                    }
                }
                let headers = &self.headers;
                let place = |name: &str| {
                    let column = Column::from_name(name).and_then(|c| headers.get(&c));
                    format!(
                        "line {line}, column {}",
                        column.map_or(name, String::as_str)
                    )
                };
                Some(self.flat.to_einvoice(Syntax::Csv, &self.style, &place))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    ::csv::ErrorKind::Io(io) => {
                        self.finished = true;
                        if io.get_ref().is_some_and(|inner| inner.is::<LineTooLong>()) {
                            return Some(Err(DocumentError::Unsafe {
                                message: format!("line {line}: {}", LineTooLong),
                            }));
                        }
                        format!("cannot read on: {io}")
                    }
                    ::csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_string(),
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("the row has {len} fields, the header {expected_len}")
                    }
                    _ => e.to_string(),
                };
                Some(Err(DocumentError::malformed(
                    format!("line {line}"),
                    message,
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const HEADER: &str = "seller_vat,number,issue_date,currency,buyer_name,net,tax,gross";

    fn rows(csv: &str) -> Vec<Result<EInvoice, DocumentError>> {
        read_csv(csv.as_bytes(), &CsvMapping::default())
            .expect("header")
            .collect()
    }

    #[test]
    fn a_minimal_row_gets_its_defaults_and_one_line() {
        let r = rows(&format!(
            "{HEADER}\nFR1,F-1,2026-03-01,EUR,Buyer,100.00,20.00,120.00\n"
        ));
        let d = r[0].as_ref().expect("row");
        assert_eq!(d.type_code, "380");
        assert_eq!(d.profile.as_deref(), Some("csv"));
        assert_eq!(d.totals.line_total, Some(dec!(100.00)));
        assert_eq!(d.totals.payable, Some(dec!(120.00)));
        assert_eq!(d.lines.len(), 1);
        assert_eq!(d.lines[0].net_amount, dec!(100.00));
        let rules: Vec<_> = crate::formats::einvoice::check(d)
            .into_iter()
            .map(|v| v.rule)
            .collect();
        // The seller's name is in our records (BR-06 waived for flat files).
        assert_eq!(rules, Vec::<&str>::new());
    }

    #[test]
    fn allowances_and_prepaid_shift_the_defaults() {
        let r = rows(
            "seller_siren,seller_name,number,issue_date,currency,buyer_name,allowances,charges,net,tax,gross,prepaid,rounding\n\
             123456789,S,F-2,2026-03-01,EUR,B,10,5,95,19,114,14,0.01\n",
        );
        let d = r[0].as_ref().expect("row");
        assert_eq!(d.totals.line_total, Some(dec!(100)));
        assert_eq!(d.totals.payable, Some(dec!(100.01)));
        assert_eq!(crate::formats::einvoice::check(d), vec![]);
    }

    #[test]
    fn row_errors_name_line_and_column_and_reading_goes_on() {
        let r = rows(&format!(
            "{HEADER}\nFR1,F-1,2026-02-30,EUR,B,1,0,1\nFR1,F-2,2026-03-01,EUR,B,1,0,1\nFR1,F-3\n"
        ));
        assert_eq!(r.len(), 3);
        match &r[0] {
            Err(DocumentError::Malformed { path, message }) => {
                assert_eq!(path, "line 2, column issue_date");
                assert!(message.contains("2026-02-30"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(r[1].is_ok());
        assert!(matches!(&r[2], Err(DocumentError::Malformed { path, .. }) if path == "line 4"));
    }

    #[test]
    fn blank_rows_are_skipped_and_endless_lines_refused() {
        let r = rows(&format!(
            "{HEADER}\n,,,,,,,\nFR1,F-1,2026-03-01,EUR,B,1,0,1\n , ,,,,,,\n"
        ));
        assert_eq!(r.len(), 1);
        assert!(r[0].is_ok());
        let endless = format!("{HEADER}\nFR1,").into_bytes();
        let input = std::io::Read::chain(
            endless.as_slice(),
            std::io::Read::take(std::io::repeat(b'x'), MAX_LINE_BYTES + 10),
        );
        let r: Vec<_> = read_csv(input, &CsvMapping::default())
            .expect("header")
            .collect();
        assert_eq!(r.len(), 1);
        assert!(matches!(&r[0], Err(DocumentError::Unsafe { .. })), "{r:?}");
    }

    #[test]
    fn mappings_are_validated() {
        assert!(load_mapping("").is_ok());
        for bad in [
            "delimiter = \"ab\"",
            "delimiter = \"a\"",
            "decimal_separator = \";\"",
            "date_format = \"%Q\"",
            "[columns]\nnumbr = \"N\"",
            "[columns]\nnumber = \"N\"\nnet = \" n \"",
            "[columns]\nnet = \"gross\"",
            "colour = 1",
        ] {
            assert!(
                matches!(load_mapping(bad), Err(DocumentError::Malformed { .. })),
                "{bad}"
            );
        }
    }
}
