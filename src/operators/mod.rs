//! The operator contract: what each operator answers for a request — feasibility,
//! prerequisites, crew need and lead time — and the registry that gives each participating
//! organisation its module (rule C-8: a partner joins with configuration plus one module).

// Money and quantities here are checked: an overflow is a refusal, never a panic.
#![deny(clippy::arithmetic_side_effects)]

pub mod describe;
pub mod generic;
pub mod ores_electricity;
pub mod ores_gas;
pub mod pricing;
pub mod refusal;
pub mod swde_water;
pub mod telecom;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        ApplicantKind, Building, ElectricityBand, Service, servicing::ServicingFacts,
        survey::WaterSurvey,
    },
    scheduling::{
        calendar::{self, WorkCalendar},
        holidays::{ConstructionHolidays, Province},
    },
    tariff::VatStatus,
};

/// What a module learns of a request: the shared facts, never another operator's part.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub applicant_kind: ApplicantKind,
    /// A VAT filer's works on immovable property are reverse charged.
    pub applicant_vat: VatStatus,
    pub building: Building,
    /// False for land identified only by a parcel reference or a map point (new land).
    pub has_address: bool,
    pub electricity_band: Option<ElectricityBand>,
    pub submitted_on: NaiveDate,
    /// The servicing of the land the applicant described (V-2.1), priced by ORES electricity.
    pub servicing: Option<ServicingFacts>,
    /// SWDE's survey (B-5.1), once recorded: the water part is priced from it.
    pub water_survey: Option<WaterSurvey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feasibility {
    Feasible,
    FeasibleWithExtension,
    NotAvailable,
    Refused,
}

impl Feasibility {
    pub fn code(self) -> &'static str {
        match self {
            Self::Feasible => "feasible",
            Self::FeasibleWithExtension => "feasible_with_extension",
            Self::NotAvailable => "not_available",
            Self::Refused => "refused",
        }
    }
}

/// Who must fulfil a prerequisite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Applicant,
    Operator,
    Coordinator,
}

/// By when a prerequisite must be met, relative to the steps of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum Deadline {
    BeforeOffer,
    BeforeWorks,
    DaysBeforeWorks(u32),
    DaysAfterWorks(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prerequisite {
    /// Translation key suffix (`prerequisite.<code>`).
    pub code: String,
    /// The rule that asks for it.
    pub rule: String,
    pub who: Party,
    pub deadline: Deadline,
    #[serde(default)]
    pub met: bool,
    /// A configured partner's own wording; built-in prerequisites are translated by code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<generic::Labels>,
}

impl Prerequisite {
    pub fn new(code: &str, rule: &str, who: Party, deadline: Deadline) -> Self {
        Prerequisite {
            code: code.to_owned(),
            rule: rule.to_owned(),
            who,
            deadline,
            met: false,
            label: None,
        }
    }
}

/// The crew an operator sends on the joint day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewNeed {
    pub skill: String,
    pub hours: u32,
    /// Civil-works crews stop during construction-industry holidays.
    pub civil_works: bool,
}

/// From which step a lead time runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTimeStart {
    /// Every prerequisite met (documents, trench, payment).
    ConditionsMet,
    /// Full payment received.
    Payment,
    /// The latest of permits obtained, full payment and trenches available (V-8.2.2).
    LatestOfPermitsPaymentTrenches,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "count")]
pub enum Span {
    CalendarDays(u32),
    WorkingDays(u32),
}

/// By when the works must be done once the lead time starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTime {
    pub start: LeadTimeStart,
    pub within: Span,
    /// Where the lead time comes from (a rule id or the operator's published commitment).
    pub source: String,
}

impl LeadTime {
    /// The earliest and latest day for the works of a site in `province` when the lead time
    /// starts on `start`: suspended during that province's construction holidays (V-8.2.2).
    pub fn window(
        &self,
        start: NaiveDate,
        province: Province,
        construction: &ConstructionHolidays,
    ) -> (NaiveDate, NaiveDate) {
        let earliest = WorkCalendar::civil_works(construction, province).next_working_day(start);
        let lead = match self.within {
            Span::CalendarDays(days) => calendar::LeadTime::CalendarDays(days),
            Span::WorkingDays(days) => calendar::LeadTime::WorkingDays(days),
        };
        let latest = calendar::lead_time_due_date(construction, province, start, lead);
        (earliest, latest.max(earliest))
    }
}

