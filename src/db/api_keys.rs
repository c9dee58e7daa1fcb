//! API keys of an organisation (issue 21) and the answers kept for `Idempotency-Key`.

use chrono::{DateTime, Utc};

use super::{ApiKeyId, Db, DbError, DbResult, OrganisationId, Stored, UserId, ts};
use crate::domain::tenancy::{ApiKeyActor, Scope, SessionUser};

/// A new key, its secret already hashed.
pub struct NewKey<'a> {
    pub id: ApiKeyId,
    pub organisation_id: OrganisationId,
    pub name: &'a str,
    /// `read` or `read_write`.
    pub scope: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub created_by: UserId,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(db: &Db, key: &NewKey<'_>, now: DateTime<Utc>) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO api_keys (id, organisation_id, name, scope, prefix, secret_hash, created_by, \
            created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.id)
    .bind(key.organisation_id)
    .bind(key.name)
    .bind(key.scope)
    .bind(key.prefix)
    .bind(key.secret_hash)
    .bind(key.created_by)
    .bind(ts(now))
    .bind(key.expires_at.map(ts))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A key as its pages list it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: ApiKeyId,
    pub organisation_name: String,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_by_name: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub expires_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub revoked_at: Option<DateTime<Utc>>,
}

const LIST: &str = "SELECT k.id, o.name AS organisation_name, k.name, k.scope, k.prefix, \
        u.display_name AS created_by_name, k.created_at, k.expires_at, k.last_used_at, \
        k.revoked_at \
     FROM api_keys k JOIN organisations o ON o.id = k.organisation_id \
        JOIN users u ON u.id = k.created_by";

/// The keys of the scope's organisation, newest first.
pub async fn of_organisation(db: &Db, scope: &Scope) -> DbResult<Vec<KeyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LIST} WHERE k.organisation_id = $1 ORDER BY k.created_at DESC, k.id"
    )))
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// Every organisation's keys (the platform administrator's list), by organisation, newest first.
pub async fn all(db: &Db) -> DbResult<Vec<KeyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LIST} ORDER BY o.name, k.created_at DESC, k.id"
    )))
    .fetch_all(&db.pool)
    .await?)
}

/// Revokes a live key: one of the scope's organisation, or any with `None` (the platform
/// administrator). False when there is no such live key.
pub async fn revoke(
    db: &Db,
    scope: Option<&Scope>,
    key_id: ApiKeyId,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let mut tx = db.begin_write().await?;
    let result = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1, revoked_by = $2 \
         WHERE id = $3 AND revoked_at IS NULL \
           AND (CAST($4 AS TEXT) IS NULL OR organisation_id = $4)",
    )
    .bind(ts(now))
    .bind(by)
    .bind(key_id)
    .bind(scope.map(|s| s.organisation_id()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(result.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct BearerRow {
    id: ApiKeyId,
    name: String,
    scope: String,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    expires_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    last_used_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    revoked_at: Option<DateTime<Utc>>,
    created_by: UserId,
    language: String,
    organisation_id: OrganisationId,
    organisation_name: String,
    #[sqlx(try_from = "String")]
    organisation_kind: crate::domain::tenancy::OrganisationKind,
}

/// A key found by the hash of its secret.
pub struct Bearer {
    /// Who the key acts as: its organisation, in the language of the administrator who created
    /// it, the key named in every event it writes.
    pub user: SessionUser,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

pub async fn by_secret_hash(db: &Db, secret_hash: &str) -> DbResult<Option<Bearer>> {
    let row: Option<BearerRow> = sqlx::query_as(
        "SELECT k.id, k.name, k.scope, k.expires_at, k.last_used_at, k.revoked_at, k.created_by, \
            u.language, o.id AS organisation_id, o.name AS organisation_name, \
            o.kind AS organisation_kind \
         FROM api_keys k JOIN organisations o ON o.id = k.organisation_id \
            JOIN users u ON u.id = k.created_by \
         WHERE k.secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Bearer {
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        revoked: row.revoked_at.is_some(),
        user: SessionUser {
            user_id: row.created_by,
            email: String::new(),
            display_name: row.name.clone(),
            role: crate::domain::tenancy::Role::ApiKey,
            language: row.language,
            organisation_id: row.organisation_id,
            organisation_name: row.organisation_name,
            organisation_kind: row.organisation_kind,
            administrator: false,
            api_key: Some(ApiKeyActor {
                id: row.id,
                name: row.name,
                writes: row.scope == "read_write",
            }),
        },
    }))
}

/// Records the key's use, at most once per `every` (a read does not write on each call).
pub async fn touch(
    db: &Db,
    key_id: ApiKeyId,
    now: DateTime<Utc>,
    every: chrono::Duration,
) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(ts(now))
    .bind(key_id)
    .bind(ts(now - every))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an `Idempotency-Key` already holds for an organisation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeptAnswer {
    pub fingerprint: String,
    /// 0 while the first request is still being answered.
    pub status: i64,
    pub content_type: String,
    pub etag: Option<String>,
    pub body: String,
}

/// How long the first answer under an `Idempotency-Key` is kept.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// Claims the key for a first request; `Some` with what it holds when it was used before.
pub async fn claim_idempotency(
    db: &Db,
    organisation_id: OrganisationId,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<KeptAnswer>> {
    let mut tx = db.begin_write().await?;
    // Answers are kept a day: a client retries within minutes, not days.
    sqlx::query("DELETE FROM idempotency_keys WHERE organisation_id = $1 AND created_at < $2")
        .bind(organisation_id)
        .bind(ts(now - chrono::Duration::hours(IDEMPOTENCY_HOURS)))
        .execute(&mut *tx)
        .await?;
    let kept: Option<KeptAnswer> = sqlx::query_as(
        "SELECT fingerprint, status, content_type, etag, body FROM idempotency_keys \
         WHERE organisation_id = $1 AND idempotency_key = $2",
    )
    .bind(organisation_id)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    if kept.is_some() {
        return Ok(kept);
    }
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (organisation_id, idempotency_key, fingerprint, status, \
            content_type, body, created_at) VALUES ($1, $2, $3, 0, '', '', $4)",
    )
    .bind(organisation_id)
    .bind(key)
    .bind(fingerprint)
    .bind(ts(now))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {
            tx.commit().await?;
            Ok(None)
        }
        // Claimed at the same moment by the same request sent twice: it is in progress.
        Err(error) => match DbError::from(error) {
            DbError::Conflict(_) => Ok(Some(KeptAnswer {
                fingerprint: fingerprint.to_owned(),
                status: 0,
                content_type: String::new(),
                etag: None,
                body: String::new(),
            })),
            other => Err(other),
        },
    }
}

/// The first answer given under a key.
pub struct Answer<'a> {
    pub status: u16,
    pub content_type: &'a str,
    pub etag: Option<&'a str>,
    pub body: &'a str,
}

/// Keeps the first answer given under the key.
pub async fn keep_answer(
    db: &Db,
    organisation_id: OrganisationId,
    key: &str,
    answer: &Answer<'_>,
) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, content_type = $2, etag = $3, body = $4 \
         WHERE organisation_id = $5 AND idempotency_key = $6",
    )
    .bind(i64::from(answer.status))
    .bind(answer.content_type)
    .bind(answer.etag)
    .bind(answer.body)
    .bind(organisation_id)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Frees the key of a request that failed on the server's side: it may be sent again.
pub async fn release_idempotency(
    db: &Db,
    organisation_id: OrganisationId,
    key: &str,
) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE organisation_id = $1 AND idempotency_key = $2 \
            AND status = 0",
    )
    .bind(organisation_id)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
