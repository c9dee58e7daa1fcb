//! ORES electricity: low-voltage connection of a house or a small building.

use super::reduced_rate_declaration;
use super::{
    Assessment, CrewNeed, Deadline, ExtraTime, Feasibility, LeadTime, LeadTimeStart,
    OperatorModule, Party, Prerequisite, RequestFacts, Span, payment_before_works,
};
use crate::domain::{Building, Dwelling};

pub struct OresElectricity;

/// The works lead time. A connection: ORES' residential low-voltage commitment, 30 calendar
/// days once the conditions are met. A servicing: counted from the latest of permits obtained,
/// full payment and trenches available, coordinators' details received (V-8.2.2, V-8.4), and
/// suspended in the construction holidays; six months more under overhead lines (V-8.6).
fn lead_time(facts: &RequestFacts) -> LeadTime {
    let Some(servicing) = &facts.servicing else {
        return LeadTime::suspended(
            LeadTimeStart::ConditionsMet,
            Span::CalendarDays(30),
            "ores_lv_30_days",
        );
    };
    // The span is ORES' commitment for the connection; the regulation leaves it to the offer.
    let mut lead = LeadTime::suspended(
        LeadTimeStart::LatestOfPermitsPaymentTrenches,
        Span::CalendarDays(30),
        "V-8.2.2",
    );
    if servicing.study.under_overhead_lines {
        lead.extra = Some(ExtraTime {
            months: 6,
            source: "V-8.6".to_owned(),
        });
    }
    lead
}

