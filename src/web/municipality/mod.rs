//! The commune's portal (rule C-6): joint road-works permits to decide with their deadline,
//! the works calendar and map, and the nuisance avoided, with a CSV for the council. A
//! municipality user sees its own commune only: another commune's permit, works or figures
//! answer 404. The case officer's side of the permit (site details, answer, acknowledgement)
//! and the figures across communes for the coordinator live here too.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    backoffice::{Notice, day_label},
    error::PageError,
    extract::{CsrfForm, Staff, StaffRejection},
    views::{Frame, ServiceNames, local_date_in, local_datetime_in, site_line},
};
use crate::{
    db::{
        DbError, organisations,
        permits::{self, ActionRow, PermitRow},
        requests::{self, RequestRow},
        sessions::SessionUser,
    },
    domain::{
        nuisance::{self, Report},
        permit::{
            self as rules, Decision, DecisionError, PermitStatus, SiteDetails, SiteInput,
            shared_trench_metres,
        },
    },
    http::query::{FiguresQuery, period},
    i18n::Tr,
    services::permits::{self as service, JointDay, PermitError},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/commune", get(dashboard))
        .route("/commune/permits/{id}", get(permit_page))
        .route("/commune/permits/{id}/decision", post(decide))
        .route("/commune/calendar", get(calendar))
        .route("/commune/map", get(map))
        .route("/commune/works/{id}", get(works_page))
        .route("/commune/figures", get(commune_figures))
        .route("/commune/figures.csv", get(commune_figures_csv))
        .route("/backoffice/nuisance", get(backoffice_figures))
        .route("/backoffice/nuisance.csv", get(backoffice_figures_csv))
        .route("/backoffice/requests/{id}/permit/site", post(save_site))
        .route("/backoffice/requests/{id}/permit/answer", post(answer))
        .route(
            "/backoffice/requests/{id}/permit/acknowledge",
            post(acknowledge),
        )
        .route("/static/vendor/leaflet/leaflet.js", get(leaflet_js))
        .route("/static/vendor/leaflet/leaflet.css", get(leaflet_css))
        .route("/static/vendor/leaflet/LICENSE", get(leaflet_license))
        .route("/static/vendor/leaflet/images/{name}", get(leaflet_image))
        .route("/static/commune-map.js", get(map_script))
}

/// A signed-in user of a municipality, with its commune. Anybody else: 404 (these pages hold
/// a commune's data).
pub struct Municipality {
    pub tr: Tr,
    pub frame: Frame,
    pub user: SessionUser,
    pub nis: String,
    pub name: String,
}

