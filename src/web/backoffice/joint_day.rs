//! The joint day on the case officer's request page (C-4): its view (reserved, candidates and
//! why earlier days fail) and the actions — reserve, cancel, works done.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::domain::{AssessmentId, RequestId};
use crate::http::extract::IdPath;
use crate::web::{
    error::PageError,
    extract::{CsrfForm, Staff},
    views::ServiceNames,
};
use crate::{
    i18n::Tr,
    scheduling::joint::Blocked,
    services::{
        case_file::{StaffCaseFile, StaffJointDay},
        operator_work,
        schedule::{self, ScheduleError},
    },
    state::AppState,
};

use super::{coordinator_request, refused_on_detail};

/// The joint day as the case officer sees it (rule C-4).
pub struct JointDayView {
    pub reserved: Option<String>,
    /// The case officer may cancel it; operators only see it.
    pub can_change: bool,
    /// For an operator: its own works on that day, to record once done (None: not reserved).
    pub works: Option<(AssessmentId, bool)>,
    /// A booked crew declared itself away on the reserved day.
    pub crew_absent: bool,
    /// A construction holiday now on the booked day, said in full (V-8.2.2).
    pub construction_holiday: Option<String>,
    pub candidates: Vec<(String, String)>,
    pub impossible: Vec<(String, String)>,
    /// Why no day before the window opens: whose lead time or prerequisites set its start.
    pub not_before: Option<String>,
    pub unavailable: Option<String>,
    /// Each operator's latest day and what its lead time runs from (V-8.2.2, V-8.6, B-5.5).
    pub deadlines: Vec<String>,
}

/// `23/11/2026`, as the French and Dutch figures write it.
pub fn day_label(day: chrono::NaiveDate) -> String {
    crate::i18n::Tr(crate::domain::Language::Fr).numeric_date(day)
}

pub(super) fn joint_day_view(
    tr: Tr,
    file: &StaffCaseFile,
    today: chrono::NaiveDate,
    names: &ServiceNames,
) -> Option<JointDayView> {
    let deadlines = file
        .deadlines
        .iter()
        .map(|deadline| {
            let since = match deadline.started_on {
                Some(day) => tr.f(
                    "joint.deadline_since",
                    [("day", tr.numeric_date(day).as_str())],
                ),
                None => tr.f(
                    "joint.deadline_not_started",
                    [("day", tr.numeric_date(deadline.counted_from).as_str())],
                ),
            };
            tr.f(
                "joint.deadline",
                [
                    ("operator", names.name(&deadline.service).as_str()),
                    ("day", day_label(deadline.latest).as_str()),
                    (
                        "lead",
                        crate::operators::describe::lead_time_text(tr, &deadline.answer).as_str(),
                    ),
                    ("since", since.as_str()),
                ],
            )
        })
        .collect();
    let empty = JointDayView {
        reserved: None,
        can_change: true,
        works: None,
        crew_absent: false,
        construction_holiday: None,
        candidates: Vec::new(),
        impossible: Vec::new(),
        not_before: None,
        unavailable: None,
        deadlines,
    };
    match &file.joint_day {
        StaffJointDay::Hidden => None,
        // An operator sees the joint day and records its own works once done; the case
        // officer may cancel it.
        StaffJointDay::Reserved {
            day,
            crew_absent,
            construction_holiday,
            own_works,
            ..
        } => Some(JointDayView {
            reserved: Some(day_label(*day)),
            can_change: file.coordinator,
            works: *own_works,
            crew_absent: *crew_absent,
            construction_holiday: construction_holiday.as_ref().map(|(day, name)| {
                tr.f(
                    "joint.construction_holiday",
                    [
                        ("name", name.as_str()),
                        ("day", tr.numeric_date(*day).as_str()),
                    ],
                )
            }),
            ..empty
        }),
        StaffJointDay::Open(Ok(days)) => Some(JointDayView {
            candidates: days
                .candidates
                .iter()
                .map(|c| (c.date.to_string(), day_label(c.date)))
                .collect(),
            impossible: impossible_lines(tr, |code| names.name(code), &days.impossible),
            // What the request waits for explains the days before the window itself.
            not_before: (days.from > today
                && days.impossible.iter().all(|d| {
                    d.waiting.is_empty() && d.blockers.iter().all(|b| b.reason != Blocked::NotPaid)
                }))
            .then(|| {
                let operators: Vec<String> = days
                    .from_set_by
                    .iter()
                    .map(|s| names.name(s.as_str()))
                    .collect();
                let day = day_label(days.from);
                let operators = operators.join(", ");
                tr.f(
                    "joint.not_before",
                    [("day", day.as_str()), ("operators", operators.as_str())],
                )
            }),
            ..empty
        }),
        StaffJointDay::Open(Err(refused)) => Some(JointDayView {
            unavailable: Some(schedule_refusal(tr, refused)),
            ..empty
        }),
    }
}

/// A reason a day is not possible, in the reader's language, without rule codes (the
/// applicant reads them too).
pub fn blocked_text(tr: Tr, reason: Blocked) -> String {
    match reason {
        Blocked::AwaitingPermit { until } => tr.f(
            "joint.blocked.AwaitingPermit",
            [("day", day_label(until).as_str())],
        ),
        other => tr.keyed("joint.blocked", other.key()),
    }
}

