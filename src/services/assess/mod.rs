//! Fan-out: each operator involved in a request assesses its part, through a durable task
//! per operator created with the request and answered exactly once by a worker.

use chrono::{DateTime, Duration, Utc};

use crate::domain::AssessmentId;
use crate::{
    db::{
        Db, DbError, Tx,
        assessments::{self, AssessmentRow, NewVersion},
        organisations,
        requests::{self, NewEvent, RequestRow},
    },
    domain::RequestState,
    domain::retry::backoff,
    domain::{
        Building, DocumentKind, Dwelling, InputError, Service,
        servicing::{
            DossierKey, FORM_OPERATIONS, ServicingFacts, ServicingPayer, ServicingPayerInput,
            operation_code, parse_cabin, parse_metres, parse_planned_frontages, parse_social,
        },
    },
    operators::{
        self, OperatorModule, RequestFacts,
        generic::{GenericModule, PartnerOffer},
        pricing::PricedLine,
    },
    tariff::{Tariffs, VatStatus},
};

mod changes;

pub use changes::{
    ADDED_LINE_CODE, AdjustError, Adjustment, LineInput, REASON_MAX, SurveyConclusion, adjust,
    record_study, record_survey,
};

/// After this many failed attempts a task is left failed, in sight of the case officer.
pub const MAX_ATTEMPTS: i64 = 6;
/// How long a claim keeps other workers off a task; a worker that dies is replaced then.
pub const LEASE: Duration = Duration::seconds(120);

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored request is not readable: {0}")]
    Corrupt(String),
    #[error("encoding the answer: {0}")]
    Encode(#[from] serde_json::Error),
}

impl From<InputError> for AssessError {
    fn from(error: InputError) -> Self {
        AssessError::Corrupt(format!("{error:?}"))
    }
}

/// When an assessment asked at `now` falls due: the same time of day, `due_working_days`
/// working days later.
pub fn due_at(now: DateTime<Utc>, due_working_days: u32) -> DateTime<Utc> {
    let due_day =
        crate::scheduling::calendar::add_office_days(crate::clock::day_of(now), due_working_days);
    now + (due_day - crate::clock::day_of(now))
}

/// What the operator module may know of the request.
pub fn facts_of(request: &RequestRow) -> Result<RequestFacts, AssessError> {
    let building = match request.building.as_str() {
        "house" => Building::House,
        _ => Building::Apartments {
            dwellings: u32::try_from(request.dwellings)
                .map_err(|_| AssessError::Corrupt("dwellings".into()))?,
        },
    };
    let submitted_on = crate::clock::day_of(request.submitted_at);
    let dwelling = match request.dwelling_first_occupied_year {
        None => Dwelling::New,
        Some(year) => Dwelling::Existing {
            first_occupied: i32::try_from(year)
                .map_err(|_| AssessError::Corrupt(format!("first occupied {year}")))?,
        },
    };
    Ok(RequestFacts {
        applicant_kind: request.applicant_kind,
        applicant_vat: request.applicant_vat.unwrap_or_default(),
        // Known from the request's documents: see [`facts_with_dossiers`].
        exemption_proved: false,
        dwelling,
        electricity_current_band: request.electricity_current_band,
        water_work: request.water_work.unwrap_or_default(),
        water_unbilled: request.water_unbilled != 0,
        building,
        has_address: request.street.is_some() && request.house_number.is_some(),
        electricity_band: request.electricity_band,
        submitted_on,
        servicing: servicing_of(request)?,
        water_survey: request.water_survey.clone(),
    })
}

/// [`facts_of`] with what only other records tell: the dossier this applicant already
/// opened for the same land (V-3.1) and the invoice that charged this request's dossier fee at
/// filing (V-3.1) — neither fee is charged again — and whether the proof of a declared VAT
/// exemption was received (B-4.1).
pub async fn facts_with_dossiers(
    connection: &mut sqlx::AnyConnection,
    request: &RequestRow,
) -> Result<RequestFacts, AssessError> {
    let mut facts = facts_of(request)?;
    if let Some(servicing) = facts.servicing.as_mut() {
        servicing.dossier_invoice =
            crate::services::dossier_fee::reference_of(&mut *connection, request.id).await?;
        servicing.earlier_dossier = earlier_dossier(&mut *connection, request).await?;
    }
    if facts.applicant_vat == VatStatus::Exempt {
        facts.exemption_proved = crate::db::documents::has_kind(
            &mut *connection,
            request.id,
            DocumentKind::VatExemptionProof.code(),
        )
        .await?;
    }
    Ok(facts)
}

