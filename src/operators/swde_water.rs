//! SWDE water connection (B-rules).

use super::reduced_rate_declaration;
use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span, payment_before_works,
};
use crate::{
    domain::{ApplicantKind, Building, survey::WaterWork},
    tariff::VatStatus,
};

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
        }
        // B-4.1: an applicant declaring a VAT exemption proves it; the exemption applies once
        // the proof is received (the normal rate before, with a note).
        if facts.applicant_vat == VatStatus::Exempt {
            let after_the_applicant_s_papers = prerequisites
                .iter()
                .position(|p| p.code == "survey")
                .unwrap_or(prerequisites.len());
            prerequisites.insert(
                after_the_applicant_s_papers,
                Prerequisite::new(
                    "vat_exemption_proof",
                    "B-4.1",
                    Party::Applicant,
                    Deadline::BeforeOffer,
                ),
            );
        }
        // B-5.2: the extension subsidy is for a new individual dwelling, proved by its
        // building permit; asked once SWDE's survey finds an extension is needed.
        if facts.new_individual_dwelling()
            && facts.water_work == WaterWork::New
            && facts
                .water_survey
                .as_ref()
                .is_some_and(|survey| survey.needs_extension())
        {
            prerequisites.push(Prerequisite::new(
                "permit_copy",
                "B-5.2",
                Party::Applicant,
                Deadline::BeforeOffer,
            ));
        }
        prerequisites.extend(reduced_rate_declaration(facts));
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
    fn b_4_1_a_legal_person_adds_its_trade_register_extract_and_an_exempt_applicant_its_proof() {
        let mut company = facts();
        company.applicant_kind = ApplicantKind::Legal;
        let answer = SwdeWater.assess(&company);
        assert!(codes(&answer).contains(&"trade_register_extract"));
        // A company that declares no exemption is not asked to prove one.
        assert!(!codes(&answer).contains(&"vat_exemption_proof"));
        // Whoever declares an exemption, person or company, proves it before the offer.
        for kind in [ApplicantKind::Natural, ApplicantKind::Legal] {
            let mut exempt = facts();
            exempt.applicant_kind = kind;
            exempt.applicant_vat = VatStatus::Exempt;
            let answer = SwdeWater.assess(&exempt);
            let vat = answer
                .prerequisites
                .iter()
                .find(|p| p.code == "vat_exemption_proof")
                .unwrap();
            assert_eq!(vat.rule, "B-4.1");
            assert_eq!(vat.deadline, Deadline::BeforeOffer);
        }
        // A natural person is never asked for a trade-register extract.
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
