//! Bank statements (CODA) and their credit lines, matched to dues or left to assign (issue 21).

use super::{DueId, OrganisationId, RequestId, StatementId, StatementLineId, Stored, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Db, DbError, DbResult, Tx, ts};
use crate::domain::tenancy::Scope;

pub struct NewStatement<'a> {
    pub account: &'a str,
    pub holder: &'a str,
    pub number: u32,
    pub opened_on: NaiveDate,
    pub filename: &'a str,
    pub uploaded_by: UserId,
    /// The name of the API key that uploaded it, when a key did.
    pub uploaded_by_key: Option<&'a str>,
}

/// The statement's row after an upload.
pub enum Upserted {
    /// First uploaded now.
    New(StatementId),
    /// Uploaded before by the same organisation.
    Known(StatementId),
    /// Uploaded before by another organisation: its lines are not this one's to read.
    OtherOrganisation,
}

/// The statement's row, created on its first upload.
pub async fn upsert(
    tx: &mut Tx,
    scope: &Scope,
    statement: &NewStatement<'_>,
    now: DateTime<Utc>,
) -> DbResult<Upserted> {
    let inserted = sqlx::query(
        "INSERT INTO bank_statements (id, organisation_id, account, holder, number, opened_on, \
            filename, uploaded_by, uploaded_by_key, uploaded_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (account, number, opened_on) DO NOTHING",
    )
    .bind(StatementId::generate())
    .bind(scope.organisation_id())
    .bind(statement.account)
    .bind(statement.holder)
    .bind(i64::from(statement.number))
    .bind(statement.opened_on.to_string())
    .bind(statement.filename)
    .bind(statement.uploaded_by)
    .bind(statement.uploaded_by_key)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    let (id, organisation_id): (StatementId, OrganisationId) = sqlx::query_as(
        "SELECT id, organisation_id FROM bank_statements \
         WHERE account = $1 AND number = $2 AND opened_on = $3",
    )
    .bind(statement.account)
    .bind(i64::from(statement.number))
    .bind(statement.opened_on.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(if organisation_id != scope.organisation_id() {
        Upserted::OtherOrganisation
    } else if inserted {
        Upserted::New(id)
    } else {
        Upserted::Known(id)
    })
}

pub struct NewLine<'a> {
    pub statement_id: StatementId,
    pub sequence: &'a str,
    pub bank_reference: &'a str,
    pub amount: String,
    pub value_date: NaiveDate,
    pub communication: &'a str,
    pub structured_communication: Option<String>,
    pub counterparty_name: &'a str,
    pub counterparty_account: &'a str,
}

/// Stores a credit line as read, to assign until matched; `None` when the statement already
/// had it (the same file uploaded again).
pub async fn insert_line(tx: &mut Tx, line: &NewLine<'_>) -> DbResult<Option<StatementLineId>> {
    let id = StatementLineId::generate();
    let inserted = sqlx::query(
        "INSERT INTO bank_statement_lines (id, statement_id, sequence, bank_reference, amount, \
            value_date, communication, structured_communication, counterparty_name, \
            counterparty_account, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'to_assign') \
         ON CONFLICT (statement_id, sequence) DO NOTHING",
    )
    .bind(id)
    .bind(line.statement_id)
    .bind(line.sequence)
    .bind(line.bank_reference)
    .bind(&line.amount)
    .bind(line.value_date.to_string())
    .bind(line.communication)
    .bind(&line.structured_communication)
    .bind(line.counterparty_name)
    .bind(line.counterparty_account)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    Ok(inserted.then_some(id))
}

/// What became of a line: matched (`paid`, `partial`, `over`), assigned by hand, ignored, or
/// still to assign with its reason.
pub struct LineOutcome<'a> {
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub request_id: Option<RequestId>,
    pub due_id: Option<DueId>,
    /// Who assigned or ignored it by hand.
    pub by: Option<UserId>,
}

