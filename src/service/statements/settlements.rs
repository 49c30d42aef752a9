//! Insurer settlements: each payment the insurer reports is stored once
//! (policy | settlement id) and matched to its claim by the claim's
//! insurer reference or our claim id. An indemnity on an accepted claim is
//! paid through the claims service (512 / 7587, the invoice written off);
//! on a claim already paid it is tied, never posted twice. Anything else
//! (a recovery share, an unknown claim, an amount that is not the
//! indemnity, another kind) waits unmatched for a person, never guessed.

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate_adapter::{Settlement, SettlementKind};
use serde::Serialize;

use super::LineState;
use crate::service::claims::pay_claim_in_tx;
use crate::service::{new_id, now, Context, ServiceError};
use crate::store::rows::{MovementRow as LineRow, StatementRow};
use crate::store::schema::{
    insurance_claims as claims, insurance_policies as policies, statement_movements as sm,
    statements,
};
use crate::store::{write_tx, DbConnection};

#[derive(Debug, Clone, Serialize)]
pub struct SettlementLine {
    pub settlement_id: String,
    pub claim_reference: String,
    pub amount_minor: i64,
    pub paid_on: NaiveDate,
    /// `matched` or `unmatched`.
    pub state: String,
    /// `posted` (the indemnity paid now), `tied` (already paid), `known`
    /// (imported before), `review` (waits for a person).
    pub action: &'static str,
    pub claim_id: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettlementReport {
    pub policy: String,
    pub new_lines: usize,
    pub known_lines: usize,
    pub lines: Vec<SettlementLine>,
}

fn kind_name(kind: SettlementKind) -> &'static str {
    match kind {
        SettlementKind::Indemnity => "indemnity",
        SettlementKind::RecoveryShare => "recovery_share",
        SettlementKind::Other => "other",
    }
}

/// Imports the settlements of `policy` (id or number), one transaction for
/// all of them. Refused whole: `policy_not_found`,
/// `settlement_currency_mismatch`.
pub fn import_insurer_settlements(
    conn: &mut DbConnection,
    ctx: &Context,
    policy: &str,
    settlements: &[Settlement],
) -> Result<SettlementReport, ServiceError> {
    let (policy_id, number, currency): (String, String, String) = policies::table
        .filter(policies::id.eq(policy).or(policies::number.eq(policy)))
        .select((policies::id, policies::number, policies::currency))
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::not_found("policy_not_found", "policy", policy))?;
    if let Some(s) = settlements
        .iter()
        .find(|s| s.amount.currency_code() != currency)
    {
        return Err(ServiceError::invalid(
            "settlement_currency_mismatch",
            "amount",
            format!(
                "settlement {} is in {}, policy {number} in {currency}",
                s.settlement_id,
                s.amount.currency_code()
            ),
        ));
    }
    let _span = tracing::info_span!("insurer_settlements", policy = %number).entered();
    write_tx(conn, |conn| {
        let mut report = SettlementReport {
            policy: number.clone(),
            new_lines: 0,
            known_lines: 0,
            lines: Vec::with_capacity(settlements.len()),
        };
        for s in settlements {
            let key = format!("insurer|{number}|{}", s.settlement_id);
            let known: Option<(String, Option<String>)> = sm::table
                .filter(sm::movement_key.eq(&key))
                .select((sm::state, sm::explanation))
                .first(conn)
                .optional()?;
            let mut line = SettlementLine {
                settlement_id: s.settlement_id.clone(),
                claim_reference: s.claim_reference.clone(),
                amount_minor: s.amount.minor,
                paid_on: s.paid_on,
                state: LineState::Unmatched.as_str().into(),
                action: "review",
                claim_id: None,
                explanation: String::new(),
            };
            if let Some((state, explanation)) = known {
                report.known_lines += 1;
                line.state = state;
                line.action = "known";
                line.explanation = explanation.unwrap_or_default();
                report.lines.push(line);
                continue;
            }
            report.new_lines += 1;
            settle(conn, ctx, &policy_id, s, &mut line)?;
            let statement_id = statement_for(conn, &number, &currency, s.paid_on)?;
            store(conn, &statement_id, key, s, &line)?;
            report.lines.push(line);
        }
        tracing::info!(
            new = report.new_lines,
            known = report.known_lines,
            "insurer settlements imported"
        );
        Ok(report)
    })
}

