//! Commune land prices Y for the cabin lease fee (rule V-9.2): data, not code.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::TariffError;
use crate::domain::Commune;

pub const EMBEDDED_LAND_PRICES: &str = include_str!("../../tariffs/land-prices.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct LandPriceFile {
    year: Vec<LandPriceYear>,
}

/// The prices of one offer year.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandPriceYear {
    pub year: i32,
    pub source: String,
    /// Used when the commune is unknown.
    pub wallonia: Decimal,
    /// Province name (as in reference/be-postcodes.csv) → €/m².
    #[serde(default)]
    pub province: BTreeMap<String, Decimal>,
    /// Commune NIS code → €/m², overriding its province.
    #[serde(default)]
    pub commune: BTreeMap<String, Decimal>,
}

/// Where a Y value came from, shown on the lease line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "level", content = "name", rename_all = "snake_case")]
pub enum LandPriceBasis {
    Commune(String),
    Province(String),
    Wallonia,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandPrice {
    pub year: i32,
    pub per_m2: Decimal,
    pub basis: LandPriceBasis,
}

#[derive(Debug, Clone, Default)]
pub struct LandPrices {
    years: BTreeMap<i32, LandPriceYear>,
}

impl LandPrices {
    /// Parses and checks the table (no negative price, each year once).
    pub fn parse(text: &str) -> Result<Self, TariffError> {
        let file: LandPriceFile = toml::from_str(text)
            .map_err(|e| TariffError::LandPrices(e.to_string().trim_end().replace('\n', " | ")))?;
        let mut years = BTreeMap::new();
        for year in file.year {
            let negative = std::iter::once(("wallonia".to_owned(), year.wallonia))
                .chain(
                    year.province
                        .iter()
                        .map(|(k, v)| (format!("province.{k}"), *v)),
                )
                .chain(
                    year.commune
                        .iter()
                        .map(|(k, v)| (format!("commune.{k}"), *v)),
                )
                .find(|(_, v)| v.is_sign_negative() && !v.is_zero());
            if let Some((key, value)) = negative {
                return Err(TariffError::LandPrices(format!(
                    "year {}: `{key}` is negative ({value})",
                    year.year
                )));
            }
            // The bound of book prices keeps the lease fee (S × Y × …) inside the decimal range.
            let max = Decimal::from(super::book::MAX_PRICE_EUR);
            let beyond = std::iter::once(("wallonia".to_owned(), year.wallonia))
                .chain(
                    year.province
                        .iter()
                        .map(|(k, v)| (format!("province.{k}"), *v)),
                )
                .chain(
                    year.commune
                        .iter()
                        .map(|(k, v)| (format!("commune.{k}"), *v)),
                )
                .find(|(_, v)| *v > max);
            if let Some((key, value)) = beyond {
                return Err(TariffError::LandPrices(format!(
                    "year {}: `{key}` cannot be more than {max}: {value}",
                    year.year
                )));
            }
            let number = year.year;
            if years.insert(number, year).is_some() {
                return Err(TariffError::LandPrices(format!(
                    "year {number} is listed twice"
                )));
            }
        }
        Ok(Self { years })
    }

    pub fn embedded() -> Result<Self, TariffError> {
        Self::parse(EMBEDDED_LAND_PRICES)
    }

    /// Y for the offer year: the commune's own figure, else its province's, else Wallonia's.
    pub fn price(&self, year: i32, commune: Option<&Commune>) -> Result<LandPrice, TariffError> {
        let table = self
            .years
            .get(&year)
            .ok_or_else(|| TariffError::UnknownTariffYear {
                year,
                known: self
                    .years
                    .keys()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let found = commune.and_then(|commune| {
            if let Some(value) = table.commune.get(&commune.nis_code) {
                return Some((*value, LandPriceBasis::Commune(commune.name.clone())));
            }
            let province = commune.province.as_ref()?;
            table
                .province
                .get(province)
                .map(|value| (*value, LandPriceBasis::Province(province.clone())))
        });
        let (per_m2, basis) = found.unwrap_or((table.wallonia, LandPriceBasis::Wallonia));
        Ok(LandPrice {
            year,
            per_m2,
            basis,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    fn commune(nis: &str, province: Option<&str>) -> Commune {
        Commune {
            nis_code: nis.into(),
            name: format!("commune {nis}"),
            province: province.map(Into::into),
            region: Region::Wallonia,
        }
    }

    #[test]
    fn v_9_2_commune_then_province_then_wallonia() {
        // Appended to the last year's commune table (2027): that year only.
        let mut text = EMBEDDED_LAND_PRICES.to_owned();
        text.push_str("\"92094\" = \"160\"\n");
        let prices = LandPrices::parse(&text).unwrap();
        let namur = commune("92094", Some("Namur"));
        assert_eq!(
            prices.price(2027, Some(&namur)).unwrap().per_m2,
            Decimal::from(160)
        );
        assert_eq!(
            prices.price(2026, Some(&namur)).unwrap().per_m2,
            Decimal::from(81)
        );
        let other = commune("92003", Some("Namur"));
        assert_eq!(
            prices.price(2026, Some(&other)).unwrap().per_m2,
            Decimal::from(81)
        );
        let lux = commune("81001", Some("Luxembourg"));
        assert_eq!(
            prices.price(2025, Some(&lux)).unwrap().per_m2,
            Decimal::from(88)
        );
        assert_eq!(
            prices.price(2026, None).unwrap().basis,
            LandPriceBasis::Wallonia
        );
        // 2027 carries the same barometer forward.
        assert_eq!(
            prices.price(2027, Some(&other)).unwrap().per_m2,
            Decimal::from(81)
        );
        assert_eq!(prices.price(2027, None).unwrap().per_m2, Decimal::from(128));
        let error = prices.price(2024, None).unwrap_err();
        assert_eq!(
            error,
            TariffError::UnknownTariffYear {
                year: 2024,
                known: "2025, 2026, 2027".into()
            }
        );
    }

    #[test]
    fn bad_land_price_tables_are_refused() {
        let negative =
            EMBEDDED_LAND_PRICES.replacen("\"Namur\" = \"81\"", "\"Namur\" = \"-81\"", 1);
        let message = LandPrices::parse(&negative).unwrap_err().to_string();
        assert!(message.contains("province.Namur"), "{message}");
        let huge = EMBEDDED_LAND_PRICES.replacen(
            "\"Namur\" = \"81\"",
            "\"Namur\" = \"79228162514264337593543950335\"",
            1,
        );
        assert_eq!(
            LandPrices::parse(&huge).unwrap_err().to_string(),
            "land price table: year 2025: `province.Namur` cannot be more than 10000000: \
             79228162514264337593543950335"
        );
        let twice = format!(
            "{EMBEDDED_LAND_PRICES}\n[[year]]\nyear = 2026\nsource = \"x\"\nwallonia = 1\n"
        );
        let message = LandPrices::parse(&twice).unwrap_err().to_string();
        assert!(message.contains("twice"), "{message}");
    }
}
