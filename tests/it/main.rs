//! Integration tests: one binary, so the suite links once.

mod api;
mod api_imports;
mod cii_fixtures;
mod claims;
mod cli;
mod common;
mod documents;
mod imports;
mod insurance;
mod intake_formats;
mod ledger;
mod sandbox_cli;
mod ubl_fixtures;
