//! Staff sign-in: argon2 password hashes, opaque session tokens stored hashed.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    db::{DbError, sessions, sign_ins, users},
    state::AppState,
    throttle::{Limit, Limited},
};

/// How long a staff session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A random, URL-safe token of 256 bits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored as their SHA-256, so a database leak reveals no usable link or session.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checked against when the email is unknown, so both cases take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("no such user"));

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// A session was opened: its token, for the cookie.
    Opened(String),
    /// Unknown address or wrong password (the two are not told apart).
    Refused,
    /// Too many failures on this account lately: nothing was checked, so the answer is the
    /// same whether the password was right or not.
    Limited(Limited),
}

/// The account an attempt counts against: the address as typed, whether or not it is one.
fn account_key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

/// Checks the credentials and opens a session. Refused unchecked while the account has seen
/// too many failures within the window (counted in the database, so across instances); an
/// attempt is recorded before the password is checked, so that concurrent guesses count too.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<SignIn, DbError> {
    let limits = &state.config.limits;
    let window = Duration::minutes(i64::from(limits.sign_in_window_minutes.get()));
    let max = usize::try_from(limits.sign_in_failures_per_account.get()).unwrap_or(usize::MAX);
    let db = &state.db;
    let account = account_key(email);
    let attempt = sign_ins::record(db, &account, now).await?;
    let attempts = sign_ins::since(db, &account, now - window).await?;
    // This attempt is one of them: the others must leave room for it.
    if attempts.len() > max {
        sign_ins::forget(db, attempt).await?;
        // Open again once enough of the earlier attempts have left the window.
        let earlier = attempts.len() - 1;
        let opens_at = attempts[earlier - max] + window;
        return Ok(SignIn::Limited(Limited {
            limit: Limit::SignInAccount,
            retry_after: (opens_at - now).to_std().unwrap_or_default(),
        }));
    }
    let credentials = users::credentials(db, email).await?;
    let hash = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = password.to_owned();
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match credentials {
        Some(credentials) if valid => {
            sign_ins::clear(db, &account).await?;
            let token = new_token();
            sessions::create(
                db,
                &token_hash(&token),
                &credentials.id,
                now,
                now + Duration::hours(SESSION_HOURS),
            )
            .await?;
            Ok(SignIn::Opened(token))
        }
        // The attempt stays as a failure; the ones past every window go.
        _ => {
            sign_ins::prune(db, now - window).await?;
            Ok(SignIn::Refused)
        }
    }
}

pub async fn logout(state: &AppState, token: &str) -> Result<(), DbError> {
    sessions::delete(&state.db, &token_hash(token)).await
}

/// The staff member behind a session cookie's token, if the session is still live.
pub async fn session_user(
    state: &AppState,
    token: &str,
) -> Result<Option<crate::domain::tenancy::SessionUser>, DbError> {
    crate::db::sessions::user(&state.db, &token_hash(token), state.clock.now()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash("abc").len(), 64);
    }
}
