//! Sends what the outbox holds: claims one due message at a time, retries failures with
//! exponential backoff and marks each message sent once.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use tokio::sync::Notify;

use crate::{
    clock::Clock,
    db::{Db, DbResult, outbox},
    domain::retry::backoff,
    mail::{Mailer, OutgoingMail},
};

/// After this many failed attempts a message is marked failed and shown to the administrator,
/// who can retry it.
pub const MAX_ATTEMPTS: i64 = 8;
/// After the normal attempts the filing confirmation is still tried again by itself, at this
/// slow cadence, until it leaves.
const SLOW_RETRY_SECONDS: i64 = 3600;
/// How long a claim protects a message from other workers while it is being sent: at least
/// this, and always well beyond the send timeout, so that a slow delivery ends (sent or
/// failed) before anyone else may take the message again.
const LEASE_SECONDS: i64 = 120;

fn lease(mailer: &Mailer) -> Duration {
    let send = i64::try_from(mailer.send_timeout().as_secs()).unwrap_or(i64::MAX / 4);
    Duration::seconds(LEASE_SECONDS.max(send.saturating_mul(2).saturating_add(30)))
}

/// Sends every message due now. Returns how many were sent.
pub async fn deliver_due(db: &Db, mailer: &Mailer, clock: &Clock) -> DbResult<usize> {
    let mut sent = 0;
    outbox::revive_due(db, outbox::FILING_CONFIRMATION, clock.now()).await?;
    while let Some(row) = outbox::claim_due(db, clock.now(), lease(mailer)).await? {
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
            Err(error) if row.attempts < MAX_ATTEMPTS => {
                let retry_at = clock.now() + backoff(row.attempts);
                tracing::warn!(id = %row.id, attempts = row.attempts, %error, "mail not sent");
                outbox::mark_failed(db, &row.id, &error.to_string(), Some(retry_at)).await?;
            }
            Err(error) => {
                tracing::error!(
                    id = %row.id, kind = %row.kind, attempts = row.attempts, %error,
                    "mail failed: an administrator can retry it from /admin/outbox"
                );
                if row.kind == outbox::FILING_CONFIRMATION {
                    let again_at = clock.now() + Duration::seconds(SLOW_RETRY_SECONDS);
                    outbox::mark_failed_until(db, &row.id, &error.to_string(), again_at).await?;
                } else {
                    outbox::mark_failed(db, &row.id, &error.to_string(), None).await?;
                }
            }
        }
    }
    Ok(sent)
}

/// Runs until `shutdown` is raised: wakes on `notify` (new mail) or every `poll`.
pub async fn run(
    db: Db,
    mailer: Mailer,
    notify: Arc<Notify>,
    clock: Clock,
    poll: StdDuration,
    mut shutdown: crate::jobs::Shutdown,
) {
    loop {
        if let Err(error) = deliver_due(&db, &mailer, &clock).await {
            tracing::error!(%error, "outbox worker");
        }
        if shutdown.sleep_or_stop(poll, &notify).await {
            return;
        }
    }
}
