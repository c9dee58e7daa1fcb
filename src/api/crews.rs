//! An operator's planning system reads its crews and declares their absences in bulk (issue
//! 21), through the same service as the crews page: each absence on a reserved joint day is
//! recorded in that request's timeline, naming the key, and flags the day to choose again.
//! Its crews are added, changed and retired through the crews page's services too, with the
//! page's checks and refusals: a change that would break a booked joint day is refused (C-4).

use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ErrorResponse, require_write};
use crate::domain::CrewId;
use crate::domain::tenancy::OrganisationKind;
use crate::{
    domain::{InputError, tenancy::SessionUser},
    http::{
        error::ApiError,
        extract::{ApiIdPath, Staff},
    },
    i18n::Tr,
    services::{
        crews::{self, CrewOverview},
        schedule::{self, CrewError, ScheduleError},
    },
    state::AppState,
};

/// The most absences one call declares.
pub const ABSENCES_MAX: usize = 200;

/// Only an operator has crews; for anybody else they do not exist.
fn require_operator(user: &SessionUser) -> Result<(), ApiError> {
    if user.organisation_kind == OrganisationKind::Operator {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// One of the operator's crews in service.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = OperatorCrew)]
pub struct CrewJson {
    /// The crew's id, for its absences.
    #[schema(value_type = String, format = Uuid)]
    id: CrewId,
    name: String,
    /// The service it works for.
    service: String,
    /// Joint days it takes on one day.
    daily_capacity: i64,
    /// Whether it opens the public domain (a road-works permit is needed, C-6).
    civil_works: bool,
    /// NIS codes of the communes it serves.
    communes: Vec<String>,
    /// Its absences from today on (`YYYY-MM-DD`), in order.
    absences: Vec<NaiveDate>,
}

impl From<CrewOverview> for CrewJson {
    fn from(crew: CrewOverview) -> Self {
        CrewJson {
            id: crew.id,
            name: crew.name,
            service: crew.service,
            daily_capacity: crew.daily_capacity,
            civil_works: crew.civil_works,
            communes: crew.communes,
            absences: crew.absences,
        }
    }
}

async fn own_crews(state: &AppState, user: &SessionUser) -> Result<Vec<CrewJson>, ApiError> {
    Ok(crews::overview(state, &user.scope(), state.clock.today())
        .await?
        .into_iter()
        .map(CrewJson::from)
        .collect())
}

/// The operator's crews in service, by name, with their communes and coming absences.
#[utoipa::path(
    get,
    path = "/crews",
    operation_id = "listCrews",
    tag = "crews",
    summary = "The operator's crews in service, by name, with the communes they serve and their coming absences",
    responses(
        (status = 200, description = "The crews", body = Vec<CrewJson>),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<CrewJson>>, ApiError> {
    require_operator(&staff.user)?;
    Ok(Json(own_crews(&state, &staff.user).await?))
}

/// One absence, with the fields of the crews page's form.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AbsenceInput {
    /// The crew's id.
    pub crew: String,
    /// The first day away (`YYYY-MM-DD`).
    pub day: String,
    /// The last day away; empty for one day.
    pub until: String,
}

/// Absences declared at once.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(as = Absences)]
pub struct AbsencesBody {
    #[schema(min_items = 1, max_items = 200)]
    pub absences: Vec<AbsenceInput>,
}

/// One absence declared, with the joint days it breaks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AbsenceDeclared {
    #[schema(value_type = String, format = Uuid)]
    crew: CrewId,
    first: NaiveDate,
    last: NaiveDate,
    /// References of the requests whose reserved joint day the crew now misses: their case
    /// officer chooses another day.
    affected: Vec<String>,
}

/// What the absences did, and the crews as they are now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AbsencesDeclared {
    absences: Vec<AbsenceDeclared>,
    crews: Vec<CrewJson>,
}

fn refused(detail: String) -> ApiError {
    ApiError::refused(detail, None)
}

