//! `factor sync` and `insurance settlements`: read the connection's
//! adapter directly (polls and statement fetches are reads, safe to repeat:
//! no outbox) and import what it gives, one transaction per assignment
//! answer and per statement.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use tracing::Instrument;

use super::Connections;
use crate::service::factoring::{apply_assignment_answer, get_contract};
use crate::service::statements::{
    import_factor_statement, import_insurer_settlements, FactorStatementReport, SettlementReport,
};
use crate::service::{Context, ServiceError};
use crate::store::schema::{factoring_assignments as assignments, insurance_policies as policies};
use crate::store::DbConnection;

fn unavailable(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::conflict("counterparty_unavailable", format!("{what}: {e}"))
}

#[derive(Debug, Clone, Serialize)]
pub struct PolledAssignment {
    pub assignment: String,
    pub status: String,
    pub advance_minor: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorSync {
    pub contract: String,
    pub since: NaiveDate,
    pub polled: Vec<PolledAssignment>,
    pub statements: Vec<FactorStatementReport>,
}

/// Polls the contract's submitted and acknowledged assignments and applies
/// the answers, then fetches the statements issued on or after `since`
/// and imports them, oldest first. `progress` is told each step.
pub async fn sync_factor(
    conn: &mut DbConnection,
    ctx: &Context,
    connections: &Connections,
    contract: &str,
    since: NaiveDate,
    progress: &mut dyn FnMut(&str),
) -> Result<FactorSync, ServiceError> {
    let contract = get_contract(conn, contract)?;
    let Some(name) = contract.connection.clone() else {
        return Err(ServiceError::invalid(
            "contract_without_connection",
            "contract",
            format!("contract {} has no factor connection", contract.number),
        ));
    };
    let Some(factor) = connections.factor(&name).cloned() else {
        return Err(ServiceError::invalid(
            "connection_unknown",
            "connection",
            format!("no factor connection '{name}' in the configuration"),
        ));
    };
    let span = tracing::info_span!("factor_sync", contract = %contract.number, connection = %name);
    async move {
        let waiting: Vec<(String, String, String)> = assignments::table
            .filter(
                assignments::contract_id
                    .eq(&contract.id)
                    .and(assignments::state.eq_any(["submitted", "acknowledged"]))
                    .and(assignments::factor_reference.is_not_null()),
            )
            .order(assignments::number)
            .select((
                assignments::id,
                assignments::number,
                assignments::factor_reference.assume_not_null(),
            ))
            .load(conn)?;
        let mut polled = Vec::with_capacity(waiting.len());
        for (id, number, reference) in waiting {
            let answer = factor
                .assignment_status(&reference)
                .await
                .map_err(|e| unavailable("assignment status", e))?;
            apply_assignment_answer(conn, ctx, &id, &answer)?;
            progress(&format!("assignment {number}: {}", answer.raw_status));
            polled.push(PolledAssignment {
                assignment: number,
                status: answer.raw_status.clone(),
                advance_minor: answer.advance.map(|a| a.minor),
            });
        }
        let fetched = factor
            .fetch_statements(&contract.number, since)
            .await
            .map_err(|e| unavailable("statements", e))?;
        let mut statements = Vec::with_capacity(fetched.len());
        for st in &fetched {
            let report = import_factor_statement(conn, ctx, &contract.id, st)?;
            progress(&format!(
                "statement {}: {} new, {} known, proved: {}",
                report.statement_id, report.new_lines, report.known_lines, report.proof.proved
            ));
            statements.push(report);
        }
        Ok(FactorSync {
            contract: contract.number.clone(),
            since,
            polled,
            statements,
        })
    }
    .instrument(span)
    .await
}

/// Fetches the settlements the policy's insurer paid on or after `since`
/// and imports them (matched to claims, idempotent by settlement id).
pub async fn sync_settlements(
    conn: &mut DbConnection,
    ctx: &Context,
    connections: &Connections,
    policy: &str,
    since: NaiveDate,
) -> Result<SettlementReport, ServiceError> {
    let (number, connection): (String, Option<String>) = policies::table
        .filter(policies::id.eq(policy).or(policies::number.eq(policy)))
        .select((policies::number, policies::connection))
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("policy_not_found", "policy", policy))?;
    let Some(name) = connection else {
        return Err(ServiceError::invalid(
            "policy_without_connection",
            "policy",
            format!("policy {number} has no insurer connection"),
        ));
    };
    let Some(insurer) = connections.insurer(&name).cloned() else {
        return Err(ServiceError::invalid(
            "connection_unknown",
            "connection",
            format!("no insurer connection '{name}' in the configuration"),
        ));
    };
    let span =
        tracing::info_span!("insurer_settlements_sync", policy = %number, connection = %name);
    async move {
        let fetched = insurer
            .fetch_settlements(since)
            .await
            .map_err(|e| unavailable("settlements", e))?;
        import_insurer_settlements(conn, ctx, &number, &fetched)
    }
    .instrument(span)
    .await
}