pub async fn set_outcome(
    tx: &mut Tx,
    line_id: StatementLineId,
    outcome: &LineOutcome<'_>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE bank_statement_lines SET outcome = $2, reason = $3, request_id = $4, \
            due_id = $5, assigned_by = $6, assigned_at = $7 WHERE id = $1",
    )
    .bind(line_id)
    .bind(outcome.outcome)
    .bind(outcome.reason)
    .bind(outcome.request_id)
    .bind(outcome.due_id)
    .bind(outcome.by)
    .bind(outcome.by.map(|_| ts(now)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The request whose offer gave a due this structured communication (printed form).
pub async fn request_of_communication(
    tx: &mut Tx,
    communication: &str,
) -> DbResult<Option<RequestId>> {
    Ok(sqlx::query_scalar(
        "SELECT o.request_id FROM offer_dues d JOIN offers o ON o.id = d.offer_id \
         WHERE d.structured_communication = $1 ORDER BY o.version DESC LIMIT 1",
    )
    .bind(communication)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The request of a reference (`CMH-2026-000123`).
pub async fn request_of_reference(tx: &mut Tx, reference: &str) -> DbResult<Option<RequestId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM requests WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// A statement as its page lists it, with its lines' tallies.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementRow {
    pub id: StatementId,
    pub account: String,
    pub holder: String,
    pub number: i64,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub opened_on: NaiveDate,
    pub filename: String,
    pub uploaded_by_name: String,
    /// The API key that uploaded it, when a key did.
    pub uploaded_by_key: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub uploaded_at: DateTime<Utc>,
    pub lines: i64,
    pub matched: i64,
    pub to_assign: i64,
}

/// The scope's statements, latest upload first.
pub async fn statements(db: &Db, scope: &Scope, limit: i64) -> DbResult<Vec<StatementRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.account, s.holder, s.number, s.opened_on, s.filename, \
            u.display_name AS uploaded_by_name, s.uploaded_by_key, s.uploaded_at, \
            (SELECT COUNT(*) FROM bank_statement_lines l WHERE l.statement_id = s.id) AS lines, \
            (SELECT COUNT(*) FROM bank_statement_lines l WHERE l.statement_id = s.id \
                AND l.outcome IN ('paid', 'partial', 'over', 'assigned')) AS matched, \
            (SELECT COUNT(*) FROM bank_statement_lines l WHERE l.statement_id = s.id \
                AND l.outcome = 'to_assign') AS to_assign \
         FROM bank_statements s JOIN users u ON u.id = s.uploaded_by \
         WHERE s.organisation_id = $1 ORDER BY s.uploaded_at DESC, s.opened_on DESC LIMIT $2",
    )
    .bind(scope.organisation_id())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A credit line with its statement, as the pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRow {
    pub id: StatementLineId,
    pub statement_id: StatementId,
    pub account: String,
    pub number: i64,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub opened_on: NaiveDate,
    pub sequence: String,
    #[sqlx(try_from = "Stored<Decimal>")]
    pub amount: Decimal,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub value_date: NaiveDate,
    pub communication: String,
    pub structured_communication: Option<String>,
    pub counterparty_name: String,
    pub counterparty_account: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<RequestId>,
    pub reference: Option<String>,
}

const LINES: &str = "SELECT l.id, l.statement_id, s.account, s.number, s.opened_on, l.sequence, \
        l.amount, l.value_date, l.communication, l.structured_communication, \
        l.counterparty_name, l.counterparty_account, l.outcome, l.reason, l.request_id, \
        r.reference \
     FROM bank_statement_lines l JOIN bank_statements s ON s.id = l.statement_id \
        LEFT JOIN requests r ON r.id = l.request_id";

/// The scope's lines still to assign, oldest first.
pub async fn to_assign(db: &Db, scope: &Scope) -> DbResult<Vec<LineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINES} WHERE s.organisation_id = $1 AND l.outcome = 'to_assign' \
         ORDER BY l.value_date, s.opened_on, l.sequence LIMIT 500"
    )))
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// The lines of one of the scope's statements, in the statement's order.
pub async fn lines_of(db: &Db, scope: &Scope, statement_id: StatementId) -> DbResult<Vec<LineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINES} WHERE s.organisation_id = $1 AND s.id = $2 ORDER BY l.sequence"
    )))
    .bind(scope.organisation_id())
    .bind(statement_id)
    .fetch_all(&db.pool)
    .await?)
}

/// One of the scope's lines, inside a change; `NotFound` for another organisation's.
pub async fn line_in(tx: &mut Tx, scope: &Scope, line_id: StatementLineId) -> DbResult<LineRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINES} WHERE s.organisation_id = $1 AND l.id = $2"
    )))
    .bind(scope.organisation_id())
    .bind(line_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)
}
