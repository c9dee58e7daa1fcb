//! Crews, their bookings and the all-or-nothing reservation of a joint day (rule C-4).

use super::{CrewId, OrganisationId, RequestId, Stored};
use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, DbError, DbResult, Tx, sql::Sql, ts};
use crate::{
    domain::{RequestState, ServiceCode},
    scheduling::joint::Crew,
};

#[derive(Debug, Clone)]
pub struct NewCrew<'a> {
    pub organisation_id: OrganisationId,
    pub service: ServiceCode,
    pub name: &'a str,
    pub daily_capacity: u32,
    pub civil_works: bool,
    pub communes: &'a [String],
}

/// Creates a crew unless the organisation already has one of that name, in service or retired
/// (idempotent seeding). The new crew's id, or `None` when one of that name was there.
pub async fn ensure(db: &Db, crew: &NewCrew<'_>, now: DateTime<Utc>) -> DbResult<Option<CrewId>> {
    let mut tx = db.begin_write().await?;
    let id = CrewId::generate();
    let inserted = sqlx::query(
        "INSERT INTO crews (id, organisation_id, service, name, daily_capacity, civil_works, \
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (organisation_id, name) DO NOTHING",
    )
    .bind(id)
    .bind(crew.organisation_id)
    .bind(crew.service.as_str())
    .bind(crew.name)
    .bind(i64::from(crew.daily_capacity))
    .bind(i64::from(crew.civil_works))
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(None);
    }
    for nis in crew.communes {
        sqlx::query("INSERT INTO crew_communes (crew_id, commune_nis) VALUES ($1, $2)")
            .bind(id)
            .bind(nis)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}

#[derive(sqlx::FromRow)]
struct CrewRow {
    id: CrewId,
    service: String,
    daily_capacity: i64,
    civil_works: i64,
}

/// The crews of `services` serving a commune, with their absences in `[from, to]`. Two
/// queries, whatever the number of crews.
pub async fn serving(
    tx: &mut Tx,
    commune_nis: &str,
    services: &[ServiceCode],
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<Crew>> {
    let rows: Vec<CrewRow> = sqlx::query_as(
        "SELECT c.id, c.service, c.daily_capacity, c.civil_works FROM crews c \
         JOIN crew_communes cc ON cc.crew_id = c.id WHERE cc.commune_nis = $1 \
         AND c.retired_at IS NULL ORDER BY c.id",
    )
    .bind(commune_nis)
    .fetch_all(&mut **tx)
    .await?;
    let absences: Vec<(CrewId, Stored<NaiveDate>)> = sqlx::query_as(
        "SELECT a.crew_id, a.day FROM crew_absences a \
         JOIN crew_communes cc ON cc.crew_id = a.crew_id \
         WHERE cc.commune_nis = $1 AND a.day >= $2 AND a.day <= $3",
    )
    .bind(commune_nis)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut crews = Vec::new();
    for row in rows {
        let Ok(service) = ServiceCode::parse(&row.service) else {
            continue;
        };
        if !services.contains(&service) {
            continue;
        }
        crews.push(crew_of(
            &row,
            service,
            vec![commune_nis.to_owned()],
            &absences,
        )?);
    }
    Ok(crews)
}

fn crew_of(
    row: &CrewRow,
    service: ServiceCode,
    communes: Vec<String>,
    absences: &[(CrewId, Stored<NaiveDate>)],
) -> DbResult<Crew> {
    Ok(Crew {
        id: row.id,
        service,
        communes,
        daily_capacity: u32::try_from(row.daily_capacity)
            .map_err(|_| DbError::Corrupt("daily_capacity".into()))?,
        absences: absences
            .iter()
            .filter(|(crew, _)| *crew == row.id)
            .map(|(_, day)| day.0)
            .collect(),
        civil_works: row.civil_works != 0,
    })
}

/// Every crew with all the communes it serves and its absences in `[from, to]`, and every
/// booking in that period: what "propose days for all" plans on. Three queries, whatever the
/// number of crews.
pub async fn everything(
    tx: &mut Tx,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<(Vec<Crew>, Vec<(CrewId, NaiveDate, u32)>)> {
    let rows: Vec<CrewRow> = sqlx::query_as(
        "SELECT c.id, c.service, c.daily_capacity, c.civil_works FROM crews c \
         WHERE c.retired_at IS NULL ORDER BY c.id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let communes: Vec<(CrewId, String)> = sqlx::query_as(
        "SELECT crew_id, commune_nis FROM crew_communes ORDER BY crew_id, commune_nis",
    )
    .fetch_all(&mut **tx)
    .await?;
    let absences: Vec<(CrewId, Stored<NaiveDate>)> =
        sqlx::query_as("SELECT crew_id, day FROM crew_absences WHERE day >= $1 AND day <= $2")
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&mut **tx)
            .await?;
    let booked: Vec<(CrewId, Stored<NaiveDate>, i64)> =
        sqlx::query_as("SELECT crew_id, day, booked FROM crew_days WHERE day >= $1 AND day <= $2")
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&mut **tx)
            .await?;
    let mut communes_of: std::collections::HashMap<CrewId, Vec<String>> =
        std::collections::HashMap::new();
    for (crew, nis) in communes {
        communes_of.entry(crew).or_default().push(nis);
    }
    let mut crews = Vec::new();
    for row in rows {
        let Ok(service) = ServiceCode::parse(&row.service) else {
            continue;
        };
        let communes = communes_of.remove(&row.id).unwrap_or_default();
        crews.push(crew_of(&row, service, communes, &absences)?);
    }
    let bookings = booked
        .into_iter()
        .map(|(crew, day, jobs)| (crew, day.0, u32::try_from(jobs).unwrap_or(u32::MAX)))
        .collect();
    Ok((crews, bookings))
}