/// [`facts_with_dossiers`] read on the pool, taking a connection only when a record must be
/// read (a servicing, a declared VAT exemption).
pub async fn facts_read(
    db: &crate::db::Db,
    request: &RequestRow,
) -> Result<RequestFacts, AssessError> {
    let facts = facts_of(request)?;
    if facts.servicing.is_none() && facts.applicant_vat != VatStatus::Exempt {
        return Ok(facts);
    }
    let mut connection = db
        .pool
        .acquire()
        .await
        .map_err(|e| AssessError::Db(e.into()))?;
    facts_with_dossiers(&mut connection, request).await
}

/// V-3.1: the earliest other request by the same applicant for the same land whose dossier
/// fee was invoiced at filing or whose servicing offer was sent: its fee was charged then and stays ORES' even if that offer was never
/// accepted ("reste définitivement acquis à ORES même en cas de non viabilisation").
pub async fn earlier_dossier<'e, E>(
    executor: E,
    request: &RequestRow,
) -> Result<Option<String>, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let key_of = |company: Option<&str>,
                  email: &str,
                  parcel: Option<&str>,
                  street: Option<&str>,
                  number: Option<&str>,
                  postcode: &str| {
        DossierKey::of(company, email, parcel, street, number, postcode)
    };
    let Some(own) = key_of(
        request.company_number.as_deref(),
        &request.email,
        request.parcel_ref.as_deref(),
        request.street.as_deref(),
        request.house_number.as_deref(),
        &request.postcode,
    ) else {
        return Ok(None);
    };
    let scope = requests::applicant_scope(request);
    let earlier = requests::sent_servicing_dossiers(executor, &scope, request).await?;
    Ok(earlier
        .into_iter()
        .find(|row| {
            key_of(
                row.company_number.as_deref(),
                &row.email,
                row.parcel_ref.as_deref(),
                row.street.as_deref(),
                row.house_number.as_deref(),
                &row.postcode,
            )
            .as_ref()
                == Some(&own)
        })
        .map(|row| row.reference))
}

/// The servicing facts stored with the request, if the applicant described any (V-2.1).
fn servicing_of(request: &RequestRow) -> Result<Option<ServicingFacts>, AssessError> {
    let Some(operation) = request.servicing_operation.as_deref() else {
        return Ok(None);
    };
    let corrupt = |what: &str| AssessError::Corrupt(format!("servicing {what}"));
    let count = |value: Option<i64>, what: &str| {
        u32::try_from(value.unwrap_or(0)).map_err(|_| corrupt(what))
    };
    let operation = FORM_OPERATIONS
        .into_iter()
        .find(|op| operation_code(*op) == operation)
        .ok_or_else(|| corrupt("operation"))?;
    let frontage = parse_metres(request.servicing_frontage_m.as_deref().unwrap_or_default())
        .map_err(|_| corrupt("frontage"))?;
    let planned_frontages = match request.servicing_planned_frontages.as_deref() {
        Some(text) => parse_planned_frontages(text).map_err(|_| corrupt("planned frontages"))?,
        None => Vec::new(),
    };
    let supply_points = request
        .servicing_supply_points
        .map(u32::try_from)
        .transpose()
        .map_err(|_| corrupt("supply points"))?;
    let cabin = parse_cabin(request.servicing_cabin.as_deref().unwrap_or_default())
        .map_err(|_| corrupt("cabin"))?;
    let social = parse_social(request.servicing_social.as_deref().unwrap_or_default())
        .map_err(|_| corrupt("social promoter"))?;
    let study = request.servicing_study.clone().unwrap_or_default();
    let payer = ServicingPayer::parse(&ServicingPayerInput {
        name: request.servicing_payer_name.as_deref().unwrap_or_default(),
        address: request
            .servicing_payer_address
            .as_deref()
            .unwrap_or_default(),
        vat: request.servicing_payer_vat.as_deref().unwrap_or_default(),
        company_number: request
            .servicing_payer_company_number
            .as_deref()
            .unwrap_or_default(),
    })
    .map_err(|_| corrupt("payer"))?;
    Ok(Some(ServicingFacts {
        operation,
        frontage,
        planned_frontages,
        supply_points,
        cabin,
        social,
        study,
        earlier_dossier: None,
        dossier_invoice: None,
        payer,
        parcels: count(request.servicing_parcels, "parcels")?,
        candelabras: count(request.servicing_candelabras, "candelabras")?,
        // Requests filed before these questions were asked read as "no" and "none".
        t5387: request.servicing_t5387.unwrap_or(0) != 0,
        existing_pole_lights: count(
            request.servicing_existing_pole_lights,
            "lights on existing poles",
        )?,
    }))
}

