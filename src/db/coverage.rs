use super::{
    Db, DbResult, OrganisationId, Tx,
    organisations::{Organisation, OrganisationRow},
    sql::{Bound, Sql},
};

/// Records that `organisation_id` serves each of `communes` (idempotent).
pub async fn add(db: &Db, organisation_id: OrganisationId, communes: &[&str]) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    // Multi-row inserts keep seeding fast on both engines.
    for chunk in communes.chunks(200) {
        let mut sql = Sql::new("INSERT INTO coverage (commune_nis, organisation_id) VALUES ");
        sql.push_rows(chunk, |nis| {
            vec![Bound::from(*nis), Bound::from(organisation_id)]
        });
        sql.push(" ON CONFLICT (commune_nis, organisation_id) DO NOTHING");
        sql.query()?.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every organisation serving a commune: its coordinator, operators and municipality.
pub async fn serving(tx: &mut Tx, commune_nis: &str) -> DbResult<Vec<Organisation>> {
    let rows: Vec<OrganisationRow> = sqlx::query_as(
        "SELECT o.id, o.slug, o.name, o.kind, o.service, o.commune_nis, o.contact, o.partner \
         FROM organisations o \
         WHERE o.id IN (SELECT organisation_id FROM coverage WHERE commune_nis = $1) \
            OR (o.kind = 'municipality' AND o.commune_nis = $1) \
         ORDER BY o.kind, o.name",
    )
    .bind(commune_nis)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(Organisation::try_from).collect()
}

/// A referral's texts in each language; German and Dutch are optional and fall back to French.
pub struct ReferralTexts<'a> {
    pub fr: &'a str,
    pub en: &'a str,
    pub de: Option<&'a str>,
    pub nl: Option<&'a str>,
}

pub async fn set_referral(db: &Db, area: &str, texts: ReferralTexts<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO referrals (area, text_fr, text_en, text_de, text_nl) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (area) DO UPDATE SET text_fr = excluded.text_fr, text_en = excluded.text_en, \
         text_de = excluded.text_de, text_nl = excluded.text_nl",
    )
    .bind(area)
    .bind(texts.fr)
    .bind(texts.en)
    .bind(texts.de)
    .bind(texts.nl)
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Referral {
    pub area: String,
    pub text_fr: String,
    pub text_en: String,
    pub text_de: Option<String>,
    pub text_nl: Option<String>,
}

impl Referral {
    /// The text in `language`; German or Dutch without its own text reads the French one.
    pub fn text(self, language: crate::domain::Language) -> String {
        use crate::domain::Language;
        match language {
            Language::Fr => self.text_fr,
            Language::En => self.text_en,
            Language::De => self
                .text_de
                .filter(|text| !text.trim().is_empty())
                .unwrap_or(self.text_fr),
            Language::Nl => self
                .text_nl
                .filter(|text| !text.trim().is_empty())
                .unwrap_or(self.text_fr),
        }
    }
}

/// The most specific referral among `areas` (given most specific first).
pub async fn referral(db: &Db, areas: &[String]) -> DbResult<Option<Referral>> {
    for area in areas {
        let found: Option<Referral> = sqlx::query_as(
            "SELECT area, text_fr, text_en, text_de, text_nl FROM referrals WHERE area = $1",
        )
        .bind(area)
        .fetch_optional(&db.pool)
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The communes the caller's organisation serves (NIS codes).
pub async fn own(db: &Db, scope: &super::Scope) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT commune_nis FROM coverage WHERE organisation_id = $1 ORDER BY commune_nis",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// Stops serving communes; requests already filed keep their operator.
pub async fn remove_own(db: &Db, scope: &super::Scope, communes: &[String]) -> DbResult<u64> {
    let mut tx = db.begin_write().await?;
    let mut removed = 0;
    for nis in communes {
        removed +=
            sqlx::query("DELETE FROM coverage WHERE organisation_id = $1 AND commune_nis = $2")
                .bind(scope.organisation_id())
                .bind(nis)
                .execute(&mut *tx)
                .await?
                .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}
