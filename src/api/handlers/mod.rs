//! Thin handlers: parse the request, call one service function inside
//! `store.run`, shape the answer.

pub mod collections;
pub mod cover;
pub mod factoring;
pub mod health;
pub mod imports;
pub mod invoices;
pub mod ledger;
pub mod outbox;
pub mod parties;
pub mod payments;
pub mod reports;
pub mod statement_sync;
pub mod statements;