/// Answers every task due at `now`, pricing with `tariffs` (the books in use, uploaded ones
/// included). Returns how many answers were recorded.
pub async fn assess_due(
    db: &Db,
    tariffs: &Tariffs,
    now: DateTime<Utc>,
) -> Result<usize, AssessError> {
    let mut answered = 0;
    while let Some(task) = assessments::claim_due(db, now, LEASE).await? {
        match answer(db, tariffs, &task, now).await {
            Ok(true) => answered += 1,
            Ok(false) => {}
            Err(error) => {
                let retry_at = (task.attempts < MAX_ATTEMPTS).then(|| now + backoff(task.attempts));
                tracing::warn!(task = %task.id, attempts = task.attempts, %error, "assessment failed");
                assessments::mark_failed(db, task.id, &error.to_string(), retry_at).await?;
            }
        }
    }
    Ok(answered)
}

/// Records the module's answer, the timeline event and, with the last answer, the
/// request's move to "assessed" (from "submitted" or "complete", never from "incomplete") —
/// all in one transaction. False when another worker
/// answered first.
async fn answer(
    db: &Db,
    tariffs: &Tariffs,
    task: &AssessmentRow,
    now: DateTime<Utc>,
) -> Result<bool, AssessError> {
    let mut tx = db.begin_write().await?;
    // Two instances answering the last two tasks of one request at once would each see the
    // other's still open and neither move the request on: they take turns on its row.
    requests::lock_row(db, &mut tx, task.request_id).await?;
    let request = requests::get_for_worker(&mut tx, task.request_id).await?;
    let facts = facts_with_dossiers(&mut tx, &request).await?;
    let assessment = match task.service.parse::<Service>() {
        Ok(service) => {
            let mut answer = operators::module_for(service).assess(&facts);
            match operators::pricing::price_part(tariffs, service, &facts, &request.postcode) {
                Ok(part) => {
                    answer.lines = part.lines;
                    answer.separately_quoted = part.separately_quoted;
                    answer.mentions = part.mentions;
                    // What the rules refuse is refused in writing, with its rules (B-4.4).
                    if !part.refusals.is_empty() {
                        answer.feasibility = operators::Feasibility::Refused;
                        answer.refusals = part.refusals;
                    }
                }
                Err(error) => {
                    // No book in force on the request's tariff date (V-5), or another refusal:
                    // the answer stands without lines and says why; no offer goes out without it.
                    tracing::warn!(request = %request.reference, %error, "not priced");
                    answer.unpriced = Some(operators::pricing::Unpriced::of(tariffs, &error));
                }
            }
            answer
        }
        // A partner joined by configuration: its offer drives the generic module.
        Err(_) => {
            let offer = organisations::partner_offer(&mut tx, task.organisation_id)
                .await?
                .ok_or_else(|| AssessError::Corrupt(format!("no offer for {}", task.service)))?;
            let offer =
                PartnerOffer::from_json(&offer).map_err(|e| AssessError::Corrupt(e.to_string()))?;
            GenericModule { offer }.assess(&facts)
        }
    };
    let body = serde_json::to_string(&assessment)?;
    let feasibility = assessment.feasibility.code();
    if !record_system_version(
        &mut tx,
        (task.id, task.version),
        feasibility,
        &body,
        None,
        now,
    )
    .await?
    {
        tx.rollback().await.map_err(DbError::from)?;
        return Ok(false);
    }
    let request_id = request.id;
    let organisation_id = task.organisation_id;
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "operator_assessed",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: Some(organisation_id),
            detail: Some(&task.service),
            public: false,
        },
    )
    .await?;
    // With the last answer, a request moves on from "submitted" or "complete"; one the case
    // officer found incomplete stays so until they mark it complete.
    if assessments::unanswered(&mut tx, request.id).await? == 0
        && (requests::move_state(
            &mut tx,
            request.id,
            RequestState::Submitted,
            RequestState::Assessed,
            now,
        )
        .await?
            || requests::move_state(
                &mut tx,
                request.id,
                RequestState::Complete,
                RequestState::Assessed,
                now,
            )
            .await?)
    {
        requests::insert_event(
            &mut tx,
            &NewEvent {
                request_id,
                at: now,
                kind: "assessed",
                actor_kind: "system",
                actor_id: None,
                actor_name: None,
                organisation_id: None,
                detail: None,
                public: true,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// The reason code of an answer version the system priced again once a book covered its date.
pub const PRICED_WITH_BOOK: &str = "priced_with_book";

/// Prices again every answer of `operator`'s services (ORES: electricity and gas) left
/// without a price for lack of a book in force on its tariff date (V-5) that `tariffs` now
/// covers: a new version by the system, with the engine's lines and the lines staff added
/// by hand, and a timeline event naming the book. `cause` says why (`tariff_book_uploaded`);
/// the version's reason is `cause:book`. Each answer is priced in its own write transaction;
/// one changed meanwhile by staff is read again there, so no change is lost. Parts the books
/// still do not cover stay as they are. Returns how many answers were priced.
pub async fn price_unpriced(
    db: &Db,
    tariffs: &Tariffs,
    operator: crate::tariff::Operator,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<usize, AssessError> {
    let services: Vec<&str> = Service::ALL
        .into_iter()
        .filter(|s| operators::pricing::operator_of(*s) == operator)
        .map(Service::code)
        .collect();
    let mut priced = 0;
    for id in assessments::unpriced_of_services(db, &services).await? {
        match price_one(db, tariffs, id, cause, now).await {
            Ok(true) => priced += 1,
            Ok(false) => {}
            // One answer that cannot be read does not keep the others unpriced.
            Err(error) => tracing::warn!(assessment = %id, %error, "not priced again"),
        }
    }
    Ok(priced)
}

/// [`price_unpriced`] for one answer: false when it no longer waits for a book, the books
/// still do not cover it, or another writer changed it at the same moment.
async fn price_one(
    db: &Db,
    tariffs: &Tariffs,
    id: AssessmentId,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<bool, AssessError> {
    let mut tx = db.begin_write().await?;
    let (row, mut answer) = match assessments::open_for_system_change(&mut tx, id).await {
        Ok(found) => found,
        Err(DbError::NotFound) => return Ok(false),
        Err(other) => return Err(other.into()),
    };
    let Ok(service) = row.service.parse::<Service>() else {
        return Ok(false);
    };
    // Only a part waiting for a book: another refusal of the engines is not the books' gap.
    let gap = match &answer.unpriced {
        Some(operators::pricing::Unpriced::NoBookInForce(gap)) => Some(gap.clone()),
        Some(operators::pricing::Unpriced::PricingFailed { .. }) => return Ok(false),
        None if answer.is_unpriced() => None,
        None => return Ok(false),
    };
    let request = requests::get_for_worker(&mut tx, row.request_id).await?;
    let facts = facts_with_dossiers(&mut tx, &request).await?;
    let Ok(part) = operators::pricing::price_part(tariffs, service, &facts, &request.postcode)
    else {
        // Still no book in force on its date: the answer keeps saying so.
        return Ok(false);
    };
    // The books that priced it: those its lines name, else the one in force on its date.
    let mut books: Vec<String> = part.lines.iter().map(|l| l.book_version.clone()).collect();
    books.sort();
    books.dedup();
    books.retain(|b| !b.is_empty());
    if books.is_empty()
        && let Some(book) = gap
            .as_ref()
            .and_then(|g| tariffs.books.in_force(g.operator, g.date).ok())
    {
        books.push(book.version().to_owned());
    }
    let books = books.join(", ");
    let by_hand: Vec<PricedLine> = answer
        .lines
        .drain(..)
        .filter(|line| line.code == ADDED_LINE_CODE)
        .collect();
    answer.lines = part.lines.into_iter().chain(by_hand).collect();
    answer.separately_quoted = part.separately_quoted;
    answer.mentions = part.mentions;
    answer.unpriced = None;
    answer
        .reasons
        .retain(|r| r != operators::LEGACY_UNPRICED_REASON);
    let body = serde_json::to_string(&answer)?;
    let reason = format!("{cause}:{books}");
    let feasibility = answer.feasibility.code();
    let reason = Some(reason.as_str());
    if !record_system_version(
        &mut tx,
        (row.id, row.version),
        feasibility,
        &body,
        reason,
        now,
    )
    .await?
    {
        tx.rollback().await.map_err(DbError::from)?;
        return Ok(false);
    }
    let detail = format!("{} {books}", row.service);
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id: row.request_id,
            at: now,
            kind: PRICED_WITH_BOOK,
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: Some(row.organisation_id),
            detail: Some(&detail),
            public: false,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// Records `body` as the system's next version of an answer read at `version`. False when
/// someone recorded another version meanwhile (the caller rolls back and leaves it to them).
async fn record_system_version(
    tx: &mut Tx,
    (assessment_id, version): (AssessmentId, i64),
    feasibility: &str,
    body: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, AssessError> {
    let new = NewVersion {
        feasibility,
        body,
        actor_kind: "system",
        actor_id: None,
        reason,
    };
    match assessments::record_version(tx, assessment_id, version, &new, now).await {
        Ok(_) => Ok(true),
        Err(DbError::Conflict(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}
