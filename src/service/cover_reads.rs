//! The live reads of a cover check, the hottest path of the product: one
//! statement, prepared once per connection, on either backend. It names
//! the buyer (by our id or a legal id) and reads in one snapshot what may
//! change from one check to the next: the buyer's limit decisions under
//! the policy, its exposure (trigger-kept), its active holds, its oldest
//! overdue due date, and the generation of the stored policy terms, which
//! proves the in-memory policy still matches (see `cover_terms`).
//!
//! The statement is a type of its own with a static query id, so diesel
//! finds its prepared statement by type, without rebuilding its SQL; one
//! statement is one snapshot on both backends (no BEGIN/COMMIT), and on
//! PostgreSQL one round trip.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp, Untyped};
use diesel::sqlite::Sqlite;

use super::parties::BuyerRef;
use super::ServiceError;
use crate::domain::cover::{DecisionKind, LimitDecision};
use crate::store::schema::buyer_legal_ids;
use crate::store::DbConnection;

/// What changes between checks, read in one snapshot.
#[derive(Debug)]
pub struct LiveInputs {
    pub buyer_id: String,
    /// The generation of the stored policy terms in the same snapshot;
    /// `None` if its row is missing.
    pub terms_generation: Option<i64>,
    /// The buyer's limit decisions under the policy, in the order they
    /// were decided (decision date, then recording time).
    pub decisions: Vec<LimitDecision>,
    /// Its open invoiced amount in the policy currency.
    pub exposure: i64,
    /// Whether it has open invoices in other currencies too.
    pub foreign: bool,
    /// Its active holds under the policy.
    pub held: i64,
    /// The oldest due date of its open invoices (any currency) before the
    /// delivery date.
    pub overdue_since: Option<NaiveDate>,
}

/// Reads the live inputs of a check. `Ok(None)` when the buyer is unknown.
/// Without a policy (`None`) the buyer is still looked up. A bare legal id
/// value (no scheme, not our id) is looked up on its own first: no index
/// serves a search by value alone, and inside the statement its cost would
/// make PostgreSQL plan every execution afresh instead of reusing one plan.
pub fn read_live(
    conn: &mut DbConnection,
    buyer: &BuyerRef,
    policy: Option<(&str, &str)>,
    date: NaiveDate,
    moment: NaiveDateTime,
) -> Result<Option<LiveInputs>, ServiceError> {
    let (policy_id, currency) = policy.unwrap_or(("", ""));
    let mut statement = LiveStatement {
        scheme: None,
        value: None,
        ours: None,
        policy_id,
        currency,
        date,
        moment,
    };
    match buyer {
        BuyerRef::Legal { scheme, value } => {
            statement.scheme = Some(scheme.as_str());
            statement.value = Some(value.as_str());
        }
        BuyerRef::OursOrBare { ours, .. } => statement.ours = Some(ours.as_str()),
    }
    if let Some(found) = load_live(conn, &statement)? {
        return Ok(Some(found));
    }
    let BuyerRef::OursOrBare { bare, .. } = buyer else {
        return Ok(None);
    };
    let owner: Option<String> = buyer_legal_ids::table
        .filter(buyer_legal_ids::value.eq(bare))
        .select(buyer_legal_ids::buyer_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(id) => load_live(
            conn,
            &LiveStatement {
                ours: Some(&id),
                ..statement
            },
        ),
        None => Ok(None),
    }
}

fn load_live(
    conn: &mut DbConnection,
    statement: &LiveStatement<'_>,
) -> Result<Option<LiveInputs>, ServiceError> {
    let rows: Vec<LiveRow> = match conn {
        DbConnection::Sqlite(c) => (*statement).load(c)?,
        DbConnection::Postgres(c) => (*statement).load(c)?,
    };
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(LiveInputs {
        buyer_id: row.buyer_id,
        terms_generation: row.terms_generation,
        decisions: decisions(row.decisions.as_deref())?,
        exposure: row.exposure,
        foreign: row.foreign_currencies > 0,
        held: row.held,
        overdue_since: row.overdue_since,
    }))
}

/// A decision as the statement aggregates it (JSON on both backends).
#[derive(serde::Deserialize)]
struct DecisionJson {
    kind: String,
    amount_minor: Option<i64>,
    decided_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    /// As the backend writes a timestamp: one format per backend, ordered
    /// as text.
    created_at: String,
}

