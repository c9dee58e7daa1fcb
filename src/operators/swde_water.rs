//! SWDE water connection (B-rules).

use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span, payment_before_works,
};
use crate::domain::{ApplicantKind, Building};

pub struct SwdeWater;

impl OperatorModule for SwdeWater {
    fn code(&self) -> &'static str {
        "swde_water"
    }

    fn assess(&self, facts: &RequestFacts) -> Assessment {
        let mut prerequisites = vec![
            // B-4.1: a legal title on the parcel, with its copy.
            Prerequisite::new(
                "legal_title",
                "B-4.1",
                Party::Applicant,
                Deadline::BeforeOffer,
            ),
            // B-5.1: the survey fixes route, diameter and meter position before the quote.
            Prerequisite::new("survey", "B-5.1", Party::Operator, Deadline::BeforeOffer),
            // SWDE asks a CertIBEau certificate for a new connection.
            Prerequisite::new(
                "certibeau",
                "B-4.1",
                Party::Applicant,
                Deadline::BeforeWorks,
            ),
            // The customer digs the trench on private land at 1 m and lays the sleeve.
            Prerequisite::new(
                "trench_and_sleeve_private",
                "B-5.1",
                Party::Applicant,
                Deadline::BeforeWorks,
            ),
            // B-5.4: paid in full before works.
            payment_before_works("B-5.4"),
        ];
        if facts.applicant_kind == ApplicantKind::Legal {
            prerequisites.insert(
                1,
                Prerequisite::new(
                    "trade_register_extract",
                    "B-4.1",
                    Party::Applicant,
                    Deadline::BeforeOffer,
                ),
            );
            // B-4.1: a VAT-exempt applicant proves it (associations, public bodies). Only
            // organisations can be; one that is not has it marked met by SWDE.
            prerequisites.insert(
                2,
                Prerequisite::new(
                    "vat_exemption_proof",
                    "B-4.1",
                    Party::Applicant,
                    Deadline::BeforeOffer,
                ),
            );
        }
        let mut reasons = Vec::new();
        if let Building::Apartments { .. } = facts.building {
            // B-4.3: one connection per parcel unless more are granted for the occupancy.
            reasons.push("one_connection_per_parcel".to_owned());
        }
        if !facts.has_address {
            // B-4.2: beyond 50 m from the main an extension comes first (B-11).
            reasons.push("distance_to_main_to_survey".to_owned());
        }
        Assessment {
            feasibility: Feasibility::Feasible,
            reasons,
            note: None,
            refusals: Vec::new(),
            prerequisites,
            crew: CrewNeed {
                skill: "water".to_owned(),
                hours: 4,
                civil_works: true,
            },
            lines: Vec::new(),
            separately_quoted: Vec::new(),
            mentions: Vec::new(),
            unpriced: None,
            // B-5.5: "dans un délai maximal d'un mois à partir de la date de paiement": a
            // calendar month from the payment, which knows no construction-holiday suspension
            // (that is ORES' rule, V-8.2.2).
            lead_time: LeadTime {
                suspended_in_construction_holidays: false,
                ..LeadTime::suspended(LeadTimeStart::Payment, Span::CalendarMonths(1), "B-5.5")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::tests::{codes, facts};

    #[test]
    fn b_4_1_b_5_1_b_5_4_title_survey_certificate_trench_and_payment() {
        let answer = SwdeWater.assess(&facts());
        assert_eq!(
            codes(&answer),
            [
                "legal_title",
                "survey",
                "certibeau",
                "trench_and_sleeve_private",
                "payment"
            ]
        );
        assert_eq!(answer.prerequisites[1].who, Party::Operator);
        assert_eq!(answer.prerequisites[4].rule, "B-5.4");
    }

    #[test]
    fn b_4_1_a_legal_person_adds_its_trade_register_extract() {
        let mut company = facts();
        company.applicant_kind = ApplicantKind::Legal;
        let answer = SwdeWater.assess(&company);
        assert!(codes(&answer).contains(&"trade_register_extract"));
        let vat = &answer.prerequisites[2];
        assert_eq!(vat.code, "vat_exemption_proof");
        assert_eq!(vat.rule, "B-4.1");
        assert_eq!(vat.deadline, Deadline::BeforeOffer);
        // A natural person is never asked for either.
        let person = SwdeWater.assess(&facts());
        assert!(!codes(&person).contains(&"vat_exemption_proof"));
        assert!(!codes(&person).contains(&"trade_register_extract"));
    }

    #[test]
    fn b_5_5_works_within_one_month_of_payment() {
        let answer = SwdeWater.assess(&facts());
        assert_eq!(answer.lead_time.start, LeadTimeStart::Payment);
        assert_eq!(answer.lead_time.within, Span::CalendarMonths(1));
        assert!(!answer.lead_time.suspended_in_construction_holidays);
        assert_eq!(answer.lead_time.source, "B-5.5");
    }

    #[test]
    fn b_4_3_b_4_2_a_building_and_new_land_are_flagged_for_the_survey() {
        let mut case = facts();
        case.building = Building::Apartments { dwellings: 4 };
        case.has_address = false;
        let answer = SwdeWater.assess(&case);
        assert_eq!(
            answer.reasons,
            ["one_connection_per_parcel", "distance_to_main_to_survey"]
        );
    }
}
