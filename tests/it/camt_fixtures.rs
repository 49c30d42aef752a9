//! The camt readers against the real files in tests/fixtures/camt (copied
//! from ../shared/fixtures, provenance in tests/fixtures/SOURCES.tsv and
//! tests/fixtures/camt/SOURCES.tsv). Every expected value below was read by
//! hand from the XML (entries, amounts, indicators, balances, texts); sums
//! of the long Subite-eu statements were added up over the file's Ntry
//! elements and checked against their OPBD/CLBD, as the comments say.

use chrono::NaiveDate;
use factorgate::domain::statement::{check_balances, BalanceCheck};
use factorgate::error::ErrorCode;
use factorgate::formats::statement::{
    read_statement_file, EntryStatus, StatementError, StatementFile, StatementFormat,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/camt/");

/// Every file of tests/fixtures/camt (checked against the directory below).
const ALL: [&str; 22] = [
    "Subite-eu-camt-to-coda__BE68793230773034-202412.xml",
    "Subite-eu-camt-to-coda__LT625883379695428516_CAMT_053_2024-03-12.xml",
    "Subite-eu-camt-to-coda__LT625883379695428516_CAMT_053_2024-03-13.xml",
    "Subite-eu-camt-to-coda__account_statement-3.xml",
    "genkgo-camt__camt053.v2.all-balance-types.xml",
    "genkgo-camt__camt053.v2.five.decimals.xml",
    "genkgo-camt__camt053.v2.minimal.xml",
    "genkgo-camt__camt053.v3.xml",
    "genkgo-camt__camt053.v4.xml",
    "genkgo-camt__camt053.v8.xml",
    "genkgo-camt__camt054.v2.xml",
    "genkgo-camt__camt054.v4.xml",
    "genkgo-camt__camt054.v8.xml",
    "genkgo-camt__camt53.only-Dt-with-DtTm.xml",
    "prowide-prowide-iso20022__camt.053.001.07.xml",
    "viafintech-camt_parser__052_valid_example.xml",
    "viafintech-camt_parser__053_valid_example.xml",
    "viafintech-camt_parser__053_valid_example_v8.xml",
    "viafintech-camt_parser__053_valid_example_with_batch.xml",
    "viafintech-camt_parser__053_valid_example_with_datetime.xml",
    "viafintech-camt_parser__053_valid_example_with_debit.xml",
    "viafintech-camt_parser__054_valid_example.xml",
];

fn read(name: &str) -> Result<StatementFile, StatementError> {
    let bytes = std::fs::read(format!("{DIR}{name}")).unwrap();
    read_statement_file(bytes.as_slice())
}

fn ok(name: &str) -> StatementFile {
    read(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn every_fixture_is_listed_and_covered() {
    let mut on_disk: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    let sources = std::fs::read_to_string(format!("{DIR}SOURCES.tsv")).unwrap();
    for name in ALL {
        assert!(sources.contains(name), "{name} missing from SOURCES.tsv");
    }
}

#[test]
fn genkgo_v2_minimal_mixed_currency_balances_are_refused() {
    let f = ok("genkgo-camt__camt053.v2.minimal.xml");
    assert_eq!(f.format, StatementFormat::Camt053);
    let st = &f.statements[0];
    assert_eq!(st.id, "253EURNL26VAYB8060476890");
    assert_eq!(st.account, "NL26VAYB8060476890");
    assert_eq!(
        st.currency.map(|c| c.code().to_string()).as_deref(),
        Some("EUR")
    );
    // OPBD EUR 18.15 CRDT on 2014-12-30; CLBD SEK 27.00 DBIT on 2014-12-31.
    assert_eq!(st.balances[0].kind, "OPBD");
    assert_eq!(st.balances[0].amount.minor(), 1815);
    assert_eq!(st.balances[0].date, Some(d("2014-12-30")));
    assert_eq!(st.balances[1].kind, "CLBD");
    assert_eq!(st.balances[1].amount.minor(), -2700);
    assert_eq!(st.balances[1].amount.currency().code(), "SEK");
    // CLAV JPY 2700 DBIT: JPY has no decimals.
    assert_eq!(st.balances[3].amount.minor(), -2700);
    assert_eq!(st.balances[3].amount.currency().code(), "JPY");
    // One entry: EUR 8.85 CRDT, BOOK, booked 2014-12-31, value 2015-01-02,
    // debtor NAME NAME, IBAN NL56AGDH9619008421, SCOR ref 4654654654654654.
    let e = &st.entries[0];
    assert_eq!(e.amount.minor(), 885);
    assert_eq!(e.status, EntryStatus::Booked);
    assert_eq!(e.booked_on, Some(d("2014-12-31")));
    assert_eq!(e.value_on, Some(d("2015-01-02")));
    let m = &e.movements()[0];
    assert_eq!(m.counterparty_name.as_deref(), Some("NAME NAME"));
    assert_eq!(m.counterparty_iban.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(m.structured_ref.as_deref(), Some("4654654654654654"));
    // No AcctSvcrRef and no NtryRef: the entry's position.
    assert_eq!(m.entry_ref, "#1");
    let err = check_balances(st).unwrap_err();
    assert_eq!(err.code(), "statement_currency_mismatch");
    assert!(
        err.to_string().contains("253EURNL26VAYB8060476890"),
        "{err}"
    );
    assert!(err.to_string().contains("CLBD is in SEK"), "{err}");
}

#[test]
fn genkgo_v2_five_decimals_reads_trailing_zeros_and_is_unbalanced() {
    let f = ok("genkgo-camt__camt053.v2.five.decimals.xml");
    let st = &f.statements[0];
    // "18.150", "8.850", "27.050" EUR: three decimals, the third a zero.
    assert_eq!(st.balances[0].amount.minor(), 1815);
    assert_eq!(st.entries[0].amount.minor(), 885);
    assert_eq!(st.balances[1].amount.minor(), 2705);
    let m = &st.entries[0].movements()[0];
    assert_eq!(m.remittance, "Transaction Description");
    assert_eq!(m.end_to_end_id.as_deref(), Some("000000001"));
    // 18.15 + 8.85 = 27.00, the closing says 27.05: 0.05 missing.
    let err = check_balances(st).unwrap_err();
    assert_eq!(err.code(), "statement_unbalanced");
    let text = err.to_string();
    assert!(text.contains("253EURNL26VAYB8060476890"), "{text}");
    assert!(text.contains("gives EUR 27.00"), "{text}");
    assert!(text.contains("difference EUR 0.05"), "{text}");
}

#[test]
fn genkgo_v2_all_balance_types() {
    let f = ok("genkgo-camt__camt053.v2.all-balance-types.xml");
    let st = &f.statements[0];
    let kinds: Vec<&str> = st.balances.iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["OPBD", "PRCD", "OPAV", "CLBD", "CLAV", "FWAV", "INFO", "ITAV", "ITBD", "XPCD"]
    );
    // EUR 1.01, 2.02 .. 10.10 in that order.
    let amounts: Vec<i64> = st.balances.iter().map(|b| b.amount.minor()).collect();
    assert_eq!(amounts, [101, 202, 303, 404, 505, 606, 707, 808, 909, 1010]);
    assert_eq!(st.account, "CH2801234000123456789");
    // OPBD 1.01 + 8.85 = 9.86 against CLBD 4.04: difference -5.82. Only
    // the booked balances are checked; OPAV, CLAV, FWAV... are not.
    let err = check_balances(st).unwrap_err();
    assert!(err.to_string().contains("difference EUR -5.82"), "{err}");
}

#[test]
fn genkgo_v3_v4_v8_statements() {
    // The same statement in three versions: Acct/Id/Othr/Id, one EUR 8.85
    // CRDT entry booked 2014-12-31 (a DtTm 2014-12-31T13:15:00+01:00 in
    // v8), SEK closing balance (refused as in v2).
    for (name, servicer) in [
        ("genkgo-camt__camt053.v3.xml", "XXXXXXXXXXXXXXXXXXXXXXEUR"),
        ("genkgo-camt__camt053.v4.xml", "AAAASESS-FP-CN_98765/01"),
        ("genkgo-camt__camt053.v8.xml", "AAAASESS-FP-CN_98765/01"),
    ] {
        let f = ok(name);
        let st = &f.statements[0];
        assert_eq!(st.account, "NL26VAYB8060476890", "{name}");
        assert_eq!(st.from_date, Some(d("2007-10-18")), "{name}");
        let e = &st.entries[0];
        assert_eq!(e.amount.minor(), 885, "{name}");
        assert_eq!(e.booked_on, Some(d("2014-12-31")), "{name}");
        assert_eq!(e.servicer_ref.as_deref(), Some(servicer), "{name}");
        // One detail whose own amount (EUR 105.750 in v3, SEK 0 in v4/v8)
        // does not describe the entry: the entry's amount is kept.
        let ms = e.movements();
        assert_eq!(ms.len(), 1, "{name}");
        assert_eq!(ms[0].amount.minor(), 885, "{name}");
        assert_eq!(
            ms[0].counterparty_name.as_deref(),
            Some("NAME NAME"),
            "{name}"
        );
        assert_eq!(
            ms[0].structured_ref.as_deref(),
            Some("4654654654654654"),
            "{name}"
        );
        assert_eq!(
            check_balances(st).unwrap_err().code(),
            "statement_currency_mismatch"
        );
    }
    // v8 only: the end-to-end id, and the debtor's name under Dbtr/Pty.
    let f = ok("genkgo-camt__camt053.v8.xml");
    let m = &f.statements[0].entries[0].movements()[0];
    assert_eq!(m.end_to_end_id.as_deref(), Some("MUELL/FINP/RA12345"));
}

#[test]
fn genkgo_camt054_notifications() {
    for name in [
        "genkgo-camt__camt054.v2.xml",
        "genkgo-camt__camt054.v4.xml",
        "genkgo-camt__camt054.v8.xml",
    ] {
        let f = ok(name);
        assert_eq!(f.format, StatementFormat::Camt054, "{name}");
        let st = &f.statements[0];
        assert_eq!(st.id, "AAAASESS-FP-ACCR001", "{name}");
        assert_eq!(st.account, "CH2801234000123456789", "{name}");
        // One entry: SEK 200000 DBIT, booked (Sts/Cd in v8), 3 TxDtls.
        let e = &st.entries[0];
        assert_eq!(e.amount.minor(), -20_000_000, "{name}");
        assert_eq!(e.amount.currency().code(), "SEK", "{name}");
        assert_eq!(e.status, EntryStatus::Booked, "{name}");
        assert_eq!(e.details.len(), 3, "{name}");
        // Texts: V1 has one Ustrd, V3 two blocks; references V1, V2, V3 x2.
        assert_eq!(
            e.details[0].remittance,
            ["Unstructured Remittance Information V1"],
            "{name}"
        );
        assert_eq!(
            e.details[2].remittance,
            [
                "Unstructured Remittance Information V3 block 1",
                "Unstructured Remittance Information V3 block 2"
            ],
            "{name}"
        );
        assert_eq!(e.details[1].creditor_refs, ["ISR ref number V2"], "{name}");
        assert_eq!(
            e.details[2].creditor_refs,
            ["Ref number V3 block 1", "Ref number V3 block 2"],
            "{name}"
        );
        // The details (no amounts in v2; CHF 3.1, 3.2, 3.2 in v4/v8) do
        // not add up to SEK 200000: one line, all texts.
        let ms = e.movements();
        assert_eq!(ms.len(), 1, "{name}");
        assert_eq!(ms[0].amount.minor(), -20_000_000, "{name}");
        assert!(ms[0].remittance.contains("V3 block 2"), "{name}");
        // A notification has no balances: nothing to check.
        assert_eq!(
            check_balances(st).unwrap().1,
            BalanceCheck::NotGiven,
            "{name}"
        );
    }
    // v4: a debit's other party is the creditor.
    let f = ok("genkgo-camt__camt054.v4.xml");
    let m = &f.statements[0].entries[0].movements()[0];
    assert_eq!(
        m.counterparty_name.as_deref(),
        Some("Example Creditor 3 - V1")
    );
    assert_eq!(
        m.counterparty_iban.as_deref(),
        Some("CH4112345003131313131")
    );
    // The first detail carries its own indicator, CRDT (line 101 of the
    // file), under the DBIT entry: CHF +3.10 as written.
    assert_eq!(
        f.statements[0].entries[0].details[0]
            .amount
            .map(|a| a.minor()),
        Some(310)
    );
}

#[test]
fn viafintech_053_reconciles_and_splits_its_batch() {
    let f = ok("viafintech-camt_parser__053_valid_example.xml");
    let st = &f.statements[0];
    assert_eq!(st.id, "0352C5320131227220503");
    assert_eq!(st.account, "DE14740618130000033626");
    // PRCD 33.06 CRDT, CLBD 23.06 CRDT; entries -2.00, -3.00, +1.00, -6.00:
    // 33.06 - 10.00 = 23.06.
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::Reconciled);
    let amounts: Vec<i64> = st.entries.iter().map(|e| e.amount.minor()).collect();
    assert_eq!(amounts, [-200, -300, 100, -600]);
    assert_eq!(
        st.entries[0].entry_ref.as_deref(),
        Some("1234567890sdfghjk")
    );
    assert_eq!(
        st.entries[0].servicer_ref.as_deref(),
        Some("2013122710583450000")
    );
    let first = &st.entries[0].movements()[0];
    assert_eq!(
        first.remittance,
        "TEST BERWEISUNG MITTELS BLZUND KONTONUMMER - DTA"
    );
    assert_eq!(
        first.counterparty_name.as_deref(),
        Some("Testkonto Nummer 2")
    );
    assert_eq!(first.end_to_end_id.as_deref(), Some("EndToEndReference"));
    // The credit of 1.00: debtor Testkonto Nummer 2 whose account is a
    // BBAN (no IBAN), text "R CKBUCHUNG".
    let credit = &st.entries[2].movements()[0];
    assert_eq!(
        credit.counterparty_name.as_deref(),
        Some("Testkonto Nummer 2")
    );
    assert_eq!(credit.counterparty_iban, None);
    assert_eq!(credit.remittance, "R CKBUCHUNG");
    // The batch of 6.00: 3.50 + 2.50 in AmtDtls/TxAmt, two lines.
    let batch = st.entries[3].movements();
    assert_eq!(batch.len(), 2);
    assert_eq!((batch[0].amount.minor(), batch[0].detail_index), (-350, 1));
    assert_eq!((batch[1].amount.minor(), batch[1].detail_index), (-250, 2));
    assert_eq!(
        batch[0].remittance,
        "Sammelueberwseisung 2. Zahlung   TAN:283044"
    );
    assert_eq!(
        batch[1].end_to_end_id.as_deref(),
        Some("STZV-EtE27122013-11:02-2")
    );
}

#[test]
fn viafintech_053_with_debit_opening_is_unbalanced() {
    // Same entries, but PRCD 33.06 DBIT: -33.06 - 10.00 = -43.06, the
    // closing says +23.06: 66.12 unexplained.
    let f = ok("viafintech-camt_parser__053_valid_example_with_debit.xml");
    let st = &f.statements[0];
    assert_eq!(st.balances[0].amount.minor(), -3306);
    let err = check_balances(st).unwrap_err();
    assert!(err.to_string().contains("difference EUR 66.12"), "{err}");
}

#[test]
fn viafintech_053_v8_foreign_currency_entry_is_refused() {
    let f = ok("viafintech-camt_parser__053_valid_example_v8.xml");
    let st = &f.statements[0];
    assert_eq!(st.account, "CH1111111111111111111");
    // CHF 474.4 CRDT "INVOICE R77561" from Jon Doe; CHF 88.85 CRDT with
    // SCOR RF38000000000000000000552; EUR 20.97 DBIT on the CHF account.
    let amounts: Vec<(i64, String)> = st
        .entries
        .iter()
        .map(|e| (e.amount.minor(), e.amount.currency().code().to_string()))
        .collect();
    assert_eq!(
        amounts,
        [
            (47440, "CHF".into()),
            (8885, "CHF".into()),
            (-2097, "EUR".into())
        ]
    );
    let m0 = &st.entries[0].movements()[0];
    assert_eq!(m0.remittance, "INVOICE R77561");
    assert_eq!(m0.counterparty_name.as_deref(), Some("Jon Doe"));
    let m1 = &st.entries[1].movements()[0];
    assert_eq!(
        m1.structured_ref.as_deref(),
        Some("RF38000000000000000000552")
    );
    assert_eq!(m1.entry_ref, "2022172PH0003127");
    let err = check_balances(st).unwrap_err();
    assert_eq!(err.code(), "statement_currency_mismatch");
    assert!(err.to_string().contains("entry 3 is in EUR"), "{err}");
}

#[test]
fn viafintech_053_with_batch_excerpt_is_unbalanced() {
    let f = ok("viafintech-camt_parser__053_valid_example_with_batch.xml");
    let st = &f.statements[0];
    assert_eq!(st.account, "NL18INGB00012345678");
    let amounts: Vec<i64> = st.entries.iter().map(|e| e.amount.minor()).collect();
    assert_eq!(amounts, [-475_374, 268_800, 500_000]);
    assert_eq!(st.entries[1].movements()[0].remittance, "TERUGGAAF");
    assert_eq!(
        st.entries[1].movements()[0].counterparty_name.as_deref(),
        Some("TEST")
    );
    // OPBD 7329.80 - 4753.74 + 2688.00 + 5000.00 = 10264.06 against CLBD
    // 23038.20: the excerpt misses 12774.14.
    let err = check_balances(st).unwrap_err();
    assert!(err.to_string().contains("difference EUR 12774.14"), "{err}");
}

#[test]
fn viafintech_053_with_datetime() {
    let f = ok("viafintech-camt_parser__053_valid_example_with_datetime.xml");
    let st = &f.statements[0];
    assert_eq!(st.account, "11111111");
    // CLBD USD 606.80 dated by a DtTm; no opening balance: not checked.
    assert_eq!(st.balances[0].amount.minor(), 60680);
    assert_eq!(st.balances[0].date, Some(d("2023-07-07")));
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::NotGiven);
    let e = &st.entries[0];
    assert_eq!(e.amount.minor(), 19586);
    assert_eq!(e.entry_ref.as_deref(), Some("Test Buchung"));
    // BookgDt/DtTm 2023-06-21T12:35:33.115965+00:00.
    assert_eq!(e.booked_on, Some(d("2023-06-21")));
}

#[test]
fn viafintech_054_postfinance() {
    let f = ok("viafintech-camt_parser__054_valid_example.xml");
    assert_eq!(f.format, StatementFormat::Camt054);
    let st = &f.statements[0];
    assert_eq!(st.account, "CH0309000000250090342");
    // CHF 24.00 CRDT (15.00 + 9.00), 56.56 CRDT, 6.00 DBIT and 15.53 DBIT,
    // both reversals; all four share NtryRef 41107767420881932.
    let amounts: Vec<i64> = st.entries.iter().map(|e| e.amount.minor()).collect();
    assert_eq!(amounts, [2400, 5656, -600, -1553]);
    assert!(st.entries[2].reversal && st.entries[3].reversal && !st.entries[0].reversal);
    let first = st.entries[0].movements();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].amount.minor(), 1500);
    assert_eq!(
        first[0].counterparty_name.as_deref(),
        Some("Rutschmann Pia")
    );
    assert_eq!(
        first[0].counterparty_iban.as_deref(),
        Some("CH4409000000495962779")
    );
    assert_eq!(first[0].remittance, "Mitteilung 132");
    assert_eq!(first[1].amount.minor(), 900);
    assert_eq!(
        first[1].counterparty_name.as_deref(),
        Some("Bernasconi Maria")
    );
    // Lines are keyed by the bank's reference, unique here, not NtryRef.
    assert_eq!(first[0].entry_ref, "20160410375244000000000000000081");
    assert!(first[0].bank_unique);
}

