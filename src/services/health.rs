//! Readiness: can this instance serve requests now?

use crate::{db::health, state::AppState};

#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable: {0}")]
    Database(crate::db::DbError),
    #[error("migrations not applied: {0:?}")]
    Migrations(Vec<i64>),
}

/// Ready when the database answers and every migration this build carries is applied.
pub async fn readiness(state: &AppState) -> Result<(), NotReady> {
    let pending = health::pending_migrations(&state.db)
        .await
        .map_err(NotReady::Database)?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(NotReady::Migrations(pending))
    }
}
