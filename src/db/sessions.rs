//! Staff sessions, and the live ones kept in memory: every staff page and API call starts by
//! reading its session, and a session changes only when it ends or its account changes.
//!
//! A kept session serves until its expiry, for [`KEPT_FOR`] at most, while nothing that could
//! change it was written. This instance's own writes (a sign-out, a change of account) forget
//! the kept sessions at once. On PostgreSQL every instance is
//! told of every such write by triggers (`NOTIFY`, installed by `db::revisions`) and forgets
//! them too; an instance that is not listening (not yet, or its listening connection lost)
//! keeps none and reads each time. On SQLite, one process serves the file: a change made
//! behind its back (SQL by hand) is seen within [`KEPT_FOR`].

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use super::{Db, DbResult, OrganisationId, Stored, UserId, ts};
pub use crate::domain::tenancy::SessionUser;
use crate::domain::tenancy::{OrganisationKind, Role};

/// How long a kept session serves at most without being read again.
pub const KEPT_FOR: Duration = Duration::from_secs(30);

/// How many sessions are kept at most (the least used go first).
const KEPT_SESSIONS: usize = 10_000;

/// The channel the PostgreSQL triggers tell of a session ended or an account changed.
pub(super) const CHANGED_CHANNEL: &str = "cmh_sessions_changed";

/// The live sessions kept by this instance.
pub struct KeptSessions {
    kept: quick_cache::sync::Cache<String, Arc<Kept>>,
    /// Moves with every change that could make a kept session wrong: a session read before it
    /// is not kept, one kept before it no longer serves.
    generation: AtomicU64,
    /// Whether this instance hears of every change made by others (always on SQLite).
    told: AtomicBool,
}

struct Kept {
    user: SessionUser,
    expires_at: DateTime<Utc>,
    generation: u64,
    read_at: Instant,
}

impl std::fmt::Debug for KeptSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptSessions")
            .field("kept", &self.kept.len())
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .field("told", &self.told.load(Ordering::Relaxed))
            .finish()
    }
}

impl KeptSessions {
    /// `told`: whether changes made by others reach this instance from the start.
    pub(super) fn new(told: bool) -> Self {
        Self {
            kept: quick_cache::sync::Cache::new(KEPT_SESSIONS),
            generation: AtomicU64::new(0),
            told: AtomicBool::new(told),
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<SessionUser> {
        if !self.told.load(Ordering::Acquire) {
            return None;
        }
        let kept = self.kept.get(token_hash)?;
        let fresh = kept.generation == self.generation()
            && kept.expires_at > now
            && kept.read_at.elapsed() < KEPT_FOR;
        fresh.then(|| kept.user.clone())
    }

    /// Keeps a session read at `generation`, unless something changed since.
    fn keep(&self, token_hash: &str, kept: Kept) {
        if self.told.load(Ordering::Acquire) && kept.generation == self.generation() {
            self.kept.insert(token_hash.to_owned(), Arc::new(kept));
        }
    }

    /// Forgets every kept session: an account changed, or changes may have gone unheard.
    pub(super) fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.kept.clear();
    }

    pub(super) fn set_told(&self, told: bool) {
        self.told.store(told, Ordering::Release);
        self.forget_all();
    }
}

/// Listens for the PostgreSQL triggers' notices for as long as `kept` lives, connecting again
/// after a lost connection; while not listening, nothing is kept.
pub(super) async fn listen_for_changes(url: String, kept: Weak<KeptSessions>) {
    use sqlx::postgres::PgListener;
    loop {
        if let Ok(mut listener) = PgListener::connect(&url).await
            && listener.listen(CHANGED_CHANNEL).await.is_ok()
        {
            let Some(sessions) = kept.upgrade() else {
                return;
            };
            sessions.set_told(true);
            drop(sessions);
            loop {
                let heard = listener.try_recv().await;
                let Some(sessions) = kept.upgrade() else {
                    return;
                };
                match heard {
                    Ok(Some(_)) => sessions.forget_all(),
                    // The connection was lost: notices sent meanwhile went unheard.
                    Ok(None) | Err(_) => {
                        sessions.set_told(false);
                        break;
                    }
                }
            }
        }
        if kept.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    user_id: UserId,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    language: String,
    organisation_id: OrganisationId,
    organisation_name: String,
    #[sqlx(try_from = "String")]
    organisation_kind: OrganisationKind,
    administrator: i64,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    expires_at: DateTime<Utc>,
}

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: UserId,
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
    if let Some(user) = db.sessions.get(token_hash, now) {
        return Ok(Some(user));
    }
    let generation = db.sessions.generation();
    let read_at = Instant::now();
    let row: Option<SessionUserRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name, u.role, u.language, u.administrator, \
                o.id AS organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, \
                s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = SessionUser {
        user_id: row.user_id,
        email: row.email,
        display_name: row.display_name,
        role: row.role,
        language: row.language,
        organisation_id: row.organisation_id,
        organisation_name: row.organisation_name,
        organisation_kind: row.organisation_kind,
        administrator: row.administrator != 0,
        api_key: None,
    };
    db.sessions.keep(
        token_hash,
        Kept {
            user: user.clone(),
            expires_at: row.expires_at,
            generation,
            read_at,
        },
    );
    Ok(Some(user))
}

pub async fn delete(db: &Db, token_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *db.single_write().await?)
        .await?;
    // All of them, not just this one: a read of it that began before the delete may still
    // be about to keep it.
    db.sessions.forget_all();
    Ok(())
}

pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> DbResult<u64> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&mut *db.single_write().await?)
        .await?;
    Ok(result.rows_affected())
}