#[test]
fn viafintech_052_intraday_report_is_not_accepted() {
    let err = read("viafintech-camt_parser__052_valid_example.xml").unwrap_err();
    assert_eq!(err.code(), "statement_kind_not_accepted");
    assert!(err.to_string().contains("camt.052"), "{err}");
}

#[test]
fn genkgo_ron_statement_without_entries() {
    let f = ok("genkgo-camt__camt53.only-Dt-with-DtTm.xml");
    let st = &f.statements[0];
    assert_eq!(st.account, "GB33BUKB20201555555555");
    assert!(st.entries.is_empty());
    // OPBD RON 5442.09000: RON has 2 decimals, the extra ones are zeros.
    assert_eq!(st.balances[0].amount.minor(), 544_209);
    // A DtTm with nanoseconds in the balance date.
    assert_eq!(st.balances[0].date, Some(d("2025-07-23")));
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::NotGiven);
}

#[test]
fn prowide_document_inside_an_envelope() {
    let f = ok("prowide-prowide-iso20022__camt.053.001.07.xml");
    let st = &f.statements[0];
    assert_eq!(st.id, "SDFSDF");
    assert_eq!(st.account, "2345234534");
    // OPAV USD 234234 and ITBD USD 234299, no entries, no booked balances.
    assert_eq!(st.balances[0].kind, "OPAV");
    assert_eq!(st.balances[0].amount.minor(), 23_423_400);
    assert!(st.entries.is_empty());
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::NotGiven);
}

