//! Probes for the orchestrator: `/healthz` (the process answers) and `/readyz` (it can serve:
//! database reachable, migrations applied). Unauthenticated, never cached, plain text.

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};

use crate::{services::health, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
}

const PLAIN_NO_STORE: [(header::HeaderName, &str); 2] = [
    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
    (header::CACHE_CONTROL, "no-store"),
];

async fn alive() -> impl IntoResponse {
    (PLAIN_NO_STORE, "ok")
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match health::readiness(&state).await {
        Ok(()) => (StatusCode::OK, PLAIN_NO_STORE, "ready".to_owned()),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                PLAIN_NO_STORE,
                format!("not ready: {reason}"),
            )
        }
    }
}
