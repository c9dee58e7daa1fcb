//! Requests, their services, parties and timeline. Reads by staff always go through a
//! [`Scope`]: a request is visible to an organisation only if it is one of its parties.

use super::{OrganisationId, RequestId, Stored, UserId};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::survey::WaterWork;
use crate::domain::tenancy::OrganisationKind;
use crate::domain::{ApplicantKind, ElectricityBand, Language, RequestState, VatStatus};

use super::{Db, DbError, DbResult, Scope, Tx, new_id, sql::Sql, ts};

/// Everything stored about a request, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: RequestId,
    /// The proof this row was read with the reader's right to it, for the reads of what hangs
    /// off the request.
    #[sqlx(rename = "id")]
    pub access: super::RequestAccess,
    pub reference: String,
    pub coordinator_id: OrganisationId,
    /// Typed as it is read: a stored code the state machine does not know is a corrupt row.
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    #[sqlx(try_from = "Stored<ApplicantKind>")]
    pub applicant_kind: ApplicantKind,
    pub applicant_name: String,
    pub company_number: Option<String>,
    pub email: String,
    pub phone: String,
    #[sqlx(try_from = "Stored<Language>")]
    pub language: Language,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub locality: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub map_point: Option<String>,
    pub parcel_ref: Option<String>,
    pub building: String,
    pub dwellings: i64,
    #[sqlx(try_from = "Stored<Option<ElectricityBand>>")]
    pub electricity_band: Option<ElectricityBand>,
    #[sqlx(try_from = "Stored<Option<NaiveDate>>")]
    pub wished_from: Option<NaiveDate>,
    #[sqlx(try_from = "Stored<Option<NaiveDate>>")]
    pub wished_to: Option<NaiveDate>,
    pub remarks: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub submitted_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub updated_at: DateTime<Utc>,
    /// The case officer in charge, if somebody took it.
    pub assigned_to: Option<UserId>,
    /// 1 when the applicant is a commune acting as project owner: it pays after the works.
    pub pays_after_works: i64,
    /// When the applicant asked for a change the next offer version must answer (V-8.3).
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub change_requested_at: Option<DateTime<Utc>>,
    /// The servicing of the land (V-2.1), NULL when none is asked.
    pub servicing_operation: Option<String>,
    pub servicing_frontage_m: Option<String>,
    pub servicing_parcels: Option<i64>,
    pub servicing_candelabras: Option<i64>,
    /// V-4.1c: a donation-type division's planned frontages, `25;12`.
    pub servicing_planned_frontages: Option<String>,
    pub servicing_supply_points: Option<i64>,
    /// `standard` or `indoor_local` (V-9.2).
    pub servicing_cabin: Option<String>,
    /// `swl` or `public_housing_company` (V-2.4).
    pub servicing_social: Option<String>,
    /// V-6 (art. 6.3): 1 when the applicant says the conditions of Decision T.5387 are met;
    /// NULL for requests filed before the question was asked.
    pub servicing_t5387: Option<i64>,
    /// V-4.3: light points added on existing poles or cable (quoted separately).
    pub servicing_existing_pole_lights: Option<i64>,
    /// Stored `vat_filer` or `exempt`, NULL for an applicant without periodic VAT returns.
    #[sqlx(try_from = "Stored<Option<VatStatus>>")]
    pub applicant_vat: Option<VatStatus>,
    /// ORES' servicing study, once recorded (stored as JSON).
    pub servicing_study: Option<crate::domain::servicing::ServicingStudy>,
    /// SWDE's survey of the water connection, once recorded (stored as JSON).
    pub water_survey: Option<crate::domain::survey::WaterSurvey>,
    /// When the request was finished (its latest move to a finished state): its private
    /// links work until six months later.
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub closed_at: Option<DateTime<Utc>>,
    /// NULL for a new build.
    pub dwelling_first_occupied_year: Option<i64>,
    /// A power increase: the band of the existing connection.
    #[sqlx(try_from = "Stored<Option<ElectricityBand>>")]
    pub electricity_current_band: Option<ElectricityBand>,
    /// `modification` or `renewal`; NULL for a first water connection.
    #[sqlx(try_from = "Stored<Option<WaterWork>>")]
    pub water_work: Option<WaterWork>,
    /// B-9: 1 when no water was billed for 24 months on the connection to renew.
    pub water_unbilled: i64,
    /// V-2.3: who pays the servicing when not the applicant; NULL when the applicant does.
    pub servicing_payer_name: Option<String>,
    pub servicing_payer_address: Option<String>,
    /// `vat_filer`, or NULL.
    pub servicing_payer_vat: Option<String>,
    pub servicing_payer_company_number: Option<String>,
    /// Moves with every write to the request or to what hangs off it (`db::revisions`).
    pub revision: i64,
    /// Moves with every write to what every case file also reads (`db::revisions`), read with
    /// the request so that one statement tells whether a kept case file is still current.
    pub shared_revision: i64,
}