/// The decisions in the order the rules replay them; kinds this version
/// does not know are left out.
fn decisions(json: Option<&str>) -> Result<Vec<LimitDecision>, ServiceError> {
    let Some(text) = json else {
        return Ok(Vec::new());
    };
    let mut rows: Vec<DecisionJson> = serde_json::from_str(text).map_err(|e| {
        ServiceError::from(diesel::result::Error::DeserializationError(Box::new(e)))
    })?;
    rows.sort_by(|a, b| (a.decided_on, &a.created_at).cmp(&(b.decided_on, &b.created_at)));
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(LimitDecision {
                kind: DecisionKind::parse(&r.kind)?,
                amount: r.amount_minor,
                decided_on: r.decided_on,
                expires_on: r.expires_on,
            })
        })
        .collect())
}

#[derive(QueryableByName)]
struct LiveRow {
    #[diesel(sql_type = Text)]
    buyer_id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    terms_generation: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    decisions: Option<String>,
    #[diesel(sql_type = BigInt)]
    exposure: i64,
    #[diesel(sql_type = BigInt)]
    foreign_currencies: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
    #[diesel(sql_type = Nullable<Date>)]
    overdue_since: Option<NaiveDate>,
}

/// The statement's parameters. In the SQL below each `?` takes the next
/// of [`ORDER`]; one SQL text per backend, so the prepared statement is
/// the same whatever the buyer reference.
#[derive(Clone, Copy)]
struct LiveStatement<'a> {
    scheme: Option<&'a str>,
    value: Option<&'a str>,
    ours: Option<&'a str>,
    policy_id: &'a str,
    currency: &'a str,
    date: NaiveDate,
    moment: NaiveDateTime,
}

#[derive(Clone, Copy)]
enum Param {
    Scheme,
    Value,
    Ours,
    Policy,
    Currency,
    Date,
    Moment,
}

const ORDER: [Param; 9] = [
    Param::Scheme,
    Param::Value,
    Param::Ours,
    Param::Policy,
    Param::Currency,
    Param::Currency,
    Param::Policy,
    Param::Moment,
    Param::Date,
];

/// `$decisions` is each backend's JSON aggregate of the decision rows, and
/// `$open_invoice` its condition for "an open invoice", written as its
/// index has it: PostgreSQL's partial index of open invoices, SQLite's
/// `invoices_buyer` whose second column is that expression.
/// The buyer: by legal id, or by our id; the
/// CTE is MATERIALIZED so the planner does not copy that lookup into each
/// subquery (PostgreSQL did, six lookups instead of one).
macro_rules! live_sql {
    ($decisions:literal, $open_invoice:literal) => {
        concat!(
            "WITH b (id) AS MATERIALIZED (SELECT COALESCE(",
            "(SELECT l.buyer_id FROM buyer_legal_ids l WHERE l.scheme = ? AND l.value = ?), ",
            "(SELECT x.id FROM buyers x WHERE x.id = ?))) ",
            "SELECT b.id AS buyer_id, ",
            "(SELECT g.generation FROM insurance_terms_generation g WHERE g.id = 1) AS terms_generation, ",
            "(SELECT ", $decisions, " FROM insurance_limit_decisions d ",
            "WHERE d.buyer_id = b.id AND d.policy_id = ?) AS decisions, ",
            "(SELECT CAST(COALESCE(SUM(e.open_minor), 0) AS BIGINT) FROM buyer_exposures e ",
            "WHERE e.buyer_id = b.id AND e.currency = ? AND e.open_minor > 0) AS exposure, ",
            "(SELECT COUNT(*) FROM buyer_exposures e ",
            "WHERE e.buyer_id = b.id AND e.currency <> ? AND e.open_minor > 0) AS foreign_currencies, ",
            "(SELECT CAST(COALESCE(SUM(h.amount_minor), 0) AS BIGINT) FROM insurance_holds h ",
            "WHERE h.buyer_id = b.id AND h.policy_id = ? AND h.state = 'held' AND h.expires_at > ?) AS held, ",
            "(SELECT MIN(i.due_date) FROM invoices i WHERE i.buyer_id = b.id AND ",
            $open_invoice,
            " AND i.due_date < ?) AS overdue_since ",
            "FROM b WHERE b.id IS NOT NULL"
        )
    };
}

const SQLITE_SQL: &str = live_sql!(
    "json_group_array(json_object('kind', d.kind, 'amount_minor', d.amount_minor, \
     'decided_on', d.decided_on, 'expires_on', d.expires_on, 'created_at', d.created_at))",
    "(i.kind = 'invoice' AND i.open_minor > 0) = 1"
);
const PG_SQL: &str = live_sql!(
    "json_agg(json_build_object('kind', d.kind, 'amount_minor', d.amount_minor, \
     'decided_on', d.decided_on, 'expires_on', d.expires_on, 'created_at', d.created_at))::text",
    "i.kind = 'invoice' AND i.open_minor > 0"
);