#[test]
fn subite_belgian_statements_reconcile() {
    // account_statement-3: 314 entries; OPBD 33443.03 + 25927.34 (the sum
    // of the entries) = CLBD 59370.37. The first: EUR 30000 CRDT from
    // Stellar Ltd, BE91516952884376, booked 2024-10-31.
    let f = ok("Subite-eu-camt-to-coda__account_statement-3.xml");
    let st = &f.statements[0];
    assert_eq!(st.account, "BE68793230773034");
    assert_eq!(st.entries.len(), 314);
    let e = &st.entries[0];
    assert_eq!(e.amount.minor(), 3_000_000);
    assert_eq!(e.booked_on, Some(d("2024-10-31")));
    let m = &e.movements()[0];
    assert_eq!(m.counterparty_name.as_deref(), Some("Stellar Ltd"));
    assert_eq!(m.counterparty_iban.as_deref(), Some("BE91516952884376"));
    assert_eq!(st.entries[1].amount.minor(), -1100);
    assert_eq!(st.entries[313].amount.minor(), -1195);
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::Reconciled);
    // 202412: 264 entries, 87539.12 - 45574.01 = 41965.11; the first EUR
    // 7.5 DBIT "Settlement SKRTEX9280" to Nova Holdings.
    let f = ok("Subite-eu-camt-to-coda__BE68793230773034-202412.xml");
    let st = &f.statements[0];
    assert_eq!(st.entries.len(), 264);
    let m = &st.entries[0].movements()[0];
    assert_eq!(m.amount.minor(), -750);
    assert_eq!(m.remittance, "Settlement SKRTEX9280");
    assert_eq!(m.counterparty_name.as_deref(), Some("Nova Holdings"));
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::Reconciled);
}

