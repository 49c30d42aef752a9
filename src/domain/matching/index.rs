//! The in-memory view the matcher reads: open invoices by number key and
//! by buyer, buyers by IBAN and by name. Built once per run from the store,
//! kept in step as matches are applied, so no line costs a query.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::rf::body_of;
use super::text::normalize_name;
use crate::money::Currency;

/// An open invoice.
#[derive(Debug, Clone)]
pub struct OpenItem {
    pub invoice_id: Box<str>,
    pub number: Box<str>,
    pub buyer: u32,
    pub currency: Currency,
    pub open: i64,
    pub due_date: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct BuyerKey {
    pub id: Box<str>,
    pub name: Box<str>,
    /// Factored under a notified contract: payments belong to the factor.
    pub notified_factoring: bool,
}

/// A name token shared by more buyers than this is no clue.
const MAX_TOKEN_BUYERS: usize = 64;

#[derive(Debug, Default)]
pub struct MatchIndex {
    pub items: Vec<OpenItem>,
    pub buyers: Vec<BuyerKey>,
    buyer_pos: HashMap<Box<str>, u32>,
    by_number: HashMap<Box<str>, Vec<u32>>,
    /// Each buyer's open items, oldest due date first.
    by_buyer: Vec<Vec<u32>>,
    by_iban: HashMap<Box<str>, u32>,
    by_name: HashMap<Box<str>, Vec<u32>>,
    by_token: HashMap<Box<str>, Vec<u32>>,
}

impl MatchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a buyer; returns its position. Adding one twice returns the
    /// first position.
    pub fn add_buyer(&mut self, id: &str, name: &str, notified_factoring: bool) -> u32 {
        if let Some(p) = self.buyer_pos.get(id) {
            return *p;
        }
        let pos = self.buyers.len() as u32;
        let norm = normalize_name(name);
        if !norm.is_empty() {
            self.by_name
                .entry(norm.clone().into())
                .or_default()
                .push(pos);
            for t in norm.split(' ') {
                let list = self.by_token.entry(t.into()).or_default();
                if list.len() <= MAX_TOKEN_BUYERS {
                    list.push(pos);
                }
            }
        }
        self.buyers.push(BuyerKey {
            id: id.into(),
            name: norm.into(),
            notified_factoring,
        });
        self.buyer_pos.insert(id.into(), pos);
        self.by_buyer.push(Vec::new());
        pos
    }

    pub fn buyer_position(&self, id: &str) -> Option<u32> {
        self.buyer_pos.get(id).copied()
    }

    /// A buyer's known account. The first buyer named for an IBAN keeps it.
    pub fn add_iban(&mut self, iban: &str, buyer: u32) {
        let key: String = iban
            .split_whitespace()
            .collect::<String>()
            .to_ascii_uppercase();
        self.by_iban.entry(key.into()).or_insert(buyer);
    }

    /// Adds an open invoice of a buyer already added. Call `finish` after
    /// the last one.
    pub fn add_item(&mut self, item: OpenItem) {
        let pos = self.items.len() as u32;
        let key = body_of(&item.number);
        if !key.is_empty() {
            self.by_number.entry(key.into()).or_default().push(pos);
        }
        if let Some(list) = self.by_buyer.get_mut(item.buyer as usize) {
            list.push(pos);
        }
        self.items.push(item);
    }

    /// Sorts each buyer's items oldest due date first (then number).
    pub fn finish(&mut self) {
        let items = &self.items;
        for list in &mut self.by_buyer {
            list.sort_by(|a, b| {
                let (x, y) = (&items[*a as usize], &items[*b as usize]);
                x.due_date
                    .cmp(&y.due_date)
                    .then_with(|| x.number.cmp(&y.number))
            });
        }
    }

    pub fn items_by_key(&self, key: &str) -> &[u32] {
        self.by_number.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn buyer_items(&self, buyer: u32) -> &[u32] {
        self.by_buyer
            .get(buyer as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn buyer_by_iban(&self, iban: &str) -> Option<u32> {
        let key: String = iban
            .split_whitespace()
            .collect::<String>()
            .to_ascii_uppercase();
        self.by_iban.get(key.as_str()).copied()
    }

    /// Buyers whose normalised name equals `norm`.
    pub fn buyers_named(&self, norm: &str) -> &[u32] {
        self.by_name.get(norm).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Buyers sharing a token with `norm` (bounded: common tokens skipped).
    pub fn buyers_sharing_tokens(&self, norm: &str) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for t in norm.split(' ') {
            if let Some(list) = self.by_token.get(t) {
                if list.len() > MAX_TOKEN_BUYERS {
                    continue;
                }
                for b in list {
                    if !out.contains(b) {
                        out.push(*b);
                    }
                }
            }
        }
        out
    }

    /// Records that `amount` of an item was settled by an applied match.
    pub fn settle(&mut self, item: u32, amount: i64) {
        if let Some(i) = self.items.get_mut(item as usize) {
            i.open = (i.open - amount).max(0);
        }
    }
}