macro_rules! walk_live {
    ($backend:ty, $sql:expr) => {
        impl QueryFragment<$backend> for LiveStatement<'_> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $backend>) -> QueryResult<()> {
                let mut params = ORDER.iter();
                for (n, piece) in $sql.split('?').enumerate() {
                    if n > 0 {
                        match params.next() {
                            Some(Param::Scheme) => {
                                out.push_bind_param::<Nullable<Text>, _>(&self.scheme)?
                            }
                            Some(Param::Value) => {
                                out.push_bind_param::<Nullable<Text>, _>(&self.value)?
                            }
                            Some(Param::Ours) => {
                                out.push_bind_param::<Nullable<Text>, _>(&self.ours)?
                            }
                            Some(Param::Policy) => {
                                out.push_bind_param::<Text, _>(self.policy_id)?
                            }
                            Some(Param::Currency) => {
                                out.push_bind_param::<Text, _>(self.currency)?
                            }
                            Some(Param::Date) => out.push_bind_param::<Date, _>(&self.date)?,
                            Some(Param::Moment) => {
                                out.push_bind_param::<Timestamp, _>(&self.moment)?
                            }
                            None => {
                                return Err(diesel::result::Error::QueryBuilderError(
                                    "cover check statement: more placeholders than parameters"
                                        .into(),
                                ))
                            }
                        }
                    }
                    out.push_sql(piece);
                }
                Ok(())
            }
        }
    };
}

walk_live!(Sqlite, SQLITE_SQL);
walk_live!(Pg, PG_SQL);

impl QueryId for LiveStatement<'_> {
    type QueryId = LiveStatement<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for LiveStatement<'_> {
    type SqlType = Untyped;
}

impl<C> RunQueryDsl<C> for LiveStatement<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_placeholder_has_its_parameter() {
        for sql in [SQLITE_SQL, PG_SQL] {
            assert_eq!(sql.matches('?').count(), ORDER.len());
        }
    }

    /// On SQLite the overdue probe names `invoices_buyer`'s expression
    /// column, so it seeks by buyer, open flag and due date: one seek per
    /// check however many paid invoices the buyer has. A rewording of
    /// either the query or the index that loses the match fails here.
    #[test]
    fn the_sqlite_overdue_probe_seeks_the_buyer_index_on_all_its_columns() {
        #[derive(diesel::QueryableByName)]
        struct PlanRow {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let store = crate::store::Store::open("sqlite://:memory:").unwrap();
        store.migrate().unwrap();
        let mut conn = store.conn().unwrap();
        let crate::store::DbConnection::Sqlite(c) = &mut *conn else {
            panic!("a SQLite store gave another connection")
        };
        let plan: Vec<String> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {SQLITE_SQL}"))
            .load::<PlanRow>(c)
            .unwrap()
            .into_iter()
            .map(|r| r.detail)
            .collect();
        assert!(
            plan.iter().any(|d| d
                .contains("USING INDEX invoices_buyer (buyer_id=? AND <expr>=? AND due_date<?)")),
            "plan: {plan:#?}"
        );
    }

    #[test]
    fn decisions_are_replayed_in_decision_then_recording_order() {
        let json = r#"[
            {"kind":"reduced","amount_minor":100,"decided_on":"2026-03-01","expires_on":null,"created_at":"2026-03-01T10:00:00"},
            {"kind":"approved","amount_minor":500,"decided_on":"2026-01-10","expires_on":"2026-12-31","created_at":"2026-01-10T09:00:00.5"},
            {"kind":"increased","amount_minor":900,"decided_on":"2026-03-01","expires_on":null,"created_at":"2026-03-01T09:59:59.999"},
            {"kind":"something_new","amount_minor":1,"decided_on":"2026-01-01","expires_on":null,"created_at":"2026-01-01T00:00:00"}
        ]"#;
        let kinds: Vec<DecisionKind> = decisions(Some(json))
            .unwrap()
            .into_iter()
            .map(|d| d.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                DecisionKind::Approved,
                DecisionKind::Increased,
                DecisionKind::Reduced
            ]
        );
        assert!(decisions(None).unwrap().is_empty());
        assert!(decisions(Some("[]")).unwrap().is_empty());
    }
}
