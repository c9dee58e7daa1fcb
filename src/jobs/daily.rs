//! The daily pass: offers lapsing and their reminders, tariff books and construction
//! holidays running out (warned once, by email).

use crate::{
    services::{continuity, offers},
    state::AppState,
};

/// Runs both passes every `every` until the process stops.
pub async fn run(state: AppState, every: std::time::Duration, mut shutdown: crate::jobs::Shutdown) {
    loop {
        if let Err(error) = offers::run_daily(&state, state.clock.now()).await {
            tracing::warn!(%error, "offer lapse job");
        }
        if let Err(error) = continuity::run_daily(&state, state.clock.now()).await {
            tracing::warn!(%error, "continuity notices job");
        }
        tokio::select! {
            () = shutdown.raised() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
