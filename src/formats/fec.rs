//! FEC writer [fichier des écritures comptables]: the ledger export the
//! French tax administration asks for in an audit (LPF art. L47 A, format in
//! art. A47 A-1, commented in BOI-CF-IOR-60-40-20).
//!
//! Choices, all within what A47 A-1 allows:
//! - variable-length records, fields separated by a tab, records ended by
//!   CR LF (the text allows CR LF or LF; CR LF is what Windows tools and the
//!   administration's test tool open without surprise);
//! - text in ISO 8859-15 (the text allows ASCII, ISO 8859-15 or EBCDIC, not
//!   UTF-8), with [`FecEncoding::Utf8`] for tools that want it;
//! - dates `YYYYMMDD`; amounts with a decimal comma, no thousands separator,
//!   a minus sign when negative; both Debit and Credit always written
//!   ("0,00" on the side not used);
//! - the book currency is EUR: Debit and Credit are EUR minor units, and
//!   Montantdevise / Idevise are filled only for lines in another currency.
//!
//! Streaming: one record is encoded, then written, so a file of any size
//! takes constant memory. A record refused midway leaves a partial output
//! that the caller must discard.

use std::io::Write;

use chrono::NaiveDate;

use crate::error::ErrorCode;
use crate::money::{format_minor, Currency};

/// The 18 mandatory columns, in the order A47 A-1 fixes.
pub const FEC_COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

#[derive(Debug, thiserror::Error)]
pub enum FecError {
    #[error("FEC line {line}: {field} is mandatory and empty")]
    MissingField { line: usize, field: &'static str },
    #[error("writing the FEC failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ErrorCode for FecError {
    fn code(&self) -> &'static str {
        match self {
            FecError::MissingField { .. } => "fec_field_missing",
            FecError::Io(_) => "fec_io",
        }
    }
}

/// Character set of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FecEncoding {
    /// ISO 8859-15 (Latin-9: Latin-1 with €, Œ, œ, Š, š, Ž, ž, Ÿ). A
    /// character it lacks is written '?', after typographic quotes, dashes
    /// and thin spaces are brought to their ASCII forms.
    #[default]
    Iso8859_15,
    Utf8,
}

/// One line of the FEC: one entry line with its entry's header repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FecRecord {
    pub journal_code: String,
    pub journal_label: String,
    /// Entry number [numéro d'écriture]: sequential without gaps within a
    /// journal, shared by all lines of one entry.
    pub entry_number: String,
    pub entry_date: NaiveDate,
    pub account: String,
    pub account_label: String,
    /// Auxiliary account [compte auxiliaire], e.g. the buyer on 411 lines.
    pub aux_account: Option<String>,
    pub aux_label: Option<String>,
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub label: String,
    /// EUR minor units.
    pub debit: i64,
    /// EUR minor units.
    pub credit: i64,
    /// Matching code [lettrage] tying this line to the lines it settles.
    pub letter: Option<String>,
    pub letter_date: Option<NaiveDate>,
    /// Date the entry was validated [date de validation]: from then on it
    /// cannot be changed.
    pub valid_date: NaiveDate,
    /// The line's amount in its original currency, when not EUR.
    pub foreign_amount: Option<(i64, Currency)>,
}

/// The file name A47 A-1 prescribes: SIREN, "FEC", closing date of the
/// financial year, e.g. `552100554FEC20251231.txt`.
pub fn fec_file_name(siren: &str, closing_date: NaiveDate) -> String {
    format!("{siren}FEC{}.txt", closing_date.format("%Y%m%d"))
}

/// Writes the header and one line per record. Returns the number of records
/// written (the header not counted).
pub fn write_fec<W, I>(w: W, records: I) -> Result<usize, FecError>
where
    W: Write,
    I: IntoIterator<Item = FecRecord>,
{
    write_fec_with(w, records, FecEncoding::default())
}

/// [`write_fec`] with a chosen character set.
pub fn write_fec_with<W, I>(mut w: W, records: I, encoding: FecEncoding) -> Result<usize, FecError>
where
    W: Write,
    I: IntoIterator<Item = FecRecord>,
{
    let mut buf = Vec::with_capacity(512);
    w.write_all(FEC_COLUMNS.join("\t").as_bytes())?;
    w.write_all(b"\r\n")?;
    let mut count = 0;
    for record in records {
        count += 1;
        buf.clear();
        // The header is line 1.
        encode_record(&record, count + 1, encoding, &mut buf)?;
        w.write_all(&buf)?;
    }
    w.flush()?;
    Ok(count)
}

