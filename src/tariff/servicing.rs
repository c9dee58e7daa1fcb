//! ORES servicing of land ("viabilisation"): the V-rules as a pure function of a case and a book.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    LineKind, Mention, Operator, QuoteLine, SeparateItem, TariffError, Unit,
    book::TariffBook,
    error::Computing,
    land::{LandPriceBasis, LandPrices},
    line::LineMaker,
    money::{Metres, Money, div, mul, sum},
    vat::{VatClass, VatContext, VatStatus},
};
use crate::domain::{
    Commune,
    servicing::{
        MAX_CABIN_SURFACE_M2, MAX_CANDELABRAS, MAX_EXISTING_POLE_LIGHTS, MAX_PARCELS,
        MAX_POINTS_OUTSIDE, MAX_SUPPLY_POINTS, MAX_SURCHARGE_EUR,
    },
};

/// V-4.1c: at most this frontage per resulting parcel of a donation-type division.
pub const DONATION_CAP_METRES: u32 = 20;
/// V-9.2: one standard cabin per this many supply points.
pub const POINTS_PER_CABIN: u32 = 50;
/// V-9.2: surface S of a standard cabin plot is capped (6 × 6 m).
pub const STANDARD_CABIN_SURFACE_CAP_M2: u32 = 36;
/// V-9.2: an indoor local is 3.3 × 3 m unless measured otherwise.
pub fn indoor_local_default_surface() -> Decimal {
    Decimal::new(99, 1)
}

pub use crate::domain::servicing::{
    CabinCase, CabinKind, Exclusion, Operation, ServicingCase, SocialPromoter,
};

impl Exclusion {
    fn item(self) -> SeparateItem {
        let (code, label_key) = match self {
            Self::OutsideHabitatZone => ("V-X-HABITAT", "tariff.separate.outside_habitat_zone"),
            Self::NonStandardCabin => ("V-X-CABIN", "tariff.separate.non_standard_cabin"),
            Self::NetworkMoveAfterWorks => ("V-X-MOVE", "tariff.separate.network_move"),
            Self::ProvisionalOverhead => ("V-X-OVERHEAD", "tariff.separate.provisional_overhead"),
        };
        SeparateItem {
            operator: Operator::Ores,
            code,
            label_key,
            rule: "V-4.1d",
        }
    }
}

/// The document the servicing gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An offer, valid 6 months (V-8.1).
    Offer,
    /// Invoiced directly, no offer (V-2.3, V-7).
    Invoice,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServicingOutcome {
    pub document: DocumentKind,
    pub cabins: u32,
    pub lines: Vec<QuoteLine>,
    pub separately_quoted: Vec<SeparateItem>,
    pub mentions: Vec<Mention>,
}

/// V-3.1: is the dossier fee due for `applicant` on `land`, given the dossiers already opened
/// as (applicant, land) pairs? Once per distinct applicant per land.
pub fn dossier_fee_due(applicant: &str, land: &str, opened: &[(&str, &str)]) -> bool {
    !opened.iter().any(|(a, l)| *a == applicant && *l == land)
}

/// V-4.1c: frontage counted for a donation-type division.
pub fn donation_frontage(planned: &[Metres]) -> Result<Decimal, TariffError> {
    let cap = Decimal::from(DONATION_CAP_METRES);
    sum(planned.iter().map(|m| m.value().min(cap))).computing("the donation frontage")
}

/// V-9.2: cabins needed for `points` supply points.
pub fn cabins_for(points: u32) -> u32 {
    points.div_ceil(POINTS_PER_CABIN)
}

/// V-9.2: `canon = S × Y × PFext / (PFext + PFint)`, per cabin, rounded to the cent.
pub fn cabin_lease_fee(
    surface_m2: Decimal,
    land_price_per_m2: Decimal,
    points_outside: u32,
    points_inside: u32,
) -> Result<Money, TariffError> {
    // Two u32 always add up within a u64.
    let total = u64::from(points_outside).saturating_add(u64::from(points_inside));
    if total == 0 {
        return Err(TariffError::NoSupplyPoints);
    }
    let numerator = mul(surface_m2, land_price_per_m2)
        .and_then(|area_price| mul(area_price, Decimal::from(points_outside)))
        .computing("the cabin lease fee")?;
    div(numerator, Decimal::from(total))
        .map(Money::from_decimal)
        .computing("the cabin lease fee")
}