fn settle(
    conn: &mut DbConnection,
    ctx: &Context,
    policy_id: &str,
    s: &Settlement,
    line: &mut SettlementLine,
) -> Result<(), ServiceError> {
    let claim: Option<(String, String, Option<i64>)> = claims::table
        .filter(
            claims::policy_id.eq(policy_id).and(
                claims::insurer_reference
                    .eq(&s.claim_reference)
                    .or(claims::id.eq(&s.claim_reference)),
            ),
        )
        .select((claims::id, claims::state, claims::indemnity_minor))
        .first(conn)
        .optional()?;
    let Some((claim_id, state, indemnity)) = claim else {
        line.explanation = format!(
            "no claim of this policy with reference {}: waits for a person",
            s.claim_reference
        );
        return Ok(());
    };
    line.claim_id = Some(claim_id.clone());
    if s.kind != SettlementKind::Indemnity {
        line.explanation = format!(
            "{} on claim {claim_id}: waits for a person (record it with the recoveries service)",
            kind_name(s.kind)
        );
        return Ok(());
    }
    if indemnity != Some(s.amount.minor) {
        line.explanation = format!(
            "the insurer paid {}, the claim's indemnity is {}: waits for a person",
            s.amount.minor,
            indemnity.map_or("not decided".to_string(), |i| i.to_string())
        );
        return Ok(());
    }
    match state.as_str() {
        "paid" => {
            line.action = "tied";
            line.explanation = "indemnity already recorded: tied, not posted again".into();
        }
        "accepted" => {
            pay_claim_in_tx(conn, ctx, &claim_id, s.paid_on)?;
            line.action = "posted";
            line.explanation = "indemnity paid: 512 / 7587, invoice written off".into();
        }
        other => {
            line.explanation = format!("claim {claim_id} is {other}: waits for a person");
            return Ok(());
        }
    }
    line.state = LineState::Matched.as_str().into();
    Ok(())
}

/// One statements row per policy and payment day.
fn statement_for(
    conn: &mut DbConnection,
    policy: &str,
    currency: &str,
    on: NaiveDate,
) -> Result<String, ServiceError> {
    let reference = format!("SETTLEMENTS-{on}");
    let existing: Option<String> = statements::table
        .filter(
            statements::source_kind
                .eq("insurer")
                .and(statements::account.eq(policy))
                .and(statements::statement_ref.eq(&reference)),
        )
        .select(statements::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let row = StatementRow {
        id: new_id(),
        source_kind: "insurer".into(),
        format: "insurer_adapter".into(),
        statement_ref: reference,
        account: policy.to_string(),
        currency: currency.to_string(),
        from_date: Some(on),
        to_date: Some(on),
        opening_minor: None,
        closing_minor: None,
        balance_check: "not_given".into(),
        file_name: String::new(),
        file_sha256: String::new(),
        imported_at: now(),
    };
    diesel::insert_into(statements::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.id)
}

fn store(
    conn: &mut DbConnection,
    statement_id: &str,
    key: String,
    s: &Settlement,
    line: &SettlementLine,
) -> Result<(), ServiceError> {
    diesel::insert_into(sm::table)
        .values(LineRow {
            id: new_id(),
            statement_id: statement_id.to_string(),
            movement_key: key,
            entry_ref: s.settlement_id.clone(),
            detail_index: 0,
            amount_minor: s.amount.minor,
            currency: s.amount.currency_code().to_string(),
            booked: 1,
            booked_on: Some(s.paid_on),
            value_on: Some(s.paid_on),
            counterparty_name: None,
            counterparty_iban: None,
            remittance: format!("{} {}", kind_name(s.kind), s.claim_reference),
            structured_ref: Some(s.claim_reference.clone()),
            end_to_end_id: None,
            state: line.state.clone(),
            buyer_id: None,
            proposal: Some(
                serde_json::json!({"kind": kind_name(s.kind), "claim_id": line.claim_id})
                    .to_string(),
            ),
            score: None,
            method: Some(format!("insurer_{}", kind_name(s.kind))),
            explanation: Some(line.explanation.clone()),
            payment_id: None,
            suspense_entry_id: None,
            forward_to_factor: 0,
            created_at: now(),
            resolved_at: None,
        })
        .execute(conn)?;
    Ok(())
}