const REQUEST_COLUMNS: &str = "r.id, r.reference, r.coordinator_id, r.state, r.applicant_kind, \
    r.applicant_name, r.company_number, r.email, r.phone, r.language, r.street, r.house_number, \
    r.locality, r.postcode, r.commune_nis, r.commune_name, r.map_point, r.parcel_ref, r.building, \
    r.dwellings, r.electricity_band, r.wished_from, r.wished_to, r.remarks, r.submitted_at, r.updated_at, \
    r.assigned_to, r.pays_after_works, r.change_requested_at, r.servicing_operation, r.servicing_frontage_m, \
    r.servicing_parcels, r.servicing_candelabras, r.servicing_planned_frontages, \
    r.servicing_supply_points, r.servicing_cabin, r.servicing_social, r.servicing_t5387, \
    r.servicing_existing_pole_lights, r.applicant_vat, r.servicing_study, r.water_survey, r.closed_at, \
    r.dwelling_first_occupied_year, r.electricity_current_band, r.water_work, r.water_unbilled, \
    r.servicing_payer_name, r.servicing_payer_address, r.servicing_payer_vat, \
    r.servicing_payer_company_number, r.revision, \
    (SELECT s.revision FROM shared_revision s WHERE s.id = 1) AS shared_revision";

/// A request about to be filed, with its secrets already derived.
#[derive(Debug, Clone)]
pub struct NewRequestRecord {
    pub id: RequestId,
    pub reference: String,
    pub idempotency_key: String,
    /// A hash of the form's fields as typed (`services::submit::fingerprint`); none for a
    /// request that did not come from the form.
    pub input_fingerprint: Option<String>,
    pub follow_token_hash: String,
    pub coordinator_id: OrganisationId,
    pub state: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub company_number: Option<String>,
    pub email: String,
    pub phone: String,
    pub language: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub locality: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub map_point: Option<String>,
    pub parcel_ref: Option<String>,
    pub building: String,
    pub dwellings: i64,
    pub electricity_band: Option<String>,
    pub wished_from: Option<String>,
    pub wished_to: Option<String>,
    pub remarks: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub servicing_operation: Option<String>,
    pub servicing_frontage_m: Option<String>,
    pub servicing_parcels: Option<i64>,
    pub servicing_candelabras: Option<i64>,
    /// V-4.1c: a donation-type division's planned frontages, `25;12`.
    pub servicing_planned_frontages: Option<String>,
    pub servicing_supply_points: Option<i64>,
    /// `standard` or `indoor_local` (V-9.2).
    pub servicing_cabin: Option<String>,
    /// `swl` or `public_housing_company` (V-2.4).
    pub servicing_social: Option<String>,
    /// V-6 (art. 6.3): 1 when the conditions of Decision T.5387 are met, else 0.
    pub servicing_t5387: Option<i64>,
    /// V-4.3: light points added on existing poles or cable.
    pub servicing_existing_pole_lights: Option<i64>,
    /// `vat_filer`, `exempt`, or NULL for an applicant without periodic VAT returns.
    pub applicant_vat: Option<String>,
    pub dwelling_first_occupied_year: Option<i64>,
    pub electricity_current_band: Option<String>,
    pub water_work: Option<String>,
    pub water_unbilled: bool,
    /// V-2.3: the servicing's payer when not the applicant.
    pub servicing_payer_name: Option<String>,
    pub servicing_payer_address: Option<String>,
    pub servicing_payer_vat: Option<String>,
    pub servicing_payer_company_number: Option<String>,
}

/// Requests being filed get their references, once their numbers are taken (see
/// `services::submit`), and are filed: from now on what is written beside them moves their
/// revision (`db::revisions`). One statement.
pub async fn filed_as(tx: &mut Tx, references: &[(RequestId, String)]) -> DbResult<()> {
    if references.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("UPDATE requests SET revision = 0, reference = CASE id");
    for (id, reference) in references {
        sql.push(" WHEN ")
            .push_bind(*id)
            .push(" THEN ")
            .push_bind(reference.as_str());
    }
    sql.push(" END WHERE id IN ")
        .push_list(references.iter().map(|(id, _)| *id))
        .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// Takes the next number of `year`'s sequence inside the filing transaction, so a
/// rolled-back filing never burns a number another filing could see.
pub async fn next_reference_number(tx: &mut Tx, year: i32) -> DbResult<i64> {
    Ok(*take_reference_numbers(tx, year, 1).await?.start())
}

/// Takes the next `count` numbers of `year`'s sequence at once (at least one), inside the
/// filing transaction.
pub async fn take_reference_numbers(
    tx: &mut Tx,
    year: i32,
    count: usize,
) -> DbResult<std::ops::RangeInclusive<i64>> {
    let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
    // One statement: the year's first request creates its counter.
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO reference_counters (year, last_number) VALUES ($1, $2) \
         ON CONFLICT (year) DO UPDATE SET last_number = reference_counters.last_number + $2 \
         RETURNING last_number",
    )
    .bind(i64::from(year))
    .bind(count)
    .fetch_one(&mut **tx)
    .await?;
    Ok(last - count + 1..=last)
}

