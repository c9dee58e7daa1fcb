//! Operators' assessments of requests: durable tasks claimed by the fan-out worker, and
//! every version of each answer.

use super::{AssessmentId, OrganisationId, RequestId, Stored, UserId};
use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError, DbResult, Scope, Tx, new_id, sql::Sql, ts};
use crate::domain::RequestState;
use crate::domain::assessment::AssessmentStatus;
use crate::operators::Assessment;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: AssessmentId,
    pub request_id: RequestId,
    pub organisation_id: OrganisationId,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub status: AssessmentStatus,
    pub version: i64,
    pub feasibility: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub due_at: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The same columns unqualified, for `RETURNING`.
const RETURNED: &str = "id, request_id, organisation_id, service, status, version, feasibility, \
    attempts, next_attempt_at, last_error, due_at, created_at, updated_at";

const COLUMNS: &str = "a.id, a.request_id, a.organisation_id, a.service, a.status, a.version, \
    a.feasibility, a.attempts, a.next_attempt_at, a.last_error, a.due_at, a.created_at, a.updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub feasibility: String,
    #[sqlx(rename = "body")]
    pub answer: Assessment,
    pub actor_kind: String,
    pub actor_id: Option<UserId>,
    pub reason: Option<String>,
    pub created_at: String,
}

/// The tasks of new requests, one per request and (operator, service), in one statement.
pub async fn create_all(tx: &mut Tx, tasks: &[NewTask<'_>]) -> DbResult<()> {
    if tasks.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO assessments (id, request_id, organisation_id, service, status, version, \
            attempts, next_attempt_at, due_at, created_at, updated_at) VALUES ",
    );
    sql.push_rows(tasks, |task| {
        vec![
            new_id().to_string().into(),
            task.request_id.into(),
            task.organisation_id.into(),
            task.service.into(),
            AssessmentStatus::Pending.code().into(),
            0i64.into(),
            0i64.into(),
            ts(task.created_at).into(),
            ts(task.due_at).into(),
            ts(task.created_at).into(),
            ts(task.created_at).into(),
        ]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// An operator's assessment to make of a new request.
#[derive(Debug, Clone, Copy)]
pub struct NewTask<'a> {
    pub request_id: RequestId,
    pub organisation_id: OrganisationId,
    pub service: &'a str,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

/// Claims one due task for `lease`. The guarded update lets exactly one worker win it; a
/// worker that dies leaves it to be claimed again when the lease ends.
pub async fn claim_due(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> DbResult<Option<AssessmentRow>> {
    super::claim_due_row(db, "assessments", RETURNED, now, lease).await
}

/// Stores a new version of an answer. `expected_version` guards against a concurrent
/// writer: the first one wins, the other gets `Conflict` and nothing is written.
pub async fn record_version(
    tx: &mut Tx,
    assessment_id: AssessmentId,
    expected_version: i64,
    new: &NewVersion<'_>,
    now: DateTime<Utc>,
) -> DbResult<i64> {
    let version = expected_version + 1;
    let no_tariff = i64::from(leaves_no_tariff(new.body));
    let updated = sqlx::query(
        "UPDATE assessments SET status = 'answered', version = $3, feasibility = $4, \
            locked_until = NULL, last_error = NULL, updated_at = $5, no_tariff = $6 \
         WHERE id = $1 AND version = $2 AND status <> 'failed'",
    )
    .bind(assessment_id)
    .bind(expected_version)
    .bind(version)
    .bind(new.feasibility)
    .bind(ts(now))
    .bind(no_tariff)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(DbError::Conflict(format!(
            "assessment {assessment_id} is no longer at version {expected_version}"
        )));
    }
    sqlx::query(
        "INSERT INTO assessment_versions (assessment_id, version, feasibility, body, actor_kind, \
            actor_id, reason, created_at, no_tariff) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(assessment_id)
    .bind(version)
    .bind(new.feasibility)
    .bind(new.body)
    .bind(new.actor_kind)
    .bind(new.actor_id)
    .bind(new.reason)
    .bind(ts(now))
    .bind(no_tariff)
    .execute(&mut **tx)
    .await?;
    Ok(version)
}

#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub feasibility: &'a str,
    pub body: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<UserId>,
    pub reason: Option<&'a str>,
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_failed(
    db: &Db,
    id: AssessmentId,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    super::mark_task_failed(db, "assessments", &id.to_string(), error, retry_at).await
}

/// How many of a request's assessments still wait for an answer.
pub async fn unanswered(tx: &mut Tx, request_id: RequestId) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM assessments WHERE request_id = $1 AND status <> 'answered'",
    )
    .bind(request_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// The assessments of a request the caller may see: every one for the coordinator, only
/// its own for an operator, none for anybody else.
pub async fn for_request(
    db: &Db,
    scope: &Scope,
    request_id: RequestId,
) -> DbResult<Vec<AssessmentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.request_id = $1 AND (r.coordinator_id = $2 OR a.organisation_id = $2) \
         ORDER BY a.service"
    )))
    .bind(request_id)
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// One assessment of a request with its operator's name and latest answer, as a case file
/// reads them all at once.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseAnswerRow {
    pub id: AssessmentId,
    pub organisation_id: OrganisationId,
    pub operator_name: String,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub status: AssessmentStatus,
    pub version: i64,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub due_at: DateTime<Utc>,
    /// The latest version's answer; none before the answer.
    #[sqlx(rename = "body")]
    pub answer: Option<Assessment>,
}

