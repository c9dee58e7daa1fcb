//! The consolidated estimate of a described case: one document per operator (servicing apart,
//! V-8), a VAT breakdown per regime, the total, what is quoted separately, and the mentions.

use std::sync::LazyLock;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    BookRef, BookSet, LandPrices, Mention, Operator, QuoteLine, Refusal, SeparateItem, TariffError,
    VatRow, VatStatus,
    connection::{ElectricityCase, GasCase, price_electricity, price_gas, price_telecom},
    error::Computing,
    money::Money,
    servicing::{DocumentKind, ServicingCase, price_servicing},
    vat::{VatContext, apply_vat, merge_rows},
    water::{WaterCase, price_water},
};
use crate::domain::{Commune, Postcode, PostcodeDirectory, Region, request::MAX_DWELLINGS};

/// Everything the engines read: books, land prices, and the postcode table for Y.
/// Clone: an uploaded book makes a new set from the current one.
#[derive(Debug, Clone)]
pub struct Tariffs {
    pub books: BookSet,
    pub land_prices: LandPrices,
    pub postcodes: PostcodeDirectory,
}

static EMBEDDED: LazyLock<Tariffs> = LazyLock::new(|| {
    // The embedded data is checked by the tests: a broken file is a build defect.
    Tariffs::load_embedded().expect("embedded tariff data is valid")
});

impl Tariffs {
    /// The books and tables shipped in the binary, parsed once.
    pub fn embedded() -> &'static Tariffs {
        &EMBEDDED
    }

    pub fn load_embedded() -> Result<Tariffs, TariffError> {
        Ok(Tariffs {
            books: BookSet::embedded()?,
            land_prices: LandPrices::embedded()?,
            postcodes: PostcodeDirectory::from_csv(include_str!(
                "../../reference/be-postcodes.csv"
            ))
            .map_err(|e| TariffError::LandPrices(e.to_string()))?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BuildingKind {
    #[default]
    House,
    /// A building of 2 to 4 dwellings (C-1).
    Building,
}

fn one() -> u32 {
    1
}

/// A described case, as the "Estimate my costs" form or `POST /api/v1/estimates` fills it.
/// Only `request_date` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateCase {
    /// The request date, or the date ORES learned of the operation: picks the books (V-5).
    pub request_date: NaiveDate,
    /// A modification after the offer is priced with the books in force on this date (V-8.3).
    #[serde(default)]
    pub modification_date: Option<NaiveDate>,
    /// Date of the offer (default: the request date): the year of the land price Y (V-9.2) and
    /// the start of the 6-month validity (V-8.1).
    #[serde(default)]
    pub offer_date: Option<NaiveDate>,
    /// Postcode of the site, for the commune's land price.
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub applicant_vat: VatStatus,
    /// Age of the existing dwelling; absent for a new build.
    #[serde(default)]
    pub dwelling_age_years: Option<u32>,
    #[serde(default)]
    pub building: BuildingKind,
    /// Dwellings of a building (2 to 4, C-1); ignored for a house.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 4)]
    pub dwellings: u32,
    #[serde(default)]
    pub electricity: Option<ElectricityCase>,
    #[serde(default)]
    pub gas: Option<GasCase>,
    #[serde(default)]
    pub water: Option<WaterCase>,
    #[serde(default)]
    pub proximus: bool,
    #[serde(default)]
    pub voo: bool,
    /// The servicing of land (V-2 to V-9): lengths from 0 to 10000 m (`frontage_m`,
    /// `planned_frontages_m`); at most 500 parcels, 1000 candelabras, 1000
    /// `existing_pole_lights` (V-4.3, quoted separately), 5000 supply points; `cabin.surface_m2`
    /// at most 500; `special_demands_surcharge` at most 1000000. A value out of range is refused
    /// (422) with its path, e.g. `servicing.frontage_m`. `t5387_conditions_met` puts the
    /// network lines outside the scope of VAT (V-6, art. 6.3), except for grouped housing
    /// (art. 6.4).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub servicing: Option<ServicingCase>,
}

impl EstimateCase {
    /// An empty case on `request_date`: a new house, a private applicant, nothing asked yet.
    pub fn new(request_date: NaiveDate) -> Self {
        Self {
            request_date,
            modification_date: None,
            offer_date: None,
            postcode: None,
            applicant_vat: VatStatus::Private,
            dwelling_age_years: None,
            building: BuildingKind::House,
            dwellings: 1,
            electricity: None,
            gas: None,
            water: None,
            proximus: false,
            voo: false,
            servicing: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Servicing of land: its own offer (V-8), never mixed with connections (V-4).
    Servicing,
    Connections,
}

/// One operator's document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorQuote {
    pub operator: Operator,
    pub scope: Scope,
    pub document: DocumentKind,
    pub book: BookRef,
    pub lines: Vec<QuoteLine>,
    pub vat_breakdown: Vec<VatRow>,
    pub subtotal_excl_vat: Money,
    pub vat_total: Money,
    pub total_incl_vat: Money,
}

impl OperatorQuote {
    fn new(
        operator: Operator,
        scope: Scope,
        document: DocumentKind,
        book: BookRef,
        mut lines: Vec<QuoteLine>,
    ) -> Result<Self, TariffError> {
        let vat_breakdown = apply_vat(&mut lines)?;
        let subtotal_excl_vat =
            Money::total(lines.iter().map(|l| l.amount_excl_vat)).computing("a subtotal")?;
        let vat_total =
            Money::total(vat_breakdown.iter().map(|r| r.vat)).computing("a VAT total")?;
        Ok(Self {
            operator,
            scope,
            document,
            book,
            lines,
            vat_breakdown,
            subtotal_excl_vat,
            vat_total,
            total_incl_vat: subtotal_excl_vat
                .checked_add(vat_total)
                .computing("a total")?,
        })
    }
}

/// The consolidated estimate (serialisable to JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub request_date: NaiveDate,
    /// The date whose books priced the case (request date, or modification date per V-8.3).
    pub tariff_date: NaiveDate,
    pub offer_date: NaiveDate,
    /// Offers lapse 6 months after they are sent (V-8.1).
    pub offer_valid_until: Option<NaiveDate>,
    /// Priced with illustrative demo values: every document must say so.
    pub illustrative: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    pub quotes: Vec<OperatorQuote>,
    pub vat_breakdown: Vec<VatRow>,
    pub total_excl_vat: Money,
    pub total_vat: Money,
    pub total_incl_vat: Money,
    pub separately_quoted: Vec<SeparateItem>,
    pub refusals: Vec<Refusal>,
    pub mentions: Vec<Mention>,
    pub books: Vec<BookRef>,
}

impl Estimate {
    pub fn lines(&self) -> impl Iterator<Item = &QuoteLine> {
        self.quotes.iter().flat_map(|q| q.lines.iter())
    }
}

fn commune_of<'a>(
    postcodes: &'a PostcodeDirectory,
    raw: Option<&str>,
) -> Result<Option<&'a Commune>, TariffError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let postcode =
        Postcode::parse(raw).map_err(|_| TariffError::UnknownPostcode(raw.to_owned()))?;
    let commune = postcodes
        .communes(postcode)
        .first()
        .ok_or_else(|| TariffError::UnknownPostcode(raw.to_owned()))?;
    if commune.region != Region::Wallonia {
        return Err(TariffError::OutsideWallonia(raw.to_owned()));
    }
    Ok(Some(commune))
}

