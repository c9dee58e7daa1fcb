//! When each operator's lead time towards the joint day (C-4) starts: from its answer, the
//! payment of its offer (V-8.2.1, B-5.4), the commune's permit (C-6) or its prerequisites
//! met; and the works' deadlines that follow.

use super::*;

/// Each operator's latest answer to a request, as the database read it: (service, `None`
/// while unanswered). The joint day, the lead times' starts and the works deadlines all read
/// these.
#[derive(Debug, Clone, Default)]
pub struct LatestAnswers(pub(super) Vec<(String, Option<Assessment>)>);

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
    pub(super) fn starting(&self) -> Vec<(&str, &Assessment)> {
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
pub(super) async fn answers_of(
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
pub(super) fn opens_public_domain(parsed: &[(&str, &Assessment)]) -> bool {
    parsed.iter().any(|(_, a)| a.crew.civil_works)
}

pub(super) fn permit_granted(status: Option<PermitStatus>) -> bool {
    status.is_some_and(PermitStatus::granted)
}

/// ORES' servicing runs from the latest of permits, payment and trenches (V-8.2.2): when each
/// prerequisite was met is read from the answer's history.
pub(super) fn starts_on_prerequisites(answer: &Assessment) -> bool {
    matches!(
        answer.lead_time.start,
        LeadTimeStart::LatestOfPermitsPaymentTrenches
    )
}

/// When each lead time started, from what was read: the parsed answers, the offer and its
/// dues, whether the commune's permit is awaited, and the history (recorded at, answer) of each
/// answer that [`starts_on_prerequisites`].
pub(super) fn starts_from<'h>(
    permit_decision_days: u32,
    parsed: &[(&str, &Assessment)],
    known: &KnownParts<'_>,
    permit_awaited: bool,
    history_of: impl Fn(&str) -> &'h [assessments::AnswerVersion],
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
                    let since = history.iter().find_map(|version| {
                        version
                            .answer
                            .prerequisites
                            .iter()
                            .any(|p| p.code == code && p.met)
                            .then(|| crate::clock::day_of(version.at))
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
    pub(super) construction: std::sync::Arc<ConstructionHolidays>,
    pub(super) starts: LeadTimeStarts,
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
