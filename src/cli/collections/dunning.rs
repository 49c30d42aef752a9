//! `factorgate dunning ...`: runs, actions, plans, collection terms.

use chrono::NaiveDate;
use clap::Subcommand;
use factorgate::service::collection_terms::{set_terms, TermsInput};
use factorgate::service::dunning::{
    assign_plan, complete_action, list_actions, list_plans, parse_step, run_dunning, set_plan,
    Action, ActionFilter, Plan,
};
use factorgate::store::DbConnection;

use super::super::args::FormatArg;
use super::super::output::{print, Tabular};
use super::super::{App, CliResult};
use super::{opt, today};

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
            if format.format == super::super::output::Format::Json {
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
