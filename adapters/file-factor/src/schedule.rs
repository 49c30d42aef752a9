//! Our assignment as the factor's schedule file [bordereau de remise]:
//! a CSV file or fixed-width records, as the profile lays them out.

use factorgate_adapter::{AssignedDocument, AssignmentSubmission, DocumentKind};

use crate::profile::{Align, Decimal, FixedField, Format, ScheduleProfile, Value};
use crate::text::{encode, fit, format_amount};

/// Why an assignment cannot be written with this profile (a value that
/// does not fit its field): a stable code and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> ScheduleError {
    ScheduleError { code, message }
}

/// The schedule's file name for this assignment.
pub fn file_name(profile: &ScheduleProfile, a: &AssignmentSubmission) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    profile
        .file_name
        .replace("{contract}", &clean(&a.contract_number))
        .replace("{assignment}", &clean(&a.assignment_number))
        .replace("{date}", &a.assigned_on.format("%Y%m%d").to_string())
}

/// Counts and totals for trailers.
struct Totals {
    invoices: (i64, i64),
    credit_notes: (i64, i64),
}

impl Totals {
    fn of(a: &AssignmentSubmission) -> Totals {
        let mut t = Totals {
            invoices: (0, 0),
            credit_notes: (0, 0),
        };
        for d in &a.documents {
            let slot = match d.kind {
                DocumentKind::Invoice => &mut t.invoices,
                DocumentKind::CreditNote => &mut t.credit_notes,
            };
            slot.0 += 1;
            slot.1 += d.gross.minor;
        }
        t
    }
}

/// The buyer's id as factors want it: SIRET, else SIREN, else VAT, else
/// whatever comes first; with its scheme.
fn buyer_id(d: &AssignedDocument) -> Option<(&str, &str)> {
    let ids = &d.buyer.legal_ids;
    ["0009", "0002", "VAT"]
        .iter()
        .find_map(|scheme| ids.iter().find(|id| id.scheme == *scheme))
        .or_else(|| ids.first())
        .map(|id| (id.scheme.as_str(), id.value.as_str()))
}

/// What a value is, as text, for the whole file or one document.
struct Renderer<'a> {
    profile: &'a ScheduleProfile,
    a: &'a AssignmentSubmission,
    totals: Totals,
    decimal: Decimal,
    record_count: usize,
}

impl Renderer<'_> {
    fn amount(&self, minor: i64) -> String {
        format_amount(minor, self.a.total.exponent, self.decimal)
    }

    fn value(
        &self,
        v: Value,
        text: &str,
        record_code: &str,
        d: Option<&AssignedDocument>,
    ) -> Result<String, ScheduleError> {
        let date = |day: chrono::NaiveDate| day.format(&self.profile.date_format).to_string();
        let seller = &self.a.seller;
        let out = match v {
            Value::RecordCode => record_code.to_string(),
            Value::Constant => text.to_string(),
            Value::ContractNumber => self.a.contract_number.clone(),
            Value::AssignmentNumber => self.a.assignment_number.clone(),
            Value::AssignedOn => date(self.a.assigned_on),
            Value::SellerName => seller.name.clone(),
            Value::SellerSiren => seller.siren.clone().unwrap_or_default(),
            Value::SellerVat => seller.vat.clone().unwrap_or_default(),
            Value::Currency => self.a.total.currency_code().to_string(),
            Value::CountInvoices => self.totals.invoices.0.to_string(),
            Value::TotalInvoices => self.amount(self.totals.invoices.1),
            Value::CountCreditNotes => self.totals.credit_notes.0.to_string(),
            Value::TotalCreditNotes => self.amount(self.totals.credit_notes.1),
            Value::CountDocuments => self.a.documents.len().to_string(),
            Value::Total => self.amount(self.totals.invoices.1 - self.totals.credit_notes.1),
            Value::RecordCount => self.record_count.to_string(),
            per_document => {
                let Some(d) = d else {
                    return Err(refuse(
                        "schedule_value_misplaced",
                        format!("{per_document:?} outside a document record"),
                    ));
                };
                self.document_value(per_document, d)?
            }
        };
        Ok(out)
    }

    fn document_value(&self, v: Value, d: &AssignedDocument) -> Result<String, ScheduleError> {
        let date = |day: chrono::NaiveDate| day.format(&self.profile.date_format).to_string();
        let credit = d.kind == DocumentKind::CreditNote;
        let id = buyer_id(d);
        Ok(match v {
            Value::DocumentKind => match d.kind {
                DocumentKind::Invoice => self.profile.kind_codes.invoice.clone(),
                DocumentKind::CreditNote => self.profile.kind_codes.credit_note.clone(),
            },
            Value::DocumentNumber => d.number.clone(),
            Value::BuyerName => d.buyer.name.clone(),
            Value::BuyerId => match id {
                Some((_, value)) => value.to_string(),
                None => {
                    return Err(refuse(
                        "schedule_buyer_without_id",
                        format!(
                            "document {}: buyer '{}' has no legal id",
                            d.number, d.buyer.name
                        ),
                    ))
                }
            },
            Value::BuyerIdType => id
                .and_then(|(scheme, _)| self.profile.buyer_id_codes.get(scheme))
                .cloned()
                .unwrap_or_default(),
            Value::BuyerCountry => d.buyer.country.clone(),
            Value::IssueDate => date(d.issue_date),
            Value::DueDate => date(d.due_date),
            Value::Gross => self.amount(d.gross.minor),
            Value::SignedGross => self.amount(if credit {
                -d.gross.minor
            } else {
                d.gross.minor
            }),
            Value::Sign => if credit { "-" } else { "+" }.to_string(),
            Value::Approved => self.amount(d.approved.minor),
            _ => String::new(),
        })
    }

    fn record(
        &self,
        fields: &[FixedField],
        length: usize,
        code: &str,
        d: Option<&AssignedDocument>,
    ) -> Result<String, ScheduleError> {
        let mut line: Vec<char> = vec![' '; length];
        for f in fields {
            let text = self.value(f.value, &f.text, code, d)?;
            let numeric = is_numeric(f.value);
            let align = f
                .align
                .unwrap_or(if numeric { Align::Right } else { Align::Left });
            let pad = f.pad.unwrap_or(if numeric { '0' } else { ' ' });
            let fitted = fit(&text, f.len, align, pad, f.truncate).map_err(|why| {
                let doc = d
                    .map(|d| format!(" (document {})", d.number))
                    .unwrap_or_default();
                refuse(
                    "schedule_field_too_long",
                    format!("record {code}, field {:?} at {}{doc}: {why}", f.value, f.at),
                )
            })?;
            for (slot, c) in line[f.at - 1..].iter_mut().zip(fitted.chars()) {
                *slot = c;
            }
        }
        Ok(line.into_iter().collect())
    }
}

