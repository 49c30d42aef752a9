//! What the demo works on: the bundled invoice files (real public test
//! documents from tests/fixtures, see tests/fixtures/SOURCES.tsv), the
//! sellers and buyers they name, and the bank statement it builds.

use chrono::NaiveDate;
use factorgate::domain::matching::rf::reference_for;

/// One bundled invoice file.
pub struct Bundled {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! bundled {
    ($dir:literal, $file:literal) => {
        Bundled {
            name: $file,
            bytes: include_bytes!(concat!("../../../tests/fixtures/", $dir, "/", $file)),
        }
    };
}

/// Six invoices of three German sellers, in UBL and CII. Issue date,
/// buyer and gross as written in each file:
/// - 471102, 2024-11-15, due 2024-12-15, Kunden AG Mitte, EUR 235.62
/// - 2020-1, 2020-01-03, Rechnungsempfänger, EUR 119.00
/// - 123456XX, 2016-04-04, [Buyer name], EUR 336.90
/// - 47110815, 2024-11-15, Metallbau Leipzig, GBP 1,021.91 (521.91 payable)
/// - 2015776085, 2024-11-01, Muster GmbH, EUR 1,012.69
/// - RE-20201121/508, 2020-11-21, Theodor Est, EUR 571.04
pub const INVOICES: [Bundled; 6] = [
    bundled!("cii", "ZUGFeRD-mustangproject__Factur-X_basic.xml"),
    bundled!(
        "cii",
        "itplr-kosit-xrechnung-testsuite__04.05a-INVOICE_uncefact.xml"
    ),
    bundled!(
        "ubl",
        "itplr-kosit-xrechnung-testsuite__01.01a-INVOICE_ubl.xml"
    ),
    bundled!("cii", "ZUGFeRD-mustangproject__Extended_fremdwaehrung.xml"),
    bundled!(
        "ubl",
        "ZUGFeRD-mustangproject__TESTXRECHNUNG_INVDSS_012015776085.XML"
    ),
    bundled!("cii", "ZUGFeRD-mustangproject__factur-x.xml"),
];

/// The sellers of the bundled files (name, VAT number as in the files).
pub const SELLERS: [(&str, &str); 3] = [
    ("Lieferant GmbH", "DE123456789"),
    ("Alphabet Fuhrparkmanagement GmbH", "DE238574172"),
    ("Bei Spiel GmbH", "DE136695976"),
];

/// The seller whose invoices are factored.
pub const FACTORED_SELLER: &str = "DE123456789";

/// Buyers created before the import, with a DUNS number the files do not
/// carry (made-up demo ids), so the insurer and the factor know them; the
/// import finds them by exact name and country.
pub const BUYERS: [(&str, &str); 2] = [
    ("Kunden AG Mitte", "313000001"),
    ("Muster GmbH", "313000002"),
];

pub const INSURER_CONNECTION: &str = "sandbox-insurer";
pub const FACTOR_CONNECTION: &str = "sandbox-factor";
pub const POLICY: &str = "POL-DEMO-1";
pub const CONTRACT: &str = "FCT-DEMO-1";
pub const BANK_IBAN: &str = "FR7630001000010000000000001";

/// A camt.053 for `day` on our account: Muster GmbH pays 2015776085 with
/// its RF creditor reference, Theodor Est pays RE-20201121/508 naming it
/// in the text, and an unknown payer sends 150.00. Opening 0.00, closing
/// 1,012.69 + 571.04 + 150.00 = 1,733.73.
pub fn bank_statement(day: NaiveDate) -> String {
    let rf = reference_for("2015776085").unwrap_or_default();
    let entries = [
        (
            "DEMO-BK-1",
            "1012.69",
            "Muster GmbH",
            "Zahlung".to_string(),
            Some(rf),
        ),
        (
            "DEMO-BK-2",
            "571.04",
            "Theodor Est",
            "Rechnung RE-20201121/508".to_string(),
            None,
        ),
        (
            "DEMO-BK-3",
            "150.00",
            "Unbekannt KG",
            "Vorauszahlung".to_string(),
            None,
        ),
    ];
    let mut body = String::new();
    for (r, amount, payer, text, strd) in entries {
        let strd = strd
            .map(|x| format!("<Strd><CdtrRefInf><Ref>{x}</Ref></CdtrRefInf></Strd>"))
            .unwrap_or_default();
        body.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>\
             <AcctSvcrRef>{r}</AcctSvcrRef><NtryDtls><TxDtls>\
             <RltdPties><Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr></RltdPties>\
             <RmtInf><Ustrd>{text}</Ustrd>{strd}</RmtInf></TxDtls></NtryDtls></Ntry>"
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
         <BkToCstmrStmt><GrpHdr><MsgId>DEMO-{day}</MsgId></GrpHdr><Stmt><Id>DEMO-STMT-{day}</Id>\
         <Acct><Id><IBAN>{BANK_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1733.73</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>\
         {body}</Stmt></BkToCstmrStmt></Document>"
    )
}

/// The sandbox as the demo uses it: the default insurer rules (up to
/// 50,000.00 approved in full, above it half), and a factor that knows
/// Kunden AG Mitte (limit 10,000.00 on its DUNS) and advances only on
/// request.
pub fn sandbox_config() -> factorgate_sandbox::SandboxConfig {
    let mut config = factorgate_sandbox::SandboxConfig::default();
    config.factor.auto_fund = false;
    config.factor.debtor_limits.insert(
        format!("0060:{}", BUYERS[0].1),
        rust_decimal::Decimal::new(10_000, 0),
    );
    config
}
