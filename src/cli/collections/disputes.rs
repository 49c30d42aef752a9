//! `factorgate disputes ...` and `factorgate promises ...`.

use chrono::NaiveDate;
use clap::Subcommand;
use factorgate::service::disputes::{
    list_disputes, open_dispute, resolve_dispute, Dispute, DisputeFilter, DisputeInput,
    ResolveInput,
};
use factorgate::service::promises::{
    list_promises, record_promise, review_promises, Promise, PromiseInput,
};
use factorgate::store::DbConnection;

use super::super::args::FormatArg;
use super::super::output::{print, Tabular};
use super::super::CliResult;
use super::{opt, today};

#[derive(Subcommand, Debug)]
pub enum DisputesCmd {
    /// Open a dispute [litige] on an invoice.
    Open {
        /// Invoice id or number.
        #[arg(long)]
        invoice: String,
        /// quality, quantity, price, not_delivered, late_delivery, duplicate, already_paid, other.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Resolve: credit_note, rejected or paid.
    Resolve {
        id: String,
        #[arg(long)]
        resolution: String,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// History of an invoice or a buyer, or every open dispute (--open).
    List {
        #[arg(long)]
        invoice: Option<String>,
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        format: FormatArg,
    },
}

impl Tabular for Dispute {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "invoice",
            "reason",
            "amount",
            "owner",
            "opened_on",
            "state",
            "resolution",
            "resolved_on",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.invoice_number.clone(),
            self.reason.clone(),
            self.amount.to_string(),
            self.owner.clone(),
            self.opened_on.to_string(),
            self.state.to_string(),
            opt(&self.resolution),
            opt(&self.resolved_on),
        ]
    }
}

pub fn run_disputes(conn: &mut DbConnection, cmd: &DisputesCmd) -> CliResult {
    match cmd {
        DisputesCmd::Open {
            invoice,
            reason,
            amount,
            owner,
            notes,
            date,
            format,
        } => {
            let d = open_dispute(
                conn,
                &DisputeInput {
                    invoice: invoice.clone(),
                    reason: reason.clone(),
                    amount: amount.clone(),
                    owner: owner.clone(),
                    notes: notes.clone(),
                    opened_on: date.unwrap_or_else(today),
                },
            )?;
            print(format.format, &d, std::slice::from_ref(&d))?;
        }
        DisputesCmd::Resolve {
            id,
            resolution,
            notes,
            date,
            format,
        } => {
            let d = resolve_dispute(
                conn,
                id,
                &ResolveInput {
                    resolution: resolution.clone(),
                    resolved_on: date.unwrap_or_else(today),
                    notes: notes.clone(),
                },
            )?;
            print(format.format, &d, std::slice::from_ref(&d))?;
        }
        DisputesCmd::List {
            invoice,
            buyer,
            open,
            format,
        } => {
            let list = list_disputes(
                conn,
                &DisputeFilter {
                    invoice: invoice.clone(),
                    buyer_id: buyer.clone(),
                    open: *open,
                },
            )?;
            print(format.format, &list, &list)?;
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum PromisesCmd {
    /// Record a promise to pay [promesse de paiement].
    Add {
        #[arg(long)]
        invoice: String,
        #[arg(long)]
        amount: String,
        /// The promised date.
        #[arg(long)]
        by: NaiveDate,
        /// When the promise was made (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[arg(long)]
        invoice: Option<String>,
        /// pending, kept or broken.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Mark pending promises kept or broken as of a date.
    Review {
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
}

impl Tabular for Promise {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "invoice",
            "amount",
            "promised_on",
            "recorded_on",
            "state",
            "settled_on",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.invoice_number.clone(),
            self.amount.to_string(),
            self.promised_on.to_string(),
            self.recorded_on.to_string(),
            self.state.clone(),
            opt(&self.settled_on),
        ]
    }
}

pub fn run_promises(conn: &mut DbConnection, cmd: &PromisesCmd) -> CliResult {
    match cmd {
        PromisesCmd::Add {
            invoice,
            amount,
            by,
            date,
            notes,
            format,
        } => {
            let p = record_promise(
                conn,
                &PromiseInput {
                    invoice: invoice.clone(),
                    amount: amount.clone(),
                    promised_on: *by,
                    recorded_on: date.unwrap_or_else(today),
                    notes: notes.clone(),
                },
            )?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        PromisesCmd::List {
            invoice,
            state,
            format,
        } => {
            let list = list_promises(conn, invoice.as_deref(), state.as_deref())?;
            print(format.format, &list, &list)?;
        }
        PromisesCmd::Review { as_of } => {
            let r = review_promises(conn, as_of.unwrap_or_else(today))?;
            println!(
                "kept {}, broken {}, still pending {}",
                r.kept, r.broken, r.pending
            );
        }
    }
    Ok(())
}
