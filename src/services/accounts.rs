//! Staff accounts an operator administrator adds: invited by email through the outbox, they
//! set their own password through a single-use link (nobody else ever knows it).

use chrono::{DateTime, Duration, Utc};

use crate::{
    db::{
        DbError,
        outbox::{self, NewMessage},
        users::{self, NewUser},
    },
    domain::tenancy::{Scope, SessionUser},
    domain::{EmailAddress, FieldErrors, InputError, Language, PersonName},
    i18n::Tr,
    services::auth::{hash_password, new_token, token_hash},
    state::AppState,
};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;
/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("this email already has an account")]
    EmailTaken,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for AccountError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Conflict(_) => AccountError::EmailTaken,
            other => AccountError::Db(other),
        }
    }
}

/// The invitation form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InviteInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub language: String,
}

/// Adds an account to the administrator's own organisation and emails its invitation, in one
/// transaction: an account never exists without its invitation.
pub async fn invite(
    state: &AppState,
    admin: &SessionUser,
    input: &InviteInput,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", EmailAddress::parse(&input.email));
    let name = errors.check("name", PersonName::parse(&input.name));
    let role = match input.role.as_str() {
        "operator_staff" | "operator_admin" => Some(input.role.as_str()),
        _ => {
            errors.add("role", InputError::Choice);
            None
        }
    };
    let language = errors.check(
        "language",
        input
            .language
            .parse::<Language>()
            .map_err(|_| InputError::Choice),
    );
    let (Some(email), Some(name), Some(role), Some(language)) = (email, name, role, language)
    else {
        return Err(AccountError::Invalid(errors));
    };
    let inviter = Inviter {
        organisation_id: admin.organisation_id,
        organisation_name: &admin.organisation_name,
        name: &admin.display_name,
    };
    send_invitation(
        state,
        &inviter,
        &Invitee {
            email: &email,
            name: &name,
            role,
            language,
        },
        now,
    )
    .await
}

/// Who opens the access: an administrator, or the platform for a partner's first
/// administrator named in its configuration (rule C-8).
pub struct Inviter<'a> {
    pub organisation_id: uuid::Uuid,
    pub organisation_name: &'a str,
    pub name: &'a str,
}

/// The account to open, checked.
pub struct Invitee<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a PersonName,
    pub role: &'a str,
    pub language: Language,
}

/// Adds the account and emails its invitation in one transaction. `EmailTaken` when the
/// email already has an account (invited or not).
pub async fn send_invitation(
    state: &AppState,
    inviter: &Inviter<'_>,
    invitee: &Invitee<'_>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let Invitee {
        email,
        name,
        role,
        language,
    } = *invitee;
    let token = new_token();
    let scope = crate::db::Scope::of_organisation(inviter.organisation_id);
    let account = NewUser {
        organisation_id: inviter.organisation_id,
        email: email.as_ref(),
        display_name: name.as_ref(),
        role,
        password_hash: "!",
        language: language.code(),
    };
    let mut tx = state.db.begin_write().await?;
    let tr = Tr(language);
    let greeting = tr.f("mail.greeting", [("name", name.as_ref())]);
    let inviter_args = [
        ("inviter", inviter.name),
        ("organisation", inviter.organisation_name),
    ];
    let (kind, text) = match users::organisation_of_email(&mut tx, email.as_ref()).await? {
        Some(organisation) if organisation == inviter.organisation_id => {
            return Err(AccountError::EmailTaken);
        }
        // One account per address: nothing is opened, but the administrator gets the answer
        // of any invitation, so inviting does not tell who has an account on the platform.
        Some(_) => {
            users::hold_invitation(&mut tx, &scope, &account, now).await?;
            let text = format!(
                "{greeting}\n\n{}\n\n{}\n",
                tr.f("accounts.held_mail_text", inviter_args),
                tr.t("mail.signature"),
            );
            ("staff_invitation_held", text)
        }
        None => {
            users::invite(
                &mut tx,
                &scope,
                &account,
                &token_hash(&token),
                now + Duration::days(INVITATION_DAYS),
                now,
            )
            .await?;
            let link = format!("{}/welcome/{token}", state.base_url.trim_end_matches('/'));
            let text = format!(
                "{greeting}\n\n{}\n\n{}\n{link}\n\n{}\n\n{}\n",
                tr.f("accounts.mail_intro", inviter_args),
                tr.t("accounts.mail_link"),
                tr.f(
                    "accounts.mail_expiry",
                    [("days", INVITATION_DAYS.to_string().as_str())]
                ),
                tr.t("mail.signature"),
            );
            ("staff_invitation", text)
        }
    };
    outbox::enqueue(
        &mut tx,
        &NewMessage {
            kind,
            request_id: None,
            recipient: email.as_ref(),
            subject: tr.t("accounts.mail_subject"),
            body_text: &text,
            body_html: None,
            attachments: &[],
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("too short")]
    TooShort,
    #[error("the two entries differ")]
    Mismatch,
}

/// Checks a new password before it is hashed.
pub fn check_password(password: &str, confirmation: &str) -> Result<(), PasswordError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(PasswordError::TooShort);
    }
    if password != confirmation {
        return Err(PasswordError::Mismatch);
    }
    Ok(())
}

/// Sets the password of an invited account; false when the link is used or expired.
pub async fn accept(
    state: &AppState,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    users::accept_invitation(&state.db, &token_hash(token), &hash, now).await
}

/// A member of the caller's organisation, as the users page lists them.
#[derive(Debug, Clone)]
pub struct Member {
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Invited and not yet signed up: no password set.
    pub invited: bool,
}

/// The users of the caller's organisation, by name.
pub async fn members(state: &AppState, scope: &Scope) -> Result<Vec<Member>, DbError> {
    Ok(users::own(&state.db, scope)
        .await?
        .into_iter()
        .map(|row| Member {
            invited: row.password_hash == "!",
            email: row.email,
            display_name: row.display_name,
            role: row.role,
        })
        .collect())
}

/// The (email, name) of the account an unused, unexpired invitation link is for.
pub async fn invitation(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String)>, DbError> {
    users::invitation(&state.db, &token_hash(token), now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_twelve_characters_typed_twice() {
        assert_eq!(
            check_password("court", "court"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_password("assez-long-2026", "assez-long-2027"),
            Err(PasswordError::Mismatch)
        );
        assert_eq!(check_password("assez-long-2026", "assez-long-2026"), Ok(()));
    }
}
