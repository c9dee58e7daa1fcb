//! Offers: numbered, immutable versions of the consolidated quote (C-3), their payees and the
//! payments the case officer registers.

use super::{
    DueId, OfferId, OrganisationId, PaymentId, RequestId, StatementLineId, Stored, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Db, DbError, DbResult, Scope, Tx, ts};
use crate::domain::{
    dues::{Direction, DueWhen},
    offer::OfferStatus,
};
use crate::quote::{DocumentKind, DocumentScope};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferRow {
    pub id: OfferId,
    pub request_id: RequestId,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub status: OfferStatus,
    pub language: String,
    /// The document as sent, decoded once here: one that does not decode is a corrupt row.
    pub document: crate::quote::OfferDocument,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub sent_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub valid_until: NaiveDate,
    pub supersedes_reason: Option<String>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub reminder_sent_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by_kind: Option<String>,
    pub acceptance_note: Option<String>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub closed_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, request_id, version, status, language, document, sent_at, valid_until, \
    supersedes_reason, reminder_sent_at, accepted_at, accepted_by_kind, acceptance_note, closed_at";

/// Who pays whom, for one offer version (see the `offer_dues` migration).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueRow {
    pub id: DueId,
    pub offer_id: OfferId,
    pub position: i64,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    pub organisation_id: Option<OrganisationId>,
    pub party_name: String,
    #[sqlx(try_from = "String")]
    pub document: DocumentKind,
    #[sqlx(try_from = "String")]
    pub scope: DocumentScope,
    pub iban: Option<String>,
    pub bic: Option<String>,
    #[sqlx(try_from = "Stored<Decimal>")]
    pub amount: Decimal,
    pub structured_communication: Option<String>,
    #[sqlx(try_from = "String")]
    pub due: DueWhen,
    pub rule: String,
    pub detail: Option<String>,
    /// V-2.3: who pays when not the applicant (the servicing's payer).
    pub payer_name: Option<String>,
}

const DUE_COLUMNS: &str = "id, offer_id, position, direction, organisation_id, party_name, \
    document, scope, iban, bic, amount, structured_communication, due, rule, detail, payer_name";

/// One payment recorded against a due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuePaymentRow {
    pub id: PaymentId,
    pub due_id: DueId,
    #[sqlx(try_from = "Stored<Decimal>")]
    pub amount: Decimal,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub paid_on: NaiveDate,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub recorded_at: DateTime<Utc>,
}

const PAYMENT_COLUMNS: &str = "id, due_id, amount, paid_on, recorded_at";

pub struct NewOffer<'a> {
    pub request_id: RequestId,
    pub version: i64,
    pub idempotency_key: &'a str,
    pub language: &'a str,
    pub document: &'a str,
    pub sent_by: Option<UserId>,
    pub valid_until: NaiveDate,
    pub supersedes_reason: Option<&'a str>,
}

pub struct NewDue<'a> {
    pub direction: Direction,
    pub organisation_id: Option<OrganisationId>,
    pub party_name: &'a str,
    pub document: DocumentKind,
    pub scope: DocumentScope,
    pub iban: Option<&'a str>,
    pub bic: Option<&'a str>,
    pub amount: Decimal,
    pub structured_communication: Option<String>,
    pub due: DueWhen,
    pub rule: &'a str,
    pub detail: Option<String>,
    /// V-2.3: who pays when not the applicant.
    pub payer_name: Option<&'a str>,
}

/// The offer a send form's key already produced (pressing "send" twice).
pub async fn by_idempotency_key(db: &Db, key: &str) -> DbResult<Option<OfferRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM offers WHERE idempotency_key = $1"
    )))
    .bind(key)
    .fetch_optional(&db.pool)
    .await?)
}

/// Every version of a request's offer, the latest first.
pub async fn for_request(db: &Db, request: &super::RequestAccess) -> DbResult<Vec<OfferRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM offers WHERE request_id = $1 ORDER BY version DESC"
    )))
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// The latest offer version of each of the coordinator's requests waiting for their joint
/// day (see [`super::requests::waiting_for_day`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingOfferRow {
    pub request_id: RequestId,
    pub id: OfferId,
    #[sqlx(try_from = "String")]
    pub status: OfferStatus,
}

/// The latest versions of the waiting requests' offers, as a subquery on `$1` (the scope).
fn latest_of_waiting_ids() -> String {
    format!(
        "SELECT o.id FROM offers o JOIN requests r ON r.id = o.request_id WHERE {} \
         AND o.version = (SELECT MAX(x.version) FROM offers x WHERE x.request_id = o.request_id)",
        super::requests::WAITING_FOR_DAY
    )
}

