//! The joint road-works permit (rule C-6): one permit request per site covering every
//! operator's works, decided by the commune within a legal deadline (45 days by default,
//! road-works coordination decree). Pure rules: statuses and transitions, the deadline, what
//! blocks the confirmation of the joint day, trench lengths and the sleeve depth (V-8.5).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    InputError, MapPoint,
    error::{optional_text, required_text},
    lambert::parse_site_point,
};

/// Longest text of a decision, a question or an answer.
pub const TEXT_MAX: usize = 2000;

super::stored_code! {
    pub enum PermitStatus {
        /// Waiting for the commune's decision.
        Pending = "pending",
        /// The commune asked a question; the case officer's answer resumes the request.
        InformationRequested = "information_requested",
        Approved = "approved",
        ApprovedWithConditions = "approved_with_conditions",
        Refused = "refused",
        /// The joint day was cancelled: this request is void.
        Cancelled = "cancelled",
        /// The commune does not use the portal: the request goes to it the usual way.
        Offline = "offline",
    }
}

impl PermitStatus {
    /// Still waiting for the commune: the deadline runs.
    pub fn awaiting_commune(self) -> bool {
        matches!(self, Self::Pending | Self::InformationRequested)
    }

    /// The commune allowed the works (with or without conditions, C-6).
    pub fn granted(self) -> bool {
        matches!(self, Self::Approved | Self::ApprovedWithConditions)
    }
}

/// What the commune decides, with the text each decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    ApproveWithConditions(String),
    RequestInformation(String),
    Refuse(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("unknown decision")]
    Unknown,
    /// Conditions, a question and a refusal are written (B-4.4 in spirit: refusals say why).
    #[error("text: {0:?}")]
    Text(InputError),
    #[error("the permit is {0:?}: no decision can be made now")]
    NotOpen(PermitStatus),
    #[error("a question was already asked and not yet answered")]
    AlreadyAsked,
}

impl Decision {
    pub fn parse(action: &str, text: &str) -> Result<Self, DecisionError> {
        let written = || required_text(text, TEXT_MAX).map_err(DecisionError::Text);
        Ok(match action {
            "approve" => Self::Approve,
            "approve_with_conditions" => Self::ApproveWithConditions(written()?),
            "request_information" => Self::RequestInformation(written()?),
            "refuse" => Self::Refuse(written()?),
            _ => return Err(DecisionError::Unknown),
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::ApproveWithConditions(_) => "approved_with_conditions",
            Self::RequestInformation(_) => "information_requested",
            Self::Refuse(_) => "refused",
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Approve => None,
            Self::ApproveWithConditions(t) | Self::RequestInformation(t) | Self::Refuse(t) => {
                Some(t)
            }
        }
    }

    /// Whether this very decision is the one already recorded: a permit in `status` with
    /// `text` (a repeated click finds its own decision made).
    pub fn made_as(&self, status: PermitStatus, text: Option<&str>) -> bool {
        self.code() == status.code() && self.text() == text
    }

    /// The status after this decision, from `current`. The commune decides while the request
    /// awaits it; a question can only be asked once the previous one is answered.
    pub fn next_status(&self, current: PermitStatus) -> Result<PermitStatus, DecisionError> {
        if !current.awaiting_commune() {
            return Err(DecisionError::NotOpen(current));
        }
        Ok(match self {
            Self::Approve => PermitStatus::Approved,
            Self::ApproveWithConditions(_) => PermitStatus::ApprovedWithConditions,
            Self::RequestInformation(_) if current == PermitStatus::InformationRequested => {
                return Err(DecisionError::AlreadyAsked);
            }
            Self::RequestInformation(_) => PermitStatus::InformationRequested,
            Self::Refuse(_) => PermitStatus::Refused,
        })
    }
}

/// The decision deadline as shown: a countdown, and overdue once past while undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub due_on: NaiveDate,
    /// Days until the due date (negative once past).
    pub days_left: i64,
    pub overdue: bool,
}

/// The day the commune must have decided by: `days` calendar days after the request.
pub fn due_on(requested_on: NaiveDate, days: u32) -> NaiveDate {
    requested_on + chrono::Duration::days(i64::from(days))
}

pub fn deadline(due_on: NaiveDate, status: PermitStatus, today: NaiveDate) -> Deadline {
    let days_left = (due_on - today).num_days();
    Deadline {
        due_on,
        days_left,
        overdue: status.awaiting_commune() && today > due_on,
    }
}

