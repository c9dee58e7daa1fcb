use chrono::Utc;
use uuid::Uuid;

use super::{Db, DbResult, new_id, ts};

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub organisation_id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub language: &'a str,
}

/// What login needs to check a password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: String,
    pub password_hash: String,
}

/// Creates the user unless that email exists. Returns whether a row was added.
pub async fn ensure(db: &Db, user: &NewUser<'_>) -> DbResult<bool> {
    let result = sqlx::query(
        "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, language, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT (email) DO NOTHING",
    )
    .bind(new_id().to_string())
    .bind(user.organisation_id.to_string())
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role)
    .bind(user.password_hash)
    .bind(user.language)
    .bind(ts(Utc::now()))
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn credentials(db: &Db, email: &str) -> DbResult<Option<Credentials>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1 AND active = 1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&db.pool)
            .await?,
    )
}
