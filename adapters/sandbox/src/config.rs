//! The sandbox's configuration: credentials, decision rules and test hooks.
//! Every field has a default, so an empty TOML file is a working sandbox.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::factor_config::FactorConfig;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => "sandbox_config_unreadable",
            ConfigError::Invalid { .. } => "sandbox_config_invalid",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// The one OAuth2 client the sandbox knows.
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime of an access token.
    pub token_ttl_secs: u64,
    /// How many polls of a limit job answer PENDING before the decision.
    pub pending_polls: u32,
    /// A decision's validity: expiry = effective date + this many days.
    pub validity_days: u32,
    /// The sandbox's "today" for receipts; the clock's date when absent.
    pub today: Option<NaiveDate>,
    pub rules: DecisionRules,
    /// Milliseconds to wait before answering, per operation.
    pub delays_ms: PerOperation,
    /// Answer 503 to the first N calls of an operation.
    pub fail_first: PerOperation,
    /// Buyers the insurer knows before any request.
    pub buyers: Vec<SeedBuyer>,
    /// Settlements the insurer has paid (more can be added by
    /// `POST /sandbox/settlements`).
    pub settlements: Vec<SeedSettlement>,
    /// The simulated factor's terms and rules (`[factor]`).
    pub factor: FactorConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: "factorgate".into(),
            client_secret: "sandbox-secret".into(),
            token_ttl_secs: 3600,
            pending_polls: 1,
            validity_days: 365,
            today: None,
            rules: DecisionRules::default(),
            delays_ms: PerOperation::default(),
            fail_first: PerOperation::default(),
            buyers: Vec::new(),
            settlements: Vec::new(),
            factor: FactorConfig::default(),
        }
    }
}

impl SandboxConfig {
    pub fn from_toml_file(path: &Path) -> Result<SandboxConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        SandboxConfig::from_toml_str(&text).map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn from_toml_str(text: &str) -> Result<SandboxConfig, String> {
        let config: SandboxConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        self.factor.validate()?;
        let r = &self.rules;
        if r.approve_up_to < Decimal::ZERO {
            return Err("rules.approve_up_to must not be negative".into());
        }
        if r.partial_rate <= Decimal::ZERO || r.partial_rate > Decimal::ONE {
            return Err("rules.partial_rate must be in (0, 1]".into());
        }
        let ids = r
            .refuse_legal_ids
            .iter()
            .chain(&r.conditional_legal_ids)
            .chain(r.unknown_status.keys())
            .chain(self.buyers.iter().flat_map(|b| &b.legal_ids));
        for id in ids {
            if !id.contains(':') {
                return Err(format!("legal id '{id}': expected SCHEME:VALUE"));
            }
        }
        Ok(())
    }
}

/// How the simulated insurer decides, in this order: an unknown status
/// for a named legal id, cancellation, refusal of named legal ids or
/// countries, conditional grants for named legal ids, then by amount.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionRules {
    /// Requests up to this amount are approved in full.
    pub approve_up_to: Decimal,
    /// Above it: granted = requested × partial_rate, rounded half away
    /// from zero to the decimals the request was written with...
    pub partial_rate: Decimal,
    /// ...and never more than this, when set.
    pub partial_cap: Option<Decimal>,
    /// ISO 3166-1 alpha-2 codes refused whatever the amount.
    pub refuse_countries: Vec<String>,
    /// "SCHEME:VALUE" legal ids refused.
    pub refuse_legal_ids: Vec<String>,
    pub refusal_reason: String,
    /// "SCHEME:VALUE" legal ids granted in full under conditions.
    pub conditional_legal_ids: Vec<String>,
    pub conditions: String,
    /// "SCHEME:VALUE" → a status string no adapter knows, answered as the
    /// final state of the job (to test that it maps to pending).
    pub unknown_status: BTreeMap<String, String>,
}

impl Default for DecisionRules {
    fn default() -> Self {
        DecisionRules {
            approve_up_to: Decimal::new(50_000, 0),
            partial_rate: Decimal::new(5, 1),
            partial_cap: None,
            refuse_countries: vec!["KP".into()],
            refuse_legal_ids: vec!["0002:999999999".into()],
            refusal_reason: "Buyer risk not acceptable".into(),
            conditional_legal_ids: vec!["0002:111111111".into()],
            conditions: "Cover subject to payment terms of 60 days at most".into(),
            unknown_status: BTreeMap::from([(
                "0002:777777777".to_string(),
                "UNDER_REVIEW_LEVEL_2".to_string(),
            )]),
        }
    }
}

