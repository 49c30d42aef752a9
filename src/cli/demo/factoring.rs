//! The demo's factoring steps: the factor's approval, the assignment
//! (proposal, confirmation, submission) and the funding with the factor
//! position.

use factorgate::jobs::statement_sync::sync_factor;
use factorgate::money::{Currency, Money};
use factorgate::service::factoring::{
    self, confirm, get_funding, position, propose, request_funding, submit, Selection,
};
use serde_json::json;

use super::data::{CONTRACT, FACTOR_CONNECTION};
use super::steps::{m, table, Demo};
use crate::cli::CliResult;

impl Demo<'_> {
    pub(super) fn assignment(&mut self) -> CliResult {
        // The factor's approval of Kunden AG Mitte first (sandbox limit
        // 10,000.00 on its DUNS): the approved part is what it finances.
        {
            let mut conn = self.app.store.conn()?;
            factoring::request_approval(
                &mut conn,
                &serde_json::from_value(json!({"contract": CONTRACT, "buyer": "duns:313000001",
                    "amount": "5000.00", "wanted_from": self.date}))?,
            )?;
        }
        self.drain("the debtor approval request")?;
        let sel = Selection {
            contract: CONTRACT.into(),
            assigned_on: Some(self.date),
            ..Selection::default()
        };
        let p = {
            let mut conn = self.app.store.conn()?;
            propose(&mut conn, &sel)?
        };
        let mut rows = Vec::new();
        for i in &p.items {
            rows.push(vec![
                i.number.clone(),
                self.buyer_name(&i.buyer_id)?,
                m(&i.open),
                if i.eligible {
                    "yes".into()
                } else {
                    "no".into()
                },
                i.reasons.join(", "),
                m(&i.approved),
            ]);
        }
        table(
            &[
                "invoice", "buyer", "open", "eligible", "reasons", "approved",
            ],
            &rows,
        )?;
        let a = {
            let mut conn = self.app.store.conn()?;
            let a = confirm(&mut conn, &self.app.ctx, &sel)?;
            submit(&mut conn, &a.number)?
        };
        self.drain("the assignment")?;
        println!(
            "assignment {}: {} invoice(s), total {}, approved {}, reserve {}, fee {} + VAT {}; submitted to {FACTOR_CONNECTION}",
            a.number,
            a.items.len(),
            m(&a.total),
            m(&a.approved),
            m(&a.reserve),
            m(&a.fee),
            m(&a.fee_vat)
        );
        Ok(())
    }

    pub(super) fn funding(&mut self) -> CliResult {
        let available = {
            let mut conn = self.app.store.conn()?;
            position(&mut conn, CONTRACT, Some(self.date))?.available
        };
        let f = {
            let mut conn = self.app.store.conn()?;
            request_funding(
                &mut conn,
                CONTRACT,
                &available.to_decimal().to_string(),
                Some(self.date),
            )?
        };
        self.drain("the funding request")?;
        let mut conn = self.app.store.conn()?;
        let f = get_funding(&mut conn, &f.id)?;
        let on = f.value_date.unwrap_or(self.date);
        println!(
            "funding of {} requested on {}: {}, value date {on}",
            m(&f.amount),
            f.requested_on,
            f.state
        );
        let p = position(&mut conn, CONTRACT, Some(on))?;
        let rows = vec![
            vec!["assigned".into(), m(&p.assigned)],
            vec!["approved".into(), m(&p.approved)],
            vec!["advanced".into(), m(&p.advanced)],
            vec!["financed".into(), m(&p.financed)],
            vec!["reserve".into(), m(&p.reserve)],
            vec!["fees".into(), m(&p.fees)],
            vec!["financing charges".into(), m(&p.financing_charges)],
            vec!["factor account (467)".into(), m(&p.balance)],
            vec!["available".into(), m(&p.available)],
        ];
        println!("factor position of {CONTRACT} as of {on}:");
        table(&["", "amount"], &rows)
    }

    /// The sandbox factor's statements since the demo date, after its clock
    /// moves to the day after the advance: each line tied to what we
    /// booked (or posted), then our 467 proved against the closing balance.
    pub(super) fn factor_statement(&mut self) -> CliResult {
        let day_after = self.date + chrono::Duration::days(2);
        self.set_factor_clock(day_after)?;
        let connections = super::steps::connections(&self.sandbox.base_url())?;
        let mut conn = self.app.store.conn()?;
        let since = self.date;
        let sync = self.runtime.block_on(sync_factor(
            &mut conn,
            &self.app.ctx,
            &connections,
            CONTRACT,
            since,
            &mut |text: &str| super::steps::progress(text),
        ))?;
        for st in &sync.statements {
            let c = Currency::from_code(&st.currency)
                .map_err(|e| super::steps::failed("currency_unknown", e.to_string()))?;
            println!(
                "statement {} of {}: opening {}, closing {}",
                st.statement_id,
                st.issued_on,
                m(&Money::new(st.opening_minor, c)),
                m(&Money::new(st.closing_minor, c))
            );
            let rows: Vec<Vec<String>> = st
                .lines
                .iter()
                .map(|l| {
                    vec![
                        l.entry_reference.clone(),
                        l.kind.to_string(),
                        m(&Money::new(l.amount_minor, c)),
                        l.action.to_string(),
                        l.assignment.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            table(&["line", "kind", "amount", "action", "assignment"], &rows)?;
            let p = &st.proof;
            if p.proved {
                println!(
                    "proved: our 467 = {} = the statement's closing balance",
                    m(&Money::new(p.books_minor, c))
                );
            } else {
                println!(
                    "not proved: our 467 {} vs closing {} (difference {}; {} line(s) only in the statement, {} only in our books)",
                    m(&Money::new(p.books_minor, c)),
                    m(&Money::new(p.closing_minor, c)),
                    m(&Money::new(p.difference_minor, c)),
                    p.statement_only.len(),
                    p.books_only.len()
                );
            }
        }
        if sync.statements.is_empty() {
            println!("no statement issued since {since}");
        }
        Ok(())
    }
}