/// Booked jobs per crew and day in `[from, to]` for the given crews: one query whatever the
/// number of crews.
pub async fn bookings(
    tx: &mut Tx,
    crews: &[CrewId],
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<(CrewId, NaiveDate, u32)>> {
    if crews.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = super::sql::Sql::new("SELECT crew_id, day, booked FROM crew_days WHERE day >= ");
    sql.push_bind(from.to_string())
        .push(" AND day <= ")
        .push_bind(to.to_string())
        .push(" AND crew_id IN ")
        .push_list(crews.iter().map(ToString::to_string));
    let rows: Vec<(CrewId, Stored<NaiveDate>, i64)> = sql.query_as()?.fetch_all(&mut **tx).await?;
    Ok(rows
        .into_iter()
        .map(|(crew, day, booked)| (crew, day.0, u32::try_from(booked).unwrap_or(u32::MAX)))
        .collect())
}

/// Takes one job of `crew`'s capacity on `day`, or returns false when the day is full. The
/// guarded increment is atomic on both engines: concurrent reservations of the last place
/// cannot both succeed.
pub async fn take_capacity(
    tx: &mut Tx,
    crew: CrewId,
    day: NaiveDate,
    capacity: u32,
) -> DbResult<bool> {
    sqlx::query(
        "INSERT INTO crew_days (crew_id, day, booked) VALUES ($1, $2, 0) \
         ON CONFLICT (crew_id, day) DO NOTHING",
    )
    .bind(crew)
    .bind(day.to_string())
    .execute(&mut **tx)
    .await?;
    let updated = sqlx::query(
        "UPDATE crew_days SET booked = booked + 1 WHERE crew_id = $1 AND day = $2 AND booked < $3",
    )
    .bind(crew)
    .bind(day.to_string())
    .bind(i64::from(capacity))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn record_reservation(
    tx: &mut Tx,
    request_id: RequestId,
    service: &ServiceCode,
    crew: CrewId,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO reservations (request_id, crew_id, service, day, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(request_id)
    .bind(crew)
    .bind(service.as_str())
    .bind(day.to_string())
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    super::summaries::refresh_request(tx, request_id).await?;
    Ok(())
}

/// The same, inside a writing transaction.
pub async fn reserved_day_in(tx: &mut Tx, request_id: RequestId) -> DbResult<Option<NaiveDate>> {
    let day: Stored<Option<NaiveDate>> =
        sqlx::query_scalar("SELECT MIN(day) FROM reservations WHERE request_id = $1")
            .bind(request_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(day.0)
}

/// The reserved joint day of a request, if any.
pub async fn reserved_day(db: &Db, request: &super::RequestAccess) -> DbResult<Option<NaiveDate>> {
    let day: Stored<Option<NaiveDate>> =
        sqlx::query_scalar("SELECT MIN(day) FROM reservations WHERE request_id = $1")
            .bind(request.id())
            .fetch_one(&db.pool)
            .await?;
    Ok(day.0)
}

/// Cancels the joint day of a request: every crew gets its job's capacity back. Returns the
/// day that was reserved, if any.
pub async fn release(tx: &mut Tx, request_id: RequestId) -> DbResult<Option<NaiveDate>> {
    let rows: Vec<(CrewId, Stored<NaiveDate>)> =
        sqlx::query_as("SELECT crew_id, day FROM reservations WHERE request_id = $1")
            .bind(request_id)
            .fetch_all(&mut **tx)
            .await?;
    for (crew, day) in &rows {
        sqlx::query(
            "UPDATE crew_days SET booked = booked - 1 WHERE crew_id = $1 AND day = $2 AND booked > 0",
        )
        .bind(*crew)
        .bind(day.0.to_string())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM reservations WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    super::summaries::refresh_request(tx, request_id).await?;
    Ok(rows.first().map(|(_, day)| day.0))
}

/// A crew as its own organisation sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CrewListRow {
    pub id: CrewId,
    pub name: String,
    pub service: String,
    pub daily_capacity: i64,
    pub civil_works: i64,
}

/// The caller's own crews, by name.
pub async fn own(db: &Db, scope: &super::Scope) -> DbResult<Vec<CrewListRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, service, daily_capacity, civil_works FROM crews \
         WHERE organisation_id = $1 AND retired_at IS NULL ORDER BY name",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

pub async fn communes_of(db: &Db, crew_id: CrewId) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT commune_nis FROM crew_communes WHERE crew_id = $1 ORDER BY commune_nis",
    )
    .bind(crew_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn absences_from(db: &Db, crew_id: CrewId, from: NaiveDate) -> DbResult<Vec<NaiveDate>> {
    let days: Vec<Stored<NaiveDate>> = sqlx::query_scalar(
        "SELECT day FROM crew_absences WHERE crew_id = $1 AND day >= $2 ORDER BY day",
    )
    .bind(crew_id)
    .bind(from.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(days.into_iter().map(NaiveDate::from).collect())
}

/// Records an absence of one of the caller's crews (`NotFound` for anybody else's) and
/// returns the requests whose joint day it falls on.
pub async fn add_absence(
    tx: &mut Tx,
    scope: &super::Scope,
    crew_id: CrewId,
    day: NaiveDate,
) -> DbResult<Vec<RequestId>> {
    own_for_change(tx, scope, crew_id).await?;
    sqlx::query(
        "INSERT INTO crew_absences (crew_id, day) VALUES ($1, $2) ON CONFLICT (crew_id, day) DO NOTHING",
    )
    .bind(crew_id)
    .bind(day.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "SELECT request_id FROM reservations WHERE crew_id = $1 AND day = $2 ORDER BY request_id",
    )
    .bind(crew_id)
    .bind(day.to_string())
    .fetch_all(&mut **tx)
    .await?)
}

/// Whether a crew booked for the request's joint day has since been declared absent.
pub async fn reserved_crew_absent(db: &Db, request: &super::RequestAccess) -> DbResult<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reservations r JOIN crew_absences a \
         ON a.crew_id = r.crew_id AND a.day = r.day WHERE r.request_id = $1",
    )
    .bind(request.id())
    .fetch_one(&db.pool)
    .await?;
    Ok(count > 0)
}

/// Records that `service`'s works of a request are done; false when nothing was reserved for
/// it, or it was already recorded. Returns with the number of services still to do.
pub async fn mark_done(
    tx: &mut Tx,
    request_id: RequestId,
    service: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<i64>> {
    let updated = sqlx::query(
        "UPDATE reservations SET done_at = $3 \
         WHERE request_id = $1 AND service = $2 AND done_at IS NULL AND day <= $4",
    )
    .bind(request_id)
    .bind(service)
    .bind(ts(now))
    .bind(crate::clock::day_of(now).to_string())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(None);
    }
    super::summaries::refresh_request(tx, request_id).await?;
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reservations WHERE request_id = $1 AND done_at IS NULL",
    )
    .bind(request_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(left))
}

/// Whether `service`'s works of a request are recorded done.
pub async fn is_done(db: &Db, request: &super::RequestAccess, service: &str) -> DbResult<bool> {
    let done: Option<Option<String>> = sqlx::query_scalar(
        "SELECT done_at FROM reservations WHERE request_id = $1 AND service = $2",
    )
    .bind(request.id())
    .bind(service)
    .fetch_optional(&db.pool)
    .await?;
    Ok(matches!(done, Some(Some(_))))
}

/// A reservation of a crew still to come: which request, which day, in which commune.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComingJob {
    pub reference: String,
    pub day: String,
    pub commune_nis: String,
}