/// Every assessment of a request the caller may see (all for the coordinator, its own for an
/// operator), each with its operator's name and latest answer: one query whatever the number
/// of operators.
pub async fn answers_for(
    db: &Db,
    scope: &Scope,
    request_id: RequestId,
) -> DbResult<Vec<CaseAnswerRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.organisation_id, o.name AS operator_name, a.service, a.status, \
            a.version, a.due_at, v.body \
         FROM assessments a JOIN requests r ON r.id = a.request_id \
         JOIN organisations o ON o.id = a.organisation_id \
         LEFT JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.version \
         WHERE a.request_id = $1 AND (r.coordinator_id = $2 OR a.organisation_id = $2) \
         ORDER BY a.service, a.id",
    )
    .bind(request_id)
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// The latest answer of an assessment the caller may see.
pub async fn latest_version(
    db: &Db,
    scope: &Scope,
    assessment_id: AssessmentId,
) -> DbResult<Option<VersionRow>> {
    Ok(sqlx::query_as(
        "SELECT v.version, v.feasibility, v.body, v.actor_kind, v.actor_id, v.reason, v.created_at \
         FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         JOIN requests r ON r.id = a.request_id \
         WHERE v.assessment_id = $1 AND v.version = a.version \
           AND (r.coordinator_id = $2 OR a.organisation_id = $2)",
    )
    .bind(assessment_id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?)
}

/// The latest answer of each operator of the coordinator's waiting requests (see
/// [`super::requests::waiting_for_day`]), by request and service; `answer` is `None` while
/// unanswered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingAnswerRow {
    pub request_id: RequestId,
    pub service: String,
    pub organisation_id: OrganisationId,
    #[sqlx(rename = "body")]
    pub answer: Option<Assessment>,
}

pub async fn latest_of_waiting(tx: &mut Tx, scope: &Scope) -> DbResult<Vec<WaitingAnswerRow>> {
    let sql = format!(
        "SELECT a.request_id, a.service, a.organisation_id, v.body FROM assessments a \
         JOIN requests r ON r.id = a.request_id \
         LEFT JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.version \
         WHERE {} ORDER BY a.request_id, a.service, a.id",
        super::requests::WAITING_FOR_DAY
    );
    super::requests::fetch_of_waiting(tx, scope, sql).await
}

/// One version of an answer of a waiting request, for the services given (those whose lead
/// time starts when prerequisites are met, V-8.2.2): by request and service, oldest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingVersionRow {
    pub request_id: RequestId,
    pub service: String,
    #[sqlx(flatten)]
    pub version: AnswerVersion,
}

/// One version of an operator's answer and when it was recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerVersion {
    #[sqlx(rename = "created_at", try_from = "Stored<DateTime<Utc>>")]
    pub at: DateTime<Utc>,
    #[sqlx(rename = "body")]
    pub answer: Assessment,
}

pub async fn histories_of_waiting(
    tx: &mut Tx,
    scope: &Scope,
    services: &[&str],
) -> DbResult<Vec<WaitingVersionRow>> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT a.request_id, a.service, v.created_at, v.body FROM assessment_versions v \
         JOIN assessments a ON a.id = v.assessment_id \
         JOIN requests r ON r.id = a.request_id WHERE ",
    );
    sql.push(super::requests::WAITING_FOR_DAY)
        .bind_written(scope.organisation_id())
        .push(" AND a.service IN ")
        .push_list(services.iter().copied());
    sql.push(" ORDER BY a.request_id, a.service, v.version");
    Ok(sql.query_as()?.fetch_all(&mut **tx).await?)
}

