//! One-time codes confirming an online acceptance of the offer, stored as hashes.

use chrono::{DateTime, Utc};

use super::{AcceptanceCodeId, DbResult, RequestId, Stored, Tx, ts};

/// A code as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: AcceptanceCodeId,
    pub offer_version: i64,
    pub code_hash: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub expires_at: DateTime<Utc>,
    pub attempts: i64,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub spent_at: Option<DateTime<Utc>>,
}

/// How many codes the request was sent since `since`.
pub async fn sent_since(tx: &mut Tx, request_id: RequestId, since: DateTime<Utc>) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM acceptance_codes WHERE request_id = $1 AND created_at >= $2",
    )
    .bind(request_id)
    .bind(ts(since))
    .fetch_one(&mut **tx)
    .await?)
}

/// Stores a new code for `offer_version`; every earlier code of the request is spent.
pub async fn replace(
    tx: &mut Tx,
    request_id: RequestId,
    offer_version: i64,
    code_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE acceptance_codes SET spent_at = $2 WHERE request_id = $1 AND spent_at IS NULL",
    )
    .bind(request_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO acceptance_codes (id, request_id, offer_version, code_hash, created_at, \
            expires_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(AcceptanceCodeId::generate())
    .bind(request_id)
    .bind(offer_version)
    .bind(code_hash)
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The request's latest code, spent or not.
pub async fn latest_in(tx: &mut Tx, request_id: RequestId) -> DbResult<Option<CodeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, offer_version, code_hash, expires_at, attempts, spent_at \
         FROM acceptance_codes WHERE request_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Counts one try of the code before it is checked: false when the code is spent, expired or
/// out of tries, so concurrent tries never exceed `max_attempts` in all.
pub async fn take_attempt(
    tx: &mut Tx,
    id: AcceptanceCodeId,
    max_attempts: i64,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE acceptance_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND spent_at IS NULL AND attempts < $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(max_attempts)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Spends the code; false when it was spent meanwhile (used once only).
pub async fn spend(tx: &mut Tx, id: AcceptanceCodeId, now: DateTime<Utc>) -> DbResult<bool> {
    let updated =
        sqlx::query("UPDATE acceptance_codes SET spent_at = $2 WHERE id = $1 AND spent_at IS NULL")
            .bind(id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
    Ok(updated.rows_affected() == 1)
}