/// The crew's reservations from `from` on whose works are not done yet.
pub async fn coming_jobs(
    tx: &mut Tx,
    crew_id: CrewId,
    from: NaiveDate,
) -> DbResult<Vec<ComingJob>> {
    Ok(sqlx::query_as(
        "SELECT r.reference, v.day, r.commune_nis FROM reservations v \
         JOIN requests r ON r.id = v.request_id \
         WHERE v.crew_id = $1 AND v.day >= $2 AND v.done_at IS NULL ORDER BY v.day, r.reference",
    )
    .bind(crew_id)
    .bind(from.to_string())
    .fetch_all(&mut **tx)
    .await?)
}

/// The first day from `from` on which the crew has more than `capacity` jobs booked.
pub async fn first_day_booked_above(
    tx: &mut Tx,
    crew_id: CrewId,
    from: NaiveDate,
    capacity: u32,
) -> DbResult<Option<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT day, booked FROM crew_days WHERE crew_id = $1 AND day >= $2 AND booked > $3 \
         ORDER BY day LIMIT 1",
    )
    .bind(crew_id)
    .bind(from.to_string())
    .bind(i64::from(capacity))
    .fetch_optional(&mut **tx)
    .await?)
}

/// One of the caller's crews, inside a change; `NotFound` for anybody else's.
pub async fn own_for_change(tx: &mut Tx, scope: &super::Scope, crew_id: CrewId) -> DbResult<()> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM crews WHERE id = $1 AND organisation_id = $2 AND retired_at IS NULL",
    )
    .bind(crew_id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?;
    found.map(|_| ()).ok_or(DbError::NotFound)
}

