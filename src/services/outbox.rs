//! The mail outbox as the platform administrator reads it in the browser.

use chrono::{DateTime, Utc};

pub use crate::db::outbox::OutboxStatus;
use crate::domain::{OutboxId, RequestId};
use crate::{
    db::{
        DbError,
        outbox::{self, OutboxRow},
    },
    state::AppState,
};

/// One queued or sent message.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When it is tried again by itself; `None` when only an administrator's retry will.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(row: OutboxRow) -> Self {
        OutboxMessage {
            id: row.id,
            created_at: row.created_at,
            sent_at: row.sent_at,
            next_attempt_at: match row.status {
                OutboxStatus::Sent => None,
                OutboxStatus::Failed if row.kind != outbox::FILING_CONFIRMATION => None,
                _ => Some(row.next_attempt_at),
            },
            recipient: row.recipient,
            subject: row.subject,
            body_text: row.body_text,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
        }
    }
}

/// Queues a failed message again now, or every failed one when `id` is `None`, and wakes the
/// sender. Returns how many.
pub async fn retry(
    state: &AppState,
    id: Option<OutboxId>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let count = outbox::retry_failed(&state.db, id, now).await?;
    if count > 0 {
        tracing::info!(count, "failed mail queued again by an administrator");
        state.outbox_notify.notify_one();
    }
    Ok(count)
}

/// How many messages failed and wait for an administrator.
pub async fn failed_count(state: &AppState) -> Result<i64, DbError> {
    outbox::failed_count(&state.db).await
}

/// The latest `limit` messages, newest first.
pub async fn recent(state: &AppState, limit: i64) -> Result<Vec<OutboxMessage>, DbError> {
    Ok(outbox::recent(&state.db, limit)
        .await?
        .into_iter()
        .map(OutboxMessage::from)
        .collect())
}

/// One message (`NotFound` when there is none with that id).
pub async fn message(state: &AppState, id: OutboxId) -> Result<OutboxMessage, DbError> {
    Ok(outbox::get(&state.db, id).await?.into())
}

/// Queues a composed mail (subject, text and HTML) in the writer's transaction: it is sent
/// once that commits, and never if it rolls back.
pub(crate) async fn enqueue_mail(
    tx: &mut crate::db::Tx,
    kind: &str,
    request_id: Option<RequestId>,
    recipient: &str,
    mail: &crate::mail::compose::Composed,
    attachments: &[outbox::Attachment],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    outbox::enqueue(
        tx,
        &outbox::NewMessage {
            kind,
            request_id,
            recipient,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            attachments,
        },
        now,
    )
    .await?;
    Ok(())
}
