//! An operator's own work: the requests that involve it (its part only) and which request an
//! assessment belongs to, for its staff and for the coordinating case officer.

use chrono::{DateTime, Utc};

use crate::{
    db::{self, DbError, assessments},
    domain::tenancy::SessionUser,
    state::AppState,
};

pub use crate::db::assessments::OperatorQueueRow;

/// The most lines of the operator's queue (its open work fits; answered parts are filtered).
pub const QUEUE_LIMIT: i64 = 500;

/// The operator's queue page: its parts, which are overdue, and whether its staff member
/// administers its tariff books.
pub struct OperatorQueue {
    pub rows: Vec<OperatorQueueRow>,
    /// The stored instant the answers are compared with (`due_at` is stored alike).
    now: String,
    pub tariffs_link: bool,
}

impl OperatorQueue {
    /// Not answered and past the due time.
    pub fn is_late(&self, row: &OperatorQueueRow) -> bool {
        row.status != "answered" && row.due_at < self.now
    }
}

/// `status`: `pending`, `answered`, `failed`, or anything else for all.
pub async fn queue(
    state: &AppState,
    user: &SessionUser,
    status: &str,
    now: DateTime<Utc>,
) -> Result<OperatorQueue, DbError> {
    let status = matches!(status, "pending" | "answered" | "failed").then_some(status);
    let rows = assessments::operator_queue(&state.db, &user.scope(), status, QUEUE_LIMIT).await?;
    let tariffs_link = super::books::uploader_operator(&state.db, user)
        .await?
        .is_some();
    Ok(OperatorQueue {
        rows,
        now: db::ts(now),
        tariffs_link,
    })
}

/// The request of one of the operator's own assessments (none for another's).
pub async fn request_of_own(
    state: &AppState,
    user: &SessionUser,
    assessment_id: &str,
) -> Result<Option<String>, DbError> {
    assessments::request_of_own(&state.db, &user.scope(), assessment_id).await
}

/// The request of an assessment the user may change: the operator's own, or for a case
/// officer one of a request their organisation coordinates.
pub async fn request_for_change(
    state: &AppState,
    user: &SessionUser,
    assessment_id: &str,
) -> Result<Option<String>, DbError> {
    if let Some(request_id) = request_of_own(state, user, assessment_id).await? {
        return Ok(Some(request_id));
    }
    if user.role == "case_officer" {
        return assessments::request_of_coordinated(&state.db, &user.scope(), assessment_id).await;
    }
    Ok(None)
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
    assessment_id: &str,
) -> Result<Option<(OwnPartRow, Option<crate::operators::Assessment>)>, DbError> {
    match assessments::own_part(&state.db, &user.scope(), assessment_id).await {
        Ok((row, body)) => {
            let answer = if body.is_empty() {
                None
            } else {
                Some(
                    serde_json::from_str(&body)
                        .map_err(|e| DbError::Corrupt(format!("answer: {e}")))?,
                )
            };
            Ok(Some((row, answer)))
        }
        Err(DbError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}
