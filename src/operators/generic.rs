//! The generic module: a partner joins with configuration only (rule C-8) — its
//! organisation, service, coverage and this offer: labels, prerequisites, crew, lead time.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    Assessment, CrewNeed, Deadline, Feasibility, LeadTime, LeadTimeStart, OperatorModule, Party,
    Prerequisite, RequestFacts, Span, pricing::PricedLine,
};
use crate::tariff::{
    TariffError, VatRegime,
    book::MAX_PRICE_EUR,
    money::{Overflow, percent_of},
    round_cents,
};

/// A text in each language of the product. German and Dutch are optional: a configuration
/// written before them (or without them) shows the French text to German or Dutch readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub fr: String,
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub de: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nl: Option<String>,
}

impl Labels {
    pub fn get(&self, language: crate::domain::Language) -> &str {
        match language {
            crate::domain::Language::Fr => &self.fr,
            crate::domain::Language::En => &self.en,
            crate::domain::Language::De => self.german(),
            crate::domain::Language::Nl => self.dutch(),
        }
    }

    /// The Dutch text, or the French one when the configuration gives none.
    pub fn dutch(&self) -> &str {
        self.nl
            .as_deref()
            .filter(|text| !text.trim().is_empty())
            .unwrap_or(&self.fr)
    }

    /// The German text, or the French one when the configuration gives none.
    pub fn german(&self) -> &str {
        self.de
            .as_deref()
            .filter(|text| !text.trim().is_empty())
            .unwrap_or(&self.fr)
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
    /// The partner's flat-rate tariff: one line each, per connection.
    #[serde(default)]
    pub lines: Vec<PartnerLine>,
}

/// A flat-rate line of a partner's tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerLine {
    pub code: String,
    pub label: Labels,
    pub unit_price: Decimal,
    #[serde(default = "standard_vat")]
    pub vat: VatRegime,
}