/// Records SWDE's survey of a request (JSON), inside the answer's transaction.
pub async fn set_water_survey(tx: &mut Tx, request_id: RequestId, survey: &str) -> DbResult<()> {
    sqlx::query("UPDATE requests SET water_survey = $2 WHERE id = $1")
        .bind(request_id)
        .bind(survey)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records ORES' servicing study of a request (JSON), inside the answer's transaction.
pub async fn set_servicing_study(tx: &mut Tx, request_id: RequestId, study: &str) -> DbResult<()> {
    sqlx::query("UPDATE requests SET servicing_study = $2 WHERE id = $1")
        .bind(request_id)
        .bind(study)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A new request, filed at once (its revision 0).
pub async fn insert(tx: &mut Tx, record: &NewRequestRecord) -> DbResult<()> {
    insert_requests(tx, std::slice::from_ref(record), 0).await
}

/// New requests being filed, in one statement: what their filing writes beside them does not
/// move their revision until [`filed_as`] names them (`db::revisions::BEING_FILED`). A form's
/// key filed already fails the whole statement (`DbError::Conflict`): nothing of it is
/// written.
pub async fn insert_being_filed(tx: &mut Tx, records: &[NewRequestRecord]) -> DbResult<()> {
    insert_requests(tx, records, super::revisions::BEING_FILED).await
}

async fn insert_requests(tx: &mut Tx, records: &[NewRequestRecord], revision: i64) -> DbResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO requests (id, reference, idempotency_key, follow_token_hash, coordinator_id, state, \
            applicant_kind, applicant_name, company_number, email, phone, language, street, house_number, \
            locality, postcode, commune_nis, commune_name, map_point, parcel_ref, building, dwellings, \
            electricity_band, wished_from, wished_to, remarks, submitted_at, updated_at, \
            servicing_operation, servicing_frontage_m, servicing_parcels, servicing_candelabras, \
            servicing_planned_frontages, servicing_supply_points, servicing_cabin, servicing_social, \
            applicant_vat, servicing_t5387, servicing_existing_pole_lights, \
            dwelling_first_occupied_year, electricity_current_band, water_work, water_unbilled, \
            servicing_payer_name, servicing_payer_address, servicing_payer_vat, \
            servicing_payer_company_number, input_fingerprint, revision) VALUES ",
    );
    sql.push_rows(records, |r| {
        vec![
            r.id.into(),
            r.reference.as_str().into(),
            r.idempotency_key.as_str().into(),
            r.follow_token_hash.as_str().into(),
            r.coordinator_id.into(),
            r.state.as_str().into(),
            r.applicant_kind.as_str().into(),
            r.applicant_name.as_str().into(),
            (&r.company_number).into(),
            r.email.as_str().into(),
            r.phone.as_str().into(),
            r.language.as_str().into(),
            (&r.street).into(),
            (&r.house_number).into(),
            (&r.locality).into(),
            r.postcode.as_str().into(),
            r.commune_nis.as_str().into(),
            r.commune_name.as_str().into(),
            (&r.map_point).into(),
            (&r.parcel_ref).into(),
            r.building.as_str().into(),
            r.dwellings.into(),
            (&r.electricity_band).into(),
            (&r.wished_from).into(),
            (&r.wished_to).into(),
            (&r.remarks).into(),
            ts(r.submitted_at).into(),
            ts(r.submitted_at).into(),
            (&r.servicing_operation).into(),
            (&r.servicing_frontage_m).into(),
            r.servicing_parcels.into(),
            r.servicing_candelabras.into(),
            (&r.servicing_planned_frontages).into(),
            r.servicing_supply_points.into(),
            (&r.servicing_cabin).into(),
            (&r.servicing_social).into(),
            (&r.applicant_vat).into(),
            r.servicing_t5387.into(),
            r.servicing_existing_pole_lights.into(),
            r.dwelling_first_occupied_year.into(),
            (&r.electricity_current_band).into(),
            (&r.water_work).into(),
            r.water_unbilled.into(),
            (&r.servicing_payer_name).into(),
            (&r.servicing_payer_address).into(),
            (&r.servicing_payer_vat).into(),
            (&r.servicing_payer_company_number).into(),
            (&r.input_fingerprint).into(),
            revision.into(),
        ]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

pub async fn insert_service(
    tx: &mut Tx,
    request_id: RequestId,
    service: &str,
    operator_id: Option<OrganisationId>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO request_services (request_id, service, operator_id) VALUES ($1, $2, $3)",
    )
    .bind(request_id)
    .bind(service)
    .bind(operator_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every service of new requests, with the operator that serves it here (if any), in one
/// statement.
pub async fn insert_services(
    tx: &mut Tx,
    services: &[(RequestId, &str, Option<OrganisationId>)],
) -> DbResult<()> {
    if services.is_empty() {
        return Ok(());
    }
    let mut sql =
        Sql::new("INSERT INTO request_services (request_id, service, operator_id) VALUES ");
    sql.push_rows(services, |(request, service, operator)| {
        vec![(*request).into(), (*service).into(), (*operator).into()]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// Every organisation new requests involve, with its role (a party's role is its kind:
/// coordinator, operator or municipality), in one statement (the first role given for an
/// organisation stays). The requests count for their parties in the queue's summaries once
/// [`count_new_parties`] ran, in the same transaction: the filing does that last, because
/// the summaries' rows are shared by every filing of the organisation and each writer holds
/// them until it commits.
pub async fn insert_parties(
    tx: &mut Tx,
    parties: &[(RequestId, OrganisationId, OrganisationKind)],
) -> DbResult<UncountedParties> {
    if parties.is_empty() {
        return Ok(UncountedParties(Vec::new()));
    }
    let mut sql =
        Sql::new("INSERT INTO request_parties (request_id, organisation_id, role) VALUES ");
    sql.push_rows(parties, |(request, organisation, role)| {
        vec![
            (*request).into(),
            (*organisation).into(),
            role.code().into(),
        ]
    });
    sql.push(" ON CONFLICT (request_id, organisation_id) DO NOTHING RETURNING request_id")
        .for_engine(tx.engine);
    let mut requests: Vec<RequestId> = sql.query_scalar()?.fetch_all(&mut **tx).await?;
    requests.sort_unstable();
    requests.dedup();
    Ok(UncountedParties(requests))
}

/// New requests whose parties are not yet counted in the queue's summaries.
#[must_use = "the queue's counts stay short until count_new_parties runs"]
pub struct UncountedParties(Vec<RequestId>);

/// The read models count the new requests for each of their parties (db::summaries).
pub async fn count_new_parties(tx: &mut Tx, parties: UncountedParties) -> DbResult<()> {
    super::summaries::new_requests(tx, &parties.0).await
}

pub async fn insert_party(
    tx: &mut Tx,
    request_id: RequestId,
    organisation_id: OrganisationId,
    role: OrganisationKind,
) -> DbResult<()> {
    let added = sqlx::query(
        "INSERT INTO request_parties (request_id, organisation_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (request_id, organisation_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(organisation_id)
    .bind(role.code())
    .execute(&mut **tx)
    .await?;
    if added.rows_affected() == 1 {
        super::summaries::parties_added(tx, request_id, &[organisation_id]).await?;
    }
    Ok(())
}

/// One entry of a request's timeline.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub request_id: RequestId,
    pub at: DateTime<Utc>,
    pub kind: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<&'a str>,
    pub organisation_id: Option<OrganisationId>,
    pub detail: Option<&'a str>,
    /// Shown to the applicant on the status page.
    pub public: bool,
}

impl<'a> NewEvent<'a> {
    /// A staff member's note in the timeline, for staff only.
    pub fn staff_note(
        request_id: RequestId,
        at: DateTime<Utc>,
        kind: &'a str,
        user: &'a super::sessions::SessionUser,
        detail: Option<&'a str>,
    ) -> Self {
        NewEvent {
            request_id,
            at,
            kind,
            // An organisation's system acting through its API key is named as the key (issue 21).
            actor_kind: if user.api_key.is_some() {
                "api_key"
            } else {
                "staff"
            },
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: Some(user.organisation_id),
            detail,
            public: false,
        }
    }
}

pub async fn insert_event(tx: &mut Tx, event: &NewEvent<'_>) -> DbResult<()> {
    insert_events(tx, std::slice::from_ref(event)).await
}

/// Timeline entries, in one statement, with the webhook deliveries they make.
pub async fn insert_events(tx: &mut Tx, events: &[NewEvent<'_>]) -> DbResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO request_events (id, request_id, at, kind, actor_kind, actor_id, actor_name, \
            organisation_id, detail, public) VALUES ",
    );
    sql.push_rows(events, |event| {
        vec![
            new_id().to_string().into(),
            event.request_id.into(),
            ts(event.at).into(),
            event.kind.into(),
            event.actor_kind.into(),
            event.actor_id.into(),
            event.actor_name.into(),
            event.organisation_id.into(),
            event.detail.into(),
            event.public.into(),
        ]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    // Issue 21: the webhook deliveries this change makes are queued with it, in the same
    // transaction, so no state change is ever reported twice or lost.
    let reported: Vec<_> = events
        .iter()
        .map(|event| super::webhooks::TimelineEvent {
            request_id: event.request_id,
            kind: event.kind,
            organisation_id: event.organisation_id,
            at: event.at,
        })
        .collect();
    super::webhooks::enqueue_for_events(tx, &reported).await?;
    Ok(())
}

/// The fingerprint of the fields the request filed with idempotency key `key` was filed with
/// (none for requests filed before it was kept). The key is what the filer holds.
pub async fn input_fingerprint_by_key(db: &Db, key: &str) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT input_fingerprint FROM requests WHERE idempotency_key = $1")
            .bind(key)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// The request an idempotency key already filed, if any.
pub async fn by_idempotency_key(db: &Db, key: &str) -> DbResult<Option<RequestRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} FROM requests r WHERE r.idempotency_key = $1"
    )))
    .bind(key)
    .fetch_optional(&db.pool)
    .await?)
}

/// A request found through one of its private links, with that link's revocation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowedRow {
    #[sqlx(flatten)]
    pub request: RequestRow,
    /// When a newer link replaced the one used, if it was.
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub link_revoked_at: Option<DateTime<Utc>>,
}

/// The applicant's view: found by the hash of a private link's token — the one sent on
/// filing or any later one (`follow_links`, see `services::links`).
pub async fn by_follow_token(db: &Db, token_hash: &str) -> DbResult<Option<FollowedRow>> {
    followed(db, token_hash, REQUEST_COLUMNS).await
}

/// The request behind the private link of `token_hash`, read with `columns` (over `r`) and the
/// link's revocation, as `T`.
async fn followed<T>(db: &Db, token_hash: &str, columns: &str) -> DbResult<Option<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, r.follow_token_revoked_at AS link_revoked_at \
            FROM requests r WHERE r.follow_token_hash = $1 \
         UNION ALL \
         SELECT {columns}, l.revoked_at AS link_revoked_at \
            FROM follow_links l JOIN requests r ON r.id = l.request_id WHERE l.token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?)
}

