//! The route table: every route, the roles it admits and the handler that
//! serves it. The server registers exactly these routes, and a test checks
//! schemas/openapi.yaml against them.

use super::call::{Call, Reply};
use super::handlers::{
    collections, cover, factoring, health, imports, invoices, ledger, outbox, parties, payments,
    reports, statement_sync, statements,
};
use super::problem::Problem;
use crate::service::keys::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No API key needed.
    Public,
    /// A key of one of these roles (admin is admitted everywhere).
    Roles(&'static [Role]),
}

/// The handler behind a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Health,
    CreateSeller,
    ListSellers,
    GetSeller,
    CreateBuyer,
    ListBuyers,
    GetBuyer,
    CreateInvoices,
    ListInvoices,
    GetInvoice,
    InvoiceEntries,
    CreateImport,
    CoverCheck,
    ImportRates,
    CreatePolicy,
    GetPolicy,
    AddPolicyVersion,
    CreateDecision,
    GetDecision,
    CreateNotice,
    CreateClaim,
    DecideClaim,
    PayClaim,
    ClaimRecovery,
    PolicyPremium,
    PolicyDue,
    ReleaseHold,
    InvoiceDocument,
    CreateCreditNotes,
    ListCreditNotes,
    GetCreditNote,
    CreatePayment,
    ListPayments,
    GetPayment,
    TrialBalance,
    PostEntry,
    GetEntry,
    ReverseEntry,
    Aging,
    ExportFec,
    CreateLimitRequest,
    LinkPolicy,
    ListOutbox,
    GetOutboxMessage,
    RetryOutboxMessage,
    CancelOutboxMessage,
    CreateFactoringContract,
    GetFactoringContract,
    AddFactoringContractVersion,
    RecordFactoringApproval,
    ListFactoringApprovals,
    RequestFactoringApproval,
    ProposeAssignment,
    ConfirmAssignment,
    GetAssignment,
    SubmitAssignment,
    RejectAssignment,
    FactoringPosition,
    CreateFunding,
    GetFunding,
    FactoringRecourse,
    ChargeBack,
    CreateStatement,
    GetStatement,
    ListSuggestions,
    ConfirmSuggestion,
    RejectSuggestion,
    ListUnmatched,
    AssignUnmatched,
    SyncFactoringContract,
    SyncPolicySettlements,
    Kpi,
    CreateDispute,
    ListDisputes,
    GetDispute,
    ResolveDispute,
    CreatePromise,
    ListPromises,
    ListPenalties,
    ChargePenalties,
    RiskScores,
    RunDunning,
    ListDunningActions,
    CompleteDunningAction,
    ListDunningPlans,
    SetCollectionTerms,
}

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// OpenAPI-style template; actix reads the same `{name}` syntax.
    pub path: &'static str,
    pub access: Access,
    /// For a route that creates a resource: the collection whose
    /// `/{id}` the `Location` of a 201 names (`id` from the response body).
    pub creates: Option<&'static str>,
    pub op: Op,
}

impl RouteSpec {
    /// Role names as the OpenAPI document lists them (`x-roles`).
    pub fn role_names(&self) -> Vec<&'static str> {
        match self.access {
            Access::Public => Vec::new(),
            Access::Roles(roles) => roles.iter().map(|r| r.as_str()).collect(),
        }
    }
}

use Role::{Accountant, Admin, FinanceSystem, Treasurer};

const ALL: &[Role] = &[Admin, Treasurer, Accountant, FinanceSystem];
const ADMIN: &[Role] = &[Admin];
const BOOKS: &[Role] = &[Admin, Treasurer, Accountant];
/// Who manages credit insurance and factoring contracts.
const TREASURY: &[Role] = &[Admin, Treasurer];
const ACCOUNTING: &[Role] = &[Admin, Accountant];

const fn route(
    method: &'static str,
    path: &'static str,
    roles: &'static [Role],
    op: Op,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access: Access::Roles(roles),
        creates: None,
        op,
    }
}

const fn creating(
    path: &'static str,
    roles: &'static [Role],
    collection: &'static str,
    op: Op,
) -> RouteSpec {
    RouteSpec {
        method: "POST",
        path,
        access: Access::Roles(roles),
        creates: Some(collection),
        op,
    }
}

