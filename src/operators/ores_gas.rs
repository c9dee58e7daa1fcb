//! ORES gas: natural-gas connection where the network exists (the organisation's coverage).

use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span, reduced_rate_declaration,
};
use crate::domain::Dwelling;

pub struct OresGas;

/// ORES gas lead time: 30 working days, 60 with road works or a network extension.
pub fn lead_time(with_extension: bool) -> LeadTime {
    LeadTime::suspended(
        LeadTimeStart::ConditionsMet,
        Span::WorkingDays(if with_extension { 60 } else { 30 }),
        if with_extension {
            "ores_gas_60_working_days"
        } else {
            "ores_gas_30_working_days"
        },
    )
}

impl OperatorModule for OresGas {
    fn code(&self) -> &'static str {
        "ores_gas"
    }

    fn assess(&self, facts: &RequestFacts) -> Assessment {
        // New land without an address usually needs the street network extended first.
        let with_extension = !facts.has_address;
        Assessment {
            feasibility: if with_extension {
                Feasibility::FeasibleWithExtension
            } else {
                Feasibility::Feasible
            },
            // The standard connection of a new dwelling is free; an existing dwelling pays the
            // book's price for it.
            reasons: vec![
                if facts.dwelling == Dwelling::New {
                    "standard_gas_free"
                } else {
                    "standard_gas_existing"
                }
                .to_owned(),
            ],
            note: None,
            refusals: Vec::new(),
            prerequisites: [
                Prerequisite::new(
                    "meter_location",
                    "V-8.5",
                    Party::Applicant,
                    Deadline::BeforeOffer,
                ),
                Prerequisite::new(
                    "trench_and_sleeve",
                    "V-8.5",
                    Party::Applicant,
                    Deadline::BeforeWorks,
                ),
            ]
            .into_iter()
            .chain(reduced_rate_declaration(facts))
            .collect(),
            crew: CrewNeed {
                skill: "gas".to_owned(),
                hours: 4,
                civil_works: true,
            },
            lines: Vec::new(),
            separately_quoted: Vec::new(),
            mentions: Vec::new(),
            unpriced: None,
            lead_time: lead_time(with_extension),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::tests::facts;

    #[test]
    fn a_house_on_the_network_is_connected_within_30_working_days() {
        let answer = OresGas.assess(&facts());
        assert_eq!(answer.feasibility, Feasibility::Feasible);
        assert_eq!(answer.lead_time.within, Span::WorkingDays(30));
        assert!(answer.reasons.contains(&"standard_gas_free".to_owned()));
    }

    #[test]
    fn new_land_needs_an_extension_and_60_working_days() {
        let mut land = facts();
        land.has_address = false;
        let answer = OresGas.assess(&land);
        assert_eq!(answer.feasibility, Feasibility::FeasibleWithExtension);
        assert_eq!(answer.lead_time.within, Span::WorkingDays(60));
    }
}
