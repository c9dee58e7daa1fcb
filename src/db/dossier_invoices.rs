//! The servicing dossier-opening fee invoices (V-3.1): issued with the filing, paid once.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{
    Db, DbResult, DossierInvoiceId, OrganisationId, RequestAccess, RequestId, Stored, Tx, UserId,
    ts,
};

/// One dossier-fee invoice as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DossierInvoiceRow {
    pub id: DossierInvoiceId,
    pub request_id: RequestId,
    pub number: String,
    pub organisation_id: OrganisationId,
    pub payee_name: String,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub structured_communication: String,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub issued_on: NaiveDate,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    pub due_on: NaiveDate,
    #[sqlx(try_from = "Stored<Decimal>")]
    pub amount_excl_vat: Decimal,
    /// Percent (21, V-6).
    #[sqlx(try_from = "Stored<Decimal>")]
    pub vat_rate: Decimal,
    #[sqlx(try_from = "Stored<Decimal>")]
    pub vat_amount: Decimal,
    /// VAT included.
    #[sqlx(try_from = "Stored<Decimal>")]
    pub amount: Decimal,
    pub book_version: String,
    #[sqlx(try_from = "Stored<Option<Decimal>>")]
    pub paid_amount: Option<Decimal>,
    #[sqlx(try_from = "Stored<Option<NaiveDate>>")]
    pub paid_on: Option<NaiveDate>,
    /// V-2.3: whom the invoice is addressed to when not the applicant.
    pub payer_name: Option<String>,
}

const COLUMNS: &str = "id, request_id, number, organisation_id, payee_name, iban, bic, \
    structured_communication, issued_on, due_on, amount_excl_vat, vat_rate, vat_amount, amount, \
    book_version, paid_amount, paid_on, payer_name";

/// A dossier-fee invoice to issue.
pub struct NewDossierInvoice<'a> {
    pub request_id: RequestId,
    pub number: &'a str,
    pub organisation_id: OrganisationId,
    pub payee_name: &'a str,
    pub iban: Option<&'a str>,
    pub bic: Option<&'a str>,
    pub structured_communication: &'a str,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub amount_excl_vat: Decimal,
    pub vat_rate: Decimal,
    pub vat_amount: Decimal,
    pub amount: Decimal,
    pub book_version: &'a str,
    /// V-2.3: the servicing's payer when not the applicant.
    pub payer_name: Option<&'a str>,
}

/// The payee details of `organisation_id`, inside the filing's transaction.
pub async fn payee_in(
    tx: &mut Tx,
    organisation_id: OrganisationId,
) -> DbResult<super::offers::PayeeDetails> {
    let (name, payee_name, iban, bic): (String, Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT name, payee_name, iban, bic FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(super::offers::PayeeDetails {
        name: payee_name.unwrap_or(name),
        iban,
        bic,
    })
}

pub async fn insert(
    tx: &mut Tx,
    invoice: &NewDossierInvoice<'_>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO dossier_invoices (id, request_id, number, organisation_id, payee_name, iban, \
            bic, structured_communication, issued_on, due_on, amount_excl_vat, vat_rate, \
            vat_amount, amount, book_version, created_at, payer_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(DossierInvoiceId::generate())
    .bind(invoice.request_id)
    .bind(invoice.number)
    .bind(invoice.organisation_id)
    .bind(invoice.payee_name)
    .bind(invoice.iban)
    .bind(invoice.bic)
    .bind(invoice.structured_communication)
    .bind(invoice.issued_on.to_string())
    .bind(invoice.due_on.to_string())
    .bind(invoice.amount_excl_vat.to_string())
    .bind(invoice.vat_rate.to_string())
    .bind(invoice.vat_amount.to_string())
    .bind(invoice.amount.to_string())
    .bind(invoice.book_version)
    .bind(ts(now))
    .bind(invoice.payer_name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The dossier-fee invoice of a request the reader may read, if one was issued.
pub async fn of_request(db: &Db, request: &RequestAccess) -> DbResult<Option<DossierInvoiceRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM dossier_invoices WHERE request_id = $1"
    )))
    .bind(request.id())
    .fetch_optional(&db.pool)
    .await?)
}

/// The dossier-fee invoice of `request_id`, read by a worker or a pricing step.
pub async fn of_request_id<'e, E>(
    executor: E,
    request_id: RequestId,
) -> DbResult<Option<DossierInvoiceRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM dossier_invoices WHERE request_id = $1"
    )))
    .bind(request_id)
    .fetch_optional(executor)
    .await?)
}

/// Records the full payment of a request's invoice; false when it was already recorded.
pub async fn record_payment(
    tx: &mut Tx,
    request: &RequestAccess,
    amount: Decimal,
    paid_on: NaiveDate,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE dossier_invoices SET paid_amount = $2, paid_on = $3, paid_recorded_at = $4, \
            paid_recorded_by = $5 WHERE request_id = $1 AND paid_on IS NULL",
    )
    .bind(request.id())
    .bind(amount.to_string())
    .bind(paid_on.to_string())
    .bind(ts(now))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}