fn encode_record(
    r: &FecRecord,
    line: usize,
    enc: FecEncoding,
    out: &mut Vec<u8>,
) -> Result<(), FecError> {
    let mandatory: [(&'static str, &str); 7] = [
        ("JournalCode", &r.journal_code),
        ("JournalLib", &r.journal_label),
        ("EcritureNum", &r.entry_number),
        ("CompteNum", &r.account),
        ("CompteLib", &r.account_label),
        ("PieceRef", &r.piece_ref),
        ("EcritureLib", &r.label),
    ];
    for (field, value) in mandatory {
        if value.trim().is_empty() {
            return Err(FecError::MissingField { line, field });
        }
    }
    // CompAuxLib goes with CompAuxNum: an auxiliary account without a name
    // is refused by the administration's checks.
    let aux = r.aux_account.as_deref().filter(|a| !a.trim().is_empty());
    let aux_label = r.aux_label.as_deref().unwrap_or("");
    if aux.is_some() && aux_label.trim().is_empty() {
        return Err(FecError::MissingField {
            line,
            field: "CompAuxLib",
        });
    }
    let book = Currency::EUR.exponent();
    let date = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let (foreign_amount, foreign_code) = match r.foreign_amount {
        Some((minor, c)) => (format_minor(minor, c.exponent(), ','), c.code().to_string()),
        None => (String::new(), String::new()),
    };
    let fields: [&str; 18] = [
        &r.journal_code,
        &r.journal_label,
        &r.entry_number,
        &date(r.entry_date),
        &r.account,
        &r.account_label,
        aux.unwrap_or(""),
        if aux.is_some() { aux_label } else { "" },
        &r.piece_ref,
        &date(r.piece_date),
        &r.label,
        &format_minor(r.debit, book, ','),
        &format_minor(r.credit, book, ','),
        r.letter.as_deref().unwrap_or(""),
        &r.letter_date.map(date).unwrap_or_default(),
        &date(r.valid_date),
        &foreign_amount,
        &foreign_code,
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        encode_text(field, enc, out);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends `text` with tabs, line breaks and other control characters turned
/// into spaces: they would split a field or a record.
fn encode_text(text: &str, enc: FecEncoding, out: &mut Vec<u8>) {
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        match enc {
            FecEncoding::Utf8 => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
            FecEncoding::Iso8859_15 => match latin9(c) {
                Some(b) => out.push(b),
                None => out.extend_from_slice(ascii_fallback(c).as_bytes()),
            },
        }
    }
}

/// The ISO 8859-15 byte of a character, if the set has it.
fn latin9(c: char) -> Option<u8> {
    let special = match c {
        '€' => Some(0xA4),
        'Š' => Some(0xA6),
        'š' => Some(0xA8),
        'Ž' => Some(0xB4),
        'ž' => Some(0xB8),
        'Œ' => Some(0xBC),
        'œ' => Some(0xBD),
        'Ÿ' => Some(0xBE),
        _ => None,
    };
    if special.is_some() {
        return special;
    }
    let code = u32::from(c);
    let replaced_by_latin9 = matches!(code, 0xA4 | 0xA6 | 0xA8 | 0xB4 | 0xB8 | 0xBC | 0xBD | 0xBE);
    if code < 0x80 || ((0xA0..=0xFF).contains(&code) && !replaced_by_latin9) {
        u8::try_from(code).ok()
    } else {
        None
    }
}

fn ascii_fallback(c: char) -> &'static str {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => " ",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn record(
        journal: (&str, &str),
        num: &str,
        date: NaiveDate,
        account: (&str, &str),
        debit: i64,
        credit: i64,
    ) -> FecRecord {
        FecRecord {
            journal_code: journal.0.into(),
            journal_label: journal.1.into(),
            entry_number: num.into(),
            entry_date: date,
            account: account.0.into(),
            account_label: account.1.into(),
            aux_account: None,
            aux_label: None,
            piece_ref: String::new(),
            piece_date: date,
            label: String::new(),
            debit,
            credit,
            letter: None,
            letter_date: None,
            valid_date: d(2025, 4, 5),
            foreign_amount: None,
        }
    }

    /// Invoice F-001 of 1,250.00 + 250.00 VAT, paid 1,500.00 on 31 March,
    /// the two 411 lines lettered "AA".
    fn two_entries() -> Vec<FecRecord> {
        let ve = ("VE", "Ventes");
        let bq = ("BQ", "Banque");
        let (inv, pay) = (d(2025, 3, 14), d(2025, 3, 31));
        let sale = |account, debit, credit| FecRecord {
            piece_ref: "F-001".into(),
            label: "Facture F-001".into(),
            ..record(ve, "VE000001", inv, account, debit, credit)
        };
        let bank = |account, debit, credit| FecRecord {
            piece_ref: "VIR 4471".into(),
            label: "Règlement F-001".into(),
            ..record(bq, "BQ000001", pay, account, debit, credit)
        };
        let customer = |mut r: FecRecord| {
            r.aux_account = Some("C0042".into());
            r.aux_label = Some("Dupont & Fils".into());
            r.letter = Some("AA".into());
            r.letter_date = Some(pay);
            r
        };
        vec![
            customer(sale(("411", "Clients"), 150_000, 0)),
            sale(("707", "Ventes de marchandises"), 0, 125_000),
            sale(("44571", "TVA collectée"), 0, 25_000),
            bank(("512", "Banques"), 150_000, 0),
            customer(bank(("411", "Clients"), 0, 150_000)),
        ]
    }

    const HEADER: &[u8] = b"JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\t\
CompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\r\n";

    #[test]
    fn two_entry_file_byte_for_byte() {
        let mut out = Vec::new();
        assert_eq!(write_fec(&mut out, two_entries()).unwrap(), 5);
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(
            b"VE\tVentes\tVE000001\t20250314\t411\tClients\tC0042\tDupont & Fils\tF-001\t20250314\tFacture F-001\t1500,00\t0,00\tAA\t20250331\t20250405\t\t\r\n\
VE\tVentes\tVE000001\t20250314\t707\tVentes de marchandises\t\t\tF-001\t20250314\tFacture F-001\t0,00\t1250,00\t\t\t20250405\t\t\r\n\
VE\tVentes\tVE000001\t20250314\t44571\tTVA collect\xE9e\t\t\tF-001\t20250314\tFacture F-001\t0,00\t250,00\t\t\t20250405\t\t\r\n\
BQ\tBanque\tBQ000001\t20250331\t512\tBanques\t\t\tVIR 4471\t20250331\tR\xE8glement F-001\t1500,00\t0,00\t\t\t20250405\t\t\r\n\
BQ\tBanque\tBQ000001\t20250331\t411\tClients\tC0042\tDupont & Fils\tVIR 4471\t20250331\tR\xE8glement F-001\t0,00\t1500,00\tAA\t20250331\t20250405\t\t\r\n",
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(out, expected);
        // 18 columns on every line.
        for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            assert_eq!(line.iter().filter(|b| **b == b'\t').count(), 17);
        }
    }

    #[test]
    fn utf8_variant_keeps_accents_as_utf8() {
        let mut out = Vec::new();
        write_fec_with(
            &mut out,
            two_entries().into_iter().skip(2).take(1),
            FecEncoding::Utf8,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(
            "VE\tVentes\tVE000001\t20250314\t44571\tTVA collectée\t\t\tF-001\t20250314\tFacture F-001\t0,00\t250,00\t\t\t20250405\t\t\r\n"
        ));
    }

    #[test]
    fn foreign_currency_line_fills_montantdevise_and_idevise() {
        let mut r = record(
            ("BQ", "Banque"),
            "BQ000002",
            d(2025, 6, 2),
            ("512", "Banques"),
            92_337,
            0,
        );
        r.piece_ref = "W-1".into();
        r.label = "Encaissement USD".into();
        // USD 1,000.00 booked at EUR 923.37; JPY would show no decimals.
        r.foreign_amount = Some((100_000, Currency::from_code("USD").unwrap()));
        let mut out = Vec::new();
        write_fec(&mut out, [r.clone()]).unwrap();
        assert!(out.ends_with(b"\t923,37\t0,00\t\t\t20250405\t1000,00\tUSD\r\n"));

        r.foreign_amount = Some((-150_000, Currency::from_code("JPY").unwrap()));
        let mut out = Vec::new();
        write_fec(&mut out, [r]).unwrap();
        assert!(out.ends_with(b"\t20250405\t-150000\tJPY\r\n"));
    }

    #[test]
    fn separators_in_text_become_spaces_and_missing_chars_are_replaced() {
        let mut r = two_entries().remove(1);
        r.label =
            "Facture\tF-001\r\nligne 2 \u{2013} l\u{2019}\u{0153}uvre 5\u{a0}\u{20ac} \u{4e2d}"
                .into();
        let mut out = Vec::new();
        write_fec(&mut out, [r]).unwrap();
        let needle: &[u8] = b"\tFacture F-001  ligne 2 - l'\xBDuvre 5\xA0\xA4 ?\t";
        assert!(
            out.windows(needle.len()).any(|w| w == needle),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 2);
    }

    #[test]
    fn mandatory_fields_are_checked_and_named() {
        let mut records = two_entries();
        records[3].piece_ref = " ".into();
        let err = write_fec(Vec::new(), records).unwrap_err();
        assert!(
            matches!(
                err,
                FecError::MissingField {
                    line: 5,
                    field: "PieceRef"
                }
            ),
            "{err}"
        );
        assert_eq!(err.code(), "fec_field_missing");

        let mut r = two_entries().remove(0);
        r.aux_label = None;
        let err = write_fec(Vec::new(), [r]).unwrap_err();
        assert!(matches!(
            err,
            FecError::MissingField {
                line: 2,
                field: "CompAuxLib"
            }
        ));
    }

    #[test]
    fn empty_ledger_is_just_the_header() {
        let mut out = Vec::new();
        assert_eq!(write_fec(&mut out, std::iter::empty()).unwrap(), 0);
        assert_eq!(out, HEADER);
    }

    #[test]
    fn io_errors_are_reported() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "disk full",
                ))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert_eq!(write_fec(Full, two_entries()).unwrap_err().code(), "fec_io");
    }

    #[test]
    fn file_name_follows_the_rule() {
        assert_eq!(
            fec_file_name("552100554", d(2025, 12, 31)),
            "552100554FEC20251231.txt"
        );
    }
}
