//! The joint day (rule C-4): candidate days for a request from its operators' lead times,
//! crews and bookings, and the all-or-nothing reservation of one of them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{holidays, permits};
use crate::domain::offer::OfferStatus;
use crate::domain::permit::PermitStatus;
use crate::domain::{CrewId, DueId, OfferId, OrganisationId, RequestId};
use crate::{
    db::{
        self, DbError, Scope, Tx, assessments, crews, offers,
        requests::{self, NewEvent, RequestRow},
    },
    domain::ServiceCode,
    domain::dues::{Direction, DueWhen},
    operators::{Assessment, Feasibility, LeadTimeStart},
    quote::DocumentScope,
    scheduling::{
        calendar::WorkCalendar,
        holidays::{ConstructionHolidays, Province},
        joint::{self, Blocked, Bookings, JointDayQuery, JointDays, OperatorWindow, Wait},
    },
    state::AppState,
};

/// How many candidate days the case officer is shown.
pub const CANDIDATES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("every operator must have answered first")]
    NotAssessed,
    #[error("the site is not in a Walloon province")]
    NoProvince,
    #[error("a joint day is already reserved: {0}")]
    AlreadyReserved(NaiveDate),
    #[error("{0} is not a possible day for this request")]
    NotACandidate(NaiveDate),
    /// A day before what must come first, or on which an operator cannot come: with why.
    #[error("{} is not possible for this request", .0.date)]
    Impossible(joint::ImpossibleDay),
    #[error("{day} was just taken")]
    Taken {
        day: NaiveDate,
        next: Vec<NaiveDate>,
    },
    #[error("no joint day is reserved")]
    NothingReserved,
    #[error("the works are not due yet, or already recorded")]
    NotDueYet,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("no common day: {0}")]
    Joint(#[from] joint::JointDayError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the planner needs of a request: its commune, province and operators' windows.
struct Plan {
    commune: String,
    province: Province,
    windows: Vec<OperatorWindow>,
    /// What must happen first, with the first day each leaves possible.
    waits: Vec<Wait>,
    today: NaiveDate,
}

fn province_of(state: &AppState, request: &RequestRow) -> Result<Province, ScheduleError> {
    holidays::province_of_commune(&state.directory, &request.commune_nis)
        .ok_or(ScheduleError::NoProvince)
}

/// Each operator's latest answer to a request, as the database read it: (service, `None`
/// while unanswered). The joint day, the lead times' starts and the works deadlines all read
/// these.
#[derive(Debug, Clone, Default)]
pub struct LatestAnswers(Vec<(String, Option<Assessment>)>);

impl LatestAnswers {
    /// From (service, answer) as read.
    pub fn of(answers: Vec<(String, Option<Assessment>)>) -> Self {
        Self(answers)
    }

    /// The answers given.
    pub fn answered(&self) -> impl Iterator<Item = &Assessment> {
        self.0.iter().filter_map(|(_, answer)| answer.as_ref())
    }

    /// The answers that can start a lead time: a refused or unavailable connection has none.
    fn starting(&self) -> Vec<(&str, &Assessment)> {
        self.0
            .iter()
            .filter_map(|(service, answer)| Some((service.as_str(), answer.as_ref()?)))
            .filter(|(_, answer)| {
                !matches!(
                    answer.feasibility,
                    Feasibility::Refused | Feasibility::NotAvailable
                )
            })
            .collect()
    }
}

/// The latest answer of each operator of a request.
async fn answers_of(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
) -> Result<LatestAnswers, ScheduleError> {
    Ok(LatestAnswers::of(
        assessments::answers_for(&state.db, scope, request.id)
            .await?
            .into_iter()
            .map(|row| (row.service, row.answer))
            .collect(),
    ))
}

/// Whether a condition that starts a lead time is met, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    Met(NaiveDate),
    /// Not asked of this request (nothing to pay, or paid after the works: V-8.2.1).
    NotAsked,
    Pending,
}

/// How far the request's offer went (V-8.2.1: the contract is formed on acceptance or on
/// full payment).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OfferStage {
    #[default]
    NotSent,
    Sent,
    Accepted,
}

/// The day each operator's lead time started, by service code, once its start event happened:
/// full payment (B-5.5), or the latest of permits, payment, trenches and coordinators' details
/// (V-8.2.2, V-8.4); and what still comes before the works: the offer accepted, each
/// operator paid (V-8.2.1, B-5.4), the commune's decision on the joint permit (C-6).
#[derive(Debug, Clone, Default)]
pub struct LeadTimeStarts {
    started: HashMap<String, NaiveDate>,
    offer: OfferStage,
    /// Operators whose invoice, due before the works, is not paid in full.
    unpaid: Vec<String>,
    /// The joint day needs the commune's permit (a civil-works crew, a commune on the
    /// portal) and it is not granted.
    permit_awaited: bool,
    permit_decision_days: u32,
}

impl LeadTimeStarts {
    pub fn of(&self, service: &str) -> Option<NaiveDate> {
        self.started.get(service).copied()
    }