/// The operations a test hook can slow down or fail, named as the
/// `InsurerAdapter` and `FactorAdapter` methods that call them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    FindBuyer,
    RequestLimit,
    PollDecision,
    NotifyOverdue,
    FileClaim,
    FetchSettlements,
    SubmitAssignment,
    AssignmentStatus,
    RequestFunding,
    RequestApproval,
    PollApproval,
    FetchStatements,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::FindBuyer => "find_buyer",
            Operation::RequestLimit => "request_limit",
            Operation::PollDecision => "poll_decision",
            Operation::NotifyOverdue => "notify_overdue",
            Operation::FileClaim => "file_claim",
            Operation::FetchSettlements => "fetch_settlements",
            Operation::SubmitAssignment => "submit_assignment",
            Operation::AssignmentStatus => "assignment_status",
            Operation::RequestFunding => "request_funding",
            Operation::RequestApproval => "request_approval",
            Operation::PollApproval => "poll_approval",
            Operation::FetchStatements => "fetch_statements",
        }
    }
}

/// One number per operation (milliseconds of delay, or failures to answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerOperation {
    pub find_buyer: u64,
    pub request_limit: u64,
    pub poll_decision: u64,
    pub notify_overdue: u64,
    pub file_claim: u64,
    pub fetch_settlements: u64,
    pub submit_assignment: u64,
    pub assignment_status: u64,
    pub request_funding: u64,
    pub request_approval: u64,
    pub poll_approval: u64,
    pub fetch_statements: u64,
}

impl PerOperation {
    pub fn get(&self, op: Operation) -> u64 {
        match op {
            Operation::FindBuyer => self.find_buyer,
            Operation::RequestLimit => self.request_limit,
            Operation::PollDecision => self.poll_decision,
            Operation::NotifyOverdue => self.notify_overdue,
            Operation::FileClaim => self.file_claim,
            Operation::FetchSettlements => self.fetch_settlements,
            Operation::SubmitAssignment => self.submit_assignment,
            Operation::AssignmentStatus => self.assignment_status,
            Operation::RequestFunding => self.request_funding,
            Operation::RequestApproval => self.request_approval,
            Operation::PollApproval => self.poll_approval,
            Operation::FetchStatements => self.fetch_statements,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBuyer {
    pub name: String,
    pub country: String,
    /// "SCHEME:VALUE"; the first one names the buyer's insurer id.
    pub legal_ids: Vec<String>,
    #[serde(default)]
    pub grade: Option<String>,
}

/// A settlement as configured or posted to `POST /sandbox/settlements`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSettlement {
    pub settlement_id: String,
    pub claim_id: String,
    /// INDEMNITY, RECOVERY_SHARE, or anything else.
    pub kind: String,
    /// A decimal string, e.g. "1200.50".
    pub amount: Decimal,
    pub currency: String,
    pub paid_on: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_default_sandbox() {
        let c = SandboxConfig::from_toml_str("").unwrap();
        assert_eq!(c.client_id, "factorgate");
        assert_eq!(c.rules.approve_up_to, Decimal::new(50_000, 0));
        assert_eq!(c.delays_ms, PerOperation::default());
    }

    #[test]
    fn hooks_and_rules_are_read_from_toml() {
        let c = SandboxConfig::from_toml_str(
            r#"
            pending_polls = 3
            [rules]
            approve_up_to = "1000.00"
            partial_cap = "1500"
            [delays_ms]
            request_limit = 250
            [fail_first]
            poll_decision = 2
            "#,
        )
        .unwrap();
        assert_eq!(c.pending_polls, 3);
        assert_eq!(c.rules.approve_up_to, Decimal::new(100_000, 2));
        assert_eq!(c.rules.partial_cap, Some(Decimal::new(1500, 0)));
        assert_eq!(c.delays_ms.get(Operation::RequestLimit), 250);
        assert_eq!(c.fail_first.get(Operation::PollDecision), 2);
        assert_eq!(c.fail_first.get(Operation::RequestLimit), 0);
    }

    #[test]
    fn a_misspelt_hook_or_a_bad_legal_id_is_refused() {
        let e = SandboxConfig::from_toml_str("[delays_ms]\nrequest_limits = 5\n").unwrap_err();
        assert!(e.contains("request_limits"), "{e}");
        let e = SandboxConfig::from_toml_str("[rules]\nrefuse_legal_ids = [\"552100554\"]\n")
            .unwrap_err();
        assert!(e.contains("552100554"), "{e}");
    }
}