/// An operator's queue: its assessments, oldest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorQueueRow {
    pub request_id: RequestId,
    pub reference: String,
    pub commune_name: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub submitted_at: DateTime<Utc>,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub status: AssessmentStatus,
    pub feasibility: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub due_at: DateTime<Utc>,
}

pub async fn operator_queue(
    db: &Db,
    scope: &Scope,
    status: Option<AssessmentStatus>,
    limit: i64,
) -> DbResult<Vec<OperatorQueueRow>> {
    Ok(sqlx::query_as(
        "SELECT r.id AS request_id, r.reference, r.commune_name, r.submitted_at, a.service, \
            a.status, a.feasibility, a.due_at \
         FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.organisation_id = $1 AND ($2 = '' OR a.status = $2) \
         ORDER BY r.submitted_at, r.reference LIMIT $3",
    )
    .bind(scope.organisation_id())
    .bind(status.map_or("", AssessmentStatus::code))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Requests of a coordinator with an operator late to answer, for the queue's flag.
pub async fn late_requests(db: &Db, scope: &Scope, now: DateTime<Utc>) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT a.request_id FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE r.coordinator_id = $1 AND a.status <> 'answered' AND a.due_at < $2",
    )
    .bind(scope.organisation_id())
    .bind(ts(now))
    .fetch_all(&db.pool)
    .await?)
}

/// What an answer says when its part has no price for lack of a tariff book in force on its
/// date (V-5): the `unpriced` kind of an answer, or the reason code of older answers. The
/// migration `20261220000400_no_tariff_flag` marked the versions stored before with the same.
const NO_TARIFF_MARKERS: [&str; 2] = [
    r#""unpriced":{"kind":"no_book_in_force""#,
    r#""tariff_unavailable""#,
];

/// The answer `body` leaves its part without a tariff (recorded with each version).
fn leaves_no_tariff(body: &str) -> bool {
    NO_TARIFF_MARKERS.iter().any(|marker| body.contains(marker))
}

/// Appends the condition that a part's (`a`) current answer left it without a tariff.
pub(crate) fn push_no_tariff(sql: &mut Sql) {
    sql.push("a.no_tariff = 1");
}

/// Requests the caller sees with a part left unpriced for lack of a tariff in force on its
/// date (V-5), for the queue's flag: every part for the coordinator, its own for an operator.
pub async fn no_tariff_requests(db: &Db, scope: &Scope) -> DbResult<Vec<String>> {
    let organisation = scope.organisation_id();
    let mut sql = Sql::new(
        "SELECT DISTINCT a.request_id FROM assessments a \
         JOIN requests r ON r.id = a.request_id WHERE (r.coordinator_id = ",
    );
    sql.push_bind(organisation)
        .push(" OR a.organisation_id = ")
        .push_bind(organisation)
        .push(") AND a.status = 'answered' AND ");
    push_no_tariff(&mut sql);
    Ok(sql.query_scalar()?.fetch_all(&db.pool).await?)
}

/// The states in which a request's answers may still change before its offer (C-2).
const OPEN_STATES: &str =
    "('submitted', 'incomplete', 'complete', 'assessed', 'quoted', 'accepted', 'lapsed')";

/// Answered assessments of `services` whose latest answer left the part without a price for
/// lack of a tariff book in force on its date (V-5), in requests still open to an offer: their
/// ids, oldest first. For pricing them again once a book covers them.
pub async fn unpriced_of_services(db: &Db, services: &[&str]) -> DbResult<Vec<AssessmentId>> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT a.id FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.status = 'answered' AND a.service IN ",
    );
    sql.push_list(services.iter().map(|service| (*service).to_owned()));
    sql.push(" AND r.state IN ").push(OPEN_STATES).push(" AND ");
    push_no_tariff(&mut sql);
    sql.push(" ORDER BY a.created_at, a.id");
    Ok(sql.query_scalar()?.fetch_all(&db.pool).await?)
}

/// An answered assessment of a request still open to an offer and its latest answer, read in
/// the system's write transaction: `NotFound` otherwise.
pub async fn open_for_system_change(
    tx: &mut Tx,
    id: AssessmentId,
) -> DbResult<(AssessmentRow, Assessment)> {
    let row: AssessmentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.id = $1 AND a.status = 'answered' AND r.state IN {OPEN_STATES}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)?;
    // Answered, so its current version is stored.
    let answer = version_answer(tx, id, row.version).await?.ok_or_else(|| {
        DbError::Corrupt(format!("assessment {id} has no version {}", row.version))
    })?;
    Ok((row, answer))
}

