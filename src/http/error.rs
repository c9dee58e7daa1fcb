//! The errors at the edge: pages return a [`PageError`] kind that one middleware renders in the
//! visitor's language; the API answers an [`ApiError`] as JSON.

use askama::Template;
use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;

use super::{extract::language_of, frame::Frame};
use crate::{
    i18n::Tr,
    services::{DbError, api_keys::KeyRefusal},
    tariff,
    throttle::Limited,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("form expired (CSRF)")]
    Csrf,
    #[error("form sent from another site")]
    CrossSite,
    #[error("body too large")]
    TooLarge,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A private link a newer one replaced.
    #[error("private link replaced")]
    LinkReplaced,
    /// A private link of a request finished more than six months ago.
    #[error("private link expired")]
    LinkExpired,
    /// A throttle or quota said no: the page says which and when to try again.
    #[error("too many requests ({0:?})")]
    TooManyRequests(Limited),
    /// Another click or person changed the same thing at the same moment and won: nothing of
    /// this one was saved.
    #[error("changed concurrently")]
    Concurrent,
    #[error("internal error")]
    Internal,
}

impl From<Limited> for PageError {
    fn from(limited: Limited) -> Self {
        PageError::TooManyRequests(limited)
    }
}

/// `Retry-After` in whole seconds.
fn retry_after(limited: &Limited) -> (header::HeaderName, HeaderValue) {
    (
        header::RETRY_AFTER,
        HeaderValue::from(limited.retry_after_secs()),
    )
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Csrf | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LinkReplaced | Self::LinkExpired => StatusCode::GONE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Concurrent => StatusCode::CONFLICT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Csrf => "csrf",
            Self::CrossSite => "cross_site",
            Self::TooLarge => "too_large",
            Self::BadRequest(_) => "bad_request",
            Self::LinkReplaced => "link_replaced",
            Self::LinkExpired => "link_expired",
            Self::TooManyRequests(_) => "too_many",
            Self::Concurrent => "concurrent",
            Self::Internal => "internal",
        }
    }
}

impl From<super::csrf::Refusal> for PageError {
    fn from(refusal: super::csrf::Refusal) -> Self {
        match refusal {
            super::csrf::Refusal::CrossSite => PageError::CrossSite,
            super::csrf::Refusal::Token => PageError::Csrf,
        }
    }
}

impl From<DbError> for PageError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => PageError::NotFound,
            // A unique key or a lock lost to a simultaneous write (a double click): the other
            // write stands, this one rolled back whole.
            DbError::Conflict(why) => {
                tracing::info!(%why, "lost to a concurrent write");
                PageError::Concurrent
            }
            other => {
                tracing::error!(error = %other, "database error");
                PageError::Internal
            }
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        tracing::error!(%error, "template error");
        PageError::Internal
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    page: Frame,
    key: &'static str,
    title: String,
    text: String,
    status: u16,
}

impl ErrorPage {
    fn new(tr: Tr, page: Frame, error: &PageError) -> Self {
        let key = error.key();
        let text = match error {
            // What was limited and when to try again.
            PageError::TooManyRequests(limited) => tr.f(
                &format!("page_error.{key}.{}", limited.limit.key()),
                [("wait", tr.wait(limited.retry_after).as_str())],
            ),
            _ => tr.t(&format!("page_error.{key}.text")).to_owned(),
        };
        ErrorPage {
            tr,
            page,
            key,
            title: tr.t(&format!("page_error.{key}.title")).to_owned(),
            text,
            status: error.status().as_u16(),
        }
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn text(&self) -> &str {
        &self.text
    }

    /// Pages a lost, replaced or expired private link may lead to point to where a new one is
    /// asked for.
    fn offers_new_link(&self) -> bool {
        matches!(self.key, "not_found" | "link_replaced" | "link_expired")
    }
}

/// Renders any [`PageError`] a handler or extractor returned as a full page.
pub async fn render_error_pages(request: Request, next: Next) -> Response {
    let tr = Tr(language_of(request.headers()));
    let frame = Frame::anonymous(&request);
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    let status = error.status();
    let page = ErrorPage::new(tr, frame, &error);
    let mut response = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    };
    if let PageError::TooManyRequests(limited) = &error {
        let (name, value) = retry_after(limited);
        response.headers_mut().insert(name, value);
    }
    response
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthorized,
    /// A bearer key that does not act: unknown, revoked or expired (issue 21).
    #[error("the API key does not act ({})", .0.code())]
    Key(KeyRefusal),
    /// Allowed to read, not to do this (`code`: `read_only` for a read key's write,
    /// `needs_key` for a write sent with a browser session).
    #[error("forbidden ({code})")]
    Forbidden { code: &'static str },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// A rule or the input refuses, said in the caller's language by the handler: `code` names
    /// the problem, `rule` the rule that refuses, if one does.
    #[error("{detail}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        detail: String,
        rule: Option<String>,
    },
    /// No tariff book in force on the case's date (V-5): refused like any invalid case, with
    /// each operator asked that has no book then and the books around the day.
    #[error("{message}")]
    NoTariff {
        message: String,
        gaps: Vec<tariff::TariffGap>,
    },
    /// A throttle said no: 429 with `Retry-After`.
    #[error("{}", too_many_message(.0))]
    TooManyRequests(Limited),
    /// Another click or person changed the same thing at the same moment and won: nothing of
    /// this one was saved.
    #[error(
        "Changed at the same moment by another request, which was saved; nothing of this one was. Read it again."
    )]
    Concurrent,
    /// The `Idempotency-Key` was used before for another request (`idempotency_mismatch`),
    /// its first request is still being answered (`idempotency_in_progress`) or it is no key
    /// (`idempotency_key_invalid`).
    #[error("idempotency key refused ({0})")]
    Idempotency(&'static str),
    #[error("internal error")]
    Internal,
}