    /// What must happen before the works, seen on `today`, with the first day each leaves
    /// possible (see [`joint::first_day_after_payment`], [`joint::first_day_after_permit`]).
    pub fn waits(&self, today: NaiveDate) -> Vec<Wait> {
        let mut waits = Vec::new();
        let after_payment = joint::first_day_after_payment(today);
        match self.offer {
            OfferStage::NotSent => waits.push(Wait {
                service: None,
                reason: Blocked::OfferNotSent,
                first_day: after_payment,
            }),
            // Paid in full, the contract is formed without the written acceptance (V-8.2.1).
            OfferStage::Sent if !self.unpaid.is_empty() => waits.push(Wait {
                service: None,
                reason: Blocked::OfferNotAccepted,
                first_day: after_payment,
            }),
            OfferStage::Sent => {}
            OfferStage::Accepted => {
                for service in &self.unpaid {
                    if let Ok(code) = ServiceCode::parse(service) {
                        waits.push(Wait {
                            service: Some(code),
                            reason: Blocked::NotPaid,
                            first_day: after_payment,
                        });
                    }
                }
            }
        }
        if self.permit_awaited {
            let (until, first_day) =
                joint::first_day_after_permit(today, self.permit_decision_days);
            waits.push(Wait {
                service: None,
                reason: Blocked::AwaitingPermit { until },
                first_day,
            });
        }
        waits
    }
}

/// The day a due was paid in full (V-8.2.1, B-5.4): the day of the payment that completed
/// it, instalments added up.
pub fn paid_in_full_on(due: &crate::services::offers::Due) -> Option<NaiveDate> {
    due.standing.settled_on
}

/// The prerequisites of ORES' answer whose meeting starts a servicing's lead time: permits
/// obtained, trenches available (V-8.2.2) and the coordinators' details received (V-8.4).
const SERVICING_START_PREREQUISITES: [&str; 3] =
    ["permit_copy", "trench_and_sleeve", "site_coordinators"];

/// What a case file has already read that the lead-time starts need, so that a page does not
/// read it twice: each service's operator, the latest offer version's status with its dues,
/// and the current permit's status. Only from a reader who sees every part of the request (the
/// applicant, the coordinator).
pub struct KnownParts<'a> {
    /// (service, organisation id) of every assessment.
    pub organisations: Vec<(String, OrganisationId)>,
    /// The latest offer version: its status and every due of it; none before the first offer.
    pub latest_offer: Option<(OfferStatus, &'a [crate::services::offers::Due])>,
    /// The current permit's status (none without a permit), when already read.
    pub permit_status: Option<Option<PermitStatus>>,
}

/// The latest offer version's status and dues, as read.
type LatestOffer = (OfferStatus, Vec<crate::services::offers::Due>);

/// Reads what [`KnownParts`] holds but the permit (read only when a civil-works crew comes).
async fn read_known_parts(
    state: &AppState,
    request: &RequestRow,
) -> Result<(Vec<(String, OrganisationId)>, Option<LatestOffer>), ScheduleError> {
    let organisations = assessments::organisations_of(&state.db, &request.access).await?;
    let latest_offer = offers::for_request(&state.db, &request.access).await?;
    let latest = match latest_offer.into_iter().next() {
        Some(latest) => {
            let dues = crate::services::offers::dues_of(
                offers::dues_of_request(&state.db, &request.access).await?,
                &offers::payments_of_request(&state.db, &request.access).await?,
            )?
            .into_iter()
            .filter(|d| d.offer_id == latest.id)
            .collect();
            Some((latest.status, dues))
        }
        None => None,
    };
    Ok((organisations, latest))
}

/// Reads when each lead time of a request started and what still comes before the works
/// (see [`LeadTimeStarts`]).
pub async fn lead_time_starts(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
) -> Result<LeadTimeStarts, ScheduleError> {
    let (organisations, latest) = read_known_parts(state, request).await?;
    let known = KnownParts {
        organisations,
        latest_offer: latest
            .as_ref()
            .map(|(status, dues)| (*status, dues.as_slice())),
        permit_status: None,
    };
    lead_time_starts_known(state, request, answers, &known).await
}

/// The same, with what the caller already read.
pub async fn lead_time_starts_known(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    known: &KnownParts<'_>,
) -> Result<LeadTimeStarts, ScheduleError> {
    let parsed = answers.starting();
    // The joint day opens the public domain when a civil-works crew comes: a commune on the
    // portal decides on the permit first (C-6), unless it already granted it.
    let mut permit_awaited = false;
    if opens_public_domain(&parsed) {
        let mut tx = state.db.begin_read().await?;
        let municipality = db::permits::municipality_of(&mut tx, request.id).await?;
        tx.rollback().await.map_err(DbError::from)?;
        if municipality.is_some() {
            permit_awaited = match known.permit_status {
                Some(status) => !permit_granted(status),
                None => !permit_granted(
                    db::permits::current_for_request(&state.db, &request.access)
                        .await?
                        .as_ref()
                        .map(|p| p.status),
                ),
            };
        }
    }
    let mut histories = HashMap::new();
    for (service, answer) in &parsed {
        if starts_on_prerequisites(answer) {
            let history =
                assessments::history_of_service(&state.db, &request.access, service).await?;
            histories.insert(*service, history);
        }
    }
    Ok(starts_from(
        state.config.permit_decision_days,
        &parsed,
        known,
        permit_awaited,
        |service| histories.get(service).map_or(&[], Vec::as_slice),
    ))
}

