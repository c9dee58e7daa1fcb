//! Background workers beside the server: the mail outbox, the operators' assessments, the
//! "Lost your link?" addresses, the webhook deliveries and the daily pass (offer lapses and reminders, tariff-book and
//! holiday warnings).

pub mod assessments;
pub mod daily;
pub mod links;
pub mod outbox;
pub mod webhooks;

use std::time::Duration;

use tokio::{sync::watch, task::JoinHandle};

use crate::state::AppState;

/// Tells the workers the process is stopping. They look at it only between two units of
/// work (before claiming each mail, between rounds of assessments), so what is in progress
/// is finished, not cut.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// The signal and the switch that raises it.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    pub fn is_raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the switch is raised (or dropped).
    pub async fn raised(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Waits `delay` unless the signal comes first; true when the worker should stop.
    pub async fn sleep_or_stop(&mut self, delay: Duration, wake: &tokio::sync::Notify) -> bool {
        tokio::select! {
            () = self.raised() => true,
            () = wake.notified() => self.is_raised(),
            () = tokio::time::sleep(delay) => self.is_raised(),
        }
    }
}

/// Starts every worker; `poll` is how often the queue-driven ones look without being woken.
pub fn spawn_all(state: &AppState, poll: Duration, shutdown: &Shutdown) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(outbox::run(
            outbox::Worker::new(state, poll),
            state.outbox_notify.clone(),
            shutdown.clone(),
        )),
        tokio::spawn(assessments::run(state.clone(), poll, shutdown.clone())),
        tokio::spawn(links::run(state.clone(), poll, shutdown.clone())),
        tokio::spawn(webhooks::run(
            webhooks::Worker::new(state, poll),
            state.webhook_notify.clone(),
            shutdown.clone(),
        )),
        // Lapses and reminders are dated by the day: an hourly pass is plenty.
        tokio::spawn(daily::run(
            state.clone(),
            Duration::from_secs(3600),
            shutdown.clone(),
        )),
    ]
}
