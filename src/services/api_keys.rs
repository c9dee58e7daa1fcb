//! API keys (issue 21): an organisation's administrator creates them for its own systems, which
//! then act on `/api/v1` with exactly the organisation's scope. The secret is shown once and
//! only its SHA-256 is kept (a random 256-bit token, not a password: no slow hash needed).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{
    db::{
        DbError, api_keys,
        api_keys::{KeptAnswer, KeyRow, NewKey},
    },
    domain::{
        ApiKeyId, FieldErrors, InputError, OrganisationId,
        idempotency::IdempotencyKey,
        tenancy::{Scope, SessionUser},
    },
    state::AppState,
};

pub use crate::db::api_keys::Answer;

/// What every secret starts with, so a leaked one is recognised (secret scanners, logs).
pub const SECRET_PREFIX: &str = "cmh_";
/// Longest name of a key.
pub const NAME_MAX: usize = 80;
/// A key's use is recorded at most this often: a busy system does not write on every call.
pub const LAST_USED_EVERY: Duration = Duration::seconds(60);

/// The two scopes a key is given.
pub const SCOPES: [&str; 2] = ["read", "read_write"];

/// The fields of the creation form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct KeyInput {
    pub name: String,
    /// `read` or `read_write`.
    pub scope: String,
    /// The last day the key works (`YYYY-MM-DD`); empty for a key without expiry.
    pub expires_on: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A key just created: its secret, shown this once.
pub struct CreatedKey {
    pub name: String,
    pub secret: String,
}

/// The instant a key stops working: the end of its last day, Brussels time.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    crate::clock::day_start(day.succ_opt().unwrap_or(day))
}

/// Creates a key for the administrator's organisation.
pub async fn create(
    state: &AppState,
    admin: &SessionUser,
    input: &KeyInput,
    now: DateTime<Utc>,
) -> Result<CreatedKey, KeyError> {
    let mut errors = FieldErrors::new();
    let name = errors.check(
        "name",
        crate::domain::error::required_text(&input.name, NAME_MAX),
    );
    let scope = errors.check(
        "scope",
        SCOPES
            .into_iter()
            .find(|scope| *scope == input.scope.trim())
            .ok_or(InputError::Choice),
    );
    let expires = match input.expires_on.trim() {
        "" => Some(None),
        text => errors.check(
            "expires_on",
            crate::clock::parse_day(text)
                .ok_or(InputError::Date)
                .and_then(|day| {
                    if day < crate::clock::day_of(now) {
                        Err(InputError::Date)
                    } else {
                        Ok(Some(end_of(day)))
                    }
                }),
        ),
    };
    let (Some(name), Some(scope), Some(expires_at)) = (name, scope, expires) else {
        return Err(KeyError::Invalid(errors));
    };
    let secret = format!("{SECRET_PREFIX}{}", super::auth::new_token());
    let prefix: String = secret.chars().take(SECRET_PREFIX.len() + 6).collect();
    api_keys::insert(
        &state.db,
        &NewKey {
            id: ApiKeyId::generate(),
            organisation_id: admin.organisation_id,
            name: &name,
            scope,
            prefix: &prefix,
            secret_hash: &super::auth::token_hash(&secret),
            created_by: admin.user_id,
            expires_at,
        },
        now,
    )
    .await?;
    Ok(CreatedKey { name, secret })
}

/// A key as its pages list it.
pub struct KeyView {
    pub id: ApiKeyId,
    pub organisation: String,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Revoked, or past its expiry.
    pub live: bool,
}

