//! The demo's factoring steps: the factor's approval, the assignment
//! (proposal, confirmation, submission) and the funding with the factor
//! position.

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
}
