//! Row types: what a table holds, and what a new row carries.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = sellers, treat_none_as_default_value = false)]
pub struct SellerRow {
    pub id: String,
    pub name: String,
    pub siren: Option<String>,
    pub vat: Option<String>,
    pub iban: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = buyers, treat_none_as_default_value = false)]
pub struct BuyerRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = buyer_legal_ids, treat_none_as_default_value = false)]
pub struct LegalIdRow {
    pub scheme: String,
    pub value: String,
    pub buyer_id: String,
    pub verified: i32,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = invoices, treat_none_as_default_value = false)]
pub struct InvoiceRow {
    pub id: String,
    pub seller_id: String,
    pub buyer_id: String,
    pub number: String,
    pub kind: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
    pub open_minor: i64,
    pub payment_terms: Option<String>,
    pub lme_exceeded: i32,
    pub state: String,
    pub credited_invoice_id: Option<String>,
    pub buyer_reference: Option<String>,
    pub order_reference: Option<String>,
    pub content_hash: String,
    pub created_at: NaiveDateTime,
    pub type_code: String,
    pub line_total_minor: Option<i64>,
    pub prepaid_minor: i64,
    pub payable_minor: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_id: Option<String>,
    pub seller_iban: Option<String>,
    pub source_format: String,
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: String,
    pub buyer_id: String,
    pub received_on: NaiveDate,
    pub currency: String,
    pub amount_minor: i64,
    pub unallocated_minor: i64,
    pub reference: Option<String>,
    pub external_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = allocations, treat_none_as_default_value = false)]
pub struct AllocationRow {
    pub id: String,
    pub invoice_id: String,
    pub source_kind: String,
    pub source_id: String,
    pub amount_minor: i64,
    pub allocated_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_entries, treat_none_as_default_value = false)]
pub struct EntryRow {
    pub seq: i64,
    pub id: String,
    pub journal_code: String,
    pub entry_date: NaiveDate,
    pub label: String,
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub event_kind: String,
    pub event_id: String,
    pub reverses_entry_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_entries, treat_none_as_default_value = false)]
pub struct NewEntryRow {
    pub id: String,
    pub journal_code: String,
    pub entry_date: NaiveDate,
    pub label: String,
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub event_kind: String,
    pub event_id: String,
    pub reverses_entry_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_lines, treat_none_as_default_value = false)]
pub struct LineRow {
    pub entry_id: String,
    pub line_no: i32,
    pub account: String,
    pub buyer_id: Option<String>,
    pub debit_minor: i64,
    pub credit_minor: i64,
    pub currency: String,
    pub label: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_lines, treat_none_as_default_value = false)]
pub struct NewLineRow {
    pub entry_id: String,
    pub line_no: i32,
    pub account: String,
    pub buyer_id: Option<String>,
    pub debit_minor: i64,
    pub credit_minor: i64,
    pub currency: String,
    pub label: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, treat_none_as_default_value = false)]
pub struct ApiKeyRow {
    pub id: String,
    pub label: String,
    pub role: String,
    pub key_hash: String,
    pub key_prefix: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub struct IdempotencyRow {
    pub api_key_id: String,
    pub idem_key: String,
    pub method: String,
    pub path: String,
    pub request_hash: String,
    pub status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = insurance_policies, treat_none_as_default_value = false)]
pub struct PolicyRow {
    pub id: String,
    pub insurer: String,
    pub number: String,
    pub currency: String,
    pub created_at: NaiveDateTime,
    /// The insurer connection its calls go through, when linked.
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Deserialize)]
#[diesel(table_name = insurance_policy_versions, treat_none_as_default_value = false)]
pub struct PolicyVersionRow {
    pub policy_id: String,
    pub effective_from: NaiveDate,
    pub indemnity_rate: String,
    pub max_credit_days: i32,
    pub notification_days: i32,
    pub waiting_days: i32,
    pub discretionary_limit_minor: i64,
    pub deductible_minor: i64,
    pub reduction_notice_days: i32,
    pub vat_covered: i32,
    pub created_at: NaiveDateTime,
    pub max_liability_minor: Option<i64>,
    pub premium_rate: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Deserialize)]
#[diesel(table_name = insurance_limit_decisions, treat_none_as_default_value = false)]
pub struct LimitDecisionRow {
    pub id: String,
    pub policy_id: String,
    pub buyer_id: String,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub decided_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub reference: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = insurance_holds, treat_none_as_default_value = false)]
pub struct HoldRow {
    pub id: String,
    pub policy_id: String,
    pub buyer_id: String,
    pub amount_minor: i64,
    pub order_reference: Option<String>,
    pub expires_at: NaiveDateTime,
    pub state: String,
    pub invoice_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = insurance_notices, treat_none_as_default_value = false)]
pub struct NoticeRow {
    pub id: String,
    pub policy_id: String,
    pub invoice_id: String,
    pub kind: String,
    pub notified_on: NaiveDate,
    pub late: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = insurance_claims, treat_none_as_default_value = false)]
pub struct ClaimRow {
    pub id: String,
    pub policy_id: String,
    pub invoice_id: String,
    pub filed_on: NaiveDate,
    pub loss_gross_minor: i64,
    pub loss_vat_minor: i64,
    pub state: String,
    pub indemnity_minor: Option<i64>,
    pub decided_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub indemnity_uncapped_minor: Option<i64>,
    pub cap_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = insurance_premiums, treat_none_as_default_value = false)]
pub struct PremiumRow {
    pub id: String,
    pub policy_id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub turnover_minor: i64,
    pub premium_minor: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = insurance_recoveries, treat_none_as_default_value = false)]
pub struct RecoveryRow {
    pub id: String,
    pub claim_id: String,
    pub recovered_on: NaiveDate,
    pub recovered_by: String,
    pub amount_minor: i64,
    pub vat_minor: i64,
    pub insurer_share_minor: i64,
    pub our_share_minor: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = outbox_messages, treat_none_as_default_value = false)]
pub struct OutboxMessageRow {
    pub id: String,
    pub connection: String,
    pub operation: String,
    pub payload: String,
    pub idempotency_key: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub state: String,
    pub attempts: i32,
    pub attempts_base: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<NaiveDateTime>,
    pub result: Option<String>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = outbox_attempts, treat_none_as_default_value = false)]
pub struct OutboxAttemptRow {
    pub message_id: String,
    pub attempt: i32,
    pub worker: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub outcome: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statements, treat_none_as_default_value = false)]
pub struct StatementRow {
    pub id: String,
    pub source_kind: String,
    pub format: String,
    pub statement_ref: String,
    pub account: String,
    pub currency: String,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub opening_minor: Option<i64>,
    pub closing_minor: Option<i64>,
    pub balance_check: String,
    pub file_name: String,
    pub file_sha256: String,
    pub imported_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statement_movements, treat_none_as_default_value = false)]
pub struct MovementRow {
    pub id: String,
    pub statement_id: String,
    pub movement_key: String,
    pub entry_ref: String,
    pub detail_index: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub booked: i32,
    pub booked_on: Option<NaiveDate>,
    pub value_on: Option<NaiveDate>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub remittance: String,
    pub structured_ref: Option<String>,
    pub end_to_end_id: Option<String>,
    pub state: String,
    pub buyer_id: Option<String>,
    pub proposal: Option<String>,
    pub score: Option<i32>,
    pub method: Option<String>,
    pub explanation: Option<String>,
    pub payment_id: Option<String>,
    pub suspense_entry_id: Option<String>,
    pub forward_to_factor: i32,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}
