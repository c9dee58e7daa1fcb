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
        ApplicantKind, Building, Dwelling, ElectricityBand, Service,
        servicing::ServicingFacts,
        survey::{WaterSurvey, WaterWork},
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
    /// The VAT position the applicant declared: a VAT filer's works on immovable property are
    /// reverse charged; an exemption counts once proved ([`RequestFacts::vat_status`]).
    pub applicant_vat: VatStatus,
    /// B-4.1: the proof of a declared VAT exemption was received.
    pub exemption_proved: bool,
    /// A new build, or an existing dwelling and the year it was first occupied.
    pub dwelling: Dwelling,
    /// A power increase of the existing electricity connection: its band today.
    pub electricity_current_band: Option<ElectricityBand>,
    /// What is asked of the water connection (B-8 modification, B-9 renewal).
    pub water_work: WaterWork,
    /// B-9: no water billed for 24 months on the connection to renew.
    pub water_unbilled: bool,
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

impl RequestFacts {
    /// What the facts take from records other than the request's own row (V-3.1's dossiers,
    /// B-4.1's proof): a page kept with the request's case file shows them as read beside it,
    /// so they are part of its key.
    pub fn read_beside_the_request(
        &self,
    ) -> (
        Option<&str>,
        Option<&crate::domain::servicing::DossierInvoiceRef>,
        bool,
    ) {
        let servicing = self.servicing.as_ref();
        (
            servicing.and_then(|s| s.earlier_dossier.as_deref()),
            servicing.and_then(|s| s.dossier_invoice.as_ref()),
            self.exemption_proved,
        )
    }

    /// The VAT position the engines price with: a declared exemption applies only once its
    /// proof is received (B-4.1); until then the normal rate, with a note saying so.
    pub fn vat_status(&self) -> VatStatus {
        match self.applicant_vat {
            VatStatus::Exempt if !self.exemption_proved => VatStatus::Private,
            status => status,
        }
    }

    /// A declared exemption still waiting for its proof (B-4.1).
    pub fn exemption_pending(&self) -> bool {
        self.applicant_vat == VatStatus::Exempt && !self.exemption_proved
    }

    /// A new individual dwelling: a new house (SWDE's extension subsidy, B-5.2).
    pub fn new_individual_dwelling(&self) -> bool {
        self.dwelling == Dwelling::New && self.building == Building::House
    }
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
    /// Calendar months, the end of a shorter month standing for a missing day (B-5.5).
    CalendarMonths(u32),
}

impl Span {
    fn calendar(self) -> calendar::LeadTime {
        match self {
            Span::CalendarDays(n) => calendar::LeadTime::CalendarDays(n),
            Span::WorkingDays(n) => calendar::LeadTime::WorkingDays(n),
            Span::CalendarMonths(n) => calendar::LeadTime::CalendarMonths(n),
        }
    }
}

/// Time a rule adds to the lead time, e.g. six months under overhead lines (V-8.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraTime {
    pub months: u32,
    /// The rule that adds it.
    pub source: String,
}

/// By when the works must be done once the lead time starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTime {
    pub start: LeadTimeStart,
    pub within: Span,
    /// Where the lead time comes from (a rule id or the operator's published commitment).
    pub source: String,
    /// The count stops during the construction holidays: ORES' rule says so (V-8.2.2), SWDE's
    /// does not (B-5.5). Answers stored before this was said were all counted so.
    #[serde(default = "suspended_by_default")]
    pub suspended_in_construction_holidays: bool,
    /// Time a rule adds (V-8.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<ExtraTime>,
}

fn suspended_by_default() -> bool {
    true
}

impl LeadTime {
    /// A lead time suspended during construction holidays (V-8.2.2), with nothing added.
    pub fn suspended(start: LeadTimeStart, within: Span, source: &str) -> Self {
        LeadTime {
            start,
            within,
            source: source.to_owned(),
            suspended_in_construction_holidays: true,
            extra: None,
        }
    }

    /// The day the works are due when the lead time started on `started` (V-8.2.2, B-5.5),
    /// with the time a rule adds (V-8.6).
    pub fn due_date(
        &self,
        started: NaiveDate,
        province: Province,
        construction: &ConstructionHolidays,
    ) -> NaiveDate {
        let lead = self.within.calendar();
        let due = if self.suspended_in_construction_holidays {
            calendar::lead_time_due_date(construction, province, started, lead)
        } else {
            calendar::lead_time_due_date_unsuspended(started, lead)
        };
        match &self.extra {
            Some(extra) => calendar::add_calendar_months(due, extra.months),
            None => due,
        }
    }

