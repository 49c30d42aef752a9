//! Integration tests: one binary, so the suite links once.

mod api;
mod api_imports;
mod cii_fixtures;
mod claims;
mod cli;
mod collections;
mod collections_api;
mod collections_dunning;
mod common;
mod documents;
mod exposure;
mod imports;
mod insurance;
mod insurance_terms;
mod intake_formats;
mod ledger;
mod outbox;
mod outbox_http;
mod outbox_kill;
mod sandbox_cli;
mod ubl_fixtures;