/// The days of one absence as typed, or why not (the crews page's checks).
fn days_of(tr: Tr, input: &AbsenceInput) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
    let first = parse(&input.day).map_err(|_| tr.error(&InputError::Date))?;
    let last = match input.until.trim() {
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

/// Declares absences of the operator's crews through the crews page's service. Every absence
/// is checked first: one that is refused (a day unreadable, a period backwards or too long, a
/// crew that is not the operator's) declares none. An absence already declared changes nothing.
#[utoipa::path(
    post,
    path = "/crews/absences",
    operation_id = "declareAbsences",
    tag = "crews",
    summary = "Declares absences of the operator's crews in bulk through the crews page's service; each reserved joint day a crew now misses is flagged in its request's timeline, naming the key",
    description = "Needs a read-write key of the operator. Every absence is checked first: one refused (a day unreadable, a period backwards or longer than the page allows, a crew that is not the operator's) declares none (422, naming it by its index). An absence already declared changes nothing.",
    params(super::doc::IdempotencyHeader),
    request_body(content = AbsencesBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The absences declared with the joint days they break, and the crews as they are now", body = AbsencesDeclared, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn declare_absences(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<Json<AbsencesDeclared>, ApiError> {
    require_operator(&staff.user)?;
    require_write(&staff.user)?;
    let tr = staff.tr;
    let input: AbsencesBody = serde_json::from_slice(&body)
        .map_err(|error| ApiError::Invalid(format!("body: {error}")))?;
    if input.absences.is_empty() || input.absences.len() > ABSENCES_MAX {
        return Err(ApiError::Invalid(format!(
            "body: absences holds 1 to {ABSENCES_MAX} absences"
        )));
    }
    let own: Vec<CrewId> = own_crews(&state, &staff.user)
        .await?
        .into_iter()
        .map(|crew| crew.id)
        .collect();
    let mut checked = Vec::new();
    for (index, absence) in input.absences.iter().enumerate() {
        // Text that is no id names no crew, as an id of nobody's crew does.
        let Some(crew) = absence
            .crew
            .trim()
            .parse::<CrewId>()
            .ok()
            .filter(|crew| own.contains(crew))
        else {
            return Err(ApiError::Invalid(format!(
                "absences[{index}].crew: none of the operator's crews"
            )));
        };
        let (first, last) =
            days_of(tr, absence).map_err(|why| refused(format!("absences[{index}]: {why}")))?;
        checked.push((crew, first, last));
    }
    // All the absences in one transaction: a failure midway records none of them.
    let affected = schedule::declare_absences(&state, &staff.user, &checked, state.clock.now())
        .await
        .map_err(|error| match error {
            ScheduleError::Db(error) => ApiError::from(error),
            other => {
                tracing::error!(error = %other, "crew absences");
                ApiError::Internal
            }
        })?;
    let declared = checked
        .into_iter()
        .zip(affected)
        .map(|((crew, first, last), affected)| AbsenceDeclared {
            crew,
            first,
            last,
            affected,
        })
        .collect();
    Ok(Json(AbsencesDeclared {
        absences: declared,
        crews: own_crews(&state, &staff.user).await?,
    }))
}

/// A new crew, with the fields of the crews page's form (its communes as NIS codes rather than
/// postcodes).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(as = NewCrew)]
pub struct CrewBody {
    /// 1 to 80 characters; unique among the operator's crews, retired ones included.
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// Joint days it takes on one day, 1 to 20.
    #[schema(minimum = 1, maximum = 20)]
    pub daily_capacity: i64,
    /// Whether it opens the public domain (a road-works permit is needed, C-6; it stops during
    /// the construction holidays).
    pub civil_works: bool,
    /// NIS codes of the communes it serves, at least one.
    #[schema(min_items = 1)]
    pub communes: Vec<String>,
}

/// A change of a crew: only the fields given change; the others stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(as = CrewChange)]
pub struct CrewPatch {
    #[schema(min_length = 1, max_length = 80)]
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 20)]
    pub daily_capacity: Option<i64>,
    pub civil_works: Option<bool>,
    /// The communes it serves from now on (NIS codes), replacing the list.
    #[schema(min_items = 1)]
    pub communes: Option<Vec<String>>,
}

