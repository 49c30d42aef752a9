//! The money of factoring, each amount rounded once (half away from zero,
//! the house default) from the exact product: advance, reserve, commission
//! with its VAT, and the financing charge (Act/360).

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{round_to_minor, Currency, MoneyError, Rounding};

fn major(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, u32::from(currency.exponent()))
}

fn rate_of(rate: Decimal, minor: i64, currency: Currency) -> Result<i64, MoneyError> {
    let product = major(minor, currency)
        .checked_mul(rate)
        .ok_or(MoneyError::Overflow)?;
    round_to_minor(product, currency, Rounding::HalfAwayFromZero)
}

/// Advance [financement] = advance rate x approved amount.
pub fn advance(
    advance_rate: Decimal,
    approved: i64,
    currency: Currency,
) -> Result<i64, MoneyError> {
    rate_of(advance_rate, approved, currency)
}

/// Reserve [fonds de garantie] = reserve rate x assigned outstanding.
pub fn reserve(
    reserve_rate: Decimal,
    outstanding: i64,
    currency: Currency,
) -> Result<i64, MoneyError> {
    rate_of(reserve_rate, outstanding, currency)
}

/// The factoring commission and the VAT on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Commission {
    pub net: i64,
    pub vat: i64,
}

impl Commission {
    pub fn total(&self) -> i64 {
        self.net + self.vat
    }
}

/// Commission [commission d'affacturage] = fee rate x assigned gross; its
/// VAT = VAT rate x the commission as invoiced (the rounded net), which is
/// the base the factor's own invoice states.
pub fn commission(
    fee_rate: Decimal,
    vat_rate: Decimal,
    assigned_gross: i64,
    currency: Currency,
) -> Result<Commission, MoneyError> {
    let net = rate_of(fee_rate, assigned_gross, currency)?;
    let vat = rate_of(vat_rate, net, currency)?;
    Ok(Commission { net, vat })
}

/// An amount financed for a number of days at a yearly rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinancingSlice {
    pub amount: i64,
    /// Actual days, from funding to collection.
    pub days: i64,
    /// Reference rate on the funding date + margin, a fraction per year.
    pub yearly_rate: Decimal,
}

