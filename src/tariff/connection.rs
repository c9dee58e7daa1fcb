//! Individual connections: ORES electricity bands and gas, Proximus and VOO standard connections.
//! Each is its own line, never part of servicing (V-4).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    LineKind, Operator, QuoteLine, TariffError, Unit,
    book::TariffBook,
    error::Computing,
    line::LineMaker,
    money::{Metres, sub},
    vat::{VatClass, VatContext},
};
use crate::domain::ElectricityBand;

/// An electricity connection: the band wanted, and the current band for a power increase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ElectricityCase {
    /// Form code: `1x40`, `3x25`…
    pub band: String,
    /// Set for a power increase of an existing connection.
    #[serde(default)]
    pub current_band: Option<String>,
}

/// A gas connection: metres beyond the standard length.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GasCase {
    pub extra_metres: Metres,
}

const WORKS: VatClass = VatClass::ConnectionWorks {
    exempt_applies: false,
};

fn parse_band(code: &str) -> Result<ElectricityBand, TariffError> {
    ElectricityBand::parse(code).map_err(|_| TariffError::UnknownBand(code.trim().to_owned()))
}

fn band_price(book: &TariffBook, band: ElectricityBand) -> Result<Decimal, TariffError> {
    book.band_price(band)
        .ok_or_else(|| TariffError::BandNotPriced {
            operator: book.operator(),
            version: book.version().to_owned(),
            band: band.code(),
        })
}

/// ORES electricity: a flat rate per band; a power increase costs the difference of bands; a
/// building pays a flat rate per dwelling.
pub fn price_electricity(
    case: &ElectricityCase,
    book: &TariffBook,
    dwellings: u32,
    vat: VatContext,
) -> Result<Vec<QuoteLine>, TariffError> {
    let tariff = book
        .electricity
        .as_ref()
        .ok_or_else(|| TariffError::BookInvalid {
            version: book.version().to_owned(),
            path: "electricity".to_owned(),
            reason: "is missing".to_owned(),
        })?;
    let maker = LineMaker {
        operator: Operator::Ores,
        book_version: book.version(),
        vat,
    };
    let band = parse_band(&case.band)?;
    let price = band_price(book, band)?;
    if let Some(current) = case
        .current_band
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        let current = parse_band(current)?;
        let difference = sub(price, band_price(book, current)?).computing("E-INCREASE")?;
        if difference <= Decimal::ZERO {
            return Err(TariffError::NotAPowerIncrease {
                from: current.code(),
                to: band.code(),
                difference,
            });
        }
        return Ok(vec![
            maker
                .line(
                    "E-INCREASE",
                    "tariff.line.electricity_power_increase",
                    "V-4",
                    Decimal::ONE,
                    Unit::Flat,
                    difference,
                    WORKS,
                    LineKind::Charge,
                )?
                .arg("from", current.code())
                .arg("to", band.code()),
        ]);
    }
    if dwellings > 1 {
        return Ok(vec![
            maker
                .line(
                    "E-DWELLING",
                    "tariff.line.electricity_per_dwelling",
                    "V-4",
                    Decimal::from(dwellings),
                    Unit::Dwelling,
                    tariff.per_dwelling_flat,
                    WORKS,
                    LineKind::Charge,
                )?
                .arg("band", band.code()),
        ]);
    }
    Ok(vec![
        maker
            .line(
                "E-BAND",
                "tariff.line.electricity_band",
                "V-4",
                Decimal::ONE,
                Unit::Flat,
                price,
                WORKS,
                LineKind::Charge,
            )?
            .arg("band", band.code()),
    ])
}

/// ORES gas: the standard connection (free in a new dwelling) plus metres beyond it.
pub fn price_gas(
    case: &GasCase,
    book: &TariffBook,
    new_dwelling: bool,
    vat: VatContext,
) -> Result<Vec<QuoteLine>, TariffError> {
    let tariff = book.gas.as_ref().ok_or_else(|| TariffError::BookInvalid {
        version: book.version().to_owned(),
        path: "gas".to_owned(),
        reason: "is missing".to_owned(),
    })?;
    let maker = LineMaker {
        operator: Operator::Ores,
        book_version: book.version(),
        vat,
    };
    let mut lines = vec![if new_dwelling {
        maker.line(
            "G-STANDARD",
            "tariff.line.gas_standard_new",
            "C-1",
            Decimal::ONE,
            Unit::Flat,
            tariff.standard_new_dwelling,
            WORKS,
            LineKind::Charge,
        )?
    } else {
        maker.line(
            "G-STANDARD",
            "tariff.line.gas_standard_existing",
            "C-1",
            Decimal::ONE,
            Unit::Flat,
            tariff.standard_existing_dwelling,
            WORKS,
            LineKind::Charge,
        )?
    }];
    if case.extra_metres > Metres::ZERO {
        lines.push(maker.line(
            "G-METRES",
            "tariff.line.gas_extra_metres",
            "C-1",
            case.extra_metres.value(),
            Unit::Metre,
            tariff.extra_metre,
            WORKS,
            LineKind::Charge,
        )?);
    }
    Ok(lines)
}

/// Proximus or VOO: the standard connection, free and without subscription (C-5).
pub fn price_telecom(book: &TariffBook, vat: VatContext) -> Result<Vec<QuoteLine>, TariffError> {
    let tariff = book
        .telecom
        .as_ref()
        .ok_or_else(|| TariffError::BookInvalid {
            version: book.version().to_owned(),
            path: "telecom".to_owned(),
            reason: "is missing".to_owned(),
        })?;
    let maker = LineMaker {
        operator: book.operator(),
        book_version: book.version(),
        vat,
    };
    Ok(vec![maker.line(
        "T-STANDARD",
        "tariff.line.telecom_standard",
        "C-5",
        Decimal::ONE,
        Unit::Flat,
        tariff.standard,
        WORKS,
        LineKind::Charge,
    )?])
}
