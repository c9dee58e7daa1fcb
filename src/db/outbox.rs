//! The durable outbox: mail written with the change it reports, claimed and sent by a worker.

use super::{OutboxId, RequestId, Stored};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError, DbResult, Tx, sql::Sql, ts};
pub use crate::domain::contact::mailbox_key;

crate::domain::stored_code! {
    /// Where a message stands; stored as its code.
    pub enum OutboxStatus {
        /// Waiting for the worker (again, after a failed attempt with retries left).
        Pending = "pending",
        Sent = "sent",
        /// Given up: only an administrator's retry sends it again.
        Failed = "failed",
    }
}

/// The kind of the filing confirmation: the applicant's only copy of their private link, so
/// it is never left failed for good (the worker keeps trying it, slowly).
pub const FILING_CONFIRMATION: &str = "request_filed";

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub request_id: Option<RequestId>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub attachments: &'a [Attachment],
}

/// A file sent with a message (an offer's PDF, a day's invitation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: OutboxId,
    pub kind: String,
    pub request_id: Option<RequestId>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: OutboxStatus,
    pub attempts: i64,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, request_id, recipient, subject, body_text, body_html, status, \
    attempts, next_attempt_at, last_error, created_at, sent_at";

pub async fn enqueue(
    tx: &mut Tx,
    message: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> DbResult<OutboxId> {
    let ids = enqueue_many(tx, &[(message.clone(), now)]).await?;
    ids.into_iter()
        .next()
        .ok_or_else(|| DbError::Corrupt("a message queued without an id".into()))
}

/// Messages, each queued at its own time, in one statement (and one more for their files).
pub async fn enqueue_many(
    tx: &mut Tx,
    messages: &[(NewMessage<'_>, DateTime<Utc>)],
) -> DbResult<Vec<OutboxId>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<OutboxId> = messages.iter().map(|_| OutboxId::generate()).collect();
    let rows: Vec<_> = ids.iter().zip(messages).collect();
    let mut sql = Sql::new(
        "INSERT INTO outbox (id, kind, request_id, recipient, recipient_key, subject, body_text, \
            body_html, status, attempts, next_attempt_at, created_at) VALUES ",
    );
    sql.push_rows(&rows, |(id, (message, at))| {
        vec![
            (**id).into(),
            message.kind.into(),
            message.request_id.into(),
            message.recipient.into(),
            mailbox_key(message.recipient).into(),
            message.subject.into(),
            message.body_text.into(),
            message.body_html.into(),
            "pending".into(),
            0i64.into(),
            ts(*at).into(),
            ts(*at).into(),
        ]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    let files: Vec<(OutboxId, i64, &Attachment)> = rows
        .iter()
        .flat_map(|(id, (message, _))| {
            message
                .attachments
                .iter()
                .zip(0i64..)
                .map(|(attachment, position)| (**id, position, attachment))
        })
        .collect();
    if !files.is_empty() {
        let mut sql = Sql::new(
            "INSERT INTO outbox_attachments (outbox_id, position, filename, content_type, \
                content_base64) VALUES ",
        );
        sql.push_rows(&files, |(id, position, attachment)| {
            vec![
                (*id).into(),
                (*position).into(),
                attachment.filename.as_str().into(),
                attachment.content_type.as_str().into(),
                BASE64.encode(&attachment.content).into(),
            ]
        })
        .for_engine(tx.engine);
        sql.query()?.execute(&mut **tx).await?;
    }
    Ok(ids)
}

/// When the latest `at_most` messages of `kind` queued for each of `mailboxes` (each a
/// [`mailbox_key`]) after `since` were queued: (mailbox, when), each mailbox's newest first.
/// One statement, each mailbox read on its index up to `at_most`; on PostgreSQL, after waiting
/// for the other filings to these mailboxes to commit (`lock_mailboxes`).
pub async fn queued_to_mailboxes_since(
    tx: &mut Tx,
    mailboxes: &[String],
    kind: &str,
    since: DateTime<Utc>,
    at_most: u32,
) -> DbResult<Vec<(String, DateTime<Utc>)>> {
    lock_mailboxes(tx, mailboxes).await?;
    let mut sql = Sql::default();
    for (index, mailbox) in mailboxes.iter().enumerate() {
        if index > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(
            "SELECT recipient_key, created_at FROM (SELECT recipient_key, created_at FROM outbox \
             WHERE recipient_key = ",
        )
        .push_bind(mailbox.as_str())
        .push(" AND kind = ")
        .push_bind(kind)
        .push(" AND created_at > ")
        .push_bind(ts(since))
        .push(" ORDER BY created_at DESC LIMIT ")
        .push_count(u64::from(at_most))
        .push(&format!(") AS mailbox_{index}"));
    }
    if mailboxes.is_empty() {
        return Ok(Vec::new());
    }
    sql.for_engine(tx.engine);
    let rows: Vec<(String, Stored<DateTime<Utc>>)> = sql.query_as()?.fetch_all(&mut **tx).await?;
    let mut queued: Vec<_> = rows
        .into_iter()
        .map(|(mailbox, at)| (mailbox, at.0))
        .collect();
    queued.sort_by(|(a, a_at), (b, b_at)| a.cmp(b).then(b_at.cmp(a_at)));
    Ok(queued)
}

/// On PostgreSQL instances write their filings at the same time: each group waits here,
/// until they commit, for the others writing to the same mailboxes, so that it counts their
/// confirmations (without it, forms sent at once to one address through two instances would
/// each find the mailbox under its limit). SQLite writes one transaction at a time already.
async fn lock_mailboxes(tx: &mut Tx, mailboxes: &[String]) -> DbResult<()> {
    if tx.engine != super::Engine::Postgres {
        return Ok(());
    }
    let mut mailboxes: Vec<&String> = mailboxes.iter().collect();
    // One order for every writer, so that two never wait for each other.
    mailboxes.sort_unstable();
    mailboxes.dedup();
    if mailboxes.is_empty() {
        return Ok(());
    }
    // One statement: PostgreSQL reads a list of values in its order, locking one after the
    // other.
    let mut sql = Sql::new("SELECT pg_advisory_xact_lock(hashtextextended(mailbox, ");
    sql.push_bind(MAILBOX_LOCK_SEED)
        .push(")) FROM (VALUES ")
        .push_rows(&mailboxes, |mailbox| vec![mailbox.as_str().into()])
        .push(") AS mailboxes (mailbox)");
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// Keeps the mailboxes' locks apart from the other advisory locks.
const MAILBOX_LOCK_SEED: i64 = 0x636d_6820_6d61_696c;

/// The files sent with a message, in order.
pub async fn attachments(db: &Db, outbox_id: OutboxId) -> DbResult<Vec<Attachment>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT filename, content_type, content_base64 FROM outbox_attachments \
         WHERE outbox_id = $1 ORDER BY position",
    )
    .bind(outbox_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|(filename, content_type, encoded)| {
            let content = BASE64
                .decode(encoded)
                .map_err(|e| DbError::Corrupt(format!("attachment of {outbox_id}: {e}")))?;
            Ok(Attachment {
                filename,
                content_type,
                content,
            })
        })
        .collect()
}

/// Claims one due message for `lease`: the guarded update lets exactly one worker win it,
/// on either engine and across app instances.
pub async fn claim_due(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> DbResult<Option<OutboxRow>> {
    super::claim_due_row(db, "outbox", COLUMNS, now, lease).await
}

/// Pushes a claim forward to `until` while its delivery runs, so no other worker takes the
/// message meanwhile. False when the message is no longer pending (already recorded).
pub async fn extend_claim(db: &Db, id: OutboxId, until: DateTime<Utc>) -> DbResult<bool> {
    let result = sqlx::query(
        "UPDATE outbox SET locked_until = $2 WHERE id = $1 AND status = 'pending' \
           AND locked_until IS NOT NULL",
    )
    .bind(id)
    .bind(ts(until))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Marks a claimed message sent; only the first call changes anything.
pub async fn mark_sent(db: &Db, id: OutboxId, now: DateTime<Utc>) -> DbResult<bool> {
    let result = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL, last_error = NULL \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(ts(now))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_failed(
    db: &Db,
    id: OutboxId,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    super::mark_task_failed(db, "outbox", &id.to_string(), error, retry_at).await
}

/// Records the last automatic attempt as failed (the administrator sees it and may retry),
/// yet still tried again by itself at `again_at` (see [`revive_due`]).
pub async fn mark_failed_until(
    db: &Db,
    id: OutboxId,
    error: &str,
    again_at: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'failed', next_attempt_at = $2, locked_until = NULL, \
            last_error = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(ts(again_at))
    .bind(error)
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(())
}

/// Puts failed messages of `kind` whose next attempt is due back in the queue for one more
/// attempt. Returns how many.
pub async fn revive_due(db: &Db, kind: &str, now: DateTime<Utc>) -> DbResult<u64> {
    // Read first: the worker asks on every poll, and an UPDATE would take SQLite's write lock
    // even when it changes nothing.
    let due: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox \
         WHERE status = 'failed' AND kind = $1 AND next_attempt_at <= $2",
    )
    .bind(kind)
    .bind(ts(now))
    .fetch_one(&db.pool)
    .await?;
    if due == 0 {
        return Ok(0);
    }
    let result = sqlx::query(
        "UPDATE outbox SET status = 'pending' \
         WHERE status = 'failed' AND kind = $1 AND next_attempt_at <= $2",
    )
    .bind(kind)
    .bind(ts(now))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(result.rows_affected())
}

/// Queues failed messages again, due now, with a fresh round of automatic attempts: the one
/// `id`, or every failed message when `None`. Returns how many.
pub async fn retry_failed(db: &Db, id: Option<OutboxId>, now: DateTime<Utc>) -> DbResult<u64> {
    const RETRY: &str = "UPDATE outbox SET status = 'pending', attempts = 0, \
        next_attempt_at = $1, locked_until = NULL WHERE status = 'failed'";
    let result = match id {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{RETRY} AND id = $2")))
                .bind(ts(now))
                .bind(id)
                .execute(&mut *db.single_write().await?)
                .await?
        }
        None => {
            sqlx::query(RETRY)
                .bind(ts(now))
                .execute(&mut *db.single_write().await?)
                .await?
        }
    };
    Ok(result.rows_affected())
}

/// How many messages are failed, waiting for an administrator.
pub async fn failed_count(db: &Db) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .fetch_one(&db.pool)
            .await?,
    )
}

/// The most recent messages first.
pub async fn recent(db: &Db, limit: i64) -> DbResult<Vec<OutboxRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get(db: &Db, id: OutboxId) -> DbResult<OutboxRow> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&db.pool)
    .await?)
}

pub async fn for_request(db: &Db, request: &super::RequestAccess) -> DbResult<Vec<OutboxRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE request_id = $1 ORDER BY created_at, id"
    )))
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::OutboxStatus;

    #[test]
    fn statuses_read_back_from_their_stored_codes_and_nothing_else() {
        crate::domain::assert_stored_codes(
            &[
                ("pending", OutboxStatus::Pending),
                ("sent", OutboxStatus::Sent),
                ("failed", OutboxStatus::Failed),
            ],
            &["Sent", "queued"],
        );
    }
}
