//! The generic module: a partner joins with configuration only (rule C-8) — its
//! organisation, service, coverage and this offer: labels, prerequisites, crew, lead time.

use serde::{Deserialize, Serialize};

use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span,
};

/// A text in each language of the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub fr: String,
    pub en: String,
}

impl Labels {
    pub fn get(&self, language: crate::domain::Language) -> &str {
        match language {
            crate::domain::Language::Fr => &self.fr,
            crate::domain::Language::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerPrerequisite {
    pub code: String,
    pub label: Labels,
    #[serde(default = "applicant")]
    pub who: Party,
    #[serde(default = "before_works")]
    pub deadline: Deadline,
    /// A rule id or the partner's own condition reference.
    #[serde(default)]
    pub rule: String,
}

fn applicant() -> Party {
    Party::Applicant
}

fn before_works() -> Deadline {
    Deadline::BeforeWorks
}

/// What a configured partner offers and answers for every request that includes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerOffer {
    /// The service as the applicant sees it on the form.
    pub label: Labels,
    pub skill: String,
    pub hours: u32,
    #[serde(default)]
    pub civil_works: bool,
    pub lead_time: Span,
    #[serde(default = "conditions_met")]
    pub lead_time_start: LeadTimeStart,
    #[serde(default)]
    pub prerequisites: Vec<PartnerPrerequisite>,
}

fn conditions_met() -> LeadTimeStart {
    LeadTimeStart::ConditionsMet
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerConfigError {
    #[error("partner offer: {0}")]
    Format(String),
    #[error("partner offer: {0} must not be empty")]
    Empty(&'static str),
    #[error("partner offer: the crew needs between 1 and 24 hours on site")]
    Hours,
}

impl PartnerOffer {
    /// Checks what serde cannot: non-empty labels and skill, sensible hours.
    pub fn validate(&self) -> Result<(), PartnerConfigError> {
        if self.label.fr.trim().is_empty() || self.label.en.trim().is_empty() {
            return Err(PartnerConfigError::Empty("label"));
        }
        if self.skill.trim().is_empty() {
            return Err(PartnerConfigError::Empty("skill"));
        }
        if !(1..=24).contains(&self.hours) {
            return Err(PartnerConfigError::Hours);
        }
        if self.prerequisites.iter().any(|p| p.code.trim().is_empty()) {
            return Err(PartnerConfigError::Empty("prerequisite code"));
        }
        Ok(())
    }

    pub fn from_json(json: &str) -> Result<Self, PartnerConfigError> {
        let offer: PartnerOffer =
            serde_json::from_str(json).map_err(|e| PartnerConfigError::Format(e.to_string()))?;
        offer.validate()?;
        Ok(offer)
    }
}

pub struct GenericModule {
    pub offer: PartnerOffer,
}

impl OperatorModule for GenericModule {
    fn code(&self) -> &'static str {
        "generic"
    }

    fn assess(&self, _facts: &RequestFacts) -> Assessment {
        Assessment {
            feasibility: Feasibility::Feasible,
            reasons: Vec::new(),
            note: None,
            prerequisites: self
                .offer
                .prerequisites
                .iter()
                .map(|p| Prerequisite {
                    code: p.code.clone(),
                    rule: p.rule.clone(),
                    who: p.who,
                    deadline: p.deadline,
                    met: false,
                    label: Some(p.label.clone()),
                })
                .collect(),
            crew: CrewNeed {
                skill: self.offer.skill.clone(),
                hours: self.offer.hours,
                civil_works: self.offer.civil_works,
            },
            lines: Vec::new(),
            lead_time: LeadTime {
                start: self.offer.lead_time_start,
                within: self.offer.lead_time,
                source: "partner".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::tests::facts;

    fn heat() -> PartnerOffer {
        PartnerOffer {
            label: Labels {
                fr: "Chaleur (réseau urbain)".into(),
                en: "District heating".into(),
            },
            skill: "heat".into(),
            hours: 6,
            civil_works: true,
            lead_time: Span::WorkingDays(40),
            lead_time_start: LeadTimeStart::Payment,
            prerequisites: vec![PartnerPrerequisite {
                code: "substation_room".into(),
                label: Labels {
                    fr: "Local technique".into(),
                    en: "Plant room".into(),
                },
                who: Party::Applicant,
                deadline: Deadline::BeforeWorks,
                rule: "C-8".into(),
            }],
        }
    }

    #[test]
    fn c_8_a_configured_partner_answers_from_its_offer() {
        let module = GenericModule { offer: heat() };
        let answer = module.assess(&facts());
        assert_eq!(answer.crew.skill, "heat");
        assert_eq!(answer.lead_time.within, Span::WorkingDays(40));
        assert_eq!(answer.prerequisites[0].code, "substation_room");
        assert_eq!(
            answer.prerequisites[0].label.as_ref().unwrap().fr,
            "Local technique"
        );
    }

    #[test]
    fn an_offer_round_trips_and_bad_offers_are_refused_with_the_reason() {
        let json = serde_json::to_string(&heat()).unwrap();
        assert_eq!(PartnerOffer::from_json(&json).unwrap(), heat());
        let mut no_label = heat();
        no_label.label.en = " ".into();
        assert!(matches!(
            no_label.validate(),
            Err(PartnerConfigError::Empty("label"))
        ));
        let mut idle = heat();
        idle.hours = 0;
        assert!(matches!(idle.validate(), Err(PartnerConfigError::Hours)));
        assert!(matches!(
            PartnerOffer::from_json(r#"{"label":{"fr":"a","en":"b"},"colour":"red"}"#),
            Err(PartnerConfigError::Format(_))
        ));
    }
}
