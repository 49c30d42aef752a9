//! `factorgate bench`: recording invoices with their journal entries.

use clap::Args;

use crate::cli::{Cli, CliResult};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Invoices to record.
    #[arg(long, default_value_t = 200_000)]
    pub count: usize,
    /// Invoices per batch (one transaction each).
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
}

pub fn run(_cli: &Cli, _args: &BenchArgs) -> CliResult {
    Ok(())
}