/// Prices a servicing case with the ORES book in force (V-5), the land prices of the offer year
/// and the commune (V-9.2).
pub fn price_servicing(
    case: &ServicingCase,
    book: &TariffBook,
    land_prices: &LandPrices,
    commune: Option<&Commune>,
    offer_year: i32,
    applicant_vat: VatStatus,
) -> Result<ServicingOutcome, TariffError> {
    let tariff = book
        .servicing
        .as_ref()
        .ok_or_else(|| TariffError::BookInvalid {
            version: book.version().to_owned(),
            path: "servicing".to_owned(),
            reason: "is missing".to_owned(),
        })?;
    check(case)?;
    let social = case.social_promoter.is_some();
    let maker = LineMaker {
        operator: Operator::Ores,
        book_version: book.version(),
        vat: VatContext {
            status: case.payer_vat_status.unwrap_or(applicant_vat),
            // Servicing is work on land, never on an old dwelling: no 6%.
            dwelling_age_years: None,
            // V-6 (art. 6.3 / 6.4): a network laid without connection is outside VAT when
            // Decision T.5387's conditions are met; a network for grouped housing with later
            // connections never is (reverse charge for a VAT filer, the legal rate otherwise).
            t5387_met: case.t5387_conditions_met && case.operation != Operation::GroupedHousing,
        },
    };
    let mut lines = Vec::new();
    let mut separately_quoted = Vec::new();
    let mut mentions = Vec::new();

    // V-3.1 / V-3.2: dossier-opening fee, once per applicant and land: an earlier request's
    // sent offer already charged it ("ce montant ne sera facturé qu'une seule fois").
    // Since art. 3.1 charges it "préalablement à l'intervention d'ORES", the fee is invoiced
    // when the request is filed: the offer names that invoice instead of charging it again.
    let (fee, fee_key, fee_rule) = if social {
        (Decimal::ZERO, "tariff.line.dossier_fee_social", "V-3.2")
    } else if case.dossier_invoice.is_some() {
        mentions.push(Mention {
            key: "tariff.mention.dossier_fee_kept",
            rule: Some("V-3.1"),
        });
        (Decimal::ZERO, "tariff.line.dossier_fee_invoiced", "V-3.1")
    } else if case.earlier_dossier.is_some() {
        (
            Decimal::ZERO,
            "tariff.line.dossier_fee_already_charged",
            "V-3.1",
        )
    } else if case.earlier_dossiers_by_applicant > 0 {
        (
            Decimal::ZERO,
            "tariff.line.dossier_fee_already_paid",
            "V-3.1",
        )
    } else {
        mentions.push(Mention {
            key: "tariff.mention.dossier_fee_kept",
            rule: Some("V-3.1"),
        });
        (tariff.dossier_fee, "tariff.line.dossier_fee", "V-3.1")
    };
    let mut fee_line = maker.line(
        "V-DOSSIER",
        fee_key,
        fee_rule,
        Decimal::ONE,
        Unit::Flat,
        fee,
        VatClass::DossierFee,
        LineKind::Charge,
    )?;
    if let Some(invoice) = case.dossier_invoice.as_ref().filter(|_| !social) {
        fee_line = fee_line
            .arg("number", &invoice.number)
            .arg("date", invoice.issued_on.format("%d/%m/%Y").to_string());
    } else if let Some(reference) = &case.earlier_dossier {
        fee_line = fee_line.arg("reference", reference);
    }
    lines.push(fee_line);

    // V-4.1a/b/c and V-4.2: the flat rate per metre of frontage; free for social projects.
    let (metres, frontage_key, frontage_rule) = match case.operation {
        Operation::Donation => (
            donation_frontage(&case.planned_frontages_m)?,
            "tariff.line.servicing_frontage_donation",
            "V-4.1c",
        ),
        _ => (
            case.frontage_m.value(),
            "tariff.line.servicing_frontage",
            "V-4.1b",
        ),
    };
    let (per_metre, frontage_rule) = if social {
        (Decimal::ZERO, "V-4.2")
    } else {
        (tariff.per_metre, frontage_rule)
    };
    let mut frontage = maker
        .line(
            "V-FRONTAGE",
            if social {
                "tariff.line.servicing_social"
            } else {
                frontage_key
            },
            frontage_rule,
            metres,
            Unit::Metre,
            per_metre,
            VatClass::ServicingNetwork,
            LineKind::Charge,
        )?
        .arg("operation", operation_code(case.operation))
        .arg("parcels", case.parcels);
    if case.operation == Operation::Donation {
        let planned: Vec<String> = case
            .planned_frontages_m
            .iter()
            .map(ToString::to_string)
            .collect();
        frontage = frontage
            .arg("planned", planned.join(" + "))
            .arg("cap", DONATION_CAP_METRES);
    }
    if let Some(phase) = case.phase {
        frontage = frontage.arg("phase", phase);
    }
    lines.push(frontage);

    // V-4.2: the surcharge of special demands is the one thing a social project pays.
    if !case.special_demands_surcharge.is_zero() {
        lines.push(maker.line(
            "V-SURCHARGE",
            "tariff.line.special_demands_surcharge",
            "V-4.2",
            Decimal::ONE,
            Unit::Flat,
            case.special_demands_surcharge.amount(),
            VatClass::ServicingNetwork,
            LineKind::Charge,
        )?);
    }

    // V-4.3: public lighting. Materials always on a separate offer; social: everything separate.
    // Art. 4.3.1: the flat rate per candelabra covers the EP cable and placing the candelabras,
    // not fitting the luminaire on them nor light points added on existing poles or cable.
    if social {
        if case.candelabras > 0 || case.existing_pole_lights > 0 {
            separately_quoted.push(SeparateItem {
                operator: Operator::Ores,
                code: "V-X-EP-SOCIAL",
                label_key: "tariff.separate.public_lighting_social",
                rule: "V-4.3",
            });
        }
    } else {
        if case.candelabras > 0 {
            lines.push(maker.line(
                "V-EP",
                "tariff.line.public_lighting",
                "V-4.3",
                Decimal::from(case.candelabras),
                Unit::Piece,
                tariff.public_lighting_per_candelabra,
                VatClass::PublicLighting,
                LineKind::Charge,
            )?);
            separately_quoted.push(SeparateItem {
                operator: Operator::Ores,
                code: "V-X-EP-MATERIALS",
                label_key: "tariff.separate.public_lighting_materials",
                rule: "V-4.3",
            });
            separately_quoted.push(SeparateItem {
                operator: Operator::Ores,
                code: "V-X-EP-FITTING",
                label_key: "tariff.separate.public_lighting_fitting",
                rule: "V-4.3",
            });
        }
        // Never in the flat-rate quantity: those lights are not candelabras placed.
        if case.existing_pole_lights > 0 {
            separately_quoted.push(SeparateItem {
                operator: Operator::Ores,
                code: "V-X-EP-EXISTING",
                label_key: "tariff.separate.public_lighting_existing",
                rule: "V-4.3",
            });
        }
    }

    // V-9.2: cabins and the lease fee ORES pays the applicant (a declared credit).
    let mut cabins = 0;
    if let Some(cabin) = &case.cabin {
        let inside = case.supply_points.unwrap_or(case.parcels);
        let outside = cabin.existing_points_outside;
        cabins = cabins_for(inside);
        let (surface, per_m2, basis) = match cabin.kind {
            CabinKind::Standard => {
                let asked = cabin
                    .surface_m2
                    .unwrap_or(Decimal::from(STANDARD_CABIN_SURFACE_CAP_M2));
                let land = land_prices.price(offer_year, commune)?;
                (
                    asked.min(Decimal::from(STANDARD_CABIN_SURFACE_CAP_M2)),
                    land.per_m2,
                    basis_text(&land.basis),
                )
            }
            CabinKind::IndoorLocal => (
                cabin
                    .surface_m2
                    .unwrap_or_else(indoor_local_default_surface),
                tariff.indoor_local_price_per_m2,
                "indoor_local".to_owned(),
            ),
        };
        let fee = cabin_lease_fee(surface, per_m2, outside, inside)?;
        lines.push(
            maker
                .line(
                    "V-CABIN",
                    "tariff.line.cabins",
                    "V-9.2",
                    Decimal::from(cabins),
                    Unit::Cabin,
                    Decimal::ZERO,
                    VatClass::ServicingNetwork,
                    LineKind::Charge,
                )?
                .arg("points", inside)
                .arg("per_cabin", POINTS_PER_CABIN),
        );
        if cabins > 0 && !fee.is_zero() {
            lines.push(
                maker
                    .line(
                        "V-LEASE",
                        match cabin.kind {
                            CabinKind::Standard => "tariff.line.cabin_lease_credit",
                            CabinKind::IndoorLocal => "tariff.line.indoor_local_lease_credit",
                        },
                        "V-9.2",
                        Decimal::from(cabins),
                        Unit::Cabin,
                        fee.negated().amount(),
                        VatClass::NotSubject,
                        LineKind::Credit,
                    )?
                    .arg("s", surface.normalize())
                    .arg("y", per_m2.normalize())
                    .arg("y_basis", basis)
                    .arg("y_year", offer_year)
                    .arg("pf_ext", outside)
                    .arg("pf_int", inside),
            );
        }
        mentions.push(Mention {
            key: "tariff.mention.cabin_lease",
            rule: Some("V-9.2"),
        });
    }

    // V-4.1d: never silently dropped.
    separately_quoted.extend(case.excluded.iter().map(|e| e.item()));

    let document = if case.without_request
        || matches!(
            case.operation,
            Operation::Donation | Operation::GroupedHousing
        ) {
        DocumentKind::Invoice
    } else {
        DocumentKind::Offer
    };
    if case.without_request {
        mentions.push(Mention {
            key: "tariff.mention.without_request",
            rule: Some("V-7"),
        });
    } else if matches!(
        case.operation,
        Operation::Donation | Operation::GroupedHousing
    ) {
        mentions.push(Mention {
            key: "tariff.mention.invoiced_to_author",
            rule: Some("V-2.3"),
        });
    }
    if document == DocumentKind::Offer {
        mentions.extend([
            Mention {
                key: "tariff.mention.offer_per_phase",
                rule: Some("V-8"),
            },
            Mention {
                key: "tariff.mention.offer_validity",
                rule: Some("V-8.1"),
            },
            Mention {
                key: "tariff.mention.contract_formation",
                rule: Some("V-8.2.1"),
            },
        ]);
    }
    mentions.extend([
        Mention {
            key: "tariff.mention.connections_not_included",
            rule: Some("V-4"),
        },
        Mention {
            key: "tariff.mention.servicing_includes_10kva",
            rule: Some("V-4.1a"),
        },
        Mention {
            key: "tariff.mention.works_lead_time",
            rule: Some("V-8.2.2"),
        },
        Mention {
            key: "tariff.mention.revised_offer_on_change",
            rule: Some("V-8.3"),
        },
        Mention {
            key: "tariff.mention.coordinators",
            rule: Some("V-8.4"),
        },
        Mention {
            key: "tariff.mention.implantation_and_sleeves",
            rule: Some("V-8.5"),
        },
        Mention {
            key: "tariff.mention.documents_before_works",
            rule: Some("V-9.1.1"),
        },
        Mention {
            key: "tariff.mention.plans_after_works",
            rule: Some("V-9.1.2"),
        },
    ]);
    if case.under_overhead_lines {
        mentions.push(Mention {
            key: "tariff.mention.under_overhead_lines",
            rule: Some("V-8.6"),
        });
    }
    if social {
        mentions.push(Mention {
            key: "tariff.mention.social_project",
            rule: Some("V-2.4"),
        });
    }
    Ok(ServicingOutcome {
        document,
        cabins,
        lines,
        separately_quoted,
        mentions,
    })
}

