//! The staff queue and request pages. Every read goes through the signed-in user's scope:
//! a request that does not involve their organisation does not exist for them.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, ServiceNames, brussels, local_date_in, local_datetime_in, site_line},
};
use crate::{
    domain::{
        ElectricityBand, RequestState, Service,
        servicing::{EXCLUSIONS, ServicingStudy, StudyInput, exclusion_code},
        survey::{HOLDER_ROWS, HolderInput, SurveyInput, WaterSurvey},
    },
    http::{query::QueueQuery, refusal::adjust_refusal},
    i18n::Tr,
    scheduling::joint::Blocked,
    services::operator_work::{self, OperatorQueue, OperatorQueueRow},
    services::{
        DbError,
        assess::{self, AdjustError, Adjustment, LineInput},
        case_file::{self, Event, RequestRow, ServiceLine, StaffCaseFile, StaffJointDay},
        queue,
        schedule::{self, ScheduleError},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice", get(queue))
        .route("/backoffice/requests/{id}", get(detail))
        .route("/operator", get(operator_queue))
        .route("/operator/assessments/{id}", post(adjust))
        .route("/operator/assessments/{id}/done", post(works_done))
        .route("/backoffice/requests/{id}/day", post(reserve_day))
        .route("/backoffice/requests/{id}/assign", post(assign))
        .route("/backoffice/requests/{id}/day/cancel", post(cancel_day))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/queue.html")]
struct QueuePage {
    tr: Tr,
    page: Frame,
    query: QueueQuery,
    queue: queue::QueuePage,
    states: Vec<&'static str>,
}

impl QueuePage {
    fn day(&self, row: &queue::QueueRow) -> String {
        self.tr
            .numeric_date(super::views::brussels(row.submitted_at).date())
    }

    /// Why the request's permit needs the case officer (a question, conditions, a refusal).
    fn permit_flag(&self, row: &queue::QueueRow) -> Option<String> {
        row.permit_flag
            .as_deref()
            .map(|status| self.tr.keyed("permit.queue_flag", status))
    }

    /// The same queue at another page, filters and order kept.
    fn page_href(&self, page: u32) -> String {
        format!("/backoffice?{}", self.query.page_link(page))
    }

    /// The same filters in another order, from the first page.
    fn order_href(&self, order: &str) -> String {
        let query = QueueQuery {
            order: order.to_owned(),
            ..self.query.clone()
        };
        format!("/backoffice?{}", query.page_link(1))
    }

    fn first_line(&self) -> i64 {
        self.queue.paging.offset() + 1
    }

    fn last_line(&self) -> i64 {
        self.queue.paging.offset() + self.queue.rows.len() as i64
    }
}

async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<QueuePage, PageError> {
    let queue = queue::page(
        &state,
        &staff.user,
        &query.filter(
            staff.user.user_id,
            crate::domain::tenancy::StateFilter::Open,
        ),
        query.order(),
        query.paging(),
    )
    .await?;
    Ok(QueuePage {
        tr: staff.tr,
        page: super::views::warned_frame(&state, &staff).await?,
        query,
        queue,
        states: RequestState::ALL.iter().map(|s| s.code()).collect(),
    })
}

/// Each requested connection with its label, details and the operator serving it.
pub fn service_labels(
    tr: Tr,
    names: &ServiceNames,
    request: &RequestRow,
    services: &[ServiceLine],
) -> Vec<String> {
    let mut rows: Vec<&ServiceLine> = services.iter().collect();
    rows.sort_by_key(|row| {
        Service::ALL
            .iter()
            .position(|s| s.code() == row.service)
            .unwrap_or(usize::MAX)
    });
    rows.into_iter()
        .map(|row| {
            let mut label = names.name(&row.service);
            if row.service == "electricity"
                && let Some(band) = request
                    .electricity_band
                    .as_deref()
                    .and_then(|b| ElectricityBand::parse(b).ok())
            {
                label = format!("{label} — {}", tr.band(band));
            }
            match &row.operator {
                // "Eau (SWDE)" already names its operator: never "Eau (SWDE) (SWDE)".
                Some(operator) if label.contains(operator.as_str()) => label,
                Some(operator) => format!("{label} ({operator})"),
                // Said in writing with its rule, as in the confirmation mail (journey 6).
                None => format!(
                    "{label} — {}",
                    tr.f(
                        "request.no_operator",
                        [("commune", request.commune_name.as_str())]
                    )
                ),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/request.html")]
pub(super) struct DetailPage {
    tr: Tr,
    page: Frame,
    request: RequestRow,
    site: String,
    /// New build or existing home, what is asked of existing connections, the VAT position.
    home: Vec<(String, String)>,
    services: Vec<String>,
    assessments: Vec<AssessmentView>,
    events: Vec<Event>,
    names: ServiceNames,
    /// For the case officer: the reserved day, or the candidates and why earlier days fail.
    joint_day: Option<JointDayView>,
    /// The outcome of the change just made, or why it was refused.
    notice: Option<Notice>,
    /// The joint road-works permit (rule C-6): site details, status, what blocks the day.
    permit: Option<super::municipality::PermitPanel>,
    /// For the case officer: the consolidated offer, its versions and payments.
    offer: Option<super::offers::OfferPanel>,
    /// For the case officer: the dossier-opening fee invoiced at filing (V-3.1).
    dossier_fee: Option<super::dossier_fee::DossierFeePanel>,
    /// The officer may record the dossier fee's payment (this page is the case officer's).
    can_record_dossier_fee: bool,
    /// For the case officer: who is in charge, and to whom it can be handed.
    officers: Vec<(String, String)>,
    /// The documents the reader may open; for the case officer, the completeness checklist.
    pub(super) docs: Option<super::documents::OfficePanel>,
    /// Today in Brussels (`2026-12-02`): no payment is dated later (the date fields' `max`).
    today: String,
}

/// The joint day as the case officer sees it (rule C-4).
pub struct JointDayView {
    pub reserved: Option<String>,
    /// The case officer may cancel it; operators only see it.
    pub can_change: bool,
    /// For an operator: its own works on that day, to record once done (None: not reserved).
    pub works: Option<(String, bool)>,
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

pub fn day_label(day: chrono::NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

fn joint_day_view(
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
            works: own_works.clone(),
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
    let mut lines: Vec<(chrono::NaiveDate, chrono::NaiveDate, String)> = Vec::new();
    for day in days.iter().filter(|d| {
        !d.blockers.iter().all(|b| b.reason == Blocked::Weekend) || !d.waiting.is_empty()
    }) {
        let reasons = impossible_reasons(tr, &name, day);
        match lines.last_mut() {
            Some((_, to, last)) if *last == reasons => *to = day.date,
            _ => lines.push((day.date, day.date, reasons)),
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
struct DayForm {
    day: String,
    reason: String,
}

/// Operator staff record their works on the joint day as done.
async fn works_done(
    State(state): State<AppState>,
    staff: Staff,
    Path(assessment_id): Path<String>,
    CsrfForm(_form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let Some(request_id) =
        operator_work::request_of_own(&state, &staff.user, &assessment_id).await?
    else {
        return Err(PageError::NotFound);
    };
    match crate::services::works::works_done(&state, &staff.user, &assessment_id, state.clock.now())
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/backoffice/requests/{request_id}#joint-day")).into_response(),
        ),
        Err(ScheduleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = schedule_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, &request_id, text).await
        }
    }
}

/// A request of the signed-in case officer's own coordinator: the joint day is theirs to set
/// (C-2); for anybody else the request does not exist here.
pub(in crate::web) async fn coordinator_request(
    state: &AppState,
    staff: &Staff,
    id: &str,
) -> Result<RequestRow, PageError> {
    Ok(case_file::coordinated_request(state, &staff.user, id).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AssignForm {
    /// The officer to put in charge; empty: the signed-in one takes it.
    officer: String,
    /// Where to go back: the queue or the request page.
    back: String,
}

/// A case officer takes a request, or hands it to a colleague; the timeline says who and when.
async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
    let officer = match form.officer.trim() {
        "" => staff.user.user_id,
        other => uuid::Uuid::parse_str(other).map_err(|_| PageError::NotFound)?,
    };
    let request_id = uuid::Uuid::parse_str(&request.id).map_err(|_| PageError::Internal)?;
    let now = state.clock.now();
    match crate::services::assignment::assign(&state, &staff.user, request_id, officer, now).await {
        Ok(_) => {}
        Err(crate::services::assignment::AssignError::Refused) => {
            let text = staff.tr.t("queue.assign_refused").to_owned();
            return refused_on_detail(&state, staff, &id, text).await;
        }
        Err(crate::services::assignment::AssignError::Db(error)) => return Err(error.into()),
    }
    if form.back == "queue" {
        return Ok(Redirect::to("/backoffice?assigned=me").into_response());
    }
    Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1")).into_response())
}

/// The case officer cancels the joint day (to choose another one); crews get their capacity back.
async fn cancel_day(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
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
            refused_on_detail(&state, staff, &id, text).await
        }
    }
}

/// The case officer reserves the joint day for every operator at once.
async fn reserve_day(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
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
            refused_on_detail(&state, staff, &id, text).await
        }
    }
}

pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// "Eau (SWDE)", "Proximus", "Électricité (ORES) — ORES électricité": the operator only when
/// the service's name does not already say it (never "VOO — VOO").
fn assessment_heading(service: &str, operator: &str) -> String {
    if service.contains(operator) {
        service.to_owned()
    } else {
        format!("{service} — {operator}")
    }
}

/// One operator's answer as the page shows it, every label already translated.
pub struct AssessmentView {
    pub id: String,
    /// The signed-in user's own organisation answered it: they may change it.
    pub editable: bool,
    /// Its lines may be corrected: by the operator, or by the case officer before the works
    /// are paid for.
    pub lines_editable: bool,
    pub heading: String,
    pub status: String,
    pub late: bool,
    pub due: String,
    pub version: i64,
    pub feasibility: Option<String>,
    /// Why the books gave the part no price (no tariff in force on its date, V-5).
    pub unpriced: Option<String>,
    pub reasons: Vec<String>,
    /// What is quoted separately and the texts the offer carries for this part.
    pub offer_notes: Vec<String>,
    pub note: Option<String>,
    /// Why the part is refused, each reason with its rule (B-4.4), translated.
    pub refusals: Vec<String>,
    pub prerequisites: Vec<PrerequisiteView>,
    pub crew: Option<String>,
    pub lead_time: Option<String>,
    pub lines: Vec<super::estimate::LineView>,
    pub lines_total: String,
    /// ORES electricity's servicing study form, prefilled, on its own answer to a servicing.
    pub study: Option<StudyView>,
    /// SWDE's survey form, prefilled, on its own water answer.
    pub survey: Option<SurveyView>,
    /// The VAT regimes a line added here may take (code, label), as the applicant's VAT
    /// position allows.
    pub regimes: Vec<(&'static str, String)>,
}

/// SWDE's survey as the form shows it.
pub struct SurveyView {
    pub distance_to_main_m: String,
    pub inside_parcel_m: String,
    pub extension_m: String,
    pub pressure_installation: bool,
    /// Name, parcel, cost, months, day of payment; one row per form row.
    pub holders: Vec<[String; 5]>,
    /// After a refusal: the reason and conclusion as typed.
    pub reason: String,
    pub not_feasible: bool,
    /// After a refusal: each refused field (`survey_distance_to_main_m`, `survey_holder_2`,
    /// `text`…) with why, shown next to it.
    pub problems: Vec<(String, String)>,
}

impl SurveyView {
    /// Why `field` was refused, if it was.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, why)| why.as_str())
    }

    /// Why holder row `index` (from 1) was refused, if it was.
    pub fn row_err(&self, index: impl std::borrow::Borrow<usize>) -> Option<&str> {
        self.err(&format!("survey_holder_{}", index.borrow()))
    }

    /// The survey form again as typed, after a refusal (nothing was recorded).
    fn typed(form: &AdjustForm, problems: Vec<(String, String)>) -> Self {
        fn at(values: &[String], i: usize) -> String {
            values.get(i).cloned().unwrap_or_default()
        }
        let rows = HOLDER_ROWS.max(form.holder_name.len());
        SurveyView {
            distance_to_main_m: form.distance_to_main_m.clone(),
            inside_parcel_m: form.inside_parcel_m.clone(),
            extension_m: form.extension_m.clone(),
            pressure_installation: !form.pressure_installation.is_empty(),
            holders: (0..rows)
                .map(|i| {
                    [
                        at(&form.holder_name, i),
                        at(&form.holder_parcel, i),
                        at(&form.holder_cost, i),
                        at(&form.holder_months, i),
                        at(&form.holder_paid_on, i),
                    ]
                })
                .collect(),
            reason: form.text.clone(),
            not_feasible: !form.not_feasible.is_empty(),
            problems,
        }
    }
}

fn survey_view(stored: Option<&str>) -> Result<SurveyView, DbError> {
    let Some(json) = stored else {
        return Ok(SurveyView {
            distance_to_main_m: String::new(),
            inside_parcel_m: String::new(),
            extension_m: String::new(),
            pressure_installation: false,
            holders: vec![Default::default(); HOLDER_ROWS],
            reason: String::new(),
            not_feasible: false,
            problems: Vec::new(),
        });
    };
    let survey: WaterSurvey =
        serde_json::from_str(json).map_err(|e| DbError::Corrupt(format!("water survey: {e}")))?;
    let mut holders: Vec<[String; 5]> = survey
        .holders
        .iter()
        .map(|h| {
            [
                h.holder.clone(),
                h.parcel.clone(),
                h.section_cost.amount().normalize().to_string(),
                if h.paid_on.is_some() {
                    String::new()
                } else {
                    h.months_since_payment.to_string()
                },
                h.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    holders.resize(HOLDER_ROWS.max(holders.len()), Default::default());
    Ok(SurveyView {
        distance_to_main_m: survey.distance_to_main_m.to_string(),
        inside_parcel_m: survey.inside_parcel_m.to_string(),
        extension_m: survey
            .extension_m
            .map(|m| m.to_string())
            .unwrap_or_default(),
        pressure_installation: survey.pressure_installation,
        holders,
        reason: String::new(),
        not_feasible: false,
        problems: Vec::new(),
    })
}

/// The servicing study as the form shows it.
pub struct StudyView {
    /// Lots after the applicant's change (V-8.3); empty while unchanged.
    pub lots: String,
    pub points_outside: String,
    pub cabin_surface_m2: String,
    pub surcharge: String,
    /// Code, translated label, ticked.
    pub exclusions: Vec<(&'static str, String, bool)>,
    /// V-8.6: the land is under overhead lines.
    pub under_overhead_lines: bool,
}

fn study_view(tr: Tr, stored: Option<&str>) -> Result<StudyView, DbError> {
    let study: ServicingStudy = stored
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("servicing study: {e}")))?
        .unwrap_or_default();
    Ok(StudyView {
        lots: study.parcels.map(|n| n.to_string()).unwrap_or_default(),
        points_outside: study.points_outside.to_string(),
        cabin_surface_m2: study
            .cabin_surface_m2
            .map(|m2| m2.normalize().to_string())
            .unwrap_or_default(),
        surcharge: study.special_demands_surcharge.normalize().to_string(),
        exclusions: EXCLUSIONS
            .into_iter()
            .map(|e| {
                let code = exclusion_code(e);
                (
                    code,
                    tr.keyed("tariff.separate", code),
                    study.excluded.contains(&e),
                )
            })
            .collect(),
        under_overhead_lines: study.under_overhead_lines,
    })
}

pub struct PrerequisiteView {
    pub code: String,
    pub label: String,
    pub who: String,
    pub deadline: String,
    pub rule: String,
    pub met: bool,
}

/// The assessments of the case file, every label translated: all of them for the
/// coordinator, only its own for an operator.
pub fn assessment_views(
    tr: Tr,
    service_names: &ServiceNames,
    file: &StaffCaseFile,
) -> Result<Vec<AssessmentView>, DbError> {
    let request = &file.request;
    let mut views = Vec::new();
    for row in &file.assessments {
        let answer = row.answer.as_ref();
        let study = if row.own
            && row.status == "answered"
            && row.service == Service::Electricity.code()
            && request.servicing_operation.is_some()
        {
            Some(study_view(tr, request.servicing_study.as_deref())?)
        } else {
            None
        };
        let survey = if row.own && row.status == "answered" && row.service == Service::Water.code()
        {
            Some(survey_view(request.water_survey.as_deref())?)
        } else {
            None
        };
        views.push(AssessmentView {
            regimes: crate::operators::staff_line_regimes(&file.facts, &row.service)
                .into_iter()
                .map(|regime| (regime.code(), tr.keyed("tariff.vat", regime.code())))
                .collect(),
            study,
            survey,
            id: row.id.clone(),
            editable: row.own,
            lines_editable: row.lines_editable,
            heading: assessment_heading(&service_names.name(&row.service), &row.operator),
            status: tr.keyed("assessment.status", &row.status),
            late: row.late,
            due: tr.numeric_date(brussels(row.due_at).date()),
            version: row.version,
            feasibility: answer.map(|a| tr.keyed("assessment.feasibility", a.feasibility.code())),
            unpriced: answer.and_then(|a| {
                a.unpriced
                    .as_ref()
                    .map(|u| crate::operators::describe::unpriced_text(tr, u))
            }),
            reasons: answer
                .map(|a| {
                    a.reasons
                        .iter()
                        .map(|r| tr.keyed("assessment.reason", r))
                        .collect()
                })
                .unwrap_or_default(),
            offer_notes: answer
                .map(|a| crate::operators::describe::part_notes(tr, a))
                .unwrap_or_default(),
            note: answer.and_then(|a| a.note.clone()),
            refusals: answer
                .map(|a| a.refusals().iter().map(|r| r.text(tr)).collect())
                .unwrap_or_default(),
            prerequisites: answer
                .map(|a| {
                    a.prerequisites
                        .iter()
                        .map(|p| PrerequisiteView {
                            code: p.code.clone(),
                            label: crate::operators::describe::prerequisite_label(tr, p),
                            who: crate::operators::describe::party_label(tr, p.who),
                            deadline: deadline_label(tr, p.deadline),
                            rule: p.rule.clone(),
                            met: p.met,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            lines: answer
                .map(|a| {
                    a.lines
                        .iter()
                        .map(|l| super::estimate::stored_line_view(tr, l))
                        .collect()
                })
                .unwrap_or_default(),
            lines_total: tr.money(
                answer
                    .map(|a| {
                        a.lines
                            .iter()
                            .map(|l| l.amount_excl_vat)
                            .sum::<rust_decimal::Decimal>()
                    })
                    .unwrap_or_default(),
            ),
            crew: answer.map(|a| {
                tr.f(
                    "assessment.crew_line",
                    [
                        ("skill", tr.keyed("skill", &a.crew.skill).as_str()),
                        ("hours", a.crew.hours.to_string().as_str()),
                    ],
                )
            }),
            lead_time: answer.map(|a| crate::operators::describe::lead_time_text(tr, a)),
        });
    }
    Ok(views)
}

use crate::operators::describe::deadline_label;

impl DetailPage {
    /// The rules staff may name when refusing a part (B-4.4 first, the default).
    fn refusal_rules(&self) -> [&'static str; 8] {
        crate::operators::refusal::STAFF_RULES
    }

    fn when(&self, stored: &str) -> String {
        local_datetime_in(self.tr, stored)
    }

    fn at(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        self.tr.numeric_datetime(brussels(*at))
    }

    fn day(&self, stored: &str) -> String {
        local_date_in(self.tr, stored)
    }

    /// A part priced once a book covered it: `service books` as "Électricité (ORES) — book".
    /// A timeline event's detail in the reader's words.
    fn detail(&self, kind: &str, detail: &str) -> String {
        super::views::event_detail(self.tr, &self.names, kind, detail)
    }

    fn priced_with(&self, detail: &str) -> String {
        match detail.split_once(' ') {
            Some((service, books)) => format!("{} — {books}", self.names.name(service)),
            None => detail.to_owned(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DetailQuery {
    saved: String,
    /// An action of the offer section just done (`offer_sent`, `accepted`, `payment`,
    /// `day_confirmed`): the confirmation reads its facts back from the request.
    done: String,
    /// With `payment`: the due the payment was recorded against.
    due: String,
    /// An action of the documents section just done (`asked`, `complete`).
    documents: String,
}

async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<DetailPage, PageError> {
    let notice = (!query.saved.is_empty()).then(|| Notice {
        error: false,
        text: staff.tr.t("assessment.saved").to_owned(),
    });
    let done = super::documents::done_notice(staff.tr, &query.documents);
    let offer_done = (!query.done.is_empty()).then_some((query.done.as_str(), query.due.as_str()));
    let mut page = render_detail_done(&state, staff, &id, notice, offer_done).await?;
    if let Some(panel) = page.docs.as_mut() {
        panel.notice = done;
    }
    Ok(page)
}

/// The request page again, with why the change just asked for was refused (nothing changed).
pub(super) async fn refused_on_detail(
    state: &AppState,
    staff: Staff,
    id: &str,
    text: String,
) -> Result<Response, PageError> {
    refused_on_detail_with(state, staff, id, text, Vec::new()).await
}

/// The same, with the permit form's refused fields: (field, why).
pub(super) async fn refused_on_detail_with(
    state: &AppState,
    staff: Staff,
    id: &str,
    text: String,
    permit_problems: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let mut page = render_detail(state, staff, id, Some(Notice { error: true, text })).await?;
    if let Some(panel) = page.permit.as_mut() {
        panel.problems = permit_problems;
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub(super) async fn render_detail(
    state: &AppState,
    staff: Staff,
    id: &str,
    notice: Option<Notice>,
) -> Result<DetailPage, PageError> {
    render_detail_done(state, staff, id, notice, None).await
}

/// The request page; `done`: the offer action just done and the due it concerns, said with
/// its facts when no other notice is given.
async fn render_detail_done(
    state: &AppState,
    staff: Staff,
    id: &str,
    notice: Option<Notice>,
    done: Option<(&str, &str)>,
) -> Result<DetailPage, PageError> {
    let file = case_file::for_staff(state, &staff.user, id)
        .await
        .map_err(super::public::case_file_error)?;
    let notice = match (notice, done) {
        (Some(notice), _) => Some(notice),
        (None, Some((done, due))) => super::offers::done_notice(state, staff.tr, &file, done, due)
            .await?
            .map(|text| Notice { error: false, text }),
        (None, None) => None,
    };
    let names = ServiceNames::of(staff.tr, &file.partner_labels);
    let services = service_labels(staff.tr, &names, &file.request, &file.services);
    let assessments = assessment_views(staff.tr, &names, &file)?;
    let joint_day = joint_day_view(staff.tr, &file, state.clock.today(), &names);
    let permit =
        super::municipality::permit_panel(state, staff.tr, &staff.user, &file.request).await?;
    let offer = file.offer.as_ref().map(|offer| {
        super::offers::offer_panel(
            staff.tr,
            offer,
            format!("/backoffice/requests/{}/offers", file.request.id),
            Some(&file.request.applicant_name),
        )
    });
    let docs = super::documents::OfficePanel::of(
        staff.tr,
        &staff.user,
        &file,
        state.config.upload_max_bytes,
    );
    let dossier_fee = file.dossier_invoice.as_ref().map(|invoice| {
        super::dossier_fee::DossierFeePanel::of(staff.tr, invoice, state.clock.today())
    });
    Ok(DetailPage {
        can_record_dossier_fee: file.coordinator,
        dossier_fee,
        offer,
        officers: file.officers,
        tr: staff.tr,
        page: staff.frame,
        site: site_line(&file.request),
        home: crate::operators::describe::home_facts(staff.tr, &file.facts),
        services,
        assessments,
        request: file.request,
        events: file.events,
        names,
        joint_day,
        notice,
        docs,
        permit,
        today: state.clock.today().to_string(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AdjustForm {
    version: String,
    action: String,
    /// A prerequisite's code, or the rule a refusal names (B-4.4 when none).
    code: String,
    text: String,
    line: String,
    label: String,
    quantity: String,
    unit_price: String,
    vat: String,
    /// ORES' servicing study (action `servicing_study`).
    points_outside: String,
    cabin_surface_m2: String,
    surcharge: String,
    exclusions: Vec<String>,
    lots: String,
    /// V-8.6: a ticked box sends `on`.
    under_overhead_lines: String,
    /// SWDE's survey (action `water_survey`); holder fields repeat once per row.
    distance_to_main_m: String,
    inside_parcel_m: String,
    extension_m: String,
    pressure_installation: String,
    /// The survey concludes "not feasible" (B-5.1).
    not_feasible: String,
    holder_name: Vec<String>,
    holder_parcel: Vec<String>,
    holder_cost: Vec<String>,
    holder_months: Vec<String>,
    holder_paid_on: Vec<String>,
}

/// Operator staff change their own answer; a refusal says why and changes nothing.
async fn adjust(
    State(state): State<AppState>,
    staff: Staff,
    Path(assessment_id): Path<String>,
    CsrfForm(form): CsrfForm<AdjustForm>,
) -> Result<Response, PageError> {
    let Some(request_id) =
        operator_work::request_for_change(&state, &staff.user, &assessment_id).await?
    else {
        return Err(PageError::NotFound);
    };
    match form.action.as_str() {
        "servicing_study" => {
            return servicing_study(state, staff, &request_id, &assessment_id, &form).await;
        }
        "water_survey" => {
            return water_survey(state, staff, &request_id, &assessment_id, &form).await;
        }
        _ => {}
    }
    let outcome = match (
        form.version.trim().parse::<i64>(),
        Adjustment::parse(
            &form.action,
            &form.code,
            &form.text,
            &LineInput {
                line: &form.line,
                label: &form.label,
                quantity: &form.quantity,
                unit_price: &form.unit_price,
                vat: &form.vat,
            },
        ),
    ) {
        (Ok(version), Ok(change)) => assess::adjust(
            &state,
            &staff.user,
            &assessment_id,
            version,
            &change,
            state.clock.now(),
        )
        .await
        .map(|_| ()),
        (Err(_), _) => Err(AdjustError::Stale),
        (_, Err(error)) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{request_id}?saved=1#assessment-{assessment_id}"
        ))
        .into_response()),
        Err(AdjustError::NotFound) => Err(PageError::NotFound),
        Err(AdjustError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = adjust_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, &request_id, text).await
        }
    }
}

/// A staff record's own fields, reason and version, or the refusal naming each faulty field
/// (labels under `labels`, e.g. `study.field`).
fn staff_record<T>(
    tr: Tr,
    form: &AdjustForm,
    labels: &str,
    parsed: Result<T, Vec<(&'static str, crate::domain::InputError)>>,
) -> Result<(T, String, i64), String> {
    let reason = crate::domain::error::required_text(&form.text, assess::REASON_MAX);
    match (parsed, reason) {
        (Ok(value), Ok(reason)) => form
            .version
            .trim()
            .parse::<i64>()
            .map(|version| (value, reason, version))
            .map_err(|_| tr.t("adjust.stale").to_owned()),
        (parsed, reason) => {
            let mut problems: Vec<String> = parsed
                .err()
                .unwrap_or_default()
                .iter()
                .map(|(field, error)| format!("{} {}", tr.keyed(labels, field), tr.error(error)))
                .collect();
            if let Err(error) = reason {
                problems.push(format!("{} {}", tr.t("adjust.reason"), tr.error(&error)));
            }
            Err(problems.join(" "))
        }
    }
}

/// Back to the answer once recorded, or the request page saying why not. `invalid_label`
/// names the field a late check refuses.
async fn after_staff_record(
    state: AppState,
    staff: Staff,
    request_id: &str,
    assessment_id: &str,
    outcome: Result<i64, AdjustError>,
    invalid_label: &str,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{request_id}?saved=1#assessment-{assessment_id}"
        ))
        .into_response()),
        Err(AdjustError::NotFound) => Err(PageError::NotFound),
        Err(AdjustError::Db(error)) => Err(error.into()),
        Err(AdjustError::Invalid(error)) => {
            let text = format!("{} {}", tr.t(invalid_label), tr.error(&error));
            refused_on_detail(&state, staff, request_id, text).await
        }
        Err(refused) => {
            let text = adjust_refusal(tr, &refused);
            refused_on_detail(&state, staff, request_id, text).await
        }
    }
}

/// ORES electricity records its servicing study; a refusal names each faulty field.
async fn servicing_study(
    state: AppState,
    staff: Staff,
    request_id: &str,
    assessment_id: &str,
    form: &AdjustForm,
) -> Result<Response, PageError> {
    let parsed = ServicingStudy::parse(&StudyInput {
        points_outside: &form.points_outside,
        cabin_surface_m2: &form.cabin_surface_m2,
        surcharge: &form.surcharge,
        exclusions: &form.exclusions,
        parcels: &form.lots,
        under_overhead_lines: !form.under_overhead_lines.is_empty(),
    });
    let (study, reason, version) = match staff_record(staff.tr, form, "study.field", parsed) {
        Ok(parsed) => parsed,
        Err(text) => return refused_on_detail(&state, staff, request_id, text).await,
    };
    let outcome = assess::record_study(
        &state,
        &staff.user,
        assessment_id,
        version,
        &study,
        &reason,
        state.clock.now(),
    )
    .await;
    after_staff_record(
        state,
        staff,
        request_id,
        assessment_id,
        outcome,
        "study.field.study_parcels",
    )
    .await
}

/// SWDE records its survey; a refusal names each faulty field.
async fn water_survey(
    state: AppState,
    staff: Staff,
    request_id: &str,
    assessment_id: &str,
    form: &AdjustForm,
) -> Result<Response, PageError> {
    fn at(values: &[String], i: usize) -> &str {
        values.get(i).map_or("", String::as_str)
    }
    let holders = (0..HOLDER_ROWS)
        .map(|i| {
            let at = |values| at(values, i);
            HolderInput {
                name: at(&form.holder_name),
                parcel: at(&form.holder_parcel),
                cost: at(&form.holder_cost),
                months: at(&form.holder_months),
                paid_on: at(&form.holder_paid_on),
            }
        })
        .collect();
    let parsed = WaterSurvey::parse(&SurveyInput {
        distance_to_main_m: &form.distance_to_main_m,
        inside_parcel_m: &form.inside_parcel_m,
        extension_m: &form.extension_m,
        pressure_installation: !form.pressure_installation.is_empty(),
        holders,
    });
    let tr = staff.tr;
    // Each refused field, to mark it next to the value typed (the form keeps them all).
    let mut problems: Vec<(String, String)> = match &parsed {
        Err(errors) => errors
            .iter()
            .map(|(field, error)| ((*field).to_owned(), tr.error(error)))
            .collect(),
        Ok(_) => Vec::new(),
    };
    if let Err(error) = crate::domain::error::required_text(&form.text, assess::REASON_MAX) {
        problems.push(("text".to_owned(), tr.error(&error)));
    }
    let (survey, reason, version) = match staff_record(tr, form, "survey.field", parsed) {
        Ok(parsed) => parsed,
        Err(text) => {
            let typed = SurveyView::typed(form, problems);
            return refused_survey(&state, staff, request_id, assessment_id, text, typed).await;
        }
    };
    let conclusion = if form.not_feasible.is_empty() {
        assess::SurveyConclusion::Feasible
    } else {
        assess::SurveyConclusion::NotFeasible
    };
    let outcome = assess::record_survey(
        &state,
        &staff.user,
        assessment_id,
        version,
        &survey,
        conclusion,
        &reason,
        state.clock.now(),
    )
    .await;
    match outcome {
        Err(AdjustError::EngineRefused(refusals)) => {
            // B-5.1: the route inside the parcel is the field the rules refuse.
            let problems = refusals
                .iter()
                .filter(|r| {
                    matches!(&r.reason, crate::operators::refusal::RefusalReason::Keyed { key, .. }
                        if key == "tariff.refusal.water_inside_parcel")
                })
                .map(|r| ("survey_inside_parcel_m".to_owned(), r.reason_text(tr)))
                .collect();
            let text = adjust_refusal(tr, &AdjustError::EngineRefused(refusals));
            let typed = SurveyView::typed(form, problems);
            refused_survey(&state, staff, request_id, assessment_id, text, typed).await
        }
        Err(AdjustError::Invalid(error)) => {
            let text = format!("{} {}", tr.t("adjust.reason"), tr.error(&error));
            let typed = SurveyView::typed(form, vec![("text".to_owned(), tr.error(&error))]);
            refused_survey(&state, staff, request_id, assessment_id, text, typed).await
        }
        outcome => {
            after_staff_record(
                state,
                staff,
                request_id,
                assessment_id,
                outcome,
                "adjust.reason",
            )
            .await
        }
    }
}

/// The request page again after SWDE's survey was refused: the form as typed, each refused
/// field marked, and why at the top (nothing was recorded, B-4.4).
async fn refused_survey(
    state: &AppState,
    staff: Staff,
    request_id: &str,
    assessment_id: &str,
    text: String,
    typed: SurveyView,
) -> Result<Response, PageError> {
    let mut page =
        render_detail(state, staff, request_id, Some(Notice { error: true, text })).await?;
    if let Some(answer) = page
        .assessments
        .iter_mut()
        .find(|a| a.id == assessment_id && a.survey.is_some())
    {
        answer.survey = Some(typed);
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/operator_queue.html")]
struct OperatorQueuePage {
    tr: Tr,
    page: Frame,
    status: String,
    names: ServiceNames,
    queue: OperatorQueue,
}

impl OperatorQueuePage {
    fn day(&self, stored: &str) -> String {
        local_date_in(self.tr, stored)
    }

    fn is_late(&self, row: &OperatorQueueRow) -> bool {
        self.queue.is_late(row)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OperatorQueueQuery {
    status: String,
}

/// An operator's own work: the requests that involve it, with its part only.
async fn operator_queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<OperatorQueueQuery>,
) -> Result<OperatorQueuePage, PageError> {
    let status = match query.status.as_str() {
        "pending" | "answered" | "failed" => query.status.clone(),
        _ => String::new(),
    };
    let queue = operator_work::queue(&state, &staff.user, &status, state.clock.now()).await?;
    Ok(OperatorQueuePage {
        tr: staff.tr,
        page: super::views::warned_frame(&state, &staff).await?,
        status,
        names: ServiceNames::load(&state, staff.tr).await?,
        queue,
    })
}