/// One of the caller's own assessments, for changing it: `NotFound` for anybody else's.
pub async fn own_for_change(
    tx: &mut Tx,
    scope: &Scope,
    id: AssessmentId,
) -> DbResult<(AssessmentRow, Option<Assessment>)> {
    let row: AssessmentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM assessments a WHERE a.id = $1 AND a.organisation_id = $2"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)?;
    let answer = version_answer(tx, id, row.version).await?;
    Ok((row, answer))
}

/// The stored answer of one version (none before the first answer).
async fn version_answer(
    tx: &mut Tx,
    id: AssessmentId,
    version: i64,
) -> DbResult<Option<Assessment>> {
    Ok(sqlx::query_scalar(
        "SELECT body FROM assessment_versions WHERE assessment_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut **tx)
    .await?)
}

/// An assessment of a request the caller coordinates, for the case officer's line changes
/// before the offer (C-2): `NotFound` for anybody else, and once the works are paid for.
pub async fn coordinated_for_change(
    tx: &mut Tx,
    scope: &Scope,
    id: AssessmentId,
) -> DbResult<(AssessmentRow, Option<Assessment>)> {
    let row: AssessmentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.id = $1 AND r.coordinator_id = $2 \
         AND r.state IN {OPEN_STATES}"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)?;
    let answer = version_answer(tx, id, row.version).await?;
    Ok((row, answer))
}

/// The request of an assessment the caller coordinates; `None` otherwise.
pub async fn request_of_coordinated(
    db: &Db,
    scope: &Scope,
    id: AssessmentId,
) -> DbResult<Option<RequestId>> {
    Ok(sqlx::query_scalar(
        "SELECT a.request_id FROM assessments a JOIN requests r ON r.id = a.request_id \
         WHERE a.id = $1 AND r.coordinator_id = $2",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?)
}

/// The request of one of the caller's own assessments; `None` for anybody else's.
pub async fn request_of_own(
    db: &Db,
    scope: &Scope,
    id: AssessmentId,
) -> DbResult<Option<RequestId>> {
    Ok(sqlx::query_scalar(
        "SELECT request_id FROM assessments WHERE id = $1 AND organisation_id = $2",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?)
}

/// Which organisation answers for each service of a request the caller is authorised for:
/// (service, organisation id).
pub async fn organisations_of(
    db: &Db,
    request: &super::RequestAccess,
) -> DbResult<Vec<(String, OrganisationId)>> {
    Ok(sqlx::query_as(
        "SELECT service, organisation_id FROM assessments WHERE request_id = $1 \
         ORDER BY service, id",
    )
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// Every version of the answer for `service` of a request the caller is authorised for,
/// oldest first. When a prerequisite was met is read from it (V-8.2.2).
pub async fn history_of_service(
    db: &Db,
    request: &super::RequestAccess,
    service: &str,
) -> DbResult<Vec<AnswerVersion>> {
    Ok(sqlx::query_as(
        "SELECT v.created_at, v.body FROM assessment_versions v \
         JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = $2 ORDER BY v.version",
    )
    .bind(request.id())
    .bind(service)
    .fetch_all(&db.pool)
    .await?)
}

/// One of an operator's parts as its systems read it through the API (issue 21).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnPartRow {
    pub id: AssessmentId,
    pub request_id: RequestId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub request_state: RequestState,
    pub commune_nis: String,
    pub commune_name: String,
    pub postcode: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub submitted_at: DateTime<Utc>,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub status: AssessmentStatus,
    pub version: i64,
    pub feasibility: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub due_at: DateTime<Utc>,
}

const OWN_PART: &str = "SELECT a.id, a.request_id, r.reference, r.state AS request_state, \
        r.commune_nis, r.commune_name, r.postcode, r.submitted_at, a.service, a.status, \
        a.version, a.feasibility, a.due_at \
     FROM assessments a JOIN requests r ON r.id = a.request_id";

/// Filters of an operator's open parts.
#[derive(Debug, Clone, Default)]
pub struct OwnPartFilter {
    pub status: Option<AssessmentStatus>,
    pub commune_nis: Option<String>,
    /// Filed on or after this instant.
    pub submitted_from: Option<DateTime<Utc>>,
    /// Filed before this instant.
    pub submitted_before: Option<DateTime<Utc>>,
    /// After this (filing time, part): the cursor of the page before.
    pub after: Option<(DateTime<Utc>, AssessmentId)>,
}

/// The scope's parts of requests still open (before the works are paid for), oldest filed
/// first, at most `limit`.
pub async fn own_open_parts(
    db: &Db,
    scope: &Scope,
    filter: &OwnPartFilter,
    limit: i64,
) -> DbResult<Vec<OwnPartRow>> {
    let mut sql = Sql::new(OWN_PART);
    sql.push(" WHERE a.organisation_id = ")
        .push_bind(scope.organisation_id())
        .push(" AND r.state IN ")
        .push(OPEN_STATES);
    if let Some(status) = &filter.status {
        sql.push(" AND a.status = ").push_bind(status.code());
    }
    if let Some(nis) = &filter.commune_nis {
        sql.push(" AND r.commune_nis = ").push_bind(nis.clone());
    }
    if let Some(from) = filter.submitted_from {
        sql.push(" AND r.submitted_at >= ").push_bind(ts(from));
    }
    if let Some(before) = filter.submitted_before {
        sql.push(" AND r.submitted_at < ").push_bind(ts(before));
    }
    if let Some((at, id)) = filter.after {
        sql.push(" AND (r.submitted_at > ")
            .push_bind(ts(at))
            .push(" OR (r.submitted_at = ")
            .push_bind(ts(at))
            .push(" AND a.id > ")
            .push_bind(id.to_string())
            .push("))");
    }
    sql.push(" ORDER BY r.submitted_at, a.id LIMIT ")
        .push_count(u64::try_from(limit).unwrap_or_default());
    Ok(sql.query_as()?.fetch_all(&db.pool).await?)
}

/// One of the scope's parts with its latest answer (none before the first), or `NotFound`.
pub async fn own_part(
    db: &Db,
    scope: &Scope,
    id: AssessmentId,
) -> DbResult<(OwnPartRow, Option<Assessment>)> {
    let mut tx = db.begin_read().await?;
    let row: OwnPartRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OWN_PART} WHERE a.id = $1 AND a.organisation_id = $2"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(DbError::NotFound)?;
    let answer = version_answer(&mut tx, id, row.version).await?;
    tx.rollback().await?;
    Ok((row, answer))
}

/// A moment in an answer's time the operator's systems are told of once (issue 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The answer falls due within [`DUE_SOON_HOURS`] (`assessment.due`).
    Soon,
    /// The answer is overdue (`assessment.late`).
    Passed,
}

/// How long before its due time an answer is said to fall due.
pub const DUE_SOON_HOURS: i64 = 24;

impl Deadline {
    /// The column keeping when it was recorded.
    fn column(self) -> &'static str {
        match self {
            Deadline::Soon => "due_soon_at",
            Deadline::Passed => "late_at",
        }
    }
}

/// Assessments of requests still open, not answered, that reached `deadline` since the last
/// look — an answer due soon but already overdue is only late: (id, request id, organisation
/// id, service).
pub async fn newly_at(
    db: &Db,
    deadline: Deadline,
    now: DateTime<Utc>,
) -> DbResult<Vec<(AssessmentId, RequestId, OrganisationId, String)>> {
    let window = match deadline {
        Deadline::Soon => "a.due_at >= $1 AND a.due_at < $2",
        Deadline::Passed => "a.due_at < $1",
    };
    let sql = format!(
        "SELECT a.id, a.request_id, a.organisation_id, a.service FROM assessments a \
         JOIN requests r ON r.id = a.request_id \
         WHERE a.status <> 'answered' AND {window} AND a.{column} IS NULL \
            AND r.state NOT IN ('closed', 'withdrawn', 'refused', 'lapsed') \
         ORDER BY a.due_at, a.id LIMIT 200",
        column = deadline.column()
    );
    // Built from the two fixed columns and windows above, never from input.
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(super::ts(now));
    if deadline == Deadline::Soon {
        query = query.bind(super::ts(now + chrono::Duration::hours(DUE_SOON_HOURS)));
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// Records that the assessment reached `deadline`, once: false when already recorded.
pub async fn mark_at(
    tx: &mut Tx,
    deadline: Deadline,
    id: AssessmentId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let sql = format!(
        "UPDATE assessments SET {column} = $2 WHERE id = $1 AND {column} IS NULL",
        column = deadline.column()
    );
    let result = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(super::ts(now))
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}
