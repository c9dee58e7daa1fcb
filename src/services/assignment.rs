//! Who is in charge of a request: a case officer takes it, or hands it to a colleague of the
//! same coordinator; the timeline says who and when.

use crate::domain::{RequestId, UserId};
use crate::{
    db::{
        DbError,
        requests::{self, NewEvent},
    },
    domain::tenancy::SessionUser,
    state::AppState,
};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// Not a request of the caller's coordinator, or not an officer who may take it.
    #[error("this officer cannot take this request")]
    Refused,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Puts `officer` in charge of the request and records it on the timeline, in one
/// transaction; returns the officer's name.
pub async fn assign(
    state: &AppState,
    user: &SessionUser,
    request_id: RequestId,
    officer: UserId,
    now: DateTime<Utc>,
) -> Result<String, AssignError> {
    let mut tx = state.db.begin_write().await?;
    let name = match requests::assign(&mut tx, &user.scope(), request_id, officer, now).await {
        Ok(name) => name,
        Err(DbError::NotFound) => return Err(AssignError::Refused),
        Err(other) => return Err(other.into()),
    };
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "assigned",
            actor_kind: "staff",
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: Some(user.organisation_id),
            detail: Some(&name),
            public: false,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(name)
}
