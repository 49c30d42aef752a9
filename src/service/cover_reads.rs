//! The reads of a cover check, the hottest path of the product, run on the
//! concrete connection of either backend: on PostgreSQL one call of a
//! server-side function, on SQLite (in process) six cached statements. Through diesel's MultiConnection
//! every query's SQL is rebuilt to find its cached statement; here each
//! query has a static type, so its statement is found by type and prepared
//! once per connection.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;

use super::parties::BuyerRef;
use super::ServiceError;
use crate::store::rows::{LimitDecisionRow, PolicyRow, PolicyVersionRow};
use crate::store::schema::{
    buyer_exposures as exposures, buyer_legal_ids, buyers, insurance_holds as holds,
    insurance_limit_decisions as decisions, insurance_policies as policies,
    insurance_policy_versions as versions, invoices,
};
use crate::store::DbConnection;

/// Which policy answers.
pub enum PolicyChoice<'a> {
    Id(&'a str),
    /// The oldest policy in this currency.
    Currency(&'a str),
}

/// Everything the rules need, as stored.
pub struct CheckInputs {
    pub buyer_id: String,
    /// The chosen policy with each version of its terms, oldest first.
    pub policy: Vec<(PolicyRow, PolicyVersionRow)>,
    pub decisions: Vec<LimitDecisionRow>,
    /// The buyer's open invoiced amounts per currency (trigger-kept).
    pub exposures: Vec<(String, i64)>,
    /// Its active holds under the policy.
    pub held: Vec<i64>,
    /// The oldest due date of its open invoices before the delivery date.
    pub overdue_since: Option<NaiveDate>,
}

/// `invoices.kind = 'invoice' AND invoices.open_minor > 0` written as
/// literals, so both databases can use the partial index of open invoices
/// (a bound parameter cannot prove the index's predicate), in a statement
/// diesel still caches (its `sql()` literal would be prepared every time).
#[derive(Debug, Clone, Copy, QueryId)]
struct OpenInvoice;

impl Expression for OpenInvoice {
    type SqlType = Bool;
}

impl<DB: Backend> QueryFragment<DB> for OpenInvoice {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("invoices.kind = 'invoice' AND invoices.open_minor > 0");
        Ok(())
    }
}

impl<QS> AppearsOnTable<QS> for OpenInvoice {}
impl<QS> SelectableExpression<QS> for OpenInvoice {}
impl diesel::expression::ValidGrouping<()> for OpenInvoice {
    type IsAggregate = is_aggregate::Never;
}

/// Reads what a check needs. `Ok(None)` when the buyer is unknown; an
/// empty `policy` when no policy matches.
/// On SQLite the reads share one read transaction: one snapshot, and one
/// round of WAL locks instead of one per statement. On PostgreSQL each
/// statement is its own round trip, and BEGIN/COMMIT would add two.
pub fn read_check_inputs(
    conn: &mut DbConnection,
    buyer: &BuyerRef,
    choice: &PolicyChoice<'_>,
    date: NaiveDate,
    moment: NaiveDateTime,
) -> Result<Option<CheckInputs>, ServiceError> {
    match conn {
        DbConnection::Sqlite(c) => {
            if in_transaction(c) {
                c.read(buyer, choice, date, moment)
            } else {
                c.transaction(|c| c.read(buyer, choice, date, moment))
            }
        }
        DbConnection::Postgres(c) => c.read(buyer, choice, date, moment),
    }
}

fn in_transaction<C: diesel::connection::Connection>(c: &mut C) -> bool {
    use diesel::connection::TransactionManager;
    C::TransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
}

