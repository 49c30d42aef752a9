//! The proof after a factor statement: our factor account (the sum of the
//! contract's `factoring_movements`, which is the 467 balance) on the
//! statement's date against the statement's closing balance; when they
//! differ, the statement lines with no counterpart in our books and our
//! movements with no line in the factor's statements, with amounts.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate_adapter::FactorStatement;
use serde::Serialize;

use crate::service::factoring::contracts::Contract;
use crate::service::ServiceError;
use crate::store::schema::{factoring_movements as mv, statement_movements as sm, statements};
use crate::store::DbConnection;

/// One side of the difference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DiffLine {
    /// The statement line's `statement id / entry reference`, or our
    /// movement's id.
    pub reference: String,
    pub kind: String,
    pub on: NaiveDate,
    /// What is not matched on the other side (signed, 467 convention).
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Proof {
    pub as_of: Option<NaiveDate>,
    /// Our 467 for the contract on `as_of`.
    pub books_minor: i64,
    pub closing_minor: i64,
    /// closing − books.
    pub difference_minor: i64,
    pub proved: bool,
    /// Factor lines (up to `as_of`) our books do not carry.
    pub statement_only: Vec<DiffLine>,
    /// Our movements (up to `as_of`) no factor line carries.
    pub books_only: Vec<DiffLine>,
    /// What the two lists do not explain (lines of statements not
    /// imported, e.g. before the first one): difference − (Σ statement
    /// only − Σ books only).
    pub unexplained_minor: i64,
}

/// statement ref, entry ref, booked on, amount, proposal (JSON).
type LineFacts = (String, String, Option<NaiveDate>, i64, Option<String>);

struct StoredLine {
    reference: String,
    kind: String,
    on: NaiveDate,
    amount: i64,
    memo: bool,
    tied: Vec<String>,
}

fn stored_lines(
    conn: &mut DbConnection,
    contract_number: &str,
    up_to: Option<NaiveDate>,
) -> Result<Vec<StoredLine>, ServiceError> {
    let mut q = sm::table
        .inner_join(statements::table)
        .filter(
            statements::source_kind
                .eq("factor")
                .and(statements::account.eq(contract_number)),
        )
        .into_boxed();
    if let Some(d) = up_to {
        q = q.filter(sm::booked_on.le(d));
    }
    let rows: Vec<LineFacts> = q
        .order((sm::booked_on, sm::movement_key))
        .select((
            statements::statement_ref,
            sm::entry_ref,
            sm::booked_on,
            sm::amount_minor,
            sm::proposal,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(st, entry, on, amount, proposal)| {
            let p: serde_json::Value = proposal
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            StoredLine {
                reference: format!("{st}/{entry}"),
                kind: p["kind"].as_str().unwrap_or("other").to_string(),
                on: on.unwrap_or_default(),
                amount,
                memo: p["memo"].as_bool().unwrap_or(false),
                tied: p["tied"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// Our movements some stored factor line of the contract is tied to.
pub(crate) fn tied_ids(
    conn: &mut DbConnection,
    contract_number: &str,
    up_to: Option<NaiveDate>,
) -> Result<HashSet<String>, ServiceError> {
    Ok(stored_lines(conn, contract_number, up_to)?
        .into_iter()
        .flat_map(|l| l.tied)
        .collect())
}

pub(crate) fn movement_ids(
    conn: &mut DbConnection,
    contract_id: &str,
) -> Result<HashSet<String>, ServiceError> {
    Ok(mv::table
        .filter(mv::contract_id.eq(contract_id))
        .select(mv::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub(crate) fn prove(
    conn: &mut DbConnection,
    contract: &Contract,
    st: &FactorStatement,
) -> Result<Proof, ServiceError> {
    let as_of = st.issued_on;
    let ours: Vec<(String, String, NaiveDate, i64)> = mv::table
        .filter(mv::contract_id.eq(&contract.id).and(mv::on_date.le(as_of)))
        .order((mv::on_date, mv::created_at, mv::id))
        .select((mv::id, mv::kind, mv::on_date, mv::amount_minor))
        .load(conn)?;
    let books: i64 = ours.iter().map(|m| m.3).sum();
    let closing = st.closing_balance.minor;
    let mut proof = Proof {
        as_of: Some(as_of),
        books_minor: books,
        closing_minor: closing,
        difference_minor: closing - books,
        proved: closing == books,
        ..Proof::default()
    };
    if proof.proved {
        return Ok(proof);
    }
    // Each line's amount goes to the movements it is tied to, in order,
    // each taking at most its own amount; what is left on either side is
    // the difference.
    let mut left: HashMap<&str, i64> = ours.iter().map(|m| (m.0.as_str(), m.3)).collect();
    for line in stored_lines(conn, &contract.number, Some(as_of))? {
        if line.memo {
            continue;
        }
        let mut rest = line.amount;
        for id in &line.tied {
            let Some(open) = left.get_mut(id.as_str()) else {
                continue;
            };
            let take = if (*open < 0) == (rest < 0) {
                if open.abs() < rest.abs() {
                    *open
                } else {
                    rest
                }
            } else {
                0
            };
            *open -= take;
            rest -= take;
        }
        if rest != 0 {
            proof.statement_only.push(DiffLine {
                reference: line.reference,
                kind: line.kind,
                on: line.on,
                amount_minor: rest,
            });
        }
    }
    for (id, kind, on, _) in &ours {
        let open = left.get(id.as_str()).copied().unwrap_or(0);
        if open != 0 {
            proof.books_only.push(DiffLine {
                reference: id.clone(),
                kind: kind.clone(),
                on: *on,
                amount_minor: open,
            });
        }
    }
    let explained: i64 = proof
        .statement_only
        .iter()
        .map(|l| l.amount_minor)
        .sum::<i64>()
        - proof.books_only.iter().map(|l| l.amount_minor).sum::<i64>();
    proof.unexplained_minor = proof.difference_minor - explained;
    Ok(proof)
}
