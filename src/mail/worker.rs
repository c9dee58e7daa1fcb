//! Sends what the outbox holds: claims one due message at a time, retries failures with
//! exponential backoff and marks each message sent once.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use tokio::sync::Notify;

use super::{Mailer, OutgoingMail};
use crate::{
    clock::Clock,
    db::{Db, DbResult, outbox},
};

/// After this many failed attempts a message is marked failed and left for an administrator.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim protects a message from other workers while it is being sent.
const LEASE_SECONDS: i64 = 120;

/// Delay before the next attempt after `attempts` failures: 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let seconds = 30i64.saturating_mul(1i64 << exponent.min(16));
    Duration::seconds(seconds.min(3600))
}

/// Sends every message due now. Returns how many were sent.
pub async fn deliver_due(db: &Db, mailer: &Mailer, clock: &Clock) -> DbResult<usize> {
    let mut sent = 0;
    while let Some(row) =
        outbox::claim_due(db, clock.now(), Duration::seconds(LEASE_SECONDS)).await?
    {
        let mail = OutgoingMail {
            id: row.id.clone(),
            to: row.recipient.clone(),
            subject: row.subject.clone(),
            text: row.body_text.clone(),
            html: row.body_html.clone(),
            attachments: outbox::attachments(db, &row.id).await?,
        };
        match mailer.send(&mail).await {
            Ok(()) => {
                if outbox::mark_sent(db, &row.id, clock.now()).await? {
                    sent += 1;
                }
            }
            Err(error) => {
                let retry_at =
                    (row.attempts < MAX_ATTEMPTS).then(|| clock.now() + backoff(row.attempts));
                tracing::warn!(id = %row.id, attempts = row.attempts, %error, "mail not sent");
                outbox::mark_failed(db, &row.id, &error.to_string(), retry_at).await?;
            }
        }
    }
    Ok(sent)
}

/// Runs until the process stops: wakes on `notify` (new mail) or every `poll`.
pub async fn run(db: Db, mailer: Mailer, notify: Arc<Notify>, clock: Clock, poll: StdDuration) {
    loop {
        if let Err(error) = deliver_due(&db, &mailer, &clock).await {
            tracing::error!(%error, "outbox worker");
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }
}
