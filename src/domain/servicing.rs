//! The servicing of land ("viabilisation") an applicant asks for with a request: what the
//! servicing engine needs from the form (V-2.1, V-4.1b, V-4.3), parsed once.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::InputError;
use crate::tariff::{Metres, ServicingCase, servicing::Operation};

/// Most parcels or dwellings a servicing request may describe (a larger project is studied by
/// ORES on its own).
pub const MAX_PARCELS: u32 = 500;
/// Most frontage the form accepts, in metres.
pub const MAX_FRONTAGE_M: u32 = 10_000;
/// Most candelabras the form accepts.
pub const MAX_CANDELABRAS: u32 = 1_000;

/// The operations the request form offers (V-2.1). A donation-type division needs the planned
/// frontage of each parcel (V-4.1c) and an industrial project is out of scope: both are asked
/// of ORES directly.
pub const FORM_OPERATIONS: [Operation; 3] = [
    Operation::Division,
    Operation::GroupedHousing,
    Operation::HolidayPark,
];

pub fn operation_code(operation: Operation) -> &'static str {
    match operation {
        Operation::Division => "division",
        Operation::Donation => "donation",
        Operation::GroupedHousing => "grouped_housing",
        Operation::HolidayPark => "holiday_park",
        Operation::Industrial => "industrial",
    }
}

fn parse_operation(raw: &str) -> Result<Operation, InputError> {
    match raw.trim() {
        "" => Err(InputError::Required),
        "industrial" => Err(InputError::ServicingIndustrial),
        "donation" => Err(InputError::ServicingDonation),
        code => FORM_OPERATIONS
            .into_iter()
            .find(|op| operation_code(*op) == code)
            .ok_or(InputError::Choice),
    }
}

/// The servicing part of a request, as the form typed it.
#[derive(Debug, Clone, Default)]
pub struct ServicingInput<'a> {
    pub operation: &'a str,
    pub frontage_m: &'a str,
    pub parcels: &'a str,
    pub candelabras: &'a str,
}

impl ServicingInput<'_> {
    /// Nothing typed: no servicing asked.
    pub fn is_blank(&self) -> bool {
        [
            self.operation,
            self.frontage_m,
            self.parcels,
            self.candelabras,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// What the applicant told about the servicing of the land.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicingFacts {
    pub operation: Operation,
    /// V-4.1b: frontage of the land before division.
    pub frontage: Metres,
    /// Parcels after division, or dwellings of grouped housing.
    pub parcels: u32,
    /// V-4.3: candelabras placed (0 when none).
    pub candelabras: u32,
}

/// A metre length as typed: a decimal comma is accepted (`42,5`).
pub fn parse_metres(raw: &str) -> Result<Metres, InputError> {
    let text = raw.trim().replace(',', ".");
    if text.is_empty() {
        return Err(InputError::Required);
    }
    let value = Decimal::from_str(&text).map_err(|_| InputError::Metres)?;
    if value <= Decimal::ZERO || value > Decimal::from(MAX_FRONTAGE_M) || value.scale() > 2 {
        return Err(InputError::Metres);
    }
    Metres::new(value).map_err(|_| InputError::Metres)
}

fn parse_count(raw: &str, max: u32) -> Result<u32, InputError> {
    let count: u32 = raw.trim().parse().map_err(|_| InputError::Number)?;
    if count > max {
        return Err(InputError::Number);
    }
    Ok(count)
}

impl ServicingFacts {
    /// Every field checked; problems are reported per field name (`servicing_*`).
    pub fn parse(input: &ServicingInput<'_>) -> Result<Self, Vec<(&'static str, InputError)>> {
        let mut errors = Vec::new();
        let mut keep = |field: &'static str, error: InputError| errors.push((field, error));
        let operation = parse_operation(input.operation)
            .map_err(|e| keep("servicing_operation", e))
            .ok();
        let frontage = parse_metres(input.frontage_m)
            .map_err(|e| keep("servicing_frontage_m", e))
            .ok();
        let parcels = match input.parcels.trim() {
            "" => Err(InputError::Required),
            raw => parse_count(raw, MAX_PARCELS),
        }
        .map_err(|e| keep("servicing_parcels", e))
        .ok();
        let candelabras = match input.candelabras.trim() {
            "" => Ok(0),
            raw => parse_count(raw, MAX_CANDELABRAS),
        }
        .map_err(|e| keep("servicing_candelabras", e))
        .ok();
        // V-2.1: a division makes at least two parcels.
        if let (Some(Operation::Division), Some(n)) = (operation, parcels)
            && n < 2
        {
            errors.push(("servicing_parcels", InputError::ServicingParcels));
        }
        match (operation, frontage, parcels, candelabras) {
            (Some(operation), Some(frontage), Some(parcels), Some(candelabras))
                if errors.is_empty() =>
            {
                Ok(ServicingFacts {
                    operation,
                    frontage,
                    parcels,
                    candelabras,
                })
            }
            _ => Err(errors),
        }
    }

    /// The case the servicing engine prices (everything the form does not ask at its default).
    pub fn case(&self) -> ServicingCase {
        ServicingCase {
            operation: self.operation,
            frontage_m: self.frontage,
            parcels: self.parcels,
            candelabras: self.candelabras,
            ..ServicingCase::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(operation: &'a str, frontage: &'a str, parcels: &'a str) -> ServicingInput<'a> {
        ServicingInput {
            operation,
            frontage_m: frontage,
            parcels,
            candelabras: "",
        }
    }

    #[test]
    fn a_division_parses_with_a_decimal_comma() {
        let facts = ServicingFacts::parse(&input("division", "42,5", "3")).unwrap();
        assert_eq!(facts.operation, Operation::Division);
        assert_eq!(facts.frontage.value(), Decimal::new(425, 1));
        assert_eq!(facts.parcels, 3);
        assert_eq!(facts.candelabras, 0);
    }

    #[test]
    fn bad_frontages_are_refused() {
        for bad in ["-3", "0", "abc", "12.345", "20000"] {
            let errors = ServicingFacts::parse(&input("division", bad, "3")).unwrap_err();
            assert_eq!(
                errors,
                [("servicing_frontage_m", InputError::Metres)],
                "{bad}"
            );
        }
    }

    #[test]
    fn v_2_1_a_division_makes_two_parcels_and_industry_is_out_of_scope() {
        let errors = ServicingFacts::parse(&input("division", "30", "1")).unwrap_err();
        assert_eq!(
            errors,
            [("servicing_parcels", InputError::ServicingParcels)]
        );
        let errors = ServicingFacts::parse(&input("industrial", "30", "4")).unwrap_err();
        assert_eq!(
            errors,
            [("servicing_operation", InputError::ServicingIndustrial)]
        );
        // Grouped housing on one parcel is fine.
        assert!(ServicingFacts::parse(&input("grouped_housing", "30", "1")).is_ok());
    }

    #[test]
    fn blank_means_no_servicing() {
        assert!(input("", " ", "").is_blank());
        assert!(!input("division", "", "").is_blank());
    }
}
