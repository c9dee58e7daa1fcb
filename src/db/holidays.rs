//! Construction-holiday periods: platform-wide reference data, not a tenant's. The first
//! release's periods come with the migration; platform administrators keep them up to date.

use super::{HolidayId, RequestId, Stored, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Any;

use super::{Db, DbResult, Engine, Tx, ts};

/// A validated period to store. `provinces` holds province codes separated by commas; empty
/// means all of Wallonia.
#[derive(Debug, Clone)]
pub struct NewPeriod<'a> {
    pub name: &'a str,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub provinces: &'a str,
}

/// One stored period, as the administration page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HolidayRow {
    pub id: HolidayId,
    pub name: String,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub first_day: NaiveDate,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub last_day: NaiveDate,
    pub provinces: String,
    /// `None` for the periods shipped with the product.
    pub updated_by_name: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub updated_at: DateTime<Utc>,
}

/// A write transaction in which no other edit runs: a period is checked against all the
/// others, so two edits checked at the same time could both pass and overlap. SQLite's write
/// transaction already excludes other writers; PostgreSQL needs the lock.
pub async fn begin_edit(db: &Db) -> DbResult<Tx> {
    let mut tx = db.begin_write().await?;
    if db.engine == Engine::Postgres {
        // EXCLUSIVE still lets plain reads through: scheduling keeps reading the periods.
        sqlx::query("LOCK TABLE construction_holidays IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// Held by a reservation while it reads the periods and books: on PostgreSQL an edit's
/// EXCLUSIVE lock waits for it, and it waits for an edit (SHARE does not block other
/// reservations). SQLite's write transactions already run one at a time.
pub async fn lock_for_booking(db: &Db, tx: &mut Tx) -> DbResult<()> {
    if db.engine == Engine::Postgres {
        sqlx::query("LOCK TABLE construction_holidays IN SHARE MODE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Every period, earliest first.
pub async fn all<'e, E>(executor: E) -> DbResult<Vec<HolidayRow>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(sqlx::query_as(
        "SELECT h.id, h.name, h.first_day, h.last_day, h.provinces, \
                u.display_name AS updated_by_name, h.updated_at \
         FROM construction_holidays h LEFT JOIN users u ON u.id = h.updated_by \
         ORDER BY h.first_day, h.name, h.id",
    )
    .fetch_all(executor)
    .await?)
}

pub async fn insert(
    tx: &mut Tx,
    period: &NewPeriod<'_>,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<HolidayId> {
    let id = HolidayId::generate();
    sqlx::query(
        "INSERT INTO construction_holidays \
            (id, name, first_day, last_day, provinces, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(period.name)
    .bind(period.first_day.to_string())
    .bind(period.last_day.to_string())
    .bind(period.provinces)
    .bind(by)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Changes a period; false when there is no such period (any more).
pub async fn update(
    tx: &mut Tx,
    id: HolidayId,
    period: &NewPeriod<'_>,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE construction_holidays \
         SET name = $2, first_day = $3, last_day = $4, provinces = $5, updated_by = $6, \
             updated_at = $7 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(period.name)
    .bind(period.first_day.to_string())
    .bind(period.last_day.to_string())
    .bind(period.provinces)
    .bind(by)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a period; false when there is no such period (any more).
pub async fn delete(tx: &mut Tx, id: HolidayId) -> DbResult<bool> {
    let done = sqlx::query("DELETE FROM construction_holidays WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A civil-works crew's booking on a joint day, with the site's commune.
#[derive(Debug, Clone)]
pub struct CivilWorksBooking {
    pub request_id: RequestId,
    pub reference: String,
    pub commune_nis: String,
    pub day: NaiveDate,
}

/// The joint days from `from` to `to` on which a civil-works crew is booked and has not yet
/// done its works: the ones a new construction holiday takes away.
pub async fn civil_works_bookings(
    tx: &mut Tx,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<CivilWorksBooking>> {
    let rows: Vec<(RequestId, String, String, Stored<NaiveDate>)> = sqlx::query_as(
        "SELECT DISTINCT r.request_id, q.reference, q.commune_nis, r.day \
         FROM reservations r \
         JOIN crews c ON c.id = r.crew_id \
         JOIN requests q ON q.id = r.request_id \
         WHERE c.civil_works = 1 AND r.done_at IS NULL AND r.day >= $1 AND r.day <= $2 \
         ORDER BY r.day, q.reference",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(request_id, reference, commune_nis, day)| CivilWorksBooking {
                request_id,
                reference,
                commune_nis,
                day: day.0,
            },
        )
        .collect())
}

/// The days a civil-works crew is booked for a request and has not yet done its works.
pub async fn civil_works_days_of(
    db: &Db,
    request: &super::RequestAccess,
) -> DbResult<Vec<NaiveDate>> {
    let days: Vec<Stored<NaiveDate>> = sqlx::query_scalar(
        "SELECT DISTINCT r.day FROM reservations r JOIN crews c ON c.id = r.crew_id \
         WHERE r.request_id = $1 AND c.civil_works = 1 AND r.done_at IS NULL",
    )
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?;
    Ok(days.into_iter().map(|day| day.0).collect())
}