/// The requests filed with `email`, whatever its case (`email` lowercase), oldest first.
pub async fn by_email_in(tx: &mut Tx, email: &str) -> DbResult<Vec<RequestRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} FROM requests r WHERE lower(r.email) = $1 \
         ORDER BY r.submitted_at, r.reference"
    )))
    .bind(email)
    .fetch_all(&mut **tx)
    .await?)
}

/// What tells whether a kept view of a request is still current: its revisions, read alone.
/// Read with the same access check as the whole row it stands for.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct RequestStamp {
    pub id: RequestId,
    pub revision: i64,
    pub shared_revision: i64,
}

impl RequestRow {
    /// The revisions this row was read at.
    pub fn stamp(&self) -> RequestStamp {
        RequestStamp {
            id: self.id,
            revision: self.revision,
            shared_revision: self.shared_revision,
        }
    }
}

const STAMP_COLUMNS: &str = "r.id, r.revision, \
    (SELECT s.revision FROM shared_revision s WHERE s.id = 1) AS shared_revision";

/// A request's stamp found through one of its private links, with what decides whether the
/// link still works.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowedStamp {
    #[sqlx(flatten)]
    pub stamp: RequestStamp,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub closed_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub link_revoked_at: Option<DateTime<Utc>>,
}

