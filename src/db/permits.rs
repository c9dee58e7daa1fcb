//! Joint road-works permits (rule C-6), the site details the case officer states, and the
//! joint days a commune or a coordinator sees. A municipality reads its own permits only
//! (`municipality_id`); works and figures go through the request parties, like every request.

use super::{CrewId, OrganisationId, PermitId, RequestId, UserId};
use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, DbError, DbResult, Scope, Stored, Tx, new_id, sql::Sql, ts};
use crate::domain::permit::PermitStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PermitRow {
    pub id: PermitId,
    pub request_id: RequestId,
    pub municipality_id: Option<OrganisationId>,
    pub commune_nis: String,
    #[sqlx(try_from = "String")]
    pub status: PermitStatus,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub requested_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub due_on: NaiveDate,
    pub decision_text: Option<String>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub conditions_acknowledged_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "pm.id, pm.request_id, pm.municipality_id, pm.commune_nis, pm.status, \
    pm.day, pm.requested_at, pm.due_on, pm.decision_text, pm.decided_at, pm.decided_by, \
    pm.conditions_acknowledged_at, pm.updated_at";

/// What the case officer states about the site's road works.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteRow {
    pub road_type: String,
    pub sidewalk_openings: i64,
    pub road_openings: i64,
    pub traffic_measures: Option<String>,
    pub site_point: Option<String>,
}

