//! The simulated factor's terms and rules (`[factor]` in the sandbox's
//! TOML). Every field has a default, so an empty file is a working factor.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FactorConfig {
    /// The one currency the factor works in.
    pub currency: String,
    /// Advance [financement] = advance_rate × amounts the factor approves.
    pub advance_rate: Decimal,
    /// Reserve [fonds de garantie] = reserve_rate × assignment total,
    /// released at the same rate as buyers pay or invoices come back.
    pub reserve_rate: Decimal,
    /// Factoring commission = fee_rate × invoices' gross, plus VAT.
    pub fee_rate: Decimal,
    pub fee_vat_rate: Decimal,
    /// Yearly financing rate (reference + margin), charged up front on
    /// each advance until the invoice's due date, over 360 days.
    pub interest_rate: Decimal,
    /// Days past the due date after which an unpaid invoice comes back
    /// [définancement].
    pub recourse_days: u32,
    /// Polls of a debtor approval answered PENDING before the decision.
    pub pending_polls: u32,
    /// Fund each assignment on the next business day; when false,
    /// advances come only from funding requests.
    pub auto_fund: bool,
    /// "SCHEME:VALUE" → the factor's limit on that debtor [agrément], a
    /// decimal string. Unlisted debtors have no limit: refused.
    pub debtor_limits: BTreeMap<String, Decimal>,
    /// "SCHEME:VALUE" → a status word no adapter knows, answered as the
    /// final state of an approval (to test that it maps to pending).
    pub unknown_status: BTreeMap<String, String>,
}

impl Default for FactorConfig {
    fn default() -> Self {
        FactorConfig {
            currency: "EUR".into(),
            advance_rate: Decimal::new(90, 2),
            reserve_rate: Decimal::new(10, 2),
            fee_rate: Decimal::new(5, 3),
            fee_vat_rate: Decimal::new(20, 2),
            interest_rate: Decimal::new(5, 2),
            recourse_days: 60,
            pending_polls: 1,
            auto_fund: true,
            debtor_limits: BTreeMap::from([
                ("0002:552100554".to_string(), Decimal::new(50_000, 0)),
                ("0002:732829320".to_string(), Decimal::new(20_000, 0)),
            ]),
            unknown_status: BTreeMap::from([(
                "0002:777777777".to_string(),
                "UNDER_REVIEW_LEVEL_2".to_string(),
            )]),
        }
    }
}

impl FactorConfig {
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, r: Decimal| {
            if r < Decimal::ZERO || r > Decimal::ONE {
                Err(format!("factor.{name} must be between 0 and 1"))
            } else {
                Ok(())
            }
        };
        unit("advance_rate", self.advance_rate)?;
        unit("reserve_rate", self.reserve_rate)?;
        unit("fee_rate", self.fee_rate)?;
        unit("fee_vat_rate", self.fee_vat_rate)?;
        unit("interest_rate", self.interest_rate)?;
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "factor.currency '{}': expected an ISO 4217 code",
                self.currency
            ));
        }
        for (id, limit) in &self.debtor_limits {
            if !id.contains(':') {
                return Err(format!(
                    "factor.debtor_limits '{id}': expected SCHEME:VALUE"
                ));
            }
            if *limit < Decimal::ZERO {
                return Err(format!("factor.debtor_limits '{id}': negative limit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::SandboxConfig;
    use rust_decimal::Decimal;

    #[test]
    fn the_factor_terms_are_read_from_toml_and_checked() {
        let c = SandboxConfig::from_toml_str("").unwrap();
        assert_eq!(c.factor.advance_rate, Decimal::new(90, 2));
        assert!(c.factor.auto_fund);
        let c = SandboxConfig::from_toml_str(
            "[factor]\nadvance_rate = \"0.85\"\nauto_fund = false\n\
             debtor_limits = { \"0002:552100554\" = \"1000.00\" }\n\
             [fail_first]\nsubmit_assignment = 2\n",
        )
        .unwrap();
        assert_eq!(c.factor.advance_rate, Decimal::new(85, 2));
        assert!(!c.factor.auto_fund);
        assert_eq!(
            c.factor.debtor_limits["0002:552100554"],
            Decimal::new(100_000, 2)
        );
        assert_eq!(c.fail_first.submit_assignment, 2);
        let e = SandboxConfig::from_toml_str("[factor]\nreserve_rate = \"1.5\"\n").unwrap_err();
        assert!(e.contains("factor.reserve_rate"), "{e}");
        let e =
            SandboxConfig::from_toml_str("[factor]\ndebtor_limits = { \"552100554\" = \"1\" }\n")
                .unwrap_err();
        assert!(e.contains("552100554"), "{e}");
    }
}
