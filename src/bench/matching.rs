//! `bench --scenario match`: bank lines matched against a large book of
//! open invoices, applied and posted, end to end (read the camt.053 file,
//! check it, store its lines, match, record payments, post suspense); and
//! `--scenario camt-parse`: the camt reader's throughput alone.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use diesel::prelude::*;
use factorgate::domain::matching::rf::reference_for;
use factorgate::formats::statement::read_statement_file;
use factorgate::service::statements::{import_statement, ImportOptions};
use factorgate::service::Context;
use factorgate::store::schema::{buyer_bank_accounts, buyers};
use factorgate::store::{write_tx, Store, StoreError};

use super::{import_portfolio, BenchArgs};
use crate::cli::{CliError, CliResult};

/// The bench portfolio's invoice `n` (see `write_csv`): number, gross in
/// cents, buyer position.
fn invoice(n: usize, buyers: usize) -> (String, i64, usize) {
    let net = 10_000 + (n as i64 * 7919) % 1_000_000;
    (format!("C-{n:08}"), net + net / 5, n % buyers)
}

fn iban(b: usize) -> String {
    format!("FR76BENCH{b:012}")
}

fn cents(v: i64) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// The kinds of line in the generated statement, in a realistic mix, and
/// where they should land (score 90 applies):
/// 0-2 RF reference, amount equal (100, applied); 3-4 invoice number in
/// the text (98, applied); 5 IBAN only, one invoice's amount (92,
/// applied); 6 IBAN only, two invoices' sum (88, suggested); 7 partial
/// payment naming the invoice (90, applied); 8 unknown payer (suspense);
/// 9 IBAN only, an amount nothing adds up to (70, suggested).
fn line_xml(out: &mut String, i: usize, buyers: usize) -> i64 {
    // Line i pays buyer i's invoices: n = i and n = i + buyers.
    let b = i % buyers;
    let (number, gross, _) = invoice(b, buyers);
    let (_, gross2, _) = invoice(b + buyers, buyers);
    let (name, acct, text, strd, amount) = match i % 10 {
        0..=2 => (
            format!("Buyer {b}"),
            None,
            "paiement".to_string(),
            reference_for(&number),
            gross,
        ),
        3 | 4 => (
            format!("Buyer {b}"),
            None,
            format!("Facture n° {number} merci"),
            None,
            gross,
        ),
        5 => (
            format!("BUYER {b} SAS"),
            Some(iban(b)),
            "VIREMENT".into(),
            None,
            gross,
        ),
        6 => (
            format!("Buyer {b}"),
            Some(iban(b)),
            "VIR".into(),
            None,
            gross + gross2,
        ),
        7 => (
            format!("Buyer {b}"),
            None,
            format!("acompte {number}"),
            None,
            gross / 2,
        ),
        8 => (
            "Unknown Payer Ltd".into(),
            Some("DE00UNKNOWN".into()),
            "donation".into(),
            None,
            4_242,
        ),
        _ => (format!("Buyer {b}"), Some(iban(b)), "".into(), None, 1_234),
    };
    let acct = acct
        .map(|a| format!("<DbtrAcct><Id><IBAN>{a}</IBAN></Id></DbtrAcct>"))
        .unwrap_or_default();
    let strd = strd
        .map(|r| format!("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{r}</Ref></CdtrRefInf></Strd>"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<Ntry><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
         <BookgDt><Dt>2026-06-30</Dt></BookgDt><ValDt><Dt>2026-06-30</Dt></ValDt>\
         <AcctSvcrRef>BENCH-{i:08}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>\
         <SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>\
         <EndToEndId>E2E-{i:08}</EndToEndId></Refs><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
         <RltdPties><Dbtr><Nm>{name}</Nm></Dbtr>{acct}</RltdPties>\
         <RmtInf><Ustrd>{text}</Ustrd>{strd}</RmtInf></TxDtls></NtryDtls></Ntry>",
        cents(amount),
        cents(amount)
    );
    amount
}

/// A camt.053 of `lines` credits, balanced (opening 0, closing the sum).
fn write_camt(path: &Path, lines: usize, buyers: usize) -> std::io::Result<u64> {
    let mut body = String::with_capacity(lines * 800);
    let mut total = 0i64;
    for i in 0..lines {
        total += line_xml(&mut body, i, buyers);
    }
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-06-30T20:00:00+02:00</CreDtTm></GrpHdr>\
         <Stmt><Id>BENCH-STMT-1</Id><CreDtTm>2026-06-30T20:00:00+02:00</CreDtTm>\
         <Acct><Id><IBAN>FR7630001000010000000000001</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-06-30</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-06-30</Dt></Dt></Bal>\n\
         {body}</Stmt></BkToCstmrStmt></Document>\n",
        cents(total)
    );
    std::fs::write(path, doc.as_bytes())?;
    Ok(doc.len() as u64)
}

fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::input("bench_failed", e.to_string())
}

/// Buyers' IBANs as configured (the bench knows whose account is whose).
fn configure_ibans(store: &Store, buyers_count: usize) -> CliResult {
    let mut conn = store.conn()?;
    let rows: Vec<(String, String)> = buyers::table
        .select((buyers::id, buyers::name))
        .load(&mut *conn)
        .map_err(StoreError::from)?;
    let now = factorgate::service::now();
    write_tx(&mut conn, |conn| {
        for chunk in rows.chunks(5_000) {
            let values: Vec<_> = chunk
                .iter()
                .filter_map(|(id, name)| {
                    let b: usize = name.strip_prefix("Buyer ")?.parse().ok()?;
                    (b < buyers_count).then(|| {
                        (
                            buyer_bank_accounts::iban.eq(iban(b)),
                            buyer_bank_accounts::buyer_id.eq(id.clone()),
                            buyer_bank_accounts::source.eq("configured"),
                            buyer_bank_accounts::created_at.eq(now),
                        )
                    })
                })
                .collect();
            for v in values.chunks(200) {
                factorgate::on_backend!(&mut *conn, |c| diesel::insert_into(
                    buyer_bank_accounts::table
                )
                .values(v)
                .execute(c))?;
            }
        }
        Ok::<(), diesel::result::Error>(())
    })
    .map_err(StoreError::from)?;
    Ok(())
}

pub fn run_match(store: &Store, dir: &Path, backend: &str, args: &BenchArgs) -> CliResult {
    if args.lines > args.buyers {
        return Err(CliError::input(
            "validation_failed",
            "--lines must not exceed --buyers (each line pays one buyer's invoices)",
        ));
    }
    import_portfolio(store, dir, backend, args)?;
    configure_ibans(store, args.buyers)?;
    let path = dir.join("bench-statement.xml");
    let size = write_camt(&path, args.lines, args.buyers)?;
    eprintln!(
        "{backend}: matching a camt.053 of {} lines ({:.1} MB) against {} open invoices of {} buyers",
        args.lines,
        size as f64 / 1e6,
        args.count,
        args.buyers
    );
    let ctx = Context::default();
    let mut conn = store.conn()?;
    let started = Instant::now();
    let bytes = std::fs::read(&path)?;
    let report = import_statement(
        &mut conn,
        &ctx,
        &ImportOptions::default(),
        "bench-statement.xml",
        &bytes,
    )?;
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    if report.new_lines != args.lines {
        return Err(failed(format!(
            "not every line was imported: {:?}",
            report.problem
        )));
    }
    println!(
        "{backend}: {} bank lines read, matched, applied and posted in {secs:.2} s = {:.0} lines/s \
         (matched {}, suggested {}, in suspense {}) against {} open invoices",
        args.lines,
        args.lines as f64 / secs,
        report.matched,
        report.suggested,
        report.unmatched,
        args.count
    );
    Ok(())
}

pub fn run_camt_parse(dir: &Path, args: &BenchArgs) -> CliResult {
    let path = dir.join("bench-parse.xml");
    let size = write_camt(&path, args.lines, args.lines.max(1))?;
    let bytes = std::fs::read(&path)?;
    let _ = std::fs::remove_file(&path);
    // Best of three: the figure is the reader's, not the first page faults'.
    let mut best = f64::MAX;
    let mut entries = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let file = read_statement_file(bytes.as_slice()).map_err(failed)?;
        best = best.min(started.elapsed().as_secs_f64());
        entries = file
            .statements
            .iter()
            .map(|s| s.entries.len())
            .sum::<usize>();
    }
    println!(
        "camt.053 of {entries} entries ({:.1} MB) read in {best:.3} s = {:.0} MB/s",
        size as f64 / 1e6,
        size as f64 / 1e6 / best
    );
    Ok(())
}