/// Why the joint day may not be confirmed yet, as a translation key; `None` when it may.
/// Blocked while the commune has not decided, has asked a question, or refused; approved
/// with conditions is fine once the case officer acknowledged them.
pub fn confirmation_blocker(
    status: PermitStatus,
    conditions_acknowledged: bool,
) -> Option<&'static str> {
    match status {
        PermitStatus::Pending => Some("permit.blocker.pending"),
        PermitStatus::InformationRequested => Some("permit.blocker.information_requested"),
        PermitStatus::Refused => Some("permit.blocker.refused"),
        PermitStatus::ApprovedWithConditions if !conditions_acknowledged => {
            Some("permit.blocker.conditions")
        }
        PermitStatus::ApprovedWithConditions
        | PermitStatus::Approved
        | PermitStatus::Cancelled
        | PermitStatus::Offline => None,
    }
}

/// The road the site's trench crosses or runs along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoadType {
    /// A communal road: the commune is the road manager (default).
    #[default]
    Communal,
    /// A regional road (SPW): sleeves lie deeper.
    Regional,
}

impl RoadType {
    pub fn code(self) -> &'static str {
        match self {
            Self::Communal => "communal",
            Self::Regional => "regional",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "communal" => Some(Self::Communal),
            "regional" => Some(Self::Regional),
            _ => None,
        }
    }

    /// Depth of the applicant's sleeves in centimetres: 1.00 m, 1.20 m on regional roads (V-8.5).
    pub fn sleeve_depth_cm(self) -> u32 {
        match self {
            Self::Communal => 100,
            Self::Regional => 120,
        }
    }
}

/// Most openings of one kind a site may state.
pub const OPENINGS_MAX: u32 = 20;

/// What the case officer states about a site's road works, as typed on the request page.
#[derive(Debug, Clone, Copy, Default)]
pub struct SiteInput<'a> {
    pub road_type: &'a str,
    pub sidewalk_openings: &'a str,
    pub road_openings: &'a str,
    pub traffic_measures: &'a str,
    pub site_point: &'a str,
}

/// The site's road works, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteDetails {
    pub road_type: RoadType,
    pub sidewalk_openings: u32,
    pub road_openings: u32,
    pub traffic_measures: Option<String>,
    /// WGS 84, whatever system it was typed in.
    pub site_point: Option<MapPoint>,
}

impl Default for SiteDetails {
    /// Until the case officer says otherwise: a communal road, one sidewalk opening.
    fn default() -> Self {
        Self {
            road_type: RoadType::Communal,
            sidewalk_openings: 1,
            road_openings: 0,
            traffic_measures: None,
            site_point: None,
        }
    }
}

/// Why a site detail was refused (translation key suffix `permit.site_error.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteProblem {
    RoadType,
    Openings,
    TrafficMeasures,
    Point,
}

impl SiteProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::RoadType => "road_type",
            Self::Openings => "openings",
            Self::TrafficMeasures => "traffic_measures",
            Self::Point => "site_point",
        }
    }
}

impl SiteDetails {
    /// Every problem at once, by field.
    pub fn parse(input: &SiteInput<'_>) -> Result<Self, Vec<(&'static str, SiteProblem)>> {
        let mut problems = Vec::new();
        let road_type = RoadType::parse(input.road_type.trim());
        if road_type.is_none() {
            problems.push(("road_type", SiteProblem::RoadType));
        }
        let mut openings = |field: &'static str, raw: &str| {
            let parsed = raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= OPENINGS_MAX);
            if parsed.is_none() {
                problems.push((field, SiteProblem::Openings));
            }
            parsed.unwrap_or_default()
        };
        let sidewalk_openings = openings("sidewalk_openings", input.sidewalk_openings);
        let road_openings = openings("road_openings", input.road_openings);
        let traffic_measures =
            optional_text(input.traffic_measures, TEXT_MAX).unwrap_or_else(|_| {
                problems.push(("traffic_measures", SiteProblem::TrafficMeasures));
                None
            });
        let site_point = if input.site_point.trim().is_empty() {
            None
        } else {
            parse_site_point(input.site_point).map_or_else(
                |_| {
                    problems.push(("site_point", SiteProblem::Point));
                    None
                },
                Some,
            )
        };
        match road_type {
            Some(road_type) if problems.is_empty() => Ok(Self {
                road_type,
                sidewalk_openings,
                road_openings,
                traffic_measures,
                site_point,
            }),
            _ => Err(problems),
        }
    }
}

