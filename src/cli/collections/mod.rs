//! Collections on the command line: `report kpi`, `dunning ...`,
//! `disputes ...`, `promises ...`, `penalties`, `risk`.

use chrono::{NaiveDate, Utc};
use clap::Args;
use factorgate::domain::aging::AgingBuckets;
use factorgate::domain::kpi::{KpiRow, KpiScope};
use factorgate::money::Money;
use factorgate::service::kpi::{kpi_trends, snapshot};
use factorgate::service::penalties::{invoice_penalties, list_penalties, penalty_of, PenaltyLine};
use factorgate::service::risk::{risk_scores, BuyerRisk};
use factorgate::store::DbConnection;

use super::args::FormatArg;
use super::output::{print, Tabular};
use super::{App, CliResult};

mod disputes;
mod dunning;

pub use disputes::{run_disputes, run_promises, DisputesCmd, PromisesCmd};
pub use dunning::{run_dunning_cmd, DunningCmd};

pub(super) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub(super) fn opt<T: ToString>(v: &Option<T>) -> String {
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
    /// Also the aged balance at the same date, read in the same pass.
    #[arg(long)]
    pub aging: bool,
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

pub fn run_kpi(conn: &mut DbConnection, buckets: &AgingBuckets, a: &KpiArgs) -> CliResult {
    match (a.from, a.to) {
        (Some(_), Some(_)) if a.aging => {
            return Err(super::CliError::input(
                "validation_failed",
                "--aging goes with one as-of date, not with monthly trends (--from --to)",
            ))
        }
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
            let r = snapshot(
                conn,
                as_of,
                from,
                a.buyers,
                a.buyer.as_deref(),
                a.aging.then_some(buckets),
            )?;
            let format = a.format.format;
            if format == super::output::Format::Table {
                println!(
                    "KPIs as of {} over {}..{} ({} days, {} invoices)",
                    r.as_of, r.from, r.as_of, r.period_days, r.invoices
                );
            }
            // JSON carries the aged balance inside the report; table and
            // CSV print it after the KPIs.
            print(format, &r, &r.rows)?;
            if let Some(aged) = r
                .aging
                .as_ref()
                .filter(|_| format != super::output::Format::Json)
            {
                println!();
                super::print_aging(format, aged)?;
            }
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
