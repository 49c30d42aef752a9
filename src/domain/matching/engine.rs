//! The matching rules, in order, each giving a scored proposal.

use std::fmt::Write;

use super::index::MatchIndex;
use super::rf;
use super::subset::find_subset;
use super::text::{name_similarity, normalize_name, number_candidates};
use crate::money::{format_minor, Currency};

/// What the matcher knows of a statement line (a credit: amount > 0).
#[derive(Debug, Clone, Copy)]
pub struct LineFacts<'a> {
    pub amount: i64,
    pub currency: Currency,
    pub remittance: &'a str,
    pub structured_ref: Option<&'a str>,
    pub counterparty_name: Option<&'a str>,
    pub counterparty_iban: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Reference,
    InvoiceNumber,
    Iban,
    Name,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Reference => "reference",
            Method::InvoiceNumber => "invoice_number",
            Method::Iban => "iban",
            Method::Name => "name",
        }
    }
}

/// A proposed settlement: items (positions in the index) and amounts; what
/// is left over stays a credit on the buyer's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub buyer: u32,
    pub allocations: Vec<(u32, i64)>,
    pub unallocated: i64,
    pub score: u8,
    pub method: Method,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Proposal(Proposal),
    NoMatch { explanation: String },
}

/// "EUR 1,200.00".
pub fn fmt_money(minor: i64, currency: Currency) -> String {
    let plain = format_minor(minor.abs(), currency.exponent(), '.');
    let (int, frac) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{} {sign}{grouped}", currency.code())
    } else {
        format!("{} {sign}{grouped}.{frac}", currency.code())
    }
}

/// Matches one incoming payment.
pub fn match_line(index: &MatchIndex, line: &LineFacts) -> Outcome {
    let mut notes: Vec<String> = Vec::new();
    if line.amount <= 0 {
        return Outcome::NoMatch {
            explanation: "not an incoming payment".into(),
        };
    }
    if let Some(p) = by_reference(index, line, &mut notes) {
        return Outcome::Proposal(p);
    }
    if let Some(p) = by_numbers(index, line, &mut notes) {
        return Outcome::Proposal(p);
    }
    if let Some(p) = by_payer(index, line, &mut notes) {
        return Outcome::Proposal(p);
    }
    notes.push("no reference, invoice number, known IBAN or buyer name".into());
    Outcome::NoMatch {
        explanation: notes.join("; "),
    }
}

fn open_items(index: &MatchIndex, line: &LineFacts, key: &str) -> Vec<u32> {
    index
        .items_by_key(key)
        .iter()
        .copied()
        .filter(|i| {
            let it = &index.items[*i as usize];
            it.open > 0 && it.currency == line.currency
        })
        .collect()
}

/// Settles `items` in the order given, each at most its open amount.
fn settle_in_order(index: &MatchIndex, items: &[u32], amount: i64) -> (Vec<(u32, i64)>, i64) {
    let mut left = amount;
    let mut out = Vec::new();
    for i in items {
        if left == 0 {
            break;
        }
        let take = left.min(index.items[*i as usize].open);
        if take > 0 {
            out.push((*i, take));
            left -= take;
        }
    }
    (out, left)
}

/// Describes how the amount compares with what the items hold open.
fn describe(index: &MatchIndex, line: &LineFacts, items: &[u32], text: &mut String) -> i64 {
    let open: i64 = items.iter().map(|i| index.items[*i as usize].open).sum();
    let names: Vec<String> = items
        .iter()
        .map(|i| {
            let it = &index.items[*i as usize];
            format!("{} open {}", it.number, fmt_money(it.open, it.currency))
        })
        .collect();
    let _ = write!(
        text,
        "invoice{} {}",
        if items.len() > 1 { "s" } else { "" },
        names.join(", ")
    );
    let c = line.currency;
    let _ = match line.amount.cmp(&open) {
        std::cmp::Ordering::Equal => write!(text, ", amount equal"),
        std::cmp::Ordering::Less => write!(
            text,
            ", partial payment of {} ({} stays open)",
            fmt_money(line.amount, c),
            fmt_money(open - line.amount, c)
        ),
        std::cmp::Ordering::Greater => write!(
            text,
            ", overpaid by {} (left as a credit on the buyer's account)",
            fmt_money(line.amount - open, c)
        ),
    };
    open
}

