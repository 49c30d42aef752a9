//! A credit insurer with a REST/JSON API: OAuth2 client credentials,
//! limit requests answered by a job to poll, overdue notices, claims and
//! settlements. Typed glue only: the wire shapes and their mapping live in
//! [`transformers`]; retries and the record of attempts are the gateway's.
//!
//! The only state is the cached access token, used until shortly before it
//! expires and fetched again once when the insurer answers 401.

pub mod client;
pub mod transformers;

use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, ClaimFiling, InsurerAdapter, InsurerBuyer, LegalId, LimitAnswer, LimitRequest,
    OverdueNotice, Receipt, Secret, Settlement,
};
use reqwest::Method;

use client::{json_body, Call, OAuthClient};

use transformers::{
    BuyerSearch, ClaimBody, ClaimReceipt, LimitRequestBody, NoticeReceipt, OverdueBody,
    SettlementList, WireJob,
};

#[derive(Debug, Clone)]
pub struct RestInsurerConfig {
    /// The API root, e.g. `https://api.insurer.example` (no trailing path
    /// needed: routes are `/oauth/token`, `/v1/...`).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// For each HTTP exchange, connection included.
    pub timeout: Duration,
}

pub struct RestInsurer {
    client: OAuthClient,
}

impl RestInsurer {
    /// Fails (as `Protocol`: a configuration bug, not a retry case) when
    /// the base URL cannot be read or the HTTP client cannot be built.
    pub fn new(config: RestInsurerConfig) -> Result<RestInsurer, AdapterError> {
        Ok(RestInsurer {
            client: OAuthClient::new(
                "insurer",
                &config.base_url,
                config.client_id,
                config.client_secret,
                config.timeout,
            )?,
        })
    }
}

#[async_trait]
impl InsurerAdapter for RestInsurer {
    fn name(&self) -> &str {
        "rest"
    }

    async fn find_buyer(&self, id: &LegalId) -> Result<Option<InsurerBuyer>, AdapterError> {
        let found: Result<BuyerSearch, _> = self
            .client
            .call(Call {
                operation: "find_buyer",
                method: Method::GET,
                segments: &["v1", "buyers"],
                query: &[("scheme", id.scheme.clone()), ("id", id.value.clone())],
                body: None,
                idempotency_key: None,
            })
            .await;
        match found {
            Ok(search) => Ok(search.buyers.into_iter().next().map(InsurerBuyer::from)),
            // Some insurers answer an unknown buyer with 404: not an error.
            Err(AdapterError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn request_limit(&self, request: &LimitRequest) -> Result<LimitAnswer, AdapterError> {
        let job: WireJob = self
            .client
            .call(Call {
                operation: "request_limit",
                method: Method::POST,
                segments: &["v1", "credit-limit-requests"],
                query: &[],
                body: json_body(&LimitRequestBody::from(request))?,
                idempotency_key: Some(&request.idempotency_key),
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn poll_decision(&self, reference: &str) -> Result<LimitAnswer, AdapterError> {
        let job: WireJob = self
            .client
            .call(Call {
                operation: "poll_decision",
                method: Method::GET,
                segments: &["v1", "credit-limit-requests", "jobs", reference],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        LimitAnswer::try_from(job)
    }

    async fn notify_overdue(&self, notice: &OverdueNotice) -> Result<Receipt, AdapterError> {
        let receipt: NoticeReceipt = self
            .client
            .call(Call {
                operation: "notify_overdue",
                method: Method::POST,
                segments: &["v1", "overdue-notices"],
                query: &[],
                body: json_body(&OverdueBody::from(notice))?,
                idempotency_key: Some(&notice.idempotency_key),
            })
            .await?;
        Ok(receipt.into())
    }

    async fn file_claim(&self, claim: &ClaimFiling) -> Result<Receipt, AdapterError> {
        let receipt: ClaimReceipt = self
            .client
            .call(Call {
                operation: "file_claim",
                method: Method::POST,
                segments: &["v1", "claims"],
                query: &[],
                body: json_body(&ClaimBody::from(claim))?,
                idempotency_key: Some(&claim.idempotency_key),
            })
            .await?;
        Ok(receipt.into())
    }

    async fn fetch_settlements(&self, since: NaiveDate) -> Result<Vec<Settlement>, AdapterError> {
        let list: SettlementList = self
            .client
            .call(Call {
                operation: "fetch_settlements",
                method: Method::GET,
                segments: &["v1", "settlements"],
                query: &[("paidSince", since.to_string())],
                body: None,
                idempotency_key: None,
            })
            .await?;
        list.settlements
            .into_iter()
            .map(Settlement::try_from)
            .collect()
    }
}
