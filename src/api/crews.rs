//! An operator's planning system reads its crews and declares their absences in bulk (issue
//! 21), through the same service as the crews page: each absence on a reserved joint day is
//! recorded in that request's timeline, naming the key, and flags the day to choose again.

use axum::{Json, body::Bytes, extract::State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ErrorResponse, require_write};
use crate::{
    domain::{InputError, tenancy::SessionUser},
    http::{error::ApiError, extract::Staff},
    i18n::Tr,
    services::{
        crews::{self, CrewOverview},
        schedule::{self, ScheduleError},
    },
    state::AppState,
};

/// The most absences one call declares.
pub const ABSENCES_MAX: usize = 200;

/// Only an operator has crews; for anybody else they do not exist.
fn require_operator(user: &SessionUser) -> Result<(), ApiError> {
    if user.organisation_kind == "operator" {
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
    #[schema(format = Uuid)]
    id: String,
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
            id: crew.id.to_string(),
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
    #[schema(format = Uuid)]
    crew: String,
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
    let own: Vec<String> = own_crews(&state, &staff.user)
        .await?
        .into_iter()
        .map(|crew| crew.id)
        .collect();
    let mut checked = Vec::new();
    for (index, absence) in input.absences.iter().enumerate() {
        let crew = absence.crew.trim().to_owned();
        if !own.contains(&crew) {
            return Err(ApiError::Invalid(format!(
                "absences[{index}].crew: none of the operator's crews"
            )));
        }
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