/// Why one day is not possible: what the whole request waits for, then each blocked operator.
pub fn impossible_reasons(
    tr: Tr,
    name: impl Fn(&str) -> String,
    day: &crate::scheduling::ImpossibleDay,
) -> String {
    let mut reasons: Vec<String> = day.waiting.iter().map(|r| blocked_text(tr, *r)).collect();
    reasons.extend(day.blockers.iter().map(|b| {
        format!(
            "{} : {}",
            name(b.service.as_str()),
            blocked_text(tr, b.reason)
        )
    }));
    reasons.join(" ; ")
}

/// The impossible days as (days, reasons) lines: weekends alone are left out, and following
/// days with the same reasons are one line "from – to" (45 days awaiting a permit are one).
pub fn impossible_lines(
    tr: Tr,
    name: impl Fn(&str) -> String,
    days: &[crate::scheduling::ImpossibleDay],
) -> Vec<(String, String)> {
    // Following days blocked alike are said once: their reasons are written per run of
    // days, not per day (a wait of weeks for the offer or a permit is one run).
    let mut runs: Vec<(&crate::scheduling::ImpossibleDay, chrono::NaiveDate)> = Vec::new();
    for day in days.iter().filter(|d| {
        !d.blockers.iter().all(|b| b.reason == Blocked::Weekend) || !d.waiting.is_empty()
    }) {
        match runs.last_mut() {
            Some((first, to)) if first.blockers == day.blockers && first.waiting == day.waiting => {
                *to = day.date;
            }
            _ => runs.push((day, day.date)),
        }
    }
    let mut lines: Vec<(chrono::NaiveDate, chrono::NaiveDate, String)> = Vec::new();
    for (first, to) in runs {
        let reasons = impossible_reasons(tr, &name, first);
        match lines.last_mut() {
            Some((_, last_to, last)) if *last == reasons => *last_to = to,
            _ => lines.push((first.date, to, reasons)),
        }
    }
    lines
        .into_iter()
        .map(|(from, to, reasons)| {
            let days = if from == to {
                day_label(from)
            } else {
                format!("{} – {}", day_label(from), day_label(to))
            };
            (days, reasons)
        })
        .collect()
}

pub fn schedule_refusal(tr: Tr, error: &ScheduleError) -> String {
    match error {
        ScheduleError::Impossible(day) => tr.f(
            "joint.impossible",
            [
                ("day", day_label(day.date).as_str()),
                (
                    "reasons",
                    impossible_reasons(tr, |code| tr.service(code), day).as_str(),
                ),
            ],
        ),
        ScheduleError::NotAssessed => tr.t("joint.not_assessed").to_owned(),
        ScheduleError::NoProvince => tr.t("joint.no_province").to_owned(),
        ScheduleError::AlreadyReserved(day) => {
            tr.f("joint.already", [("day", day_label(*day).as_str())])
        }
        ScheduleError::NotACandidate(day) => {
            tr.f("joint.not_candidate", [("day", day_label(*day).as_str())])
        }
        ScheduleError::Taken { day, next } => {
            let next: Vec<String> = next.iter().map(|d| day_label(*d)).collect();
            tr.f(
                "joint.taken",
                [
                    ("day", day_label(*day).as_str()),
                    ("next", next.join(", ").as_str()),
                ],
            )
        }
        ScheduleError::Joint(_) => tr.t("joint.no_common_day").to_owned(),
        ScheduleError::NothingReserved => tr.t("joint.nothing_reserved").to_owned(),
        ScheduleError::NotDueYet => tr.t("joint.not_due").to_owned(),
        ScheduleError::ReasonRequired => tr.t("joint.reason_required").to_owned(),
        ScheduleError::Db(_) => tr.t("page_error.internal.text").to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DayForm {
    day: String,
    reason: String,
}

/// Operator staff record their works on the joint day as done.
pub(super) async fn works_done(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(assessment_id): IdPath<AssessmentId>,
    CsrfForm(_form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let Some(request_id) =
        operator_work::request_of_own(&state, &staff.user, assessment_id).await?
    else {
        return Err(PageError::NotFound);
    };
    match crate::services::works::works_done(&state, &staff.user, assessment_id, state.clock.now())
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/backoffice/requests/{request_id}#joint-day")).into_response(),
        ),
        Err(ScheduleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = schedule_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, request_id, text).await
        }
    }
}

/// The case officer cancels the joint day (to choose another one); crews get their capacity back.
pub(super) async fn cancel_day(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let outcome = match crate::domain::error::required_text(&form.reason, 500) {
        Ok(reason) => {
            schedule::cancel(&state, &staff.user, &request, &reason, state.clock.now()).await
        }
        Err(_) => Err(ScheduleError::ReasonRequired),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/backoffice/requests/{id}#joint-day")).into_response()),
        Err(ScheduleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = schedule_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, id, text).await
        }
    }
}

/// The case officer reserves the joint day for every operator at once.
pub(super) async fn reserve_day(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let outcome = match chrono::NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d") {
        Ok(day) => {
            schedule::reserve(
                &state,
                schedule::Actor::Staff(&staff.user),
                &request,
                day,
                state.clock.now(),
            )
            .await
        }
        Err(_) => Err(ScheduleError::NotACandidate(chrono::NaiveDate::MIN)),
    };
    match outcome {
        Ok(_) => Ok(
            Redirect::to(&format!("/backoffice/requests/{id}?saved=1#joint-day")).into_response(),
        ),
        Err(ScheduleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = schedule_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, id, text).await
        }
    }
}
