//! The demo's steps, in order, each printing a heading and a short table
//! on stdout (progress goes to stderr).

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::formats::einvoice::read::{read_documents, ReadOptions};
use factorgate::jobs::{Connections, Worker};
use factorgate::money::Money;
use factorgate::service::factoring::{create_contract, link_contract, ContractInput};
use factorgate::service::imports::{import_documents, FileStatus, DEFAULT_BATCH};
use factorgate::service::insurance::{create_policy, PolicyInput};
use factorgate::service::insurer_calls::{link_policy, request_limit, LimitRequestInput};
use factorgate::service::{invoices, parties, rates};
use factorgate::store::schema::insurance_limit_decisions as decisions;
use factorgate_adapter::Secret;
use factorgate_sandbox::SandboxHandle;
use serde_json::json;

use super::data::{self, BUYERS, CONTRACT, FACTOR_CONNECTION, INSURER_CONNECTION, POLICY};
use crate::cli::output::write_table;
use crate::cli::{App, CliError, CliResult};

/// The steps, in the order they run; each prints its heading (numbered by
/// its place in `ALL`) and its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Parties,
    Import,
    Limits,
    Cover,
    Assignment,
    Funding,
    FactorStatement,
    BankStatement,
    Aging,
    BuyersCover,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Parties,
        Step::Import,
        Step::Limits,
        Step::Cover,
        Step::Assignment,
        Step::Funding,
        Step::FactorStatement,
        Step::BankStatement,
        Step::Aging,
        Step::BuyersCover,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Parties => "Sellers, buyers, credit insurance policy, factoring contract, rates",
            Step::Import => "Import the bundled invoices",
            Step::Limits => "Insured limits requested from the sandbox insurer",
            Step::Cover => "Cover checks",
            Step::Assignment => "Assignment to the factor: proposal, confirmation, submission",
            Step::Funding => "Funding request and advance received; factor position",
            Step::FactorStatement => "Factor statement fetched, tied to our books and proved",
            Step::BankStatement => "Bank statement (camt.053) imported and reconciled",
            Step::Aging => "Aged balance",
            Step::BuyersCover => "Buyers' cover",
        }
    }
}

/// What the steps share: the store, the worker (sending to the sandbox)
/// and the demo's date, set once the invoices are in.
pub struct Demo<'a> {
    pub app: &'a App,
    pub runtime: &'a tokio::runtime::Runtime,
    pub sandbox: &'a SandboxHandle,
    pub worker: Worker,
    pub date: NaiveDate,
    pub(super) buyers: HashMap<String, String>,
    policy_id: String,
}

pub(super) fn failed(code: &'static str, message: impl Into<String>) -> CliError {
    CliError {
        code,
        message: message.into(),
        exit: 1,
    }
}

pub(super) fn table(headers: &[&str], rows: &[Vec<String>]) -> CliResult {
    let mut out = std::io::stdout().lock();
    write_table(&mut out, headers, rows)?;
    out.flush()?;
    Ok(())
}

pub(super) fn m(money: &Money) -> String {
    money.to_string()
}

pub(super) fn progress(text: &str) {
    eprintln!("demo: {text}");
}

/// The sandbox as both connections: insurer and factor.
pub fn connections(base_url: &str) -> Result<Connections, CliError> {
    let timeout = Duration::from_secs(10);
    let insurer =
        factorgate_rest_insurer::RestInsurer::new(factorgate_rest_insurer::RestInsurerConfig {
            base_url: base_url.to_string(),
            client_id: "factorgate".into(),
            client_secret: Secret::new("sandbox-secret"),
            timeout,
        })
        .map_err(|e| failed("adapter_unavailable", e.to_string()))?;
    let factor =
        factorgate_rest_factor::RestFactor::new(factorgate_rest_factor::RestFactorConfig {
            base_url: base_url.to_string(),
            client_id: "factorgate".into(),
            client_secret: Secret::new("sandbox-secret"),
            timeout,
        })
        .map_err(|e| failed("adapter_unavailable", e.to_string()))?;
    Ok(Connections::default()
        .with(INSURER_CONNECTION, Arc::new(insurer))
        .with_factor(FACTOR_CONNECTION, Arc::new(factor)))
}

/// The worker of the demo: the sandbox's connections, no wait between an
/// insurer's "pending" and the next poll.
pub fn worker(app: &App, base_url: &str) -> Result<Worker, CliError> {
    let connections = connections(base_url)?;
    let mut settings = app.settings.worker.clone();
    settings.decision_poll = Duration::ZERO;
    settings.poll = Duration::from_millis(20);
    Ok(Worker::new(app.store.clone(), connections, settings).with_context(app.ctx.clone()))
}

