//! The factor's statement file [relevé de compte courant] read into a
//! canonical [`FactorStatement`], checked whole: one header first, one
//! trailer last, every line readable, references unique, the trailer's
//! counts and totals right, and opening + lines = closing. Any fault
//! refuses the file, naming its line and field.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use factorgate_adapter::{Amount, FactorMovementKind, FactorStatement, FactorStatementLine};

use crate::profile::{AmountField, Format, Locator, StatementProfile};
use crate::text::{decode, parse_amount, parse_sign};

/// A statement file refused: which file, line (from 1) and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement file {file}, line {line}, {field}: {message}")]
pub struct StatementError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// One record of the file, CSV row or fixed-width line.
struct Record {
    line: usize,
    cells: Cells,
}

enum Cells {
    Csv(Vec<String>),
    Fixed(Vec<char>),
}

struct Reader<'a> {
    profile: &'a StatementProfile,
    file: &'a str,
    columns: HashMap<String, usize>,
}

impl Reader<'_> {
    fn fail(&self, line: usize, field: &str, message: impl Into<String>) -> StatementError {
        StatementError {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The trimmed text at `at` in `r`; `key` names the profile field.
    fn get(&self, r: &Record, key: &str, at: &Locator) -> Result<String, StatementError> {
        let field = format!("{key} ({at})");
        match (&r.cells, at) {
            (Cells::Csv(cells), Locator::Column(name)) => {
                let index = self.columns.get(name).copied();
                index
                    .and_then(|i| cells.get(i))
                    .map(|c| c.trim().to_string())
                    .ok_or_else(|| self.fail(r.line, &field, "no such column"))
            }
            (Cells::Fixed(chars), Locator::Span { at, len }) => {
                let end = at + len - 1;
                if chars.len() < end {
                    return Err(self.fail(
                        r.line,
                        &field,
                        format!(
                            "the record is {} characters, the field ends at {end}",
                            chars.len()
                        ),
                    ));
                }
                Ok(chars[at - 1..end]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string())
            }
            _ => Err(self.fail(r.line, &field, "locator does not fit the file format")),
        }
    }

    fn optional(
        &self,
        r: &Record,
        key: &str,
        at: &Option<Locator>,
    ) -> Result<Option<String>, StatementError> {
        match at {
            Some(at) => Ok(Some(self.get(r, key, at)?).filter(|s| !s.is_empty())),
            None => Ok(None),
        }
    }

    fn required(&self, r: &Record, key: &str, at: &Locator) -> Result<String, StatementError> {
        let text = self.get(r, key, at)?;
        if text.is_empty() {
            return Err(self.fail(r.line, &format!("{key} ({at})"), "empty"));
        }
        Ok(text)
    }

    fn date(&self, r: &Record, key: &str, at: &Locator) -> Result<NaiveDate, StatementError> {
        let text = self.required(r, key, at)?;
        NaiveDate::parse_from_str(&text, &self.profile.date_format).map_err(|_| {
            self.fail(
                r.line,
                &format!("{key} ({at})"),
                format!(
                    "'{text}' is not a date written {}",
                    self.profile.date_format
                ),
            )
        })
    }

    /// A signed amount in minor units, turned to our side when the factor
    /// writes from its own.
    fn amount(&self, r: &Record, key: &str, f: &AmountField) -> Result<(i64, i64), StatementError> {
        let p = self.profile;
        let text = self.required(r, &format!("{key}.value"), &f.value)?;
        let unsigned = parse_amount(&text, p.currency_exponent, p.decimal)
            .map_err(|why| self.fail(r.line, &format!("{key}.value ({})", f.value), why))?;
        let sign = match &f.sign {
            Some(at) => {
                let s = self.get(r, &format!("{key}.sign"), at)?;
                parse_sign(&s)
                    .map_err(|why| self.fail(r.line, &format!("{key}.sign ({at})"), why))?
            }
            None => 1,
        };
        let flip = if p.invert_sign { -1 } else { 1 };
        Ok((unsigned * sign * flip, unsigned.abs()))
    }

    fn money(&self, minor: i64) -> Amount {
        let mut currency = [0u8; 3];
        currency.copy_from_slice(&self.profile.currency.as_bytes()[..3]);
        Amount {
            minor,
            exponent: self.profile.currency_exponent,
            currency,
        }
    }
}

/// Splits the file into records (blank lines skipped).
fn records(reader: &mut Reader<'_>, text: &str) -> Result<Vec<Record>, StatementError> {
    let p = reader.profile;
    match p.format {
        Format::Fixed => {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let chars: Vec<char> = line.chars().collect();
                if let Some(length) = p.record_length {
                    if chars.len() != length {
                        return Err(reader.fail(
                            i + 1,
                            "record",
                            format!("{} characters, the profile says {length}", chars.len()),
                        ));
                    }
                }
                out.push(Record {
                    line: i + 1,
                    cells: Cells::Fixed(chars),
                });
            }
            Ok(out)
        }
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new()
                .delimiter(u8::try_from(u32::from(p.delimiter)).unwrap_or(b';'))
                .has_headers(true)
                .flexible(false)
                .from_reader(text.as_bytes());
            let headers = csv
                .headers()
                .map_err(|e| reader.fail(1, "header", e.to_string()))?
                .clone();
            reader.columns = headers
                .iter()
                .enumerate()
                .map(|(i, name)| (name.trim().to_string(), i))
                .collect();
            let mut out = Vec::new();
            for row in csv.records() {
                let row = row.map_err(|e| {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    reader.fail(line, "record", e.to_string())
                })?;
                let line = row.position().map_or(0, |p| p.line() as usize);
                if row.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                out.push(Record {
                    line,
                    cells: Cells::Csv(row.iter().map(str::to_string).collect()),
                });
            }
            Ok(out)
        }
    }
}