pub async fn site(db: &Db, request: &super::RequestAccess) -> DbResult<Option<SiteRow>> {
    Ok(sqlx::query_as(
        "SELECT road_type, sidewalk_openings, road_openings, traffic_measures, site_point \
         FROM permit_sites WHERE request_id = $1",
    )
    .bind(request.id())
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn save_site(
    tx: &mut Tx,
    request_id: RequestId,
    site: &SiteRow,
    user_id: UserId,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO permit_sites (request_id, road_type, sidewalk_openings, road_openings, \
            traffic_measures, site_point, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (request_id) DO UPDATE SET road_type = excluded.road_type, \
            sidewalk_openings = excluded.sidewalk_openings, road_openings = excluded.road_openings, \
            traffic_measures = excluded.traffic_measures, site_point = excluded.site_point, \
            updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(request_id)
    .bind(&site.road_type)
    .bind(site.sidewalk_openings)
    .bind(site.road_openings)
    .bind(&site.traffic_measures)
    .bind(&site.site_point)
    .bind(ts(now))
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The commune's organisation among a request's parties, if the commune is on the portal.
pub async fn municipality_of(
    tx: &mut Tx,
    request_id: RequestId,
) -> DbResult<Option<OrganisationId>> {
    Ok(sqlx::query_scalar(
        "SELECT organisation_id FROM request_parties WHERE request_id = $1 AND role = 'municipality'",
    )
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The coordinator's waiting requests (see [`super::requests::waiting_for_day`]) whose commune
/// is on the portal, with the status of their current permit (`None` without one).
pub async fn of_waiting(
    tx: &mut Tx,
    scope: &Scope,
) -> DbResult<Vec<(RequestId, Option<PermitStatus>)>> {
    let sql = format!(
        "SELECT r.id, pm.status FROM requests r \
         JOIN request_parties p ON p.request_id = r.id AND p.role = 'municipality' \
         LEFT JOIN permits pm ON pm.request_id = r.id AND pm.status <> 'cancelled' \
         WHERE {}",
        super::requests::WAITING_FOR_DAY
    );
    let rows: Vec<(RequestId, Stored<Option<PermitStatus>>)> =
        super::requests::fetch_of_waiting(tx, scope, sql).await?;
    Ok(rows
        .into_iter()
        .map(|(request, status)| (request, status.0))
        .collect())
}

/// Each operator's latest answer of a request (service, organisation, answer: none before it),
/// read in the reservation's transaction to size the trench of each operator.
pub async fn latest_answers(
    tx: &mut Tx,
    request_id: RequestId,
) -> DbResult<Vec<(String, OrganisationId, Option<crate::operators::Assessment>)>> {
    Ok(sqlx::query_as(
        "SELECT a.service, a.organisation_id, v.body FROM assessments a \
         LEFT JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.version \
         WHERE a.request_id = $1 ORDER BY a.service",
    )
    .bind(request_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// A permit request about to be recorded.
#[derive(Debug, Clone)]
pub struct NewPermit<'a> {
    pub id: PermitId,
    pub request_id: RequestId,
    pub municipality_id: Option<OrganisationId>,
    pub commune_nis: &'a str,
    pub status: PermitStatus,
    pub day: NaiveDate,
    pub requested_at: DateTime<Utc>,
    pub due_on: NaiveDate,
}

pub async fn insert(tx: &mut Tx, permit: &NewPermit<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO permits (id, request_id, municipality_id, commune_nis, status, day, \
            requested_at, due_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)",
    )
    .bind(permit.id.to_string())
    .bind(permit.request_id)
    .bind(permit.municipality_id)
    .bind(permit.commune_nis)
    .bind(permit.status.code())
    .bind(permit.day.to_string())
    .bind(ts(permit.requested_at))
    .bind(permit.due_on.to_string())
    .execute(&mut **tx)
    .await?;
    super::summaries::refresh_request(tx, permit.request_id).await?;
    Ok(())
}

pub async fn insert_work(
    tx: &mut Tx,
    permit_id: PermitId,
    service: &str,
    operator_id: Option<OrganisationId>,
    civil_works: bool,
    trench_metres: &str,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO permit_works (permit_id, service, operator_id, civil_works, trench_metres) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(permit_id.to_string())
    .bind(service)
    .bind(operator_id)
    .bind(i64::from(civil_works))
    .bind(trench_metres)
    .execute(&mut **tx)
    .await?;
    // The shared trench of the figures (C-6) comes from the permit's works.
    let request_id: RequestId = sqlx::query_scalar("SELECT request_id FROM permits WHERE id = $1")
        .bind(permit_id.to_string())
        .fetch_one(&mut **tx)
        .await?;
    super::summaries::refresh_request(tx, request_id).await?;
    Ok(())
}

/// One recorded step of a permit: who, when, what, with which text.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub permit_id: PermitId,
    pub at: DateTime<Utc>,
    pub action: &'a str,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<&'a str>,
    pub organisation_id: Option<OrganisationId>,
    pub text: Option<&'a str>,
}

pub async fn insert_action(tx: &mut Tx, action: &NewAction<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO permit_actions (id, permit_id, at, action, actor_id, actor_name, \
            organisation_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id().to_string())
    .bind(action.permit_id)
    .bind(ts(action.at))
    .bind(action.action)
    .bind(action.actor_id)
    .bind(action.actor_name)
    .bind(action.organisation_id.map(|id| id.to_string()))
    .bind(action.text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The request's permit that is not cancelled, if any (the caller has authorised the request).
pub async fn current_for_request(
    db: &Db,
    request: &super::RequestAccess,
) -> DbResult<Option<PermitRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM permits pm WHERE pm.request_id = $1 AND pm.status <> 'cancelled'"
    )))
    .bind(request.id())
    .fetch_optional(&db.pool)
    .await?)
}

/// The same, inside a transaction that is about to change it.
pub async fn current_for_request_tx(
    tx: &mut Tx,
    request_id: RequestId,
) -> DbResult<Option<PermitRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM permits pm WHERE pm.request_id = $1 AND pm.status <> 'cancelled'"
    )))
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Cancels the request's open permit (its joint day was cancelled); returns its id.
pub async fn cancel_open(
    tx: &mut Tx,
    request_id: RequestId,
    now: DateTime<Utc>,
) -> DbResult<Option<PermitId>> {
    let cancelled = sqlx::query_scalar(
        "UPDATE permits SET status = 'cancelled', updated_at = $2 \
         WHERE request_id = $1 AND status <> 'cancelled' RETURNING id",
    )
    .bind(request_id)
    .bind(ts(now))
    .fetch_optional(&mut **tx)
    .await?;
    super::summaries::refresh_request(tx, request_id).await?;
    Ok(cancelled)
}

/// A permit of the signed-in municipality; `NotFound` for any other organisation.
pub async fn get_for_municipality(db: &Db, scope: &Scope, id: PermitId) -> DbResult<PermitRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM permits pm WHERE pm.id = $1 AND pm.municipality_id = $2"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound)
}

/// The same, inside the transaction that decides it.
pub async fn get_for_municipality_tx(
    tx: &mut Tx,
    scope: &Scope,
    id: PermitId,
) -> DbResult<PermitRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM permits pm WHERE pm.id = $1 AND pm.municipality_id = $2"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)
}

/// Records the commune's decision if the permit is still in `from`; false when another
/// change came first.
pub async fn record_decision(
    tx: &mut Tx,
    id: PermitId,
    from: PermitStatus,
    to: PermitStatus,
    text: Option<&str>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE permits SET status = $3, decision_text = $4, decided_at = $5, decided_by = $6, \
            updated_at = $5 WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.code())
    .bind(to.code())
    .bind(text)
    .bind(ts(now))
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    refresh_if_cancelled(tx, id, from, to).await?;
    Ok(updated.rows_affected() == 1)
}