fn check(case: &ServicingCase) -> Result<(), TariffError> {
    match case.operation {
        Operation::Industrial => Err(TariffError::invalid(
            "servicing.operation",
            "industrial projects are out of scope of servicing (rule V-2.1): ask ORES for an offer",
        )),
        Operation::Division if case.parcels < 2 => Err(TariffError::invalid(
            "servicing.parcels",
            format!(
                "a division makes at least 2 parcels (rule V-2.1), got {}",
                case.parcels
            ),
        )),
        Operation::Donation if case.planned_frontages_m.is_empty() => Err(TariffError::invalid(
            "servicing.planned_frontages_m",
            "give the planned frontage of each parcel where a building is planned (rule V-4.1c)",
        )),
        Operation::Donation
            if case.parcels != 0 && case.planned_frontages_m.len() > case.parcels as usize =>
        {
            Err(TariffError::invalid(
                "servicing.planned_frontages_m",
                format!(
                    "{} planned frontages for {} parcels",
                    case.planned_frontages_m.len(),
                    case.parcels
                ),
            ))
        }
        _ => Ok(()),
    }?;
    if case.special_demands_surcharge.is_negative() {
        return Err(TariffError::Negative {
            what: "servicing.special_demands_surcharge",
            value: case.special_demands_surcharge.amount(),
        });
    }
    if let Some(surface) = case.cabin.as_ref().and_then(|c| c.surface_m2)
        && surface.is_sign_negative()
        && !surface.is_zero()
    {
        return Err(TariffError::Negative {
            what: "servicing.cabin.surface_m2",
            value: surface,
        });
    }
    check_bounds(case)
}