impl OperatorModule for OresElectricity {
    fn code(&self) -> &'static str {
        "ores_electricity"
    }

    fn assess(&self, facts: &RequestFacts) -> Assessment {
        // V-9.1.1: situation plan before works; the permit copy 15 days before at the latest.
        let mut prerequisites = vec![Prerequisite::new(
            "situation_plan",
            "V-9.1.1",
            Party::Applicant,
            Deadline::BeforeOffer,
        )];
        // An existing dwelling is built: no building permit to copy.
        if facts.dwelling == Dwelling::New {
            prerequisites.push(Prerequisite::new(
                "permit_copy",
                "V-9.1.1",
                Party::Applicant,
                Deadline::DaysBeforeWorks(15),
            ));
        }
        // V-8.5: sleeves laid by the applicant at 1.00 m depth; a power increase keeps the
        // existing cable.
        if facts.electricity_current_band.is_none() {
            prerequisites.push(Prerequisite::new(
                "trench_and_sleeve",
                "V-8.5",
                Party::Applicant,
                Deadline::BeforeWorks,
            ));
        }
        prerequisites.extend(reduced_rate_declaration(facts));
        prerequisites.push(payment_before_works("V-8.2.1"));
        let mut reasons = Vec::new();
        if !facts.has_address || facts.servicing.is_some() {
            // New land: the parcel plan in Lambert 72 and the site coordinators start the
            // lead time (V-9.1.1, V-8.4).
            prerequisites.push(Prerequisite::new(
                "parcel_plan_lambert72",
                "V-9.1.1",
                Party::Applicant,
                Deadline::BeforeOffer,
            ));
            // V-9.1.1: where the servicing creates a road, its plan in Lambert 72.
            prerequisites.push(Prerequisite::new(
                "road_plan",
                "V-9.1.1",
                Party::Applicant,
                Deadline::BeforeWorks,
            ));
            prerequisites.push(Prerequisite::new(
                "site_coordinators",
                "V-8.4",
                Party::Applicant,
                Deadline::BeforeWorks,
            ));
            // V-9.1.2: after the servicing works, the as-built DWG plan within 15 days.
            prerequisites.push(Prerequisite::new(
                "as_built_plan_dwg",
                "V-9.1.2",
                Party::Applicant,
                Deadline::DaysAfterWorks(15),
            ));
            reasons.push(match facts.servicing {
                // The V- lines are priced with the answer (pricing::price) and go on a
                // document of their own, never mixed with the connection (V-8).
                Some(_) => "servicing.own_offer".to_owned(),
                // The form told nothing of a division: flagged, not priced.
                None => "servicing_may_be_needed".to_owned(),
            });
        }
        if let Building::Apartments { .. } = facts.building {
            // Buildings with several flats are priced per dwelling (flat rate per dwelling).
            reasons.push("per_dwelling_rate".to_owned());
        }
        Assessment {
            feasibility: Feasibility::Feasible,
            reasons,
            note: None,
            refusals: Vec::new(),
            prerequisites,
            crew: CrewNeed {
                skill: "electricity_lv".to_owned(),
                hours: match facts.building {
                    Building::House => 4,
                    // At most 4 dwellings (C-1): no saturation in practice.
                    Building::Apartments { dwellings } => {
                        dwellings.saturating_mul(2).saturating_add(4)
                    }
                },
                civil_works: true,
            },
            lines: Vec::new(),
            separately_quoted: Vec::new(),
            mentions: Vec::new(),
            unpriced: None,
            lead_time: lead_time(facts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    use crate::{
        domain::{Service, servicing::ServicingFacts},
        operators::{
            pricing::price,
            tests::{codes, facts},
        },
        tariff::{Metres, Tariffs, round_cents, servicing::Operation},
    };

    #[test]
    fn v_9_1_1_a_house_needs_its_plans_and_permit_copy_15_days_before_works() {
        let answer = OresElectricity.assess(&facts());
        assert_eq!(answer.feasibility, Feasibility::Feasible);
        assert_eq!(
            codes(&answer),
            [
                "situation_plan",
                "permit_copy",
                "trench_and_sleeve",
                "payment"
            ]
        );
        let permit = &answer.prerequisites[1];
        assert_eq!(permit.rule, "V-9.1.1");
        assert_eq!(permit.deadline, Deadline::DaysBeforeWorks(15));
        assert_eq!(answer.lead_time.within, Span::CalendarDays(30));
    }

    #[test]
    fn v_8_4_new_land_needs_a_lambert_72_plan_and_site_coordinators() {
        let mut land = facts();
        land.has_address = false;
        let answer = OresElectricity.assess(&land);
        let found = codes(&answer);
        assert!(found.contains(&"parcel_plan_lambert72"));
        assert!(found.contains(&"site_coordinators"));
        assert_eq!(answer.reasons, ["servicing_may_be_needed"]);
    }

    #[test]
    fn v_9_1_1_v_9_1_2_new_land_adds_the_road_plan_and_the_as_built_dwg_plan() {
        let mut land = facts();
        land.has_address = false;
        let answer = OresElectricity.assess(&land);
        let of = |code: &str| {
            answer
                .prerequisites
                .iter()
                .find(|p| p.code == code)
                .unwrap_or_else(|| panic!("{code} asked"))
        };
        assert_eq!(of("road_plan").rule, "V-9.1.1");
        assert_eq!(of("parcel_plan_lambert72").deadline, Deadline::BeforeOffer);
        let as_built = of("as_built_plan_dwg");
        assert_eq!(as_built.rule, "V-9.1.2");
        assert_eq!(as_built.deadline, Deadline::DaysAfterWorks(15));
        assert_eq!(as_built.who, Party::Applicant);
        // A house on an existing street needs neither.
        let house = codes(&OresElectricity.assess(&facts()))
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert!(!house.contains(&"road_plan".to_owned()));
        assert!(!house.contains(&"as_built_plan_dwg".to_owned()));
    }

    fn serviced_land() -> RequestFacts {
        let mut land = facts();
        land.has_address = false;
        land.servicing = Some(ServicingFacts {
            operation: Operation::Division,
            frontage: Metres::new(Decimal::new(425, 1)).unwrap(),
            planned_frontages: Vec::new(),
            supply_points: None,
            cabin: None,
            social: None,
            study: Default::default(),
            earlier_dossier: None,
            dossier_invoice: None,
            payer: None,
            parcels: 4,
            candelabras: 2,
            t5387: false,
            existing_pole_lights: 0,
        });
        land
    }

    #[test]
    fn v_8_2_2_v_8_6_a_servicing_runs_from_permits_payment_trenches_plus_6_months_under_lines() {
        let answer = OresElectricity.assess(&serviced_land());
        assert_eq!(
            answer.lead_time.start,
            LeadTimeStart::LatestOfPermitsPaymentTrenches
        );
        assert!(answer.lead_time.suspended_in_construction_holidays);
        assert_eq!(answer.lead_time.extra, None);
        let mut under_lines = serviced_land();
        if let Some(servicing) = under_lines.servicing.as_mut() {
            servicing.study.under_overhead_lines = true;
        }
        let answer = OresElectricity.assess(&under_lines);
        assert_eq!(
            answer.lead_time.extra,
            Some(ExtraTime {
                months: 6,
                source: "V-8.6".into()
            })
        );
        // A house's connection keeps ORES' 30 days from the conditions met.
        assert_eq!(
            OresElectricity.assess(&facts()).lead_time.start,
            LeadTimeStart::ConditionsMet
        );
    }

    #[test]
    fn v_8_described_servicing_is_its_own_offer_not_a_flag() {
        let answer = OresElectricity.assess(&serviced_land());
        assert_eq!(answer.reasons, ["servicing.own_offer"]);
        assert!(codes(&answer).contains(&"road_plan"));
    }

    #[test]
    fn v_3_1_v_4_1b_v_4_3_servicing_lines_are_priced_beside_the_connection() {
        let lines = price(
            Tariffs::embedded(),
            Service::Electricity,
            &serviced_land(),
            "5000",
        )
        .unwrap();
        let of = |code: &str| {
            lines
                .iter()
                .find(|l| l.code == code)
                .unwrap_or_else(|| panic!("{code} priced"))
        };
        // The connection lines are still there (E-), the servicing ones beside them (V-).
        assert!(lines.iter().any(|l| l.code.starts_with("E-")));
        assert_eq!(of("V-DOSSIER").rule, "V-3.1");
        assert!(!of("V-DOSSIER").amount_excl_vat.is_zero());
        let frontage = of("V-FRONTAGE");
        assert_eq!(frontage.rule, "V-4.1b");
        assert_eq!(frontage.quantity, Decimal::new(425, 1));
        assert_eq!(
            frontage.amount_excl_vat,
            round_cents(frontage.quantity * frontage.unit_price)
        );
        assert_eq!(frontage.args.get("parcels").map(String::as_str), Some("4"));
        let lighting = of("V-EP");
        assert_eq!(lighting.rule, "V-4.3");
        assert_eq!(lighting.quantity, Decimal::from(2));
        // Without servicing facts, no V- line at all.
        let mut plain = serviced_land();
        plain.servicing = None;
        let lines = price(Tariffs::embedded(), Service::Electricity, &plain, "5000").unwrap();
        assert!(lines.iter().all(|l| l.code.starts_with("E-")));
        // Gas never takes the servicing lines.
        let gas = price(Tariffs::embedded(), Service::Gas, &serviced_land(), "5000").unwrap();
        assert!(gas.iter().all(|l| l.code.starts_with("G-")));
    }

    #[test]
    fn a_building_takes_longer_and_is_priced_per_dwelling() {
        let mut building = facts();
        building.building = Building::Apartments { dwellings: 3 };
        let answer = OresElectricity.assess(&building);
        assert_eq!(answer.crew.hours, 10);
        assert!(answer.reasons.contains(&"per_dwelling_rate".to_owned()));
    }
}
