//! Validated quantities: money to the cent and non-negative lengths.

use std::{
    fmt,
    iter::Sum,
    ops::{Add, AddAssign, Neg, Sub},
};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A quantity that cannot be negative was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} cannot be negative: {value}")]
pub struct Negative {
    pub what: &'static str,
    pub value: Decimal,
}

/// Rounds to the cent, half away from zero: the rule for every line amount and every VAT total.
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount in euros, always held to the cent (two decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds `value` to the cent, half away from zero.
    pub fn from_decimal(value: Decimal) -> Self {
        let mut cents = round_cents(value);
        cents.rescale(2);
        Self(cents)
    }

    /// Whole euros, for tests and data.
    pub fn euros(value: i64) -> Self {
        Self::from_decimal(Decimal::from(value))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money::from_decimal(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money::from_decimal(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::from_decimal(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// Serialised as a string with two decimals ("1234.50") so no reader turns it into a float.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <Decimal as Deserialize>::deserialize(deserializer).map(Money::from_decimal)
    }
}

/// A length in metres: never negative (bad input is refused, not clamped).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Metres(Decimal);

impl Metres {
    pub const ZERO: Metres = Metres(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Self, Negative> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Negative {
                what: "a length in metres",
                value,
            });
        }
        Ok(Self(value.normalize()))
    }

    /// Whole metres, for tests and data.
    pub fn whole(value: u32) -> Self {
        Self(Decimal::from(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Metres {
    type Error = Negative;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Metres> for Decimal {
    fn from(metres: Metres) -> Decimal {
        metres.0
    }
}

impl fmt::Display for Metres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_cents(d("2.345")), d("2.35"));
        assert_eq!(round_cents(d("2.344")), d("2.34"));
        assert_eq!(round_cents(d("-2.345")), d("-2.35"));
        // Banker's rounding would give 0.12: the rule is half away from zero.
        assert_eq!(round_cents(d("0.125")), d("0.13"));
    }

    #[test]
    fn money_prints_two_decimals() {
        assert_eq!(Money::euros(95).to_string(), "95.00");
        assert_eq!(
            serde_json::to_string(&Money::from_decimal(d("0.5"))).unwrap(),
            "\"0.50\""
        );
        let parsed: Money = serde_json::from_str("12.345").unwrap();
        assert_eq!(parsed.amount(), d("12.35"));
    }

    #[test]
    fn negative_metres_are_refused() {
        assert!(Metres::new(d("-0.5")).is_err());
        assert!(serde_json::from_str::<Metres>("-3").is_err());
        assert_eq!(
            serde_json::from_str::<Metres>("12.5").unwrap().value(),
            d("12.5")
        );
        assert_eq!(Metres::new(d("0")).unwrap(), Metres::ZERO);
    }
}
