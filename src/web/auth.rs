//! Staff sign-in and sign-out.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    client::ClientAddr,
    error::PageError,
    extract::{CsrfForm, Ctx, SESSION_COOKIE},
    views::Frame,
};
use crate::{
    http::redirect::LocalPath,
    i18n::Tr,
    services::auth::{self, SignIn},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    page: Frame,
    email: String,
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(ctx: Ctx, Query(query): Query<NextQuery>) -> LoginPage {
    LoginPage {
        tr: ctx.tr,
        page: ctx.frame,
        email: String::new(),
        next: LocalPath::parse_or_home(query.next.as_deref())
            .as_str()
            .to_owned(),
        failed: false,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = LocalPath::parse_or_home(form.next.as_deref());
    // Every attempt from this client counts, before any account is looked at.
    state.throttles.sign_in.check(client)?;
    let outcome = auth::login(&state, &form.email, &form.password, state.clock.now()).await?;
    match outcome {
        SignIn::Opened { token, home } => {
            let target = if next.is_home() { home } else { next.as_str() };
            let mut response = Redirect::to(target).into_response();
            if let Some(cookie) = session_cookie(&state, &token, auth::SESSION_HOURS * 3600) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        SignIn::Limited(limited) => Err(limited.into()),
        SignIn::Refused => Ok((
            StatusCode::UNAUTHORIZED,
            LoginPage {
                tr: ctx.tr,
                page: ctx.frame,
                email: form.email,
                next: next.as_str().to_owned(),
                failed: true,
            },
        )
            .into_response()),
    }
}

#[derive(Deserialize)]
struct LogoutForm {}

async fn logout(
    State(state): State<AppState>,
    request_headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<LogoutForm>,
) -> Result<Response, PageError> {
    if let Some(token) = super::csrf::cookie_value(&request_headers, SESSION_COOKIE) {
        auth::logout(&state, &token).await?;
    }
    let mut response = Redirect::to("/").into_response();
    if let Some(cookie) = session_cookie(&state, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
