//! How each record reads as a table row.

use super::output::Tabular;
use factorgate::ledger::TrialBalanceRow;
use factorgate::money::format_minor;
use factorgate::service::invoices::{Invoice, Recorded};
use factorgate::service::keys::{CreatedKey, KeyInfo};
use factorgate::service::ledger::Entry;
use factorgate::service::parties::{Buyer, Seller};
use factorgate::service::payments::Payment;

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl Tabular for Seller {
    fn headers() -> Vec<&'static str> {
        vec!["id", "name", "siren", "vat", "iban"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            opt(&self.siren),
            opt(&self.vat),
            opt(&self.iban),
        ]
    }
}

impl Tabular for Buyer {
    fn headers() -> Vec<&'static str> {
        vec!["id", "name", "country", "legal_ids"]
    }
    fn row(&self) -> Vec<String> {
        let ids = self
            .legal_ids
            .iter()
            .map(|l| {
                format!(
                    "{}:{}{}",
                    l.scheme,
                    l.value,
                    if l.verified { "" } else { " (unverified)" }
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            self.id.clone(),
            self.name.clone(),
            self.country.clone(),
            ids,
        ]
    }
}

impl Tabular for Invoice {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "number",
            "kind",
            "buyer_id",
            "issue_date",
            "due_date",
            "currency",
            "gross",
            "open",
            "state",
            "lme_exceeded",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.number.clone(),
            self.kind.as_str().to_string(),
            self.buyer_id.clone(),
            self.issue_date.to_string(),
            self.due_date.to_string(),
            self.currency.clone(),
            self.gross.to_decimal().to_string(),
            self.open.to_decimal().to_string(),
            self.state.as_str().to_string(),
            self.lme_exceeded.to_string(),
        ]
    }
}

impl Tabular for Recorded {
    fn headers() -> Vec<&'static str> {
        let mut h = vec!["status"];
        h.extend(Invoice::headers());
        h
    }
    fn row(&self) -> Vec<String> {
        let status = serde_json::to_value(self.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut r = vec![status];
        r.extend(self.invoice.row());
        r
    }
}

impl Tabular for Payment {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "buyer_id",
            "received_on",
            "currency",
            "amount",
            "unallocated",
            "reference",
            "allocations",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.buyer_id.clone(),
            self.received_on.to_string(),
            self.amount.currency().to_string(),
            self.amount.to_decimal().to_string(),
            self.unallocated.to_decimal().to_string(),
            opt(&self.reference),
            self.allocations
                .iter()
                .map(|a| format!("{}={}", a.invoice_id, a.amount.to_decimal()))
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

impl Tabular for TrialBalanceRow {
    fn headers() -> Vec<&'static str> {
        vec!["account", "label", "currency", "debit", "credit", "balance"]
    }
    fn row(&self) -> Vec<String> {
        let e = self.currency.exponent();
        vec![
            self.account.clone(),
            self.label.clone(),
            self.currency.to_string(),
            format_minor(self.debit, e, '.'),
            format_minor(self.credit, e, '.'),
            format_minor(self.balance, e, '.'),
        ]
    }
}

impl Tabular for KeyInfo {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "label",
            "role",
            "key_prefix",
            "created_at",
            "revoked_at",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.label.clone(),
            self.role.clone(),
            self.key_prefix.clone(),
            self.created_at.to_string(),
            self.revoked_at.map(|t| t.to_string()).unwrap_or_default(),
        ]
    }
}

impl Tabular for CreatedKey {
    fn headers() -> Vec<&'static str> {
        vec!["id", "label", "role", "key"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.label.clone(),
            self.role.as_str().to_string(),
            self.key.clone(),
        ]
    }
}

impl Tabular for Entry {
    fn headers() -> Vec<&'static str> {
        vec![
            "number", "journal", "date", "account", "buyer_id", "debit", "credit", "currency",
            "label",
        ]
    }
    fn row(&self) -> Vec<String> {
        // One row per entry; callers that want lines use JSON.
        vec![
            self.number.to_string(),
            self.journal.clone(),
            self.date.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            self.label.clone(),
        ]
    }
}

/// One row per line of an entry.
pub fn entry_rows(e: &Entry) -> Vec<Vec<String>> {
    e.lines
        .iter()
        .map(|l| {
            vec![
                e.number.to_string(),
                e.journal.clone(),
                e.date.to_string(),
                l.account.clone(),
                l.buyer_id.clone().unwrap_or_default(),
                l.debit.to_decimal().to_string(),
                l.credit.to_decimal().to_string(),
                l.debit.currency().to_string(),
                l.label.clone(),
            ]
        })
        .collect()
}
