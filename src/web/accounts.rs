//! Operator administrators' users page, and the page where an invited person sets their
//! password.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Ctx, Staff},
    views::Frame,
};
use crate::{
    domain::FieldErrors,
    i18n::Tr,
    services::accounts::{self, AccountError, InviteInput, Member, PasswordError},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operator/users", get(users_page).post(invite))
        .route("/welcome/{token}", get(welcome).post(set_password))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/users.html")]
struct UsersPage {
    tr: Tr,
    page: Frame,
    users: Vec<Member>,
    input: InviteInput,
    errors: FieldErrors,
    notice: Option<Notice>,
}

impl UsersPage {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }
}

async fn render(
    state: &AppState,
    staff: Staff,
    input: InviteInput,
    errors: FieldErrors,
    notice: Option<Notice>,
) -> Result<UsersPage, PageError> {
    let users = accounts::members(state, &staff.user.scope()).await?;
    Ok(UsersPage {
        tr: staff.tr,
        page: staff.frame,
        users,
        input,
        errors,
        notice,
    })
}

async fn users_page(State(state): State<AppState>, staff: Staff) -> Result<UsersPage, PageError> {
    staff.require_operator_admin()?;
    // The invitation's language starts as the administrator's own page language.
    let input = InviteInput {
        role: "operator_staff".into(),
        language: staff.tr.lang().into(),
        ..InviteInput::default()
    };
    render(&state, staff, input, FieldErrors::new(), None).await
}

async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(input): CsrfForm<InviteInput>,
) -> Result<Response, PageError> {
    staff.require_operator_admin()?;
    let tr = staff.tr;
    match accounts::invite(&state, &staff.user, &input, state.clock.now()).await {
        Ok(()) => Ok(Redirect::to("/operator/users").into_response()),
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(AccountError::Invalid(errors)) => {
            let page = render(&state, staff, input, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AccountError::EmailTaken) => {
            let notice = Notice {
                error: true,
                text: tr.t("accounts.email_taken").to_owned(),
            };
            let page = render(&state, staff, input, FieldErrors::new(), Some(notice)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
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