impl FromRequestParts<AppState> for Municipality {
    type Rejection = StaffRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.user.organisation_kind != "municipality" {
            return Err(StaffRejection::Page(PageError::NotFound));
        }
        let own = organisations::own(&state.db, &staff.user.scope())
            .await
            .map_err(|e| StaffRejection::Page(e.into()))?;
        let Some(nis) = own.commune_nis else {
            return Err(StaffRejection::Page(PageError::NotFound));
        };
        let name = state
            .directory
            .commune_by_nis(&nis)
            .map_or_else(|| own.name.clone(), |c| c.name.clone());
        Ok(Municipality {
            tr: staff.tr,
            frame: staff.frame,
            user: staff.user,
            nis,
            name,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Display helpers

/// "12 jours restants", "dernier jour", "délai dépassé de 3 jours".
pub fn countdown(tr: Tr, deadline: &rules::Deadline) -> String {
    let days = deadline.days_left.abs().to_string();
    if deadline.overdue {
        tr.f("permit.overdue_by", [("days", days.as_str())])
    } else if deadline.days_left == 0 {
        tr.t("permit.last_day").to_owned()
    } else if deadline.days_left == 1 {
        tr.t("permit.one_day_left").to_owned()
    } else if deadline.days_left > 0 {
        tr.f("permit.days_left", [("days", days.as_str())])
    } else {
        String::new()
    }
}

fn deadline_of(permit_status: &str, due_on: &str, today: NaiveDate) -> Option<rules::Deadline> {
    let status = PermitStatus::parse(permit_status)?;
    let due = crate::db::parse_date(due_on).ok()?;
    Some(rules::deadline(due, status, today))
}

fn metres(value: Decimal) -> String {
    let text = value.round_dp(1).normalize().to_string();
    format!("{} m", text.replace('.', ","))
}

/// One permit of a list, every label already translated.
pub struct PermitLine {
    pub id: String,
    pub request_id: String,
    pub reference: String,
    pub site: String,
    pub day: String,
    pub requested: String,
    pub due: String,
    pub countdown: String,
    pub overdue: bool,
    pub status: String,
    pub decided: String,
}

fn permit_line(tr: Tr, row: &permits::PermitListRow, today: NaiveDate) -> PermitLine {
    let deadline = deadline_of(&row.status, &row.due_on, today);
    let mut site = Vec::new();
    if let (Some(street), Some(number)) = (&row.street, &row.house_number) {
        site.push(format!("{street} {number}"));
    }
    site.push(format!("{} {}", row.postcode, row.commune_name));
    if let Some(parcel) = &row.parcel_ref {
        site.push(parcel.clone());
    }
    PermitLine {
        id: row.id.clone(),
        request_id: row.request_id.clone(),
        reference: row.reference.clone(),
        site: site.join(", "),
        day: local_date_in(tr, &row.day),
        requested: local_date_in(tr, &row.requested_at),
        due: local_date_in(tr, &row.due_on),
        countdown: deadline
            .as_ref()
            .filter(|_| {
                PermitStatus::parse(&row.status).is_some_and(PermitStatus::awaiting_commune)
            })
            .map(|d| countdown(tr, d))
            .unwrap_or_default(),
        overdue: deadline.is_some_and(|d| d.overdue),
        status: tr.keyed("permit.status", &row.status),
        decided: row
            .decided_at
            .as_deref()
            .map(|d| local_date_in(tr, d))
            .unwrap_or_default(),
    }
}

/// One operator's works under a permit.
pub struct WorkLine {
    pub operator: String,
    pub service: String,
    pub civil_works: bool,
    pub trench: String,
}

/// A permit as its pages show it.
pub struct PermitView {
    pub id: String,
    pub status_code: String,
    pub status: String,
    pub day: String,
    pub requested: String,
    pub due: String,
    pub countdown: String,
    pub overdue: bool,
    pub awaiting_commune: bool,
    /// The conditions, the question or the refusal's reason, with its label.
    pub decision_label: String,
    pub decision_text: Option<String>,
    pub decided: Option<String>,
    pub conditions_acknowledged: bool,
    pub works: Vec<WorkLine>,
    pub shared_trench: String,
    pub history: Vec<HistoryLine>,
}

pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub who: String,
    pub text: Option<String>,
}

async fn permit_view(
    state: &AppState,
    tr: Tr,
    names: &ServiceNames,
    permit: &PermitRow,
) -> Result<PermitView, DbError> {
    let status = PermitStatus::parse(&permit.status);
    let deadline = deadline_of(&permit.status, &permit.due_on, state.clock.today());
    let rows = permits::works_of(&state.db, &permit.id).await?;
    let lengths: Vec<Decimal> = rows
        .iter()
        .filter_map(|w| w.trench_metres.parse().ok())
        .collect();
    let works = rows
        .into_iter()
        .map(|w| WorkLine {
            operator: w.operator_name.unwrap_or_default(),
            service: names.name(&w.service),
            civil_works: w.civil_works != 0,
            trench: w
                .trench_metres
                .parse()
                .map(metres)
                .unwrap_or(w.trench_metres),
        })
        .collect();
    let history = permits::actions_of(&state.db, &permit.id)
        .await?
        .into_iter()
        .map(
            |ActionRow {
                 at,
                 action,
                 actor_name,
                 text,
             }| HistoryLine {
                at: local_datetime_in(tr, &at),
                action: tr.keyed("permit.action", &action),
                who: actor_name.unwrap_or_else(|| tr.t("request.actor.system").to_owned()),
                text,
            },
        )
        .collect();
    let awaiting = status.is_some_and(PermitStatus::awaiting_commune);
    Ok(PermitView {
        id: permit.id.clone(),
        status_code: permit.status.clone(),
        status: tr.keyed("permit.status", &permit.status),
        day: local_date_in(tr, &permit.day),
        requested: local_datetime_in(tr, &permit.requested_at),
        due: local_date_in(tr, &permit.due_on),
        countdown: deadline
            .as_ref()
            .filter(|_| awaiting)
            .map(|d| countdown(tr, d))
            .unwrap_or_default(),
        overdue: deadline.is_some_and(|d| d.overdue),
        awaiting_commune: awaiting,
        decision_label: tr.keyed("permit.decision_text", &permit.status),
        decision_text: permit.decision_text.clone().filter(|_| {
            matches!(
                status,
                Some(
                    PermitStatus::ApprovedWithConditions
                        | PermitStatus::InformationRequested
                        | PermitStatus::Refused
                )
            )
        }),
        decided: permit
            .decided_at
            .as_deref()
            .map(|d| local_datetime_in(tr, d)),
        conditions_acknowledged: permit.conditions_acknowledged_at.is_some(),
        works,
        shared_trench: metres(shared_trench_metres(&lengths)),
        history,
    })
}

/// The site's road works as stated by the case officer (or the defaults), for display.
pub struct SiteView {
    pub road_type_code: String,
    pub road_type: String,
    pub sleeve_depth: String,
    pub sidewalk_openings: u32,
    pub road_openings: u32,
    pub traffic_measures: String,
    pub site_point: String,
}

fn site_view(tr: Tr, details: &SiteDetails) -> SiteView {
    let depth = Decimal::from(details.road_type.sleeve_depth_cm()) / Decimal::from(100);
    SiteView {
        road_type_code: details.road_type.code().to_owned(),
        road_type: tr.keyed("permit.road_type", details.road_type.code()),
        sleeve_depth: tr.f(
            "permit.sleeve_depth",
            [("depth", format!("{:.2}", depth).replace('.', ",").as_str())],
        ),
        sidewalk_openings: details.sidewalk_openings,
        road_openings: details.road_openings,
        traffic_measures: details.traffic_measures.clone().unwrap_or_default(),
        site_point: details
            .site_point
            .map(|p| p.to_string())
            .unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------
// The case officer's permit panel on the request page

/// The permit block of the request page: the site's road works (editable by the case
/// officer), the permit's status, what blocks the confirmation of the day, and the answer
/// or acknowledgement the commune is waiting for.
pub struct PermitPanel {
    pub can_edit: bool,
    pub is_municipality: bool,
    pub site: SiteView,
    pub permit: Option<PermitView>,
    pub blocker: Option<String>,
    pub needs_answer: bool,
    pub needs_acknowledgement: bool,
    pub problems: Vec<(String, String)>,
}

impl PermitPanel {
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, text)| text.as_str())
    }
}

pub async fn permit_panel(
    state: &AppState,
    tr: Tr,
    user: &SessionUser,
    request: &RequestRow,
) -> Result<Option<PermitPanel>, DbError> {
    let coordinator = user.organisation_id.to_string() == request.coordinator_id;
    let is_municipality = user.organisation_kind == "municipality";
    let current = permits::current_for_request(&state.db, &request.id).await?;
    if !coordinator && current.is_none() {
        return Ok(None);
    }
    let names = ServiceNames::load(state, tr).await?;
    let details = service::site_details(&state.db, &request.id).await?;
    let permit = match &current {
        Some(permit) => Some(permit_view(state, tr, &names, permit).await?),
        None => None,
    };
    let blocker = service::confirmation_blocker(&state.db, &request.id)
        .await?
        .map(|key| tr.t(&key).to_owned());
    let status = current
        .as_ref()
        .and_then(|p| PermitStatus::parse(&p.status));
    Ok(Some(PermitPanel {
        can_edit: coordinator,
        is_municipality,
        site: site_view(tr, &details),
        needs_answer: coordinator && status == Some(PermitStatus::InformationRequested),
        needs_acknowledgement: coordinator
            && status == Some(PermitStatus::ApprovedWithConditions)
            && current
                .as_ref()
                .is_some_and(|p| p.conditions_acknowledged_at.is_none()),
        permit,
        blocker,
        problems: Vec::new(),
    }))
}

/// A request of the signed-in case officer's own coordinator; 404 for anybody else.
async fn coordinator_request(
    state: &AppState,
    staff: &Staff,
    id: &str,
) -> Result<RequestRow, PageError> {
    let request = requests::get_for(&state.db, &staff.user.scope(), id).await?;
    if staff.user.organisation_id.to_string() != request.coordinator_id {
        return Err(PageError::NotFound);
    }
    Ok(request)
}

fn permit_refusal(tr: Tr, error: &PermitError) -> String {
    match error {
        PermitError::Decision(DecisionError::Text(input)) => {
            format!("{} {}", tr.t("permit.text_required"), tr.error(input))
        }
        PermitError::Decision(DecisionError::Unknown) => tr.t("permit.unknown_decision").into(),
        PermitError::Decision(DecisionError::NotOpen(status)) => tr.f(
            "permit.not_open",
            [("status", tr.keyed("permit.status", status.code()).as_str())],
        ),
        PermitError::Decision(DecisionError::AlreadyAsked) => tr.t("permit.already_asked").into(),
        PermitError::NoPermit => tr.t("permit.no_permit").into(),
        PermitError::NoQuestion => tr.t("permit.no_question").into(),
        PermitError::AnswerRequired => tr.t("permit.answer_required").into(),
        PermitError::NoConditions => tr.t("permit.no_conditions").into(),
        PermitError::AlreadyApproved => tr.t("permit.already_approved").into(),
        PermitError::Stale => tr.t("permit.stale").into(),
        PermitError::NotFound | PermitError::Db(_) => tr.t("page_error.internal.text").into(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SiteForm {
    road_type: String,
    sidewalk_openings: String,
    road_openings: String,
    traffic_measures: String,
    site_point: String,
}

async fn save_site(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SiteForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
    let tr = staff.tr;
    let parsed = SiteDetails::parse(&SiteInput {
        road_type: &form.road_type,
        sidewalk_openings: &form.sidewalk_openings,
        road_openings: &form.road_openings,
        traffic_measures: &form.traffic_measures,
        site_point: &form.site_point,
    });
    let details = match parsed {
        Ok(details) => details,
        Err(problems) => {
            let problems = problems
                .into_iter()
                .map(|(field, problem)| {
                    (
                        field.to_owned(),
                        tr.keyed("permit.site_error", problem.code()),
                    )
                })
                .collect();
            let text = tr.t("permit.site_refused").to_owned();
            return super::backoffice::refused_on_detail_with(&state, staff, &id, text, problems)
                .await;
        }
    };
    match service::save_site(&state, &staff.user, &request, &details, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = permit_refusal(tr, &refused);
            super::backoffice::refused_on_detail_with(&state, staff, &id, text, Vec::new()).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TextForm {
    text: String,
    action: String,
}

async fn answer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
    match service::answer(&state, &staff.user, &request, &form.text, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = permit_refusal(staff.tr, &refused);
            super::backoffice::refused_on_detail_with(&state, staff, &id, text, Vec::new()).await
        }
    }
}

async fn acknowledge(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, &id).await?;
    match service::acknowledge(&state, &staff.user, &request, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = permit_refusal(staff.tr, &refused);
            super::backoffice::refused_on_detail_with(&state, staff, &id, text, Vec::new()).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The commune's dashboard and permit pages

#[derive(Template, WebTemplate)]
#[template(path = "commune/dashboard.html")]
struct DashboardPage {
    tr: Tr,
    page: Frame,
    commune: String,
    to_decide: Vec<PermitLine>,
    decided: Vec<PermitLine>,
    year: i32,
    figures: FiguresLine,
    this_month: String,
}

async fn dashboard(
    State(state): State<AppState>,
    commune: Municipality,
) -> Result<DashboardPage, PageError> {
    let tr = commune.tr;
    let scope = commune.user.scope();
    let today = state.clock.today();
    let to_decide = permits::to_decide(&state.db, &scope)
        .await?
        .iter()
        .map(|row| permit_line(tr, row, today))
        .collect();
    let decided = permits::decided(&state.db, &scope, 20)
        .await?
        .iter()
        .map(|row| permit_line(tr, row, today))
        .collect();
    let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let report = service::figures(
        &state.db,
        &commune.user.scope(),
        Some(&commune.nis),
        from,
        today,
    )
    .await?;
    Ok(DashboardPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        to_decide,
        decided,
        year: today.year(),
        figures: FiguresLine::of(&report.total),
        this_month: today.format("%Y-%m").to_string(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/permit.html")]
struct PermitPage {
    tr: Tr,
    page: Frame,
    commune: String,
    reference: String,
    request_id: String,
    site: String,
    permit: PermitView,
    details: SiteView,
    notice: Option<Notice>,
    /// The commune may still ask a question (none is pending).
    can_ask: bool,
}

async fn render_permit(
    state: &AppState,
    commune: Municipality,
    id: &str,
    notice: Option<Notice>,
) -> Result<PermitPage, PageError> {
    let tr = commune.tr;
    let permit = permits::get_for_municipality(&state.db, &commune.user.scope(), id).await?;
    let request = requests::get_for(&state.db, &commune.user.scope(), &permit.request_id).await?;
    let names = ServiceNames::load(state, tr).await?;
    let view = permit_view(state, tr, &names, &permit).await?;
    let details = service::site_details(&state.db, &request.id).await?;
    Ok(PermitPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        reference: request.reference.clone(),
        request_id: request.id.clone(),
        site: site_line(&request),
        can_ask: permit.status == PermitStatus::Pending.code(),
        permit: view,
        details: site_view(tr, &details),
        notice,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PermitQuery {
    saved: String,
}

async fn permit_page(
    State(state): State<AppState>,
    commune: Municipality,
    Path(id): Path<String>,
    Query(query): Query<PermitQuery>,
) -> Result<PermitPage, PageError> {
    let notice = (!query.saved.is_empty()).then(|| Notice {
        error: false,
        text: commune.tr.t("permit.decision_saved").to_owned(),
    });
    render_permit(&state, commune, &id, notice).await
}

async fn decide(
    State(state): State<AppState>,
    commune: Municipality,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    // 404 before anything else for another commune's permit.
    permits::get_for_municipality(&state.db, &commune.user.scope(), &id).await?;
    let outcome = match Decision::parse(&form.action, &form.text) {
        Ok(decision) => service::decide(&state, &commune.user, &id, &decision, state.clock.now())
            .await
            .map(|_| ()),
        Err(error) => Err(PermitError::Decision(error)),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/commune/permits/{id}?saved=1")).into_response()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = permit_refusal(commune.tr, &refused);
            let page =
                render_permit(&state, commune, &id, Some(Notice { error: true, text })).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Works: calendar, map and one site

/// One joint day as a line of the calendar, the map list and the works page.
pub struct WorksLine {
    pub request_id: String,
    pub reference: String,
    pub site: String,
    pub day: String,
    pub done: bool,
    pub operators: Vec<String>,
    pub opens_road: bool,
    pub permit_id: Option<String>,
    pub permit: String,
    pub latitude: String,
    pub longitude: String,
    pub approximate: bool,
}

fn works_line(tr: Tr, names: &ServiceNames, day: &JointDay) -> WorksLine {
    WorksLine {
        request_id: day.request_id.clone(),
        reference: day.reference.clone(),
        site: day.site(),
        day: day_label(day.day),
        done: day.done(),
        operators: day
            .operators
            .iter()
            .map(|(service, _, done, _)| {
                if *done {
                    format!("{} ({})", names.name(service), tr.t("works.done_short"))
                } else {
                    names.name(service)
                }
            })
            .collect(),
        opens_road: day.operators.iter().any(|(_, civil, _, _)| *civil),
        permit_id: day.permit_id.clone(),
        permit: day
            .permit_status
            .as_deref()
            .map(|s| tr.keyed("permit.status", s))
            .unwrap_or_else(|| tr.t("works.no_permit").to_owned()),
        latitude: day
            .point
            .map(|p| format!("{:.6}", p.latitude))
            .unwrap_or_default(),
        longitude: day
            .point
            .map(|p| format!("{:.6}", p.longitude))
            .unwrap_or_default(),
        approximate: day.approximate,
    }
}

use crate::scheduling::calendar::month_start;

fn parse_month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()
}

/// "2026-W20" → the Monday of that ISO week.
fn parse_week(text: &str) -> Option<NaiveDate> {
    let (year, week) = text.trim().split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)
}

fn week_code(monday: NaiveDate) -> String {
    let week = monday.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CalendarQuery {
    view: String,
    month: String,
    week: String,
}

pub struct CalendarDay {
    pub date: NaiveDate,
    pub label: String,
    pub in_month: bool,
    pub works: Vec<WorksLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/calendar.html")]
struct CalendarPage {
    tr: Tr,
    page: Frame,
    commune: String,
    week_view: bool,
    title: String,
    /// Month view: weeks of seven days; week view: one week.
    weeks: Vec<Vec<CalendarDay>>,
    previous: String,
    next: String,
    other_view: String,
    count: usize,
}

async fn calendar(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<CalendarQuery>,
) -> Result<CalendarPage, PageError> {
    let tr = commune.tr;
    let today = state.clock.today();
    let week_view = query.view == "week" || !query.week.is_empty();
    let (from, to, title, previous, next, other_view) = if week_view {
        let monday = parse_week(&query.week).unwrap_or_else(|| {
            today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        });
        let sunday = monday + Duration::days(6);
        (
            monday,
            sunday,
            tr.f(
                "works.week_title",
                [
                    ("week", monday.iso_week().week().to_string().as_str()),
                    ("from", day_label(monday).as_str()),
                    ("to", day_label(sunday).as_str()),
                ],
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(monday - Duration::days(7))
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(monday + Duration::days(7))
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                monday.format("%Y-%m")
            ),
        )
    } else {
        let first = parse_month(&query.month).unwrap_or_else(|| month_start(today));
        let last = first + Months::new(1) - Duration::days(1);
        // Whole weeks around the month.
        let from = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        let to = last + Duration::days(i64::from(6 - last.weekday().num_days_from_monday()));
        let this_week = if today >= first && today <= last {
            today
        } else {
            first
        };
        (
            from,
            to,
            tr.f(
                "works.month_title",
                [(
                    "month",
                    format!(
                        "{} {}",
                        tr.keyed("works.month_name", first.month()),
                        first.year()
                    )
                    .as_str(),
                )],
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                (first - Months::new(1)).format("%Y-%m")
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                (first + Months::new(1)).format("%Y-%m")
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(
                    this_week
                        - Duration::days(i64::from(this_week.weekday().num_days_from_monday()))
                )
            ),
        )
    };
    let names = ServiceNames::load(&state, tr).await?;
    let days = service::joint_days(
        &state.db,
        &commune.user.scope(),
        Some(&commune.nis),
        from,
        to,
    )
    .await?;
    let month = if week_view {
        None
    } else {
        Some(
            parse_month(&query.month)
                .unwrap_or_else(|| month_start(today))
                .month(),
        )
    };
    let mut weeks = Vec::new();
    let mut date = from;
    let mut count = 0;
    while date <= to {
        let mut week = Vec::new();
        for _ in 0..7 {
            let works: Vec<WorksLine> = days
                .iter()
                .filter(|d| d.day == date)
                .map(|d| works_line(tr, &names, d))
                .collect();
            if month.is_none_or(|m| date.month() == m) {
                count += works.len();
            }
            week.push(CalendarDay {
                date,
                label: format!(
                    "{} {}",
                    tr.keyed("works.weekday", date.weekday().num_days_from_monday()),
                    day_label(date)
                ),
                in_month: month.is_none_or(|m| date.month() == m),
                works,
            });
            date += Duration::days(1);
        }
        weeks.push(week);
    }
    Ok(CalendarPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        week_view,
        title,
        weeks,
        previous,
        next,
        other_view,
        count,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthQuery {
    month: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/map.html")]
struct MapPage {
    tr: Tr,
    page: Frame,
    commune: String,
    title: String,
    works: Vec<WorksLine>,
    previous: String,
    next: String,
    tiles: String,
    attribution: String,
    centre_latitude: String,
    centre_longitude: String,
}

async fn map(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<MonthQuery>,
) -> Result<Response, PageError> {
    let tr = commune.tr;
    let first = parse_month(&query.month).unwrap_or_else(|| month_start(state.clock.today()));
    let last = first + Months::new(1) - Duration::days(1);
    let names = ServiceNames::load(&state, tr).await?;
    let works = service::joint_days(
        &state.db,
        &commune.user.scope(),
        Some(&commune.nis),
        first,
        last,
    )
    .await?
    .iter()
    .map(|d| works_line(tr, &names, d))
    .collect();
    let centre = crate::domain::centres::commune_centre(&commune.nis);
    let page = MapPage {
        tr,
        page: commune.frame,
        title: tr.f(
            "works.map_title",
            [(
                "month",
                format!(
                    "{} {}",
                    tr.keyed("works.month_name", first.month()),
                    first.year()
                )
                .as_str(),
            )],
        ),
        commune: commune.name,
        works,
        previous: (first - Months::new(1)).format("%Y-%m").to_string(),
        next: (first + Months::new(1)).format("%Y-%m").to_string(),
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_tile_attribution.clone(),
        centre_latitude: centre
            .map(|c| format!("{:.5}", c.latitude))
            .unwrap_or_default(),
        centre_longitude: centre
            .map(|c| format!("{:.5}", c.longitude))
            .unwrap_or_default(),
    };
    let mut response = page.into_response();
    // The tiles come from the configured server: only this page lets images load from it.
    if let Ok(policy) = HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data: {}; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        tile_origin(&state.config.map_tile_url)
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// The origin of a tile URL template for the page's content policy (`{s}` subdomains become
/// a wildcard); nothing when it is not an http(s) URL.
pub fn tile_origin(template: &str) -> String {
    let Some((scheme, rest)) = template.split_once("://") else {
        return String::new();
    };
    if scheme != "https" && scheme != "http" {
        return String::new();
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '{' | '}'))
    {
        return String::new();
    }
    format!("{scheme}://{}", host.replace("{s}", "*"))
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/works.html")]
struct WorksPage {
    tr: Tr,
    page: Frame,
    commune: String,
    works: Vec<WorksLine>,
    reference: String,
    site: String,
    details: SiteView,
}

async fn works_page(
    State(state): State<AppState>,
    commune: Municipality,
    Path(id): Path<String>,
) -> Result<WorksPage, PageError> {
    let tr = commune.tr;
    let scope = commune.user.scope();
    let request_id = permits::works_request_for(&state.db, &scope, &id).await?;
    let request = requests::get_for(&state.db, &scope, &request_id).await?;
    if request.commune_nis != commune.nis {
        return Err(PageError::NotFound);
    }
    let names = ServiceNames::load(&state, tr).await?;
    let works = service::joint_days(
        &state.db,
        &scope,
        Some(&commune.nis),
        NaiveDate::MIN,
        NaiveDate::MAX,
    )
    .await?
    .iter()
    .filter(|d| d.request_id == request.id)
    .map(|d| works_line(tr, &names, d))
    .collect();
    let details = service::site_details(&state.db, &request.id).await?;
    Ok(WorksPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        works,
        reference: request.reference.clone(),
        site: site_line(&request),
        details: site_view(tr, &details),
    })
}

// ---------------------------------------------------------------------------------------
// Nuisance avoided: figures, chart and CSV

/// One row of figures, formatted.
pub struct FiguresLine {
    pub works_days: u32,
    pub openings_made: u32,
    pub openings_separate: u32,
    pub openings_avoided: u32,
    pub crew_visits_avoided: u32,
    pub shared_trench: String,
    pub shared_trench_plain: String,
    pub streets_reopened: u32,
}

impl FiguresLine {
    fn of(figures: &nuisance::Figures) -> Self {
        Self {
            works_days: figures.works_days,
            openings_made: figures.openings_made,
            openings_separate: figures.openings_separate,
            openings_avoided: figures.openings_avoided(),
            crew_visits_avoided: figures.crew_visits_avoided,
            shared_trench: metres(figures.shared_trench_metres),
            shared_trench_plain: figures
                .shared_trench_metres
                .round_dp(1)
                .normalize()
                .to_string(),
            streets_reopened: figures.streets_reopened,
        }
    }
}

pub struct MonthLine {
    pub code: String,
    pub label: String,
    pub figures: FiguresLine,
}

/// A bar of the chart, in SVG user units.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub class: &'static str,
    pub title: String,
}

pub struct Tick {
    pub y: u32,
    pub label: u32,
}

pub struct AxisLabel {
    pub x: u32,
    pub text: String,
}

/// Grouped bars per month: openings with separate appointments beside the openings made.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub baseline: u32,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub labels: Vec<AxisLabel>,
}

const CHART_HEIGHT: u32 = 220;
const CHART_TOP: u32 = 10;
const CHART_LEFT: u32 = 40;
const GROUP: u32 = 52;

/// The chart's geometry; pure, so its scale can be tested.
pub fn chart(tr: Tr, report: &Report) -> Chart {
    let baseline = CHART_HEIGHT - 30;
    let plot = baseline - CHART_TOP;
    let max = report
        .months
        .iter()
        .map(|m| m.figures.openings_separate)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |value: u32| value * plot / max;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (index, month) in report.months.iter().enumerate() {
        let x = CHART_LEFT + u32::try_from(index).unwrap_or(0) * GROUP + 4;
        let label = month_label(tr, month.month);
        for (offset, value, class, key) in [
            (
                0,
                month.figures.openings_separate,
                "separate",
                "nuisance.openings_separate",
            ),
            (
                21,
                month.figures.openings_made,
                "made",
                "nuisance.openings_made",
            ),
        ] {
            let height = scale(value);
            bars.push(Bar {
                x: x + offset,
                y: baseline - height,
                width: 20,
                height,
                class,
                title: format!("{label} — {} : {value}", tr.t(key)),
            });
        }
        labels.push(AxisLabel {
            x: x + 20,
            text: month.month.format("%m/%y").to_string(),
        });
    }
    let step = (max / 4).max(1);
    let ticks = (0..=max)
        .step_by(usize::try_from(step).unwrap_or(1))
        .map(|value| Tick {
            y: baseline - scale(value),
            label: value,
        })
        .collect();
    Chart {
        width: CHART_LEFT + u32::try_from(report.months.len()).unwrap_or(0) * GROUP + 10,
        height: CHART_HEIGHT,
        baseline,
        bars,
        ticks,
        labels,
    }
}

fn month_label(tr: Tr, month: NaiveDate) -> String {
    format!(
        "{} {}",
        tr.keyed("works.month_name", month.month()),
        month.year()
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "nuisance.html")]
struct FiguresPage {
    tr: Tr,
    page: Frame,
    /// The commune's name, or none for the coordinator's view across communes.
    commune: Option<String>,
    action: String,
    csv: String,
    from: String,
    to: String,
    /// Coordinator: the communes to choose from, and the chosen one.
    communes: Vec<(String, String)>,
    chosen: String,
    months: Vec<MonthLine>,
    total: FiguresLine,
    chart: Chart,
    problem: Option<String>,
}

/// Who asks for the figures: a commune (its name) or the coordinator (communes to choose).
struct FiguresAudience<'a> {
    commune: Option<String>,
    base: &'a str,
    communes: Vec<(String, String)>,
}

fn figures_page(
    tr: Tr,
    frame: Frame,
    audience: FiguresAudience<'_>,
    query: &FiguresQuery,
    (from, to): (NaiveDate, NaiveDate),
    report: &Report,
    problem: Option<String>,
) -> FiguresPage {
    let FiguresAudience {
        commune,
        base,
        communes,
    } = audience;
    let mut csv_query = vec![("from", from.to_string()), ("to", to.to_string())];
    if !query.commune.is_empty() {
        csv_query.push(("commune", query.commune.clone()));
    }
    FiguresPage {
        tr,
        page: frame,
        commune,
        action: base.to_owned(),
        csv: format!(
            "{base}.csv?{}",
            serde_urlencoded::to_string(&csv_query).unwrap_or_default()
        ),
        from: from.to_string(),
        to: to.to_string(),
        communes,
        chosen: query.commune.clone(),
        months: report
            .months
            .iter()
            .map(|m| MonthLine {
                code: m.month.format("%Y-%m").to_string(),
                label: month_label(tr, m.month),
                figures: FiguresLine::of(&m.figures),
            })
            .collect(),
        total: FiguresLine::of(&report.total),
        chart: chart(tr, report),
        problem,
    }
}

/// A municipality asking for another commune's figures gets 404, like any other of its data.
fn own_commune(commune: &Municipality, query: &FiguresQuery) -> Result<(), PageError> {
    if query.commune.is_empty() || query.commune == commune.nis {
        Ok(())
    } else {
        Err(PageError::NotFound)
    }
}

async fn commune_figures(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    own_commune(&commune, &query)?;
    let tr = commune.tr;
    let (range, problem) = match period(tr, &query, state.clock.today()) {
        Ok(range) => (range, None),
        Err(problem) => (
            period(tr, &FiguresQuery::default(), state.clock.today())
                .map_err(|_| PageError::Internal)?,
            Some(problem),
        ),
    };
    let report = service::figures(
        &state.db,
        &commune.user.scope(),
        Some(&commune.nis),
        range.0,
        range.1,
    )
    .await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = figures_page(
        tr,
        commune.frame,
        FiguresAudience {
            commune: Some(commune.name),
            base: "/commune/figures",
            communes: Vec::new(),
        },
        &query,
        range,
        &report,
        problem,
    );
    Ok((status, page).into_response())
}

async fn commune_figures_csv(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    own_commune(&commune, &query)?;
    let (from, to) =
        period(commune.tr, &query, state.clock.today()).map_err(PageError::BadRequest)?;
    let report = service::figures(
        &state.db,
        &commune.user.scope(),
        Some(&commune.nis),
        from,
        to,
    )
    .await?;
    csv_response(commune.tr, &commune.nis, &report)
}

/// The communes of the coordinator's requests; a commune asked for outside them is 404, and
/// so is the page for anybody but the coordinator's staff.
async fn coordinated_communes(
    state: &AppState,
    staff: &Staff,
    query: &FiguresQuery,
) -> Result<Vec<(String, String)>, PageError> {
    staff.require_coordinator()?;
    let communes = requests::queue_communes(&state.db, &staff.user.scope()).await?;
    if !query.commune.is_empty() && !communes.iter().any(|(nis, _)| *nis == query.commune) {
        return Err(PageError::NotFound);
    }
    Ok(communes)
}

async fn backoffice_figures(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    let communes = coordinated_communes(&state, &staff, &query).await?;
    let (range, problem) = match period(tr, &query, state.clock.today()) {
        Ok(range) => (range, None),
        Err(problem) => (
            period(tr, &FiguresQuery::default(), state.clock.today())
                .map_err(|_| PageError::Internal)?,
            Some(problem),
        ),
    };
    let commune = Some(query.commune.as_str()).filter(|c| !c.is_empty());
    let report =
        service::figures(&state.db, &staff.user.scope(), commune, range.0, range.1).await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = figures_page(
        tr,
        staff.frame,
        FiguresAudience {
            commune: None,
            base: "/backoffice/nuisance",
            communes,
        },
        &query,
        range,
        &report,
        problem,
    );
    Ok((status, page).into_response())
}

async fn backoffice_figures_csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    coordinated_communes(&state, &staff, &query).await?;
    let (from, to) =
        period(staff.tr, &query, state.clock.today()).map_err(PageError::BadRequest)?;
    let commune = Some(query.commune.as_str()).filter(|c| !c.is_empty());
    let report = service::figures(&state.db, &staff.user.scope(), commune, from, to).await?;
    csv_response(staff.tr, commune.unwrap_or("all"), &report)
}

/// The same figures as the page, one row per month and a total row.
pub fn figures_csv(tr: Tr, report: &Report) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        tr.t("nuisance.csv.month"),
        tr.t("nuisance.works_days"),
        tr.t("nuisance.openings_made"),
        tr.t("nuisance.openings_separate"),
        tr.t("nuisance.openings_avoided"),
        tr.t("nuisance.crew_visits_avoided"),
        tr.t("nuisance.csv.shared_trench_metres"),
        tr.t("nuisance.streets_reopened"),
    ])?;
    let row = |label: String, f: &nuisance::Figures| {
        vec![
            label,
            f.works_days.to_string(),
            f.openings_made.to_string(),
            f.openings_separate.to_string(),
            f.openings_avoided().to_string(),
            f.crew_visits_avoided.to_string(),
            f.shared_trench_metres.round_dp(1).normalize().to_string(),
            f.streets_reopened.to_string(),
        ]
    };
    for month in &report.months {
        writer.write_record(row(month.month.format("%Y-%m").to_string(), &month.figures))?;
    }
    writer.write_record(row(tr.t("nuisance.total").to_owned(), &report.total))?;
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn csv_response(tr: Tr, scope_label: &str, report: &Report) -> Result<Response, PageError> {
    let body = figures_csv(tr, report).map_err(|_| PageError::Internal)?;
    let filename = format!(
        "nuisances-evitees-{scope_label}-{}-{}.csv",
        report.from, report.to
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .map_err(|_| PageError::Internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Leaflet, vendored (static/vendor/leaflet, BSD-2-Clause) and the map script

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn leaflet_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/leaflet/leaflet.js"),
    )
}

async fn leaflet_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../../static/vendor/leaflet/leaflet.css"),
    )
}

async fn leaflet_license() -> Response {
    asset(
        "text/plain; charset=utf-8",
        include_bytes!("../../static/vendor/leaflet/LICENSE"),
    )
}

async fn leaflet_image(Path(name): Path<String>) -> Response {
    let body: &'static [u8] = match name.as_str() {
        "layers.png" => include_bytes!("../../static/vendor/leaflet/images/layers.png"),
        "layers-2x.png" => include_bytes!("../../static/vendor/leaflet/images/layers-2x.png"),
        "marker-icon.png" => include_bytes!("../../static/vendor/leaflet/images/marker-icon.png"),
        "marker-icon-2x.png" => {
            include_bytes!("../../static/vendor/leaflet/images/marker-icon-2x.png")
        }
        "marker-shadow.png" => {
            include_bytes!("../../static/vendor/leaflet/images/marker-shadow.png")
        }
        _ => return PageError::NotFound.into_response(),
    };
    asset("image/png", body)
}

async fn map_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/commune-map.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Language,
        nuisance::{JointDayRecord, OperatorWork},
    };

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn report() -> Report {
        let day = |on: &str, n: usize| JointDayRecord {
            commune_nis: "92094".into(),
            street: Some("Rue".into()),
            day: date(on),
            operators: (0..n)
                .map(|_| OperatorWork {
                    service: "water".into(),
                    civil_works: true,
                    trench_metres: Decimal::from(10),
                })
                .collect(),
            done: true,
        };
        nuisance::report(
            &[day("2026-01-05", 5), day("2026-02-05", 2)],
            date("2026-01-01"),
            date("2026-03-31"),
        )
    }

    #[test]
    fn the_chart_scales_bars_to_the_largest_month() {
        let chart = chart(Tr(Language::Fr), &report());
        assert_eq!(chart.bars.len(), 6, "two bars for each of three months");
        let tallest = chart.bars.iter().map(|b| b.height).max().unwrap();
        assert_eq!(tallest, chart.baseline - CHART_TOP);
        // February: 2 separate openings of a scale of 5.
        assert_eq!(chart.bars[2].height, 2 * (chart.baseline - CHART_TOP) / 5);
        assert!(chart.bars.iter().all(|b| b.y + b.height == chart.baseline));
        assert!(chart.bars[0].title.contains('5'));
    }

    #[test]
    fn the_csv_carries_the_figures_and_a_total() {
        let csv = figures_csv(Tr(Language::En), &report()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 3 + 1);
        assert_eq!(lines[1], "2026-01,1,1,5,4,4,10,0");
        assert_eq!(lines[2], "2026-02,1,1,2,1,1,10,1");
        assert!(lines[4].ends_with(",2,2,7,5,5,20,1"), "{}", lines[4]);
    }

    #[test]
    fn the_tile_origin_is_allowed_and_nothing_else() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "https://tile.openstreetmap.org"
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example.be/{z}/{x}/{y}.png"),
            "https://*.tiles.example.be"
        );
        assert_eq!(tile_origin("javascript:alert(1)"), "");
        assert_eq!(tile_origin("https://evil.example; script-src *"), "");
    }
}