/// Financing charge [commission de financement] = yearly rate (reference
/// rate + margin) x amount x days / 360 (Act/360), summed over the slices
/// and rounded once.
pub fn financing_charge(slices: &[FinancingSlice], currency: Currency) -> Result<i64, MoneyError> {
    let mut total = Decimal::ZERO;
    for s in slices {
        let part = major(s.amount, currency)
            .checked_mul(Decimal::from(s.days.max(0)))
            .and_then(|x| x.checked_mul(s.yearly_rate))
            .ok_or(MoneyError::Overflow)?;
        total = total.checked_add(part).ok_or(MoneyError::Overflow)?;
    }
    let charge = total
        .checked_div(Decimal::from(360))
        .ok_or(MoneyError::Overflow)?;
    round_to_minor(charge, currency, Rounding::HalfAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::from_code("EUR").unwrap()
    }

    fn r(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn advance_is_the_rate_of_the_approved_amount_rounded_once() {
        // 90 % x 12,345.67 = 11,111.103 -> 11,111.10
        assert_eq!(advance(r("0.90"), 1_234_567, eur()).unwrap(), 1_111_110);
        // 0.5 x 0.01 = 0.005: half away from zero -> 0.01
        assert_eq!(advance(r("0.5"), 1, eur()).unwrap(), 1);
        // JPY has no minor unit: 90 % x 1,235 = 1,111.5 -> 1,112
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(advance(r("0.90"), 1235, jpy).unwrap(), 1112);
    }

    #[test]
    fn reserve_is_the_rate_of_the_outstanding() {
        // 10 % x 24,000.00 = 2,400.00; 7.5 % x 333.33 = 24.99975 -> 25.00
        assert_eq!(reserve(r("0.10"), 2_400_000, eur()).unwrap(), 240_000);
        assert_eq!(reserve(r("0.075"), 33_333, eur()).unwrap(), 2_500);
    }

    #[test]
    fn commission_and_its_vat() {
        // 0.5 % x 24,000.00 = 120.00; VAT 20 % = 24.00
        assert_eq!(
            commission(r("0.005"), r("0.20"), 2_400_000, eur()).unwrap(),
            Commission {
                net: 12_000,
                vat: 2_400
            }
        );
        // 0.35 % x 1,234.56 = 4.32096 -> 4.32; 20 % x 4.32 = 0.864 -> 0.86
        let c = commission(r("0.0035"), r("0.20"), 123_456, eur()).unwrap();
        assert_eq!((c.net, c.vat, c.total()), (432, 86, 518));
    }

    #[test]
    fn financing_charge_is_act_360() {
        // (3.5 % + 1.5 %) x 100,000.00 x 30 / 360 = 416.666... -> 416.67
        let s = [FinancingSlice {
            amount: 10_000_000,
            days: 30,
            yearly_rate: r("0.05"),
        }];
        assert_eq!(financing_charge(&s, eur()).unwrap(), 41_667);
        // 4 % x (50,000 x 10 + 20,000 x 45) / 360 = 4 % x 1,400,000 / 360
        // = 155.555... -> 155.56 (one rounding for both slices)
        let s = [
            FinancingSlice {
                amount: 5_000_000,
                days: 10,
                yearly_rate: r("0.04"),
            },
            FinancingSlice {
                amount: 2_000_000,
                days: 45,
                yearly_rate: r("0.04"),
            },
        ];
        assert_eq!(financing_charge(&s, eur()).unwrap(), 15_556);
        // Two fundings at different rates: (5 % x 1,000 x 30 + 3 % x 1,000
        // x 30) / 360 = (1,500 + 900) / 360 = 6.666... -> 6.67
        let s = [
            FinancingSlice {
                amount: 100_000,
                days: 30,
                yearly_rate: r("0.05"),
            },
            FinancingSlice {
                amount: 100_000,
                days: 30,
                yearly_rate: r("0.03"),
            },
        ];
        assert_eq!(financing_charge(&s, eur()).unwrap(), 667);
        // No days, no charge.
        let s = [FinancingSlice {
            amount: 5_000_000,
            days: 0,
            yearly_rate: r("0.04"),
        }];
        assert_eq!(financing_charge(&s, eur()).unwrap(), 0);
    }

    proptest! {
        #[test]
        fn an_advance_never_exceeds_the_approved_amount(
            approved in 0i64..10_000_000_000, pct in 0u32..=100
        ) {
            let rate = Decimal::new(i64::from(pct), 2);
            let a = advance(rate, approved, eur()).unwrap();
            prop_assert!(a >= 0 && a <= approved);
            // Within half a cent of the exact product.
            let exact = Decimal::from(approved) * rate;
            prop_assert!((Decimal::from(a) - exact).abs() <= Decimal::new(5, 1));
        }

        #[test]
        fn splitting_a_slice_by_amount_changes_no_charge(
            a in 0i64..1_000_000_000, b in 0i64..1_000_000_000, days in 0i64..400,
            bp in 0u32..2_000
        ) {
            let rate = Decimal::new(i64::from(bp), 4);
            let one = |amount| FinancingSlice { amount, days, yearly_rate: rate };
            let whole = financing_charge(&[one(a + b)], eur()).unwrap();
            let split = financing_charge(&[one(a), one(b)], eur()).unwrap();
            prop_assert_eq!(whole, split);
        }

        #[test]
        fn commission_vat_follows_the_rounded_net(gross in 0i64..10_000_000_000, bp in 0u32..200) {
            let c = commission(Decimal::new(i64::from(bp), 4), r("0.20"), gross, eur()).unwrap();
            let exact_vat = Decimal::from(c.net) * r("0.20");
            prop_assert!((Decimal::from(c.vat) - exact_vat).abs() <= Decimal::new(5, 1));
        }
    }
}
