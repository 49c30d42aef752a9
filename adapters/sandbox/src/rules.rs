//! The simulated insurer's decisions: pure functions of the configured
//! rules and the request, so a test knows the answer before it asks.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::config::DecisionRules;

/// What a limit request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    New,
    Increase,
    Prolongation,
    Cancellation,
}

impl RequestType {
    pub fn parse(text: &str) -> Option<RequestType> {
        match text {
            "NEW" => Some(RequestType::New),
            "INCREASE" => Some(RequestType::Increase),
            "PROLONGATION" => Some(RequestType::Prolongation),
            "CANCELLATION" => Some(RequestType::Cancellation),
            _ => None,
        }
    }
}

/// A decision before it gets its id and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The status string the insurer answers.
    pub status: String,
    pub granted: Option<Decimal>,
    pub conditions: Option<String>,
    pub reason: Option<String>,
    /// A status from the `unknown_status` hook: answered without a
    /// decision, as an insurer's new status would be.
    pub unknown: bool,
}

impl Decision {
    fn plain(status: &str, granted: Option<Decimal>) -> Decision {
        Decision {
            status: status.into(),
            granted,
            conditions: None,
            reason: None,
            unknown: false,
        }
    }
}

/// Decides a request about a buyer of `country` known by `legal_ids`
/// ("SCHEME:VALUE"), asking for `requested`.
pub fn decide(
    rules: &DecisionRules,
    kind: RequestType,
    country: &str,
    legal_ids: &[String],
    requested: Decimal,
) -> Decision {
    let named = |list: &[String]| legal_ids.iter().any(|id| list.contains(id));
    if let Some(status) = legal_ids.iter().find_map(|id| rules.unknown_status.get(id)) {
        return Decision {
            unknown: true,
            ..Decision::plain(status, None)
        };
    }
    if kind == RequestType::Cancellation {
        return Decision::plain("CANCELLED", None);
    }
    if named(&rules.refuse_legal_ids) || rules.refuse_countries.iter().any(|c| c == country) {
        return Decision {
            reason: Some(rules.refusal_reason.clone()),
            ..Decision::plain("REFUSED", None)
        };
    }
    if named(&rules.conditional_legal_ids) {
        return Decision {
            conditions: Some(rules.conditions.clone()),
            ..Decision::plain("CONDITIONAL", Some(requested))
        };
    }
    if requested <= rules.approve_up_to {
        let status = match kind {
            RequestType::Increase => "INCREASED",
            RequestType::Prolongation => "PROLONGED",
            _ => "APPROVED",
        };
        return Decision::plain(status, Some(requested));
    }
    let mut granted = (requested * rules.partial_rate)
        .round_dp_with_strategy(requested.scale(), RoundingStrategy::MidpointAwayFromZero);
    if let Some(cap) = rules.partial_cap {
        granted = granted.min(cap);
    }
    Decision::plain("PARTIALLY_APPROVED", Some(granted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn up_to_the_threshold_is_approved_in_full() {
        let r = DecisionRules::default();
        let d = decide(
            &r,
            RequestType::New,
            "FR",
            &ids(&["0002:552100554"]),
            dec!(50000.00),
        );
        assert_eq!(d, Decision::plain("APPROVED", Some(dec!(50000.00))));
        let d = decide(&r, RequestType::Increase, "FR", &ids(&["0002:1"]), dec!(10));
        assert_eq!(d.status, "INCREASED");
    }

    #[test]
    fn above_it_the_rate_applies_rounded_to_the_request_then_the_cap() {
        let mut r = DecisionRules {
            partial_rate: dec!(0.333),
            ..DecisionRules::default()
        };
        // 60000.01 × 0.333 = 19980.00333 → 19980.00 (2 decimals, as asked).
        let d = decide(
            &r,
            RequestType::New,
            "FR",
            &ids(&["0002:1"]),
            dec!(60000.01),
        );
        assert_eq!(
            d,
            Decision::plain("PARTIALLY_APPROVED", Some(dec!(19980.00)))
        );
        // 75000.05 × 0.333 = 24975.01665 → 24975.02 (the third decimal 6 rounds up).
        let d = decide(
            &r,
            RequestType::New,
            "FR",
            &ids(&["0002:1"]),
            dec!(75000.05),
        );
        assert_eq!(d.granted, Some(dec!(24975.02)));
        r.partial_cap = Some(dec!(20000));
        // 90000 × 0.333 = 29970 > cap 20000.
        let d = decide(&r, RequestType::New, "FR", &ids(&["0002:1"]), dec!(90000));
        assert_eq!(d.granted, Some(dec!(20000)));
    }

    #[test]
    fn named_ids_and_countries_come_before_the_amount() {
        let r = DecisionRules::default();
        let d = decide(
            &r,
            RequestType::New,
            "FR",
            &ids(&["VAT:FR1", "0002:999999999"]),
            dec!(1),
        );
        assert_eq!(d.status, "REFUSED");
        assert_eq!(d.reason.as_deref(), Some("Buyer risk not acceptable"));
        assert_eq!(
            decide(&r, RequestType::New, "KP", &ids(&["0002:1"]), dec!(1)).status,
            "REFUSED"
        );
        let d = decide(
            &r,
            RequestType::New,
            "FR",
            &ids(&["0002:111111111"]),
            dec!(90000),
        );
        assert_eq!(d.status, "CONDITIONAL");
        assert_eq!(d.granted, Some(dec!(90000)));
        assert!(d.conditions.is_some());
        let d = decide(
            &r,
            RequestType::New,
            "KP",
            &ids(&["0002:777777777"]),
            dec!(1),
        );
        assert_eq!(d.status, "UNDER_REVIEW_LEVEL_2");
        assert!(d.unknown && d.granted.is_none());
    }

    #[test]
    fn a_cancellation_grants_nothing() {
        let r = DecisionRules::default();
        let d = decide(
            &r,
            RequestType::Cancellation,
            "FR",
            &ids(&["0002:1"]),
            dec!(0),
        );
        assert_eq!(d, Decision::plain("CANCELLED", None));
        assert_eq!(
            RequestType::parse("CANCELLATION"),
            Some(RequestType::Cancellation)
        );
        assert_eq!(RequestType::parse("cancel"), None);
    }
}
