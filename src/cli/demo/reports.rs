//! The demo's checks and reports: cover checks, the bank statement and
//! its reconciliation, the aged balance and the buyers' cover.

use factorgate::money::Money;
use factorgate::service::cover::{cover_check, CoverCheckInput};
use factorgate::service::statements::{import_statement, ImportOptions};
use factorgate::service::{parties, reports};

use super::data::{self, BUYERS};
use super::steps::{failed, m, table, Demo};
use crate::cli::{CliError, CliResult};

impl Demo<'_> {
    pub(super) fn cover(&mut self) -> CliResult {
        let checks = [
            ("Kunden AG Mitte", "duns:313000001", "3000.00"),
            ("Kunden AG Mitte", "duns:313000001", "6000.00"),
            ("Muster GmbH", "duns:313000002", "10000.00"),
            ("Theodor Est", "Theodor Est", "500.00"),
        ];
        let mut rows = Vec::new();
        for (name, buyer, amount) in checks {
            let mut conn = self.app.store.conn()?;
            let buyer_ref = if buyer.contains(':') {
                buyer.to_string()
            } else {
                self.buyer_id_by_name(buyer)?
            };
            let c = cover_check(
                &mut conn,
                &CoverCheckInput {
                    buyer: buyer_ref,
                    amount: amount.into(),
                    currency: "EUR".into(),
                    date: Some(self.date),
                    term_days: Some(30),
                    policy_id: None,
                    hold: None,
                },
            )?;
            let reasons: Vec<String> = c
                .reasons
                .iter()
                .map(|r| serde_json::to_value(r).map(|v| v.as_str().unwrap_or("").to_string()))
                .collect::<Result<_, _>>()?;
            rows.push(vec![
                name.to_string(),
                format!("{amount} EUR"),
                m(&c.covered),
                m(&c.uncovered),
                reasons.join(", "),
            ]);
        }
        table(&["buyer", "sale", "covered", "uncovered", "reasons"], &rows)
    }

    pub(super) fn buyer_id_by_name(&self, name: &str) -> Result<String, CliError> {
        self.buyers
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(id, _)| id.clone())
            .or_else(|| {
                let mut conn = self.app.store.conn().ok()?;
                let page = parties::list_buyers(
                    &mut conn,
                    &parties::BuyerFilter {
                        name_contains: Some(name.to_string()),
                        ..Default::default()
                    },
                )
                .ok()?;
                page.items
                    .into_iter()
                    .find(|b| b.name == name)
                    .map(|b| b.id)
            })
            .ok_or_else(|| failed("buyer_not_found", format!("{name}: no such buyer")))
    }

    pub(super) fn bank_statement(&mut self) -> CliResult {
        let xml = data::bank_statement(self.date);
        let mut conn = self.app.store.conn()?;
        let r = import_statement(
            &mut conn,
            &self.app.ctx,
            &ImportOptions::default(),
            "demo-bank-statement.xml",
            xml.as_bytes(),
        )?;
        if let Some(p) = &r.problem {
            return Err(failed(
                "demo_statement_refused",
                format!("{}: {}", p.code, p.message),
            ));
        }
        let rows: Vec<Vec<String>> = r
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.entry_ref.clone(),
                    m(&l.amount),
                    l.state.clone(),
                    l.score.map(|s| s.to_string()).unwrap_or_default(),
                    l.explanation.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(&["line", "amount", "state", "score", "explanation"], &rows)?;
        println!(
            "{} lines: {} matched, {} suggested, {} unmatched (in suspense)",
            r.new_lines, r.matched, r.suggested, r.unmatched
        );
        Ok(())
    }

    pub(super) fn aging(&mut self) -> CliResult {
        let report = {
            let mut conn = self.app.store.conn()?;
            reports::aging(&mut conn, &self.app.ctx.aging, self.date, None)?
        };
        let mut headers = vec!["buyer", "currency"];
        headers.extend(report.labels.iter().map(String::as_str));
        headers.push("total");
        let mut rows = Vec::new();
        for r in report.rows.iter().chain(report.totals.iter()) {
            let name = match &r.buyer_id {
                Some(id) => self.buyer_name(id)?,
                None => "TOTAL".into(),
            };
            let mut row = vec![name, r.currency.code().to_string()];
            for b in r.buckets.iter().chain(std::iter::once(&r.total)) {
                row.push(Money::new(*b, r.currency).to_decimal().to_string());
            }
            rows.push(row);
        }
        println!("as of {}:", report.as_of);
        table(&headers, &rows)
    }

    pub(super) fn buyers_cover(&mut self) -> CliResult {
        let mut rows = Vec::new();
        for (name, duns) in BUYERS {
            let mut conn = self.app.store.conn()?;
            let c = cover_check(
                &mut conn,
                &CoverCheckInput {
                    buyer: format!("duns:{duns}"),
                    amount: "0.00".into(),
                    currency: "EUR".into(),
                    date: Some(self.date),
                    term_days: Some(30),
                    policy_id: None,
                    hold: None,
                },
            )?;
            rows.push(vec![
                name.to_string(),
                m(&c.limit),
                m(&c.exposure),
                m(&c.headroom),
            ]);
        }
        table(&["buyer", "limit", "exposure", "headroom"], &rows)
    }
}
