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

/// After this many failed attempts a message is marked failed and left for an administrator.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim protects a message from other workers while it is being sent.
const LEASE_SECONDS: i64 = 120;

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
