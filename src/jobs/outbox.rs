//! Sends what the outbox holds: claims due messages and sends a few at once, keeps each claim
//! alive while its delivery runs, retries failures with exponential backoff and marks each
//! message sent once.

use std::{collections::HashSet, future::Future, time::Duration as StdDuration};

use chrono::Duration;
use tokio::{sync::Notify, task::JoinSet};

use crate::{
    clock::Clock,
    db::{Db, DbResult, OutboxId, outbox},
    domain::retry::backoff,
    jobs::Shutdown,
    mail::{Mailer, OutgoingMail},
    state::AppState,
};

/// After this many failed attempts a message is marked failed and shown to the administrator,
/// who can retry it.
pub const MAX_ATTEMPTS: i64 = 8;
/// After the normal attempts the filing confirmation is still tried again by itself, at this
/// slow cadence, until it leaves.
const SLOW_RETRY_SECONDS: i64 = 3600;
/// Recording an outcome (above all "sent": the relay has the message) is tried this many
/// times on a transient database error before giving up, the waits doubling from
/// [`RECORD_FIRST_WAIT`].
const RECORD_TRIES: u32 = 5;
const RECORD_FIRST_WAIT: StdDuration = StdDuration::from_millis(50);

/// What the worker needs and how it paces itself.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub mailer: Mailer,
    pub clock: Clock,
    /// Sends in flight at once (`CMH_MAIL_CONCURRENCY`).
    pub concurrency: usize,
    /// How long a claim keeps other workers off a message without being renewed
    /// (`CMH_MAIL_CLAIM_SECS`); renewed every quarter of it while the delivery runs.
    pub claim: StdDuration,
    /// While sends are in flight and nothing else is due, how often to look for new mail.
    pub poll: StdDuration,
}

