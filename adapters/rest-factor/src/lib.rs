//! A factor with a REST/JSON API: OAuth2 client credentials, assignments
//! [cessions] acknowledged then funded, funding requests, debtor approvals
//! [agréments] answered by a job to poll, and statements. Typed glue only:
//! the wire shapes and their mapping live in [`transformers`]; retries
//! and the record of attempts are the gateway's.
//!
//! The only state is the cached access token, used until shortly before it
//! expires and fetched again once when the factor answers 401.

pub mod transformers;

use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, AssignmentAnswer, AssignmentSubmission, DebtorApprovalRequest, FactorAdapter,
    FactorStatement, FundingAnswer, FundingRequest, LimitAnswer, Secret,
};
use factorgate_rest_insurer::client::{json_body, Call, OAuthClient};
use reqwest::Method;

use transformers::{
    ApprovalBody, AssignmentBody, FundingBody, StatementList, WireApproval, WireAssignment,
    WireFunding,
};

#[derive(Debug, Clone)]
pub struct RestFactorConfig {
    /// The API root, e.g. `https://api.factor.example` (routes are
    /// `/oauth/token` and `/factor/v1/...` under it).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// For each HTTP exchange, connection included.
    pub timeout: Duration,
}

pub struct RestFactor {
    client: OAuthClient,
}

impl RestFactor {
    /// Fails (as `Protocol`: a configuration bug, not a retry case) when
    /// the base URL cannot be read or the HTTP client cannot be built.
    pub fn new(config: RestFactorConfig) -> Result<RestFactor, AdapterError> {
        Ok(RestFactor {
            client: OAuthClient::new(
                "factor",
                &config.base_url,
                config.client_id,
                config.client_secret,
                config.timeout,
            )?,
        })
    }
}

#[async_trait]
impl FactorAdapter for RestFactor {
    fn name(&self) -> &str {
        "rest"
    }

    async fn submit_assignment(
        &self,
        assignment: &AssignmentSubmission,
    ) -> Result<AssignmentAnswer, AdapterError> {
        let answer: WireAssignment = self
            .client
            .call(Call {
                operation: "submit_assignment",
                method: Method::POST,
                segments: &["factor", "v1", "assignments"],
                query: &[],
                body: json_body(&AssignmentBody::from(assignment))?,
                idempotency_key: Some(&assignment.idempotency_key),
            })
            .await?;
        AssignmentAnswer::try_from(answer)
    }

    async fn assignment_status(&self, reference: &str) -> Result<AssignmentAnswer, AdapterError> {
        let answer: WireAssignment = self
            .client
            .call(Call {
                operation: "assignment_status",
                method: Method::GET,
                segments: &["factor", "v1", "assignments", reference],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        AssignmentAnswer::try_from(answer)
    }

    async fn request_funding(
        &self,
        request: &FundingRequest,
    ) -> Result<FundingAnswer, AdapterError> {
        let answer: WireFunding = self
            .client
            .call(Call {
                operation: "request_funding",
                method: Method::POST,
                segments: &["factor", "v1", "funding-requests"],
                query: &[],
                body: json_body(&FundingBody::from(request))?,
                idempotency_key: Some(&request.idempotency_key),
            })
            .await?;
        FundingAnswer::try_from(answer)
    }

    async fn request_approval(
        &self,
        request: &DebtorApprovalRequest,
    ) -> Result<LimitAnswer, AdapterError> {
        let job: WireApproval = self
            .client
            .call(Call {
                operation: "request_approval",
                method: Method::POST,
                segments: &["factor", "v1", "debtor-approvals"],
                query: &[],
                body: json_body(&ApprovalBody::from(request))?,
                idempotency_key: Some(&request.idempotency_key),
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn poll_approval(&self, reference: &str) -> Result<LimitAnswer, AdapterError> {
        let job: WireApproval = self
            .client
            .call(Call {
                operation: "poll_approval",
                method: Method::GET,
                segments: &["factor", "v1", "debtor-approvals", "jobs", reference],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn fetch_statements(
        &self,
        contract_number: &str,
        since: NaiveDate,
    ) -> Result<Vec<FactorStatement>, AdapterError> {
        let list: StatementList = self
            .client
            .call(Call {
                operation: "fetch_statements",
                method: Method::GET,
                segments: &["factor", "v1", "statements"],
                query: &[
                    ("contractNumber", contract_number.to_string()),
                    ("since", since.to_string()),
                ],
                body: None,
                idempotency_key: None,
            })
            .await?;
        let mut statements = list
            .statements
            .into_iter()
            .map(FactorStatement::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        statements
            .sort_by(|a, b| (a.issued_on, &a.statement_id).cmp(&(b.issued_on, &b.statement_id)));
        Ok(statements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_base_url_is_refused_and_references_are_one_segment() {
        let config = |url: &str| RestFactorConfig {
            base_url: url.into(),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            timeout: Duration::from_secs(1),
        };
        assert!(matches!(
            RestFactor::new(config("nope")),
            Err(AdapterError::Protocol(_))
        ));
        let ok = RestFactor::new(config("https://factor.example/api/")).unwrap();
        assert_eq!(
            ok.client
                .url(&["factor", "v1", "assignments", "A/1"])
                .as_str(),
            "https://factor.example/api/factor/v1/assignments/A%2F1"
        );
    }
}
