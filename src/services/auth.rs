//! Staff sign-in: argon2 password hashes, opaque session tokens stored hashed.

use std::{fmt::Write as _, sync::LazyLock};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::tenancy::Role;
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
    // Every signed-in page and every private link hashes its token: written into one string,
    // not one allocation per byte.
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    let (checked, usable) = hash_to_check(hash);
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &checked)
        .is_ok();
    usable && matches
}

/// The hash a password is checked against: the stored one, or, for an account without a
/// usable password (invited, not yet activated), the dummy one, so that the answer takes the
/// time of a real check and its timing does not tell that the account exists. The flag says
/// whether a match may let anyone in.
fn hash_to_check(stored: &str) -> (PasswordHash<'_>, bool) {
    match PasswordHash::new(stored) {
        Ok(parsed) => (parsed, true),
        Err(_) => (
            PasswordHash::new(&DUMMY_HASH).expect("the dummy hash is a PHC string"),
            false,
        ),
    }
}

/// Hashes a short secret (a one-time code) like a password: a stolen hash is slow to guess.
/// Runs off the async workers.
pub async fn hash_secret(secret: &str) -> String {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&secret))
        .await
        .unwrap_or_else(|error| {
            // Only a panic of the hasher gets here; an empty hash never verifies.
            tracing::error!(%error, "hashing a secret");
            String::new()
        })
}

/// Whether `secret` is the one `hash` was made from ([`hash_secret`]).
pub async fn verify_secret(secret: &str, hash: &str) -> bool {
    let (secret, hash) = (secret.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || verify_password(&secret, &hash))
        .await
        .unwrap_or(false)
}

/// Checked against when the email is unknown, so both cases take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password(DUMMY_PASSWORD));
const DUMMY_PASSWORD: &str = "no such user";

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// A session was opened: its token, for the cookie, and the page the account lands on.
    Opened { token: String, home: &'static str },
    /// Unknown address or wrong password (the two are not told apart).
    Refused,
    /// Too many failures on this account lately: nothing was checked, so the answer is the
    /// same whether the password was right or not.
    Limited(Limited),
}

/// Where an account lands after signing in with no page to go back to: a commune's staff on
/// the commune's dashboard (its permits to decide, C-6), everyone else on the back office.
pub fn landing_page(role: Role) -> &'static str {
    match role {
        Role::Municipality => "/commune",
        _ => "/backoffice",
    }
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
    // No account has a blank address: nothing to lock, and a blank form must not lock the
    // next visitor out of the form's answer.
    if email.trim().is_empty() {
        return Ok(SignIn::Refused);
    }
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
                credentials.id,
                now,
                now + Duration::hours(SESSION_HOURS),
            )
            .await?;
            Ok(SignIn::Opened {
                token,
                home: landing_page(credentials.role),
            })
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
    fn a_token_is_stored_as_the_lowercase_hex_of_its_sha256() {
        // FIPS 180-2's example: SHA-256("abc"). Stored hashes of sessions and links compare
        // with it, so its writing must not change.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn an_account_without_a_password_costs_a_real_check_and_never_opens() {
        // An invited account's stored hash is "!": it is checked against an Argon2 hash all
        // the same, like an unknown address, and nothing matches it.
        let (checked, usable) = hash_to_check("!");
        assert_eq!(checked.algorithm.as_str(), "argon2id");
        assert!(!usable);
        assert!(!verify_password(DUMMY_PASSWORD, "!"));
        assert!(!verify_password("", "!"));
        let (_, usable) = hash_to_check(&DUMMY_HASH);
        assert!(usable);
    }

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
