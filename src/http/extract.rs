//! Extractors: the visitor's language and session, staff-only access, CSRF-checked forms.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::de::DeserializeOwned;

use super::{
    csrf::{self, CsrfToken},
    error::{ApiError, PageError},
    frame::Frame,
};
use crate::domain::tenancy::{OrganisationKind, Role};
use crate::{
    domain::{Language, tenancy::SessionUser},
    i18n::Tr,
    services::auth,
    state::AppState,
};

pub const LANG_COOKIE: &str = "cmh_lang";
pub const SESSION_COOKIE: &str = "cmh_session";

/// The language chosen with the switcher, else the browser's, else French.
pub fn language_of(headers: &HeaderMap) -> Language {
    chosen_language(headers).unwrap_or_default()
}

/// The language the reader asked for: with the switcher, else through the browser's
/// `Accept-Language`; none when neither names a language of the product.
pub fn chosen_language(headers: &HeaderMap) -> Option<Language> {
    csrf::cookie_value(headers, LANG_COOKIE)
        .and_then(|code| code.parse().ok())
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language)
        })
}

/// The signed-in staff member, if the session cookie names a live session.
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<SessionUser>() {
            return Ok(MaybeUser(Some(user.clone())));
        }
        let Some(token) = csrf::cookie_value(&parts.headers, SESSION_COOKIE) else {
            return Ok(MaybeUser(None));
        };
        let user = auth::session_user(state, &token).await?;
        if let Some(user) = &user {
            parts.extensions.insert(user.clone());
        }
        Ok(MaybeUser(user))
    }
}

/// What every page needs: the translator and the page frame (CSRF token, user, path).
pub struct Ctx {
    pub tr: Tr,
    pub frame: Frame,
    /// Whether the reader chose the language (switcher, browser, API key), rather than
    /// getting French for want of a choice.
    pub chosen: bool,
}

impl Ctx {
    /// The page in `language` when the reader made no choice of their own: an applicant's
    /// status page reads in the language of their request.
    pub fn unless_chosen(self, language: Language) -> Ctx {
        if self.chosen {
            self
        } else {
            Ctx {
                tr: Tr(language),
                ..self
            }
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        // An API key speaks the language of the administrator who created it (issue 21).
        let language = user
            .as_ref()
            .filter(|user| user.api_key.is_some())
            .and_then(|user| user.language.parse().ok())
            .or_else(|| chosen_language(&parts.headers));
        Ok(Ctx {
            tr: Tr(language.unwrap_or_default()),
            frame: Frame::new(parts, user),
            chosen: language.is_some(),
        })
    }
}

/// A typed id from the route's one parameter (`/backoffice/requests/{id}`). Text that is no
/// id names nothing: not found, as an unknown id is, in the reader's language.
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> FromRequestParts<S> for IdPath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_id(parts, state)
            .await
            .ok_or(PageError::NotFound)
            .map(Self)
    }
}

/// [`IdPath`] for the API: an id that is no id is the API's `not_found`.
pub struct ApiIdPath<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> FromRequestParts<S> for ApiIdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_id(parts, state)
            .await
            .ok_or(ApiError::NotFound)
            .map(Self)
    }
}

/// An id among a route's several parameters (`/…/{id}/documents/{document}`), read as
/// [`IdPath`] reads a route's one: text that is no id is not found.
pub fn page_id<T: std::str::FromStr>(text: &str) -> Result<T, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

async fn path_id<S: Send + Sync, T: std::str::FromStr>(parts: &mut Parts, state: &S) -> Option<T> {
    let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
        .await
        .ok()?;
    text.parse().ok()
}

/// A signed-in staff member. Pages send others to the sign-in form; the API answers 401.
pub struct Staff {
    pub tr: Tr,
    pub frame: Frame,
    pub user: SessionUser,
}

impl Staff {
    /// Only an operator's administrators manage its accounts, coverage and tariff books. Other
    /// staff get 403: those pages are the same address for every operator and hold no
    /// tenant's data by themselves.
    pub fn require_operator_admin(&self) -> Result<(), PageError> {
        if self.user.role == Role::OperatorAdmin
            && self.user.organisation_kind == OrganisationKind::Operator
        {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

impl Staff {
    /// Only an organisation's administrators manage its API keys (issue 21): an operator's
    /// `operator_admin`, the coordinator's and each commune's administrator. Others get 403.
    pub fn require_organisation_admin(&self) -> Result<(), PageError> {
        if self.user.administers() {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// Pages of the coordinator's work (its backlog, figures across communes): nobody else's,
    /// so another organisation's staff get 404.
    pub fn require_coordinator(&self) -> Result<(), PageError> {
        if self.user.is_coordinator() {
            Ok(())
        } else {
            Err(PageError::NotFound)
        }
    }
}

pub enum StaffRejection {
    Page(PageError),
    SignIn(String),
    Api,
}

impl IntoResponse for StaffRejection {
    fn into_response(self) -> Response {
        match self {
            StaffRejection::Page(error) => error.into_response(),
            StaffRejection::SignIn(next) => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                let target = format!("/login?{query}");
                Redirect::to(&target).into_response()
            }
            StaffRejection::Api => ApiError::Unauthorized.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = StaffRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Nested routers see a stripped path; the original one tells pages from the API.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|original| original.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let is_api = uri.path().starts_with("/api/");
        let Ctx { tr, frame, .. } = Ctx::from_request_parts(parts, state)
            .await
            .map_err(StaffRejection::Page)?;
        match frame.user.clone() {
            Some(user) => Ok(Staff { tr, frame, user }),
            None if is_api => Err(StaffRejection::Api),
            None => Err(StaffRejection::SignIn(
                uri.path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "/".into()),
            )),
        }
    }
}

/// A urlencoded form whose `csrf_token` field must match the visitor's CSRF cookie.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError::BadRequest("form expected".into()));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    PageError::TooLarge
                } else {
                    PageError::BadRequest(rejection.body_text())
                }
            })?;
        let field: CsrfField =
            serde_html_form::from_bytes(&body).map_err(|e| PageError::BadRequest(e.to_string()))?;
        csrf::check(&headers, &field.csrf_token)?;
        let value =
            serde_html_form::from_bytes(&body).map_err(|e| PageError::BadRequest(e.to_string()))?;
        Ok(CsrfForm(value))
    }
}

/// The CSRF token the middleware attached to this request.
pub fn csrf_token(parts: &Parts) -> String {
    parts
        .extensions
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}
