//! Where cash matching meets factoring: a buyer's payment that reaches our
//! bank for an invoice assigned to a factor (a confidential contract) is the
//! factor's money, so the statement's payment credits the factor account
//! 467, not the buyer's 411, on both backends.

use factorgate::domain::matching::rf::reference_for;
use factorgate::service::factoring::confirm;
use factorgate::service::imports::FileStatus;
use factorgate::service::invoices::get_invoice;
use factorgate::service::statements::{import_statement, ImportOptions};

use crate::common::backends;
use crate::factoring::{
    all_on, balance, d, open_not_assigned, portfolio, receivable_of, setup, terms,
};

/// One credit of `amount` with a structured reference, in a camt.053.
fn statement(amount: &str, reference: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
         <BkToCstmrStmt><GrpHdr><MsgId>M-1</MsgId></GrpHdr><Stmt><Id>ST-1</Id>\
         <Acct><Id><IBAN>FR7630001000010000000000001</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-04-29</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-04-30</Dt></Dt></Bal>\
         <Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
         <BookgDt><Dt>2026-04-30</Dt></BookgDt><ValDt><Dt>2026-04-30</Dt></ValDt>\
         <AcctSvcrRef>BANK-REF-1</AcctSvcrRef><NtryDtls><TxDtls>\
         <RltdPties><Dbtr><Pty><Nm>EDF</Nm></Pty></Dbtr></RltdPties>\
         <RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>\
         </TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
}

#[test]
fn a_bank_payment_on_an_assigned_invoice_credits_the_factor_account() {
    for db in backends() {
        let mut conn = db.store.conn().unwrap();
        let conn = &mut *conn;
        setup(conn, terms(d(2026, 1, 1)));
        portfolio(&db, conn);
        confirm(conn, &db.ctx, &all_on(d(2026, 3, 10))).unwrap();
        // After confirmation (see the factoring tests): 467 holds 20,400.00
        // assigned less the 2,040.00 reserve and 122.40 commission.
        let before_467 = balance(&db, conn, "467");
        assert_eq!(before_467, 1_823_760, "{}", db.name);

        // EDF pays F-3 (2,400.00) to our bank, with its RF reference.
        let rf = reference_for("F-3").unwrap();
        let file = statement("2400.00", &rf);
        let r = import_statement(
            conn,
            &db.ctx,
            &ImportOptions::default(),
            "s.xml",
            file.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, FileStatus::Imported, "{}: {r:?}", db.name);
        assert_eq!(r.matched, 1, "{:?}", r.lines);

        // The money is the factor's: 467 falls by 2,400.00, EDF's 411 stays
        // at zero (the invoice left it at assignment), the bank has it.
        assert_eq!(balance(&db, conn, "467"), before_467 - 240_000);
        assert_eq!(receivable_of(&db, conn, "552081317"), 0);
        assert_eq!(open_not_assigned(conn, "552081317"), 0);
        assert_eq!(balance(&db, conn, "512"), 240_000);
        let f3 = factorgate::store::schema::invoices::table;
        use diesel::prelude::*;
        let id: String = f3
            .filter(factorgate::store::schema::invoices::number.eq("F-3"))
            .select(factorgate::store::schema::invoices::id)
            .first(conn)
            .unwrap();
        let inv = get_invoice(conn, &id).unwrap();
        assert_eq!(inv.open.minor(), 0, "{}", db.name);
    }
}