/// A civil-works crew opens the public domain (C-6).
fn opens_public_domain(parsed: &[(&str, &Assessment)]) -> bool {
    parsed.iter().any(|(_, a)| a.crew.civil_works)
}

fn permit_granted(status: Option<PermitStatus>) -> bool {
    status.is_some_and(PermitStatus::granted)
}

/// ORES' servicing runs from the latest of permits, payment and trenches (V-8.2.2): when each
/// prerequisite was met is read from the answer's history.
fn starts_on_prerequisites(answer: &Assessment) -> bool {
    matches!(
        answer.lead_time.start,
        LeadTimeStart::LatestOfPermitsPaymentTrenches
    )
}

/// When each lead time started, from what was read: the parsed answers, the offer and its
/// dues, whether the commune's permit is awaited, and the history (recorded at, answer) of each
/// answer that [`starts_on_prerequisites`].
fn starts_from<'h>(
    permit_decision_days: u32,
    parsed: &[(&str, &Assessment)],
    known: &KnownParts<'_>,
    permit_awaited: bool,
    history_of: impl Fn(&str) -> &'h [(String, Assessment)],
) -> LeadTimeStarts {
    let mut starts = LeadTimeStarts {
        permit_decision_days,
        permit_awaited,
        ..LeadTimeStarts::default()
    };
    let organisations = &known.organisations;
    starts.offer = match known.latest_offer.map(|(status, _)| status) {
        Some(OfferStatus::Accepted) => OfferStage::Accepted,
        Some(OfferStatus::Sent) => OfferStage::Sent,
        _ => OfferStage::NotSent,
    };
    let payees: Vec<&crate::services::offers::Due> = known
        .latest_offer
        .map(|(_, dues)| {
            dues.iter()
                .filter(|d| d.direction == Direction::ApplicantToOperator)
                .collect()
        })
        .unwrap_or_default();
    let offered = !payees.is_empty();
    for (service, answer) in parsed {
        let organisation = organisations
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, o)| *o);
        // ORES' servicing runs from the payment of its own document (V-8.2.2); every other
        // lead time from the payment of the operator's connections.
        let scope = match answer.lead_time.start {
            LeadTimeStart::LatestOfPermitsPaymentTrenches => DocumentScope::Servicing,
            _ => DocumentScope::Connections,
        };
        let of_operator: Vec<&crate::services::offers::Due> = payees
            .iter()
            .copied()
            .filter(|p| p.organisation_id == organisation)
            .collect();
        // Every document of the operator due before the works is paid first (B-5.4).
        if of_operator
            .iter()
            .any(|p| p.when == DueWhen::BeforeWorks && paid_in_full_on(p).is_none())
        {
            starts.unpaid.push((*service).to_owned());
        }
        let payee = of_operator
            .iter()
            .find(|p| p.scope == scope)
            .or(of_operator.first())
            .copied();
        let payment = match payee {
            Some(p) if p.when == DueWhen::AfterWorks => Condition::NotAsked,
            Some(p) => paid_in_full_on(p).map_or(Condition::Pending, Condition::Met),
            // An offer without this operator as payee asks it nothing.
            None if offered => Condition::NotAsked,
            None => Condition::Pending,
        };
        let mut conditions = vec![payment];
        match answer.lead_time.start {
            LeadTimeStart::ConditionsMet => continue,
            LeadTimeStart::Payment => {}
            LeadTimeStart::LatestOfPermitsPaymentTrenches => {
                let history = history_of(service);
                for code in SERVICING_START_PREREQUISITES {
                    let Some(now) = answer.prerequisites.iter().find(|p| p.code == code) else {
                        continue;
                    };
                    if !now.met {
                        conditions.push(Condition::Pending);
                        continue;
                    }
                    // Met since the first version of the answer saying so.
                    let since = history.iter().find_map(|(at, version)| {
                        version
                            .prerequisites
                            .iter()
                            .any(|p| p.code == code && p.met)
                            .then(|| db::parse_ts(at).ok().map(crate::clock::day_of))
                            .flatten()
                    });
                    conditions.push(since.map_or(Condition::Pending, Condition::Met));
                }
            }
        }
        if conditions.contains(&Condition::Pending) {
            continue;
        }
        if let Some(latest) = conditions
            .iter()
            .filter_map(|c| match c {
                Condition::Met(day) => Some(*day),
                _ => None,
            })
            .max()
        {
            starts.started.insert((*service).to_owned(), latest);
        }
    }
    starts
}