/// The same bounds as the request and study forms, so a case posted to the API cannot describe
/// more than a form can (and no amount leaves the decimal range).
fn check_bounds(case: &ServicingCase) -> Result<(), TariffError> {
    let counts = [
        ("servicing.parcels", case.parcels, MAX_PARCELS),
        ("servicing.candelabras", case.candelabras, MAX_CANDELABRAS),
        (
            "servicing.existing_pole_lights",
            case.existing_pole_lights,
            MAX_EXISTING_POLE_LIGHTS,
        ),
        (
            "servicing.supply_points",
            case.supply_points.unwrap_or_default(),
            MAX_SUPPLY_POINTS,
        ),
        (
            "servicing.cabin.existing_points_outside",
            case.cabin
                .as_ref()
                .map_or(0, |cabin| cabin.existing_points_outside),
            MAX_POINTS_OUTSIDE,
        ),
    ];
    for (field, count, max) in counts {
        if count > max {
            return Err(TariffError::too_large(field, max, count));
        }
    }
    if case.planned_frontages_m.len() > MAX_PARCELS as usize {
        return Err(TariffError::too_large(
            "servicing.planned_frontages_m",
            format!("{MAX_PARCELS} frontages"),
            format!("{} frontages", case.planned_frontages_m.len()),
        ));
    }
    if let Some(surface) = case.cabin.as_ref().and_then(|c| c.surface_m2)
        && surface > Decimal::from(MAX_CABIN_SURFACE_M2)
    {
        return Err(TariffError::too_large(
            "servicing.cabin.surface_m2",
            format!("{MAX_CABIN_SURFACE_M2} m²"),
            surface,
        ));
    }
    if case.special_demands_surcharge.amount() > Decimal::from(MAX_SURCHARGE_EUR) {
        return Err(TariffError::too_large(
            "servicing.special_demands_surcharge",
            format!("{MAX_SURCHARGE_EUR} €"),
            case.special_demands_surcharge,
        ));
    }
    Ok(())
}