static ROUTES: &[RouteSpec] = &[
    RouteSpec {
        method: "GET",
        path: "/healthz",
        access: Access::Public,
        creates: None,
        op: Op::Health,
    },
    creating("/v1/sellers", ADMIN, "/v1/sellers", Op::CreateSeller),
    route("GET", "/v1/sellers", ALL, Op::ListSellers),
    route("GET", "/v1/sellers/{id}", ALL, Op::GetSeller),
    creating("/v1/buyers", BOOKS, "/v1/buyers", Op::CreateBuyer),
    route("GET", "/v1/buyers", ALL, Op::ListBuyers),
    route("GET", "/v1/buyers/{id}", ALL, Op::GetBuyer),
    creating("/v1/invoices", ALL, "/v1/invoices", Op::CreateInvoices),
    route("GET", "/v1/invoices", ALL, Op::ListInvoices),
    route("GET", "/v1/invoices/{id}", ALL, Op::GetInvoice),
    route("GET", "/v1/invoices/{id}/entries", ALL, Op::InvoiceEntries),
    route(
        "GET",
        "/v1/invoices/{id}/document",
        ALL,
        Op::InvoiceDocument,
    ),
    route("POST", "/v1/imports", ALL, Op::CreateImport),
    route("POST", "/v1/cover-checks", ALL, Op::CoverCheck),
    route("POST", "/v1/rates", TREASURY, Op::ImportRates),
    creating(
        "/v1/insurance/policies",
        TREASURY,
        "/v1/insurance/policies",
        Op::CreatePolicy,
    ),
    route("GET", "/v1/insurance/policies/{id}", ALL, Op::GetPolicy),
    creating(
        "/v1/insurance/policies/{id}/versions",
        TREASURY,
        "/v1/insurance/policies",
        Op::AddPolicyVersion,
    ),
    creating(
        "/v1/insurance/limit-decisions",
        TREASURY,
        "/v1/insurance/limit-decisions",
        Op::CreateDecision,
    ),
    route(
        "GET",
        "/v1/insurance/limit-decisions/{id}",
        ALL,
        Op::GetDecision,
    ),
    route(
        "POST",
        "/v1/insurance/policies/{id}/notices",
        BOOKS,
        Op::CreateNotice,
    ),
    route(
        "POST",
        "/v1/insurance/policies/{id}/claims",
        BOOKS,
        Op::CreateClaim,
    ),
    route(
        "POST",
        "/v1/insurance/claims/{id}/decision",
        BOOKS,
        Op::DecideClaim,
    ),
    route(
        "POST",
        "/v1/insurance/claims/{id}/payment",
        BOOKS,
        Op::PayClaim,
    ),
    route(
        "POST",
        "/v1/insurance/claims/{id}/recoveries",
        BOOKS,
        Op::ClaimRecovery,
    ),
    route(
        "POST",
        "/v1/insurance/policies/{id}/premiums",
        BOOKS,
        Op::PolicyPremium,
    ),
    route(
        "GET",
        "/v1/insurance/policies/{id}/due",
        BOOKS,
        Op::PolicyDue,
    ),
    route("POST", "/v1/cover-holds/{id}/release", ALL, Op::ReleaseHold),
    creating(
        "/v1/credit-notes",
        ALL,
        "/v1/credit-notes",
        Op::CreateCreditNotes,
    ),
    route("GET", "/v1/credit-notes", ALL, Op::ListCreditNotes),
    route("GET", "/v1/credit-notes/{id}", ALL, Op::GetCreditNote),
    creating("/v1/payments", ALL, "/v1/payments", Op::CreatePayment),
    route("GET", "/v1/payments", ALL, Op::ListPayments),
    route("GET", "/v1/payments/{id}", ALL, Op::GetPayment),
    route("GET", "/v1/ledger/trial-balance", BOOKS, Op::TrialBalance),
    creating(
        "/v1/ledger/entries",
        ACCOUNTING,
        "/v1/ledger/entries",
        Op::PostEntry,
    ),
    route("GET", "/v1/ledger/entries/{id}", BOOKS, Op::GetEntry),
    creating(
        "/v1/ledger/entries/{id}/reversal",
        ACCOUNTING,
        "/v1/ledger/entries",
        Op::ReverseEntry,
    ),
    route("GET", "/v1/reports/aging", BOOKS, Op::Aging),
    route("GET", "/v1/exports/fec", ACCOUNTING, Op::ExportFec),
    creating(
        "/v1/insurance/limit-requests",
        TREASURY,
        "/v1/insurance/limit-decisions",
        Op::CreateLimitRequest,
    ),
    route(
        "POST",
        "/v1/insurance/policies/{id}/connection",
        TREASURY,
        Op::LinkPolicy,
    ),
    route("GET", "/v1/outbox", TREASURY, Op::ListOutbox),
    route("GET", "/v1/outbox/{id}", TREASURY, Op::GetOutboxMessage),
    route(
        "POST",
        "/v1/outbox/{id}/retry",
        TREASURY,
        Op::RetryOutboxMessage,
    ),
    route(
        "POST",
        "/v1/outbox/{id}/cancel",
        TREASURY,
        Op::CancelOutboxMessage,
    ),
    route("POST", "/v1/statements", BOOKS, Op::CreateStatement),
    route("GET", "/v1/statements/{id}", BOOKS, Op::GetStatement),
    route(
        "GET",
        "/v1/reconciliation/suggestions",
        BOOKS,
        Op::ListSuggestions,
    ),
    route(
        "POST",
        "/v1/reconciliation/suggestions/{id}/confirm",
        BOOKS,
        Op::ConfirmSuggestion,
    ),
    route(
        "POST",
        "/v1/reconciliation/suggestions/{id}/reject",
        BOOKS,
        Op::RejectSuggestion,
    ),
    route(
        "GET",
        "/v1/reconciliation/unmatched",
        BOOKS,
        Op::ListUnmatched,
    ),
    route(
        "POST",
        "/v1/reconciliation/unmatched/{id}/assign",
        BOOKS,
        Op::AssignUnmatched,
    ),
    creating(
        "/v1/factoring/contracts",
        TREASURY,
        "/v1/factoring/contracts",
        Op::CreateFactoringContract,
    ),
    route(
        "GET",
        "/v1/factoring/contracts/{id}",
        BOOKS,
        Op::GetFactoringContract,
    ),
    creating(
        "/v1/factoring/contracts/{id}/versions",
        TREASURY,
        "/v1/factoring/contracts",
        Op::AddFactoringContractVersion,
    ),
    route(
        "POST",
        "/v1/factoring/contracts/{id}/approvals",
        TREASURY,
        Op::RecordFactoringApproval,
    ),
    route(
        "GET",
        "/v1/factoring/contracts/{id}/approvals",
        BOOKS,
        Op::ListFactoringApprovals,
    ),
    route(
        "POST",
        "/v1/factoring/contracts/{id}/approval-requests",
        TREASURY,
        Op::RequestFactoringApproval,
    ),
    route(
        "POST",
        "/v1/factoring/proposals",
        TREASURY,
        Op::ProposeAssignment,
    ),
    creating(
        "/v1/factoring/assignments",
        TREASURY,
        "/v1/factoring/assignments",
        Op::ConfirmAssignment,
    ),
    route(
        "GET",
        "/v1/factoring/assignments/{id}",
        BOOKS,
        Op::GetAssignment,
    ),
    route(
        "POST",
        "/v1/factoring/assignments/{id}/submission",
        TREASURY,
        Op::SubmitAssignment,
    ),
    route(
        "POST",
        "/v1/factoring/assignments/{id}/rejection",
        TREASURY,
        Op::RejectAssignment,
    ),
    route(
        "GET",
        "/v1/factoring/contracts/{id}/position",
        BOOKS,
        Op::FactoringPosition,
    ),
    creating(
        "/v1/factoring/contracts/{id}/fundings",
        TREASURY,
        "/v1/factoring/fundings",
        Op::CreateFunding,
    ),
    route("GET", "/v1/factoring/fundings/{id}", BOOKS, Op::GetFunding),
    route(
        "GET",
        "/v1/factoring/contracts/{id}/recourse",
        BOOKS,
        Op::FactoringRecourse,
    ),
    route(
        "POST",
        "/v1/factoring/charge-backs",
        TREASURY,
        Op::ChargeBack,
    ),
    route(
        "POST",
        "/v1/factoring/contracts/{id}/sync",
        TREASURY,
        Op::SyncFactoringContract,
    ),
    route(
        "POST",
        "/v1/insurance/policies/{id}/settlements/sync",
        TREASURY,
        Op::SyncPolicySettlements,
    ),
    route("GET", "/v1/reports/kpi", BOOKS, Op::Kpi),
    creating("/v1/disputes", BOOKS, "/v1/disputes", Op::CreateDispute),
    route("GET", "/v1/disputes", BOOKS, Op::ListDisputes),
    route("GET", "/v1/disputes/{id}", BOOKS, Op::GetDispute),
    route(
        "POST",
        "/v1/disputes/{id}/resolution",
        BOOKS,
        Op::ResolveDispute,
    ),
    creating("/v1/promises", BOOKS, "/v1/promises", Op::CreatePromise),
    route("GET", "/v1/promises", BOOKS, Op::ListPromises),
    route("GET", "/v1/penalties", BOOKS, Op::ListPenalties),
    route(
        "POST",
        "/v1/invoices/{id}/penalties",
        ACCOUNTING,
        Op::ChargePenalties,
    ),
    route("GET", "/v1/risk", BOOKS, Op::RiskScores),
    route("POST", "/v1/dunning/runs", BOOKS, Op::RunDunning),
    route("GET", "/v1/dunning/actions", BOOKS, Op::ListDunningActions),
    route(
        "POST",
        "/v1/dunning/actions/{id}/done",
        BOOKS,
        Op::CompleteDunningAction,
    ),
    route("GET", "/v1/dunning/plans", BOOKS, Op::ListDunningPlans),
    route(
        "POST",
        "/v1/buyers/{id}/collection-terms",
        BOOKS,
        Op::SetCollectionTerms,
    ),
];