/// One operator's window with what it is counted from.
struct Window<'a> {
    service: ServiceCode,
    answer: &'a Assessment,
    started_on: Option<NaiveDate>,
    /// The day the lead time is counted from: its start, else the earliest it can happen.
    counted_from: NaiveDate,
    /// The day the lead time ends, even before `earliest` (a later wish of the applicant).
    due: NaiveDate,
    earliest: NaiveDate,
    latest: NaiveDate,
}

/// Each operator's window from its latest answer: (service, body, `None` while unanswered).
fn windows_of<'a>(
    request: &RequestRow,
    answers: &'a LatestAnswers,
    starts: &LeadTimeStarts,
    today: NaiveDate,
    province: Province,
    construction: &ConstructionHolidays,
) -> Result<Vec<Window<'a>>, ScheduleError> {
    let wished_from = request
        .wished_from
        .as_deref()
        .map(db::parse_date)
        .transpose()?;
    let waits = starts.waits(today);
    let mut windows = Vec::new();
    for (service, answer) in &answers.0 {
        // Every operator's and partner's crew comes on the one day (C-4, C-8).
        let Ok(code) = ServiceCode::parse(service) else {
            continue;
        };
        let answer = answer.as_ref().ok_or(ScheduleError::NotAssessed)?;
        // A part refused in writing (B-4.4) or not available here is not made: its operator
        // sends no crew and does not hold the day back.
        if matches!(
            answer.feasibility,
            Feasibility::Refused | Feasibility::NotAvailable
        ) {
            continue;
        }
        // No day before today, nor before the period the applicant wished for, nor before
        // what must come first (the offer accepted and paid, the commune's decision: V-8.2.1,
        // B-5.4, C-6); the lead time runs from its start event (payment, permits, trenches)
        // once it happened, else from then (its conditions are not met before).
        let from = waits
            .iter()
            .filter(|w| w.service.as_ref().is_none_or(|s| s.as_str() == service))
            .map(|w| w.first_day)
            .fold(
                wished_from.map_or(today, |wished| wished.max(today)),
                Ord::max,
            );
        let started_on = starts.of(service);
        let (earliest, latest) = answer
            .lead_time
            .window(started_on, from, province, construction);
        let due = answer
            .lead_time
            .due_date(started_on.unwrap_or(from), province, construction);
        windows.push(Window {
            service: code,
            answer,
            started_on,
            counted_from: started_on.unwrap_or(from),
            due,
            earliest,
            latest,
        });
    }
    Ok(windows)
}

/// The plan of a request from its assessments' latest answers: (service, body, `None` while
/// unanswered).
fn plan_from(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    starts: &LeadTimeStarts,
    today: NaiveDate,
    construction: &ConstructionHolidays,
) -> Result<Plan, ScheduleError> {
    let province = province_of(state, request)?;
    let windows: Vec<OperatorWindow> =
        windows_of(request, answers, starts, today, province, construction)?
            .into_iter()
            .map(|w| OperatorWindow {
                service: w.service,
                earliest: w.earliest,
                latest: w.latest,
            })
            .collect();
    if windows.is_empty() {
        return Err(ScheduleError::NotAssessed);
    }
    Ok(Plan {
        commune: request.commune_nis.clone(),
        province,
        windows,
        waits: starts.waits(today),
        today,
    })
}

/// By when each operator must do its works, and from what the lead time runs: for staff.
#[derive(Debug, Clone)]
pub struct WorksDeadline {
    pub service: String,
    pub latest: NaiveDate,
    /// The day the start event happened; `None` while it has not (then counted from
    /// `counted_from`, the earliest day it can happen).
    pub started_on: Option<NaiveDate>,
    pub counted_from: NaiveDate,
    pub answer: Assessment,
}

/// What a request's joint days and works deadlines are computed from, read once for both.
pub struct LeadTimeInputs {
    construction: std::sync::Arc<ConstructionHolidays>,
    starts: LeadTimeStarts,
}

/// Reads the construction holidays and when each lead time of the request started.
pub async fn lead_time_inputs(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    known: Option<&KnownParts<'_>>,
) -> Result<LeadTimeInputs, ScheduleError> {
    Ok(LeadTimeInputs {
        construction: holidays::current(state).await?,
        starts: match known {
            Some(known) => lead_time_starts_known(state, request, answers, known).await?,
            None => lead_time_starts(state, request, answers).await?,
        },
    })
}

/// The latest day of each operator's works (V-8.2.2, V-8.6, B-5.5), from the latest answers.
pub fn deadlines_with(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    today: NaiveDate,
    inputs: &LeadTimeInputs,
) -> Result<Vec<WorksDeadline>, ScheduleError> {
    let province = province_of(state, request)?;
    Ok(windows_of(
        request,
        answers,
        &inputs.starts,
        today,
        province,
        &inputs.construction,
    )?
    .into_iter()
    .map(|w| WorksDeadline {
        service: w.service.as_str().to_owned(),
        latest: w.due,
        started_on: w.started_on,
        counted_from: w.counted_from,
        answer: w.answer.clone(),
    })
    .collect())
}

