//! An operator's own work: the requests that involve it (its part only) and which request an
//! assessment belongs to, for its staff and for the coordinating case officer.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::assessment::AssessmentStatus;
use crate::domain::tenancy::Role;
use crate::domain::{AssessmentId, RequestId};
use crate::{
    db::{
        self, DbError,
        assessments::{self, Deadline},
        crews,
        requests::NewEvent,
    },
    domain::{RequestState, tenancy::SessionUser},
    state::AppState,
};

pub use crate::db::assessments::OperatorQueueRow;

/// The most lines of the operator's queue (its open work fits; answered parts are filtered).
pub const QUEUE_LIMIT: i64 = 500;

/// The operator's queue page: its parts, which are overdue, and whether its staff member
/// administers its tariff books.
pub struct OperatorQueue {
    pub rows: Vec<OperatorQueueRow>,
    /// The instant the answers' due times are compared with.
    now: DateTime<Utc>,
    pub tariffs_link: bool,
}

impl OperatorQueue {
    pub fn is_late(&self, row: &OperatorQueueRow) -> bool {
        late(row, self.now)
    }
}

/// Not answered and past the due time.
fn late(row: &OperatorQueueRow, now: DateTime<Utc>) -> bool {
    row.status != AssessmentStatus::Answered && row.due_at < now
}

/// `status`: those of that status only, else all.
pub async fn queue(
    state: &AppState,
    user: &SessionUser,
    status: Option<AssessmentStatus>,
    now: DateTime<Utc>,
) -> Result<OperatorQueue, DbError> {
    let rows = assessments::operator_queue(&state.db, &user.scope(), status, QUEUE_LIMIT).await?;
    let tariffs_link = super::books::uploader_operator(&state.db, user)
        .await?
        .is_some();
    Ok(OperatorQueue {
        rows,
        now,
        tariffs_link,
    })
}

/// The request of one of the operator's own assessments (none for another's).
pub async fn request_of_own(
    state: &AppState,
    user: &SessionUser,
    assessment_id: AssessmentId,
) -> Result<Option<RequestId>, DbError> {
    assessments::request_of_own(&state.db, &user.scope(), assessment_id).await
}

/// The request of an assessment the user may change: the operator's own, or for a case
/// officer one of a request their organisation coordinates.
pub async fn request_for_change(
    state: &AppState,
    user: &SessionUser,
    assessment_id: AssessmentId,
) -> Result<Option<RequestId>, DbError> {
    if let Some(request_id) = request_of_own(state, user, assessment_id).await? {
        return Ok(Some(request_id));
    }
    if user.role == Role::CaseOfficer {
        return assessments::request_of_coordinated(&state.db, &user.scope(), assessment_id).await;
    }
    Ok(None)
}

/// How many days ahead the day sheet shows.
pub const SHEET_DAYS: i64 = 14;

/// One job on the day sheet, typed.
#[derive(Debug, Clone)]
pub struct SheetJob {
    pub day: NaiveDate,
    pub crew: String,
    pub service: String,
    pub request_id: RequestId,
    pub reference: String,
    /// The case officer confirmed the day (the request is scheduled or later); otherwise the
    /// day is reserved and still to be confirmed.
    pub confirmed: bool,
    pub applicant: String,
    pub phone: String,
    /// The site in one line, as every page writes it (`domain::geo::site_line`).
    pub address: String,
    pub done: bool,
}

/// What an operator has to do, and by when (issue of daily work): its answers still due,
/// earliest first; its works of past days not recorded done; its coming joint days.
pub struct OperatorWork {
    pub answers_due: Vec<OperatorQueueRow>,
    /// Works on a day already come, not recorded done.
    pub to_record: Vec<SheetJob>,
    /// From today to `SHEET_DAYS` ahead.
    pub coming: Vec<SheetJob>,
    now: DateTime<Utc>,
}

impl OperatorWork {
    pub fn is_late(&self, row: &OperatorQueueRow) -> bool {
        late(row, self.now)
    }
}