macro_rules! read_body {
    ($c:ident, $buyer:ident, $choice:ident, $date:ident, $moment:ident) => {{
        let c = $c;
        let (buyer, choice, date, moment) = ($buyer, $choice, $date, $moment);
        let found: Option<String> = match buyer {
            BuyerRef::Legal { scheme, value } => buyer_legal_ids::table
                .filter(
                    buyer_legal_ids::scheme
                        .eq(scheme.as_str())
                        .and(buyer_legal_ids::value.eq(value)),
                )
                .select(buyer_legal_ids::buyer_id)
                .first(c)
                .optional()?,
            BuyerRef::OursOrBare { ours, bare } => {
                match buyers::table
                    .find(ours)
                    .select(buyers::id)
                    .first::<String>(c)
                    .optional()?
                {
                    Some(id) => Some(id),
                    None => buyer_legal_ids::table
                        .filter(buyer_legal_ids::value.eq(bare))
                        .select(buyer_legal_ids::buyer_id)
                        .first(c)
                        .optional()?,
                }
            }
        };
        let Some(buyer_id) = found else {
            return Ok(None);
        };
        let joined = policies::table.inner_join(versions::table);
        let select = (PolicyRow::as_select(), PolicyVersionRow::as_select());
        let mut policy: Vec<(PolicyRow, PolicyVersionRow)> = match choice {
            PolicyChoice::Id(id) => joined
                .filter(policies::id.eq(*id))
                .order(versions::effective_from)
                .select(select)
                .load(c)?,
            PolicyChoice::Currency(code) => joined
                .filter(policies::currency.eq(*code))
                .order((policies::created_at, policies::id, versions::effective_from))
                .select(select)
                .load(c)?,
        };
        if let Some(first) = policy.first().map(|(p, _)| p.id.clone()) {
            policy.retain(|(p, _)| p.id == first);
        }
        let Some(policy_id) = policy.first().map(|(p, _)| p.id.clone()) else {
            return Ok(Some(CheckInputs {
                buyer_id,
                policy,
                decisions: Vec::new(),
                exposures: Vec::new(),
                held: Vec::new(),
                overdue_since: None,
            }));
        };
        let decisions: Vec<LimitDecisionRow> = decisions::table
            .filter(
                decisions::buyer_id
                    .eq(&buyer_id)
                    .and(decisions::policy_id.eq(&policy_id)),
            )
            .order((decisions::decided_on, decisions::created_at))
            .select(LimitDecisionRow::as_select())
            .load(c)?;
        let exposures: Vec<(String, i64)> = exposures::table
            .filter(
                exposures::buyer_id
                    .eq(&buyer_id)
                    .and(exposures::open_minor.gt(0)),
            )
            .select((exposures::currency, exposures::open_minor))
            .load(c)?;
        let held: Vec<i64> = holds::table
            .filter(
                holds::buyer_id
                    .eq(&buyer_id)
                    .and(holds::policy_id.eq(&policy_id))
                    .and(holds::state.eq("held"))
                    .and(holds::expires_at.gt(moment)),
            )
            .select(holds::amount_minor)
            .load(c)?;
        // Overdue in any currency stops new cover.
        let overdue_since: Option<NaiveDate> = if exposures.is_empty() {
            None
        } else {
            invoices::table
                .filter(
                    invoices::buyer_id
                        .eq(&buyer_id)
                        .and(OpenInvoice)
                        .and(invoices::due_date.lt(date)),
                )
                .select(diesel::dsl::min(invoices::due_date))
                .first(c)?
        };
        Ok(Some(CheckInputs {
            buyer_id,
            policy,
            decisions,
            exposures,
            held,
            overdue_since,
        }))
    }};
}

/// The same reads, typed for each backend's connection.
trait ReadConnection {
    fn read(
        &mut self,
        buyer: &BuyerRef,
        choice: &PolicyChoice<'_>,
        date: NaiveDate,
        moment: NaiveDateTime,
    ) -> Result<Option<CheckInputs>, ServiceError>;
}

impl ReadConnection for diesel::SqliteConnection {
    fn read(
        &mut self,
        buyer: &BuyerRef,
        choice: &PolicyChoice<'_>,
        date: NaiveDate,
        moment: NaiveDateTime,
    ) -> Result<Option<CheckInputs>, ServiceError> {
        read_body!(self, buyer, choice, date, moment)
    }
}

impl ReadConnection for diesel::PgConnection {
    /// One call of `cover_check_inputs` (PostgreSQL migration 000008):
    /// one round trip instead of six.
    fn read(
        &mut self,
        buyer: &BuyerRef,
        choice: &PolicyChoice<'_>,
        date: NaiveDate,
        moment: NaiveDateTime,
    ) -> Result<Option<CheckInputs>, ServiceError> {
        use diesel::sql_types::{Date, Nullable, Text, Timestamp};
        let (ours, scheme, value, bare) = match buyer {
            BuyerRef::Legal { scheme, value } => {
                (None, Some(scheme.as_str()), Some(value.as_str()), None)
            }
            BuyerRef::OursOrBare { ours, bare } => {
                (Some(ours.as_str()), None, None, Some(bare.as_str()))
            }
        };
        let (policy, currency) = match choice {
            PolicyChoice::Id(id) => (Some(*id), None),
            PolicyChoice::Currency(code) => (None, Some(*code)),
        };
        let rows: Vec<PgInputs> =
            diesel::sql_query("SELECT * FROM cover_check_inputs($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind::<Nullable<Text>, _>(ours)
                .bind::<Nullable<Text>, _>(scheme)
                .bind::<Nullable<Text>, _>(value)
                .bind::<Nullable<Text>, _>(bare)
                .bind::<Nullable<Text>, _>(policy)
                .bind::<Nullable<Text>, _>(currency)
                .bind::<Date, _>(date)
                .bind::<Timestamp, _>(moment)
                .load(self)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(CheckInputs {
            buyer_id: row.buyer_id,
            policy: from_json::<Vec<PolicyWithVersion>>(row.policy)?
                .into_iter()
                .map(|p| (p.policy, p.version))
                .collect(),
            decisions: from_json(row.decisions)?,
            exposures: from_json(row.exposures)?,
            held: vec![row.held],
            overdue_since: row.overdue_since,
        }))
    }
}

#[derive(diesel::QueryableByName)]
struct PgInputs {
    #[diesel(sql_type = diesel::sql_types::Text)]
    buyer_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    policy: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    decisions: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    exposures: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    held: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    overdue_since: Option<NaiveDate>,
}

#[derive(serde::Deserialize)]
struct PolicyWithVersion {
    policy: PolicyRow,
    version: PolicyVersionRow,
}

/// A JSON aggregate as rows; SQL's `json_agg` of nothing is NULL.
fn from_json<T: serde::de::DeserializeOwned + Default>(
    text: Option<String>,
) -> Result<T, ServiceError> {
    match text {
        None => Ok(T::default()),
        Some(t) => serde_json::from_str(&t).map_err(|e| {
            ServiceError::from(diesel::result::Error::DeserializationError(Box::new(e)))
        }),
    }
}