pub async fn latest_of_waiting(tx: &mut Tx, scope: &Scope) -> DbResult<Vec<WaitingOfferRow>> {
    let sql = format!(
        "SELECT request_id, id, status FROM offers WHERE id IN ({})",
        latest_of_waiting_ids()
    );
    super::requests::fetch_of_waiting(tx, scope, sql).await
}

/// The dues of those latest versions, by version and position.
pub async fn dues_of_waiting(tx: &mut Tx, scope: &Scope) -> DbResult<Vec<DueRow>> {
    let sql = format!(
        "SELECT {DUE_COLUMNS} FROM offer_dues WHERE offer_id IN ({}) ORDER BY offer_id, position",
        latest_of_waiting_ids()
    );
    super::requests::fetch_of_waiting(tx, scope, sql).await
}

/// The payments recorded against those dues, oldest first.
pub async fn payments_of_waiting(tx: &mut Tx, scope: &Scope) -> DbResult<Vec<DuePaymentRow>> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM due_payments WHERE due_id IN \
            (SELECT d.id FROM offer_dues d WHERE d.offer_id IN ({})) \
         ORDER BY paid_on, recorded_at, id",
        latest_of_waiting_ids()
    );
    super::requests::fetch_of_waiting(tx, scope, sql).await
}

/// The latest version of a request's offer, inside a change.
pub async fn latest_in(tx: &mut Tx, request_id: RequestId) -> DbResult<Option<OfferRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM offers WHERE request_id = $1 ORDER BY version DESC LIMIT 1"
    )))
    .bind(request_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Stores a new version; a second insert with the same key fails with `Conflict`.
pub async fn insert(
    tx: &mut Tx,
    offer: &NewOffer<'_>,
    dues: &[NewDue<'_>],
    now: DateTime<Utc>,
) -> DbResult<OfferId> {
    let id = OfferId::generate();
    sqlx::query(
        "INSERT INTO offers (id, request_id, version, status, idempotency_key, language, document, \
            sent_at, sent_by, valid_until, supersedes_reason) \
         VALUES ($1, $2, $3, 'sent', $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(offer.request_id)
    .bind(offer.version)
    .bind(offer.idempotency_key)
    .bind(offer.language)
    .bind(offer.document)
    .bind(ts(now))
    .bind(offer.sent_by)
    .bind(offer.valid_until.to_string())
    .bind(offer.supersedes_reason)
    .execute(&mut **tx)
    .await?;
    for (position, due) in (1i64..).zip(dues) {
        sqlx::query(
            "INSERT INTO offer_dues (id, offer_id, position, direction, organisation_id, \
                party_name, document, scope, iban, bic, amount, structured_communication, due, \
                rule, detail, payer_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(DueId::generate())
        .bind(id)
        .bind(position)
        .bind(due.direction.code())
        .bind(due.organisation_id)
        .bind(due.party_name)
        .bind(due.document.code())
        .bind(due.scope.code())
        .bind(due.iban)
        .bind(due.bic)
        .bind(due.amount.to_string())
        .bind(&due.structured_communication)
        .bind(due.due.code())
        .bind(due.rule)
        .bind(&due.detail)
        .bind(due.payer_name)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Closes the open versions of a request (a revision replaces them).
pub async fn supersede_open(
    tx: &mut Tx,
    request_id: RequestId,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE offers SET status = 'superseded', closed_at = $2 \
         WHERE request_id = $1 AND status IN ('sent', 'accepted')",
    )
    .bind(request_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct Acceptance<'a> {
    pub by_kind: &'a str,
    pub by: Option<UserId>,
    pub note: Option<&'a str>,
}

/// Accepts a sent, still valid version; false when it is not (any more) open for acceptance.
pub async fn accept(
    tx: &mut Tx,
    offer_id: OfferId,
    acceptance: &Acceptance<'_>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE offers SET status = 'accepted', accepted_at = $2, accepted_by_kind = $3, \
            accepted_by = $4, acceptance_note = $5 \
         WHERE id = $1 AND status = 'sent' AND valid_until >= $6",
    )
    .bind(offer_id)
    .bind(ts(now))
    .bind(acceptance.by_kind)
    .bind(acceptance.by)
    .bind(acceptance.note)
    .bind(today.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The dues of every offer version of a request, in one query (group them by `offer_id`).
pub async fn dues_of_request(db: &Db, request: &super::RequestAccess) -> DbResult<Vec<DueRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DUE_COLUMNS} FROM offer_dues \
         WHERE offer_id IN (SELECT id FROM offers WHERE request_id = $1) ORDER BY offer_id, position"
    )))
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// The payments of every due of a request, oldest first.
pub async fn payments_of_request(
    db: &Db,
    request: &super::RequestAccess,
) -> DbResult<Vec<DuePaymentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM due_payments WHERE due_id IN (SELECT d.id FROM offer_dues d \
            JOIN offers o ON o.id = d.offer_id WHERE o.request_id = $1) \
         ORDER BY paid_on, recorded_at, id"
    )))
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// The dues of one version, inside a change.
pub async fn dues_in(tx: &mut Tx, offer_id: OfferId) -> DbResult<Vec<DueRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DUE_COLUMNS} FROM offer_dues WHERE offer_id = $1 ORDER BY position"
    )))
    .bind(offer_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// The payments recorded against the dues of one version, inside a change.
pub async fn payments_in(tx: &mut Tx, offer_id: OfferId) -> DbResult<Vec<DuePaymentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM due_payments \
         WHERE due_id IN (SELECT id FROM offer_dues WHERE offer_id = $1) \
         ORDER BY paid_on, recorded_at, id"
    )))
    .bind(offer_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Whether a payment was recorded under `key` (the same form posted again).
pub async fn payment_key_used(tx: &mut Tx, key: &str) -> DbResult<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM due_payments WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found.is_some())
}

