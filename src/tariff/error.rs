//! The one error type of the tariff layer: every refusal says exactly what is wrong.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Operator;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TariffError {
    /// The TOML text of a tariff book does not parse or does not match the schema.
    #[error("tariff book {source_name}: {message}")]
    BookSyntax {
        source_name: String,
        message: String,
    },
    /// A value of the book the schema refuses (a price beyond the bounds, say), at its line.
    #[error("tariff book {source_name}: `{path}` (line {line}): {message}")]
    BookValue {
        source_name: String,
        path: String,
        line: usize,
        message: String,
    },
    /// The book parses but a value breaks a rule of the format.
    #[error("tariff book {version}: `{path}` {reason}")]
    BookInvalid {
        version: String,
        path: String,
        reason: String,
    },
    #[error("tariff book {version}: `{path}` is negative ({value}); a price cannot be negative")]
    NegativePrice {
        version: String,
        path: String,
        value: Decimal,
    },
    #[error(
        "tariff books {first} and {second} of {operator} overlap: both are in force on {day}; \
         end one before the other starts"
    )]
    OverlappingBooks {
        operator: Operator,
        first: String,
        second: String,
        day: NaiveDate,
    },
    #[error(
        "no {operator} tariff book is in force on {date}: {nearest} (books cover: {covered}) \
         (rule V-5)"
    )]
    NoBookInForce {
        operator: Operator,
        date: NaiveDate,
        /// Where the date falls among the operator's books, in words: "the last book,
        /// ORES-2027-demo.1, ended on 2027-12-31 and no later book exists yet".
        nearest: String,
        /// Every book of the operator with its validity, or "none".
        covered: String,
    },
    #[error("no land price (Y) for the year {year}; known years: {known} (rule V-9.2)")]
    UnknownTariffYear { year: i32, known: String },
    #[error("land price table: {0}")]
    LandPrices(String),
    #[error("{what} cannot be negative (got {value})")]
    Negative { what: &'static str, value: Decimal },
    #[error(
        "the cabin lease fee needs supply points: PFext + PFint = 0 (rule V-9.2); \
         give the supply points on the land or the existing points outside it"
    )]
    NoSupplyPoints,
    #[error("{field}: {reason}")]
    InvalidCase { field: String, reason: String },
    #[error("unknown electricity band `{0}`: use one of 1x25, 1x32, 1x40, 1x50, 1x63, 3x16 … 3x63")]
    UnknownBand(String),
    #[error("the {operator} tariff book {version} has no price for the band {band}")]
    BandNotPriced {
        operator: Operator,
        version: String,
        band: String,
    },
    #[error("a power increase must go to a higher band: {from} → {to} costs {difference} €")]
    NotAPowerIncrease {
        from: String,
        to: String,
        difference: Decimal,
    },
    #[error(
        "a building of {count} dwellings exceeds the 4-dwelling limit of Connect my home (rule C-1): \
         apply to each operator under its procedure for buildings"
    )]
    TooManyDwellings { count: u32 },
    #[error("unknown postcode {0}")]
    UnknownPostcode(String),
    #[error(
        "postcode {0} is not in Wallonia: Connect my home covers Walloon communes only (rule C-7)"
    )]
    OutsideWallonia(String),
    #[error("the case is not valid: {0}")]
    CaseJson(String),
    #[error("nothing to quote: choose at least one connection or a servicing case")]
    NothingRequested,
    /// An amount beyond the decimal range: only reachable past the bounds of cases and books,
    /// refused rather than wrapped or panicking.
    #[error("the amount of {what} is too large to compute: check the quantities and the prices")]
    Overflow { what: &'static str },
    /// A quantity or amount of a case beyond what the product accepts.
    #[error("{field}: cannot be more than {max} (got {value})")]
    TooLarge {
        field: String,
        max: String,
        value: String,
    },
}

impl TariffError {
    pub(crate) fn too_large(
        field: impl Into<String>,
        max: impl std::fmt::Display,
        value: impl std::fmt::Display,
    ) -> Self {
        Self::TooLarge {
            field: field.into(),
            max: max.to_string(),
            value: value.to_string(),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidCase {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<crate::domain::money::OutOfRange> for TariffError {
    fn from(error: crate::domain::money::OutOfRange) -> Self {
        use crate::domain::money::OutOfRange;
        match error {
            OutOfRange::Negative { what, value } => TariffError::Negative { what, value },
            OutOfRange::TooLarge { what, value, max } => TariffError::too_large(what, max, value),
        }
    }
}

/// Names what was being computed when an amount overflowed.
pub(crate) trait Computing<T> {
    fn computing(self, what: &'static str) -> Result<T, TariffError>;
}

impl<T> Computing<T> for Result<T, crate::domain::money::Overflow> {
    fn computing(self, what: &'static str) -> Result<T, TariffError> {
        self.map_err(|_| TariffError::Overflow { what })
    }
}