async fn joint_days_in(
    tx: &mut Tx,
    plan: &Plan,
    construction: &ConstructionHolidays,
    wanted: usize,
) -> Result<(JointDays, Vec<joint::Crew>), ScheduleError> {
    let from = plan
        .windows
        .iter()
        .map(|w| w.earliest)
        .min()
        .unwrap_or_default();
    let to = plan
        .windows
        .iter()
        .map(|w| w.latest)
        .max()
        .unwrap_or_default();
    let services: Vec<ServiceCode> = plan.windows.iter().map(|w| w.service.clone()).collect();
    let crews = crews::serving(tx, &plan.commune, &services, from, to).await?;
    let ids: Vec<_> = crews.iter().map(|c| c.id).collect();
    let mut bookings = Bookings::new();
    for (crew, day, jobs) in crews::bookings(tx, &ids, from, to).await? {
        bookings.add(crew, day, jobs);
    }
    let days = joint::joint_days(
        JointDayQuery {
            commune: &plan.commune,
            province: plan.province,
            operators: &plan.windows,
            wanted,
            waits: &plan.waits,
            since: plan.today,
        },
        &crews,
        &bookings,
        construction,
    )?;
    Ok((days, crews))
}

/// The first candidate days of a request and why the earlier ones are impossible.
pub async fn candidates(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
    today: NaiveDate,
) -> Result<JointDays, ScheduleError> {
    let answers = answers_of(state, scope, request).await?;
    candidates_from_answers(state, request, &answers, today, None).await
}

/// The same, from the latest answers already read: (service, body, `None` while unanswered),
/// and what else the caller already read.
pub async fn candidates_from_answers(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    today: NaiveDate,
    known: Option<&KnownParts<'_>>,
) -> Result<JointDays, ScheduleError> {
    let inputs = lead_time_inputs(state, request, answers, known).await?;
    candidates_with(state, request, answers, today, &inputs).await
}

/// The same, with the inputs already read.
pub async fn candidates_with(
    state: &AppState,
    request: &RequestRow,
    answers: &LatestAnswers,
    today: NaiveDate,
    inputs: &LeadTimeInputs,
) -> Result<JointDays, ScheduleError> {
    let plan = plan_from(
        state,
        request,
        answers,
        &inputs.starts,
        today,
        &inputs.construction,
    )?;
    let mut tx = state.db.begin_read().await?;
    let (days, _) = joint_days_in(&mut tx, &plan, &inputs.construction, CANDIDATES).await?;
    tx.rollback().await.map_err(DbError::from)?;
    Ok(days)
}

/// Who reserves the day: the case officer, or the applicant through the private link.
pub enum Actor<'a> {
    Staff(&'a crate::db::sessions::SessionUser),
    Applicant,
}

/// Reserves `day` for every operator of the request at once: a crew of each, one job of its
/// capacity, or nothing at all. Safe under concurrency on both engines.
pub async fn reserve(
    state: &AppState,
    actor: Actor<'_>,
    request: &RequestRow,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ScheduleError> {
    let scope = match actor {
        Actor::Staff(user) => user.scope(),
        Actor::Applicant => requests::applicant_scope(request),
    };
    if let Some(reserved) = crews::reserved_day(&state.db, &request.access).await? {
        return Err(ScheduleError::AlreadyReserved(reserved));
    }
    let answers = answers_of(state, &scope, request).await?;
    let starts = lead_time_starts(state, request, &answers).await?;
    let mut tx = state.db.begin_write().await?;
    // Read again under the write: a double click queued behind the first one finds its day.
    if let Some(reserved) = crews::reserved_day_in(&mut tx, request.id).await? {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ScheduleError::AlreadyReserved(reserved));
    }
    // The construction holidays are read under a lock an edit of them waits for, so an edit
    // either counts here or finds this booking to flag (services::holidays).
    db::holidays::lock_for_booking(&state.db, &mut tx).await?;
    let construction = holidays::load(&mut *tx).await?;
    let plan = plan_from(
        state,
        request,
        &answers,
        &starts,
        crate::clock::day_of(now),
        &construction,
    )?;
    let (days, crews) = joint_days_in(&mut tx, &plan, &construction, 1).await?;
    // Refused with its reason: the offer, a payment or the commune's decision still to come
    // (V-8.2.1, B-5.4, C-6), a day off, no crew.
    // A day just filled is answered below with the days still possible.
    if let Some(impossible) = days.impossible.iter().find(|d| {
        d.date == day
            && !(d.waiting.is_empty() && d.blockers.iter().all(|b| b.reason == Blocked::CrewFull))
    }) {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ScheduleError::Impossible(impossible.clone()));
    }
    if day < days.from || day > days.to {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ScheduleError::NotACandidate(day));
    }
    let mut reserved_works = Vec::new();
    for window in &plan.windows {
        let mut taken = false;
        for crew in crews.iter().filter(|c| c.service == window.service) {
            let calendar = if crew.civil_works {
                WorkCalendar::civil_works(&construction, plan.province)
            } else {
                WorkCalendar::other_works(&construction, plan.province)
            }
            .with_absences(&crew.absences);
            if !calendar.is_working_day(day) {
                continue;
            }
            if crews::take_capacity(&mut tx, crew.id, day, crew.daily_capacity).await? {
                match crews::record_reservation(
                    &mut tx,
                    request.id,
                    &window.service,
                    crew.id,
                    day,
                    now,
                )
                .await
                {
                    Ok(()) => {}
                    // PostgreSQL: a simultaneous click reserved first and committed while
                    // this one waited on the reservation's key; its day stands.
                    Err(DbError::Conflict(_)) => {
                        tx.rollback().await.map_err(DbError::from)?;
                        return match crews::reserved_day(&state.db, &request.access).await? {
                            Some(reserved) => Err(ScheduleError::AlreadyReserved(reserved)),
                            None => Err(DbError::Conflict("reservations".into()).into()),
                        };
                    }
                    Err(other) => return Err(other.into()),
                }
                reserved_works.push(permits::ReservedWork {
                    service: window.service.clone(),
                    civil_works: crew.civil_works,
                });
                taken = true;
                break;
            }
        }
        if !taken {
            tx.rollback().await.map_err(DbError::from)?;
            // The last place may have gone to a simultaneous click for this same request.
            if let Some(reserved) = crews::reserved_day(&state.db, &request.access).await? {
                return Err(ScheduleError::AlreadyReserved(reserved));
            }
            let next = candidates(state, &scope, request, crate::clock::day_of(now))
                .await
                .map(|d| d.candidates.iter().map(|c| c.date).collect())
                .unwrap_or_default();
            return Err(ScheduleError::Taken { day, next });
        }
    }
    let day_text = day.to_string();
    // Works on the public domain: one joint permit request for the site (rule C-6).
    let permit = permits::request_for_joint_day(
        &mut tx,
        &state.config,
        &state.base_url,
        request,
        day,
        &reserved_works,
        now,
    )
    .await?;
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id: request.id,
            at: now,
            kind: "day_reserved",
            actor_kind: match actor {
                Actor::Staff(_) => "staff",
                Actor::Applicant => "applicant",
            },
            actor_id: match actor {
                Actor::Staff(user) => Some(user.user_id),
                Actor::Applicant => None,
            },
            actor_name: match actor {
                Actor::Staff(user) => Some(user.display_name.as_str()),
                Actor::Applicant => Some(request.applicant_name.as_str()),
            },
            organisation_id: None,
            detail: Some(&day_text),
            public: true,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if permit.is_some() {
        // The commune's mail was written with the permit (C-6).
        state.outbox_notify.notify_one();
    }
    Ok(day)
}