fn proposal(
    index: &MatchIndex,
    line: &LineFacts,
    items: &[u32],
    method: Method,
    mut text: String,
    scores: [u8; 3],
) -> Proposal {
    let open = describe(index, line, items, &mut text);
    let (allocations, unallocated) = settle_in_order(index, items, line.amount);
    let score = match line.amount.cmp(&open) {
        std::cmp::Ordering::Equal => scores[0],
        std::cmp::Ordering::Less => scores[1],
        std::cmp::Ordering::Greater => scores[2],
    };
    Proposal {
        buyer: index.items[items[0] as usize].buyer,
        allocations,
        unallocated,
        score,
        method,
        explanation: text,
    }
}

fn by_reference(index: &MatchIndex, line: &LineFacts, notes: &mut Vec<String>) -> Option<Proposal> {
    let mut refs: Vec<&str> = line.structured_ref.into_iter().collect();
    refs.extend(
        line.remittance
            .split_whitespace()
            .filter(|t| t.len() >= 5 && t[..2].eq_ignore_ascii_case("RF")),
    );
    for r in refs {
        let compact: String = r.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() >= 2 && compact[..2].eq_ignore_ascii_case("RF") {
            match rf::body_of_reference(&compact) {
                Some(body) => {
                    let items = open_items(index, line, &body);
                    if items.len() == 1 {
                        let text = format!("{compact} check digits valid, ");
                        return Some(proposal(
                            index,
                            line,
                            &items,
                            Method::Reference,
                            text,
                            [100, 95, 92],
                        ));
                    }
                    notes.push(format!(
                        "{compact} check digits valid but no single open invoice {body}"
                    ));
                }
                None => notes.push(format!("{compact} check digits invalid, reference ignored")),
            }
        } else {
            // A structured reference of another scheme: an invoice number?
            let items = open_items(index, line, &rf::body_of(&compact));
            if items.len() == 1 {
                let text = format!("structured reference {compact} names ");
                return Some(proposal(
                    index,
                    line,
                    &items,
                    Method::Reference,
                    text,
                    [98, 93, 88],
                ));
            }
        }
    }
    None
}

fn by_numbers(index: &MatchIndex, line: &LineFacts, notes: &mut Vec<String>) -> Option<Proposal> {
    if line.remittance.is_empty() {
        return None;
    }
    let mut found: Vec<u32> = Vec::new();
    let mut ambiguous = false;
    for key in number_candidates(line.remittance) {
        let items = open_items(index, line, &key);
        match items.as_slice() {
            [one] if !found.contains(one) => found.push(*one),
            [_] => {}
            [] => {}
            _ => ambiguous = true,
        }
    }
    if found.is_empty() {
        if ambiguous {
            notes.push("an invoice number in the text belongs to several sellers' invoices".into());
        }
        return None;
    }
    // All named invoices must belong to one buyer; else keep the payer's.
    let buyer = index.items[found[0] as usize].buyer;
    if found
        .iter()
        .any(|i| index.items[*i as usize].buyer != buyer)
    {
        let payer = line.counterparty_iban.and_then(|i| index.buyer_by_iban(i));
        match payer {
            Some(b) => found.retain(|i| index.items[*i as usize].buyer == b),
            None => {
                notes.push("invoice numbers in the text belong to different buyers".into());
                return None;
            }
        }
        if found.is_empty() {
            return None;
        }
    }
    // Oldest first for a partial payment.
    found.sort_by_key(|i| {
        let it = &index.items[*i as usize];
        (it.due_date, it.number.clone())
    });
    let text = "remittance text names ".to_string();
    let scores = if found.len() == 1 {
        [98, 90, 85]
    } else {
        [96, 88, 85]
    };
    Some(proposal(
        index,
        line,
        &found,
        Method::InvoiceNumber,
        text,
        scores,
    ))
}