pub struct NewPayment<'a> {
    pub due_id: DueId,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub by: UserId,
    pub idempotency_key: &'a str,
    /// The bank statement line the payment was read from, if any.
    pub statement_line_id: Option<StatementLineId>,
}

/// Records one payment against a due; false when its key was already used (the same form
/// posted again).
pub async fn insert_payment(
    tx: &mut Tx,
    payment: &NewPayment<'_>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO due_payments (id, due_id, amount, paid_on, recorded_at, recorded_by, \
            idempotency_key, statement_line_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(PaymentId::generate())
    .bind(payment.due_id)
    .bind(payment.amount.to_string())
    .bind(payment.paid_on.to_string())
    .bind(ts(now))
    .bind(payment.by)
    .bind(payment.idempotency_key)
    .bind(payment.statement_line_id)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Sent, unaccepted versions whose validity ends on or before `until` and not yet reminded.
pub async fn due_reminders(db: &Db, until: NaiveDate) -> DbResult<Vec<OfferRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM offers WHERE status = 'sent' AND reminder_sent_at IS NULL \
         AND valid_until <= $1 ORDER BY valid_until, id"
    )))
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// Marks the reminder sent; false when another run did it first.
pub async fn mark_reminded(tx: &mut Tx, offer_id: OfferId, now: DateTime<Utc>) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE offers SET reminder_sent_at = $2 WHERE id = $1 AND reminder_sent_at IS NULL",
    )
    .bind(offer_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Sent, unaccepted versions whose validity ended before `today` (V-8.1).
pub async fn due_lapses(db: &Db, today: NaiveDate) -> DbResult<Vec<OfferRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM offers WHERE status = 'sent' AND valid_until < $1 \
         ORDER BY valid_until, id"
    )))
    .bind(today.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// Lapses a version once; false when it was accepted or lapsed meanwhile.
pub async fn lapse(tx: &mut Tx, offer_id: OfferId, now: DateTime<Utc>) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE offers SET status = 'lapsed', closed_at = $2 WHERE id = $1 AND status = 'sent'",
    )
    .bind(offer_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The payee details of an operator.
pub async fn payee_of(db: &Db, organisation_id: OrganisationId) -> DbResult<PayeeDetails> {
    let row: PayeeColumns =
        sqlx::query_as("SELECT name, payee_name, iban, bic FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or(DbError::NotFound)?;
    Ok(PayeeDetails {
        name: row.payee_name.unwrap_or(row.name),
        iban: row.iban,
        bic: row.bic,
    })
}

#[derive(sqlx::FromRow)]
struct PayeeColumns {
    name: String,
    payee_name: Option<String>,
    iban: Option<String>,
    bic: Option<String>,
}

pub struct PayeeDetails {
    pub name: String,
    pub iban: Option<String>,
    pub bic: Option<String>,
}

/// Sets an organisation's payee details where none are recorded yet (seeding keeps changes).
pub async fn ensure_payee(
    db: &Db,
    organisation_id: OrganisationId,
    payee_name: &str,
    iban: &str,
    bic: Option<&str>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE organisations SET payee_name = COALESCE(payee_name, $2), iban = COALESCE(iban, $3), \
            bic = COALESCE(bic, $4) WHERE id = $1",
    )
    .bind(organisation_id)
    .bind(payee_name)
    .bind(iban)
    .bind(bic)
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(())
}