impl From<Limited> for ApiError {
    fn from(limited: Limited) -> Self {
        ApiError::TooManyRequests(limited)
    }
}

/// The API's refusal text (the API speaks English, like its other messages).
fn too_many_message(limited: &Limited) -> String {
    let what = match limited.limit {
        crate::throttle::Limit::Estimate => "Too many estimates from your address.",
        crate::throttle::Limit::Filing => "Too many requests filed from your address.",
        crate::throttle::Limit::FilingMail => {
            "Too many confirmations sent to this email address today."
        }
        crate::throttle::Limit::SignInAddress | crate::throttle::Limit::SignInAccount => {
            "Too many sign-in attempts."
        }
        crate::throttle::Limit::LinkMail => "Too many new private links asked from your address.",
    };
    let secs = limited.retry_after_secs();
    let unit = if secs == 1 { "second" } else { "seconds" };
    format!("{what} Try again in {secs} {unit}.")
}

/// The media type of every API error (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error as RFC 9457 problem details: `type`, `title`, `status`, `detail` and, where a
/// rule refuses, its id; `error` and `message` repeat the code and the detail for clients of
/// the earlier error format.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:connect-my-home:problem:<code>`.
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// The rule that refuses (e.g. B-4.4), where one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    /// The code: not_found, invalid, refused, stale, version_required, read_only, needs_key,
    /// unauthorized, key_malformed, key_unknown, key_revoked, key_expired,
    /// idempotency_mismatch, idempotency_in_progress, idempotency_key_invalid, conflict,
    /// too_many_requests, internal.
    #[schema(value_type = String)]
    error: &'static str,
    /// The detail again.
    message: String,
    /// Only when no tariff book is in force on the case's date (rule V-5): each operator asked
    /// without a book then, with the last book that ended before the date and the first one
    /// starting after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    tariff_gaps: Option<Vec<tariff::TariffGap>>,
    /// Only with 429: seconds before the caller may try again, as in the Retry-After header.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// A write the page's rules refuse (422), saying why in the caller's words, with the rule
    /// that refuses where one does.
    pub fn refused(detail: String, rule: Option<String>) -> Self {
        ApiError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "refused",
            detail,
            rule,
        }
    }

    /// A write made on a version that changed meanwhile (409): nothing changed.
    pub fn stale(detail: String) -> Self {
        ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "stale",
            detail,
            rule: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::Key(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) | ApiError::NoTariff { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Refused { status, .. } => *status,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Concurrent => StatusCode::CONFLICT,
            ApiError::Idempotency("idempotency_in_progress") => StatusCode::CONFLICT,
            ApiError::Idempotency(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's code: the last part of its `type`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Key(refusal) => refusal.code(),
            ApiError::Forbidden { code } => code,
            ApiError::NotFound => "not_found",
            ApiError::Invalid(_) | ApiError::NoTariff { .. } => "invalid",
            ApiError::Refused { code, .. } => code,
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Concurrent => "conflict",
            ApiError::Idempotency(code) => code,
            ApiError::Internal => "internal",
        }
    }

    /// The answer in the caller's language (titles and the product's own details; a reader's
    /// error, such as a query string serde could not read, is given as it was found).
    pub fn render(&self, tr: Tr) -> Response {
        let code = self.code();
        let status = self.status();
        let detail = match self {
            ApiError::Invalid(message) | ApiError::NoTariff { message, .. } => message.clone(),
            ApiError::Refused { detail, .. } => detail.clone(),
            ApiError::TooManyRequests(_) => self.to_string(),
            _ => tr.t(&format!("api_problem.{code}_detail")).to_owned(),
        };
        let limited = match self {
            ApiError::TooManyRequests(limited) => Some(*limited),
            _ => None,
        };
        let body = Problem {
            kind: format!("urn:connect-my-home:problem:{code}"),
            title: tr.t(&format!("api_problem.{code}")).to_owned(),
            status: status.as_u16(),
            message: detail.clone(),
            detail,
            rule: match self {
                ApiError::Refused { rule, .. } => rule.clone(),
                ApiError::NoTariff { .. } => Some("V-5".to_owned()),
                _ => None,
            },
            error: code,
            tariff_gaps: match self {
                ApiError::NoTariff { gaps, .. } => Some(gaps.clone()),
                _ => None,
            },
            retry_after_seconds: limited.as_ref().map(Limited::retry_after_secs),
        };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(limited) = &limited {
            let (name, value) = retry_after(limited);
            response.headers_mut().insert(name, value);
        }
        if matches!(self, ApiError::Unauthorized | ApiError::Key(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}

/// An API error a response carries, for the API's layer to answer in the caller's language.
#[derive(Clone)]
pub struct RenderedApiError(pub std::sync::Arc<ApiError>);

impl IntoResponse for ApiError {
    /// In English here; the API's layer answers again in the caller's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Tr(crate::domain::Language::En));
        response
            .extensions_mut()
            .insert(RenderedApiError(std::sync::Arc::new(self)));
        response
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::NotFound,
            DbError::Conflict(why) => {
                tracing::info!(%why, "lost to a concurrent write");
                ApiError::Concurrent
            }
            other => {
                tracing::error!(error = %other, "database error");
                ApiError::Internal
            }
        }
    }
}
