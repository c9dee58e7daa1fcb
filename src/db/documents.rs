//! Documents uploaded for a request. Callers authorise first: these functions take a request
//! already found through the caller's scope or the applicant's private link.

use super::{AssessmentId, DocumentId, OrganisationId, RequestId, Stored, UserId};
use chrono::{DateTime, Utc};

use super::{Db, DbResult, Tx, ts};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub request_id: RequestId,
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by: String,
    pub uploader_id: Option<UserId>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, request_id, kind, filename, content_type, size_bytes, sha256, \
    storage_key, uploaded_by, uploader_id, created_at";

#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub id: DocumentId,
    pub request_id: RequestId,
    pub kind: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub uploaded_by: &'a str,
    pub uploader_id: Option<UserId>,
}

pub async fn insert(tx: &mut Tx, document: &NewDocument<'_>, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO documents (id, request_id, kind, filename, content_type, size_bytes, sha256, \
            storage_key, uploaded_by, uploader_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(document.id)
    .bind(document.request_id)
    .bind(document.kind)
    .bind(document.filename)
    .bind(document.content_type)
    .bind(document.size_bytes)
    .bind(document.sha256)
    .bind(document.storage_key)
    .bind(document.uploaded_by)
    .bind(document.uploader_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many documents a request holds and their bytes together.
pub async fn totals(db: &Db, request: &super::RequestAccess) -> DbResult<(i64, i64)> {
    Ok(sqlx::query_as(TOTALS)
        .bind(request.id())
        .fetch_one(&db.pool)
        .await?)
}

/// The same inside a transaction that [`hold_request`] made the only uploader.
pub async fn totals_in(tx: &mut Tx, request_id: RequestId) -> DbResult<(i64, i64)> {
    Ok(sqlx::query_as(TOTALS)
        .bind(request_id)
        .fetch_one(&mut **tx)
        .await?)
}

// PostgreSQL sums BIGINT as NUMERIC: cast back.
const TOTALS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) \
    FROM documents WHERE request_id = $1";

/// Makes the transaction the only one adding documents to the request until it ends, so that
/// two uploads cannot both fit the quota's last place: a no-op write takes the request's row
/// lock on PostgreSQL (SQLite writers already take turns).
pub async fn hold_request(tx: &mut Tx, request_id: RequestId) -> DbResult<()> {
    sqlx::query("UPDATE requests SET updated_at = updated_at WHERE id = $1")
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The documents of a request the caller may see, oldest first.
pub async fn for_request(db: &Db, request: &super::RequestAccess) -> DbResult<Vec<DocumentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE request_id = $1 ORDER BY created_at, id"
    )))
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// Whether a document of `kind` was received for a request.
pub async fn has_kind(
    connection: &mut sqlx::AnyConnection,
    request_id: RequestId,
    kind: &str,
) -> DbResult<bool> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE request_id = $1 AND kind = $2")
            .bind(request_id)
            .bind(kind)
            .fetch_one(connection)
            .await?;
    Ok(count > 0)
}

/// The kinds already received for a request, inside a transaction.
pub async fn kinds_in(tx: &mut Tx, request_id: RequestId) -> DbResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT kind FROM documents WHERE request_id = $1")
            .bind(request_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// One document of a request the caller may see; `None` when it belongs to another request.
pub async fn get_of_request(
    db: &Db,
    request: &super::RequestAccess,
    document_id: DocumentId,
) -> DbResult<Option<DocumentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1 AND request_id = $2"
    )))
    .bind(document_id)
    .bind(request.id())
    .fetch_optional(&db.pool)
    .await?)
}

/// One document of a request, inside a transaction; `None` when it belongs to another request.
pub async fn get_of_request_in(
    tx: &mut Tx,
    request_id: RequestId,
    document_id: DocumentId,
) -> DbResult<Option<DocumentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1 AND request_id = $2"
    )))
    .bind(document_id)
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// One operator's latest answer on a request, as the completeness checklist reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRow {
    pub assessment_id: AssessmentId,
    pub organisation_id: OrganisationId,
    pub operator_name: String,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub status: crate::domain::assessment::AssessmentStatus,
    /// The latest version's answer; none before the answer.
    #[sqlx(rename = "body")]
    pub answer: Option<crate::operators::Assessment>,
}

/// Every operator's latest answer on a request, for the coordinator's checklist and the
/// completeness rules (callers have authorised the request).
pub async fn answers_in(tx: &mut Tx, request_id: RequestId) -> DbResult<Vec<AnswerRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id AS assessment_id, a.organisation_id, o.name AS operator_name, a.service, \
            a.status, v.body \
         FROM assessments a JOIN organisations o ON o.id = a.organisation_id \
         LEFT JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.version \
         WHERE a.request_id = $1 ORDER BY a.service, a.id",
    )
    .bind(request_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Changes what a document is; false when it is not one of the request's.
pub async fn set_kind(
    tx: &mut Tx,
    request_id: RequestId,
    document_id: DocumentId,
    kind: &str,
) -> DbResult<bool> {
    let updated = sqlx::query("UPDATE documents SET kind = $3 WHERE id = $1 AND request_id = $2")
        .bind(document_id)
        .bind(request_id)
        .bind(kind)
        .execute(&mut **tx)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Removes a document's row (its stored bytes are the caller's to delete after the commit);
/// the removed row, `None` when it is not one of the request's.
pub async fn remove(
    tx: &mut Tx,
    request_id: RequestId,
    document_id: DocumentId,
) -> DbResult<Option<DocumentRow>> {
    let row = get_of_request_in(tx, request_id, document_id).await?;
    if row.is_some() {
        sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(document_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(row)
}
