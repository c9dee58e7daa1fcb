//! Proximus and VOO: standard telecom connections, free and without subscription (C-5).

use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span,
};

/// A telecom operator laying its cable in the shared trench.
pub struct Telecom {
    code: &'static str,
    skill: &'static str,
}

pub const PROXIMUS: Telecom = Telecom {
    code: "proximus",
    skill: "telecom_proximus",
};

pub const VOO: Telecom = Telecom {
    code: "voo",
    skill: "telecom_voo",
};

impl OperatorModule for Telecom {
    fn code(&self) -> &'static str {
        self.code
    }

    fn assess(&self, _facts: &RequestFacts) -> Assessment {
        Assessment {
            feasibility: Feasibility::Feasible,
            reasons: vec!["standard_telecom_free".to_owned()],
            note: None,
            refusals: Vec::new(),
            prerequisites: vec![Prerequisite::new(
                "trench_and_sleeve",
                "C-4",
                Party::Applicant,
                Deadline::BeforeWorks,
            )],
            crew: CrewNeed {
                skill: self.skill.to_owned(),
                hours: 2,
                // The cable goes into the trench the other crews open on the joint day.
                civil_works: false,
            },
            lines: Vec::new(),
            separately_quoted: Vec::new(),
            mentions: Vec::new(),
            unpriced: None,
            lead_time: LeadTime::suspended(
                LeadTimeStart::ConditionsMet,
                Span::CalendarDays(60),
                "telecom_standard",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::Service, operators::tests::facts};

    #[test]
    fn c_5_standard_telecom_connections_are_free_without_subscription() {
        for (module, service) in [(&PROXIMUS, Service::Proximus), (&VOO, Service::Voo)] {
            assert_eq!(module.code(), service.code());
            let answer = module.assess(&facts());
            assert_eq!(answer.feasibility, Feasibility::Feasible);
            assert_eq!(answer.reasons, ["standard_telecom_free"]);
            assert!(!answer.crew.civil_works);
        }
        assert_ne!(PROXIMUS.code(), VOO.code());
    }
}
