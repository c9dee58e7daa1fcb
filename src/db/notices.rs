//! Platform-wide notices sent once (a tariff book running out, construction holidays missing
//! for a year): the record that one was sent, shared by every instance.

use chrono::{DateTime, Utc};

use super::{DbResult, Tx, ts};

/// Records that the notice `kind` about `subject` is being sent. False when it already was, by
/// this instance or another: the caller then queues nothing. Called in the transaction that
/// queues the notice's emails, so the record and the emails commit together or not at all; on
/// PostgreSQL a second transaction inserting the same key waits for the first and then finds
/// the row.
pub async fn record(tx: &mut Tx, kind: &str, subject: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let result = sqlx::query(
        "INSERT INTO notices (kind, subject, sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, subject) DO NOTHING",
    )
    .bind(kind)
    .bind(subject)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}