    /// The earliest and latest day for the works of a site in `province`: the lead time is
    /// counted from `started`, the day its start event happened (payment, permits, trenches),
    /// or from `from` while it has not (conditions are not met before); no day before `from`.
    pub fn window(
        &self,
        started: Option<NaiveDate>,
        from: NaiveDate,
        province: Province,
        construction: &ConstructionHolidays,
    ) -> (NaiveDate, NaiveDate) {
        let started = started.unwrap_or(from);
        let earliest =
            WorkCalendar::civil_works(construction, province).next_working_day(from.max(started));
        let latest = self.due_date(started, province, construction);
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

/// The legal basis of the 6% rate on works on a dwelling of 10 years or more: Royal Decree
/// n° 20, table A, heading XXXI — the client's signed declaration goes with the invoice.
pub const REDUCED_RATE_RULE: &str = "AR 20 XXXI";

/// The applicant's declaration the 6% rate requires, when the works on an existing dwelling
/// get it (not for a VAT filer, who self-assesses).
pub fn reduced_rate_declaration(facts: &RequestFacts) -> Option<Prerequisite> {
    let old_enough = facts
        .dwelling
        .age_on(facts.submitted_on)
        .is_some_and(|age| age >= crate::tariff::REDUCED_RATE_DWELLING_AGE);
    (old_enough && facts.vat_status() != VatStatus::VatFiler).then(|| {
        Prerequisite::new(
            "vat_reduced_rate_declaration",
            REDUCED_RATE_RULE,
            Party::Applicant,
            Deadline::BeforeWorks,
        )
    })
}

/// The VAT regimes a line added by staff may take for this applicant: the standard rate
/// always; 6% on an existing dwelling of 10 years or more; reverse charge for a VAT filer;
/// exempt once the exemption is proved, on SWDE's water part only (B-4.1: ORES' works are
/// taxed for an exempt body too).
pub fn staff_line_regimes(facts: &RequestFacts, service: &str) -> Vec<crate::tariff::VatRegime> {
    use crate::tariff::VatRegime;
    let status = facts.vat_status();
    let mut regimes = vec![VatRegime::Standard];
    if reduced_rate_declaration(facts).is_some() {
        regimes.push(VatRegime::Reduced);
    }
    if status == VatStatus::VatFiler {
        regimes.push(VatRegime::ReverseCharge);
    }
    if status == VatStatus::Exempt && service == Service::Water.code() {
        regimes.push(VatRegime::Exempt);
    }
    regimes
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
            exemption_proved: false,
            dwelling: Dwelling::New,
            electricity_current_band: None,
            water_work: WaterWork::New,
            water_unbilled: false,
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
        let lead =
            LeadTime::suspended(LeadTimeStart::ConditionsMet, Span::CalendarDays(30), "test");
        let saturday = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let construction = ConstructionHolidays::parse(include_str!(
            "../../tests/fixtures/construction-holidays.toml"
        ))
        .unwrap();
        let (earliest, latest) = lead.window(None, saturday, Province::Namur, &construction);
        assert_eq!(earliest, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        // 30 days not counting the winter construction rest days of 21-24 December (V-8.2.2).
        assert_eq!(latest, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    }

    #[test]
    fn b_5_5_a_month_from_the_payment_is_not_suspended_v_8_2_2_is() {
        let construction = ConstructionHolidays::parse(include_str!(
            "../../tests/fixtures/construction-holidays.toml"
        ))
        .unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let month = LeadTime {
            suspended_in_construction_holidays: false,
            ..LeadTime::suspended(LeadTimeStart::Payment, Span::CalendarMonths(1), "B-5.5")
        };
        // Paid on Monday 7 July 2025, before Namur's summer construction holidays (14 July -
        // 1 August): due on 7 August, not pushed back by them.
        let paid = d(2025, 7, 7);
        let today = d(2025, 7, 10);
        assert_eq!(
            month.window(Some(paid), today, Province::Namur, &construction),
            (today, d(2025, 8, 7))
        );
        // ORES' servicing lead time stops during them (V-8.2.2): their 19 days are not counted.
        let suspended = LeadTime::suspended(
            LeadTimeStart::LatestOfPermitsPaymentTrenches,
            Span::CalendarMonths(1),
            "V-8.2.2",
        );
        assert_eq!(
            suspended.due_date(paid, Province::Namur, &construction),
            d(2025, 8, 26)
        );
        // V-8.6: six months more under overhead lines.
        let overhead = LeadTime {
            extra: Some(ExtraTime {
                months: 6,
                source: "V-8.6".into(),
            }),
            ..month.clone()
        };
        assert_eq!(
            overhead.due_date(paid, Province::Namur, &construction),
            d(2026, 2, 7)
        );
        // A stored answer without the flag keeps the suspension it was counted with.
        let stored: LeadTime = serde_json::from_str(
            r#"{"start":"payment","within":{"unit":"calendar_days","count":30},"source":"B-5.5"}"#,
        )
        .unwrap();
        assert!(stored.suspended_in_construction_holidays);
        assert_eq!(stored.extra, None);
        let months: Span = serde_json::from_str(r#"{"unit":"calendar_months","count":1}"#).unwrap();
        assert_eq!(months, Span::CalendarMonths(1));
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
