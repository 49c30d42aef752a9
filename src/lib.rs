//! factorgate: the receivables ledger, credit-insurance cover and factoring
//! gateway. Pure rules live in `domain` and `ledger`; I/O at the edges.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod formats;
pub mod jobs;
pub mod ledger;
pub mod money;
pub mod service;
pub mod store;
