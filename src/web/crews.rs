//! Operator staff's crews: where they work, how much a day, and their absences. An absence
//! on a reserved joint day flags the request for the case officer (rule C-4).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    backoffice::{Notice, day_label, schedule_refusal},
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, ServiceNames},
};
use crate::domain::CrewId;
use crate::http::extract::{IdPath, page_id};
use crate::{
    domain::InputError,
    i18n::Tr,
    services::{
        DbError, crews,
        schedule::{self, ScheduleError},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operator/crews", get(crews_page))
        .route("/operator/crews/absence", post(add_absence))
        .route("/operator/crews/new", post(add_crew))
        .route("/operator/crews/{id}/edit", post(edit_crew))
        .route("/operator/crews/{id}/retire", post(retire_crew))
}

pub struct CrewView {
    pub id: CrewId,
    pub name: String,
    pub service: String,
    pub capacity: i64,
    pub civil_works: bool,
    pub communes: Vec<String>,
    /// One postcode per commune served, to prefill the change form.
    pub postcodes: String,
    pub absences: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/crews.html")]
struct CrewsPage {
    tr: Tr,
    page: Frame,
    crews: Vec<CrewView>,
    notice: Option<Notice>,
}

async fn render(
    state: &AppState,
    staff: Staff,
    notice: Option<Notice>,
) -> Result<CrewsPage, PageError> {
    let names = ServiceNames::load(state, staff.tr).await?;
    let today = state.clock.today();
    let mut views = Vec::new();
    for crew in crews::overview(state, &staff.user.scope(), today).await? {
        let served = &crew.communes;
        let postcodes = served
            .iter()
            .filter_map(|nis| state.directory.postcodes_of(nis).first().copied())
            .map(|p| p.value().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let communes = served
            .iter()
            .map(|nis| {
                state
                    .directory
                    .commune_by_nis(nis)
                    .map_or_else(|| nis.clone(), |c| c.name.clone())
            })
            .collect();
        let absences = crew.absences.iter().copied().map(day_label).collect();
        views.push(CrewView {
            service: names.name(&crew.service),
            id: crew.id,
            name: crew.name,
            capacity: crew.daily_capacity,
            civil_works: crew.civil_works,
            communes,
            postcodes,
            absences,
        });
    }
    Ok(CrewsPage {
        tr: staff.tr,
        page: staff.frame,
        crews: views,
        notice,
    })
}

async fn crews_page(State(state): State<AppState>, staff: Staff) -> Result<CrewsPage, PageError> {
    render(&state, staff, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AbsenceForm {
    crew: String,
    day: String,
    /// Last day of a longer absence; blank for one day.
    until: String,
}

/// The days of an absence as typed, or why not.
fn absence_days(tr: Tr, form: &AbsenceForm) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
    let first = parse(&form.day).map_err(|_| tr.error(&InputError::Date))?;
    let last = match form.until.trim() {
        "" => first,
        text => parse(text).map_err(|_| tr.error(&InputError::Date))?,
    };
    if last < first {
        return Err(tr.error(&InputError::PeriodOrder));
    }
    if (last - first).num_days() >= schedule::MAX_ABSENCE_DAYS {
        let max = schedule::MAX_ABSENCE_DAYS.to_string();
        return Err(tr.f("crews.absence_too_long", [("max", max.as_str())]));
    }
    Ok((first, last))
}

async fn add_absence(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<AbsenceForm>,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    let (first, last) = match absence_days(tr, &form) {
        Ok(days) => days,
        Err(text) => {
            let notice = Notice { error: true, text };
            let page = render(&state, staff, Some(notice)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    // The crew is chosen from the page's list: text that is no crew's id names none.
    let crew: CrewId = page_id(&form.crew)?;
    let outcome =
        schedule::declare_absence(&state, &staff.user, crew, first, last, state.clock.now()).await;
    match outcome {
        Ok(affected) if affected.is_empty() => Ok(Redirect::to("/operator/crews").into_response()),
        Ok(affected) => {
            // The operator learns at once which joint days its absence breaks.
            let references = affected.join(", ");
            let text = if first == last {
                tr.f(
                    "crews.affected",
                    [
                        ("day", day_label(first).as_str()),
                        ("references", references.as_str()),
                    ],
                )
            } else {
                tr.f(
                    "crews.affected_range",
                    [
                        ("first", day_label(first).as_str()),
                        ("last", day_label(last).as_str()),
                        ("references", references.as_str()),
                    ],
                )
            };
            let notice = Notice { error: true, text };
            Ok(render(&state, staff, Some(notice)).await?.into_response())
        }
        Err(ScheduleError::Db(DbError::NotFound)) => Err(PageError::NotFound),
        Err(ScheduleError::Db(error)) => Err(error.into()),
        Err(other) => {
            let notice = Notice {
                error: true,
                text: schedule_refusal(tr, &other),
            };
            let page = render(&state, staff, Some(notice)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CrewForm {
    name: String,
    capacity: String,
    postcodes: String,
    civil_works: Option<String>,
}

/// A new crew of the caller's organisation: its name, jobs per day and the communes it serves
/// (typed as postcodes). Every refused field is named; nothing is saved then.
async fn add_crew(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<CrewForm>,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    let scope = staff.user.scope();
    let service = crews::crew_service(&state, &scope).await?;
    let checked = checked_crew_fields(&state, tr, &form);
    match (service, checked) {
        (Some(service), Ok((name, capacity, communes))) => {
            let added = crews::add(
                &state,
                &scope,
                service,
                &crews::CrewChange {
                    name: &name,
                    daily_capacity: capacity,
                    civil_works: form.civil_works.as_deref().is_some_and(|v| !v.is_empty()),
                    communes: &communes,
                },
                state.clock.now(),
            )
            .await?;
            if added.is_none() {
                // Names stay unique among the operator's crews, retired ones included.
                let text = tr.f("crews.name_taken", [("name", name.as_str())]);
                let page = render(&state, staff, Some(Notice { error: true, text })).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            Ok(Redirect::to("/operator/crews").into_response())
        }
        (service, checked) => {
            let mut problems = Vec::new();
            if service.is_none() {
                problems.push(tr.t("crews.no_service").to_owned());
            }
            if let Err(text) = checked {
                problems.push(text);
            }
            let notice = Notice {
                error: true,
                text: problems.join(" "),
            };
            let page = render(&state, staff, Some(notice)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The crew form's fields, checked: name, jobs per day, communes (typed as postcodes). Every
/// refused field is named.
fn checked_crew_fields(
    state: &AppState,
    tr: Tr,
    form: &CrewForm,
) -> Result<(String, u32, Vec<String>), String> {
    let mut problems = Vec::new();
    let name = match crate::domain::error::required_text(&form.name, 80) {
        Ok(name) => Some(name),
        Err(error) => {
            problems.push(format!("{} {}", tr.t("crews.name"), tr.error(&error)));
            None
        }
    };
    let capacity = match form.capacity.trim().parse::<u32>() {
        Ok(n @ 1..=20) => Some(n),
        _ => {
            problems.push(tr.t("crews.capacity_range").to_owned());
            None
        }
    };
    let (communes, typed_problems) =
        super::views::communes_of_postcodes(&state.directory, tr, &form.postcodes);
    problems.extend(typed_problems);
    if communes.is_empty() && problems.is_empty() {
        problems.push(tr.t("crews.communes_required").to_owned());
    }
    match (name, capacity) {
        (Some(name), Some(capacity)) if problems.is_empty() => Ok((name, capacity, communes)),
        _ => Err(problems.join(" ")),
    }
}

async fn after_crew_change(
    state: &AppState,
    staff: Staff,
    outcome: Result<(), schedule::CrewError>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/operator/crews?saved=1").into_response()),
        Err(schedule::CrewError::NotFound) => Err(PageError::NotFound),
        Err(schedule::CrewError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let notice = Notice {
                error: true,
                text: crate::http::refusal::crew_refusal(staff.tr, &refused)
                    .unwrap_or_else(|| staff.tr.t("page_error.internal.text").to_owned()),
            };
            let page = render(state, staff, Some(notice)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Operator staff change one of their crews; booked joint days stay honoured.
async fn edit_crew(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<CrewId>,
    CsrfForm(form): CsrfForm<CrewForm>,
) -> Result<Response, PageError> {
    let (name, capacity, communes) = match checked_crew_fields(&state, staff.tr, &form) {
        Ok(fields) => fields,
        Err(text) => {
            let page = render(&state, staff, Some(Notice { error: true, text })).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let outcome = schedule::change_crew(
        &state,
        &staff.user.scope(),
        id,
        &crews::CrewChange {
            name: &name,
            daily_capacity: capacity,
            civil_works: form.civil_works.as_deref().is_some_and(|v| !v.is_empty()),
            communes: &communes,
        },
        state.clock.now(),
    )
    .await;
    after_crew_change(&state, staff, outcome).await
}

/// Operator staff retire a crew that has no joint day to come.
async fn retire_crew(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<CrewId>,
    CsrfForm(_form): CsrfForm<AbsenceForm>,
) -> Result<Response, PageError> {
    let outcome = schedule::retire_crew(&state, &staff.user.scope(), id, state.clock.now()).await;
    after_crew_change(&state, staff, outcome).await
}