fn standard_vat() -> VatRegime {
    VatRegime::Standard
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
    #[error("partner offer: a tariff line has a negative price")]
    NegativePrice,
    #[error("partner offer: a tariff line's price cannot be more than {max} €")]
    PriceTooHigh { max: u32 },
    #[error("partner offer: a tariff line's VAT must be `standard` or `reduced`")]
    VatRegime,
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
        if self.lines.iter().any(|l| l.unit_price.is_sign_negative()) {
            return Err(PartnerConfigError::NegativePrice);
        }
        // The bound of tariff books: no flat rate of a connection comes near it.
        if self
            .lines
            .iter()
            .any(|l| l.unit_price > Decimal::from(MAX_PRICE_EUR))
        {
            return Err(PartnerConfigError::PriceTooHigh { max: MAX_PRICE_EUR });
        }
        if !self
            .lines
            .iter()
            .all(|l| matches!(l.vat, VatRegime::Standard | VatRegime::Reduced))
        {
            return Err(PartnerConfigError::VatRegime);
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

impl GenericModule {
    /// The partner's flat-rate lines, VAT computed on each.
    fn priced_lines(&self) -> Result<Vec<PricedLine>, Overflow> {
        self.offer
            .lines
            .iter()
            .map(|line| {
                let amount = round_cents(line.unit_price);
                let mut priced = PricedLine::charge(
                    line.code.clone(),
                    // Every language travels with the line; each page shows its own.
                    "assessment.partner_line".to_owned(),
                    [
                        ("label_fr".to_owned(), line.label.fr.clone()),
                        ("label_en".to_owned(), line.label.en.clone()),
                        ("label_de".to_owned(), line.label.german().to_owned()),
                        ("label_nl".to_owned(), line.label.dutch().to_owned()),
                    ]
                    .into(),
                    Decimal::ONE,
                    "flat".to_owned(),
                    line.unit_price,
                    line.vat.code().to_owned(),
                    line.vat.rate(),
                    "C-8".to_owned(),
                    "partner".to_owned(),
                );
                priced.amount_excl_vat = amount;
                priced.vat_amount = round_cents(percent_of(amount, line.vat.rate())?);
                Ok(priced)
            })
            .collect()
    }
}

impl OperatorModule for GenericModule {
    fn code(&self) -> &'static str {
        "generic"
    }

    fn assess(&self, _facts: &RequestFacts) -> Assessment {
        // An offer that passed `validate` always prices; one that did not is said, not priced.
        let (lines, unpriced) = match self.priced_lines() {
            Ok(lines) => (lines, None),
            Err(Overflow) => (
                Vec::new(),
                Some(super::pricing::Unpriced::PricingFailed {
                    detail: TariffError::Overflow {
                        what: "a partner tariff line",
                    }
                    .to_string(),
                }),
            ),
        };
        Assessment {
            feasibility: Feasibility::Feasible,
            reasons: Vec::new(),
            note: None,
            refusals: Vec::new(),
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
            lead_time: LeadTime::suspended(
                self.offer.lead_time_start,
                self.offer.lead_time,
                "partner",
            ),
            lines,
            separately_quoted: Vec::new(),
            mentions: Vec::new(),
            unpriced,
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
                de: Some("Wärme (Fernwärmenetz)".into()),
                nl: Some("Warmte (warmtenet)".into()),
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
                    de: None,
                    nl: None,
                },
                who: Party::Applicant,
                deadline: Deadline::BeforeWorks,
                rule: "C-8".into(),
            }],
            lines: vec![PartnerLine {
                code: "HEAT-STD".into(),
                label: Labels {
                    fr: "Raccordement au réseau de chaleur".into(),
                    en: "District heating connection".into(),
                    de: Some("Anschluss an das Wärmenetz".into()),
                    nl: Some("Aansluiting op het warmtenet".into()),
                },
                unit_price: Decimal::new(249_950, 2),
                vat: VatRegime::Reduced,
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
        // Its flat-rate tariff: 2,499.50 € at 6 % → 149.97 € VAT.
        assert_eq!(answer.lines[0].amount_excl_vat, Decimal::new(249_950, 2));
        assert_eq!(answer.lines[0].vat_amount, Decimal::new(14_997, 2));
        assert_eq!(answer.lines[0].rule, "C-8");
    }

    #[test]
    fn german_and_dutch_labels_travel_with_the_line_and_are_optional() {
        use crate::domain::Language;
        let offer: PartnerOffer = toml::from_str(
            r#"
            label = { fr = "Chaleur", en = "Heat" }
            skill = "heat"
            hours = 4
            lead_time = { unit = "working_days", count = 10 }
            lead_time_start = "payment"
            "#,
        )
        .unwrap();
        assert_eq!((&offer.label.de, &offer.label.nl), (&None, &None));
        let answer = GenericModule { offer: heat() }.assess(&facts());
        for (language, arg, service, line) in [
            (
                Language::De,
                "label_de",
                "Wärme (Fernwärmenetz)",
                "Anschluss an das Wärmenetz",
            ),
            (
                Language::Nl,
                "label_nl",
                "Warmte (warmtenet)",
                "Aansluiting op het warmtenet",
            ),
        ] {
            // A partner configured without the language's labels: its own French text.
            assert_eq!(offer.label.get(language), "Chaleur");
            assert_eq!(heat().label.get(language), service);
            assert_eq!(answer.lines[0].args[arg], line);
            let tr = crate::i18n::Tr(language);
            assert_eq!(answer.lines[0].label(tr), line);
            // A line stored before the language's labels travelled with it reads in French,
            // never a key.
            let mut stored = answer.lines[0].clone();
            stored.args.remove(arg);
            assert_eq!(stored.label(tr), "Raccordement au réseau de chaleur");
        }
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
        let mut negative = heat();
        negative.lines[0].unit_price = Decimal::new(-1, 0);
        assert!(matches!(
            negative.validate(),
            Err(PartnerConfigError::NegativePrice)
        ));
        // A price at the top of the decimal range would overflow the VAT of the line.
        let mut huge = heat();
        huge.lines[0].unit_price = Decimal::MAX;
        assert_eq!(
            huge.validate().unwrap_err().to_string(),
            "partner offer: a tariff line's price cannot be more than 10000000 €"
        );
        let answer = GenericModule { offer: huge }.assess(&facts());
        assert!(answer.lines.is_empty());
        assert!(answer.is_unpriced());
        assert!(matches!(
            PartnerOffer::from_json(r#"{"label":{"fr":"a","en":"b"},"colour":"red"}"#),
            Err(PartnerConfigError::Format(_))
        ));
    }
}