/// [`by_follow_token`]'s stamp: the revisions alone, for a page that keeps what it shows.
pub async fn stamp_by_follow_token(db: &Db, token_hash: &str) -> DbResult<Option<FollowedStamp>> {
    followed(db, token_hash, &format!("{STAMP_COLUMNS}, r.closed_at")).await
}

/// [`get_for`]'s stamp: `NotFound` unless the tenant is one of the request's parties.
pub async fn stamp_for(db: &Db, scope: &Scope, id: RequestId) -> DbResult<RequestStamp> {
    as_party(db, scope, id, STAMP_COLUMNS).await
}

/// A request as seen by a tenant: `NotFound` unless the tenant is one of its parties.
pub async fn get_for(db: &Db, scope: &Scope, id: RequestId) -> DbResult<RequestRow> {
    as_party(db, scope, id, REQUEST_COLUMNS).await
}

/// The request `id` read with `columns` (over `r`) as `T`, when `scope`'s organisation is one
/// of its parties; else `NotFound`.
async fn as_party<T>(db: &Db, scope: &Scope, id: RequestId, columns: &str) -> DbResult<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM requests r \
         JOIN request_parties p ON p.request_id = r.id AND p.organisation_id = $2 \
         WHERE r.id = $1"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound)
}

pub use crate::domain::tenancy::{Assigned, Paging, QueueFilter, QueueOrder, StateFilter};

/// The urgency rank of a request `r`: 0 while in progress, 1 once finished. The same
/// expression is indexed (`requests_urgency`), so the urgent order reads the index in order.
const URGENCY: &str = "(CASE WHEN r.state IN ('done', 'closed', 'withdrawn', 'refused', 'lapsed') \
     THEN 1 ELSE 0 END)";

/// One line of the queue, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueLineRow {
    pub id: RequestId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub applicant_name: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    pub map_point: Option<String>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub submitted_at: DateTime<Utc>,
    pub assigned_to: Option<UserId>,
    /// The officer in charge, when an active case officer of the caller's organisation.
    pub assigned_name: Option<String>,
    /// The organisation coordinating the request (C-2).
    pub coordinator_id: OrganisationId,
}

/// `FROM … WHERE …` of a tenant's queue with the filters applied.
fn push_queue_from(query: &mut Sql, scope: &Scope, filter: &QueueFilter) {
    // A membership test rather than a join: the page then reads the order's index and stops
    // after its lines, whichever tenant asks.
    query
        .push(
            " FROM requests r WHERE EXISTS (SELECT 1 FROM request_parties p \
             WHERE p.request_id = r.id AND p.organisation_id = ",
        )
        .push_bind(scope.organisation_id())
        .push(")");
    match filter.state {
        StateFilter::Any => {}
        StateFilter::Open => {
            // Literal terms, the partial index `requests_open_newest`'s own (migration
            // 20261220000300): a bound value proves nothing to the planner. The codes are the
            // state machine's constants.
            for state in StateFilter::FINISHED {
                query.push(&format!(" AND r.state <> '{}'", state.code()));
            }
        }
        StateFilter::Only(state) => {
            query.push(" AND r.state = ").push_bind(state.code());
        }
    }
    if let Some(nis) = &filter.commune_nis {
        query.push(" AND r.commune_nis = ").push_bind(nis.clone());
    }
    if let Some(from) = filter.submitted_from {
        query
            .push(" AND r.submitted_at >= ")
            .push_bind(from.format("%Y-%m-%d").to_string());
    }
    if let Some(to) = filter.submitted_to {
        // Inclusive end day: everything before the next midnight.
        let next = to.succ_opt().unwrap_or(to);
        query
            .push(" AND r.submitted_at < ")
            .push_bind(next.format("%Y-%m-%d").to_string());
    }
    match &filter.assigned {
        Some(Assigned::To(user)) => {
            query
                .push(" AND r.assigned_to = ")
                .push_bind(user.to_string());
        }
        Some(Assigned::Nobody) => {
            query.push(" AND r.assigned_to IS NULL");
        }
        None => {}
    }
    if filter.no_tariff {
        // Among the parts the caller sees: all for the coordinator, its own for an operator.
        query
            .push(
                " AND EXISTS (SELECT 1 FROM assessments a \
                 WHERE a.request_id = r.id AND a.status = 'answered' AND (r.coordinator_id = ",
            )
            .push_bind(scope.organisation_id())
            .push(" OR a.organisation_id = ")
            .push_bind(scope.organisation_id())
            .push(") AND ");
        super::assessments::push_no_tariff(query);
        query.push(")");
    }
}

