//! The errors at the edge: pages return a [`PageError`] kind that one middleware renders in the
//! visitor's language; the API answers an [`ApiError`] as JSON.

use askama::Template;
use axum::{
    Json,
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;

use super::{extract::language_of, frame::Frame};
use crate::{i18n::Tr, services::DbError, tariff};

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
    #[error("internal error")]
    Internal,
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
    status: u16,
}

impl ErrorPage {
    fn title(&self) -> String {
        self.tr
            .t(&format!("page_error.{}.title", self.key))
            .to_owned()
    }

    fn text(&self) -> String {
        self.tr
            .t(&format!("page_error.{}.text", self.key))
            .to_owned()
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
    let page = ErrorPage {
        tr,
        page: frame,
        key: error.key(),
        status: status.as_u16(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// No tariff book in force on the case's date (V-5): refused like any invalid case, with
    /// each operator asked that has no book then and the books around the day.
    #[error("{message}")]
    NoTariff {
        message: String,
        gaps: Vec<tariff::TariffGap>,
    },
    #[error("internal error")]
    Internal,
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tariff_gaps: Option<Vec<tariff::TariffGap>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Invalid(_) | ApiError::NoTariff { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let message = self.to_string();
        let tariff_gaps = match self {
            ApiError::NoTariff { gaps, .. } => Some(gaps),
            _ => None,
        };
        (
            status,
            Json(ErrorBody {
                error: code,
                message,
                tariff_gaps,
            }),
        )
            .into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::NotFound,
            other => {
                tracing::error!(error = %other, "database error");
                ApiError::Internal
            }
        }
    }
}
