//! Sends the webhook deliveries (issue 21) like the outbox sends mail: claims due deliveries
//! and sends a few at once, signed; a 2xx answer is delivered, anything else (another status,
//! no answer within [`ATTEMPT_TIMEOUT`]) a failed attempt recorded with its status or error and
//! duration, tried again with backoff (30 s doubling, capped at 1 h). Deliveries of one request
//! to one endpoint leave in order: a later one is not claimed while an earlier one waits. An
//! endpoint failing for three days is disabled and its administrators are emailed.

use std::{collections::HashSet, time::Duration as StdDuration};

use chrono::Duration;
use tokio::{sync::Notify, task::JoinSet};

use crate::{
    db::{DbResult, webhooks},
    domain::{retry::backoff, webhook},
    jobs::Shutdown,
    state::AppState,
};

/// The longest one attempt may take, connection to the end of the answer.
pub const ATTEMPT_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// How long a claim keeps other workers off a delivery: longer than an attempt can last, so
/// it needs no renewal.
const CLAIM: Duration = Duration::seconds(60);
/// Attempts in flight at once: an endpoint that hangs holds up only its own deliveries.
const CONCURRENCY: usize = 4;

#[derive(Clone)]
pub struct Worker {
    pub state: AppState,
    pub client: reqwest::Client,
    pub poll: StdDuration,
}

impl Worker {
    pub fn new(state: &AppState, poll: StdDuration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            // A receiver answers; it does not send the event elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ConnectMyHome-Webhooks/1")
            .build()
            .unwrap_or_default();
        Worker {
            state: state.clone(),
            client,
            poll,
        }
    }

    /// Sends every delivery due now, a few at once, and returns how many were delivered.
    /// Once `shutdown` is raised it claims nothing more and returns when the attempts in
    /// flight have ended.
    pub async fn deliver_due(&self, shutdown: &Shutdown) -> DbResult<usize> {
        let mut in_flight = JoinSet::new();
        let mut sending = HashSet::new();
        let mut delivered = 0;
        let mut failure = None;
        loop {
            while in_flight.len() < CONCURRENCY && failure.is_none() && !shutdown.is_raised() {
                match webhooks::claim_due(&self.state.db, self.state.clock.now(), CLAIM).await {
                    Ok(Some(row)) => {
                        if sending.insert(row.id) {
                            let id = row.id;
                            let attempt = self.clone().attempt(row);
                            in_flight.spawn(async move { (id, attempt.await) });
                        }
                    }
                    Ok(None) => break,
                    Err(error) => failure = Some(error),
                }
            }
            let Some(finished) = in_flight.join_next().await else {
                break;
            };
            match finished {
                Ok((id, outcome)) => {
                    sending.remove(&id);
                    match outcome {
                        Ok(true) => delivered += 1,
                        Ok(false) => {}
                        Err(error) => tracing::error!(%id, %error, "webhook worker"),
                    }
                }
                Err(error) => tracing::error!(%error, "webhook attempt task"),
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(delivered),
        }
    }

    /// One attempt of a claimed delivery, then its outcome recorded. True when delivered.
    async fn attempt(self, row: webhooks::DueDelivery) -> DbResult<bool> {
        let state = &self.state;
        let t = state.clock.now().timestamp();
        let started = std::time::Instant::now();
        let sent = self
            .client
            .post(&row.url)
            .header("content-type", "application/json")
            .header("cmh-event-id", &row.event_id)
            .header("cmh-event-type", &row.event_type)
            .header(
                "cmh-signature",
                webhook::signature_header(&row.secret, t, &row.body),
            )
            .body(row.body.clone())
            .send()
            .await;
        // Only the status counts: the answer's body is not read (a receiver cannot make the
        // worker hold a large one). A failure is recorded by its kind (`status`, `timeout`, `connect`, `other`), which
        // the delivery log says in the reader's language; the detail goes to the log.
        let (status, error, detail) = match sent {
            Ok(response) => {
                let status = response.status();
                drop(response);
                if status.is_success() {
                    (Some(status.as_u16()), None, String::new())
                } else {
                    (Some(status.as_u16()), Some("status"), status.to_string())
                }
            }
            Err(error) if error.is_timeout() => (None, Some("timeout"), error.to_string()),
            Err(error) if error.is_connect() => (None, Some("connect"), error.to_string()),
            Err(error) => (None, Some("other"), error.to_string()),
        };
        let now = state.clock.now();
        let attempt = webhooks::Attempt {
            at: now,
            status,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        if error.is_none() {
            webhooks::mark_delivered(&state.db, &row, &attempt).await?;
            return Ok(true);
        }
        tracing::warn!(id = %row.id, url = %row.url, attempts = row.attempts, %detail, "webhook not delivered");
        let retry_at = now + backoff(row.attempts);
        let (mut tx, failing_since) =
            webhooks::mark_failed(&state.db, &row, &attempt, retry_at).await?;
        let disabled = crate::services::webhooks::disable_if_failing_too_long(
            state,
            &mut tx,
            row.endpoint_id,
            failing_since,
            now,
        )
        .await?;
        tx.commit().await?;
        if disabled {
            tracing::warn!(endpoint = %row.endpoint_id, url = %row.url, "webhook endpoint disabled after failing for days");
            state.outbox_notify.notify_one();
        }
        Ok(false)
    }
}

/// Runs until `shutdown` is raised: wakes on `notify` (a replay, a test event) or every `poll`.
pub async fn run(worker: Worker, notify: std::sync::Arc<Notify>, mut shutdown: Shutdown) {
    loop {
        if let Err(error) = worker.deliver_due(&shutdown).await {
            tracing::error!(%error, "webhook worker");
        }
        if shutdown.sleep_or_stop(worker.poll, &notify).await {
            return;
        }
    }
}
