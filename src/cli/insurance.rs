//! `factorgate insurance ...` and `factorgate cover check`: credit insurance
//! policies, limit decisions, and the cover check.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use factorgate::domain::cover::DecisionKind;
use factorgate::domain::insurance_money::RecoveredBy;
use factorgate::money::format_minor;
use factorgate::service::cover::{cover_check, CoverCheck, CoverCheckInput, HoldRequest};
use factorgate::service::insurance::{
    add_version, create_policy, insurance_due, record_decision, Decision, DecisionInput, DueItem,
    Policy, PolicyInput, TermsInput,
};
use factorgate::service::{claims, insurer_calls};
use factorgate::store::DbConnection;

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{read_json_input, CliError, CliResult};

#[derive(Subcommand, Debug)]
pub enum InsuranceCmd {
    /// Import the settlements the policy's insurer paid since a date:
    /// indemnities matched to claims and posted once, the rest unmatched.
    Settlements {
        #[arg(long)]
        policy: String,
        /// 90 days ago when absent.
        #[arg(long)]
        since: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a policy: JSON {insurer, number, currency, terms{...}} from a
    /// file or stdin.
    AddPolicy {
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A new version of a policy's terms (JSON terms), from its
    /// effective_from; earlier versions stay.
    AddVersion {
        policy: String,
        file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Overdue insured invoices with their notification and claim dates,
    /// soonest first.
    Due {
        #[arg(long)]
        policy: String,
        /// Today when absent.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Notify the insurer of an overdue invoice (late notices are recorded
    /// and marked: cover is lost).
    Notify {
        #[arg(long)]
        policy: String,
        #[arg(long)]
        invoice: String,
        /// overdue, extension or payment_plan.
        #[arg(long, default_value = "overdue")]
        kind: String,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        format: FormatArg,
    },
    /// File a claim for an overdue invoice (after the waiting period, or at
    /// once with --insolvency); the receivable becomes doubtful (416).
    Claim {
        #[arg(long)]
        policy: String,
        #[arg(long)]
        invoice: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long)]
        insolvency: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record the insurer's decision on a claim.
    ClaimDecision {
        claim: String,
        #[arg(long)]
        accepted: bool,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record the indemnity received: posted, the loss written off.
    ClaimPaid {
        claim: String,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Ask the policy's insurer for a buyer limit, through the outbox: a
    /// `requested` decision now, the insurer's answers as later decisions.
    RequestLimit {
        #[arg(long)]
        policy: String,
        /// Our id, scheme:value, or a bare legal id.
        #[arg(long)]
        buyer: String,
        /// In the policy currency (not needed for a cancellation).
        #[arg(long)]
        amount: Option<String>,
        /// new, increase, prolongation or cancellation.
        #[arg(long, default_value = "new")]
        kind: String,
        /// First day the cover is wanted (today when absent).
        #[arg(long)]
        wanted_from: Option<NaiveDate>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Link a policy to an insurer connection of the configuration
    /// (`[insurers.<name>]`), or unlink it with --none.
    Link {
        policy: String,
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        connection: Option<String>,
        #[arg(long)]
        none: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The premium due on the insured turnover of a period (invoices less
    /// credit notes, net of VAT, issued from --from to --to); with --post,
    /// recorded and posted (616 / 401) once per period.
    Premium {
        #[arg(long)]
        policy: String,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        post: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record money recovered after a claim was paid, shared with the
    /// insurer in the indemnity's proportion, and post it.
    Recovery {
        #[arg(long)]
        claim: String,
        /// Gross, as the buyer paid it.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: NaiveDate,
        /// us (the buyer paid us) or insurer (the insurer collected it).
        #[arg(long, default_value = "us")]
        by: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record an insurer's decision on a buyer's limit.
    Decide {
        #[arg(long)]
        policy: String,
        /// Our id, scheme:value, or a bare legal id.
        #[arg(long)]
        buyer: String,
        /// requested, pending, approved, partially_approved, conditional,
        /// refused, increased, reduced, prolonged, cancelled.
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
}

#[derive(Subcommand, Debug)]
pub enum RatesCmd {
    /// Import dated rates from CSV (`series,date,value`; e.g. `USD/EUR` for
    /// 1 USD in EUR, or `EURIBOR3M`), whole or not at all.
    Import {
        file: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
}

impl Tabular for factorgate::service::rates::RatesReport {
    fn headers() -> Vec<&'static str> {
        vec!["created", "unchanged"]
    }
    fn row(&self) -> Vec<String> {
        vec![self.created.to_string(), self.unchanged.to_string()]
    }
}

pub fn run_rates(conn: &mut DbConnection, cmd: &RatesCmd) -> CliResult {
    let RatesCmd::Import { file, format } = cmd;
    let input = std::fs::File::open(file)
        .map_err(|e| CliError::input("file_unreadable", format!("{}: {e}", file.display())))?;
    let report = factorgate::service::rates::import_rates(conn, std::io::BufReader::new(input))?;
    print(format.format, &report, std::slice::from_ref(&report))?;
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum CoverCmd {
    /// Is a sale to a buyer covered, and for how much.
    Check {
        /// Our id, scheme:value, or a bare legal id (SIREN, VAT, ...).
        #[arg(long)]
        buyer: String,
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Delivery date (today when absent).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Payment term in days from issue.
        #[arg(long)]
        term_days: Option<u32>,
        #[arg(long)]
        policy: Option<String>,
        /// Reserve the covered amount for this many minutes.
        #[arg(long)]
        hold_minutes: Option<u32>,
        /// The order the hold is for (its invoice consumes the hold).
        #[arg(long)]
        order_reference: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

impl Tabular for Policy {
    fn headers() -> Vec<&'static str> {
        vec!["id", "insurer", "number", "currency", "versions"]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.insurer.clone(),
            self.number.clone(),
            self.currency.clone(),
            self.versions
                .iter()
                .map(|v| v.effective_from.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

impl Tabular for Decision {
    fn headers() -> Vec<&'static str> {
        vec![
            "id",
            "policy",
            "buyer",
            "kind",
            "amount",
            "decided_on",
            "expires_on",
        ]
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.policy_id.clone(),
            self.buyer_id.clone(),
            format!("{:?}", self.kind),
            self.amount.map(|m| m.to_string()).unwrap_or_default(),
            self.decided_on.to_string(),
            self.expires_on.map(|d| d.to_string()).unwrap_or_default(),
        ]
    }
}

impl Tabular for DueItem {
    fn headers() -> Vec<&'static str> {
        vec![
            "number",
            "buyer",
            "due",
            "days_overdue",
            "notify_by",
            "claim_from",
            "late",
            "open",
            "at_stake",
        ]
    }
    fn row(&self) -> Vec<String> {
        let m =
            |v: &factorgate::money::Money| format_minor(v.minor(), v.currency().exponent(), '.');
        vec![
            self.number.clone(),
            self.buyer_id.clone(),
            self.due_date.to_string(),
            self.days_overdue.to_string(),
            self.notify_by.to_string(),
            self.claim_from.to_string(),
            if self.notification_late { "yes" } else { "" }.to_string(),
            m(&self.open),
            m(&self.at_stake),
        ]
    }
}

impl Tabular for CoverCheck {
    fn headers() -> Vec<&'static str> {
        vec![
            "covered",
            "uncovered",
            "limit",
            "exposure",
            "headroom",
            "reasons",
        ]
    }
    fn row(&self) -> Vec<String> {
        let m =
            |v: &factorgate::money::Money| format_minor(v.minor(), v.currency().exponent(), '.');
        vec![
            m(&self.covered),
            m(&self.uncovered),
            m(&self.limit),
            m(&self.exposure),
            m(&self.headroom),
            serde_json::to_string(&self.reasons).unwrap_or_default(),
        ]
    }
}

fn parse<T: serde::de::DeserializeOwned>(file: &Option<PathBuf>) -> Result<T, CliError> {
    serde_json::from_value(read_json_input(file)?)
        .map_err(|e| CliError::input("json_invalid", e.to_string()))
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

pub fn run_insurance(
    conn: &mut DbConnection,
    ctx: &factorgate::service::Context,
    settings: &factorgate::config::Settings,
    cmd: &InsuranceCmd,
) -> CliResult {
    match cmd {
        InsuranceCmd::Settlements { .. } => unreachable!("handled by cli::statement_sync"),
        InsuranceCmd::RequestLimit {
            policy,
            buyer,
            amount,
            kind,
            wanted_from,
            format,
        } => {
            let kind =
                serde_json::from_value(serde_json::Value::String(kind.clone())).map_err(|_| {
                    CliError::input(
                        "validation_failed",
                        format!(
                            "--kind {kind}: expected new, increase, prolongation or cancellation"
                        ),
                    )
                })?;
            let r = insurer_calls::request_limit(
                conn,
                &insurer_calls::LimitRequestInput {
                    policy_id: policy.clone(),
                    buyer: buyer.clone(),
                    amount: amount.clone(),
                    kind,
                    wanted_from: *wanted_from,
                },
            )?;
            print(format.format, &r, std::slice::from_ref(&r.decision))?;
        }
        InsuranceCmd::Link {
            policy,
            connection,
            none: _,
            format,
        } => {
            let known: Vec<String> = settings.insurers.keys().cloned().collect();
            let p = insurer_calls::link_policy(conn, policy, connection.as_deref(), &known)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        InsuranceCmd::AddPolicy { file, format } => {
            let input: PolicyInput = parse(file)?;
            let p = create_policy(conn, &input)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        InsuranceCmd::AddVersion {
            policy,
            file,
            format,
        } => {
            let terms: TermsInput = parse(file)?;
            let p = add_version(conn, policy, &terms)?;
            print(format.format, &p, std::slice::from_ref(&p))?;
        }
        InsuranceCmd::Notify {
            policy,
            invoice,
            kind,
            on,
            format,
        } => {
            let n = claims::notify_overdue(conn, policy, invoice, kind, *on)?;
            print(format.format, &n, &[Json(&n)])?;
        }
        InsuranceCmd::Claim {
            policy,
            invoice,
            on,
            insolvency,
            format,
        } => {
            let c = claims::file_claim(conn, ctx, policy, invoice, *on, *insolvency)?;
            print(format.format, &c, &[Json(&c)])?;
        }
        InsuranceCmd::ClaimDecision {
            claim,
            accepted,
            on,
            format,
        } => {
            let c = claims::decide_claim(conn, claim, *accepted, *on)?;
            print(format.format, &c, &[Json(&c)])?;
        }
        InsuranceCmd::ClaimPaid { claim, on, format } => {
            let c = claims::pay_claim(conn, ctx, claim, *on)?;
            print(format.format, &c, &[Json(&c)])?;
        }
        InsuranceCmd::Premium {
            policy,
            from,
            to,
            post,
            format,
        } => {
            let p = factorgate::service::premiums::premium(conn, ctx, policy, *from, *to, *post)?;
            print(format.format, &p, &[Json(&p)])?;
        }
        InsuranceCmd::Recovery {
            claim,
            amount,
            date,
            by,
            format,
        } => {
            let recovered_by = RecoveredBy::parse(by).ok_or_else(|| {
                CliError::input(
                    "recovered_by_invalid",
                    format!("--by: '{by}' is not us or insurer"),
                )
            })?;
            let r = factorgate::service::recoveries::record_recovery(
                conn,
                ctx,
                claim,
                &factorgate::service::recoveries::RecoveryInput {
                    amount: amount.clone(),
                    recovered_on: *date,
                    recovered_by,
                },
            )?;
            print(format.format, &r, &[Json(&r)])?;
        }
        InsuranceCmd::Due {
            policy,
            as_of,
            format,
        } => {
            let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let items = insurance_due(conn, policy, as_of)?;
            print(format.format, &items, &items)?;
        }
        InsuranceCmd::Decide {
            policy,
            buyer,
            kind,
            amount,
            decided_on,
            expires_on,
            reference,
            format,
        } => {
            let kind = DecisionKind::parse(kind).ok_or_else(|| {
                CliError::input(
                    "decision_kind_invalid",
                    format!("--kind: '{kind}' is not a decision kind"),
                )
            })?;
            let d = record_decision(
                conn,
                &DecisionInput {
                    policy_id: policy.clone(),
                    buyer: buyer.clone(),
                    kind,
                    amount: amount.clone(),
                    decided_on: *decided_on,
                    expires_on: *expires_on,
                    reference: reference.clone(),
                },
            )?;
            print(format.format, &d, std::slice::from_ref(&d))?;
        }
    }
    Ok(())
}

pub fn run_cover(conn: &mut DbConnection, cmd: &CoverCmd) -> CliResult {
    let CoverCmd::Check {
        buyer,
        amount,
        currency,
        date,
        term_days,
        policy,
        hold_minutes,
        order_reference,
        format,
    } = cmd;
    let answer = cover_check(
        conn,
        &CoverCheckInput {
            buyer: buyer.clone(),
            amount: amount.clone(),
            currency: currency.clone(),
            date: *date,
            term_days: *term_days,
            policy_id: policy.clone(),
            hold: hold_minutes.map(|minutes| HoldRequest {
                minutes,
                order_reference: order_reference.clone(),
            }),
        },
    )?;
    print(format.format, &answer, std::slice::from_ref(&answer))?;
    Ok(())
}