/// Metres of trench an operator's works need: the quantities of its quote lines in metres,
/// else the operator's configured default (most standard connections are priced flat).
pub fn trench_metres<'a>(
    lines: impl IntoIterator<Item = (&'a str, Decimal)>,
    default: Decimal,
) -> Decimal {
    let measured: Decimal = lines
        .into_iter()
        .filter(|(unit, _)| *unit == "metre")
        .map(|(_, quantity)| quantity)
        .filter(|q| *q > Decimal::ZERO)
        .sum();
    if measured > Decimal::ZERO {
        measured
    } else {
        default
    }
}

/// Metres of trench several operators share (**interpretation**): the trench is opened once
/// along the longest route; beyond the second-longest only one operator lays, so the shared
/// part is the second-longest length. One operator alone shares nothing.
pub fn shared_trench_metres(lengths: &[Decimal]) -> Decimal {
    let mut sorted: Vec<Decimal> = lengths.to_vec();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.get(1).copied().unwrap_or(Decimal::ZERO)
}

/// Per-operator default trench lengths, from configuration: `electricity=15,water=12,*=15`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrenchDefaults {
    entries: Vec<(String, Decimal)>,
    fallback: Decimal,
}

impl TrenchDefaults {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        let mut fallback = Decimal::from(15);
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (service, metres) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: expected service=metres"))?;
            let metres: Decimal = metres
                .trim()
                .parse()
                .map_err(|_| format!("{item:?}: metres must be a number"))?;
            if metres < Decimal::ZERO {
                return Err(format!("{item:?}: metres cannot be negative"));
            }
            match service.trim() {
                "*" => fallback = metres,
                code => entries.push((code.to_owned(), metres)),
            }
        }
        Ok(Self { entries, fallback })
    }

    pub fn for_service(&self, service: &str) -> Decimal {
        self.entries
            .iter()
            .find(|(code, _)| code == service)
            .map_or(self.fallback, |(_, metres)| *metres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn c_6_only_an_approval_grants_the_works_and_statuses_read_back_from_their_codes() {
        crate::domain::assert_stored_codes(
            &[
                ("pending", PermitStatus::Pending),
                ("information_requested", PermitStatus::InformationRequested),
                ("approved", PermitStatus::Approved),
                (
                    "approved_with_conditions",
                    PermitStatus::ApprovedWithConditions,
                ),
                ("refused", PermitStatus::Refused),
                ("cancelled", PermitStatus::Cancelled),
                ("offline", PermitStatus::Offline),
            ],
            &["Approved", "granted"],
        );
        let granted: Vec<PermitStatus> = PermitStatus::ALL
            .into_iter()
            .filter(|status| status.granted())
            .collect();
        assert_eq!(
            granted,
            [PermitStatus::Approved, PermitStatus::ApprovedWithConditions]
        );
    }

    #[test]
    fn c_6_a_decision_is_made_only_as_the_same_status_with_the_same_text() {
        let conditions = Decision::ApproveWithConditions("Trottoir remis en état".into());
        let recorded = Some("Trottoir remis en état");
        assert!(conditions.made_as(PermitStatus::ApprovedWithConditions, recorded));
        assert!(!conditions.made_as(PermitStatus::ApprovedWithConditions, Some("Autre")));
        assert!(!conditions.made_as(PermitStatus::Pending, None));
        assert!(Decision::Approve.made_as(PermitStatus::Approved, None));
        assert!(!Decision::Refuse("Non".into()).made_as(PermitStatus::Approved, None));
    }

    #[test]
    fn c_6_the_deadline_counts_down_and_is_overdue_only_while_undecided() {
        let due = due_on(date("2026-03-02"), 45);
        assert_eq!(due, date("2026-04-16"));
        let running = deadline(due, PermitStatus::Pending, date("2026-04-06"));
        assert_eq!((running.days_left, running.overdue), (10, false));
        let last_day = deadline(due, PermitStatus::Pending, date("2026-04-16"));
        assert_eq!((last_day.days_left, last_day.overdue), (0, false));
        let late = deadline(due, PermitStatus::InformationRequested, date("2026-04-19"));
        assert_eq!((late.days_left, late.overdue), (-3, true));
        let decided = deadline(due, PermitStatus::Approved, date("2026-04-19"));
        assert!(!decided.overdue);
    }

    #[test]
    fn c_6_decisions_need_their_text_and_an_open_request() {
        assert_eq!(Decision::parse("approve", ""), Ok(Decision::Approve));
        assert_eq!(
            Decision::parse("refuse", "  "),
            Err(DecisionError::Text(InputError::Required))
        );
        assert_eq!(
            Decision::parse("refuse", "Voirie refaite en 2025").unwrap(),
            Decision::Refuse("Voirie refaite en 2025".into())
        );
        assert_eq!(Decision::parse("burn", "x"), Err(DecisionError::Unknown));
        let ask = Decision::RequestInformation("Plan ?".into());
        assert_eq!(
            ask.next_status(PermitStatus::Pending),
            Ok(PermitStatus::InformationRequested)
        );
        assert_eq!(
            ask.next_status(PermitStatus::InformationRequested),
            Err(DecisionError::AlreadyAsked)
        );
        assert_eq!(
            Decision::Approve.next_status(PermitStatus::InformationRequested),
            Ok(PermitStatus::Approved)
        );
        assert_eq!(
            Decision::Approve.next_status(PermitStatus::Refused),
            Err(DecisionError::NotOpen(PermitStatus::Refused))
        );
    }

    #[test]
    fn c_6_only_an_approval_lets_the_day_be_confirmed() {
        assert!(confirmation_blocker(PermitStatus::Pending, false).is_some());
        assert!(confirmation_blocker(PermitStatus::InformationRequested, false).is_some());
        assert!(confirmation_blocker(PermitStatus::Refused, true).is_some());
        assert!(confirmation_blocker(PermitStatus::ApprovedWithConditions, false).is_some());
        assert_eq!(
            confirmation_blocker(PermitStatus::ApprovedWithConditions, true),
            None
        );
        assert_eq!(confirmation_blocker(PermitStatus::Approved, false), None);
    }

    #[test]
    fn v_8_5_sleeves_lie_deeper_on_regional_roads() {
        assert_eq!(RoadType::default().sleeve_depth_cm(), 100);
        assert_eq!(RoadType::Regional.sleeve_depth_cm(), 120);
    }

    #[test]
    fn trench_lengths_come_from_metre_lines_else_the_default() {
        let lines = [
            ("flat", Decimal::ONE),
            ("metre", Decimal::from(8)),
            ("metre", Decimal::from(4)),
        ];
        assert_eq!(trench_metres(lines, Decimal::from(15)), Decimal::from(12));
        assert_eq!(
            trench_metres([("flat", Decimal::ONE)], Decimal::from(15)),
            Decimal::from(15)
        );
        let lengths = [Decimal::from(12), Decimal::from(20), Decimal::from(15)];
        assert_eq!(shared_trench_metres(&lengths), Decimal::from(15));
        assert_eq!(shared_trench_metres(&[Decimal::from(9)]), Decimal::ZERO);
    }

    #[test]
    fn site_details_are_checked_field_by_field() {
        let input = SiteInput {
            road_type: "regional",
            sidewalk_openings: "1",
            road_openings: "2",
            traffic_measures: " Circulation alternée ",
            site_point: "185000, 128000",
        };
        let details = SiteDetails::parse(&input).unwrap();
        assert_eq!(details.road_type.sleeve_depth_cm(), 120);
        assert_eq!(
            details.traffic_measures.as_deref(),
            Some("Circulation alternée")
        );
        assert!(details.site_point.is_some(), "Lambert 72 accepted");
        let wrong = SiteInput {
            road_type: "motorway",
            road_openings: "21",
            site_point: "nowhere",
            ..input
        };
        let problems = SiteDetails::parse(&wrong).unwrap_err();
        assert_eq!(
            problems,
            vec![
                ("road_type", SiteProblem::RoadType),
                ("road_openings", SiteProblem::Openings),
                ("site_point", SiteProblem::Point),
            ]
        );
    }

    #[test]
    fn trench_defaults_are_read_per_service() {
        let defaults = TrenchDefaults::parse("electricity=15, water=12.5, *=10").unwrap();
        assert_eq!(defaults.for_service("water"), "12.5".parse().unwrap());
        assert_eq!(defaults.for_service("voo"), Decimal::from(10));
        assert!(TrenchDefaults::parse("water").is_err());
        assert!(TrenchDefaults::parse("water=-1").is_err());
    }
}