/// A crew's fields as checked: name, capacity, communes (NIS codes, once each).
struct CheckedCrew {
    name: String,
    capacity: u32,
    communes: Vec<String>,
}

/// The crews page's checks of a crew's fields, each refused field named by its JSON name in
/// the key owner's language; nothing is saved when one is refused.
fn checked_crew(
    state: &AppState,
    tr: Tr,
    name: &str,
    capacity: i64,
    communes: &[String],
) -> Result<CheckedCrew, ApiError> {
    let mut problems = Vec::new();
    let name = crate::domain::error::required_text(name, 80)
        .map_err(|error| problems.push(format!("name: {}", tr.error(&error))))
        .ok();
    let capacity = u32::try_from(capacity)
        .ok()
        .filter(|n| (1..=20).contains(n))
        .or_else(|| {
            problems.push(format!("daily_capacity: {}", tr.t("crews.capacity_range")));
            None
        });
    let mut served: Vec<String> = Vec::new();
    for (index, nis) in communes.iter().enumerate() {
        let nis = nis.trim();
        if state.directory.commune_by_nis(nis).is_none() {
            problems.push(format!(
                "communes[{index}]: {}",
                tr.f("crews.unknown_nis", [("nis", nis)])
            ));
        } else if !served.iter().any(|known| known == nis) {
            served.push(nis.to_owned());
        }
    }
    if communes.is_empty() {
        problems.push(format!("communes: {}", tr.t("crews.communes_required_nis")));
    }
    match (name, capacity) {
        (Some(name), Some(capacity)) if problems.is_empty() => Ok(CheckedCrew {
            name,
            capacity,
            communes: served,
        }),
        _ => Err(ApiError::Invalid(problems.join(" "))),
    }
}

fn read_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::Invalid(format!("body: {error}")))
}

/// The crew as GET /crews lists it, if it is one of the operator's crews in service.
async fn own_crew(state: &AppState, user: &SessionUser, id: CrewId) -> Result<CrewJson, ApiError> {
    own_crews(state, user)
        .await?
        .into_iter()
        .find(|crew| crew.id == id)
        .ok_or(ApiError::NotFound)
}

/// Why the crews page refuses a change touching booked days, in the key owner's language: the
/// joint days reserved stay honoured (C-4).
fn crew_refusal(tr: Tr, error: CrewError) -> ApiError {
    match crate::http::refusal::crew_refusal(tr, &error) {
        Some(detail) => match &error {
            CrewError::NameTaken(_) => refused(format!("name: {detail}")),
            _ => ApiError::refused(detail, crate::http::refusal::crew_rule(&error)),
        },
        None => match error {
            CrewError::Db(error) => ApiError::from(error),
            _ => ApiError::NotFound,
        },
    }
}

/// Adds a crew through the crews page's service.
#[utoipa::path(
    post,
    path = "/crews",
    operation_id = "createCrew",
    tag = "crews",
    summary = "Adds a crew to the operator, with the crews page's checks; answers the crew as GET /crews lists it",
    description = "Needs a read-write key of the operator. A refused field is named (422 invalid, in the key owner's language) and nothing is saved; a name the operator already has (a retired crew's included) is refused (422 refused). An organisation that runs no connection works has no crews (422 refused).",
    params(super::doc::IdempotencyHeader),
    request_body(content = CrewBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The crew added", body = CrewJson, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<(StatusCode, Json<CrewJson>), ApiError> {
    require_operator(&staff.user)?;
    require_write(&staff.user)?;
    let tr = staff.tr;
    let input: CrewBody = read_body(&body)?;
    let checked = checked_crew(
        &state,
        tr,
        &input.name,
        input.daily_capacity,
        &input.communes,
    )?;
    let scope = staff.user.scope();
    let Some(service) = crews::crew_service(&state, &scope).await? else {
        return Err(refused(tr.t("crews.no_service").to_owned()));
    };
    let added = crews::add(
        &state,
        &scope,
        service,
        &crews::CrewChange {
            name: &checked.name,
            daily_capacity: checked.capacity,
            civil_works: input.civil_works,
            communes: &checked.communes,
        },
        state.clock.now(),
    )
    .await?;
    let Some(id) = added else {
        return Err(refused(format!(
            "name: {}",
            tr.f("crews.name_taken", [("name", checked.name.as_str())])
        )));
    };
    let crew = own_crew(&state, &staff.user, id).await?;
    Ok((StatusCode::CREATED, Json(crew)))
}