/// Cancels the joint day of a request (to pick another one): the capacity of every crew is
/// released in the same transaction as the timeline event.
pub async fn cancel(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    request: &RequestRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ScheduleError> {
    let mut tx = state.db.begin_write().await?;
    let Some(day) = crews::release(&mut tx, request.id).await? else {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ScheduleError::NothingReserved);
    };
    permits::cancel_for_request(&mut tx, request.id, Some(user), reason, now).await?;
    let detail = format!("{day} — {reason}");
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id: request.id,
            at: now,
            kind: "day_cancelled",
            actor_kind: "staff",
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: None,
            detail: Some(&detail),
            public: true,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(day)
}

/// Longest absence declared at once (a sick leave, a holiday); longer ones are split.
pub const MAX_ABSENCE_DAYS: i64 = 31;

/// Operator staff declare a crew away from `first` to `last` (both included). Requests whose
/// joint day falls then are flagged in their timeline for the case officer, who picks a new
/// day among the ones proposed; all days or none are recorded.
pub async fn declare_absence(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    crew_id: CrewId,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ScheduleError> {
    let mut affected = declare_absences(state, user, &[(crew_id, first, last)], now).await?;
    Ok(affected.pop().unwrap_or_default())
}

/// Several absences, each as [`declare_absence`], in one transaction: all of them or none are
/// recorded (an operator's system declaring a week of absences never leaves half of them).
/// For each absence, the references of the requests whose joint day it breaks.
pub async fn declare_absences(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    absences: &[(CrewId, NaiveDate, NaiveDate)],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<String>>, ScheduleError> {
    let mut tx = state.db.begin_write().await?;
    let mut all = Vec::new();
    for &(crew_id, first, last) in absences {
        let mut references = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let affected = crews::add_absence(&mut tx, &user.scope(), crew_id, day).await?;
            let detail = day.to_string();
            for &request_id in &affected {
                let request = requests::get_for_worker(&mut tx, request_id).await?;
                requests::insert_event(
                    &mut tx,
                    &NewEvent::staff_note(
                        request_id,
                        now,
                        "crew_absent_on_day",
                        user,
                        Some(&detail),
                    ),
                )
                .await?;
                if !references.contains(&request.reference) {
                    references.push(request.reference);
                }
            }
        }
        all.push(references);
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(all)
}

/// How far ahead "propose days for all" plans.
pub const BACKLOG_HORIZON_DAYS: usize = 120;

/// One waiting request and what the backlog plan proposes for it.
pub struct BacklogLine {
    pub request: RequestRow,
    pub day: Option<NaiveDate>,
    pub not_planned: Option<crate::scheduling::backlog::live::NotPlanned>,
}

pub struct BacklogProposal {
    pub lines: Vec<BacklogLine>,
    pub served: usize,
    pub openings: usize,
}

/// The coordinator's requests waiting for their joint day, with each one's latest answers
/// (service, body) and when its lead times started, by request id; the crews with their
/// bookings over the planning horizon from today, and the construction holidays.
struct Backlog {
    requests: Vec<RequestRow>,
    answers: HashMap<RequestId, LatestAnswers>,
    starts: HashMap<RequestId, LeadTimeStarts>,
    crews: Vec<joint::Crew>,
    bookings: Bookings,
    construction: ConstructionHolidays,
}

/// Reads the backlog in one transaction and a fixed number of statements, whatever its size
/// (one per kind of fact instead of several per waiting request): the same facts as
/// [`lead_time_starts`] reads for one request, and the crews' capacity, in one view.
async fn read_backlog(
    state: &AppState,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Backlog, ScheduleError> {
    let mut tx = state.db.begin_large_read().await?;
    let construction = holidays::load(&mut *tx).await?;
    let to = today + chrono::Days::new(BACKLOG_HORIZON_DAYS as u64);
    let (crews, booked) = crews::everything(&mut tx, today, to).await?;
    let mut bookings = Bookings::new();
    for (crew, day, jobs) in booked {
        bookings.add(crew, day, jobs);
    }
    let requests = requests::waiting_for_day(&mut tx, scope).await?;
    let mut answers: HashMap<RequestId, Vec<(String, Option<Assessment>)>> = HashMap::new();
    let mut organisations: HashMap<RequestId, Vec<(String, OrganisationId)>> = HashMap::new();
    for row in assessments::latest_of_waiting(&mut tx, scope).await? {
        organisations
            .entry(row.request_id)
            .or_default()
            .push((row.service.clone(), row.organisation_id));
        answers
            .entry(row.request_id)
            .or_default()
            .push((row.service, row.answer));
    }
    // The latest offer of each request with its dues, each due with its own payments.
    let offers = offers::latest_of_waiting(&mut tx, scope).await?;
    let mut dues: HashMap<OfferId, Vec<offers::DueRow>> = HashMap::new();
    for due in offers::dues_of_waiting(&mut tx, scope).await? {
        dues.entry(due.offer_id).or_default().push(due);
    }
    let mut payments: HashMap<DueId, Vec<offers::DuePaymentRow>> = HashMap::new();
    for payment in offers::payments_of_waiting(&mut tx, scope).await? {
        payments.entry(payment.due_id).or_default().push(payment);
    }
    let mut latest_offers = HashMap::new();
    for offer in offers {
        let rows = dues.remove(&offer.id).unwrap_or_default();
        let paid: Vec<offers::DuePaymentRow> = rows
            .iter()
            .flat_map(|due| payments.remove(&due.id).unwrap_or_default())
            .collect();
        let offer_dues = crate::services::offers::dues_of(rows, &paid)?;
        latest_offers.insert(offer.request_id, (offer.status, offer_dues));
    }
    // Only requests whose commune is on the portal: the status of their current permit.
    let permits: HashMap<RequestId, Option<PermitStatus>> = db::permits::of_waiting(&mut tx, scope)
        .await?
        .into_iter()
        .collect();
    let answers: HashMap<RequestId, LatestAnswers> = answers
        .into_iter()
        .map(|(request, rows)| (request, LatestAnswers::of(rows)))
        .collect();
    let parsed: HashMap<RequestId, Vec<(&str, &Assessment)>> = answers
        .iter()
        .map(|(request, answers)| (*request, answers.starting()))
        .collect();
    let mut services: Vec<&str> = parsed
        .values()
        .flatten()
        .filter(|(_, answer)| starts_on_prerequisites(answer))
        .map(|(service, _)| *service)
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut histories: HashMap<(RequestId, String), Vec<(String, Assessment)>> = HashMap::new();
    for version in assessments::histories_of_waiting(&mut tx, scope, &services).await? {
        histories
            .entry((version.request_id, version.service))
            .or_default()
            .push((version.created_at, version.answer));
    }
    tx.rollback().await.map_err(DbError::from)?;
    let mut starts = HashMap::new();
    for request in &requests {
        let id = request.id;
        let parsed = parsed.get(&id).map_or(&[][..], Vec::as_slice);
        let latest = latest_offers.get(&id);
        let known = KnownParts {
            organisations: organisations.remove(&id).unwrap_or_default(),
            latest_offer: latest.map(|(status, dues)| (*status, dues.as_slice())),
            permit_status: None,
        };
        // As for one request: a commune on the portal decides first unless it granted (C-6).
        let permit_awaited = opens_public_domain(parsed)
            && permits
                .get(&id)
                .is_some_and(|status| !permit_granted(*status));
        let request_starts = starts_from(
            state.config.permit_decision_days,
            parsed,
            &known,
            permit_awaited,
            |service| {
                histories
                    .get(&(id, service.to_owned()))
                    .map_or(&[], Vec::as_slice)
            },
        );
        starts.insert(id, request_starts);
    }
    Ok(Backlog {
        requests,
        answers,
        starts,
        crews,
        bookings,
        construction,
    })
}

/// "Propose days for all": every request of the coordinator waiting for its day, planned at
/// once by the backlog optimiser on the crews' free capacity (C-4, C-6). Nothing is reserved.
pub async fn propose_for_all(
    state: &AppState,
    scope: &Scope,
    today: NaiveDate,
) -> Result<BacklogProposal, ScheduleError> {
    use crate::scheduling::backlog::live::{self, NotPlanned, WaitingRequest};
    let Backlog {
        requests: waiting_rows,
        mut answers,
        mut starts,
        crews,
        bookings,
        construction,
    } = read_backlog(state, scope, today).await?;
    let mut waiting = Vec::new();
    let mut lines = Vec::new();
    for request in waiting_rows {
        let answers = answers.remove(&request.id).unwrap_or_default();
        let starts = starts.remove(&request.id).unwrap_or_default();
        match plan_from(state, &request, &answers, &starts, today, &construction) {
            Ok(plan) => waiting.push(WaitingRequest {
                key: request.id,
                commune: plan.commune,
                province: plan.province,
                windows: plan.windows,
            }),
            Err(ScheduleError::Db(error)) => return Err(error.into()),
            Err(_) => {}
        }
        lines.push(BacklogLine {
            request,
            day: None,
            not_planned: Some(NotPlanned::NoCommonWindow),
        });
    }
    // The optimiser works for a second on two threads: off the request-handling threads.
    let plan = tokio::task::spawn_blocking(move || {
        live::plan_waiting(
            today,
            BACKLOG_HORIZON_DAYS,
            &waiting,
            &crews,
            &bookings,
            &construction,
        )
    })
    .await
    .map_err(|e| DbError::Corrupt(format!("planning task: {e}")))?
    .map_err(|e| DbError::Corrupt(format!("backlog instance: {e}")))?;
    for line in &mut lines {
        if let Some(day) = plan.days.get(&line.request.id) {
            line.day = Some(*day);
            line.not_planned = None;
        } else if let Some(why) = plan.not_planned.get(&line.request.id) {
            line.not_planned = Some(*why);
        }
    }
    lines.sort_by_key(|l| (l.day.is_none(), l.day, l.request.commune_name.clone()));
    Ok(BacklogProposal {
        served: plan.days.len(),
        openings: plan.openings,
        lines,
    })
}

/// Why a crew change is refused (nothing is changed then).
#[derive(Debug, thiserror::Error)]
pub enum CrewError {
    #[error("no such crew for this organisation")]
    NotFound,
    #[error("{booked} jobs are already booked on {day}")]
    CapacityBelowBookings { day: String, booked: i64 },
    #[error("request {reference} is booked on {day} in a commune no longer served")]
    CommuneStillBooked { reference: String, day: String },
    #[error("jobs still to come: {0:?}")]
    ComingJobs(Vec<(String, String)>),
    /// Another of the operator's crews, a retired one included, has that name.
    #[error("a crew is already named {0}")]
    NameTaken(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for CrewError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => CrewError::NotFound,
            other => CrewError::Db(other),
        }
    }
}

/// Operator staff change a crew. Booked joint days stay honoured: the capacity cannot drop
/// below a day's bookings, nor can a commune with a coming booking be dropped.
pub async fn change_crew(
    state: &AppState,
    scope: &Scope,
    crew_id: CrewId,
    change: &crews::CrewChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), CrewError> {
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    crews::own_for_change(&mut tx, scope, crew_id).await?;
    if let Some((day, booked)) =
        crews::first_day_booked_above(&mut tx, crew_id, today, change.daily_capacity).await?
    {
        return Err(CrewError::CapacityBelowBookings { day, booked });
    }
    if let Some(job) = crews::coming_jobs(&mut tx, crew_id, today)
        .await?
        .into_iter()
        .find(|job| !change.communes.contains(&job.commune_nis))
    {
        return Err(CrewError::CommuneStillBooked {
            reference: job.reference,
            day: job.day,
        });
    }
    // Names stay unique among all the operator's crews, retired ones included.
    crews::update(&mut tx, crew_id, change)
        .await
        .map_err(|error| match error {
            DbError::Conflict(_) => CrewError::NameTaken(change.name.to_owned()),
            other => other.into(),
        })?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Retires a crew once it has no joint day to come: new days no longer count on it.
pub async fn retire_crew(
    state: &AppState,
    scope: &Scope,
    crew_id: CrewId,
    now: DateTime<Utc>,
) -> Result<(), CrewError> {
    let mut tx = state.db.begin_write().await?;
    crews::own_for_change(&mut tx, scope, crew_id).await?;
    let coming = crews::coming_jobs(&mut tx, crew_id, crate::clock::day_of(now)).await?;
    if !coming.is_empty() {
        return Err(CrewError::ComingJobs(
            coming.into_iter().map(|j| (j.reference, j.day)).collect(),
        ));
    }
    crews::retire(&mut tx, crew_id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
