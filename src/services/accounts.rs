//! Staff accounts an operator administrator adds: invited by email through the outbox, they
//! set their own password through a single-use link (nobody else ever knows it).

use chrono::{DateTime, Duration, Utc};

use crate::domain::UserId;
use crate::domain::tenancy::{OrganisationKind, Role};
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

/// The roles an administrator of an organisation of `kind` may open an account with: its own
/// organisation's roles, never another kind's.
pub fn invitable_roles(kind: OrganisationKind) -> &'static [Role] {
    match kind {
        OrganisationKind::Operator => &[Role::OperatorStaff, Role::OperatorAdmin],
        OrganisationKind::Coordinator => &[Role::CaseOfficer],
        OrganisationKind::Municipality => &[Role::Municipality],
        OrganisationKind::Platform => &[],
    }
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
    let role = match invitable_roles(admin.organisation_kind)
        .iter()
        .find(|role| role.code() == input.role.as_str())
    {
        Some(role) => Some(*role),
        None => {
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
    pub organisation_id: crate::domain::OrganisationId,
    pub organisation_name: &'a str,
    pub name: &'a str,
}

/// The account to open, checked.
pub struct Invitee<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a PersonName,
    pub role: Role,
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
    pub id: MemberId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Invited and not yet signed up: no password set.
    pub invited: bool,
    /// An administrator of the organisation (issue 21), by the flag or by the role.
    pub administrator: bool,
    /// An operator administrator is one by their role: the flag does not change that.
    pub administrator_by_role: bool,
    /// When their latest session still kept began, if one is.
    pub last_sign_in: Option<DateTime<Utc>>,
}

/// What a line of the users page is: an account, or an invitation held for an address with
/// an account elsewhere (no account here, nothing to change on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberId {
    Account(UserId),
    HeldInvitation(crate::domain::HeldInvitationId),
}

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Account(id) => id.fmt(f),
            Self::HeldInvitation(id) => id.fmt(f),
        }
    }
}

impl Member {
    /// The member's account, unless the line is an invitation held.
    pub fn account(&self) -> Option<UserId> {
        match self.id {
            MemberId::Account(id) => Some(id),
            MemberId::HeldInvitation(_) => None,
        }
    }
}

/// The users of the caller's organisation, by name.
pub async fn members(state: &AppState, scope: &Scope) -> Result<Vec<Member>, DbError> {
    users::own(&state.db, scope)
        .await?
        .into_iter()
        .map(|row| {
            let by_role = row.role == Role::OperatorAdmin;
            Ok(Member {
                last_sign_in: row.last_sign_in,
                invited: row.password_hash == "!",
                administrator: by_role || (row.administrator != 0 && row.active != 0),
                administrator_by_role: by_role,
                id: match (row.account_id, row.invitation_id) {
                    (Some(account), _) => MemberId::Account(account),
                    (None, Some(invitation)) => MemberId::HeldInvitation(invitation),
                    (None, None) => {
                        return Err(DbError::Corrupt("a user line without an id".into()));
                    }
                },
                email: row.email,
                display_name: row.display_name,
                role: row.role,
            })
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum AdministratorError {
    /// Not an account of the administrator's organisation: for them it does not exist.
    #[error("no such account in this organisation")]
    NotFound,
    /// The organisation would be left without an administrator: nobody could manage its keys,
    /// webhooks and administrators any more.
    #[error("the organisation's last administrator")]
    LastAdministrator,
    /// An operator administrator is one by their role, whatever the flag.
    #[error("an administrator by role")]
    ByRole,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for AdministratorError {
    fn from(error: DbError) -> Self {
        AdministratorError::Db(error)
    }
}

/// An administrator makes a colleague of their own organisation administrator, or removes
/// them; the change is kept with who made it. True when something changed (asking for what
/// already is changes and records nothing).
pub async fn set_administrator(
    state: &AppState,
    admin: &SessionUser,
    user_id: UserId,
    administrator: bool,
    now: DateTime<Utc>,
) -> Result<bool, AdministratorError> {
    let scope = admin.scope();
    let mut tx = state.db.begin_write().await?;
    let (role, flag) = users::own_for_change(&state.db, &mut tx, &scope, user_id)
        .await?
        .ok_or(AdministratorError::NotFound)?;
    if !administrator && role == Role::OperatorAdmin {
        return Err(AdministratorError::ByRole);
    }
    if (flag != 0) == administrator {
        return Ok(false);
    }
    if !administrator && users::other_administrators(&mut tx, &scope, user_id).await? == 0 {
        return Err(AdministratorError::LastAdministrator);
    }
    users::set_administrator(&mut tx, &scope, user_id, administrator, admin.user_id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(
        organisation = %admin.organisation_id,
        user = %user_id,
        administrator,
        by = %admin.user_id,
        "administrator changed"
    );
    Ok(true)
}

/// One change of the organisation's administrators, as its users page lists it.
#[derive(Debug, Clone)]
pub struct AdministratorChange {
    pub at: DateTime<Utc>,
    /// Whom it changed.
    pub user: String,
    /// Made administrator (true) or removed (false).
    pub administrator: bool,
    /// Who changed it.
    pub by: String,
}

/// How many changes of administrators the users page shows.
pub const CHANGES_SHOWN: i64 = 20;

/// The organisation's latest changes of administrators, newest first.
pub async fn administrator_changes(
    state: &AppState,
    scope: &Scope,
) -> Result<Vec<AdministratorChange>, DbError> {
    Ok(
        users::administrator_changes(&state.db, scope, CHANGES_SHOWN)
            .await?
            .into_iter()
            .map(|row| AdministratorChange {
                at: row.at,
                user: row.user_name,
                administrator: row.administrator != 0,
                by: row.changed_by_name,
            })
            .collect(),
    )
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