/// Changes a crew through the crews page's service: only the fields given change.
#[utoipa::path(
    post,
    path = "/crews/{id}",
    operation_id = "changeCrew",
    tag = "crews",
    summary = "Changes one of the operator's crews, with the crews page's checks; booked joint days stay honoured (C-4)",
    description = "Needs a read-write key of the operator. Only the fields given change (communes replaces the whole list). A refused field is named (422 invalid); a capacity below a coming day's bookings, or a commune dropped where a joint day is booked, is refused with rule C-4 (422 refused). Another organisation's crew, or a retired one, answers 404.",
    params(
        ("id" = uuid::Uuid, Path, description = "The crew"),
        super::doc::IdempotencyHeader,
    ),
    request_body(content = CrewPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The crew as it is now", body = CrewJson, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<CrewId>,
    body: Bytes,
) -> Result<Json<CrewJson>, ApiError> {
    require_operator(&staff.user)?;
    // Another organisation's crew does not exist, whatever the key may do.
    let current = own_crew(&state, &staff.user, id).await?;
    require_write(&staff.user)?;
    let tr = staff.tr;
    let input: CrewPatch = read_body(&body)?;
    let checked = checked_crew(
        &state,
        tr,
        input.name.as_deref().unwrap_or(&current.name),
        input.daily_capacity.unwrap_or(current.daily_capacity),
        input.communes.as_deref().unwrap_or(&current.communes),
    )?;
    schedule::change_crew(
        &state,
        &staff.user.scope(),
        current.id,
        &crews::CrewChange {
            name: &checked.name,
            daily_capacity: checked.capacity,
            civil_works: input.civil_works.unwrap_or(current.civil_works),
            communes: &checked.communes,
        },
        state.clock.now(),
    )
    .await
    .map_err(|error| crew_refusal(tr, error))?;
    Ok(Json(own_crew(&state, &staff.user, current.id).await?))
}

/// Retires a crew through the crews page's service, once it has no joint day to come.
#[utoipa::path(
    post,
    path = "/crews/{id}/retire",
    operation_id = "retireCrew",
    tag = "crews",
    summary = "Retires one of the operator's crews once it has no joint day to come (C-4); new days no longer count on it",
    description = "Needs a read-write key of the operator. A crew with joint days to come is refused with rule C-4 (422 refused), naming them. Another organisation's crew, or one already retired, answers 404. The crew no longer appears in GET /crews nor on the crews page; its past reservations stay.",
    params(
        ("id" = uuid::Uuid, Path, description = "The crew"),
        super::doc::IdempotencyHeader,
    ),
    responses(
        (status = 200, description = "The crew retired, as it was", body = CrewJson, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn retire(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<CrewId>,
) -> Result<Json<CrewJson>, ApiError> {
    require_operator(&staff.user)?;
    let crew = own_crew(&state, &staff.user, id).await?;
    require_write(&staff.user)?;
    schedule::retire_crew(&state, &staff.user.scope(), crew.id, state.clock.now())
        .await
        .map_err(|error| crew_refusal(staff.tr, error))?;
    Ok(Json(crew))
}
