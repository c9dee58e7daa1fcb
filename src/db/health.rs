//! What the readiness probe asks the database.

use super::{Db, DbResult};

/// The embedded migrations whose version the database has not recorded as applied.
pub async fn pending_migrations(db: &Db) -> DbResult<Vec<i64>> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&db.pool)
            .await?;
    Ok(sqlx::migrate!("./migrations")
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect())
}
