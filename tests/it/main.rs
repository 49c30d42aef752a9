//! Integration tests: one binary, so the suite links once.

mod api;
mod cli;
mod common;
mod ledger;
