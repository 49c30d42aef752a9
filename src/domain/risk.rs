//! Buyer risk score [notation client]: 0 (best) to 100 points from payment
//! behaviour and the insurer's grade, each factor's contribution shown, and
//! the class (A best to E worst) that picks the dunning plan and the
//! recommended payment term. Pure.
//!
//! | factor | points |
//! |---|---|
//! | average days late (paid invoices, last 12 months) | min(days, 60) / 60 × 30 |
//! | overdue rate (overdue / outstanding) | rate % / 100 × 25 |
//! | disputes opened (last 12 months) | 5 each, at most 15 |
//! | broken promises to pay (last 12 months) | 10 each, at most 20 |
//! | insurer grade 1 (best) to 10 (worst) | (grade − 1) / 9 × 10; unknown: 0 |
//!
//! Classes: A below 20, B below 40, C below 60, D below 80, E from 80.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// What the score is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskInputs {
    pub average_days_late: Option<Decimal>,
    /// Percent.
    pub overdue_rate: Option<Decimal>,
    pub disputes: i64,
    pub broken_promises: i64,
    pub insurer_grade: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskFactor {
    pub factor: &'static str,
    /// The input as read, e.g. "12.5 days" or "unknown".
    pub value: String,
    pub points: Decimal,
    pub max_points: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RiskClass {
    A,
    B,
    C,
    D,
    E,
}

impl RiskClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskClass::A => "A",
            RiskClass::B => "B",
            RiskClass::C => "C",
            RiskClass::D => "D",
            RiskClass::E => "E",
        }
    }

    pub fn parse(s: &str) -> Option<RiskClass> {
        match s {
            "A" => Some(RiskClass::A),
            "B" => Some(RiskClass::B),
            "C" => Some(RiskClass::C),
            "D" => Some(RiskClass::D),
            "E" => Some(RiskClass::E),
            _ => None,
        }
    }

    /// Recommended payment term in days from issue; E: payment in advance
    /// or a deposit [acompte] (0 days).
    pub fn recommended_term_days(self) -> u32 {
        match self {
            RiskClass::A => 60,
            RiskClass::B => 45,
            RiskClass::C => 30,
            RiskClass::D => 15,
            RiskClass::E => 0,
        }
    }

    pub fn from_score(score: Decimal) -> RiskClass {
        if score < Decimal::from(20) {
            RiskClass::A
        } else if score < Decimal::from(40) {
            RiskClass::B
        } else if score < Decimal::from(60) {
            RiskClass::C
        } else if score < Decimal::from(80) {
            RiskClass::D
        } else {
            RiskClass::E
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskScore {
    /// Sum of the factors' points.
    pub score: Decimal,
    pub class: RiskClass,
    pub recommended_term_days: u32,
    pub factors: Vec<RiskFactor>,
}

fn pts(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Scores a buyer; each factor rounded to 2 decimals, the score their sum.
pub fn score(inputs: &RiskInputs) -> RiskScore {
    let d = Decimal::from;
    let late = inputs.average_days_late.unwrap_or_default().max(d(0));
    let overdue = inputs.overdue_rate.unwrap_or_default().clamp(d(0), d(100));
    let grade_points = inputs
        .insurer_grade
        .map(|g| pts(d(i64::from(g.clamp(1, 10)) - 1) / d(9) * d(10)))
        .unwrap_or_default();
    let factors = vec![
        RiskFactor {
            factor: "days_late",
            value: match inputs.average_days_late {
                Some(v) => format!("{v} days"),
                None => "no invoice paid".into(),
            },
            points: pts(late.min(d(60)) / d(60) * d(30)),
            max_points: d(30),
        },
        RiskFactor {
            factor: "overdue_rate",
            value: match inputs.overdue_rate {
                Some(v) => format!("{v} %"),
                None => "nothing outstanding".into(),
            },
            points: pts(overdue / d(100) * d(25)),
            max_points: d(25),
        },
        RiskFactor {
            factor: "disputes",
            value: inputs.disputes.to_string(),
            points: d((inputs.disputes.max(0) * 5).min(15)),
            max_points: d(15),
        },
        RiskFactor {
            factor: "broken_promises",
            value: inputs.broken_promises.to_string(),
            points: d((inputs.broken_promises.max(0) * 10).min(20)),
            max_points: d(20),
        },
        RiskFactor {
            factor: "insurer_grade",
            value: inputs
                .insurer_grade
                .map_or_else(|| "unknown".into(), |g| g.to_string()),
            points: grade_points,
            max_points: d(10),
        },
    ];
    let score: Decimal = factors.iter().map(|f| f.points).sum();
    let class = RiskClass::from_score(score);
    RiskScore {
        score,
        class,
        recommended_term_days: class.recommended_term_days(),
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_good_payer_is_class_a() {
        let s = score(&RiskInputs {
            average_days_late: Some(dec!(3)),
            overdue_rate: Some(dec!(10)),
            insurer_grade: Some(2),
            ..Default::default()
        });
        // 3/60 x 30 = 1.5; 10 % x 25 = 2.5; grade 2: 1/9 x 10 = 1.11.
        let points: Vec<Decimal> = s.factors.iter().map(|f| f.points).collect();
        assert_eq!(
            points,
            vec![dec!(1.5), dec!(2.5), dec!(0), dec!(0), dec!(1.11)]
        );
        assert_eq!(s.score, dec!(5.11));
        assert_eq!(s.class, RiskClass::A);
        assert_eq!(s.recommended_term_days, 60);
    }

    #[test]
    fn a_late_disputing_promise_breaker_is_class_e() {
        let s = score(&RiskInputs {
            average_days_late: Some(dec!(90)),
            overdue_rate: Some(dec!(80)),
            disputes: 4,
            broken_promises: 1,
            insurer_grade: None,
        });
        // 30 (capped at 60 days) + 20 + 15 (capped) + 10 + 0 (unknown) = 75: D.
        assert_eq!(s.score, dec!(75));
        assert_eq!(s.class, RiskClass::D);
        assert_eq!(s.factors[4].value, "unknown");
        let s = score(&RiskInputs {
            broken_promises: 2,
            insurer_grade: Some(10),
            ..RiskInputs {
                average_days_late: Some(dec!(90)),
                overdue_rate: Some(dec!(80)),
                disputes: 4,
                broken_promises: 0,
                insurer_grade: None,
            }
        });
        // 30 + 20 + 15 + 20 + 10 = 95: E, payment in advance.
        assert_eq!(s.score, dec!(95));
        assert_eq!(s.class, RiskClass::E);
        assert_eq!(s.recommended_term_days, 0);
    }

    #[test]
    fn class_bounds() {
        assert_eq!(RiskClass::from_score(dec!(19.99)), RiskClass::A);
        assert_eq!(RiskClass::from_score(dec!(20)), RiskClass::B);
        assert_eq!(RiskClass::from_score(dec!(59.99)), RiskClass::C);
        assert_eq!(RiskClass::from_score(dec!(80)), RiskClass::E);
    }
}