/// A permit moving into or out of `cancelled` changes whose trench the figures count (C-6).
async fn refresh_if_cancelled(
    tx: &mut Tx,
    id: PermitId,
    from: PermitStatus,
    to: PermitStatus,
) -> DbResult<()> {
    if from == PermitStatus::Cancelled || to == PermitStatus::Cancelled {
        let request_id: RequestId =
            sqlx::query_scalar("SELECT request_id FROM permits WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        super::summaries::refresh_request(tx, request_id).await?;
    }
    Ok(())
}

/// Moves a permit from `from` to `to` without a decision (an answer resumes it).
pub async fn set_status(
    tx: &mut Tx,
    id: PermitId,
    from: PermitStatus,
    to: PermitStatus,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE permits SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.code())
    .bind(to.code())
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    refresh_if_cancelled(tx, id, from, to).await?;
    Ok(updated.rows_affected() == 1)
}

/// A refused permit asked again after the site details changed: a new deadline runs.
pub async fn resubmit(
    tx: &mut Tx,
    id: PermitId,
    now: DateTime<Utc>,
    due_on: NaiveDate,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE permits SET status = 'pending', requested_at = $2, due_on = $3, \
            decision_text = NULL, decided_at = NULL, decided_by = NULL, updated_at = $2 \
         WHERE id = $1 AND status = 'refused'",
    )
    .bind(id)
    .bind(ts(now))
    .bind(due_on.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn acknowledge_conditions(
    tx: &mut Tx,
    id: PermitId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE permits SET conditions_acknowledged_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'approved_with_conditions' \
           AND conditions_acknowledged_at IS NULL",
    )
    .bind(id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PermitWorkRow {
    pub service: String,
    pub operator_name: Option<String>,
    pub civil_works: i64,
    #[sqlx(try_from = "Stored<rust_decimal::Decimal>")]
    pub trench_metres: rust_decimal::Decimal,
}

/// The operators' works under a permit already authorised by the caller.
pub async fn works_of(db: &Db, permit_id: PermitId) -> DbResult<Vec<PermitWorkRow>> {
    Ok(sqlx::query_as(
        "SELECT w.service, o.name AS operator_name, w.civil_works, w.trench_metres \
         FROM permit_works w LEFT JOIN organisations o ON o.id = w.operator_id \
         WHERE w.permit_id = $1 ORDER BY w.service",
    )
    .bind(permit_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The operators' works under a permit, read in a transaction that changes it.
pub async fn works_in(tx: &mut Tx, permit_id: PermitId) -> DbResult<Vec<PermitWorkRow>> {
    Ok(sqlx::query_as(
        "SELECT w.service, o.name AS operator_name, w.civil_works, w.trench_metres \
         FROM permit_works w LEFT JOIN organisations o ON o.id = w.operator_id \
         WHERE w.permit_id = $1 ORDER BY w.service",
    )
    .bind(permit_id)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionRow {
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor_name: Option<String>,
    pub text: Option<String>,
}

/// The history of a permit already authorised by the caller, oldest first.
pub async fn actions_of(db: &Db, permit_id: PermitId) -> DbResult<Vec<ActionRow>> {
    Ok(sqlx::query_as(
        "SELECT at, action, actor_name, text FROM permit_actions WHERE permit_id = $1 \
         ORDER BY at, id",
    )
    .bind(permit_id)
    .fetch_all(&db.pool)
    .await?)
}

/// A permit with its request, for the commune's lists.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PermitListRow {
    pub id: PermitId,
    pub request_id: RequestId,
    pub reference: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: PermitStatus,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub requested_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub due_on: NaiveDate,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub decided_at: Option<DateTime<Utc>>,
}

const LIST_COLUMNS: &str = "pm.id, pm.request_id, r.reference, r.street, r.house_number, \
    r.postcode, r.commune_name, r.parcel_ref, pm.status, pm.day, pm.requested_at, pm.due_on, \
    pm.decided_at";

/// The signed-in municipality's permits awaiting its decision, most urgent first: by the
/// earlier of the works day and the decision's due date (works that come before the deadline
/// need the decision before them, C-6), then the due date. Both are ISO dates, which sort as
/// text on both engines.
pub async fn to_decide(db: &Db, scope: &Scope) -> DbResult<Vec<PermitListRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLUMNS} FROM permits pm JOIN requests r ON r.id = pm.request_id \
         WHERE pm.municipality_id = $1 AND pm.status IN ('pending', 'information_requested') \
         ORDER BY CASE WHEN pm.day < pm.due_on THEN pm.day ELSE pm.due_on END, pm.due_on, \
            r.reference"
    )))
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// The signed-in municipality's decided permits, latest decision first.
pub async fn decided(db: &Db, scope: &Scope, limit: i64) -> DbResult<Vec<PermitListRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLUMNS} FROM permits pm JOIN requests r ON r.id = pm.request_id \
         WHERE pm.municipality_id = $1 \
           AND pm.status IN ('approved', 'approved_with_conditions', 'refused') \
         ORDER BY pm.decided_at DESC, r.reference LIMIT $2"
    )))
    .bind(scope.organisation_id())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The requests of a tenant whose permit needs the case officer: a question to answer,