impl<'a> Demo<'a> {
    pub fn new(
        app: &'a App,
        runtime: &'a tokio::runtime::Runtime,
        sandbox: &'a SandboxHandle,
        worker: Worker,
    ) -> Demo<'a> {
        Demo {
            app,
            runtime,
            sandbox,
            worker,
            // Replaced by the import step (latest issue date + 10 days).
            date: NaiveDate::MIN,
            buyers: HashMap::new(),
            policy_id: String::new(),
        }
    }

    pub fn run(&mut self, step: Step) -> CliResult {
        match step {
            Step::Parties => self.parties(),
            Step::Import => self.import(),
            Step::Limits => self.limits(),
            Step::Cover => self.cover(),
            Step::Assignment => self.assignment(),
            Step::Funding => self.funding(),
            Step::FactorStatement => self.factor_statement(),
            Step::BankStatement => self.bank_statement(),
            Step::Aging => self.aging(),
            Step::BuyersCover => self.buyers_cover(),
        }
    }

    /// Runs the outbox until nothing is due; a parked message stops the demo.
    /// Moves the sandbox factor's today (its funding dates, its statements).
    pub(super) fn set_factor_clock(&self, today: NaiveDate) -> CliResult {
        let url = format!("{}/sandbox/factor/clock", self.sandbox.base_url());
        let body = json!({ "today": today });
        self.runtime
            .block_on(async { reqwest::Client::new().post(&url).json(&body).send().await })
            .and_then(|r| r.error_for_status())
            .map_err(|e| failed("sandbox_unavailable", e.to_string()))?;
        Ok(())
    }

    pub(super) fn drain(&self, what: &str) -> CliResult {
        progress(&format!("worker: sending {what} to the sandbox..."));
        let pass = self.runtime.block_on(self.worker.drain())?;
        if pass.parked > 0 {
            return Err(failed(
                "demo_outbox_parked",
                format!(
                    "{what}: {} message(s) parked (see `factorgate outbox list`)",
                    pass.parked
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn buyer_name(&mut self, id: &str) -> Result<String, CliError> {
        if let Some(n) = self.buyers.get(id) {
            return Ok(n.clone());
        }
        let mut conn = self.app.store.conn()?;
        let name = parties::get_buyer(&mut conn, id)?.name;
        self.buyers.insert(id.to_string(), name.clone());
        Ok(name)
    }

    fn parties(&mut self) -> CliResult {
        let mut conn = self.app.store.conn()?;
        let conn = &mut *conn;
        let mut rows = Vec::new();
        for (name, vat) in data::SELLERS {
            let s = parties::create_seller(
                conn,
                &serde_json::from_value(json!({"name": name, "vat": vat}))?,
            )?;
            rows.push(vec!["seller".into(), s.name, format!("vat:{vat}")]);
        }
        for (name, duns) in BUYERS {
            let b = parties::create_buyer(
                conn,
                &serde_json::from_value(json!({"name": name, "country": "DE",
                    "legal_ids": [{"scheme": "duns", "value": duns}]}))?,
            )?;
            rows.push(vec!["buyer".into(), b.name, format!("duns:{duns}")]);
        }
        // The policy: 90 % of the loss, 120 days of credit at most,
        // overdue notified within 60 days, no discretionary limit.
        let policy = create_policy(
            conn,
            &serde_json::from_value::<PolicyInput>(json!({
                "insurer": "Sandbox Credit Insurance", "number": POLICY, "currency": "EUR",
                "terms": {"effective_from": "2024-01-01", "indemnity_rate": "0.90",
                    "max_credit_days": 120, "notification_days": 60, "waiting_days": 150,
                    "discretionary_limit": "0.00"}
            }))?,
        )?;
        self.policy_id = policy.id.clone();
        link_policy(
            conn,
            &policy.id,
            Some(INSURER_CONNECTION),
            &[INSURER_CONNECTION.to_string()],
        )?;
        rows.push(vec![
            "policy".into(),
            POLICY.into(),
            format!("linked to {INSURER_CONNECTION}"),
        ]);
        // The contract: with recourse, 90 % advance, 10 % reserve, 0.5 %
        // commission, EURIBOR 3M + 1.5 %, invoices at most 90 days old
        // with terms of at most 60 days.
        create_contract(
            conn,
            &ContractInput {
                factor: "Sandbox Factor".into(),
                number: CONTRACT.into(),
                seller: data::FACTORED_SELLER.into(),
                currency: "EUR".into(),
                terms: serde_json::from_value(json!({
                    "effective_from": "2024-01-01", "recourse": "with_recourse",
                    "notification": "confidential", "scope": "spot", "advance_rate": "0.90",
                    "reserve_rate": "0.10", "fee_rate": "0.005", "fee_vat_rate": "0.20",
                    "reference_series": "EURIBOR3M", "margin": "0.015", "recourse_days": 60,
                    "max_invoice_age_days": 90, "max_term_days": 60,
                    "factor_name": "Sandbox Factor"
                }))?,
            },
        )?;
        link_contract(
            conn,
            CONTRACT,
            Some(FACTOR_CONNECTION),
            &[FACTOR_CONNECTION.to_string()],
        )?;
        rows.push(vec![
            "contract".into(),
            CONTRACT.into(),
            format!(
                "seller vat:{}, linked to {FACTOR_CONNECTION}",
                data::FACTORED_SELLER
            ),
        ]);
        rates::import_rates(
            conn,
            "series,date,value\nEURIBOR3M,2024-01-01,0.035\n".as_bytes(),
        )?;
        rows.push(vec![
            "rate".into(),
            "EURIBOR3M".into(),
            "3.5 % from 2024-01-01".into(),
        ]);
        table(&["what", "name", "details"], &rows)
    }

    fn import(&mut self) -> CliResult {
        let mut conn = self.app.store.conn()?;
        let conn = &mut *conn;
        let options = ReadOptions::default();
        let mut rows = Vec::new();
        let mut latest: Option<NaiveDate> = None;
        for file in &data::INVOICES {
            progress(&format!("importing {}", file.name));
            let report = match read_documents(BufReader::new(file.bytes), &options) {
                Err(e) => factorgate::service::imports::FileReport::refused(file.name, None, &e),
                Ok((format, docs)) => import_documents(
                    conn,
                    &self.app.ctx,
                    file.name,
                    format.as_str(),
                    docs,
                    DEFAULT_BATCH,
                    &mut |_| {},
                ),
            };
            let mut number = String::new();
            let mut gross = String::new();
            for id in &report.invoice_ids {
                let inv = invoices::get_invoice(conn, id)?;
                latest = latest.max(Some(inv.issue_date));
                number = inv.number.clone();
                gross = m(&inv.gross);
            }
            if !matches!(report.status, FileStatus::Imported) {
                let why = report
                    .problem
                    .as_ref()
                    .map(|p| format!("{}: {}", p.code, p.message))
                    .unwrap_or_default();
                return Err(failed(
                    "demo_import_failed",
                    format!("{}: {why}", file.name),
                ));
            }
            rows.push(vec![
                file.name.to_string(),
                report.format.clone().unwrap_or_default(),
                number,
                gross,
            ]);
        }
        let latest =
            latest.ok_or_else(|| failed("demo_import_failed", "no invoice was imported"))?;
        self.date = latest + chrono::Duration::days(10);
        // The sandbox's today follows the demo's date (its receipts, the
        // factor's funding date).
        self.set_factor_clock(self.date)?;
        table(&["file", "format", "invoice", "gross"], &rows)?;
        println!(
            "{} invoices imported; the demo runs as of {} (latest issue date + 10 days)",
            rows.len(),
            self.date
        );
        Ok(())
    }

    fn limits(&mut self) -> CliResult {
        let policy = self.policy_id.clone();
        // Sandbox rule: up to 50,000.00 approved in full, above it half.
        let asked = [
            ("duns:313000001", "5000.00"),
            ("duns:313000002", "60000.00"),
        ];
        let mut buyers = Vec::new();
        for (buyer, amount) in asked {
            let mut conn = self.app.store.conn()?;
            let r = request_limit(
                &mut conn,
                &serde_json::from_value::<LimitRequestInput>(json!({
                    "policy_id": policy, "buyer": buyer, "amount": amount,
                    "wanted_from": self.date
                }))?,
            )?;
            buyers.push((r.decision.buyer_id.clone(), amount));
        }
        self.drain("2 limit requests")?;
        let mut rows = Vec::new();
        for (buyer, amount) in buyers {
            let mut conn = self.app.store.conn()?;
            let last: Vec<(String, Option<i64>)> = decisions::table
                .filter(decisions::buyer_id.eq(&buyer))
                .order((decisions::created_at, decisions::id))
                .select((decisions::kind, decisions::amount_minor))
                .load(&mut *conn)
                .map_err(|e| failed("store_error", e.to_string()))?;
            drop(conn);
            let (kind, granted) = last.last().cloned().unwrap_or_default();
            rows.push(vec![
                self.buyer_name(&buyer)?,
                format!("{amount} EUR"),
                kind,
                granted
                    .map(|g| m(&Money::new(g, factorgate::money::Currency::EUR)))
                    .unwrap_or_default(),
            ]);
        }
        table(&["buyer", "requested", "decision", "limit"], &rows)
    }
}