fn views(rows: Vec<KeyRow>, now: DateTime<Utc>) -> Vec<KeyView> {
    rows.into_iter()
        .map(|row| KeyView {
            id: row.id,
            organisation: row.organisation_name,
            name: row.name,
            scope: row.scope,
            prefix: row.prefix,
            created_by: row.created_by_name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            live: row.revoked_at.is_none() && row.expires_at.is_none_or(|at| now < at),
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
        .collect()
}

/// The keys of the administrator's organisation.
pub async fn of_organisation(
    state: &AppState,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Vec<KeyView>, DbError> {
    Ok(views(
        api_keys::of_organisation(&state.db, scope).await?,
        now,
    ))
}

/// Every organisation's keys, for the platform administrator.
pub async fn all(state: &AppState, now: DateTime<Utc>) -> Result<Vec<KeyView>, DbError> {
    Ok(views(api_keys::all(&state.db).await?, now))
}

/// Revokes one of the administrator's organisation's keys (`scope`), or any key for the
/// platform administrator (`None`). False when there is no such live key.
pub async fn revoke(
    state: &AppState,
    scope: Option<&Scope>,
    by: &SessionUser,
    key_id: ApiKeyId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    api_keys::revoke(&state.db, scope, key_id, by.user_id, now).await
}

/// Why a bearer key does not act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The `Authorization` header is no `Bearer` key.
    Malformed,
    /// No key has this secret.
    Unknown,
    Revoked,
    Expired,
}

impl KeyRefusal {
    pub fn code(self) -> &'static str {
        match self {
            KeyRefusal::Malformed => "key_malformed",
            KeyRefusal::Unknown => "key_unknown",
            KeyRefusal::Revoked => "key_revoked",
            KeyRefusal::Expired => "key_expired",
        }
    }
}

/// The key behind an `Authorization` header's value: the organisation it acts for, or why it
/// does not act (with the language of its owner when the key is known).
pub async fn authenticate(
    state: &AppState,
    header: &str,
    now: DateTime<Utc>,
) -> Result<Result<SessionUser, (KeyRefusal, Option<String>)>, DbError> {
    let Some(secret) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|secret| !secret.is_empty() && secret.len() <= 200)
    else {
        return Ok(Err((KeyRefusal::Malformed, None)));
    };
    let Some(bearer) =
        api_keys::by_secret_hash(&state.db, &super::auth::token_hash(secret)).await?
    else {
        return Ok(Err((KeyRefusal::Unknown, None)));
    };
    let language = Some(bearer.user.language.clone());
    if bearer.revoked {
        return Ok(Err((KeyRefusal::Revoked, language)));
    }
    if bearer.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err((KeyRefusal::Expired, language)));
    }
    if let Some(key) = &bearer.user.api_key
        && bearer
            .last_used_at
            .is_none_or(|at| at <= now - LAST_USED_EVERY)
    {
        api_keys::touch(&state.db, key.id, now, LAST_USED_EVERY).await?;
    }
    Ok(Ok(bearer.user))
}

/// What an `Idempotency-Key` says of a POST about to be answered.
pub enum Idempotency {
    /// The first time: answer it, then [`keep`] the answer.
    First,
    /// Answered before with the same request: the kept answer.
    Replay(KeptAnswer),
    /// Used before for another request.
    Mismatch,
    /// The first request with this key is still being answered.
    InProgress,
}

pub async fn claim(
    state: &AppState,
    organisation_id: OrganisationId,
    key: &IdempotencyKey,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Idempotency, DbError> {
    Ok(
        match api_keys::claim_idempotency(
            &state.db,
            organisation_id,
            key.as_ref(),
            fingerprint,
            now,
        )
        .await?
        {
            None => Idempotency::First,
            Some(kept) if kept.fingerprint != fingerprint => Idempotency::Mismatch,
            Some(kept) if kept.status == 0 => Idempotency::InProgress,
            Some(kept) => Idempotency::Replay(kept),
        },
    )
}

/// Keeps the first answer under the key; a failure on the server's side frees the key instead.
pub async fn keep(
    state: &AppState,
    organisation_id: OrganisationId,
    key: &IdempotencyKey,
    answer: &Answer<'_>,
) -> Result<(), DbError> {
    if answer.status >= 500 {
        api_keys::release_idempotency(&state.db, organisation_id, key.as_ref()).await
    } else {
        api_keys::keep_answer(&state.db, organisation_id, key.as_ref(), answer).await
    }
}
