//! Page errors: handlers return a kind, and one middleware renders it in the visitor's language.

use askama::Template;
use axum::{
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

use super::extract::language_of;
use crate::{db::DbError, i18n::Tr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("form expired (CSRF)")]
    Csrf,
    #[error("body too large")]
    TooLarge,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal,
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Csrf => "csrf",
            Self::TooLarge => "too_large",
            Self::BadRequest(_) => "bad_request",
            Self::Internal => "internal",
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
    page: super::views::Frame,
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
}

/// Renders any [`PageError`] a handler or extractor returned as a full page.
pub async fn render_error_pages(request: Request, next: Next) -> Response {
    let tr = Tr(language_of(request.headers()));
    let frame = super::views::Frame::anonymous(&request);
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