fn by_payer(index: &MatchIndex, line: &LineFacts, notes: &mut Vec<String>) -> Option<Proposal> {
    // Who paid: IBAN first, else the name (exact, then fuzzy but bounded).
    let (buyer, method, who, penalty) =
        if let Some(b) = line.counterparty_iban.and_then(|i| index.buyer_by_iban(i)) {
            let iban = line.counterparty_iban.unwrap_or_default();
            (
                b,
                Method::Iban,
                format!(
                    "payer IBAN {iban} is buyer {}'s",
                    index.buyers[b as usize].name
                ),
                0u8,
            )
        } else {
            let name = line
                .counterparty_name
                .map(normalize_name)
                .unwrap_or_default();
            if name.is_empty() {
                return None;
            }
            let exact = index.buyers_named(&name);
            if exact.len() == 1 {
                (
                    exact[0],
                    Method::Name,
                    format!("payer name matches buyer {name}"),
                    5,
                )
            } else if exact.len() > 1 {
                notes.push(format!("payer name {name} matches {} buyers", exact.len()));
                return None;
            } else {
                let mut best: Option<(u32, f64)> = None;
                let mut tie = false;
                for b in index.buyers_sharing_tokens(&name) {
                    let s = name_similarity(&name, &index.buyers[b as usize].name);
                    match best {
                        Some((_, bs)) if (s - bs).abs() < 1e-9 => tie = true,
                        Some((_, bs)) if s < bs => {}
                        _ => {
                            best = Some((b, s));
                            tie = false;
                        }
                    }
                }
                match best {
                    Some((b, s)) if s >= 0.6 && !tie => (
                        b,
                        Method::Name,
                        format!(
                            "payer name {name} resembles buyer {} ({:.0}% of words shared)",
                            index.buyers[b as usize].name,
                            s * 100.0
                        ),
                        15,
                    ),
                    _ => return None,
                }
            }
        };
    let items: Vec<u32> = index
        .buyer_items(buyer)
        .iter()
        .copied()
        .filter(|i| {
            let it = &index.items[*i as usize];
            it.open > 0 && it.currency == line.currency
        })
        .collect();
    let c = line.currency;
    if items.is_empty() {
        return Some(Proposal {
            buyer,
            allocations: Vec::new(),
            unallocated: line.amount,
            score: 50u8.saturating_sub(penalty),
            method,
            explanation: format!(
                "{who}; no open invoice in {}: {} left as a credit on the buyer's account",
                c.code(),
                fmt_money(line.amount, c)
            ),
        });
    }
    // One invoice of exactly the amount (the oldest if several).
    let equal: Vec<u32> = items
        .iter()
        .copied()
        .filter(|i| index.items[*i as usize].open == line.amount)
        .collect();
    if let Some(first) = equal.first() {
        let score = if equal.len() == 1 { 92 } else { 85 };
        let mut text = format!("{who}; ");
        if equal.len() > 1 {
            let _ = write!(
                text,
                "{} open invoices of this amount, the oldest taken; ",
                equal.len()
            );
        }
        return Some(proposal(
            index,
            line,
            &[*first],
            method,
            text,
            [score - penalty, 0, 0],
        ));
    }
    // Several invoices adding up to the amount.
    let amounts: Vec<i64> = items
        .iter()
        .map(|i| index.items[*i as usize].open)
        .collect();
    if let Some(pos) = find_subset(&amounts, line.amount).positions {
        let chosen: Vec<u32> = pos.iter().map(|p| items[*p]).collect();
        let text = format!(
            "{who}; {} open invoices sum exactly to the amount: ",
            chosen.len()
        );
        return Some(proposal(
            index,
            line,
            &chosen,
            method,
            text,
            [88 - penalty, 0, 0],
        ));
    }
    // Partial or overpayment, oldest first: the explanation names only the
    // invoices the payment reaches.
    let (touched, _) = settle_in_order(index, &items, line.amount);
    let reached: Vec<u32> = if touched.len() < items.len() {
        touched.iter().map(|(i, _)| *i).collect()
    } else {
        items
    };
    let text = format!("{who}; no invoice or sum of invoices equals the amount, oldest first: ");
    Some(proposal(
        index,
        line,
        &reached,
        method,
        text,
        [80 - penalty, 70 - penalty, 65 - penalty],
    ))
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
