//! Extra private links to a request's status page, stored as token hashes; their revocation;
//! the addresses typed on the "Lost your link?" page, waiting for the worker.

use super::RequestId;
use chrono::{DateTime, Utc};

use super::{Db, DbResult, Tx, new_id, ts};

/// Records a link whose token hashes to `token_hash`, inside the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    request_id: RequestId,
    purpose: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO follow_links (token_hash, request_id, purpose, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(request_id)
    .bind(purpose)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every link of the request stops working: the one sent on filing and every later one.
pub async fn revoke_all(tx: &mut Tx, request_id: RequestId, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query(
        "UPDATE follow_links SET revoked_at = $2 WHERE request_id = $1 AND revoked_at IS NULL",
    )
    .bind(request_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE requests SET follow_token_revoked_at = $2 \
         WHERE id = $1 AND follow_token_revoked_at IS NULL",
    )
    .bind(request_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues an address typed on the "Lost your link?" page.
pub async fn queue_lost_link(db: &Db, email: &str, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query("INSERT INTO link_requests (id, email, created_at) VALUES ($1, $2, $3)")
        .bind(new_id().to_string())
        .bind(email)
        .bind(ts(now))
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(())
}

/// Takes the oldest queued address off the queue inside `tx`: if the transaction rolls back,
/// it stays queued. Two workers never take the same one (the second delete finds nothing).
pub async fn take_lost_link(tx: &mut Tx) -> DbResult<Option<String>> {
    let oldest: Option<(String, String)> =
        sqlx::query_as("SELECT id, email FROM link_requests ORDER BY created_at, id LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let Some((id, email)) = oldest else {
        return Ok(None);
    };
    let deleted = sqlx::query("DELETE FROM link_requests WHERE id = $1")
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    Ok((deleted.rows_affected() == 1).then_some(email))
}
