use super::{OrganisationId, RequestId, Stored, UserId};
use chrono::{DateTime, Utc};

use super::{Db, DbResult, new_id, ts};
use crate::domain::tenancy::{OrganisationKind, Role};

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub organisation_id: OrganisationId,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub language: &'a str,
}

/// What login needs to check a password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// Creates the user unless that email exists. Returns whether a row was added.
pub async fn ensure(db: &Db, user: &NewUser<'_>, now: DateTime<Utc>) -> DbResult<bool> {
    let result = sqlx::query(
        "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, language, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT (email) DO NOTHING",
    )
    .bind(UserId::generate())
    .bind(user.organisation_id)
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role.code())
    .bind(user.password_hash)
    .bind(user.language)
    .bind(ts(now))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Makes a staff member an administrator of their organisation (issue 21: manages its API keys).
pub async fn make_administrator(db: &Db, email: &str) -> DbResult<()> {
    sqlx::query("UPDATE users SET administrator = 1 WHERE email = $1")
        .bind(email.to_lowercase())
        .execute(&mut *db.single_write().await?)
        .await?;
    db.sessions.forget_all();
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

/// A staff account as its organisation's administrator sees it (`account_id`), or an
/// invitation held for an address that has an account elsewhere (`invitation_id`, no account:
/// nothing to change on it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub account_id: Option<UserId>,
    pub invitation_id: Option<super::HeldInvitationId>,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub password_hash: String,
    pub administrator: i64,
    pub active: i64,
    /// When its latest session still kept began.
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub last_sign_in: Option<DateTime<Utc>>,
}

/// The users of the caller's organisation, by name.
pub async fn own(db: &Db, scope: &super::Scope) -> DbResult<Vec<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT u.id AS account_id, CAST(NULL AS TEXT) AS invitation_id, u.email, \
            u.display_name, u.role, u.password_hash, u.administrator, u.active, \
            (SELECT MAX(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_sign_in \
         FROM users u WHERE u.organisation_id = $1 \
         UNION ALL SELECT CAST(NULL AS TEXT) AS account_id, h.id AS invitation_id, h.email, \
            h.display_name, h.role, '!' AS password_hash, \
            CAST(0 AS BIGINT) AS administrator, CAST(1 AS BIGINT) AS active, \
            CAST(NULL AS TEXT) AS last_sign_in \
         FROM held_invitations h WHERE h.organisation_id = $1 ORDER BY display_name",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// An account of the caller's organisation about to change: (role, administrator flag).
/// Holds its organisation's row until the transaction ends (PostgreSQL), so that two
/// administrators removing each other at once take turns and the second sees the first.
pub async fn own_for_change(
    db: &Db,
    tx: &mut super::Tx,
    scope: &super::Scope,
    user_id: UserId,
) -> DbResult<Option<(Role, i64)>> {
    if db.engine == super::Engine::Postgres {
        sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR UPDATE")
            .bind(scope.organisation_id())
            .fetch_optional(&mut **tx)
            .await?;
    }
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT role, administrator FROM users WHERE id = $1 AND organisation_id = $2",
    )
    .bind(user_id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|(role, administrator)| Ok((super::parse_code(&role)?, administrator)))
        .transpose()
}

/// How many active administrators the caller's organisation has besides `user_id`.
pub async fn other_administrators(
    tx: &mut super::Tx,
    scope: &super::Scope,
    user_id: UserId,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND id <> $2 AND active = 1 \
           AND (administrator = 1 OR role = 'operator_admin')",
    )
    .bind(scope.organisation_id())
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Sets or clears the administrator flag of an account of the caller's organisation, and keeps
/// the change with who made it.
pub async fn set_administrator(
    tx: &mut super::Tx,
    scope: &super::Scope,
    user_id: UserId,
    administrator: bool,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<()> {
    tx.forget_sessions_on_commit();
    sqlx::query("UPDATE users SET administrator = $3 WHERE id = $1 AND organisation_id = $2")
        .bind(user_id)
        .bind(scope.organisation_id())
        .bind(i64::from(administrator))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO administrator_changes (id, organisation_id, user_id, administrator, \
            changed_by, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id().to_string())
    .bind(scope.organisation_id())
    .bind(user_id)
    .bind(i64::from(administrator))
    .bind(by)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One change of administrators, as the users page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdministratorChangeRow {
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub at: DateTime<Utc>,
    pub user_name: String,
    pub administrator: i64,
    pub changed_by_name: String,
}

/// The caller's organisation's latest changes of administrators, newest first.
pub async fn administrator_changes(
    db: &Db,
    scope: &super::Scope,
    limit: i64,
) -> DbResult<Vec<AdministratorChangeRow>> {
    Ok(sqlx::query_as(
        "SELECT c.at, u.display_name AS user_name, c.administrator, \
            b.display_name AS changed_by_name \
         FROM administrator_changes c JOIN users u ON u.id = c.user_id \
         JOIN users b ON b.id = c.changed_by \
         WHERE c.organisation_id = $1 ORDER BY c.at DESC, c.id DESC LIMIT $2",
    )
    .bind(scope.organisation_id())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The organisation of the account of `email`, if the address has one: whether an invitation
/// may open an account, and nothing else, is decided with it.
pub async fn organisation_of_email(
    tx: &mut super::Tx,
    email: &str,
) -> DbResult<Option<OrganisationId>> {
    Ok(
        sqlx::query_scalar("SELECT organisation_id FROM users WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_optional(&mut **tx)
            .await?,
    )
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
    .bind(super::HeldInvitationId::generate())
    .bind(scope.organisation_id())
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role.code())
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
    let id = UserId::generate();
    sqlx::query(
        "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, \
            language, active, created_at) VALUES ($1, $2, $3, $4, $5, '!', $6, 1, $7)",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .bind(user.email.to_lowercase())
    .bind(user.display_name)
    .bind(user.role.code())
    .bind(user.language)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO invitations (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(id)
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
    let user_id: Option<UserId> = sqlx::query_scalar(
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
        .bind(user_id)
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
    request_id: RequestId,
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
    #[sqlx(try_from = "String")]
    pub organisation_kind: OrganisationKind,
    pub service: Option<String>,
}

/// Every active account with `role`, of every organisation, by email.
pub async fn active_with_role(db: &Db, role: Role) -> DbResult<Vec<Addressee>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.display_name, u.language, o.kind AS organisation_kind, o.service \
         FROM users u JOIN organisations o ON o.id = u.organisation_id \
         WHERE u.role = $1 AND u.active = 1 ORDER BY u.email",
    )
    .bind(role.code())
    .fetch_all(&db.pool)
    .await?)
}

/// The active administrators of an organisation (an operator's `operator_admin`, the
/// coordinator's and each commune's administrators): (email, name, language).
pub async fn administrators_of(
    tx: &mut super::Tx,
    organisation_id: OrganisationId,
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

/// The active accounts of an organisation with `role`, by email: a commune's staff told of
/// a permit request (C-6). (email, name, language)
pub async fn active_of_organisation(
    tx: &mut super::Tx,
    organisation_id: OrganisationId,
    role: Role,
) -> DbResult<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT email, display_name, language FROM users \
         WHERE organisation_id = $1 AND role = $2 AND active = 1 ORDER BY email",
    )
    .bind(organisation_id)
    .bind(role.code())
    .fetch_all(&mut **tx)
    .await?)
}
