use super::{Db, DbResult, OrganisationId, parse_code, ts};
use crate::domain::tenancy::OrganisationKind;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrganisationId,
    pub slug: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub service: Option<String>,
    pub commune_nis: Option<String>,
    pub contact: Option<String>,
    /// A configured partner's offer (JSON), answered by the generic module.
    pub partner: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOrganisation<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub kind: OrganisationKind,
    pub service: Option<&'a str>,
    pub commune_nis: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub partner: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
pub(super) struct OrganisationRow {
    id: OrganisationId,
    slug: String,
    name: String,
    kind: String,
    service: Option<String>,
    commune_nis: Option<String>,
    contact: Option<String>,
    partner: Option<String>,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = super::DbError;

    fn try_from(row: OrganisationRow) -> DbResult<Self> {
        Ok(Organisation {
            id: row.id,
            slug: row.slug,
            name: row.name,
            kind: parse_code(&row.kind)?,
            service: row.service,
            commune_nis: row.commune_nis,
            contact: row.contact,
            partner: row.partner,
        })
    }
}

const COLUMNS: &str = "id, slug, name, kind, service, commune_nis, contact, partner";

/// Creates the organisation unless one with that slug exists; returns the stored one.
pub async fn ensure(
    db: &Db,
    new: &NewOrganisation<'_>,
    now: DateTime<Utc>,
) -> DbResult<Organisation> {
    sqlx::query(
        "INSERT INTO organisations (id, slug, name, kind, service, commune_nis, contact, partner, \
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8) \
         ON CONFLICT (slug) DO UPDATE SET partner = excluded.partner",
    )
    .bind(OrganisationId::generate())
    .bind(new.slug)
    .bind(new.name)
    .bind(new.kind.code())
    .bind(new.service)
    .bind(new.commune_nis)
    .bind(new.contact)
    .bind(ts(now))
    .bind(new.partner)
    .execute(&mut *db.single_write().await?)
    .await?;
    by_slug(db, new.slug).await
}

pub async fn by_slug(db: &Db, slug: &str) -> DbResult<Organisation> {
    let row: OrganisationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organisations WHERE slug = $1"
    )))
    .bind(slug)
    .fetch_one(&db.pool)
    .await?;
    row.try_into()
}

pub async fn all(db: &Db) -> DbResult<Vec<Organisation>> {
    let rows: Vec<OrganisationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organisations ORDER BY kind, name"
    )))
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(Organisation::try_from).collect()
}

/// The partners joined by configuration, with their offer, for the request form.
pub async fn partners(db: &Db) -> DbResult<Vec<Organisation>> {
    let rows: Vec<OrganisationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organisations WHERE partner IS NOT NULL ORDER BY service, slug"
    )))
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(Organisation::try_from).collect()
}

/// A partner's offer read inside a worker's transaction.
pub async fn partner_offer(
    tx: &mut super::Tx,
    organisation_id: OrganisationId,
) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT partner FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_optional(&mut **tx)
            .await?
            .flatten(),
    )
}

/// The signed-in user's own organisation.
pub async fn own(db: &Db, scope: &super::Scope) -> DbResult<Organisation> {
    let row: OrganisationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organisations WHERE id = $1"
    )))
    .bind(scope.organisation_id())
    .fetch_one(&db.pool)
    .await?;
    row.try_into()
}
