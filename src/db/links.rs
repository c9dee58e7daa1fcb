//! Extra private links to a request's status page, stored as token hashes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{DbResult, Tx, ts};

/// Records a link whose token hashes to `token_hash`, inside the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    request_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO follow_links (token_hash, request_id, purpose, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(request_id.to_string())
    .bind(purpose)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