/// The operator's to-do list and day sheet, read in two queries.
pub async fn work(
    state: &AppState,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<OperatorWork, DbError> {
    let today = crate::clock::day_of(now);
    let mut answers_due =
        assessments::operator_queue(&state.db, &user.scope(), None, QUEUE_LIMIT).await?;
    answers_due.retain(|row| row.status != AssessmentStatus::Answered);
    answers_due.sort_by_key(|row| row.due_at);
    let until = today + chrono::Duration::days(SHEET_DAYS - 1);
    let rows = crews::day_sheet(&state.db, &user.scope(), today, until).await?;
    let mut to_record = Vec::new();
    let mut coming = Vec::new();
    for row in rows {
        let job = sheet_job(row);
        if job.day <= today && !job.done {
            to_record.push(job);
        } else if job.day >= today {
            coming.push(job);
        }
    }
    Ok(OperatorWork {
        answers_due,
        to_record,
        coming,
        now,
    })
}

fn sheet_job(row: crews::DaySheetRow) -> SheetJob {
    let address = crate::domain::geo::site_line(
        row.street.as_deref(),
        row.house_number.as_deref(),
        &row.postcode,
        &row.commune_name,
        row.parcel_ref.as_deref(),
        row.map_point.as_deref(),
    );
    SheetJob {
        day: row.day,
        crew: row.crew_name,
        service: row.service,
        request_id: row.request_id,
        reference: row.reference,
        confirmed: matches!(
            row.state,
            RequestState::Scheduled | RequestState::Done | RequestState::Closed
        ),
        applicant: row.applicant_name,
        phone: row.phone,
        address,
        done: row.done_at.is_some(),
    }
}

pub use crate::db::assessments::{OwnPartFilter, OwnPartRow};

/// The most parts one page of the API's list holds.
pub const PARTS_PAGE_MAX: i64 = 200;

/// A page of the operator's parts of open requests (issue 21), `limit` at most, and whether
/// more follow.
pub async fn open_parts(
    state: &AppState,
    user: &SessionUser,
    filter: &OwnPartFilter,
    limit: i64,
) -> Result<(Vec<OwnPartRow>, bool), DbError> {
    let limit = limit.clamp(1, PARTS_PAGE_MAX);
    let mut rows = assessments::own_open_parts(&state.db, &user.scope(), filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, more))
}

/// One of the operator's own parts with its latest answer (none before the first): `None` for
/// anybody else's.
pub async fn own_part(
    state: &AppState,
    user: &SessionUser,
    assessment_id: AssessmentId,
) -> Result<Option<(OwnPartRow, Option<crate::operators::Assessment>)>, DbError> {
    match assessments::own_part(&state.db, &user.scope(), assessment_id).await {
        Ok(found) => Ok(Some(found)),
        Err(DbError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Records each operator's answer that became overdue since the last pass (not answered past
/// its due time, as the queues flag it), once per assessment: a timeline event the staff read,
/// which tells the coordinator's and that operator's endpoints `assessment.late` (issue 21).
/// Answers how many were recorded.
pub async fn record_late(state: &AppState, now: DateTime<Utc>) -> Result<usize, DbError> {
    record_deadline(state, Deadline::Passed, now).await
}

/// Records each operator's answer that now falls due within a day, not answered yet, once per
/// assessment: `assessment.due` to the coordinator's and that operator's endpoints, so that its
/// system answers in time (issue 21). Answers how many were recorded.
pub async fn record_due_soon(state: &AppState, now: DateTime<Utc>) -> Result<usize, DbError> {
    record_deadline(state, Deadline::Soon, now).await
}

async fn record_deadline(
    state: &AppState,
    deadline: Deadline,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let kind = match deadline {
        Deadline::Soon => "assessment_due",
        Deadline::Passed => "assessment_late",
    };
    let mut recorded = 0;
    for (id, request_id, organisation_id, service) in
        assessments::newly_at(&state.db, deadline, now).await?
    {
        let mut tx = state.db.begin_write().await?;
        if !assessments::mark_at(&mut tx, deadline, id, now).await? {
            tx.rollback().await.map_err(DbError::from)?;
            continue;
        }
        db::requests::insert_event(
            &mut tx,
            &NewEvent {
                request_id,
                at: now,
                kind,
                actor_kind: "system",
                actor_id: None,
                actor_name: None,
                organisation_id: Some(organisation_id),
                detail: Some(&service),
                public: false,
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        recorded += 1;
    }
    Ok(recorded)
}
