//! Collections on the command line: `report kpi`, `dunning ...`,
//! `disputes ...`, `promises ...`, `penalties`, `risk`.

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use factorgate::domain::kpi::{KpiRow, KpiScope};
use factorgate::money::Money;
use factorgate::service::collection_terms::{set_terms, TermsInput};
use factorgate::service::disputes::{
    list_disputes, open_dispute, resolve_dispute, Dispute, DisputeFilter, DisputeInput,
    ResolveInput,
};
use factorgate::service::dunning::{
    assign_plan, complete_action, list_actions, list_plans, parse_step, run_dunning, set_plan,
    Action, ActionFilter, Plan,
};
use factorgate::service::kpi::{kpi_trends, kpis};
use factorgate::service::penalties::{invoice_penalties, list_penalties, penalty_of, PenaltyLine};
use factorgate::service::promises::{
    list_promises, record_promise, review_promises, Promise, PromiseInput,
};
use factorgate::service::risk::{risk_scores, BuyerRisk};
use factorgate::store::DbConnection;

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{App, CliResult};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

#[derive(Args, Debug)]
pub struct KpiArgs {
    /// The date of the snapshot (default today); the period is the 90 days
    /// up to it unless --from is given.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Period start; with --to: monthly trends from --from to --to.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// One row per buyer besides totals and sellers.
    #[arg(long)]
    pub buyers: bool,
    /// One buyer only.
    #[arg(long)]
    pub buyer: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

impl Tabular for KpiRow {
    fn headers() -> Vec<&'static str> {
        vec![
            "scope",
            "id",
            "currency",
            "outstanding",
            "overdue",
            "overdue_%",
            "disputed",
            "sales",
            "collected",
            "dso_simple",
            "dso_count_back",
            "collection_%",
            "cei_%",
            "avg_days_late",
        ]
    }
    fn row(&self) -> Vec<String> {
        let (scope, id) = match &self.scope {
            KpiScope::Total => ("total", String::new()),
            KpiScope::Seller(s) => ("seller", s.clone()),
            KpiScope::Buyer(b) => ("buyer", b.clone()),
        };
        let m = |v: &Money| v.to_decimal().to_string();
        vec![
            scope.into(),
            id,
            self.currency.to_string(),
            m(&self.outstanding),
            m(&self.overdue),
            opt(&self.overdue_rate),
            m(&self.disputed),
            m(&self.sales),
            m(&self.collected),
            opt(&self.dso_simple),
            self.dso_count_back.to_string(),
            opt(&self.collection_rate),
            opt(&self.cei),
            opt(&self.average_days_late),
        ]
    }
}

