//! Sign-in attempts per account that failed or are being checked: the lockout's count, in
//! the database so that it holds across instances.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, DbResult, Stored, new_id, ts};

/// Records an attempt on `account` about to be checked; its id, to forget it if it succeeds
/// or is refused unchecked.
pub async fn record(db: &Db, account: &str, now: DateTime<Utc>) -> DbResult<Uuid> {
    let id = new_id();
    sqlx::query("INSERT INTO sign_in_attempts (id, account, at) VALUES ($1, $2, $3)")
        .bind(id.to_string())
        .bind(account)
        .bind(ts(now))
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(id)
}

/// When the attempts on `account` since `since` were made, oldest first.
pub async fn since(db: &Db, account: &str, since: DateTime<Utc>) -> DbResult<Vec<DateTime<Utc>>> {
    let rows: Vec<Stored<DateTime<Utc>>> = sqlx::query_scalar(
        "SELECT at FROM sign_in_attempts WHERE account = $1 AND at > $2 ORDER BY at, id",
    )
    .bind(account)
    .bind(ts(since))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|at| at.0).collect())
}

/// Forgets one attempt.
pub async fn forget(db: &Db, id: Uuid) -> DbResult<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(())
}

/// Forgets every attempt on `account` (it was just signed in to).
pub async fn clear(db: &Db, account: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE account = $1")
        .bind(account)
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(())
}

/// Drops the attempts made at or before `before`: they no longer count.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> DbResult<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE at <= $1")
        .bind(ts(before))
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(())
}