pub struct CrewChange<'a> {
    pub name: &'a str,
    pub daily_capacity: u32,
    pub civil_works: bool,
    pub communes: &'a [String],
}

/// Replaces a crew's name, capacity, kind of works and communes.
pub async fn update(tx: &mut Tx, crew_id: CrewId, change: &CrewChange<'_>) -> DbResult<()> {
    let civil_before: Option<i64> =
        sqlx::query_scalar("SELECT civil_works FROM crews WHERE id = $1")
            .bind(crew_id)
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query("UPDATE crews SET name = $2, daily_capacity = $3, civil_works = $4 WHERE id = $1")
        .bind(crew_id)
        .bind(change.name)
        .bind(i64::from(change.daily_capacity))
        .bind(i64::from(change.civil_works))
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM crew_communes WHERE crew_id = $1")
        .bind(crew_id)
        .execute(&mut **tx)
        .await?;
    for nis in change.communes {
        sqlx::query("INSERT INTO crew_communes (crew_id, commune_nis) VALUES ($1, $2)")
            .bind(crew_id)
            .bind(nis)
            .execute(&mut **tx)
            .await?;
    }
    if civil_before.is_some_and(|civil| civil != i64::from(change.civil_works)) {
        // Its road openings in the figures (C-6) change with it.
        super::summaries::crew_changed(tx, crew_id).await?;
    }
    Ok(())
}

