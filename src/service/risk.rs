//! Buyer risk scores as of a date: payment behaviour over the 365 days up
//! to it (the KPI pass, per buyer), disputes opened and promises broken in
//! those days, and the insurer's grade from the buyer's collection terms.
//! The class picks the dunning plan (`dunning_class_plans`).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use super::kpi::kpis;
use super::ServiceError;
use crate::domain::kpi::KpiScope;
use crate::domain::risk::{score, RiskClass, RiskInputs, RiskScore};
use crate::store::schema::{
    buyer_collection_terms, buyers, disputes, dunning_class_plans, dunning_plans, invoices,
    payment_promises,
};
use crate::store::DbConnection;

/// The window of payment behaviour the score reads.
pub const RISK_WINDOW_DAYS: i64 = 365;

#[derive(Debug, Clone, Serialize)]
pub struct BuyerRisk {
    pub buyer_id: String,
    pub as_of: NaiveDate,
    #[serde(flatten)]
    pub score: RiskScore,
    /// The dunning plan of the class.
    pub dunning_plan: Option<String>,
}

/// Risk inputs of every buyer with history (or of one), keyed by buyer id.
pub fn risk_inputs(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    buyer_id: Option<&str>,
) -> Result<HashMap<String, RiskInputs>, ServiceError> {
    let from = as_of - chrono::Duration::days(RISK_WINDOW_DAYS - 1);
    let report = kpis(conn, as_of, Some(from), true, buyer_id)?;
    let mut out: HashMap<String, RiskInputs> = HashMap::new();
    for row in report.rows {
        if let KpiScope::Buyer(b) = row.scope {
            // Several currencies: the worst behaviour counts.
            let e = out.entry(b).or_default();
            e.average_days_late = e.average_days_late.max(row.average_days_late);
            e.overdue_rate = e.overdue_rate.max(row.overdue_rate);
        }
    }
    let mut dq = disputes::table
        .inner_join(invoices::table)
        .filter(
            disputes::opened_on
                .ge(from)
                .and(disputes::opened_on.le(as_of)),
        )
        .group_by(invoices::buyer_id)
        .select((invoices::buyer_id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(b) = buyer_id {
        dq = dq.filter(invoices::buyer_id.eq(b.to_string()));
    }
    for (b, n) in dq.load::<(String, i64)>(conn)? {
        out.entry(b).or_default().disputes = n;
    }
    let mut pq = payment_promises::table
        .inner_join(invoices::table)
        .filter(
            payment_promises::state
                .eq("broken")
                .and(payment_promises::promised_on.ge(from))
                .and(payment_promises::promised_on.lt(as_of)),
        )
        .group_by(invoices::buyer_id)
        .select((invoices::buyer_id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(b) = buyer_id {
        pq = pq.filter(invoices::buyer_id.eq(b.to_string()));
    }
    for (b, n) in pq.load::<(String, i64)>(conn)? {
        out.entry(b).or_default().broken_promises = n;
    }
    let mut gq = buyer_collection_terms::table
        .filter(buyer_collection_terms::insurer_grade.is_not_null())
        .select((
            buyer_collection_terms::buyer_id,
            buyer_collection_terms::insurer_grade,
        ))
        .into_boxed();
    if let Some(b) = buyer_id {
        gq = gq.filter(buyer_collection_terms::buyer_id.eq(b.to_string()));
    }
    for (b, g) in gq.load::<(String, Option<i32>)>(conn)? {
        out.entry(b).or_default().insurer_grade = g.and_then(|g| u8::try_from(g).ok());
    }
    Ok(out)
}

/// Plan name of each risk class.
pub fn class_plans(conn: &mut DbConnection) -> Result<HashMap<String, String>, ServiceError> {
    Ok(dunning_class_plans::table
        .inner_join(dunning_plans::table.on(dunning_plans::id.eq(dunning_class_plans::plan_id)))
        .select((dunning_class_plans::risk_class, dunning_plans::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Scores one buyer, or every buyer (sorted by id).
pub fn risk_scores(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    buyer_id: Option<&str>,
) -> Result<Vec<BuyerRisk>, ServiceError> {
    let _span = tracing::info_span!("risk_scores", %as_of).entered();
    let ids: Vec<String> = match buyer_id {
        Some(b) => {
            let found: Option<String> = buyers::table
                .find(b)
                .select(buyers::id)
                .first(conn)
                .optional()?;
            vec![found.ok_or_else(|| ServiceError::not_found("buyer_not_found", "buyer", b))?]
        }
        None => buyers::table
            .select(buyers::id)
            .order(buyers::id)
            .load(conn)?,
    };
    let inputs = risk_inputs(conn, as_of, buyer_id)?;
    let plans = class_plans(conn)?;
    Ok(ids
        .into_iter()
        .map(|b| {
            let s = score(&inputs.get(&b).copied().unwrap_or_default());
            BuyerRisk {
                dunning_plan: plans.get(s.class.as_str()).cloned(),
                buyer_id: b,
                as_of,
                score: s,
            }
        })
        .collect())
}

/// Class of each buyer with history; a buyer without any is class A
/// (no evidence against it), as [`score`] of empty inputs gives.
pub fn classes(
    conn: &mut DbConnection,
    as_of: NaiveDate,
) -> Result<HashMap<String, RiskClass>, ServiceError> {
    Ok(risk_inputs(conn, as_of, None)?
        .into_iter()
        .map(|(b, i)| (b, score(&i).class))
        .collect())
}

/// Used by tests and reports: the points of one factor.
pub fn factor_points(s: &RiskScore, factor: &str) -> Option<Decimal> {
    s.factors
        .iter()
        .find(|f| f.factor == factor)
        .map(|f| f.points)
}