#[test]
fn subite_lithuanian_statements_without_indicators_reconcile() {
    // 03-12: two statements; the first has 11 entries (DBIT 177607 first),
    // 29194819.20 - 4637678.51 = 24557140.69; the second none, 4801.55
    // both ends. Balances carry no CdtDbtInd: read as credit.
    let f = ok("Subite-eu-camt-to-coda__LT625883379695428516_CAMT_053_2024-03-12.xml");
    assert_eq!(f.statements.len(), 2);
    let st = &f.statements[0];
    assert_eq!(st.id, "MSG38516034-YOWYRK");
    assert_eq!(st.account, "LT625883379695428516");
    assert_eq!(st.entries.len(), 11);
    assert_eq!(st.entries[0].amount.minor(), -17_760_700);
    assert_eq!(
        st.entries[0].servicer_ref.as_deref(),
        Some("REF000000323800")
    );
    assert_eq!(st.balances[0].amount.minor(), 2_919_481_920);
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::Reconciled);
    assert_eq!(f.statements[1].account, "LT414319056143772570");
    assert_eq!(
        check_balances(&f.statements[1]).unwrap().1,
        BalanceCheck::Reconciled
    );
    // 03-13: 6 entries, 24557140.69 - 512111.19 = 24045029.50; one credit
    // of 1662459.3. No dates on entries, no status: booked.
    let f = ok("Subite-eu-camt-to-coda__LT625883379695428516_CAMT_053_2024-03-13.xml");
    let st = &f.statements[0];
    assert_eq!(st.entries.len(), 6);
    assert_eq!(st.entries[1].amount.minor(), 166_245_930);
    assert_eq!(st.entries[1].booked_on, None);
    assert_eq!(st.entries[1].status, EntryStatus::Booked);
    assert_eq!(check_balances(st).unwrap().1, BalanceCheck::Reconciled);
}