/// Retires a crew: it is no longer offered for new days; its past reservations stay.
pub async fn retire(tx: &mut Tx, crew_id: CrewId, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query("UPDATE crews SET retired_at = $2 WHERE id = $1")
        .bind(crew_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One operator's part of a reserved joint day: its crew and whether its works are done.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReservationRow {
    pub service: String,
    pub organisation_id: OrganisationId,
    pub crew_name: String,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    pub done_at: Option<String>,
}

/// The reserved joint day of a request, crew by crew (empty when none is reserved).
pub async fn reservations_of(
    db: &Db,
    request: &super::RequestAccess,
) -> DbResult<Vec<ReservationRow>> {
    Ok(sqlx::query_as(
        "SELECT v.service, c.organisation_id, c.name AS crew_name, v.day, v.done_at \
         FROM reservations v JOIN crews c ON c.id = v.crew_id \
         WHERE v.request_id = $1 ORDER BY v.service",
    )
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// One job of an operator's crews on a joint day: where, whom to meet, and whether it is done.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DaySheetRow {
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    pub crew_name: String,
    pub service: String,
    pub request_id: RequestId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub applicant_name: String,
    pub phone: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    pub map_point: Option<String>,
    pub done_at: Option<String>,
}

/// The jobs of the organisation's crews from `from` to `to` (inclusive), and every earlier
/// job whose works are not recorded done, day by day, crew by crew. One query.
pub async fn day_sheet(
    db: &Db,
    scope: &super::Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<DaySheetRow>> {
    Ok(sqlx::query_as(
        "SELECT v.day, c.name AS crew_name, v.service, r.id AS request_id, r.reference, r.state, \
            r.applicant_name, r.phone, r.street, r.house_number, r.postcode, r.commune_name, \
            r.parcel_ref, r.map_point, v.done_at \
         FROM reservations v JOIN crews c ON c.id = v.crew_id JOIN requests r ON r.id = v.request_id \
         WHERE c.organisation_id = $1 AND v.day <= $3 AND (v.day >= $2 OR v.done_at IS NULL) \
         ORDER BY v.day, c.name, r.reference",
    )
    .bind(scope.organisation_id())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// One crew of the caller booked on a request's joint day, with where and how far the
/// request is (issue 21: an operator's systems read its reservations).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookedRow {
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    pub request_id: RequestId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub commune_nis: String,
    pub commune_name: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub parcel_ref: Option<String>,
    pub map_point: Option<String>,
    pub service: String,
    pub crew_name: String,
    pub done_at: Option<String>,
}

/// Which joint days a reader lists: days from `from` to `to` (inclusive), after the
/// `(day, request id)` of the page before.
#[derive(Debug, Clone, Default)]
pub struct BookedFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after: Option<(NaiveDate, String)>,
}

/// The joint days of at most `days` requests, earliest first, each with the crews the
/// scope may see: its own crews for an operator; every crew of the requests it coordinates
/// for the coordinator. Never another operator's crews for an operator. One query: the page
/// of requests is chosen first, then their bookings are read with it.
pub async fn booked_days(
    db: &Db,
    scope: &super::Scope,
    coordinator: bool,
    filter: &BookedFilter,
    days: i64,
) -> DbResult<Vec<BookedRow>> {
    let owner = scope.organisation_id();
    // Who may see a booking: the crew's organisation, or the request's coordinator.
    let visible = if coordinator {
        "r.coordinator_id = "
    } else {
        "c.organisation_id = "
    };
    let mut sql = Sql::new(
        "WITH page AS (SELECT DISTINCT v.day, v.request_id \
         FROM reservations v JOIN crews c ON c.id = v.crew_id \
         JOIN requests r ON r.id = v.request_id WHERE ",
    );
    sql.push(visible).push_bind(owner);
    if let Some(from) = filter.from {
        sql.push(" AND v.day >= ").push_bind(from.to_string());
    }
    if let Some(to) = filter.to {
        sql.push(" AND v.day <= ").push_bind(to.to_string());
    }
    if let Some((day, id)) = &filter.after {
        sql.push(" AND (v.day > ")
            .push_bind(day.to_string())
            .push(" OR (v.day = ")
            .push_bind(day.to_string())
            .push(" AND v.request_id > ")
            .push_bind(id.clone())
            .push("))");
    }
    sql.push(" ORDER BY v.day, v.request_id LIMIT ")
        .push_count(u64::try_from(days).unwrap_or_default())
        .push(
            ") SELECT p.day, r.id AS request_id, r.reference, r.state, r.commune_nis, \
                r.commune_name, r.street, r.house_number, r.postcode, r.parcel_ref, r.map_point, \
                v.service, c.name AS crew_name, v.done_at \
             FROM page p JOIN reservations v ON v.request_id = p.request_id AND v.day = p.day \
             JOIN crews c ON c.id = v.crew_id JOIN requests r ON r.id = v.request_id WHERE ",
        )
        .push(visible)
        .push_bind(owner)
        .push(" ORDER BY p.day, r.id, v.service, c.name");
    Ok(sql.query_as()?.fetch_all(&db.pool).await?)
}