fn dwellings_of(case: &EstimateCase) -> Result<u32, TariffError> {
    match case.building {
        BuildingKind::House => Ok(1),
        BuildingKind::Building => match case.dwellings {
            0 | 1 => Err(TariffError::invalid(
                "dwellings",
                "a building has at least 2 dwellings; for one dwelling, choose a house",
            )),
            n if n > MAX_DWELLINGS => Err(TariffError::TooManyDwellings { count: n }),
            n => Ok(n),
        },
    }
}

fn push_mention(mentions: &mut Vec<Mention>, mention: Mention) {
    if !mentions.iter().any(|m| m.key == mention.key) {
        mentions.push(mention);
    }
}

/// Prices a described case with the books in force on its date.
pub fn estimate(tariffs: &Tariffs, case: &EstimateCase) -> Result<Estimate, TariffError> {
    let dwellings = dwellings_of(case)?;
    let connections_asked = case.electricity.is_some()
        || case.gas.is_some()
        || case.water.is_some()
        || case.proximus
        || case.voo;
    if !connections_asked && case.servicing.is_none() {
        return Err(TariffError::NothingRequested);
    }
    let tariff_date = case.modification_date.unwrap_or(case.request_date);
    let offer_date = case.offer_date.unwrap_or(case.request_date);
    let commune = commune_of(&tariffs.postcodes, case.postcode.as_deref())?;
    let new_dwelling = case.dwelling_age_years.is_none();
    let vat = VatContext {
        status: case.applicant_vat,
        dwelling_age_years: case.dwelling_age_years,
        t5387_met: false,
    };

    let mut quotes = Vec::new();
    let mut separately_quoted = Vec::new();
    let mut refusals = Vec::new();
    let mut mentions = Vec::new();
    let mut offer_valid = false;

    if let Some(servicing) = &case.servicing {
        let book = tariffs.books.in_force(Operator::Ores, tariff_date)?;
        let outcome = price_servicing(
            servicing,
            book,
            &tariffs.land_prices,
            commune,
            offer_date.year(),
            case.applicant_vat,
        )?;
        offer_valid |= outcome.document == DocumentKind::Offer;
        separately_quoted.extend(outcome.separately_quoted);
        for mention in outcome.mentions {
            push_mention(&mut mentions, mention);
        }
        quotes.push(OperatorQuote::new(
            Operator::Ores,
            Scope::Servicing,
            outcome.document,
            book.reference(),
            outcome.lines,
        )?);
    }

    if case.electricity.is_some() || case.gas.is_some() {
        let book = tariffs.books.in_force(Operator::Ores, tariff_date)?;
        let mut lines = Vec::new();
        if let Some(electricity) = &case.electricity {
            lines.extend(price_electricity(electricity, book, dwellings, vat)?);
        }
        if let Some(gas) = &case.gas {
            lines.extend(price_gas(gas, book, new_dwelling, vat)?);
        }
        quotes.push(OperatorQuote::new(
            Operator::Ores,
            Scope::Connections,
            DocumentKind::Offer,
            book.reference(),
            lines,
        )?);
        offer_valid = true;
    }

    if let Some(water) = &case.water {
        let book = tariffs.books.in_force(Operator::Swde, tariff_date)?;
        let individual = new_dwelling && case.building == BuildingKind::House;
        let outcome = price_water(water, book, vat, individual)?;
        refusals.extend(outcome.refusals);
        for mention in outcome.mentions {
            push_mention(&mut mentions, mention);
        }
        if !outcome.lines.is_empty() {
            quotes.push(OperatorQuote::new(
                Operator::Swde,
                Scope::Connections,
                DocumentKind::Offer,
                book.reference(),
                outcome.lines,
            )?);
            offer_valid = true;
        }
    }

    for (asked, operator) in [
        (case.proximus, Operator::Proximus),
        (case.voo, Operator::Voo),
    ] {
        if !asked {
            continue;
        }
        let book = tariffs.books.in_force(operator, tariff_date)?;
        quotes.push(OperatorQuote::new(
            operator,
            Scope::Connections,
            DocumentKind::Offer,
            book.reference(),
            price_telecom(book, vat)?,
        )?);
        push_mention(
            &mut mentions,
            Mention {
                key: "tariff.mention.telecom_free",
                rule: Some("C-5"),
            },
        );
        offer_valid = true;
    }

    if connections_asked {
        push_mention(
            &mut mentions,
            Mention {
                key: "tariff.mention.one_day",
                rule: Some("C-4"),
            },
        );
    }

    // VAT mentions, once each, for the regimes that apply to an amount (a free line needs none).
    for regime in super::VatRegime::ALL {
        let used = quotes
            .iter()
            .flat_map(|q| q.lines.iter())
            .any(|l| l.vat_regime == regime && !l.amount_excl_vat.is_zero());
        if let (true, Some(key)) = (used, regime.mention_key()) {
            push_mention(
                &mut mentions,
                Mention {
                    key,
                    rule: Some(if regime == super::VatRegime::Exempt {
                        "B-4.1"
                    } else {
                        "V-6"
                    }),
                },
            );
        }
    }

    let mut books: Vec<BookRef> = Vec::new();
    for quote in &quotes {
        if !books.contains(&quote.book) {
            books.push(quote.book.clone());
        }
    }
    let illustrative = books.iter().any(|b| b.illustrative);
    if illustrative {
        mentions.insert(
            0,
            Mention {
                key: "tariff.mention.illustrative",
                rule: None,
            },
        );
    }

    let vat_breakdown = merge_rows(quotes.iter().flat_map(|q| q.vat_breakdown.iter()))?;
    let total_excl_vat =
        Money::total(quotes.iter().map(|q| q.subtotal_excl_vat)).computing("the total")?;
    let total_vat = Money::total(quotes.iter().map(|q| q.vat_total)).computing("the VAT total")?;
    let total_incl_vat = total_excl_vat
        .checked_add(total_vat)
        .computing("the total")?;
    Ok(Estimate {
        request_date: case.request_date,
        tariff_date,
        offer_date,
        offer_valid_until: if offer_valid {
            offer_date.checked_add_months(Months::new(6))
        } else {
            None
        },
        illustrative,
        commune: commune.map(|c| c.name.clone()),
        quotes,
        vat_breakdown,
        total_excl_vat,
        total_vat,
        total_incl_vat,
        separately_quoted,
        refusals,
        mentions,
        books,
    })
}

/// Reads a case as JSON. A value its type refuses (a length beyond `Metres::MAX`, say) is
/// named by its path: `servicing.frontage_m: a length in metres cannot be more than 10000: …`.
pub fn parse_case(case_json: &[u8]) -> Result<EstimateCase, TariffError> {
    // Read as a JSON value first: a refusal then carries the key's path, not a column number.
    let value: serde_json::Value =
        serde_json::from_slice(case_json).map_err(|e| TariffError::CaseJson(e.to_string()))?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        TariffError::CaseJson(if path == "." {
            error.into_inner().to_string()
        } else {
            format!("{path}: {}", error.into_inner())
        })
    })
}

/// Reads a case as JSON and returns the estimate as pretty JSON (the `quote` command).
pub fn estimate_json(tariffs: &Tariffs, case_json: &str) -> Result<String, TariffError> {
    let case = parse_case(case_json.as_bytes())?;
    let estimate = estimate(tariffs, &case)?;
    serde_json::to_string_pretty(&estimate).map_err(|e| TariffError::CaseJson(e.to_string()))
}