/// One page of a tenant's queue with the filters applied.
pub async fn queue_page(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    order: QueueOrder,
    paging: Paging,
) -> DbResult<Vec<QueueLineRow>> {
    let mut query = Sql::new(
        "SELECT r.id, r.reference, r.state, r.applicant_name, r.street, r.house_number, \
            r.postcode, r.commune_nis, r.commune_name, r.parcel_ref, r.map_point, r.submitted_at, \
            r.assigned_to, r.coordinator_id, (SELECT u.display_name FROM users u WHERE u.id = r.assigned_to \
            AND u.role = 'case_officer' AND u.active = 1 AND u.organisation_id = ",
    );
    query
        .push_bind(scope.organisation_id())
        .push(") AS assigned_name");
    push_queue_from(&mut query, scope, filter);
    match order {
        QueueOrder::Newest => query.push(" ORDER BY r.submitted_at DESC, r.reference DESC"),
        QueueOrder::Urgent => {
            query.push(&format!(" ORDER BY {URGENCY}, r.submitted_at, r.reference"))
        }
    };
    query
        .push(" LIMIT ")
        .push_count(u64::from(paging.per_page))
        .push(" OFFSET ")
        .push_count(paging.offset());
    Ok(query.query_as()?.fetch_all(&db.pool).await?)
}

/// How many requests of a tenant's queue the filters keep.
pub async fn queue_total(db: &Db, scope: &Scope, filter: &QueueFilter) -> DbResult<i64> {
    let mut query = Sql::new("SELECT COUNT(*)");
    push_queue_from(&mut query, scope, filter);
    let (total,): (i64,) = query.query_as()?.fetch_one(&db.pool).await?;
    Ok(total)
}

/// What the queue flags on some of a tenant's requests (`ids`, of which `coordinated` are the
/// ones the tenant coordinates), in one query: `(request id, flag, detail)` with flag `late`
/// (an operator's answer is overdue) and, for the coordinated ones, `lapses` (the sent offer
/// lapses by `lapse_horizon`), for a coordinator `permit` (the commune's permit needs the
/// officer; detail: its status); `no_tariff` (a part the caller sees has no tariff in force: every part of a
/// coordinated request, its own part of another). Each part starts from the page's ids, so
/// that SQLite, without statistics, reads only their rows.
pub async fn queue_flags(
    db: &Db,
    scope: &Scope,
    ids: &[RequestId],
    coordinated: &[RequestId],
    coordinator: bool,
    now: DateTime<Utc>,
    lapse_horizon: NaiveDate,
) -> DbResult<Vec<(RequestId, String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let organisation = scope.organisation_id();
    let mut query = Sql::new("");
    let push_ids = |query: &mut Sql, column: &str, ids: &[RequestId]| {
        query
            .push(" AND ")
            .push(column)
            .push(" IN ")
            .push_list(ids.iter().cloned());
    };
    // One pass over the parts of the page's requests for both of their flags.
    query.push(
        "SELECT a.request_id, CASE WHEN a.status = 'answered' THEN 'no_tariff' ELSE 'late' END \
         AS flag, NULL AS detail FROM assessments a WHERE ((COALESCE(a.status, '') = 'answered' AND ",
    );
    super::assessments::push_no_tariff(&mut query);
    if coordinated.len() < ids.len() {
        // Of a request coordinated by another, the caller's own parts only.
        query
            .push(" AND (a.organisation_id = ")
            .push_bind(organisation);
        if !coordinated.is_empty() {
            query
                .push(" OR a.request_id IN ")
                .push_list(coordinated.iter().cloned());
        }
        query.push(")");
    }
    query.push(")");
    if !coordinated.is_empty() {
        query
            .push(" OR (a.status <> 'answered' AND a.due_at < ")
            .push_bind(super::ts(now));
        push_ids(&mut query, "a.request_id", coordinated);
        query.push(")");
    }
    query.push(")");
    push_ids(&mut query, "a.request_id", ids);
    if !coordinated.is_empty() {
        query
            .push(
                " UNION ALL SELECT o.request_id, 'lapses', NULL FROM offers o \
                 WHERE COALESCE(o.status, '') = 'sent' AND o.valid_until <= ",
            )
            .push_bind(lapse_horizon.to_string());
        push_ids(&mut query, "o.request_id", coordinated);
    }
    if coordinator {
        query.push(
            " UNION ALL SELECT pm.request_id, 'permit', pm.status FROM permits pm \
             WHERE (pm.status IN ('information_requested', 'refused') \
             OR (pm.status = 'approved_with_conditions' \
             AND pm.conditions_acknowledged_at IS NULL))",
        );
        push_ids(&mut query, "pm.request_id", ids);
    }
    Ok(query.query_as()?.fetch_all(&db.pool).await?)
}

/// Puts a case officer of the coordinator in charge of one of its requests. `NotFound` when
/// the request is not the coordinator's or the officer is not one of its active case officers.
pub async fn assign(
    tx: &mut Tx,
    scope: &Scope,
    id: RequestId,
    officer: UserId,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let name: String = sqlx::query_scalar(
        "SELECT display_name FROM users WHERE id = $1 AND organisation_id = $2 \
         AND role = 'case_officer' AND active = 1",
    )
    .bind(officer)
    .bind(scope.organisation_id())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)?;
    let updated = sqlx::query(
        "UPDATE requests SET assigned_to = $3, updated_at = $4 WHERE id = $1 AND coordinator_id = $2",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .bind(officer)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(DbError::NotFound);
    }
    Ok(name)
}

