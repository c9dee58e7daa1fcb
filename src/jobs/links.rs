//! Sends new private links to the addresses typed on the "Lost your link?" page.

use std::time::Duration;

use crate::{services::links, state::AppState};

/// Runs until the process stops: wakes on `lost_link_notify` (an address was queued) or every
/// `poll`.
pub async fn run(state: AppState, poll: Duration, mut shutdown: crate::jobs::Shutdown) {
    loop {
        if let Err(error) = links::send_lost_links(&state).await {
            tracing::error!(%error, "lost-link worker");
        }
        if shutdown.sleep_or_stop(poll, &state.lost_link_notify).await {
            return;
        }
    }
}
