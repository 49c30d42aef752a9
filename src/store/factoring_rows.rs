//! Row types of the factoring tables.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_contracts, treat_none_as_default_value = false)]
pub struct ContractRow {
    pub id: String,
    pub factor: String,
    pub number: String,
    pub seller_id: String,
    pub currency: String,
    pub connection: Option<String>,
    pub next_assignment_seq: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_contract_versions, treat_none_as_default_value = false)]
pub struct ContractVersionRow {
    pub contract_id: String,
    pub effective_from: NaiveDate,
    pub recourse: String,
    pub notification: String,
    pub scope: String,
    pub advance_rate: String,
    pub reserve_rate: String,
    pub fee_rate: String,
    pub fee_vat_rate: String,
    pub reference_series: String,
    pub margin: String,
    pub recourse_days: i32,
    pub max_invoice_age_days: i32,
    pub max_term_days: i32,
    pub excluded_countries: String,
    pub exclude_disputed: i32,
    pub exclude_intra_group: i32,
    pub concentration_cap: String,
    pub approval_notice_days: i32,
    pub factor_name: String,
    pub factor_iban: Option<String>,
    pub subrogation_notice: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_approval_decisions, treat_none_as_default_value = false)]
pub struct ApprovalDecisionRow {
    pub id: String,
    pub contract_id: String,
    pub buyer_id: String,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub decided_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub reference: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_assignments, treat_none_as_default_value = false)]
pub struct AssignmentRow {
    pub id: String,
    pub contract_id: String,
    pub number: String,
    pub state: String,
    pub assigned_on: NaiveDate,
    pub currency: String,
    pub total_minor: i64,
    pub approved_minor: i64,
    pub reserve_minor: i64,
    pub fee_minor: i64,
    pub fee_vat_minor: i64,
    pub factor_reference: Option<String>,
    pub entry_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_assignment_items, treat_none_as_default_value = false)]
pub struct AssignmentItemRow {
    pub id: String,
    pub assignment_id: String,
    pub invoice_id: String,
    pub buyer_id: String,
    pub kind: String,
    pub gross_minor: i64,
    pub approved_minor: i64,
    pub state: String,
    pub active: i32,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_fundings, treat_none_as_default_value = false)]
pub struct FundingRow {
    pub id: String,
    pub contract_id: String,
    pub requested_on: NaiveDate,
    pub amount_minor: i64,
    pub state: String,
    pub granted_minor: Option<i64>,
    pub outstanding_minor: i64,
    pub value_date: Option<NaiveDate>,
    pub factor_reference: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = factoring_movements, treat_none_as_default_value = false)]
pub struct MovementRow {
    pub id: String,
    pub contract_id: String,
    pub kind: String,
    pub on_date: NaiveDate,
    pub amount_minor: i64,
    pub outstanding_delta: i64,
    pub approved_delta: i64,
    pub financed_delta: i64,
    pub reserve_delta: i64,
    pub assignment_id: Option<String>,
    pub item_id: Option<String>,
    pub funding_id: Option<String>,
    pub entry_id: Option<String>,
    pub created_at: NaiveDateTime,
}
