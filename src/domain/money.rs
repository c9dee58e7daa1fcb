//! Validated quantities: money to the cent and lengths in metres within real-world bounds.
//!
//! Every operation on them is checked: an amount too large to compute is an error the caller
//! turns into a refusal, never a panic that drops the connection.

#![deny(clippy::arithmetic_side_effects)]

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A quantity outside the range its type allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutOfRange {
    #[error("{what} cannot be negative: {value}")]
    Negative { what: &'static str, value: Decimal },
    #[error("{what} cannot be more than {max}: {value}")]
    TooLarge {
        what: &'static str,
        value: Decimal,
        max: Decimal,
    },
}

/// An amount too large for the decimal type: refused, never wrapped or panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large to compute")]
pub struct Overflow;

/// Rounds to the cent, half away from zero: the rule for every line amount and every VAT total.
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `a × b`, or `Overflow`.
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_mul(b).ok_or(Overflow)
}

/// `a + b`, or `Overflow`.
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// `a − b`, or `Overflow`.
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_sub(b).ok_or(Overflow)
}

/// `a ÷ b`, or `Overflow` (a zero divisor included).
pub fn div(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_div(b).ok_or(Overflow)
}

/// The sum of `values`, or `Overflow`.
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, Overflow> {
    values.into_iter().try_fold(Decimal::ZERO, add)
}

/// `-value`: a sign change, which cannot overflow (the decimal range is symmetric).
pub fn negate(value: Decimal) -> Decimal {
    let mut copy = value;
    copy.set_sign_negative(value.is_sign_positive());
    copy
}

/// `percent` % of `base` (VAT, markups), or `Overflow`.
pub fn percent_of(base: Decimal, percent: Decimal) -> Result<Decimal, Overflow> {
    div(mul(base, percent)?, Decimal::ONE_HUNDRED)
}

/// An amount in euros, always held to the cent (two decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds `value` to the cent, half away from zero.
    pub fn from_decimal(value: Decimal) -> Self {
        let mut cents = round_cents(value);
        // At the very top of the decimal range two decimals no longer fit: the value is kept
        // whole (no panic); amounts that large are refused by the bounds of each field.
        cents.rescale(2);
        Self(cents)
    }

    /// Whole euros, for tests and data.
    pub fn euros(value: i64) -> Self {
        Self::from_decimal(Decimal::from(value))
    }

    /// `quantity × unit_price`, rounded to the cent, half away from zero.
    pub fn product(quantity: Decimal, unit_price: Decimal) -> Result<Self, Overflow> {
        mul(quantity, unit_price).map(Self::from_decimal)
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

    pub fn checked_add(self, rhs: Money) -> Result<Money, Overflow> {
        add(self.0, rhs.0).map(Money::from_decimal)
    }

    pub fn checked_sub(self, rhs: Money) -> Result<Money, Overflow> {
        sub(self.0, rhs.0).map(Money::from_decimal)
    }

    /// The amount with its sign changed.
    pub fn negated(self) -> Money {
        Money(negate(self.0))
    }

    /// The sum of `amounts`, or `Overflow`.
    pub fn total(amounts: impl IntoIterator<Item = Money>) -> Result<Money, Overflow> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |sum, amount| sum.checked_add(amount))
    }

    /// `percent` % of the amount, rounded to the cent, half away from zero (VAT).
    pub fn percent(self, percent: Decimal) -> Result<Money, Overflow> {
        percent_of(self.0, percent).map(Money::from_decimal)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
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

/// A length in metres, from 0 to `Metres::MAX`: bad input is refused, not clamped.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Metres(Decimal);

/// In the API's documents: a number of metres from 0 to `Metres::MAX`.
impl utoipa::PartialSchema for Metres {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .minimum(Some(0))
            .maximum(Some(Self::MAX_WHOLE))
            .description(Some("Metres, from 0 to 10000"))
            .into()
    }
}

impl utoipa::ToSchema for Metres {}

impl Metres {
    pub const ZERO: Metres = Metres(Decimal::ZERO);
    /// The longest length any case may give, in metres. No rule sets one; a connection runs a
    /// few hundred metres at most and the frontage of a land to service a few kilometres, so
    /// 10 km is generous, and it keeps every product with a price far inside the decimal range.
    pub const MAX_WHOLE: u32 = 10_000;
    pub const MAX: Metres = Metres(Decimal::from_parts(Self::MAX_WHOLE, 0, 0, false, 0));

    pub fn new(value: Decimal) -> Result<Self, OutOfRange> {
        const WHAT: &str = "a length in metres";
        if value.is_sign_negative() && !value.is_zero() {
            return Err(OutOfRange::Negative { what: WHAT, value });
        }
        if value > Self::MAX.0 {
            return Err(OutOfRange::TooLarge {
                what: WHAT,
                value,
                max: Self::MAX.0,
            });
        }
        Ok(Self(value.normalize()))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Metres {
    type Error = OutOfRange;
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

    #[test]
    fn metres_stop_at_ten_kilometres() {
        assert_eq!(Metres::new(d("10000")).unwrap(), Metres::MAX);
        assert_eq!(Metres::MAX.value(), Decimal::from(Metres::MAX_WHOLE));
        assert_eq!(
            Metres::new(d("10000.01")).unwrap_err(),
            OutOfRange::TooLarge {
                what: "a length in metres",
                value: d("10000.01"),
                max: d("10000"),
            }
        );
        let error = serde_json::from_str::<Metres>("\"79228162514264337593543950\"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "a length in metres cannot be more than 10000: 79228162514264337593543950"
        );
        assert!(serde_json::from_str::<Metres>("\"792281625142643375935\"").is_err());
    }

    #[test]
    fn money_operations_are_checked_at_the_edges_of_the_decimal_range() {
        let max = Money::from_decimal(Decimal::MAX);
        let min = Money::from_decimal(Decimal::MIN);
        assert_eq!(max.checked_add(Money::euros(1)), Err(Overflow));
        assert_eq!(min.checked_sub(Money::euros(1)), Err(Overflow));
        assert_eq!(max.checked_add(min), Ok(Money::ZERO));
        assert_eq!(max.checked_sub(max), Ok(Money::ZERO));
        assert_eq!(max.negated(), min);
        assert_eq!(max.percent(Decimal::from(21)), Err(Overflow));
        assert_eq!(Money::total([max, Money::euros(1)]), Err(Overflow));
        assert_eq!(Money::total([max, min, max]), Ok(max));
        assert_eq!(Money::total([]), Ok(Money::ZERO));
        assert_eq!(Money::product(Decimal::MAX, Decimal::TWO), Err(Overflow));
        assert_eq!(Money::product(Decimal::MAX, Decimal::ONE), Ok(max));
        // The attack: a price at the top of the range times a few metres.
        assert_eq!(Money::product(d("3"), Decimal::MAX), Err(Overflow));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Err(Overflow));
        assert_eq!(sum([Decimal::MAX, Decimal::ONE]), Err(Overflow));
        // Within range the checked operations are the plain ones, rounded half away from zero.
        assert_eq!(
            Money::product(d("42.5"), d("95.005")),
            Ok(Money::from_decimal(d("4037.71")))
        );
        assert_eq!(
            Money::from_decimal(d("0.50")).percent(Decimal::from(21)),
            Ok(Money::from_decimal(d("0.11")))
        );
        assert_eq!(
            Money::total([Money::euros(2), Money::from_decimal(d("-0.5"))]),
            Ok(Money::from_decimal(d("1.5")))
        );
    }
}