fn operation_code(operation: Operation) -> &'static str {
    match operation {
        Operation::Division => "division",
        Operation::Donation => "donation",
        Operation::GroupedHousing => "grouped_housing",
        Operation::HolidayPark => "holiday_park",
        Operation::Industrial => "industrial",
    }
}

fn basis_text(basis: &LandPriceBasis) -> String {
    match basis {
        LandPriceBasis::Commune(name) => format!("commune {name}"),
        LandPriceBasis::Province(name) => format!("province {name}"),
        LandPriceBasis::Wallonia => "Wallonia".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::tariff::{Tariffs, VatRegime};

    fn priced(case: &ServicingCase, vat: VatStatus) -> ServicingOutcome {
        let tariffs = Tariffs::embedded();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let book = tariffs.books.in_force(Operator::Ores, day).unwrap();
        price_servicing(case, book, &tariffs.land_prices, None, 2026, vat).unwrap()
    }

    fn regime(outcome: &ServicingOutcome, code: &str) -> VatRegime {
        outcome
            .lines
            .iter()
            .find(|l| l.code == code)
            .unwrap_or_else(|| panic!("{code}"))
            .vat_regime
    }

    fn case(operation: Operation) -> ServicingCase {
        ServicingCase {
            operation,
            frontage_m: Metres::new(Decimal::from(40)).unwrap(),
            parcels: 4,
            candelabras: 2,
            t5387_conditions_met: true,
            ..ServicingCase::default()
        }
    }

    #[test]
    fn v_6_art_6_3_a_division_meeting_t5387_puts_the_network_outside_vat_only() {
        let outcome = priced(&case(Operation::Division), VatStatus::Private);
        assert_eq!(regime(&outcome, "V-FRONTAGE"), VatRegime::OutsideScope);
        // Art. 6.1 and 6.2: the dossier fee and the public lighting keep their regime.
        assert_eq!(regime(&outcome, "V-DOSSIER"), VatRegime::Standard);
        assert_eq!(regime(&outcome, "V-EP"), VatRegime::Standard);
        let filer = priced(&case(Operation::Division), VatStatus::VatFiler);
        assert_eq!(regime(&filer, "V-FRONTAGE"), VatRegime::OutsideScope);
        assert_eq!(regime(&filer, "V-EP"), VatRegime::ReverseCharge);
    }

    #[test]
    fn v_6_art_6_4_grouped_housing_is_never_outside_vat_even_flagged_t5387() {
        // Reverse charge for a VAT filer, the legal rate otherwise: the flag is ignored.
        let filer = priced(&case(Operation::GroupedHousing), VatStatus::VatFiler);
        assert_eq!(regime(&filer, "V-FRONTAGE"), VatRegime::ReverseCharge);
        let private = priced(&case(Operation::GroupedHousing), VatStatus::Private);
        assert_eq!(regime(&private, "V-FRONTAGE"), VatRegime::Standard);
        assert!(
            filer
                .lines
                .iter()
                .chain(&private.lines)
                .all(|l| l.vat_regime != VatRegime::OutsideScope)
        );
    }

    fn separate(outcome: &ServicingOutcome) -> Vec<&'static str> {
        outcome.separately_quoted.iter().map(|i| i.code).collect()
    }

    #[test]
    fn v_4_3_fitting_and_lights_on_existing_poles_are_quoted_apart_from_the_flat_rate() {
        let mut lit = case(Operation::Division);
        lit.existing_pole_lights = 3;
        let outcome = priced(&lit, VatStatus::Private);
        assert_eq!(
            separate(&outcome),
            ["V-X-EP-MATERIALS", "V-X-EP-FITTING", "V-X-EP-EXISTING"]
        );
        // The flat rate counts the candelabras placed, never the lights on existing poles.
        let ep = outcome.lines.iter().find(|l| l.code == "V-EP").unwrap();
        assert_eq!(ep.quantity, Decimal::from(2));
        assert!(outcome.separately_quoted.iter().all(|i| i.rule == "V-4.3"));
        // Without candelabras, only the lights on existing poles; without either, nothing.
        lit.candelabras = 0;
        let outcome = priced(&lit, VatStatus::Private);
        assert_eq!(separate(&outcome), ["V-X-EP-EXISTING"]);
        assert!(outcome.lines.iter().all(|l| l.code != "V-EP"));
        lit.existing_pole_lights = 0;
        assert!(separate(&priced(&lit, VatStatus::Private)).is_empty());
        // Art. 4.3.2: a social project has all its public lighting on a separate offer.
        let mut social = case(Operation::Division);
        social.social_promoter = Some(SocialPromoter::Swl);
        social.existing_pole_lights = 3;
        assert_eq!(
            separate(&priced(&social, VatStatus::Private)),
            ["V-X-EP-SOCIAL"]
        );
    }
}
