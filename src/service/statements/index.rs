//! Loading the matcher's in-memory view from the store: once per run, a
//! few bulk reads, never a query per statement line.

use diesel::prelude::*;

use crate::domain::invoice::InvoiceKind;
use crate::domain::matching::{MatchIndex, OpenItem};
use crate::money::Currency;
use crate::service::ServiceError;
use crate::store::schema::{buyer_bank_accounts, buyers, invoices};
use crate::store::DbConnection;

pub fn load_index(conn: &mut DbConnection) -> Result<MatchIndex, ServiceError> {
    let _span = tracing::info_span!("load_match_index").entered();
    let mut ix = MatchIndex::new();
    let buyer_rows: Vec<(String, String)> = buyers::table
        .select((buyers::id, buyers::name))
        .order(buyers::id)
        .load(conn)?;
    for (id, name) in &buyer_rows {
        // Factoring contracts do not exist yet in this version: no buyer
        // is flagged as notified (see statement_movements.forward_to_factor).
        ix.add_buyer(id, name, false);
    }
    let accounts: Vec<(String, String)> = buyer_bank_accounts::table
        .select((buyer_bank_accounts::iban, buyer_bank_accounts::buyer_id))
        .load(conn)?;
    for (iban, buyer) in accounts {
        if let Some(b) = ix.buyer_position(&buyer) {
            ix.add_iban(&iban, b);
        }
    }
    type OpenRow = (String, String, String, String, i64, chrono::NaiveDate);
    let rows: Vec<OpenRow> = invoices::table
        .filter(
            invoices::kind
                .eq(InvoiceKind::Invoice.as_str())
                .and(invoices::open_minor.gt(0))
                .and(invoices::state.ne("disputed"))
                .and(invoices::state.ne("written_off")),
        )
        .select((
            invoices::id,
            invoices::number,
            invoices::buyer_id,
            invoices::currency,
            invoices::open_minor,
            invoices::due_date,
        ))
        .load(conn)?;
    let mut last_currency: Option<(String, Currency)> = None;
    for (id, number, buyer_id, currency, open, due_date) in rows {
        let Some(buyer) = ix.buyer_position(&buyer_id) else {
            continue;
        };
        let currency = match &last_currency {
            Some((code, c)) if *code == currency => *c,
            _ => {
                let c = crate::service::ledger::stored_currency(&currency)?;
                last_currency = Some((currency, c));
                c
            }
        };
        ix.add_item(OpenItem {
            invoice_id: id.into(),
            number: number.into(),
            buyer,
            currency,
            open,
            due_date,
        });
    }
    ix.finish();
    tracing::info!(
        invoices = ix.items.len(),
        buyers = ix.buyers.len(),
        "match index loaded"
    );
    Ok(ix)
}
