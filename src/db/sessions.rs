use chrono::{DateTime, Utc};

use super::{Db, DbResult, parse_uuid, ts};
pub use crate::domain::tenancy::SessionUser;
use crate::domain::tenancy::{OrganisationKind, Role};

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    user_id: String,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    language: String,
    organisation_id: String,
    organisation_name: String,
    #[sqlx(try_from = "String")]
    organisation_kind: OrganisationKind,
    administrator: i64,
}

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(())
}

pub async fn user(db: &Db, token_hash: &str, now: DateTime<Utc>) -> DbResult<Option<SessionUser>> {
    let row: Option<SessionUserRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name, u.role, u.language, u.administrator, \
                o.id AS organisation_id, o.name AS organisation_name, o.kind AS organisation_kind \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(SessionUser {
            user_id: parse_uuid(&row.user_id)?,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            language: row.language,
            organisation_id: parse_uuid(&row.organisation_id)?,
            organisation_name: row.organisation_name,
            organisation_kind: row.organisation_kind,
            administrator: row.administrator != 0,
            api_key: None,
        })
    })
    .transpose()
}

pub async fn delete(db: &Db, token_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(())
}

pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> DbResult<u64> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(result.rows_affected())
}
