//! The assessment worker: each operator's module answers the tasks a filing created.

use std::time::Duration;

use crate::{services::assess::assess_due, state::AppState};

/// Runs until the process stops: wakes on `assess_notify` (new tasks) or every `poll`. Each
/// round takes the book set in use then, so an upload applies from the next round.
pub async fn run(state: AppState, poll: Duration, mut shutdown: crate::jobs::Shutdown) {
    loop {
        match crate::services::books::current(&state).await {
            Ok(tariffs) => {
                if let Err(error) = assess_due(&state.db, &tariffs, state.clock.now()).await {
                    tracing::error!(%error, "assessment worker");
                }
            }
            Err(error) => tracing::error!(%error, "assessment worker: tariff books"),
        }
        // Answers falling due within a day, then overdue: `assessment.due` and
        // `assessment.late`, once each (issue 21).
        let now = state.clock.now();
        if let Err(error) = crate::services::operator_work::record_due_soon(&state, now).await {
            tracing::error!(%error, "assessment worker: answers due soon");
        }
        if let Err(error) = crate::services::operator_work::record_late(&state, now).await {
            tracing::error!(%error, "assessment worker: late answers");
        }
        if shutdown.sleep_or_stop(poll, &state.assess_notify).await {
            return;
        }
    }
}
