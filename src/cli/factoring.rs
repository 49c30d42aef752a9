//! `factorgate factor ...` and `factorgate assign ...`: factoring
//! contracts, debtor approvals, assignment proposals and batches, the
//! factor account position, funding, reserve releases and recourse.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use factorgate::config::Settings;
use factorgate::domain::cover::DecisionKind;
use factorgate::money::{format_minor, Currency, Money};
use factorgate::service::factoring::approvals::{
    list_approvals, record_approval, request_approval, ApprovalInput, ApprovalRequestInput,
};
use factorgate::service::factoring::assignments::AssignmentSummary;
use factorgate::service::factoring::proposal::ProposalItem;
use factorgate::service::factoring::recourse::RecourseItem;
use factorgate::service::factoring::{
    self as factoring, Contract, ContractInput, Position, Selection, TermsInput,
};
use factorgate::service::Context;
use factorgate::store::DbConnection;

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{read_json_input, CliError, CliResult};

#[derive(Subcommand, Debug)]
pub enum FactorCmd {
    /// Poll the contract's waiting assignments and import the factor's
    /// statements since a date: each line tied or posted, and the proof.
    Sync {
        #[arg(long)]
        contract: String,
        /// 90 days ago when absent.
        #[arg(long)]
        since: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Factoring contracts and their dated versions.
    #[command(subcommand)]
    Contract(ContractCmd),
    /// The factor's per-buyer limits [agréments].
    #[command(subcommand)]
    Approval(ApprovalCmd),
    /// The factor account position at a date: assigned, approved, advanced,
    /// reserve, fees, charged back and the amount available to draw.
    Position {
        #[arg(long)]
        contract: String,
        /// Today when absent.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Ask the factor for funds, up to the amount available.
    Fund {
        #[arg(long)]
        contract: String,
        /// Decimal in the contract currency.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        on: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record the factor's answer to a funding request (JSON FundingAnswer),
    /// for contracts without a connection.
    Funded {
        #[arg(long)]
        funding: String,
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a reserve release the factor made (512 / 4678).
    ReleaseReserve {
        #[arg(long)]
        contract: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Invoices of a with-recourse contract unpaid at due date + the
    /// recourse delay.
    Recourse {
        #[arg(long)]
        contract: String,
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Apply a charge-back the factor's statement orders: the invoice comes
    /// back to us (411 / 467).
    ChargeBack {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        invoice: String,
        /// Decimal: the invoice's open amount.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Flag a buyer as a company of our group (or not, with --off).
    IntraGroup {
        #[arg(long)]
        buyer: String,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContractCmd {
    /// Record a contract: JSON {factor, number, seller, currency, terms{...}}
    /// from a file or stdin.
    Create {
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A new version of the terms (JSON terms) from its effective_from.
    Version {
        contract: String,
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    Show {
        contract: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Link a contract to a factor connection of the configuration
    /// (`[factors.<name>]`), or unlink it with --none.
    Link {
        contract: String,
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        connection: Option<String>,
        #[arg(long)]
        none: bool,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApprovalCmd {
    /// Ask the factor for an approval (through the contract's connection).
    Request {
        #[arg(long)]
        contract: String,
        #[arg(long)]
        buyer: String,
        #[arg(long)]
        amount: Option<String>,
        /// new, increase, prolongation or cancellation.
        #[arg(long, default_value = "new")]
        kind: String,
        #[arg(long)]
        wanted_from: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record the factor's decision typed in by a person.
    Record {
        #[arg(long)]
        contract: String,
        #[arg(long)]
        buyer: String,
        /// approved, partially_approved, refused, reduced, cancelled, ...
        #[arg(long)]
        kind: String,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long)]
        decided_on: NaiveDate,
        #[arg(long)]
        expires_on: Option<NaiveDate>,
        #[arg(long)]
        reference: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Approvals in force and their history, per buyer.
    List {
        #[arg(long)]
        contract: String,
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(clap::Args, Debug)]
pub struct SelectionArgs {
    #[arg(long)]
    contract: String,
    #[arg(long)]
    buyer: Option<String>,
    #[arg(long)]
    due_before: Option<NaiveDate>,
    /// Exactly these invoices (numbers or ids), comma-separated.
    #[arg(long, value_delimiter = ',')]
    invoices: Option<Vec<String>>,
    /// The assignment date (today when absent).
    #[arg(long)]
    on: Option<NaiveDate>,
}

impl SelectionArgs {
    fn selection(&self) -> Selection {
        Selection {
            contract: self.contract.clone(),
            buyer: self.buyer.clone(),
            due_before: self.due_before,
            invoices: self.invoices.clone(),
            assigned_on: self.on,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum AssignCmd {
    /// What a selection would assign: every invoice with its reasons, the
    /// approved and non-approved amounts, the money expected. Writes nothing.
    Propose {
        #[command(flatten)]
        selection: SelectionArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Confirm a selection into a numbered draft assignment, posted.
    Confirm {
        #[command(flatten)]
        selection: SelectionArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Hand a draft to the factor (queued when the contract has a connection).
    Submit {
        assignment: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reject a whole assignment, or one invoice of it with --invoice.
    Reject {
        assignment: String,
        #[arg(long)]
        invoice: Option<String>,
        #[arg(long)]
        on: Option<NaiveDate>,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    Show {
        assignment: String,
        #[command(flatten)]
        format: FormatArg,
    },
    List {
        #[arg(long)]
        contract: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

fn m(v: &Money) -> String {
    format_minor(v.minor(), v.currency().exponent(), '.')
}

fn parse<T: serde::de::DeserializeOwned>(file: &Option<PathBuf>) -> Result<T, CliError> {
    serde_json::from_value(read_json_input(file)?)
        .map_err(|e| CliError::input("json_invalid", e.to_string()))
}

fn enum_arg<T: serde::de::DeserializeOwned>(flag: &str, value: &str) -> Result<T, CliError> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).map_err(|_| {
        CliError::input(
            "validation_failed",
            format!("{flag} {value}: not a known value"),
        )
    })
}

/// Any record shown as one row of its JSON fields.
struct Json<'a, T: serde::Serialize>(&'a T);

impl<T: serde::Serialize> Tabular for Json<'_, T> {
    fn headers() -> Vec<&'static str> {
        vec!["record"]
    }
    fn row(&self) -> Vec<String> {
        vec![serde_json::to_string(self.0).unwrap_or_default()]
    }
}

impl Tabular for Contract {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "factor",
            "number",
            "currency",
            "connection",
            "versions",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.factor.clone(),
            self.number.clone(),
            self.currency.clone(),
            self.connection.clone().unwrap_or_default(),
            self.versions
                .iter()
                .map(|v| v.effective_from.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

impl Tabular for ProposalItem {
    fn headers() -> Vec<&'static str> {
        vec![
            "number",
            "kind",
            "buyer",
            "due",
            "open",
            "eligible",
            "reasons",
            "approved",
            "non_approved",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.number.clone(),
            self.kind.to_string(),
            self.buyer_id.clone(),
            self.due_date.to_string(),
            m(&self.open),
            if self.eligible { "yes" } else { "no" }.into(),
            self.reasons.join(","),
            m(&self.approved),
            m(&self.non_approved),
        ]
    }
}

impl Tabular for Position {
    fn headers() -> Vec<&'static str> {
        vec![
            "as_of",
            "assigned",
            "approved",
            "advanced",
            "financed",
            "reserve",
            "fees",
            "charges",
            "collected",
            "charged_back",
            "balance",
            "available",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.as_of.to_string(),
            m(&self.assigned),
            m(&self.approved),
            m(&self.advanced),
            m(&self.financed),
            m(&self.reserve),
            m(&self.fees),
            m(&self.financing_charges),
            m(&self.collected),
            m(&self.charged_back),
            m(&self.balance),
            m(&self.available),
        ]
    }
}

impl Tabular for RecourseItem {
    fn headers() -> Vec<&'static str> {
        vec![
            "assignment",
            "invoice",
            "buyer",
            "due",
            "recourse_from",
            "open",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.assignment.clone(),
            self.invoice_number.clone(),
            self.buyer_id.clone(),
            self.due_date.to_string(),
            self.recourse_from.to_string(),
            m(&self.open),
        ]
    }
}

impl Tabular for AssignmentSummary {
    fn headers() -> Vec<&'static str> {
        vec!["number", "state", "assigned_on", "total", "approved"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.number.clone(),
            self.state.clone(),
            self.assigned_on.to_string(),
            m(&self.total),
            m(&self.approved),
        ]
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn run_factor(
    conn: &mut DbConnection,
    ctx: &Context,
    settings: &Settings,
    cmd: &FactorCmd,
) -> CliResult {
    match cmd {
        FactorCmd::Sync { .. } => unreachable!("handled by cli::statement_sync"),
        FactorCmd::Contract(ContractCmd::Create { file, format }) => {
            let input: ContractInput = parse(file)?;
            let c = factoring::create_contract(conn, &input)?;
            print(format.format, &c, std::slice::from_ref(&c))?;
        }
        FactorCmd::Contract(ContractCmd::Version {
            contract,
            file,
            format,
        }) => {
            let terms: TermsInput = parse(file)?;
            let c = factoring::add_version(conn, contract, &terms)?;
            print(format.format, &c, std::slice::from_ref(&c))?;
        }
        FactorCmd::Contract(ContractCmd::Show { contract, format }) => {
            let c = factoring::get_contract(conn, contract)?;
            print(format.format, &c, std::slice::from_ref(&c))?;
        }
        FactorCmd::Contract(ContractCmd::Link {
            contract,
            connection,
            none: _,
            format,
        }) => {
            let known: Vec<String> = settings.factors.keys().cloned().collect();
            let c = factoring::link_contract(conn, contract, connection.as_deref(), &known)?;
            print(format.format, &c, std::slice::from_ref(&c))?;
        }
        FactorCmd::Approval(ApprovalCmd::Request {
            contract,
            buyer,
            amount,
            kind,
            wanted_from,
            format,
        }) => {
            let r = request_approval(
                conn,
                &ApprovalRequestInput {
                    contract: contract.clone(),
                    buyer: buyer.clone(),
                    amount: amount.clone(),
                    kind: enum_arg("--kind", kind)?,
                    wanted_from: *wanted_from,
                },
            )?;
            print(format.format, &r, &[Json(&r)])?;
        }
        FactorCmd::Approval(ApprovalCmd::Record {
            contract,
            buyer,
            kind,
            amount,
            decided_on,
            expires_on,
            reference,
            format,
        }) => {
            let kind: DecisionKind = enum_arg("--kind", kind)?;
            let a = record_approval(
                conn,
                &ApprovalInput {
                    contract: contract.clone(),
                    buyer: buyer.clone(),
                    kind,
                    amount: amount.clone(),
                    decided_on: *decided_on,
                    expires_on: *expires_on,
                    reference: reference.clone(),
                },
            )?;
            print(format.format, &a, &[Json(&a)])?;
        }
        FactorCmd::Approval(ApprovalCmd::List {
            contract,
            buyer,
            as_of,
            format,
        }) => {
            let list = list_approvals(
                conn,
                contract,
                buyer.as_deref(),
                as_of.unwrap_or_else(today),
            )?;
            let rows: Vec<Json<'_, _>> = list.iter().map(Json).collect();
            print(format.format, &list, &rows)?;
        }
        FactorCmd::Position {
            contract,
            as_of,
            format,
        } => {
            let p = factoring::position(conn, contract, *as_of)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        FactorCmd::Fund {
            contract,
            amount,
            on,
            format,
        } => {
            let f = factoring::request_funding(conn, contract, amount, *on)?;
            print(format.format, &f, &[Json(&f)])?;
        }
        FactorCmd::Funded {
            funding,
            file,
            format,
        } => {
            let answer: factorgate_adapter::FundingAnswer = parse(file)?;
            let f = factoring::apply_funding_answer(conn, ctx, funding, &answer)?;
            print(format.format, &f, &[Json(&f)])?;
        }
        FactorCmd::ReleaseReserve {
            contract,
            amount,
            on,
            format,
        } => {
            let p = factoring::release_reserve(conn, ctx, contract, amount, *on)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        FactorCmd::Recourse {
            contract,
            as_of,
            format,
        } => {
            let items = factoring::recourse_due(conn, contract, as_of.unwrap_or_else(today))?;
            print(format.format, &items, &items)?;
        }
        FactorCmd::ChargeBack {
            assignment,
            invoice,
            amount,
            on,
            format,
        } => {
            let a = factoring::get_assignment(conn, assignment)?;
            let c = Currency::from_code(a.total.currency().code())
                .map_err(|e| CliError::input("currency_unknown", e.to_string()))?;
            let minor = Money::parse(amount, c)
                .map_err(|e| CliError::input("amount_invalid", format!("--amount: {e}")))?
                .minor();
            let r = factoring::charge_back(conn, ctx, &a.number, invoice, minor, *on)?;
            print(format.format, &r, std::slice::from_ref(&r))?;
        }
        FactorCmd::IntraGroup { buyer, off } => {
            let b = factoring::set_intra_group(conn, buyer, !off)?;
            println!(
                "{} {}",
                b.id,
                if *off {
                    "is not intra-group"
                } else {
                    "is intra-group"
                }
            );
        }
    }
    Ok(())
}

pub fn run_assign(conn: &mut DbConnection, ctx: &Context, cmd: &AssignCmd) -> CliResult {
    match cmd {
        AssignCmd::Propose { selection, format } => {
            let p = factoring::propose(conn, &selection.selection())?;
            print(format.format, &p, &p.items)?;
            if format.format == super::output::Format::Table {
                println!(
                    "\nassigned {}  approved {}  non-approved {}  advance {}  reserve {}  fee {} + VAT {}  financing {}",
                    m(&p.assigned),
                    m(&p.approved),
                    m(&p.non_approved),
                    m(&p.advance),
                    m(&p.reserve),
                    m(&p.fee),
                    m(&p.fee_vat),
                    p.financing_charge.as_ref().map(m).unwrap_or_else(|| "no reference rate".into()),
                );
            }
        }
        AssignCmd::Confirm { selection, format } => {
            let a = factoring::confirm(conn, ctx, &selection.selection())?;
            print(format.format, &a, &[Json(&a.number)])?;
        }
        AssignCmd::Submit { assignment, format } => {
            let a = factoring::submit(conn, assignment)?;
            print(
                format.format,
                &a,
                &[Json(&(&a.number, &a.state, &a.message_id))],
            )?;
        }
        AssignCmd::Reject {
            assignment,
            invoice,
            on,
            reason,
            format,
        } => {
            let a = factoring::reject(
                conn,
                ctx,
                assignment,
                invoice.as_deref(),
                on.unwrap_or_else(today),
                reason.as_deref(),
            )?;
            print(format.format, &a, &[Json(&(&a.number, &a.state))])?;
        }
        AssignCmd::Show { assignment, format } => {
            let a = factoring::get_assignment(conn, assignment)?;
            let rows: Vec<Json<'_, _>> = a.items.iter().map(Json).collect();
            print(format.format, &a, &rows)?;
        }
        AssignCmd::List { contract, format } => {
            let list = factoring::list_assignments(conn, contract)?;
            print(format.format, &list, &list)?;
        }
    }
    Ok(())
}
