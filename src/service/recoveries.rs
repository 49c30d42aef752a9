//! Recoveries after indemnity [récupérations après sinistre]: money the
//! buyer pays, to us or to the insurer, after a claim was paid. It is shared
//! in the indemnity's proportion and posted (see
//! [`crate::ledger::insurance_posting::post_recovery`]). A recovery is
//! recorded here, not as a payment: the invoice stays written off.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::claims::{facts, insured, load};
use super::insurance::amount;
use super::ledger::post;
use super::{new_id, now, Context, ServiceError};
use crate::domain::insurance_money::{share_recovery, RecoveredBy};
use crate::ledger::insurance_posting::post_recovery;
use crate::ledger::LedgerError;
use crate::money::Money;
use crate::store::rows::RecoveryRow;
use crate::store::schema::{insurance_claims as claims, insurance_recoveries as recoveries};
use crate::store::{write_tx, DbConnection};

/// A recovery as a caller gives it; the amount is a decimal string in the
/// claim's currency, gross (VAT included, as the buyer pays).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryInput {
    pub amount: String,
    pub recovered_on: NaiveDate,
    #[serde(default = "us")]
    pub recovered_by: RecoveredBy,
}

fn us() -> RecoveredBy {
    RecoveredBy::Us
}

#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    pub id: String,
    pub claim_id: String,
    pub recovered_on: NaiveDate,
    pub recovered_by: RecoveredBy,
    pub amount: Money,
    /// VAT within it, collected again.
    pub vat: Money,
    /// Owed to the insurer (recovered by us) or kept by it.
    pub insurer_share: Money,
    pub our_share: Money,
    /// What of the loss is still unrecovered after this one (gross).
    pub loss_remaining: Money,
}

/// Records and posts a recovery on a paid claim. Refused before the claim is
/// paid, before its payment date, or beyond what remains of the loss.
pub fn record_recovery(
    conn: &mut DbConnection,
    ctx: &Context,
    claim_id: &str,
    input: &RecoveryInput,
) -> Result<Recovery, ServiceError> {
    let claim = load(conn, claim_id)?;
    let (invoice, terms, currency) = insured(conn, &claim.policy_id, &claim.invoice_id)?;
    let recovered = amount("amount", &input.amount, currency)?;
    if recovered == 0 {
        return Err(ServiceError::invalid(
            "amount_invalid",
            "amount",
            "amount must be above zero",
        ));
    }
    let share = share_recovery(
        recovered,
        claim.loss_gross_minor,
        claim.loss_vat_minor,
        &terms,
        currency,
    )
    .map_err(|e| ServiceError::invalid("amount_invalid", "amount", e.to_string()))?;
    let row = RecoveryRow {
        id: new_id(),
        claim_id: claim.id.clone(),
        recovered_on: input.recovered_on,
        recovered_by: input.recovered_by.as_str().to_string(),
        amount_minor: recovered,
        vat_minor: share.vat,
        insurer_share_minor: share.insurer,
        our_share_minor: share.ours,
        created_at: now(),
    };
    let draft = match post_recovery(
        &facts(&claim, &invoice, currency),
        &row.id,
        &share,
        input.recovered_by,
        input.recovered_on,
        ctx.chart.roles(),
    ) {
        Ok(d) => Some(d),
        // Only when the insurer recovered it all for itself (100 % rate, no VAT).
        Err(LedgerError::NothingToPost { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let remaining = write_tx(conn, |conn| {
        // Re-read under the write lock: the state and earlier recoveries
        // (SQLite's write transaction already excludes other writers).
        if let DbConnection::Postgres(c) = conn {
            claims::table
                .find(claim_id)
                .select(claims::id)
                .for_update()
                .first::<String>(c)?;
        }
        let (state, paid_on): (String, Option<NaiveDate>) = claims::table
            .find(claim_id)
            .select((claims::state, claims::paid_on))
            .first(conn)?;
        if state != "paid" {
            return Err(ServiceError::Conflict {
                code: "claim_not_paid",
                message: format!("claim {claim_id} is {state}: recoveries follow the indemnity"),
            });
        }
        if paid_on.is_some_and(|p| input.recovered_on < p) {
            return Err(ServiceError::invalid(
                "recovery_before_payment",
                "recovered_on",
                format!(
                    "recovered_on {} is before the indemnity was paid",
                    input.recovered_on
                ),
            ));
        }
        let earlier: Vec<i64> = recoveries::table
            .filter(recoveries::claim_id.eq(claim_id))
            .select(recoveries::amount_minor)
            .load(conn)?;
        let remaining = claim.loss_gross_minor - earlier.iter().sum::<i64>();
        if recovered > remaining {
            return Err(ServiceError::invalid(
                "recovery_exceeds_loss",
                "amount",
                format!(
                    "{} recovered is more than the {} of the loss still unrecovered",
                    Money::new(recovered, currency),
                    Money::new(remaining, currency)
                ),
            ));
        }
        diesel::insert_into(recoveries::table)
            .values(&row)
            .execute(conn)?;
        if let Some(draft) = &draft {
            post(conn, ctx, draft)?;
        }
        Ok(remaining - recovered)
    })?;
    Ok(Recovery {
        id: row.id,
        claim_id: row.claim_id,
        recovered_on: row.recovered_on,
        recovered_by: input.recovered_by,
        amount: Money::new(recovered, currency),
        vat: Money::new(share.vat, currency),
        insurer_share: Money::new(share.insurer, currency),
        our_share: Money::new(share.ours, currency),
        loss_remaining: Money::new(remaining, currency),
    })
}