/// Every route the API serves.
pub fn routes() -> &'static [RouteSpec] {
    ROUTES
}

/// Runs the handler of a route.
pub async fn run(op: Op, call: Call) -> Result<Reply, Problem> {
    match op {
        Op::Health => health::healthz(call).await,
        Op::CreateSeller => parties::create_seller(call).await,
        Op::ListSellers => parties::list_sellers(call).await,
        Op::GetSeller => parties::get_seller(call).await,
        Op::CreateBuyer => parties::create_buyer(call).await,
        Op::ListBuyers => parties::list_buyers(call).await,
        Op::GetBuyer => parties::get_buyer(call).await,
        Op::CreateInvoices => invoices::create_invoices(call).await,
        Op::ListInvoices => invoices::list_invoices(call).await,
        Op::GetInvoice => invoices::get_invoice(call).await,
        Op::InvoiceEntries => invoices::invoice_entries(call).await,
        Op::CreateImport => imports::create_import(call).await,
        Op::CoverCheck => cover::create_cover_check(call).await,
        Op::ImportRates => cover::import_rates(call).await,
        Op::CreatePolicy => cover::create_policy(call).await,
        Op::GetPolicy => cover::get_policy(call).await,
        Op::AddPolicyVersion => cover::add_policy_version(call).await,
        Op::CreateDecision => cover::create_decision(call).await,
        Op::GetDecision => cover::get_decision(call).await,
        Op::CreateNotice => cover::create_notice(call).await,
        Op::CreateClaim => cover::create_claim(call).await,
        Op::DecideClaim => cover::decide_claim(call).await,
        Op::PayClaim => cover::pay_claim(call).await,
        Op::ClaimRecovery => cover::record_recovery(call).await,
        Op::PolicyPremium => cover::policy_premium(call).await,
        Op::PolicyDue => cover::policy_due(call).await,
        Op::ReleaseHold => cover::release_hold(call).await,
        Op::InvoiceDocument => invoices::get_invoice_document(call).await,
        Op::CreateCreditNotes => invoices::create_credit_notes(call).await,
        Op::ListCreditNotes => invoices::list_credit_notes(call).await,
        Op::GetCreditNote => invoices::get_credit_note(call).await,
        Op::CreatePayment => payments::create_payment(call).await,
        Op::ListPayments => payments::list_payments(call).await,
        Op::GetPayment => payments::get_payment(call).await,
        Op::TrialBalance => ledger::trial_balance(call).await,
        Op::PostEntry => ledger::post_entry(call).await,
        Op::GetEntry => ledger::get_entry(call).await,
        Op::ReverseEntry => ledger::reverse_entry(call).await,
        Op::Aging => reports::aging(call).await,
        Op::ExportFec => reports::export_fec(call).await,
        Op::CreateLimitRequest => cover::create_limit_request(call).await,
        Op::LinkPolicy => cover::link_policy(call).await,
        Op::ListOutbox => outbox::list(call).await,
        Op::GetOutboxMessage => outbox::get(call).await,
        Op::RetryOutboxMessage => outbox::retry(call).await,
        Op::CancelOutboxMessage => outbox::cancel(call).await,
        Op::CreateFactoringContract => factoring::create_contract(call).await,
        Op::GetFactoringContract => factoring::get_contract(call).await,
        Op::AddFactoringContractVersion => factoring::add_contract_version(call).await,
        Op::RecordFactoringApproval => factoring::record_approval(call).await,
        Op::ListFactoringApprovals => factoring::list_approvals(call).await,
        Op::RequestFactoringApproval => factoring::request_approval(call).await,
        Op::ProposeAssignment => factoring::propose(call).await,
        Op::ConfirmAssignment => factoring::confirm(call).await,
        Op::GetAssignment => factoring::get_assignment(call).await,
        Op::SubmitAssignment => factoring::submit(call).await,
        Op::RejectAssignment => factoring::reject(call).await,
        Op::FactoringPosition => factoring::position(call).await,
        Op::CreateFunding => factoring::create_funding(call).await,
        Op::GetFunding => factoring::get_funding(call).await,
        Op::FactoringRecourse => factoring::recourse(call).await,
        Op::ChargeBack => factoring::charge_back(call).await,
        Op::CreateStatement => statements::create_statement(call).await,
        Op::GetStatement => statements::get_statement(call).await,
        Op::ListSuggestions => statements::list_suggestions(call).await,
        Op::ConfirmSuggestion => statements::confirm_suggestion(call).await,
        Op::RejectSuggestion => statements::reject_suggestion(call).await,
        Op::ListUnmatched => statements::list_unmatched(call).await,
        Op::AssignUnmatched => statements::assign_unmatched(call).await,
        Op::SyncFactoringContract => statement_sync::sync_contract(call).await,
        Op::SyncPolicySettlements => statement_sync::sync_policy(call).await,
        Op::Kpi => collections::kpis(call).await,
        Op::CreateDispute => collections::create_dispute(call).await,
        Op::ListDisputes => collections::list_disputes(call).await,
        Op::GetDispute => collections::get_dispute(call).await,
        Op::ResolveDispute => collections::resolve_dispute(call).await,
        Op::CreatePromise => collections::create_promise(call).await,
        Op::ListPromises => collections::list_promises(call).await,
        Op::ListPenalties => collections::list_penalties(call).await,
        Op::ChargePenalties => collections::charge_penalties(call).await,
        Op::RiskScores => collections::risk_scores(call).await,
        Op::RunDunning => collections::run_dunning(call).await,
        Op::ListDunningActions => collections::list_actions(call).await,
        Op::CompleteDunningAction => collections::complete_action(call).await,
        Op::ListDunningPlans => collections::list_plans(call).await,
        Op::SetCollectionTerms => collections::set_collection_terms(call).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for r in routes() {
            assert!(
                seen.insert((r.method, r.path)),
                "duplicate {} {}",
                r.method,
                r.path
            );
            assert!(matches!(r.method, "GET" | "POST"), "{}", r.method);
            match r.access {
                Access::Public => assert_eq!(r.path, "/healthz"),
                Access::Roles(roles) => {
                    assert!(r.path.starts_with("/v1/"), "{}", r.path);
                    assert!(roles.contains(&Role::Admin), "{} lists no admin", r.path);
                }
            }
            // Every POST creates a resource named by the Location of its
            // 201, except the actions: imports (whose report names what
            // each file made), cover checks (an answer, nothing stored), the
            // insurance steps on a policy or claim, premiums (a quote, or a
            // posting once per period), recoveries (201 without a
            // Location: no route reads one back yet), statement files (a
            // report per file, which may hold several statements), the
            // reconciliation steps on a statement line, and the factoring
            // actions (approvals are listed per contract; a proposal is an
            // answer; submission, rejection and charge-back act on a batch).
            let action = matches!(
                r.op,
                Op::CreateImport
                    | Op::ImportRates
                    | Op::CoverCheck
                    | Op::ReleaseHold
                    | Op::RecordFactoringApproval
                    | Op::RequestFactoringApproval
                    | Op::ProposeAssignment
                    | Op::SubmitAssignment
                    | Op::RejectAssignment
                    | Op::ChargeBack
                    | Op::SyncFactoringContract
                    | Op::SyncPolicySettlements
                    | Op::CreateNotice
                    | Op::CreateClaim
                    | Op::DecideClaim
                    | Op::PayClaim
                    | Op::LinkPolicy
                    | Op::RetryOutboxMessage
                    | Op::CancelOutboxMessage
                    | Op::ClaimRecovery
                    | Op::PolicyPremium
                    | Op::CreateStatement
                    | Op::ConfirmSuggestion
                    | Op::RejectSuggestion
                    | Op::AssignUnmatched
                    | Op::ResolveDispute
                    | Op::ChargePenalties
                    | Op::RunDunning
                    | Op::CompleteDunningAction
                    | Op::SetCollectionTerms
            );
            let creates = r.method == "POST" && !action;
            assert_eq!(r.creates.is_some(), creates, "{}", r.path);
        }
    }
}
