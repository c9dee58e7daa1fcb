//! Server-rendered pages (askama), usable without JavaScript.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod backoffice;
pub mod coverage;
pub mod crews;
pub mod csrf;
pub mod documents;
pub mod error;
pub mod estimate;
pub mod extract;
pub mod holidays;
pub mod municipality;
pub mod offers;
pub mod plan;
pub mod public;
pub mod tariffs;
pub mod views;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(auth::router())
        .merge(backoffice::router())
        .merge(estimate::router())
        .merge(crews::router())
        .merge(coverage::router())
        .merge(accounts::router())
        .merge(admin::router())
        .merge(holidays::router())
        .merge(tariffs::router())
        .merge(offers::router())
        .merge(plan::router())
        .merge(documents::router())
        .merge(municipality::router())
        .route("/static/app.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(error::render_error_pages))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn not_found() -> error::PageError {
    error::PageError::NotFound
}

/// Headers every response carries: no framing, no sniffing, no referrer leaking private links.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ));
    response
}
