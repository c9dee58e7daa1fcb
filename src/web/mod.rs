//! Server-rendered pages (askama), usable without JavaScript.

pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod backoffice;
pub mod coverage;
pub mod crews;
pub mod documents;
pub mod dossier_fee;
pub mod estimate;
pub mod health;
pub mod holidays;
pub mod municipality;
pub mod offers;
pub mod operator_work;
pub mod plan;
pub mod public;
pub mod statements;
pub mod tariffs;
pub mod views;
pub mod webhooks;

// The shared edge pieces, under the names the pages use.
pub use crate::http::{client, csrf, error, extract, upload};

use axum::{Router, http::header, response::IntoResponse, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(health::router())
        .merge(auth::router())
        .merge(backoffice::router())
        .merge(estimate::router())
        .merge(crews::router())
        .merge(operator_work::router())
        .merge(coverage::router())
        .merge(accounts::router())
        .merge(admin::router())
        .merge(api_keys::router())
        .merge(webhooks::router())
        .merge(holidays::router())
        .merge(tariffs::router())
        .merge(offers::router())
        .merge(dossier_fee::router())
        .merge(statements::router())
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
