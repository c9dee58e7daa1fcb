//! Background workers beside the server: the mail outbox, the operators' assessments, the
//! "Lost your link?" addresses and the daily pass (offer lapses and reminders, tariff-book and
//! holiday warnings).

pub mod assessments;
pub mod daily;
pub mod links;
pub mod outbox;

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::state::AppState;

/// Starts every worker; `poll` is how often the queue-driven ones look without being woken.
pub fn spawn_all(state: &AppState, poll: Duration) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(outbox::run(
            state.db.clone(),
            state.mailer.clone(),
            state.outbox_notify.clone(),
            state.clock.clone(),
            poll,
        )),
        tokio::spawn(assessments::run(state.clone(), poll)),
        tokio::spawn(links::run(state.clone(), poll)),
        // Lapses and reminders are dated by the day: an hourly pass is plenty.
        tokio::spawn(daily::run(state.clone(), Duration::from_secs(3600))),
    ]
}