pub fn run_kpi(conn: &mut DbConnection, a: &KpiArgs) -> CliResult {
    match (a.from, a.to) {
        (Some(from), Some(to)) => {
            let trend = kpi_trends(conn, from, to)?;
            if a.format.format == super::output::Format::Table {
                for r in &trend {
                    println!(
                        "As of {} (from {}, {} days)",
                        r.as_of, r.from, r.period_days
                    );
                    print(a.format.format, r, &r.rows)?;
                    println!();
                }
            } else {
                let rows: Vec<KpiRow> = trend.iter().flat_map(|r| r.rows.clone()).collect();
                print(a.format.format, &trend, &rows)?;
            }
        }
        (from, None) => {
            let as_of = a.as_of.unwrap_or_else(today);
            let r = kpis(conn, as_of, from, a.buyers, a.buyer.as_deref())?;
            if a.format.format == super::output::Format::Table {
                println!(
                    "KPIs as of {} over {}..{} ({} days, {} invoices)",
                    r.as_of, r.from, r.as_of, r.period_days, r.invoices
                );
            }
            print(a.format.format, &r, &r.rows)?;
        }
        (None, Some(_)) => {
            return Err(super::CliError::input(
                "validation_failed",
                "--to needs --from (monthly trends from --from to --to)",
            ))
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum DunningCmd {
    /// Create the actions due as of a date (once per invoice and step) and
    /// deliver them.
    Run {
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Actions; `--state open` lists the tasks for a person.
    Actions {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        buyer: Option<String>,
        #[arg(long)]
        invoice: Option<String>,
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Mark a task done.
    Done {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Dunning plans.
    #[command(subcommand)]
    Plan(PlanCmd),
    /// A buyer's collection terms: e-mail, language, contract rate, insurer grade.
    Terms {
        #[arg(long)]
        buyer: String,
        #[arg(long)]
        email: Option<String>,
        /// fr or en (default: from the buyer's country).
        #[arg(long)]
        language: Option<String>,
        /// Contract late-payment rate, annual percent.
        #[arg(long)]
        penalty_rate: Option<String>,
        /// The credit insurer's grade, 1 (best) to 10.
        #[arg(long)]
        insurer_grade: Option<i32>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Create a plan or replace its steps (while unused).
    Set {
        #[arg(long)]
        name: String,
        /// OFFSET:CHANNEL:TEMPLATE, repeatable, e.g. -5:email:courtesy 7:phone:task.
        #[arg(long = "step", required = true, allow_hyphen_values = true)]
        steps: Vec<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Make a risk class (A to E) follow a plan.
    Assign {
        #[arg(long)]
        class: String,
        #[arg(long)]
        plan: String,
    },
}

impl Tabular for Plan {
    fn headers() -> Vec<&'static str> {
        vec!["name", "classes", "steps"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.classes.join(","),
            self.steps
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}:{}",
                        s.offset_days,
                        s.channel.as_str(),
                        s.template.as_str()
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

impl Tabular for Action {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "invoice_id",
            "channel",
            "due_on",
            "state",
            "recipient",
            "subject",
            "file",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.invoice_id.clone(),
            self.channel.clone(),
            self.due_on.to_string(),
            self.state.clone(),
            opt(&self.recipient),
            opt(&self.subject),
            opt(&self.file_path),
        ]
    }
}

pub fn run_dunning_cmd(conn: &mut DbConnection, app: &App, cmd: &DunningCmd) -> CliResult {
    match cmd {
        DunningCmd::Run { as_of, format } => {
            let as_of = as_of.unwrap_or_else(today);
            eprintln!("dunning run as of {as_of}...");
            let r = run_dunning(conn, &app.settings.dunning, as_of)?;
            if format.format == super::output::Format::Json {
                print::<_, Plan>(format.format, &r, &[])?;
            } else {
                println!(
                    "{} candidate invoice(s), {} action(s) created {:?}; suspended: {} disputed, {} promised; promises kept {} broken {}",
                    r.candidates, r.created, r.created_by_channel, r.suspended_disputed,
                    r.suspended_promised, r.promises.kept, r.promises.broken
                );
                println!(
                    "delivery: {} sent, {} written, {} failed, {} waiting for an [smtp] server",
                    r.delivery.sent,
                    r.delivery.written,
                    r.delivery.failed,
                    r.delivery.waiting_for_smtp
                );
            }
        }
        DunningCmd::Actions {
            state,
            channel,
            buyer,
            invoice,
            cursor,
            limit,
            format,
        } => {
            let page = list_actions(
                conn,
                &ActionFilter {
                    state: state.clone(),
                    channel: channel.clone(),
                    buyer_id: buyer.clone(),
                    invoice_id: invoice.clone(),
                    cursor: cursor.clone(),
                    limit: *limit,
                },
            )?;
            print(format.format, &page, &page.items)?;
        }
        DunningCmd::Done { id, format } => {
            let a = complete_action(conn, id)?;
            print(format.format, &a, std::slice::from_ref(&a))?;
        }
        DunningCmd::Plan(PlanCmd::List { format }) => {
            let plans = list_plans(conn)?;
            print(format.format, &plans, &plans)?;
        }
        DunningCmd::Plan(PlanCmd::Set {
            name,
            steps,
            format,
        }) => {
            let steps = steps
                .iter()
                .map(|s| parse_step(s))
                .collect::<Result<Vec<_>, _>>()?;
            let p = set_plan(conn, name, steps)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        DunningCmd::Plan(PlanCmd::Assign { class, plan }) => {
            assign_plan(conn, class, plan)?;
            eprintln!("class {class} now follows plan {plan}");
        }
        DunningCmd::Terms {
            buyer,
            email,
            language,
            penalty_rate,
            insurer_grade,
        } => {
            let id = factorgate::service::parties::resolve_buyer_id(conn, buyer)?;
            let t = set_terms(
                conn,
                &id,
                &TermsInput {
                    email: email.clone(),
                    language: language.clone(),
                    penalty_rate: penalty_rate.clone(),
                    insurer_grade: *insurer_grade,
                },
            )?;
            println!("{}", serde_json::to_string_pretty(&t)?);
        }
    }
    Ok(())
}

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

#[derive(Args, Debug)]
pub struct PenaltiesArgs {
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// One invoice (id or number).
    #[arg(long)]
    pub invoice: Option<String>,
    #[arg(long)]
    pub buyer: Option<String>,
    /// Invoice and post the penalties of --invoice up to --as-of.
    #[arg(long, requires = "invoice")]
    pub charge: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

impl Tabular for PenaltyLine {
    fn headers() -> Vec<&'static str> {
        vec![
            "invoice",
            "due_date",
            "days_late",
            "basis",
            "interest",
            "indemnity",
            "charged_until",
            "to_charge",
        ]
    }
    fn row(&self) -> Vec<String> {
        let basis = match self.basis {
            factorgate::domain::penalties::PenaltyBasis::Legal => "ecb+10".to_string(),
            factorgate::domain::penalties::PenaltyBasis::Contract(r) => format!("contract {r}%"),
        };
        vec![
            self.invoice_number.clone(),
            self.due_date.to_string(),
            self.days_late.to_string(),
            basis,
            self.interest.to_string(),
            self.indemnity.to_string(),
            opt(&self.charged_until),
            self.interest_to_charge
                .checked_add(self.indemnity_to_charge)
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ]
    }
}

pub fn run_penalties(conn: &mut DbConnection, app: &App, a: &PenaltiesArgs) -> CliResult {
    let as_of = a.as_of.unwrap_or_else(today);
    match (&a.invoice, a.charge) {
        (Some(inv), true) => {
            let c = invoice_penalties(conn, &app.ctx, inv, as_of)?;
            println!("{}", serde_json::to_string_pretty(&c)?);
        }
        (Some(inv), false) => {
            let p = penalty_of(conn, inv, as_of)?;
            print(a.format.format, &p, std::slice::from_ref(&p))?;
        }
        (None, _) => {
            let buyer = match &a.buyer {
                Some(b) => Some(factorgate::service::parties::resolve_buyer_id(conn, b)?),
                None => None,
            };
            let list = list_penalties(conn, as_of, buyer.as_deref())?;
            print(a.format.format, &list, &list)?;
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct RiskArgs {
    #[arg(long)]
    pub buyer: Option<String>,
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[command(flatten)]
    pub format: FormatArg,
}

impl Tabular for BuyerRisk {
    fn headers() -> Vec<&'static str> {
        vec!["buyer_id", "score", "class", "term_days", "plan", "factors"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.buyer_id.clone(),
            self.score.score.to_string(),
            self.score.class.as_str().into(),
            self.score.recommended_term_days.to_string(),
            opt(&self.dunning_plan),
            self.score
                .factors
                .iter()
                .map(|f| format!("{}={} ({})", f.factor, f.points, f.value))
                .collect::<Vec<_>>()
                .join("; "),
        ]
    }
}

pub fn run_risk(conn: &mut DbConnection, a: &RiskArgs) -> CliResult {
    let buyer = match &a.buyer {
        Some(b) => Some(factorgate::service::parties::resolve_buyer_id(conn, b)?),
        None => None,
    };
    let list = risk_scores(conn, a.as_of.unwrap_or_else(today), buyer.as_deref())?;
    print(a.format.format, &list, &list)?;
    Ok(())
}
