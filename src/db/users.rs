use chrono::{DateTime, Utc};
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
    pub role: String,
}

/// Creates the user unless that email exists. Returns whether a row was added.
pub async fn ensure(db: &Db, user: &NewUser<'_>, now: DateTime<Utc>) -> DbResult<bool> {
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
    .bind(ts(now))
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Makes a staff member an administrator of their organisation (issue 21: manages its API keys).
pub async fn make_administrator(db: &Db, email: &str) -> DbResult<()> {
    sqlx::query("UPDATE users SET administrator = 1 WHERE email = $1")
        .bind(email.to_lowercase())
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn credentials(db: &Db, email: &str) -> DbResult<Option<Credentials>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash, role FROM users WHERE email = $1 AND active = 1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// A staff account as its organisation's administrator sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
}

/// The users of the caller's organisation, by name.
pub async fn own(db: &Db, scope: &super::Scope) -> DbResult<Vec<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT email, display_name, role, password_hash FROM users WHERE organisation_id = $1 \
         UNION ALL SELECT email, display_name, role, '!' AS password_hash FROM held_invitations \
         WHERE organisation_id = $1 ORDER BY display_name",
    )
    .bind(scope.organisation_id().to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// The organisation of the account of `email`, if the address has one: whether an invitation
/// may open an account, and nothing else, is decided with it.
pub async fn organisation_of_email(tx: &mut super::Tx, email: &str) -> DbResult<Option<Uuid>> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT organisation_id FROM users WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_optional(&mut **tx)
            .await?;
    found.as_deref().map(super::parse_uuid).transpose()
}

/// Records, for the caller's organisation, an invitation that opens nothing (the address has
/// an account elsewhere). `Conflict` when the organisation invited the address already.
pub async fn hold_invitation(
    tx: &mut super::Tx,
    scope: &super::Scope,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO held_invitations (id, organisation_id, email, display_name, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id().to_string())
    .bind(scope.organisation_id().to_string())
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates an account of the caller's organisation that cannot sign in until its password is
/// set through `token_hash`'s invitation. `Conflict` when the email is taken.
pub async fn invite(
    tx: &mut super::Tx,
    scope: &super::Scope,
    user: &NewUser<'_>,
    token_hash: &str,
    expires_at: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> DbResult<()> {
    let id = new_id().to_string();
    sqlx::query(
        "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, \
            language, active, created_at) VALUES ($1, $2, $3, $4, $5, '!', $6, 1, $7)",
    )
    .bind(&id)
    .bind(scope.organisation_id().to_string())
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role)
    .bind(user.language)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO invitations (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(&id)
        .bind(ts(expires_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account an unused, unexpired invitation is for.
pub async fn invitation(
    db: &Db,
    token_hash: &str,
    now: chrono::DateTime<Utc>,
) -> DbResult<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.display_name FROM invitations i JOIN users u ON u.id = i.user_id \
         WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses an invitation once and sets the account's password; false when it is used or expired.
pub async fn accept_invitation(
    db: &Db,
    token_hash: &str,
    password_hash: &str,
    now: chrono::DateTime<Utc>,
) -> DbResult<bool> {
    let mut tx = db.begin_write().await?;
    let user_id: Option<String> = sqlx::query_scalar(
        "UPDATE invitations SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else {
        tx.rollback().await?;
        return Ok(false);
    };
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(&user_id)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Who hears of news on a request from outside the back office: its case officer, or every
/// active case officer of the coordinator while nobody has taken it. (email, name, language)
pub async fn officers_of_request(
    tx: &mut super::Tx,
    request_id: &str,
) -> DbResult<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.display_name, u.language FROM requests r JOIN users u \
         ON (u.id = r.assigned_to) \
         OR (r.assigned_to IS NULL AND u.organisation_id = r.coordinator_id \
             AND u.role = 'case_officer') \
         WHERE r.id = $1 AND u.active = 1 ORDER BY u.email",
    )
    .bind(request_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// A staff account addressed by a platform-wide notice, with what decides whether it is
/// concerned: its organisation's kind and service.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Addressee {
    pub email: String,
    pub display_name: String,
    pub language: String,
    pub organisation_kind: String,
    pub service: Option<String>,
}

/// Every active account with `role`, of every organisation, by email.
pub async fn active_with_role(db: &Db, role: &str) -> DbResult<Vec<Addressee>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.display_name, u.language, o.kind AS organisation_kind, o.service \
         FROM users u JOIN organisations o ON o.id = u.organisation_id \
         WHERE u.role = $1 AND u.active = 1 ORDER BY u.email",
    )
    .bind(role)
    .fetch_all(&db.pool)
    .await?)
}

/// The active accounts of an organisation with `role`, by email: a commune's staff told of
/// a permit request (C-6). (email, name, language)
/// The active administrators of an organisation (an operator's `operator_admin`, the
/// coordinator's and each commune's administrators): (email, name, language).
pub async fn administrators_of(
    tx: &mut super::Tx,
    organisation_id: &str,
) -> DbResult<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT email, display_name, language FROM users \
         WHERE organisation_id = $1 AND (administrator = 1 OR role = 'operator_admin') \
           AND active = 1 ORDER BY email",
    )
    .bind(organisation_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn active_of_organisation(
    tx: &mut super::Tx,
    organisation_id: &str,
    role: &str,
) -> DbResult<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT email, display_name, language FROM users \
         WHERE organisation_id = $1 AND role = $2 AND active = 1 ORDER BY email",
    )
    .bind(organisation_id)
    .bind(role)
    .fetch_all(&mut **tx)
    .await?)
}
