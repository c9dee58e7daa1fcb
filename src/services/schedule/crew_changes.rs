//! Crews' absences and changes, and what they do to the joint days already reserved.

use super::*;

/// Operator staff declare a crew away from `first` to `last` (both included). Requests whose
/// joint day falls then are flagged in their timeline for the case officer, who picks a new
/// day among the ones proposed; all days or none are recorded.
pub async fn declare_absence(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    crew_id: CrewId,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ScheduleError> {
    let mut affected = declare_absences(state, user, &[(crew_id, first, last)], now).await?;
    Ok(affected.pop().unwrap_or_default())
}

/// Several absences, each as [`declare_absence`], in one transaction: all of them or none are
/// recorded (an operator's system declaring a week of absences never leaves half of them).
/// For each absence, the references of the requests whose joint day it breaks.
pub async fn declare_absences(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    absences: &[(CrewId, NaiveDate, NaiveDate)],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<String>>, ScheduleError> {
    let mut tx = state.db.begin_write().await?;
    let mut all = Vec::new();
    for &(crew_id, first, last) in absences {
        let mut references = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let affected = crews::add_absence(&mut tx, &user.scope(), crew_id, day).await?;
            let detail = day.to_string();
            for &request_id in &affected {
                let request = requests::get_for_worker(&mut tx, request_id).await?;
                requests::insert_event(
                    &mut tx,
                    &NewEvent::staff_note(
                        request_id,
                        now,
                        "crew_absent_on_day",
                        user,
                        Some(&detail),
                    ),
                )
                .await?;
                if !references.contains(&request.reference) {
                    references.push(request.reference);
                }
            }
        }
        all.push(references);
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(all)
}

/// How far ahead "propose days for all" plans.
pub const BACKLOG_HORIZON_DAYS: usize = 120;

/// Why a crew change is refused (nothing is changed then).
#[derive(Debug, thiserror::Error)]
pub enum CrewError {
    #[error("no such crew for this organisation")]
    NotFound,
    #[error("{booked} jobs are already booked on {day}")]
    CapacityBelowBookings { day: String, booked: i64 },
    #[error("request {reference} is booked on {day} in a commune no longer served")]
    CommuneStillBooked { reference: String, day: String },
    #[error("jobs still to come: {0:?}")]
    ComingJobs(Vec<(String, String)>),
    /// Another of the operator's crews, a retired one included, has that name.
    #[error("a crew is already named {0}")]
    NameTaken(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for CrewError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => CrewError::NotFound,
            other => CrewError::Db(other),
        }
    }
}

/// Operator staff change a crew. Booked joint days stay honoured: the capacity cannot drop
/// below a day's bookings, nor can a commune with a coming booking be dropped.
pub async fn change_crew(
    state: &AppState,
    scope: &Scope,
    crew_id: CrewId,
    change: &crews::CrewChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), CrewError> {
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    crews::own_for_change(&mut tx, scope, crew_id).await?;
    if let Some((day, booked)) =
        crews::first_day_booked_above(&mut tx, crew_id, today, change.daily_capacity).await?
    {
        return Err(CrewError::CapacityBelowBookings { day, booked });
    }
    if let Some(job) = crews::coming_jobs(&mut tx, crew_id, today)
        .await?
        .into_iter()
        .find(|job| !change.communes.contains(&job.commune_nis))
    {
        return Err(CrewError::CommuneStillBooked {
            reference: job.reference,
            day: job.day,
        });
    }
    // Names stay unique among all the operator's crews, retired ones included.
    crews::update(&mut tx, crew_id, change)
        .await
        .map_err(|error| match error {
            DbError::Conflict(_) => CrewError::NameTaken(change.name.to_owned()),
            other => other.into(),
        })?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Retires a crew once it has no joint day to come: new days no longer count on it.
pub async fn retire_crew(
    state: &AppState,
    scope: &Scope,
    crew_id: CrewId,
    now: DateTime<Utc>,
) -> Result<(), CrewError> {
    let mut tx = state.db.begin_write().await?;
    crews::own_for_change(&mut tx, scope, crew_id).await?;
    let coming = crews::coming_jobs(&mut tx, crew_id, crate::clock::day_of(now)).await?;
    if !coming.is_empty() {
        return Err(CrewError::ComingJobs(
            coming.into_iter().map(|j| (j.reference, j.day)).collect(),
        ));
    }
    crews::retire(&mut tx, crew_id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