/// conditions to acknowledge, or a refusal. (request id, permit status)
pub async fn needing_officer(db: &Db, scope: &Scope) -> DbResult<Vec<(RequestId, PermitStatus)>> {
    let rows: Vec<(RequestId, Stored<PermitStatus>)> = sqlx::query_as(
        "SELECT pm.request_id, pm.status FROM permits pm \
         JOIN request_parties p ON p.request_id = pm.request_id AND p.organisation_id = $1 \
         WHERE pm.status IN ('information_requested', 'refused') \
            OR (pm.status = 'approved_with_conditions' AND pm.conditions_acknowledged_at IS NULL)",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(request, status)| (request, status.0))
        .collect())
}

/// One operator's part of a joint day, with its site and permit, as a tenant may see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkRow {
    pub request_id: RequestId,
    pub reference: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    pub map_point: Option<String>,
    pub site_point: Option<String>,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub day: NaiveDate,
    pub service: String,
    pub civil_works: i64,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub done_at: Option<DateTime<Utc>>,
    pub permit_id: Option<PermitId>,
    #[sqlx(try_from = "Stored<Option<PermitStatus>>")]
    pub permit_status: Option<PermitStatus>,
    #[sqlx(try_from = "Stored<Option<rust_decimal::Decimal>>")]
    pub trench_metres: Option<rust_decimal::Decimal>,
}

/// Every operator's part of the joint days in `[from, to]` of the requests a tenant is party
/// to, in one commune or all of them, by day.
pub async fn works_between(
    db: &Db,
    scope: &Scope,
    commune_nis: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<WorkRow>> {
    let mut query = Sql::new(
        "SELECT r.id AS request_id, r.reference, r.street, r.house_number, r.postcode, \
            r.commune_nis, r.commune_name, r.parcel_ref, r.map_point, ps.site_point, v.day, \
            v.service, c.civil_works, v.done_at, pm.id AS permit_id, pm.status AS permit_status, \
            w.trench_metres \
         FROM reservations v \
         JOIN crews c ON c.id = v.crew_id \
         JOIN requests r ON r.id = v.request_id \
         JOIN request_parties p ON p.request_id = r.id AND p.organisation_id = ",
    );
    query
        .push_bind(scope.organisation_id())
        .push(
            " LEFT JOIN permit_sites ps ON ps.request_id = r.id \
              LEFT JOIN permits pm ON pm.request_id = r.id AND pm.status <> 'cancelled' \
              LEFT JOIN permit_works w ON w.permit_id = pm.id AND w.service = v.service \
              WHERE v.day >= ",
        )
        .push_bind(from.to_string())
        .push(" AND v.day <= ")
        .push_bind(to.to_string());
    if let Some(nis) = commune_nis {
        query.push(" AND r.commune_nis = ").push_bind(nis);
    }
    query.push(" ORDER BY v.day, r.reference, v.service");
    Ok(query.query_as()?.fetch_all(&db.pool).await?)
}

/// The request a municipality may open as works on its territory; `NotFound` otherwise.
pub async fn works_request_for(
    db: &Db,
    scope: &Scope,
    request_id: RequestId,
) -> DbResult<RequestId> {
    sqlx::query_scalar(
        "SELECT r.id FROM requests r \
         JOIN request_parties p ON p.request_id = r.id AND p.organisation_id = $2 \
         WHERE r.id = $1 AND EXISTS (SELECT 1 FROM reservations v WHERE v.request_id = r.id)",
    )
    .bind(request_id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound)
}

/// The demo history's crews: an organisation's crew by name (id, civil works).
pub async fn crew_named(
    tx: &mut Tx,
    organisation_id: OrganisationId,
    name: &str,
) -> DbResult<Option<(CrewId, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, civil_works, daily_capacity FROM crews WHERE organisation_id = $1 AND name = $2",
    )
    .bind(organisation_id)
    .bind(name)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The demo history's deciders: a user by email (id, display name).
pub async fn user_named(tx: &mut Tx, email: &str) -> DbResult<Option<(UserId, String)>> {
    Ok(
        sqlx::query_as("SELECT id, display_name FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut **tx)
            .await?,
    )
}
