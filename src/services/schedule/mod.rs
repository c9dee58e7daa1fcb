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

mod backlog;
mod crew_changes;
mod lead_times;

pub use backlog::*;
pub use crew_changes::*;
pub use lead_times::*;

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
    let wished_from = request.wished_from;
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
