//! An operator's crews as its staff keep them: the list with where each works and when it is
//! away, and a new crew. Changes that touch booked days go through `services::schedule`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{CrewId, RequestId};
use crate::{
    db::{DbError, crews, organisations},
    domain::{ServiceCode, tenancy::Scope},
    state::AppState,
};

/// A crew's fields as staff type them: for a new crew and for a change of one.
pub use crate::db::crews::CrewChange;

/// One of the caller's crews, as the crews page lists it.
#[derive(Debug, Clone)]
pub struct CrewOverview {
    pub id: CrewId,
    pub name: String,
    /// The service code the crew works for.
    pub service: String,
    pub daily_capacity: i64,
    pub civil_works: bool,
    /// NIS codes of the communes it serves, in code order.
    pub communes: Vec<String>,
    /// Its absences from `today` on, in order.
    pub absences: Vec<NaiveDate>,
}

/// The caller's crews in service, by name, with their communes and coming absences.
pub async fn overview(
    state: &AppState,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<CrewOverview>, DbError> {
    let mut overview = Vec::new();
    for crew in crews::own(&state.db, scope).await? {
        let communes = crews::communes_of(&state.db, crew.id).await?;
        let absences = crews::absences_from(&state.db, crew.id, today).await?;
        overview.push(CrewOverview {
            id: crew.id,
            name: crew.name,
            service: crew.service,
            daily_capacity: crew.daily_capacity,
            civil_works: crew.civil_works != 0,
            communes,
            absences,
        });
    }
    Ok(overview)
}

/// The service the caller's organisation provides, if it is one a crew can work for.
pub async fn crew_service(state: &AppState, scope: &Scope) -> Result<Option<ServiceCode>, DbError> {
    let organisation = organisations::own(&state.db, scope).await?;
    Ok(organisation
        .service
        .as_deref()
        .and_then(|s| ServiceCode::parse(s).ok()))
}

/// A new crew of the caller's organisation for `service`, and its id; a crew of the same name
/// already there (in service or retired) is left as it is, and the answer is `None`.
pub async fn add(
    state: &AppState,
    scope: &Scope,
    service: ServiceCode,
    crew: &CrewChange<'_>,
    now: DateTime<Utc>,
) -> Result<Option<CrewId>, DbError> {
    crews::ensure(
        &state.db,
        &crews::NewCrew {
            organisation_id: scope.organisation_id(),
            service,
            name: crew.name,
            daily_capacity: crew.daily_capacity,
            civil_works: crew.civil_works,
            communes: crew.communes,
        },
        now,
    )
    .await
}

pub use crate::db::crews::BookedFilter;

/// Where a reserved joint day stands, as the data knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingState {
    /// Reserved, not yet confirmed to the applicant (payments or the permit to come, C-4, C-6).
    Reserved,
    /// Confirmed to the applicant: the request is scheduled (or its works done).
    Confirmed,
    /// The request ended without works (withdrawn, refused, lapsed) while the day was kept. A
    /// day the case officer cancelled frees its crews and is no longer listed.
    Cancelled,
}

impl BookingState {
    pub fn of(state: crate::domain::RequestState) -> Self {
        use crate::domain::RequestState as S;
        match state {
            S::Scheduled | S::Done | S::Closed => Self::Confirmed,
            S::Withdrawn | S::Refused | S::Lapsed => Self::Cancelled,
            _ => Self::Reserved,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A crew booked on the joint day.
#[derive(Debug, Clone)]
pub struct BookedCrew {
    pub service: String,
    pub crew: String,
    /// When its works were recorded done.
    pub done_at: Option<String>,
}

/// A request's reserved joint day as its reader may see it (issue 21).
#[derive(Debug, Clone)]
pub struct BookedDay {
    pub day: NaiveDate,
    pub request_id: RequestId,
    pub reference: String,
    pub state: BookingState,
    /// The request's own state code.
    pub request_state: String,
    pub commune_nis: String,
    pub commune: String,
    /// The site as the operator's day sheet writes it.
    pub address: String,
    /// The reader's crews: an operator's own, every one for the coordinator.
    pub crews: Vec<BookedCrew>,
}

/// The most joint days one page of the API's list holds.
pub const BOOKED_PAGE_MAX: i64 = 200;

/// A page of the joint days involving the reader's crews (an operator) or its requests (the
/// coordinator), earliest first, `limit` at most, and whether more follow. Anybody else has
/// none.
pub async fn booked_days(
    state: &AppState,
    user: &crate::domain::tenancy::SessionUser,
    filter: &BookedFilter,
    limit: i64,
) -> Result<(Vec<BookedDay>, bool), DbError> {
    let limit = limit.clamp(1, BOOKED_PAGE_MAX);
    let rows = crews::booked_days(
        &state.db,
        &user.scope(),
        user.is_coordinator(),
        filter,
        limit + 1,
    )
    .await?;
    let mut days: Vec<BookedDay> = Vec::new();
    for row in rows {
        let crew = BookedCrew {
            service: row.service,
            crew: row.crew_name,
            done_at: row.done_at,
        };
        if let Some(last) = days.last_mut().filter(|d| d.request_id == row.request_id) {
            last.crews.push(crew);
            continue;
        }
        days.push(BookedDay {
            day: row.day,
            address: crate::domain::geo::site_line(
                row.street.as_deref(),
                row.house_number.as_deref(),
                &row.postcode,
                &row.commune_name,
                row.parcel_ref.as_deref(),
                row.map_point.as_deref(),
            ),
            request_id: row.request_id,
            reference: row.reference,
            state: BookingState::of(row.state),
            request_state: row.state.code().to_owned(),
            commune_nis: row.commune_nis,
            commune: row.commune_name,
            crews: vec![crew],
        });
    }
    let more = days.len() as i64 > limit;
    days.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((days, more))
}