/// Records (`Some`) or clears (`None`) the applicant's request for a change of the offer.
pub async fn set_change_requested(
    tx: &mut Tx,
    id: RequestId,
    at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    sqlx::query("UPDATE requests SET change_requested_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at.map(ts))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records whether the applicant pays after the works (a commune as project owner, V-8.2.1);
/// only before an offer is accepted.
pub async fn set_pays_after_works(
    tx: &mut Tx,
    scope: &Scope,
    id: RequestId,
    after_works: bool,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE requests SET pays_after_works = $3, updated_at = $4 \
         WHERE id = $1 AND coordinator_id = $2 AND state IN ('submitted', 'incomplete', 'complete', \
         'assessed', 'quoted', 'lapsed')",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .bind(i64::from(after_works))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The active case officers of the caller's organisation: (id, name).
pub async fn case_officers(db: &Db, scope: &Scope) -> DbResult<Vec<(UserId, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, display_name FROM users WHERE organisation_id = $1 AND role = 'case_officer' \
         AND active = 1 ORDER BY display_name",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// Requests whose sent offer lapses within `days` (flagged in the queue).
pub async fn offers_near_lapse(
    db: &Db,
    scope: &Scope,
    today: NaiveDate,
    days: u64,
) -> DbResult<Vec<RequestId>> {
    let horizon = today + chrono::Days::new(days);
    Ok(sqlx::query_scalar(
        "SELECT o.request_id FROM offers o JOIN requests r ON r.id = o.request_id \
         WHERE r.coordinator_id = $1 AND o.status = 'sent' AND o.valid_until <= $2",
    )
    .bind(scope.organisation_id())
    .bind(horizon.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// The coordinator's requests waiting for their joint day: every operator answered, no day
/// reserved yet, not refused or closed.
/// A request `r` of the coordinator `$1` assessed and without a joint day yet.
pub(super) const WAITING_FOR_DAY: &str = "r.coordinator_id = $1 \
     AND r.state IN ('assessed', 'quoted', 'accepted', 'ready_for_works') \
     AND NOT EXISTS (SELECT 1 FROM reservations v WHERE v.request_id = r.id)";

/// The coordinator's requests waiting for their joint day, oldest first. The backlog's other
/// reads (`*_of_waiting`) take the same transaction, so that all see one state.
pub async fn waiting_for_day(tx: &mut Tx, scope: &Scope) -> DbResult<Vec<RequestRow>> {
    fetch_of_waiting(
        tx,
        scope,
        format!(
            "SELECT {REQUEST_COLUMNS} FROM requests r WHERE {WAITING_FOR_DAY} \
             ORDER BY r.submitted_at, r.reference"
        ),
    )
    .await
}

/// The rows of `sql`, a read of the backlog whose `$1` is [`WAITING_FOR_DAY`]'s coordinator.
pub(super) async fn fetch_of_waiting<T>(tx: &mut Tx, scope: &Scope, sql: String) -> DbResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.organisation_id())
        .fetch_all(&mut **tx)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_kind: String,
    pub actor_name: Option<String>,
    /// The organisation the actor acted for, if any.
    pub organisation_name: Option<String>,
    pub detail: Option<String>,
    pub public: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub service: String,
    pub operator_name: Option<String>,
}

/// The connections of a request already authorised by the caller, with who provides them.
pub async fn services(db: &Db, request: &super::RequestAccess) -> DbResult<Vec<ServiceRow>> {
    Ok(sqlx::query_as(
        "SELECT s.service, o.name AS operator_name FROM request_services s \
         LEFT JOIN organisations o ON o.id = s.operator_id \
         WHERE s.request_id = $1 ORDER BY s.service",
    )
    .bind(request.id())
    .fetch_all(&db.pool)
    .await?)
}

/// A request read by a background worker acting for the platform (never from a user's
/// call: those go through [`get_for`] with their scope).
pub async fn get_for_worker(tx: &mut Tx, id: RequestId) -> DbResult<RequestRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} FROM requests r WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DbError::NotFound)
}

/// A request by id, for background jobs acting for the system (no tenant scope).
pub async fn get_for_worker_db(db: &Db, id: RequestId) -> DbResult<RequestRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} FROM requests r WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound)
}

impl RequestRow {
    /// The site in one line: street and number, postcode and commune, parcel, map point.
    pub fn site_line(&self) -> String {
        crate::domain::geo::site_line(
            self.street.as_deref(),
            self.house_number.as_deref(),
            &self.postcode,
            &self.commune_name,
            self.parcel_ref.as_deref(),
            self.map_point.as_deref(),
        )
    }
}