/// One operator's answer for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub feasibility: Feasibility,
    /// Written reasons (B-4.4), as translation key suffixes (`assessment.reason.<code>`).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Free text written by operator staff (a refusal's reason, a note to the case officer).
    #[serde(default)]
    pub note: Option<String>,
    /// Why the part is refused, each reason with its rule (B-4.4); empty unless refused, and
    /// in answers refused before reasons kept their rule (see [`Assessment::refusals`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<refusal::Refusal>,
    pub prerequisites: Vec<Prerequisite>,
    pub crew: CrewNeed,
    pub lead_time: LeadTime,
    /// The operator's quote lines for its part, priced by the tariff engines.
    #[serde(default)]
    pub lines: Vec<pricing::PricedLine>,
    /// What the part leaves to a separate offer (V-4.1d, V-4.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub separately_quoted: Vec<pricing::SeparateQuote>,
    /// Texts the offer must carry for this part (`tariff.mention.*` keys), e.g. the cabin lease.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Why the books gave the part no price (no book in force on its tariff date, V-5); absent
    /// when priced, and from answers stored before (those said `tariff_unavailable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpriced: Option<pricing::Unpriced>,
}

/// The reason code answers stored before `Assessment::unpriced` gave a part without a book.
pub const LEGACY_UNPRICED_REASON: &str = "tariff_unavailable";

impl Assessment {
    /// The books gave the part no price — said with the answer, or by an older answer's reason.
    pub fn is_unpriced(&self) -> bool {
        self.unpriced.is_some() || self.reasons.iter().any(|r| r == LEGACY_UNPRICED_REASON)
    }

    /// Why the part is refused, with the rules (B-4.4): none unless refused. An answer refused
    /// before its reasons kept their rule has staff's written note, under B-4.4.
    pub fn refusals(&self) -> Vec<refusal::Refusal> {
        if self.feasibility != Feasibility::Refused {
            return Vec::new();
        }
        if !self.refusals.is_empty() {
            return self.refusals.clone();
        }
        let text = self.note.as_deref().map(str::trim).unwrap_or_default();
        vec![refusal::Refusal::written(
            refusal::WRITTEN_REFUSAL_RULE,
            text,
        )]
    }
}

/// Every operator module answers the same questions for a request.
pub trait OperatorModule: Send + Sync {
    fn code(&self) -> &'static str;
    fn assess(&self, facts: &RequestFacts) -> Assessment;
}

/// Paid works start only once paid.
fn payment_before_works(rule: &str) -> Prerequisite {
    Prerequisite::new("payment", rule, Party::Applicant, Deadline::BeforeWorks)
}

/// The module answering for an organisation serving `service`.
pub fn module_for(service: Service) -> &'static dyn OperatorModule {
    match service {
        Service::Electricity => &ores_electricity::OresElectricity,
        Service::Gas => &ores_gas::OresGas,
        Service::Water => &swde_water::SwdeWater,
        Service::Proximus => &telecom::PROXIMUS,
        Service::Voo => &telecom::VOO,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn facts() -> RequestFacts {
        RequestFacts {
            applicant_kind: ApplicantKind::Natural,
            applicant_vat: VatStatus::Private,
            building: Building::House,
            has_address: true,
            electricity_band: Some(ElectricityBand {
                phases: 1,
                amperes: 40,
            }),
            submitted_on: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            servicing: None,
            water_survey: None,
        }
    }

    pub fn codes(assessment: &Assessment) -> Vec<&str> {
        assessment
            .prerequisites
            .iter()
            .map(|p| p.code.as_str())
            .collect()
    }

    #[test]
    fn a_window_starts_the_next_working_day_and_never_ends_before() {
        let lead = LeadTime {
            start: LeadTimeStart::ConditionsMet,
            within: Span::CalendarDays(30),
            source: "test".into(),
        };
        let saturday = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let construction = ConstructionHolidays::parse(include_str!(
            "../../tests/fixtures/construction-holidays.toml"
        ))
        .unwrap();
        let (earliest, latest) = lead.window(saturday, Province::Namur, &construction);
        assert_eq!(earliest, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        // 30 days not counting the winter construction rest days of 21-24 December (V-8.2.2).
        assert_eq!(latest, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    }

    #[test]
    fn every_service_has_a_module_answering_as_itself() {
        for service in Service::ALL {
            let module = module_for(service);
            let answer = module.assess(&facts());
            assert!(!answer.prerequisites.is_empty(), "{}", module.code());
            assert!(!answer.crew.skill.is_empty());
        }
    }

    #[test]
    fn assessments_round_trip_through_json() {
        let answer = module_for(Service::Water).assess(&facts());
        let json = serde_json::to_string(&answer).unwrap();
        assert_eq!(serde_json::from_str::<Assessment>(&json).unwrap(), answer);
    }
}