/// Counts and unsigned totals per record code, for the trailer check.
#[derive(Default)]
struct Tally {
    by_code: BTreeMap<String, (i64, i64)>,
    lines: i64,
}

/// Reads and checks one statement file.
pub fn read_statement(
    p: &StatementProfile,
    file: &str,
    bytes: &[u8],
) -> Result<FactorStatement, StatementError> {
    let text = decode(bytes);
    let mut reader = Reader {
        profile: p,
        file,
        columns: HashMap::new(),
    };
    let recs = records(&mut reader, &text)?;
    let r = &reader;
    if p.format == Format::Csv {
        // A missing column is named once, up front, not on each line.
        for name in p.column_names() {
            if !r.columns.contains_key(name) {
                return Err(r.fail(
                    1,
                    &format!("column '{name}'"),
                    "missing from the header line",
                ));
            }
        }
    }
    let (Some(first), Some(last)) = (recs.first(), recs.last()) else {
        return Err(r.fail(1, "record", "the file has no record"));
    };
    let code_of = |rec: &Record| r.get(rec, "record", &p.record);
    let first_code = code_of(first)?;
    if !p.header_records.contains(&first_code) {
        return Err(r.fail(
            first.line,
            "record",
            format!(
                "first record '{first_code}' is not a header ({})",
                p.header_records.join(", ")
            ),
        ));
    }
    let last_code = code_of(last)?;
    if recs.len() < 2 || !p.trailer_records.contains(&last_code) {
        return Err(r.fail(
            last.line,
            "record",
            format!(
                "last record '{last_code}' is not a trailer ({})",
                p.trailer_records.join(", ")
            ),
        ));
    }
    let h = &p.header;
    let statement_id = r.required(first, "header.statement_id", &h.statement_id)?;
    let contract_number = r.optional(first, "header.contract_number", &h.contract_number)?;
    let header_date = h
        .issued_on
        .as_ref()
        .map(|at| r.date(first, "header.issued_on", at))
        .transpose()?;
    let (opening, _) = r.amount(first, "header.opening_balance", &h.opening_balance)?;

    let mut lines = Vec::new();
    let mut tally = Tally::default();
    let mut seen = HashSet::new();
    let mut moved = 0i64;
    for rec in &recs[1..recs.len() - 1] {
        let code = code_of(rec)?;
        if p.header_records.contains(&code) || p.trailer_records.contains(&code) {
            return Err(r.fail(
                rec.line,
                "record",
                format!("'{code}': a second header or trailer"),
            ));
        }
        if !p.line_records.is_empty() && !p.line_records.contains(&code) {
            return Err(r.fail(rec.line, "record", format!("unknown record code '{code}'")));
        }
        let line = read_line(r, rec)?;
        if !seen.insert(line.0.entry_reference.clone()) {
            return Err(r.fail(
                rec.line,
                &format!("line.entry_reference ({})", p.line.entry_reference),
                format!(
                    "'{}' appears twice in the statement",
                    line.0.entry_reference
                ),
            ));
        }
        if !p.memo_kinds.contains(&line.0.kind) {
            moved += line.0.amount.minor;
        }
        let slot = tally.by_code.entry(code).or_default();
        slot.0 += 1;
        slot.1 += line.1;
        tally.lines += 1;
        lines.push(line.0);
    }

    let t = &p.trailer;
    let (closing, _) = r.amount(last, "trailer.closing_balance", &t.closing_balance)?;
    let trailer_date = t
        .issued_on
        .as_ref()
        .map(|at| r.date(last, "trailer.issued_on", at))
        .transpose()?;
    check_trailer(r, last, &tally)?;
    if opening + moved != closing {
        return Err(r.fail(
            last.line,
            &format!("trailer.closing_balance ({})", t.closing_balance.value),
            format!(
                "opening {opening} + lines {moved} = {} minor units, the closing balance says {closing}",
                opening + moved
            ),
        ));
    }
    let issued_on = trailer_date
        .or(header_date)
        .ok_or_else(|| r.fail(first.line, "issued_on", "no issue date"))?;
    Ok(FactorStatement {
        statement_id,
        contract_number: contract_number.unwrap_or_default(),
        issued_on,
        opening_balance: r.money(opening),
        closing_balance: r.money(closing),
        lines,
    })
}