impl Worker {
    pub fn new(state: &AppState, poll: StdDuration) -> Self {
        Worker {
            db: state.db.clone(),
            mailer: state.mailer.clone(),
            clock: state.clock.clone(),
            concurrency: state.config.mail_concurrency.max(1),
            claim: StdDuration::from_secs(state.config.mail_claim_secs.max(1)),
            poll,
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_std(self.claim).unwrap_or(Duration::hours(1))
    }

    /// Sends every message due now, up to `concurrency` at once, and returns how many were
    /// sent. Once `shutdown` is raised it claims nothing more and returns when the sends in
    /// flight have ended.
    pub async fn deliver_due(&self, shutdown: &Shutdown) -> DbResult<usize> {
        outbox::revive_due(&self.db, outbox::FILING_CONFIRMATION, self.clock.now()).await?;
        let mut in_flight = JoinSet::new();
        // What this round is sending: a claim that ran out under it (the clock moved on faster
        // than the renewal) comes back here and must not be sent a second time.
        let mut sending = HashSet::new();
        let mut sent = 0;
        let mut failure = None;
        loop {
            let mut idle = false;
            // Checked before every claim: what is claimed is finished, nothing new is started.
            while in_flight.len() < self.concurrency.max(1)
                && failure.is_none()
                && !shutdown.is_raised()
            {
                match outbox::claim_due(&self.db, self.clock.now(), self.lease()).await {
                    Ok(Some(row)) => {
                        if sending.insert(row.id) {
                            let id = row.id;
                            let delivery = self.clone().deliver(row);
                            in_flight.spawn(async move { (id, delivery.await) });
                        }
                    }
                    Ok(None) => {
                        idle = true;
                        break;
                    }
                    Err(error) => failure = Some(error),
                }
            }
            if in_flight.is_empty() {
                break;
            }
            // A hung delivery must not hold up mail queued after it: with room left, look
            // again every `poll` while waiting for a send to end.
            let finished = if idle && failure.is_none() && !shutdown.is_raised() {
                tokio::select! {
                    finished = in_flight.join_next() => finished,
                    () = tokio::time::sleep(self.poll) => continue,
                }
            } else {
                in_flight.join_next().await
            };
            match finished {
                Some(Ok((id, outcome))) => {
                    sending.remove(&id);
                    match outcome {
                        Ok(true) => sent += 1,
                        Ok(false) => {}
                        Err(error) => tracing::error!(%id, %error, "outbox worker"),
                    }
                }
                // A send task that panicked: its message is taken again once its claim ends.
                Some(Err(error)) => tracing::error!(%error, "outbox send task"),
                None => {}
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(sent),
        }
    }

    /// One claimed message: sent while its claim is kept alive, then the outcome recorded.
    /// True when this call marked it sent.
    async fn deliver(self, row: outbox::OutboxRow) -> DbResult<bool> {
        let mail = OutgoingMail {
            id: row.id.to_string(),
            to: row.recipient.clone(),
            subject: row.subject.clone(),
            text: row.body_text.clone(),
            html: row.body_html.clone(),
            attachments: outbox::attachments(&self.db, row.id).await?,
        };
        let outcome = {
            // Stopped (dropped) as soon as the send ends, whichever way.
            let _heartbeat = AbortOnDrop(tokio::spawn(keep_claim(
                self.db.clone(),
                self.clock.clone(),
                row.id,
                self.claim,
            )));
            self.mailer.send(&mail).await
        };
        let (db, id) = (&self.db, row.id);
        match outcome {
            Ok(()) => {
                let now = self.clock.now();
                match retry_transient(RECORD_TRIES, RECORD_FIRST_WAIT, || {
                    outbox::mark_sent(db, id, now)
                })
                .await
                {
                    Ok(marked) => Ok(marked),
                    Err(error) => {
                        tracing::error!(
                            %id, %error,
                            "mail accepted by the relay but not recorded as sent: it will be \
                             sent again once its claim runs out"
                        );
                        Err(error)
                    }
                }
            }
            Err(error) if row.attempts < MAX_ATTEMPTS => {
                let retry_at = self.clock.now() + backoff(row.attempts);
                tracing::warn!(%id, attempts = row.attempts, %error, "mail not sent");
                let error = error.to_string();
                retry_transient(RECORD_TRIES, RECORD_FIRST_WAIT, || {
                    outbox::mark_failed(db, id, &error, Some(retry_at))
                })
                .await?;
                Ok(false)
            }
            Err(error) => {
                tracing::error!(
                    %id, kind = %row.kind, attempts = row.attempts, %error,
                    "mail failed: an administrator can retry it from /admin/outbox"
                );
                let error = error.to_string();
                if row.kind == outbox::FILING_CONFIRMATION {
                    let again_at = self.clock.now() + Duration::seconds(SLOW_RETRY_SECONDS);
                    retry_transient(RECORD_TRIES, RECORD_FIRST_WAIT, || {
                        outbox::mark_failed_until(db, id, &error, again_at)
                    })
                    .await?;
                } else {
                    retry_transient(RECORD_TRIES, RECORD_FIRST_WAIT, || {
                        outbox::mark_failed(db, id, &error, None)
                    })
                    .await?;
                }
                Ok(false)
            }
        }
    }
}

/// Aborts a task when dropped: the heartbeat ends with the send, also when the send itself
/// is cut (grace period over).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the claim on message `id` every quarter of `claim` until aborted or the message is
/// no longer pending, so a slow delivery is never taken by a second sender.
async fn keep_claim(db: Db, clock: Clock, id: OutboxId, claim: StdDuration) {
    let lease = Duration::from_std(claim).unwrap_or(Duration::hours(1));
    loop {
        tokio::time::sleep(claim / 4).await;
        match outbox::extend_claim(&db, id, clock.now() + lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(%id, %error, "outbox claim not renewed"),
        }
    }
}

/// Runs `op` until it succeeds, fails for good, or has been tried `tries` times; waits
/// `first_wait`, doubling, between tries after a transient error ([`crate::db::DbError::is_transient`]).
pub async fn retry_transient<T, F, Fut>(
    tries: u32,
    first_wait: StdDuration,
    mut op: F,
) -> DbResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DbResult<T>>,
{
    let mut wait = first_wait;
    let mut tried = 1;
    loop {
        match op().await {
            Err(error) if error.is_transient() && tried < tries => {
                tracing::warn!(%error, tried, "outbox: transient database error, trying again");
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
                tried += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Runs until `shutdown` is raised: wakes on `notify` (new mail) or every `poll`.
pub async fn run(worker: Worker, notify: std::sync::Arc<Notify>, mut shutdown: Shutdown) {
    loop {
        if let Err(error) = worker.deliver_due(&shutdown).await {
            tracing::error!(%error, "outbox worker");
        }
        if shutdown.sleep_or_stop(worker.poll, &notify).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::db::DbError;

    fn transient() -> DbError {
        DbError::Sqlx(sqlx::Error::PoolTimedOut)
    }

    #[tokio::test]
    async fn marking_sent_survives_a_transient_database_error() {
        let calls = AtomicU32::new(0);
        let outcome = retry_transient(5, StdDuration::from_millis(1), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(transient())
            } else {
                Ok(true)
            }
        })
        .await;
        assert!(matches!(outcome, Ok(true)));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_lasting_database_error_is_given_up_after_the_bounded_tries() {
        let calls = AtomicU32::new(0);
        let outcome: DbResult<bool> = retry_transient(5, StdDuration::from_millis(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(transient())
        })
        .await;
        assert!(matches!(
            outcome,
            Err(DbError::Sqlx(sqlx::Error::PoolTimedOut))
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_permanent_error_is_not_tried_again() {
        let calls = AtomicU32::new(0);
        let outcome: DbResult<bool> = retry_transient(5, StdDuration::from_millis(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(DbError::Corrupt("bad row".into()))
        })
        .await;
        assert!(matches!(outcome, Err(DbError::Corrupt(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
