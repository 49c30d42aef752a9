//! A factoring contract's terms [conditions du contrat d'affacturage]. A
//! change is a new version from its effective date, as for policies.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether unpaid invoices come back to us [avec / sans recours].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recourse {
    WithRecourse,
    WithoutRecourse,
}

/// Whether buyers are told [notifié / confidentiel].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notification {
    Notified,
    Confidential,
}

/// Whole turnover [affacturage global] or chosen invoices [ponctuel].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    WholeTurnover,
    Spot,
}

macro_rules! names {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)* _ => None }
            }
        }
    };
}
names!(Recourse { WithRecourse => "with_recourse", WithoutRecourse => "without_recourse" });
names!(Notification { Notified => "notified", Confidential => "confidential" });
names!(Scope { WholeTurnover => "whole_turnover", Spot => "spot" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTerms {
    pub effective_from: NaiveDate,
    pub recourse: Recourse,
    pub notification: Notification,
    pub scope: Scope,
    /// Share of the approved amount the factor advances [quotité de financement].
    pub advance_rate: Decimal,
    /// Share of the assigned outstanding held back [fonds de garantie].
    pub reserve_rate: Decimal,
    /// Factoring commission on the assigned gross [commission d'affacturage].
    pub fee_rate: Decimal,
    /// VAT on the commission.
    pub fee_vat_rate: Decimal,
    /// Rates series of the reference rate, e.g. "EURIBOR3M".
    pub reference_series: String,
    /// Margin over the reference rate, a fraction per year.
    pub margin: Decimal,
    /// Days after the due date before an unpaid invoice is charged back.
    pub recourse_days: u32,
    /// Oldest invoice (days from issue to the assignment date) accepted.
    pub max_invoice_age_days: u32,
    /// Longest payment term (days from issue to due date) accepted.
    pub max_term_days: u32,
    /// ISO 3166 alpha-2 codes of buyers' countries the factor refuses.
    pub excluded_countries: Vec<String>,
    pub exclude_disputed: bool,
    pub exclude_intra_group: bool,
    /// Most one buyer may weigh in the assigned outstanding, a fraction.
    pub concentration_cap: Decimal,
    /// Days before a reduced or cancelled approval takes effect; invoices
    /// assigned before keep their approval.
    pub approval_notice_days: u32,
    /// The factor as payee on notified invoices, and its account.
    pub factor_name: String,
    pub factor_iban: Option<String>,
    /// The subrogation notice [mention de subrogation] notified invoices carry.
    pub subrogation_notice: Option<String>,
}

/// The version in force on `date`: the latest effective on or before it.
pub fn terms_at(versions: &[ContractTerms], date: NaiveDate) -> Option<&ContractTerms> {
    versions
        .iter()
        .filter(|v| v.effective_from <= date)
        .max_by_key(|v| v.effective_from)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(from: NaiveDate) -> ContractTerms {
        ContractTerms {
            effective_from: from,
            recourse: Recourse::WithRecourse,
            notification: Notification::Confidential,
            scope: Scope::Spot,
            advance_rate: "0.90".parse().unwrap(),
            reserve_rate: "0.10".parse().unwrap(),
            fee_rate: "0.005".parse().unwrap(),
            fee_vat_rate: "0.20".parse().unwrap(),
            reference_series: "EURIBOR3M".into(),
            margin: "0.015".parse().unwrap(),
            recourse_days: 60,
            max_invoice_age_days: 90,
            max_term_days: 60,
            excluded_countries: vec!["RU".into()],
            exclude_disputed: true,
            exclude_intra_group: true,
            concentration_cap: "0.30".parse().unwrap(),
            approval_notice_days: 30,
            factor_name: "BNP Paribas Factor".into(),
            factor_iban: None,
            subrogation_notice: None,
        }
    }

    #[test]
    fn the_latest_version_on_or_before_the_date_applies() {
        let d = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
        let mut later = sample(d(6));
        later.advance_rate = "0.85".parse().unwrap();
        let versions = vec![sample(d(1)), later];
        assert!(terms_at(&versions, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()).is_none());
        assert_eq!(terms_at(&versions, d(5)).unwrap().effective_from, d(1));
        assert_eq!(
            terms_at(&versions, d(6)).unwrap().advance_rate,
            "0.85".parse::<Decimal>().unwrap()
        );
    }

    #[test]
    fn kinds_read_back_from_their_names() {
        for r in [Recourse::WithRecourse, Recourse::WithoutRecourse] {
            assert_eq!(Recourse::parse(r.as_str()), Some(r));
        }
        assert_eq!(Scope::parse("whole_turnover"), Some(Scope::WholeTurnover));
        assert_eq!(Notification::parse("secret"), None);
    }
}