#[test]
fn bad_documents_are_refused_with_a_path() {
    // Not camt at all.
    let err = read_statement_file(&b"<Invoice/>"[..]).unwrap_err();
    assert_eq!(err.code(), "format_unknown");
    let err = read_statement_file(&b"hello"[..]).unwrap_err();
    assert_eq!(err.code(), "format_unknown");
    // A DTD is refused before anything is read.
    let dtd = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Document/>";
    assert_eq!(
        read_statement_file(&dtd[..]).unwrap_err().code(),
        "document_unsafe"
    );
    // An amount with more decimals than EUR has, not zeros: named by path.
    let doc = "<Document><BkToCstmrStmt><Stmt><Id>S1</Id><Acct><Id><IBAN>FR7630001000010000000000001</IBAN></Id></Acct>\
               <Ntry><Amt Ccy=\"EUR\">1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry></Stmt></BkToCstmrStmt></Document>";
    let err = read_statement_file(doc.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "amount_over_precise");
    assert!(
        err.to_string()
            .contains("/Document/BkToCstmrStmt/Stmt/Ntry/Amt"),
        "{err}"
    );
    // A bad indicator.
    let doc = doc.replace("1.005", "1.00").replace(">CRDT<", ">CRED<");
    let err = read_statement_file(doc.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "credit_debit_indicator_invalid");
}
