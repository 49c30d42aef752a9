//! Integration tests: one binary, so the suite links once.

mod api;
mod api_imports;
mod camt_fixtures;
mod cii_fixtures;
mod claims;
mod cli;
mod common;
mod documents;
mod exposure;
mod factoring;
mod factoring_api;
mod factoring_calls;
mod factoring_cli;
mod factoring_worker;
mod imports;
mod insurance;
mod insurance_terms;
mod intake_formats;
mod ledger;
mod outbox;
mod outbox_http;
mod outbox_kill;
mod sandbox_cli;
mod statement_factoring;
mod statements;
mod ubl_fixtures;