/// One movement line, and its unsigned amount for the trailer totals.
fn read_line(r: &Reader<'_>, rec: &Record) -> Result<(FactorStatementLine, i64), StatementError> {
    let l = &r.profile.line;
    let code = r.required(rec, "line.kind", &l.kind)?;
    let kind = r
        .profile
        .kinds
        .get(&code)
        .copied()
        .unwrap_or(FactorMovementKind::Other);
    let (amount, unsigned) = r.amount(rec, "line.amount", &l.amount)?;
    let value_date = match &l.value_date {
        Some(at) if !r.get(rec, "line.value_date", at)?.is_empty() => {
            Some(r.date(rec, "line.value_date", at)?)
        }
        _ => None,
    };
    let line = FactorStatementLine {
        entry_reference: r.required(rec, "line.entry_reference", &l.entry_reference)?,
        kind,
        booked_on: r.date(rec, "line.booked_on", &l.booked_on)?,
        value_date,
        amount: r.money(amount),
        assignment_number: r.optional(rec, "line.assignment_number", &l.assignment_number)?,
        invoice_number: r.optional(rec, "line.invoice_number", &l.invoice_number)?,
        text: r.optional(rec, "line.text", &l.text)?.unwrap_or_default(),
    };
    Ok((line, unsigned))
}

fn check_trailer(r: &Reader<'_>, last: &Record, tally: &Tally) -> Result<(), StatementError> {
    let t = &r.profile.trailer;
    let number = |key: &str, at: &crate::profile::Locator| -> Result<i64, StatementError> {
        let text = r.required(last, key, at)?;
        text.parse::<i64>().map_err(|_| {
            r.fail(
                last.line,
                &format!("{key} ({at})"),
                format!("'{text}' is not a number"),
            )
        })
    };
    if let Some(at) = &t.line_count {
        let said = number("trailer.line_count", at)?;
        if said != tally.lines {
            return Err(r.fail(
                last.line,
                &format!("trailer.line_count ({at})"),
                format!("says {said} lines, the file has {}", tally.lines),
            ));
        }
    }
    for total in &t.totals {
        let (count, sum) = total.records.iter().fold((0, 0), |acc, code| {
            let (c, s) = tally.by_code.get(code).copied().unwrap_or_default();
            (acc.0 + c, acc.1 + s)
        });
        let what = total.records.join("+");
        if let Some(at) = &total.count {
            let said = number("trailer.totals.count", at)?;
            if said != count {
                return Err(r.fail(
                    last.line,
                    &format!("trailer.totals.count ({at})"),
                    format!("says {said} records {what}, the file has {count}"),
                ));
            }
        }
        if let Some(at) = &total.total {
            let text = r.required(last, "trailer.totals.total", at)?;
            let said = parse_amount(&text, r.profile.currency_exponent, r.profile.decimal)
                .map_err(|why| r.fail(last.line, &format!("trailer.totals.total ({at})"), why))?;
            if said != sum {
                return Err(r.fail(
                    last.line,
                    &format!("trailer.totals.total ({at})"),
                    format!("says {said} for records {what}, their amounts sum to {sum}"),
                ));
            }
        }
    }
    Ok(())
}
