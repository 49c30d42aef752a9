//! The factor's JSON and its mapping to factorgate's canonical types, both
//! ways: camelCase, amounts as decimal strings with a currency, ISO dates.
//! Money, buyers, tokens and error bodies are read as the REST insurer
//! adapter reads them.
//!
//! Lenient about fields we do not use, strict about those we do: an
//! amount we cannot read exactly is a protocol error, a status we do not
//! know is `Pending` (never funding or a grant), a line type we do not
//! know is `Other` (left for a person).

use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, AssignedDocument, AssignmentAnswer, AssignmentStatus, AssignmentSubmission,
    DebtorApprovalRequest, DocumentKind, FactorMovementKind, FactorStatement, FactorStatementLine,
    FundingAnswer, FundingRequest, FundingStatus, LimitAnswer, LimitRequestKind, LimitStatus,
    RejectedDocument,
};
pub use factorgate_rest_insurer::transformers::{
    buyer_to_wire, error_from_response, limit_status, money_from_wire, money_to_wire, parse_body,
    TokenResponse, WireBuyerRef, WireMoney,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSeller {
    pub company_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDocument {
    pub document_type: &'static str,
    pub number: String,
    pub buyer: WireBuyerRef,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub gross_amount: WireMoney,
    pub approved_amount: WireMoney,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentBody {
    pub contract_number: String,
    pub assignment_number: String,
    pub seller: WireSeller,
    pub assignment_date: NaiveDate,
    pub documents: Vec<WireDocument>,
    pub total_amount: WireMoney,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingBody {
    pub contract_number: String,
    pub requested_amount: WireMoney,
    pub request_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalBody {
    pub contract_number: String,
    pub request_type: &'static str,
    pub buyer: WireBuyerRef,
    pub requested_amount: WireMoney,
    pub effective_date: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WireRejected {
    pub number: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAssignment {
    pub assignment_id: String,
    pub status: String,
    #[serde(default)]
    pub rejected_documents: Vec<WireRejected>,
    #[serde(default)]
    pub advance_amount: Option<WireMoney>,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireFunding {
    pub funding_id: String,
    pub status: String,
    #[serde(default)]
    pub granted_amount: Option<WireMoney>,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireApproval {
    pub job_id: String,
    pub status: String,
    #[serde(default)]
    pub decision_id: Option<String>,
    #[serde(default)]
    pub approved_amount: Option<WireMoney>,
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireLine {
    pub entry_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub booking_date: NaiveDate,
    #[serde(default)]
    pub value_date: Option<NaiveDate>,
    pub amount: WireMoney,
    #[serde(default)]
    pub assignment_number: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireStatement {
    pub statement_id: String,
    pub contract_number: String,
    pub issue_date: NaiveDate,
    pub opening_balance: WireMoney,
    pub closing_balance: WireMoney,
    pub lines: Vec<WireLine>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatementList {
    pub statements: Vec<WireStatement>,
}

fn document(d: &AssignedDocument) -> WireDocument {
    WireDocument {
        document_type: match d.kind {
            DocumentKind::Invoice => "INVOICE",
            DocumentKind::CreditNote => "CREDIT_NOTE",
        },
        number: d.number.clone(),
        buyer: buyer_to_wire(&d.buyer),
        issue_date: d.issue_date,
        due_date: d.due_date,
        gross_amount: money_to_wire(&d.gross),
        approved_amount: money_to_wire(&d.approved),
    }
}

impl From<&AssignmentSubmission> for AssignmentBody {
    fn from(a: &AssignmentSubmission) -> Self {
        AssignmentBody {
            contract_number: a.contract_number.clone(),
            assignment_number: a.assignment_number.clone(),
            seller: WireSeller {
                company_name: a.seller.name.clone(),
                siren: a.seller.siren.clone(),
                vat_number: a.seller.vat.clone(),
                iban: a.seller.iban.clone(),
            },
            assignment_date: a.assigned_on,
            documents: a.documents.iter().map(document).collect(),
            total_amount: money_to_wire(&a.total),
        }
    }
}

impl From<&FundingRequest> for FundingBody {
    fn from(r: &FundingRequest) -> Self {
        FundingBody {
            contract_number: r.contract_number.clone(),
            requested_amount: money_to_wire(&r.amount),
            request_date: r.requested_on,
        }
    }
}

impl From<&DebtorApprovalRequest> for ApprovalBody {
    fn from(r: &DebtorApprovalRequest) -> Self {
        ApprovalBody {
            contract_number: r.contract_number.clone(),
            request_type: match r.kind {
                LimitRequestKind::New => "NEW",
                LimitRequestKind::Increase => "INCREASE",
                LimitRequestKind::Prolongation => "PROLONGATION",
                LimitRequestKind::Cancellation => "CANCELLATION",
            },
            buyer: buyer_to_wire(&r.buyer),
            requested_amount: money_to_wire(&r.amount),
            effective_date: r.wanted_from,
        }
    }
}

/// The factor's assignment statuses to ours; RECEIVED and anything
/// unknown are `Pending`.
pub fn assignment_status(raw: &str) -> AssignmentStatus {
    match raw {
        "ACKNOWLEDGED" => AssignmentStatus::Acknowledged,
        "FUNDED" => AssignmentStatus::Funded,
        "PARTIALLY_REJECTED" => AssignmentStatus::PartiallyRejected,
        "REJECTED" => AssignmentStatus::Rejected,
        "CLOSED" => AssignmentStatus::Closed,
        _ => AssignmentStatus::Pending,
    }
}

impl TryFrom<WireAssignment> for AssignmentAnswer {
    type Error = AdapterError;

    fn try_from(a: WireAssignment) -> Result<Self, Self::Error> {
        let status = assignment_status(&a.status);
        let advance = match status {
            // What an unknown status says about money is not believed.
            AssignmentStatus::Pending => None,
            _ => a.advance_amount.as_ref().map(money_from_wire).transpose()?,
        };
        Ok(AssignmentAnswer {
            reference: a.assignment_id,
            status,
            raw_status: a.status,
            rejected: a
                .rejected_documents
                .into_iter()
                .map(|r| RejectedDocument {
                    number: r.number,
                    reason: r.reason,
                })
                .collect(),
            value_date: advance.and(a.value_date),
            advance,
        })
    }
}

pub fn funding_status(raw: &str) -> FundingStatus {
    match raw {
        "ACCEPTED" => FundingStatus::Accepted,
        "REFUSED" => FundingStatus::Refused,
        _ => FundingStatus::Pending,
    }
}

impl TryFrom<WireFunding> for FundingAnswer {
    type Error = AdapterError;

    fn try_from(f: WireFunding) -> Result<Self, Self::Error> {
        let status = funding_status(&f.status);
        let amount = f.granted_amount.as_ref().map(money_from_wire).transpose()?;
        if status == FundingStatus::Accepted && amount.is_none() {
            return Err(AdapterError::Protocol(format!(
                "funding {}: ACCEPTED without a granted amount",
                f.funding_id
            )));
        }
        Ok(FundingAnswer {
            reference: f.funding_id,
            status,
            raw_status: f.status,
            amount: if status == FundingStatus::Accepted {
                amount
            } else {
                None
            },
            value_date: f.value_date,
            note: f.reason,
        })
    }
}

/// Whether a limit status grants something, and so must come with an amount.
fn grants(status: LimitStatus) -> bool {
    !matches!(
        status,
        LimitStatus::Pending | LimitStatus::Refused | LimitStatus::Cancelled
    )
}

impl TryFrom<WireApproval> for LimitAnswer {
    type Error = AdapterError;

    fn try_from(a: WireApproval) -> Result<Self, Self::Error> {
        let status = limit_status(&a.status);
        let pending = LimitAnswer {
            reference: a.job_id.clone(),
            status: LimitStatus::Pending,
            raw_status: a.status.clone(),
            amount: None,
            effective_on: None,
            expires_on: None,
            note: None,
            insurer_buyer_id: None,
        };
        if !status.is_final() {
            return Ok(pending);
        }
        let Some(decision_id) = a.decision_id else {
            return Err(AdapterError::Protocol(format!(
                "approval job {}: status {} without a decision id",
                a.job_id, a.status
            )));
        };
        let amount = a
            .approved_amount
            .as_ref()
            .map(money_from_wire)
            .transpose()?;
        if grants(status) && amount.is_none() {
            return Err(AdapterError::Protocol(format!(
                "approval job {}: status {} without an approved amount",
                a.job_id, a.status
            )));
        }
        Ok(LimitAnswer {
            reference: decision_id,
            status,
            amount: if grants(status) { amount } else { None },
            effective_on: a.effective_date,
            note: a.reason,
            ..pending
        })
    }
}

/// The factor's line types to our movement kinds; unknown ones `Other`.
pub fn movement_kind(raw: &str) -> FactorMovementKind {
    match raw {
        "ASSIGNMENT" => FactorMovementKind::Assignment,
        "ADVANCE" => FactorMovementKind::Advance,
        "FEE" => FactorMovementKind::Fee,
        "FEE_VAT" => FactorMovementKind::FeeVat,
        "INTEREST" => FactorMovementKind::Interest,
        "RESERVE_HELD" => FactorMovementKind::ReserveHeld,
        "RESERVE_RELEASED" => FactorMovementKind::ReserveReleased,
        "COLLECTION" => FactorMovementKind::Collection,
        "RECOURSE" => FactorMovementKind::Recourse,
        "ADJUSTMENT" => FactorMovementKind::Adjustment,
        _ => FactorMovementKind::Other,
    }
}

impl TryFrom<WireStatement> for FactorStatement {
    type Error = AdapterError;

    fn try_from(s: WireStatement) -> Result<Self, Self::Error> {
        let lines = s
            .lines
            .into_iter()
            .map(|l| {
                Ok(FactorStatementLine {
                    amount: money_from_wire(&l.amount)?,
                    kind: movement_kind(&l.kind),
                    entry_reference: l.entry_id,
                    booked_on: l.booking_date,
                    value_date: l.value_date,
                    assignment_number: l.assignment_number,
                    invoice_number: l.invoice_number,
                    text: l.label,
                })
            })
            .collect::<Result<Vec<_>, AdapterError>>()?;
        Ok(FactorStatement {
            opening_balance: money_from_wire(&s.opening_balance)?,
            closing_balance: money_from_wire(&s.closing_balance)?,
            statement_id: s.statement_id,
            contract_number: s.contract_number,
            issued_on: s.issue_date,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_statuses_are_pending_and_unknown_lines_other() {
        assert_eq!(assignment_status("FUNDED"), AssignmentStatus::Funded);
        assert_eq!(assignment_status("RECEIVED"), AssignmentStatus::Pending);
        assert_eq!(
            assignment_status("FUNDED_PARTIALLY"),
            AssignmentStatus::Pending
        );
        assert_eq!(funding_status("accepted"), FundingStatus::Pending);
        assert_eq!(movement_kind("FEE_VAT"), FactorMovementKind::FeeVat);
        assert_eq!(movement_kind("FX_ADJUSTMENT"), FactorMovementKind::Other);
    }

    #[test]
    fn an_unknown_assignment_status_never_carries_an_advance() {
        let a: WireAssignment = serde_json::from_str(
            r#"{"assignmentId":"A1","status":"PAID_OUT","advanceAmount":{"value":"100.00","currency":"EUR"},"valueDate":"2026-03-03"}"#,
        )
        .unwrap();
        let answer = AssignmentAnswer::try_from(a).unwrap();
        assert_eq!(answer.status, AssignmentStatus::Pending);
        assert_eq!(answer.raw_status, "PAID_OUT");
        assert_eq!((answer.advance, answer.value_date), (None, None));
    }

    #[test]
    fn an_accepted_funding_without_an_amount_is_refused() {
        let f: WireFunding =
            serde_json::from_str(r#"{"fundingId":"F1","status":"ACCEPTED"}"#).unwrap();
        assert!(matches!(
            FundingAnswer::try_from(f),
            Err(AdapterError::Protocol(_))
        ));
    }
}
