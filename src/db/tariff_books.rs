//! Tariff books uploaded by operator administrators. The TOML text is what counts; the other
//! columns are copied out of it for listing.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Any;

use super::{Db, DbResult, Engine, Scope, Stored, Tx, UserId, new_id, ts};

/// A validated book to store.
#[derive(Debug, Clone)]
pub struct NewBook<'a> {
    pub operator: &'a str,
    pub version: &'a str,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub body: &'a str,
    pub uploaded_by: UserId,
}

/// One uploaded version as the tariff page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookRow {
    pub id: String,
    pub operator: String,
    pub version: String,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub valid_from: NaiveDate,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub valid_until: NaiveDate,
    pub uploaded_by_name: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub uploaded_at: DateTime<Utc>,
}

/// A write transaction in which no other upload can run: a book is checked against every
/// stored one, so two uploads checked at the same time could both pass and overlap.
/// SQLite's write transaction already excludes other writers; PostgreSQL needs the lock.
pub async fn begin_upload(db: &Db) -> DbResult<Tx> {
    let mut tx = db.begin_write().await?;
    if db.engine == Engine::Postgres {
        // EXCLUSIVE still lets plain reads through (loading the books at start).
        sqlx::query("LOCK TABLE tariff_books IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// Every stored book as `(version, TOML text)`, oldest validity first, all organisations:
/// the book set prices everyone's cases.
pub async fn all_bodies<'e, E>(executor: E) -> DbResult<Vec<(String, String)>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(sqlx::query_as(
        "SELECT version, body FROM tariff_books ORDER BY operator, valid_from, version",
    )
    .fetch_all(executor)
    .await?)
}

/// How many books were uploaded, by any instance (books are only ever added).
pub async fn count(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tariff_books")
        .fetch_one(&db.pool)
        .await?)
}

/// Stores a book for the caller's organisation (the scope), inside the upload transaction.
pub async fn insert(
    tx: &mut Tx,
    scope: &Scope,
    book: &NewBook<'_>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO tariff_books (id, organisation_id, operator, version, valid_from, \
            valid_until, body, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id().to_string())
    .bind(scope.organisation_id())
    .bind(book.operator)
    .bind(book.version)
    .bind(book.valid_from.to_string())
    .bind(book.valid_until.to_string())
    .bind(book.body)
    .bind(book.uploaded_by)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The versions the caller's organisation uploaded, newest validity first.
pub async fn for_organisation(db: &Db, scope: &Scope) -> DbResult<Vec<BookRow>> {
    Ok(sqlx::query_as(
        "SELECT b.id, b.operator, b.version, b.valid_from, b.valid_until, \
                u.display_name AS uploaded_by_name, b.uploaded_at \
         FROM tariff_books b JOIN users u ON u.id = b.uploaded_by \
         WHERE b.organisation_id = $1 \
         ORDER BY b.valid_from DESC, b.uploaded_at DESC",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}
