//! An organisation's users page, for its administrators (an operator's, the coordinator's or a
//! commune's, issue 21): its users, who administers it, colleagues invited, administrators
//! made and removed. The operators' first address, `/operator/users`, serves the same page.
//! And the page where an invited person sets their password.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{OriginalUri, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Ctx, Staff},
    views::{Frame, local_datetime_in},
};
use crate::domain::tenancy::Role;
use crate::http::extract::page_id;
use crate::{
    domain::{FieldErrors, UserId},
    i18n::Tr,
    services::accounts::{
        self, AccountError, AdministratorChange, AdministratorError, InviteInput, Member,
        PasswordError,
    },
    state::AppState,
};

/// The page's address for every organisation.
const USERS: &str = "/organisation/users";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organisation/users", get(users_page).post(invite))
        .route("/organisation/users/administrator", post(administrator))
        .route("/operator/users", get(users_page).post(invite))
        .route("/welcome/{token}", get(welcome).post(set_password))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/users.html")]
struct UsersPage {
    tr: Tr,
    page: Frame,
    /// Where the invitation form posts: the address the page was opened at.
    action: String,
    users: Vec<Member>,
    /// The roles the organisation's invitations may give.
    roles: &'static [Role],
    changes: Vec<AdministratorChange>,
    input: InviteInput,
    errors: FieldErrors,
    notice: Option<Notice>,
}

impl UsersPage {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

/// The invitation form's address: the one the page was opened or posted at.
fn action_of(uri: &OriginalUri) -> String {
    if uri.path() == "/operator/users" {
        "/operator/users".to_owned()
    } else {
        USERS.to_owned()
    }
}

async fn render(
    state: &AppState,
    staff: Staff,
    action: String,
    input: InviteInput,
    errors: FieldErrors,
    notice: Option<Notice>,
) -> Result<UsersPage, PageError> {
    let scope = staff.user.scope();
    let users = accounts::members(state, &scope).await?;
    let changes = accounts::administrator_changes(state, &scope).await?;
    Ok(UsersPage {
        roles: accounts::invitable_roles(staff.user.organisation_kind),
        tr: staff.tr,
        page: staff.frame,
        action,
        users,
        changes,
        input,
        errors,
        notice,
    })
}

/// A blank invitation, in the administrator's own page language, with the organisation's
/// first role.
fn blank(staff: &Staff) -> InviteInput {
    InviteInput {
        role: accounts::invitable_roles(staff.user.organisation_kind)
            .first()
            .map(|role| role.code().to_owned())
            .unwrap_or_default(),
        language: staff.tr.lang().into(),
        ..InviteInput::default()
    }
}

async fn users_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    staff: Staff,
) -> Result<UsersPage, PageError> {
    staff.require_organisation_admin()?;
    let input = blank(&staff);
    render(
        &state,
        staff,
        action_of(&uri),
        input,
        FieldErrors::new(),
        None,
    )
    .await
}

async fn invite(
    State(state): State<AppState>,
    uri: OriginalUri,
    staff: Staff,
    CsrfForm(input): CsrfForm<InviteInput>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let tr = staff.tr;
    let action = action_of(&uri);
    match accounts::invite(&state, &staff.user, &input, state.clock.now()).await {
        Ok(()) => Ok(Redirect::to(&action).into_response()),
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(AccountError::Invalid(errors)) => {
            let page = render(&state, staff, action, input, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AccountError::EmailTaken) => {
            let notice = Notice {
                error: true,
                text: tr.t("accounts.email_taken").to_owned(),
            };
            let page = render(
                &state,
                staff,
                action,
                input,
                FieldErrors::new(),
                Some(notice),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AdministratorForm {
    /// The account's id.
    user: String,
    /// `1` to make them administrator, `0` to remove them.
    administrator: String,
}

/// Makes a colleague administrator of the organisation, or removes them. Another
/// organisation's account does not exist (404); the last administrator stays one.
async fn administrator(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<AdministratorForm>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let tr = staff.tr;
    let refused = |text: String| Notice { error: true, text };
    let make = match form.administrator.trim() {
        "1" => true,
        "0" => false,
        _ => {
            let notice = refused(tr.t("accounts.administrator_choice").to_owned());
            let input = blank(&staff);
            let page = render(
                &state,
                staff,
                USERS.to_owned(),
                input,
                FieldErrors::new(),
                Some(notice),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    // Text that is no id names no account, as another organisation's account (404).
    let user: UserId = page_id(form.user.trim())?;
    let outcome =
        accounts::set_administrator(&state, &staff.user, user, make, state.clock.now()).await;
    let text = match outcome {
        Ok(_) => return Ok(Redirect::to(USERS).into_response()),
        Err(AdministratorError::NotFound) => return Err(PageError::NotFound),
        Err(AdministratorError::Db(error)) => return Err(error.into()),
        Err(AdministratorError::LastAdministrator) => tr.t("accounts.last_administrator"),
        Err(AdministratorError::ByRole) => tr.t("accounts.administrator_by_role"),
    };
    let input = blank(&staff);
    let page = render(
        &state,
        staff,
        USERS.to_owned(),
        input,
        FieldErrors::new(),
        Some(refused(text.to_owned())),
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "welcome.html")]
struct WelcomePage {
    tr: Tr,
    page: Frame,
    token: String,
    email: String,
    name: String,
    error: Option<String>,
}

async fn invited(state: &AppState, token: &str) -> Result<(String, String), PageError> {
    if token.len() < 32 || token.len() > 64 {
        return Err(PageError::NotFound);
    }
    accounts::invitation(state, token, state.clock.now())
        .await?
        .ok_or(PageError::NotFound)
}

async fn welcome(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<WelcomePage, PageError> {
    let (email, name) = invited(&state, &token).await?;
    Ok(WelcomePage {
        tr: ctx.tr,
        page: ctx.frame,
        token,
        email,
        name,
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    password: String,
    confirmation: String,
}

async fn set_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let (email, name) = invited(&state, &token).await?;
    if let Err(problem) = accounts::check_password(&form.password, &form.confirmation) {
        let error = match problem {
            PasswordError::TooShort => ctx.tr.f(
                "accounts.too_short",
                [("min", accounts::PASSWORD_MIN.to_string().as_str())],
            ),
            PasswordError::Mismatch => ctx.tr.t("accounts.mismatch").to_owned(),
        };
        let page = WelcomePage {
            tr: ctx.tr,
            page: ctx.frame,
            token,
            email,
            name,
            error: Some(error),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if accounts::accept(&state, &token, &form.password, state.clock.now()).await? {
        Ok(Redirect::to("/login").into_response())
    } else {
        Err(PageError::NotFound)
    }
}