/// Holds the request's row until the transaction ends (PostgreSQL): writers that decide from
/// the request's other rows, like the last operator's answer moving it on, take turns and each
/// sees what the one before committed. SQLite's write transactions already run one at a time.
pub async fn lock_row(db: &Db, tx: &mut Tx, id: RequestId) -> DbResult<()> {
    if db.engine == super::Engine::Postgres {
        sqlx::query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The state of a request as the caller's transaction sees it now (after a guarded move found
/// it elsewhere: which move came first).
pub async fn state_in(tx: &mut Tx, id: RequestId) -> DbResult<RequestState> {
    let code: String = sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(DbError::NotFound)?;
    RequestState::try_from(code).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Moves a request from `from` to `to` if it is still in `from`; false when another change
/// came first. A move the request's life does not allow (`RequestState::may_become`) is
/// refused before any write.
pub async fn move_state(
    tx: &mut Tx,
    id: RequestId,
    from: RequestState,
    to: RequestState,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let to = from.move_to(to)?;
    // A move to a finished state starts the six months its private links have left.
    let closed_at = (!to.is_open()).then(|| ts(now));
    let updated = sqlx::query(
        "UPDATE requests SET state = $3, updated_at = $4, closed_at = $5 WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.code())
    .bind(to.code())
    .bind(ts(now))
    .bind(closed_at)
    .execute(&mut **tx)
    .await?;
    let moved = updated.rows_affected() == 1;
    // The queue's counts per state follow, in the same transaction; a request staying in its
    // state (a revised offer re-sent while quoted) counts the same.
    if moved && from != to {
        super::summaries::state_moved(tx, id, from.code(), to.code()).await?;
    }
    Ok(moved)
}

/// Who reads a request's timeline, which decides the events they see. There is no unscoped
/// reading: the applicant reads what is public, staff what their organisation may.
#[derive(Debug, Clone, Copy)]
pub enum TimelineReader<'a> {
    /// The applicant, through their private link: the public events only.
    Applicant,
    /// Staff of a tenant: the coordinator reads every event of the requests it coordinates;
    /// an operator the shared events and its own; a commune the shared events, its own and
    /// the coordinator's. Never another operator's notes or answers.
    Staff(&'a Scope),
}

/// The timeline of request `request_id` as `reader` may read it, oldest first.
pub async fn events(
    db: &Db,
    request: &super::RequestAccess,
    reader: TimelineReader<'_>,
) -> DbResult<Vec<EventRow>> {
    let query = match reader {
        TimelineReader::Applicant => sqlx::query_as(
            "SELECT e.at, e.kind, e.actor_kind, e.actor_name, o.name AS organisation_name, \
                e.detail, e.public \
             FROM request_events e LEFT JOIN organisations o ON o.id = e.organisation_id \
             WHERE e.request_id = $1 AND e.public = 1 \
             ORDER BY e.at, e.id",
        )
        .bind(request.id()),
        TimelineReader::Staff(scope) => sqlx::query_as(
            "SELECT e.at, e.kind, e.actor_kind, e.actor_name, eo.name AS organisation_name, \
                e.detail, e.public \
             FROM request_events e JOIN requests r ON r.id = e.request_id \
                LEFT JOIN organisations eo ON eo.id = e.organisation_id \
             WHERE e.request_id = $1 AND (e.organisation_id IS NULL OR e.organisation_id = $2 \
                OR r.coordinator_id = $2 \
                OR (e.organisation_id = r.coordinator_id AND EXISTS (SELECT 1 \
                    FROM organisations o WHERE o.id = $2 AND o.kind = 'municipality'))) \
             ORDER BY e.at, e.id",
        )
        .bind(request.id())
        .bind(scope.organisation_id()),
    };
    Ok(query.fetch_all(&db.pool).await?)
}

/// What the applicant, holding the private link, may have computed for them: the
/// coordinator's view of their own request (used server-side, e.g. for the joint day).
pub fn applicant_scope(request: &RequestRow) -> Scope {
    Scope::of_organisation(request.coordinator_id)
}

/// What tells an earlier servicing dossier's applicant and land apart (V-3.1).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DossierRow {
    pub reference: String,
    pub company_number: Option<String>,
    pub email: String,
    pub parcel_ref: Option<String>,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
}

/// V-3.1: the servicing requests the coordinator holds in `commune_nis`, filed before
/// `request` (so that a later request never waives the fee of the one that opened the dossier),
/// whose dossier fee was invoiced at filing or whose offer was sent (the fee was charged then,
/// accepted or not), oldest first.
/// Social projects are left out: their dossier is free (V-3.2).
pub async fn sent_servicing_dossiers<'e, E>(
    executor: E,
    scope: &Scope,
    request: &RequestRow,
) -> DbResult<Vec<DossierRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT r.reference, r.company_number, r.email, r.parcel_ref, r.street, r.house_number, \
            r.postcode \
         FROM requests r \
         WHERE r.coordinator_id = $1 AND r.commune_nis = $2 AND r.id <> $3 \
           AND (r.submitted_at < $4 OR (r.submitted_at = $4 AND r.reference < $5)) \
           AND r.servicing_operation IS NOT NULL AND r.servicing_social IS NULL \
           AND (EXISTS (SELECT 1 FROM dossier_invoices d WHERE d.request_id = r.id) \
                OR EXISTS (SELECT 1 FROM offers o WHERE o.request_id = r.id)) \
         ORDER BY r.submitted_at, r.reference",
    )
    .bind(scope.organisation_id())
    .bind(&request.commune_nis)
    .bind(request.id)
    .bind(ts(request.submitted_at))
    .bind(&request.reference)
    .fetch_all(executor)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_requests_index_covers_exactly_the_queues_open_filter() {
        let migration = include_str!("../../migrations/20261220000300_open_requests_index.sql");
        let (_, condition) = migration.rsplit_once("WHERE ").expect("a partial index");
        let terms: Vec<String> = condition
            .trim()
            .trim_end_matches(';')
            .split(" AND ")
            .map(str::to_owned)
            .collect();
        let finished: Vec<String> = StateFilter::FINISHED
            .iter()
            .map(|state| format!("state <> '{}'", state.code()))
            .collect();
        assert_eq!(terms, finished);
    }
}
