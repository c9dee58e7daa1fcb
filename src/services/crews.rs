//! An operator's crews as its staff keep them: the list with where each works and when it is
//! away, and a new crew. Changes that touch booked days go through `services::schedule`.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    db::{DbError, crews, organisations, parse_date, parse_uuid},
    domain::{ServiceCode, tenancy::Scope},
    state::AppState,
};

/// A crew's fields as staff type them: for a new crew and for a change of one.
pub use crate::db::crews::CrewChange;

/// One of the caller's crews, as the crews page lists it.
#[derive(Debug, Clone)]
pub struct CrewOverview {
    pub id: Uuid,
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
        let communes = crews::communes_of(&state.db, &crew.id).await?;
        let absences = crews::absences_from(&state.db, &crew.id, today)
            .await?
            .iter()
            .filter_map(|d| parse_date(d).ok())
            .collect();
        overview.push(CrewOverview {
            id: parse_uuid(&crew.id)?,
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
) -> Result<Option<Uuid>, DbError> {
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
