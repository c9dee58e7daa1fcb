//! Construction holidays at run time: read from the database by every scheduling step, and
//! kept by platform administrators. A period added or moved onto a booked joint day flags
//! that request for its case officer, as a crew absence does (rules V-8.2.2, C-4).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Any;

use crate::{
    db::{
        DbError, Tx,
        holidays::{self, HolidayRow, NewPeriod},
        requests::{self, NewEvent},
        sessions::SessionUser,
    },
    domain::{HolidayId, PostcodeDirectory},
    scheduling::{ConstructionHolidays, HolidayPeriod, PeriodError, Province},
    state::AppState,
};

/// Only the platform's administrators keep the construction holidays.
pub fn may_edit(user: &SessionUser) -> bool {
    user.role == crate::domain::tenancy::Role::PlatformAdmin
}

/// The Walloon province of a commune, from the postcode table.
pub fn province_of_commune(directory: &PostcodeDirectory, nis: &str) -> Option<Province> {
    directory
        .commune_by_nis(nis)
        .and_then(|c| c.province.as_deref())
        .and_then(|name| Province::from_str(name).ok())
}

fn provinces_text(provinces: &[Province]) -> String {
    provinces
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// A stored row as a period of the calendar.
pub fn period_of(row: &HolidayRow) -> Result<HolidayPeriod, DbError> {
    let provinces = row
        .provinces
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| {
            Province::from_code(code)
                .ok_or_else(|| DbError::Corrupt(format!("construction holiday province {code:?}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(HolidayPeriod {
        name: row.name.clone(),
        from: row.first_day,
        to: row.last_day,
        provinces,
    })
}

/// The stored rows and the calendar data they make, in the same order.
pub struct Stored {
    pub rows: Vec<HolidayRow>,
    pub holidays: ConstructionHolidays,
}

pub async fn stored<'e, E>(executor: E) -> Result<Stored, DbError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = holidays::all(executor).await?;
    let periods = rows.iter().map(period_of).collect::<Result<_, _>>()?;
    let holidays = ConstructionHolidays::new(periods)
        .map_err(|e| DbError::Corrupt(format!("construction holidays: {e}")))?;
    Ok(Stored { rows, holidays })
}

/// The periods in force for scheduling.
pub async fn load<'e, E>(executor: E) -> Result<ConstructionHolidays, DbError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(stored(executor).await?.holidays)
}

/// The construction holidays for pages: kept briefly in memory (`state::REFERENCE_TTL`); a
/// reservation reads them under its lock instead ([`load`]).
pub async fn current(state: &AppState) -> Result<std::sync::Arc<ConstructionHolidays>, DbError> {
    if let Some(kept) = state.reference.construction_holidays.fresh() {
        return Ok(kept);
    }
    Ok(state
        .reference
        .construction_holidays
        .keep(load(&state.db.pool).await?))
}

/// A stored period as the administration page lists it: who changed it last, and when.
#[derive(Debug, Clone)]
pub struct ListedPeriod {
    pub id: HolidayId,
    pub period: HolidayPeriod,
    /// `None` for the periods shipped with the product.
    pub updated_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Every stored period, in the calendar's order (checked together, as scheduling reads them).
pub async fn listed(state: &AppState) -> Result<Vec<ListedPeriod>, DbError> {
    stored(&state.db.pool)
        .await?
        .rows
        .iter()
        .map(|row| {
            Ok(ListedPeriod {
                id: row.id,
                period: period_of(row)?,
                updated_by_name: row.updated_by_name.clone(),
                updated_at: row.updated_at,
            })
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] PeriodError),
    #[error("no such construction holiday period")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What an edit did: the period as stored, and the requests whose booked day it now takes.
#[derive(Debug)]
pub struct Saved {
    pub period: HolidayPeriod,
    pub flagged: Vec<String>,
}

/// Adds a period (`id` = `None`) or changes one, checked against all the others in a
/// transaction no other edit can interleave with. On refusal nothing is stored.
pub async fn save(
    state: &AppState,
    user: &SessionUser,
    id: Option<HolidayId>,
    period: HolidayPeriod,
    now: DateTime<Utc>,
) -> Result<Saved, EditError> {
    let mut tx = holidays::begin_edit(&state.db).await?;
    let current = stored(&mut *tx).await?;
    let replacing = match id {
        Some(id) => Some(
            current
                .rows
                .iter()
                .position(|r| r.id == id)
                .ok_or(EditError::NotFound)?,
        ),
        None => None,
    };
    let updated = current.holidays.with_period(replacing, period)?;
    let period = updated
        .periods()
        .last()
        .cloned()
        .ok_or_else(|| DbError::Corrupt("period vanished".into()))?;
    let provinces = provinces_text(&period.provinces);
    let row = NewPeriod {
        name: &period.name,
        first_day: period.from,
        last_day: period.to,
        provinces: &provinces,
    };
    match id {
        Some(id) => {
            if !holidays::update(&mut tx, id, &row, user.user_id, now).await? {
                return Err(EditError::NotFound);
            }
        }
        None => {
            holidays::insert(&mut tx, &row, user.user_id, now).await?;
        }
    }
    let flagged = flag_booked_days(&mut tx, state, user, &period, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.reference.construction_holidays.clear();
    Ok(Saved { period, flagged })
}

/// Removes a period: its days become working days again. Returns the period removed.
pub async fn remove(state: &AppState, id: HolidayId) -> Result<HolidayPeriod, EditError> {
    let mut tx = holidays::begin_edit(&state.db).await?;
    let current = stored(&mut *tx).await?;
    let row = current
        .rows
        .iter()
        .find(|r| r.id == id)
        .ok_or(EditError::NotFound)?;
    let period = period_of(row)?;
    if !holidays::delete(&mut tx, id).await? {
        return Err(EditError::NotFound);
    }
    tx.commit().await.map_err(DbError::from)?;
    state.reference.construction_holidays.clear();
    Ok(period)
}

/// Puts a note in the timeline of every request whose civil-works crew is booked, from today
/// on, on a day of `period` in its province: the officer cancels the day and picks another.
async fn flag_booked_days(
    tx: &mut Tx,
    state: &AppState,
    user: &SessionUser,
    period: &HolidayPeriod,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let from = period.from.max(crate::clock::day_of(now));
    if from > period.to {
        return Ok(Vec::new());
    }
    let mut flagged: Vec<String> = Vec::new();
    for booking in holidays::civil_works_bookings(tx, from, period.to).await? {
        let concerned = province_of_commune(&state.directory, &booking.commune_nis)
            .is_some_and(|province| period.applies_to(province));
        if !concerned || flagged.contains(&booking.reference) {
            continue;
        }
        let detail = format!("{} · {}", booking.day, period.name);
        requests::insert_event(
            tx,
            &NewEvent::staff_note(
                booking.request_id,
                now,
                "construction_holiday_on_day",
                user,
                Some(&detail),
            ),
        )
        .await?;
        flagged.push(booking.reference);
    }
    Ok(flagged)
}

/// The construction holiday falling on a request's booked joint day, for a civil-works crew
/// in the site's province, if any: the day cannot be kept.
pub async fn on_booked_day(
    state: &AppState,
    request: &crate::db::RequestAccess,
    commune_nis: &str,
) -> Result<Option<(NaiveDate, String)>, DbError> {
    let days = holidays::civil_works_days_of(&state.db, request).await?;
    if days.is_empty() {
        return Ok(None);
    }
    let Some(province) = province_of_commune(&state.directory, commune_nis) else {
        return Ok(None);
    };
    let holidays = load(&state.db.pool).await?;
    Ok(days.into_iter().find_map(|day| {
        holidays
            .periods()
            .iter()
            .find(|p| p.contains(province, day))
            .map(|p| (day, p.name.clone()))
    }))
}