fn is_numeric(v: Value) -> bool {
    matches!(
        v,
        Value::Gross
            | Value::Approved
            | Value::CountInvoices
            | Value::TotalInvoices
            | Value::CountCreditNotes
            | Value::TotalCreditNotes
            | Value::CountDocuments
            | Value::RecordCount
    )
}

/// The whole schedule file, encoded as the profile says.
pub fn render(
    profile: &ScheduleProfile,
    a: &AssignmentSubmission,
) -> Result<Vec<u8>, ScheduleError> {
    let eol = if profile.crlf { "\r\n" } else { "\n" };
    let mut r = Renderer {
        profile,
        a,
        totals: Totals::of(a),
        decimal: Decimal::Minor,
        record_count: a.documents.len() + 2,
    };
    let text = match (profile.format, &profile.csv, &profile.fixed) {
        (Format::Fixed, _, Some(fixed)) => {
            let codes = &fixed.record_codes;
            let mut lines =
                vec![r.record(&fixed.header, fixed.record_length, &codes.header, None)?];
            for d in &a.documents {
                let code = match d.kind {
                    DocumentKind::Invoice => &codes.invoice,
                    DocumentKind::CreditNote => &codes.credit_note,
                };
                lines.push(r.record(&fixed.detail, fixed.record_length, code, Some(d))?);
            }
            lines.push(r.record(&fixed.trailer, fixed.record_length, &codes.trailer, None)?);
            lines.join(eol) + eol
        }
        (Format::Csv, Some(csv), _) => {
            r.decimal = csv.decimal;
            let mut writer = csv::WriterBuilder::new()
                .delimiter(u8::try_from(u32::from(csv.delimiter)).unwrap_or(b';'))
                .terminator(if profile.crlf {
                    csv::Terminator::CRLF
                } else {
                    csv::Terminator::Any(b'\n')
                })
                .from_writer(Vec::new());
            let io = |e: csv::Error| refuse("schedule_write_failed", e.to_string());
            if csv.header {
                writer
                    .write_record(csv.columns.iter().map(|c| c.name.as_str()))
                    .map_err(io)?;
            }
            for d in &a.documents {
                let row = csv
                    .columns
                    .iter()
                    .map(|c| r.value(c.value, &c.text, "", Some(d)))
                    .collect::<Result<Vec<_>, _>>()?;
                writer.write_record(&row).map_err(io)?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|e| refuse("schedule_write_failed", e.to_string()))?;
            String::from_utf8(bytes).map_err(|e| refuse("schedule_write_failed", e.to_string()))?
        }
        _ => {
            return Err(refuse(
                "profile_invalid",
                "schedule format without its section".into(),
            ))
        }
    };
    Ok(encode(&text, profile.encoding))
}
