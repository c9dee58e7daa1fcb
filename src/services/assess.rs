//! Fan-out: each operator involved in a request assesses its part, through a durable task
//! per operator created with the request and answered exactly once by a worker.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{
    db::{
        self, Db, DbError, Tx,
        assessments::{self, AssessmentRow, NewVersion},
        organisations,
        requests::{self, NewEvent, RequestRow},
    },
    domain::RequestState,
    domain::retry::backoff,
    domain::{
        ApplicantKind, Building, DocumentKind, Dwelling, ElectricityBand, InputError, Service,
        servicing::{
            DossierKey, FORM_OPERATIONS, ServicingFacts, ServicingPayer, ServicingPayerInput,
            ServicingStudy, operation_code, parse_cabin, parse_metres, parse_planned_frontages,
            parse_social,
        },
        survey::{WaterSurvey, WaterWork},
    },
    operators::{
        self, OperatorModule, RequestFacts,
        generic::{GenericModule, PartnerOffer},
        pricing::PricedLine,
        refusal::{self, Refusal},
    },
    state::AppState,
    tariff::{Tariffs, VatRegime, VatStatus, money, round_cents, servicing::Operation},
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

/// Creates, inside the filing transaction, one task per operator serving the request.
pub async fn create_tasks(
    tx: &mut Tx,
    request_id: Uuid,
    operators: &[(Uuid, String)],
    now: DateTime<Utc>,
    due_working_days: u32,
) -> Result<(), DbError> {
    // The same time of day, `due_working_days` working days later.
    let due_day =
        crate::scheduling::calendar::add_office_days(crate::clock::day_of(now), due_working_days);
    let due_at = now + (due_day - crate::clock::day_of(now));
    assessments::create_all(tx, request_id, operators, now, due_at).await?;
    Ok(())
}

/// What the operator module may know of the request.
pub fn facts_of(request: &RequestRow) -> Result<RequestFacts, AssessError> {
    let applicant_kind = match request.applicant_kind.as_str() {
        "legal" => ApplicantKind::Legal,
        _ => ApplicantKind::Natural,
    };
    let building = match request.building.as_str() {
        "house" => Building::House,
        _ => Building::Apartments {
            dwellings: u32::try_from(request.dwellings)
                .map_err(|_| AssessError::Corrupt("dwellings".into()))?,
        },
    };
    let electricity_band = request
        .electricity_band
        .as_deref()
        .map(ElectricityBand::parse)
        .transpose()?;
    let submitted_on = crate::clock::day_of(db::parse_ts(&request.submitted_at)?);
    let applicant_vat = match request.applicant_vat.as_deref() {
        None => VatStatus::Private,
        Some("vat_filer") => VatStatus::VatFiler,
        Some("exempt") => VatStatus::Exempt,
        Some(other) => return Err(AssessError::Corrupt(format!("applicant VAT {other:?}"))),
    };
    let dwelling = match request.dwelling_first_occupied_year {
        None => Dwelling::New,
        Some(year) => Dwelling::Existing {
            first_occupied: i32::try_from(year)
                .map_err(|_| AssessError::Corrupt(format!("first occupied {year}")))?,
        },
    };
    let electricity_current_band = request
        .electricity_current_band
        .as_deref()
        .map(ElectricityBand::parse)
        .transpose()?;
    let water_work = match request.water_work.as_deref() {
        None => WaterWork::New,
        Some(code) => WaterWork::from_code(code)
            .ok_or_else(|| AssessError::Corrupt(format!("water work {code:?}")))?,
    };
    Ok(RequestFacts {
        applicant_kind,
        applicant_vat,
        // Known from the request's documents: see [`facts_with_dossiers`].
        exemption_proved: false,
        dwelling,
        electricity_current_band,
        water_work,
        water_unbilled: request.water_unbilled != 0,
        building,
        has_address: request.street.is_some() && request.house_number.is_some(),
        electricity_band,
        submitted_on,
        servicing: servicing_of(request)?,
        water_survey: request
            .water_survey
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AssessError::Corrupt(format!("water survey: {e}")))?,
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
            crate::services::dossier_fee::reference_of(&mut *connection, &request.id).await?;
        servicing.earlier_dossier = earlier_dossier(&mut *connection, request).await?;
    }
    if facts.applicant_vat == VatStatus::Exempt {
        facts.exemption_proved = crate::db::documents::has_kind(
            &mut *connection,
            &request.id,
            DocumentKind::VatExemptionProof.code(),
        )
        .await?;
    }
    Ok(facts)
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
    let scope = requests::applicant_scope(request)?;
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
    let study = match request.servicing_study.as_deref() {
        Some(json) => serde_json::from_str(json).map_err(|_| corrupt("study"))?,
        None => ServicingStudy::default(),
    };
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
                assessments::mark_failed(db, &task.id, &error.to_string(), retry_at).await?;
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
    requests::lock_row(db, &mut tx, &task.request_id).await?;
    let request = requests::get_for_worker(&mut tx, &task.request_id).await?;
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
            let offer = organisations::partner_offer(&mut tx, &task.organisation_id)
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
        (&task.id, task.version),
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
    let request_id = db::parse_uuid(&request.id)?;
    let organisation_id = db::parse_uuid(&task.organisation_id)?;
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
    if assessments::unanswered(&mut tx, &request.id).await? == 0
        && (requests::move_state(
            &mut tx,
            &request.id,
            RequestState::Submitted,
            RequestState::Assessed,
            now,
        )
        .await?
            || requests::move_state(
                &mut tx,
                &request.id,
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
        match price_one(db, tariffs, &id, cause, now).await {
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
    id: &str,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<bool, AssessError> {
    let mut tx = db.begin_write().await?;
    let (row, body) = match assessments::open_for_system_change(&mut tx, id).await {
        Ok(found) => found,
        Err(DbError::NotFound) => return Ok(false),
        Err(other) => return Err(other.into()),
    };
    let Ok(service) = row.service.parse::<Service>() else {
        return Ok(false);
    };
    let mut answer: operators::Assessment = serde_json::from_str(&body)?;
    // Only a part waiting for a book: another refusal of the engines is not the books' gap.
    let gap = match &answer.unpriced {
        Some(operators::pricing::Unpriced::NoBookInForce(gap)) => Some(gap.clone()),
        Some(operators::pricing::Unpriced::PricingFailed { .. }) => return Ok(false),
        None if answer.is_unpriced() => None,
        None => return Ok(false),
    };
    let request = requests::get_for_worker(&mut tx, &row.request_id).await?;
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
        (&row.id, row.version),
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
            request_id: db::parse_uuid(&row.request_id)?,
            at: now,
            kind: PRICED_WITH_BOOK,
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: Some(db::parse_uuid(&row.organisation_id)?),
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
    (assessment_id, version): (&str, i64),
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

/// A change operator staff make to their own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    /// A prerequisite is fulfilled (by its code).
    PrerequisiteMet(String),
    /// Not feasible: refused with a written reason under a rule (B-4.4).
    Refuse {
        rule: String,
        reason: String,
    },
    /// A note to the case officer, kept in the answer and the timeline.
    Note(String),
    /// A priced line corrected after the survey, with the reason.
    EditLine {
        index: usize,
        quantity: Decimal,
        unit_price: Decimal,
        reason: String,
    },
    /// A line the books do not price (extra work found on site), with the reason.
    AddLine {
        label: String,
        quantity: Decimal,
        unit_price: Decimal,
        regime: VatRegime,
        reason: String,
    },
    RemoveLine {
        index: usize,
        reason: String,
    },
}

/// The line fields of the adjustment form, as typed.
#[derive(Debug, Clone, Default)]
pub struct LineInput<'a> {
    pub line: &'a str,
    pub label: &'a str,
    pub quantity: &'a str,
    pub unit_price: &'a str,
    pub vat: &'a str,
}

/// A non-negative decimal typed with a comma or a point.
fn amount(raw: &str) -> Result<Decimal, AdjustError> {
    let value: Decimal = raw
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| AdjustError::Invalid(InputError::Number))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(AdjustError::Negative);
    }
    Ok(value)
}

/// Largest quantity on a line staff edit or add: metres, pieces, or the euros a markup applies
/// to (B-5.2). With prices bounded like a book's, no amount leaves the decimal range.
pub const MAX_LINE_QUANTITY: u32 = 1_000_000;

/// A quantity or unit price typed on a line, at most `max`.
fn bounded(raw: &str, max: u32, field: &'static str) -> Result<Decimal, AdjustError> {
    let value = amount(raw)?;
    if value > Decimal::from(max) {
        return Err(AdjustError::TooLarge { field, max });
    }
    Ok(value)
}

fn quantity(raw: &str) -> Result<Decimal, AdjustError> {
    bounded(raw, MAX_LINE_QUANTITY, "quantity")
}

fn unit_price(raw: &str) -> Result<Decimal, AdjustError> {
    bounded(raw, crate::tariff::book::MAX_PRICE_EUR, "unit_price")
}

/// The code of a line staff added by hand: kept when the engine prices a part again.
pub const ADDED_LINE_CODE: &str = "ADJ";

/// Longest reason or note operator staff may write.
pub const REASON_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    #[error("no such assessment for this organisation")]
    NotFound,
    #[error("invalid input: {0}")]
    Invalid(InputError),
    #[error("unknown action")]
    UnknownAction,
    #[error("this prerequisite is not part of the answer")]
    UnknownPrerequisite,
    #[error("this line is not part of the answer")]
    UnknownLine,
    #[error("quantities and prices cannot be negative")]
    Negative,
    /// `field` is `quantity` or `unit_price`.
    #[error("the {field} of a line cannot be more than {max}")]
    TooLarge { field: &'static str, max: u32 },
    #[error("the answer has not been produced yet")]
    NotAnswered,
    #[error("the answer changed meanwhile")]
    Stale,
    #[error("this part prices no servicing of land")]
    NoServicing,
    #[error("only the water part takes a survey")]
    NoSurvey,
    #[error("the rules refuse the connection as measured")]
    EngineRefused(Vec<Refusal>),
    /// B-4.4: every refusal is in writing with its reasons.
    #[error("a refusal needs its written reason (rule B-4.4)")]
    RefusalWithoutReason,
    /// The part cannot be priced again: no book in force on its tariff date (V-5), say. Nothing
    /// is saved; the answer keeps its lines.
    #[error("the part cannot be priced")]
    Unpriced(operators::pricing::Unpriced),
    /// The applicant's VAT position does not allow this regime (reverse charge for a VAT
    /// filer only, 6% for a dwelling of 10 years or more, exempt once proved: B-4.1).
    #[error("the applicant's VAT position does not allow the {0:?} regime")]
    RegimeNotAllowed(VatRegime),
    #[error(transparent)]
    Db(DbError),
    #[error("stored answer is not readable: {0}")]
    Corrupt(String),
}

impl From<DbError> for AdjustError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => AdjustError::NotFound,
            DbError::Conflict(_) => AdjustError::Stale,
            other => AdjustError::Db(other),
        }
    }
}

impl Adjustment {
    /// Parses the form: `action` with its `code` (a prerequisite's, or the rule a refusal
    /// names: B-4.4 when none) or `text`.
    pub fn parse(
        action: &str,
        code: &str,
        text: &str,
        line: &LineInput<'_>,
    ) -> Result<Self, AdjustError> {
        let reason =
            || crate::domain::error::required_text(text, REASON_MAX).map_err(AdjustError::Invalid);
        let index = || {
            line.line
                .trim()
                .parse::<usize>()
                .map_err(|_| AdjustError::UnknownLine)
        };
        match action {
            "edit_line" => Ok(Adjustment::EditLine {
                index: index()?,
                quantity: quantity(line.quantity)?,
                unit_price: unit_price(line.unit_price)?,
                reason: reason()?,
            }),
            "add_line" => Ok(Adjustment::AddLine {
                label: crate::domain::error::required_text(line.label, 200)
                    .map_err(AdjustError::Invalid)?,
                quantity: quantity(line.quantity)?,
                unit_price: unit_price(line.unit_price)?,
                regime: match line.vat.trim() {
                    "" => VatRegime::Standard,
                    code => VatRegime::ALL
                        .into_iter()
                        .find(|regime| regime.code() == code && *regime != VatRegime::NotSubject)
                        .ok_or(AdjustError::Invalid(InputError::Choice))?,
                },
                reason: reason()?,
            }),
            "remove_line" => Ok(Adjustment::RemoveLine {
                index: index()?,
                reason: reason()?,
            }),
            "prerequisite_met" if !code.trim().is_empty() => {
                Ok(Adjustment::PrerequisiteMet(code.trim().to_owned()))
            }
            "prerequisite_met" => Err(AdjustError::UnknownPrerequisite),
            "refuse" => {
                let rule = match code.trim() {
                    "" => refusal::WRITTEN_REFUSAL_RULE,
                    rule => refusal::STAFF_RULES
                        .into_iter()
                        .find(|known| *known == rule)
                        .ok_or(AdjustError::Invalid(InputError::Choice))?,
                };
                let reason = match crate::domain::error::required_text(text, REASON_MAX) {
                    Err(InputError::Required) => return Err(AdjustError::RefusalWithoutReason),
                    other => other.map_err(AdjustError::Invalid)?,
                };
                Ok(Adjustment::Refuse {
                    rule: rule.to_owned(),
                    reason,
                })
            }
            "note" => Ok(Adjustment::Note(
                crate::domain::error::required_text(text, REASON_MAX)
                    .map_err(AdjustError::Invalid)?,
            )),
            _ => Err(AdjustError::UnknownAction),
        }
    }

    /// A change of the priced lines (which the case officer may make too).
    pub fn is_line_change(&self) -> bool {
        matches!(
            self,
            Adjustment::EditLine { .. }
                | Adjustment::AddLine { .. }
                | Adjustment::RemoveLine { .. }
        )
    }

    fn event_kind(&self) -> &'static str {
        match self {
            Adjustment::PrerequisiteMet(_) => "prerequisite_met",
            Adjustment::Refuse { .. } => "operator_refused",
            Adjustment::Note(_) => "operator_note",
            Adjustment::EditLine { .. }
            | Adjustment::AddLine { .. }
            | Adjustment::RemoveLine { .. } => "operator_lines_changed",
        }
    }

    /// Applies the change to an answer, refusing what does not fit it.
    pub fn apply(&self, answer: &mut operators::Assessment) -> Result<(), AdjustError> {
        match self {
            Adjustment::PrerequisiteMet(code) => {
                let prerequisite = answer
                    .prerequisites
                    .iter_mut()
                    .find(|p| &p.code == code)
                    .ok_or(AdjustError::UnknownPrerequisite)?;
                prerequisite.met = true;
            }
            Adjustment::Refuse { rule, reason } => {
                answer.feasibility = operators::Feasibility::Refused;
                answer.note = Some(reason.clone());
                answer.refusals = vec![Refusal::written(rule, reason)];
            }
            Adjustment::Note(note) => answer.note = Some(note.clone()),
            Adjustment::EditLine {
                index,
                quantity,
                unit_price,
                ..
            } => {
                let line = answer
                    .lines
                    .get_mut(*index)
                    .ok_or(AdjustError::UnknownLine)?;
                line.quantity = *quantity;
                line.unit_price = *unit_price;
                reprice(line)?;
            }
            Adjustment::AddLine {
                label,
                quantity,
                unit_price,
                regime,
                ..
            } => {
                let book_version = answer
                    .lines
                    .first()
                    .map(|l| l.book_version.clone())
                    .unwrap_or_default();
                let mut line = PricedLine::charge(
                    ADDED_LINE_CODE.to_owned(),
                    "assessment.custom_line".to_owned(),
                    [("label".to_owned(), label.clone())].into(),
                    *quantity,
                    "piece".to_owned(),
                    *unit_price,
                    regime.code().to_owned(),
                    regime.rate(),
                    // A change of the offer is priced when it is made (V-8.3).
                    "V-8.3".to_owned(),
                    book_version,
                );
                reprice(&mut line)?;
                answer.lines.push(line);
            }
            Adjustment::RemoveLine { index, .. } => {
                if *index >= answer.lines.len() {
                    return Err(AdjustError::UnknownLine);
                }
                answer.lines.remove(*index);
            }
        }
        Ok(())
    }
}

/// Amount and VAT of a changed line, each rounded to the cent half away from zero. Checked:
/// a stored line outside the bounds of the form is refused rather than overflowing.
fn reprice(line: &mut PricedLine) -> Result<(), AdjustError> {
    let amount = money::mul(line.quantity, line.unit_price).map(round_cents);
    let vat = amount.and_then(|amount| money::percent_of(amount, line.vat_rate).map(round_cents));
    match (amount, vat) {
        (Ok(amount), Ok(vat)) => {
            line.amount_excl_vat = amount;
            line.vat_amount = vat;
            Ok(())
        }
        _ => Err(AdjustError::TooLarge {
            field: "quantity",
            max: MAX_LINE_QUANTITY,
        }),
    }
}

/// Records a staff change as a new version of their own answer, with the timeline event.
/// `expected_version` is the version the staff member saw: a change made meanwhile by
/// somebody else is refused rather than overwritten.
pub async fn adjust(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: &str,
    expected_version: i64,
    change: &Adjustment,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let mut tx = db.begin_write().await?;
    let (row, body) = match assessments::own_for_change(&mut tx, &user.scope(), assessment_id).await
    {
        Ok(found) => found,
        // The case officer corrects lines of any operator before the offer goes out; the
        // operator's own decisions (prerequisites, refusal) stay the operator's.
        Err(DbError::NotFound) if change.is_line_change() && user.role == "case_officer" => {
            assessments::coordinated_for_change(&mut tx, &user.scope(), assessment_id).await?
        }
        Err(other) => return Err(other.into()),
    };
    if row.status != "answered" {
        return Err(AdjustError::NotAnswered);
    }
    if row.version != expected_version {
        return Err(AdjustError::Stale);
    }
    if let Adjustment::AddLine { regime, .. } = change {
        let request = requests::get_for_worker(&mut tx, &row.request_id).await?;
        let facts = facts_with_dossiers(&mut tx, &request)
            .await
            .map_err(|e| AdjustError::Corrupt(e.to_string()))?;
        if !operators::staff_line_regimes(&facts, &row.service).contains(regime) {
            return Err(AdjustError::RegimeNotAllowed(*regime));
        }
    }
    let mut answer: operators::Assessment =
        serde_json::from_str(&body).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    change.apply(&mut answer)?;
    let reason = match change {
        Adjustment::PrerequisiteMet(code) => code.as_str(),
        Adjustment::Refuse { reason: text, .. } | Adjustment::Note(text) => text.as_str(),
        Adjustment::EditLine { reason, .. }
        | Adjustment::AddLine { reason, .. }
        | Adjustment::RemoveLine { reason, .. } => reason.as_str(),
    };
    let version = record_staff_change(
        &mut tx,
        &row,
        user,
        &answer,
        change.event_kind(),
        reason,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

/// The caller's own answered answer of `service`, as the version they saw; `wrong` when it is
/// another service's.
async fn open_own_answer(
    tx: &mut Tx,
    user: &crate::db::sessions::SessionUser,
    assessment_id: &str,
    expected_version: i64,
    service: Service,
    wrong: AdjustError,
) -> Result<(AssessmentRow, String), AdjustError> {
    let (row, body) = assessments::own_for_change(tx, &user.scope(), assessment_id).await?;
    if row.service != service.code() {
        return Err(wrong);
    }
    if row.status != "answered" {
        return Err(AdjustError::NotAnswered);
    }
    if row.version != expected_version {
        return Err(AdjustError::Stale);
    }
    Ok((row, body))
}

/// SWDE records its survey (B-5.1): the water part is priced from the measured route, with
/// the extension beyond 50 m (B-4.2, B-11) and the quote-parts of earlier holders (B-10); the
/// lines staff added by hand stay. The survey prerequisite is met with it.
///
/// A survey may conclude "not feasible" (B-5.1, `conclusion`): the part is then refused in
/// writing (B-4.4) with the rules' reasons for the route measured, or else with SWDE's
/// written `reason` under B-5.1. Without that conclusion, a route the rules refuse is not
/// recorded: the refusal says why, so a mistyped length is not taken for a refusal.
#[allow(clippy::too_many_arguments)]
pub async fn record_survey(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: &str,
    expected_version: i64,
    survey: &WaterSurvey,
    conclusion: SurveyConclusion,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let tariffs = &*crate::services::books::current(state).await?;
    let mut tx = db.begin_write().await?;
    let (row, body) = open_own_answer(
        &mut tx,
        user,
        assessment_id,
        expected_version,
        Service::Water,
        AdjustError::NoSurvey,
    )
    .await?;
    let mut request = requests::get_for_worker(&mut tx, &row.request_id).await?;
    let json = serde_json::to_string(survey).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    requests::set_water_survey(&mut tx, &request.id, &json).await?;
    request.water_survey = Some(json);
    let mut facts = facts_of(&request).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    // The shares as of today; the offer computes them again on its own date (B-10).
    if let Some(survey) = facts.water_survey.as_mut() {
        survey.shares_on(crate::clock::day_of(now));
    }
    let part = operators::pricing::price_part(tariffs, Service::Water, &facts, &request.postcode)
        .map_err(|e| AdjustError::Unpriced(operators::pricing::Unpriced::of(tariffs, &e)))?;
    // What the rules refuse is SWDE's written refusal to make, not a silent empty price.
    if !part.refusals.is_empty() && conclusion == SurveyConclusion::Feasible {
        return Err(AdjustError::EngineRefused(part.refusals));
    }
    let mut answer: operators::Assessment =
        serde_json::from_str(&body).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    let by_hand: Vec<PricedLine> = answer
        .lines
        .drain(..)
        .filter(|line| line.code == ADDED_LINE_CODE)
        .collect();
    answer.lines = part.lines.into_iter().chain(by_hand).collect();
    answer.separately_quoted = part.separately_quoted;
    answer.mentions = part.mentions;
    // The survey settles the distance (B-4.2): an extension comes first, said in writing.
    answer
        .reasons
        .retain(|r| r != "distance_to_main_to_survey" && r != "water_extension_needed");
    if survey.needs_extension() {
        answer.reasons.push("water_extension_needed".to_owned());
        if answer.feasibility == operators::Feasibility::Feasible {
            answer.feasibility = operators::Feasibility::FeasibleWithExtension;
        }
    } else if answer.feasibility == operators::Feasibility::FeasibleWithExtension {
        answer.feasibility = operators::Feasibility::Feasible;
    }
    // What the survey found may change what SWDE asks (B-5.2: the new-dwelling subsidy of an
    // extension is proved by the building permit): asked afresh, what was met stays met.
    let mut asked = operators::module_for(Service::Water)
        .assess(&facts)
        .prerequisites;
    for prerequisite in &mut asked {
        prerequisite.met = answer
            .prerequisites
            .iter()
            .any(|p| p.code == prerequisite.code && p.met);
    }
    answer.prerequisites = asked;
    if let Some(done) = answer.prerequisites.iter_mut().find(|p| p.code == "survey") {
        done.met = true;
    }
    let kind = match conclusion {
        SurveyConclusion::Feasible => "water_survey",
        SurveyConclusion::NotFeasible => {
            answer.feasibility = operators::Feasibility::Refused;
            answer.note = Some(reason.to_owned());
            answer.refusals = if part.refusals.is_empty() {
                vec![Refusal::written("B-5.1", reason)]
            } else {
                part.refusals
            };
            "operator_refused"
        }
    };
    let version = record_staff_change(&mut tx, &row, user, &answer, kind, reason, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

/// What SWDE's survey concludes (B-5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyConclusion {
    Feasible,
    /// Not feasible, in writing: the water part is refused.
    NotFeasible,
}

/// The study with the applicant's change of lots checked (V-2.1, V-4.1c) and dated: a new lot
/// count is a modification priced at the tariffs in force that day (V-8.3); the same count as
/// filed is no change; an unchanged count keeps the date of the earlier change.
fn dated_change(
    filed: &ServicingFacts,
    study: &ServicingStudy,
    today: chrono::NaiveDate,
) -> Result<ServicingStudy, AdjustError> {
    let mut study = study.clone();
    study.parcels = study.parcels.filter(|n| *n != filed.parcels);
    study.modified_on = match study.parcels {
        None => None,
        Some(n) => {
            let divided = matches!(filed.operation, Operation::Division | Operation::Donation);
            if divided && n < 2 {
                return Err(AdjustError::Invalid(InputError::ServicingParcels));
            }
            if filed.planned_frontages.len() > n as usize {
                return Err(AdjustError::Invalid(InputError::PlannedFrontagesTooMany {
                    parcels: n,
                }));
            }
            if filed.study.parcels == Some(n) {
                filed.study.modified_on.or(Some(today))
            } else {
                Some(today)
            }
        }
    };
    Ok(study)
}

/// A staff member's new version of an answer and its line in the timeline.
async fn record_staff_change(
    tx: &mut Tx,
    row: &AssessmentRow,
    user: &crate::db::sessions::SessionUser,
    answer: &operators::Assessment,
    kind: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let body = serde_json::to_string(answer).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    let version = assessments::record_version(
        tx,
        &row.id,
        row.version,
        &NewVersion {
            feasibility: answer.feasibility.code(),
            body: &body,
            actor_kind: if user.api_key.is_some() {
                "api_key"
            } else {
                "staff"
            },
            actor_id: Some(user.user_id),
            reason: Some(reason),
        },
        now,
    )
    .await?;
    requests::insert_event(
        tx,
        &NewEvent::staff_note(
            db::parse_uuid(&row.request_id)?,
            now,
            kind,
            user,
            Some(reason),
        ),
    )
    .await?;
    Ok(version)
}

/// ORES electricity records its study of a servicing (V-9.2 PFext and cabin surface, V-4.2
/// surcharge, V-4.1d exclusions): the servicing lines are priced again with it, the other
/// lines stay as they are, in a new version of its answer.
#[allow(clippy::too_many_arguments)]
pub async fn record_study(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: &str,
    expected_version: i64,
    study: &ServicingStudy,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let tariffs = &*crate::services::books::current(state).await?;
    let mut tx = db.begin_write().await?;
    let (row, body) = open_own_answer(
        &mut tx,
        user,
        assessment_id,
        expected_version,
        Service::Electricity,
        AdjustError::NoServicing,
    )
    .await?;
    let request = requests::get_for_worker(&mut tx, &row.request_id).await?;
    let mut facts = facts_with_dossiers(&mut tx, &request)
        .await
        .map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    let servicing = facts.servicing.as_mut().ok_or(AdjustError::NoServicing)?;
    servicing.study = dated_change(servicing, study, crate::clock::day_of(now))?;
    let json =
        serde_json::to_string(&servicing.study).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    requests::set_servicing_study(&mut tx, &request.id, &json).await?;
    let part =
        operators::pricing::price_part(tariffs, Service::Electricity, &facts, &request.postcode)
            .map_err(|e| AdjustError::Unpriced(operators::pricing::Unpriced::of(tariffs, &e)))?;
    let mut answer: operators::Assessment =
        serde_json::from_str(&body).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    // The servicing document is priced anew; the connection's lines keep staff's changes.
    let kept: Vec<PricedLine> = answer
        .lines
        .drain(..)
        .filter(|line| !line.code.starts_with("V-"))
        .collect();
    answer.lines = part
        .lines
        .into_iter()
        .filter(|line| line.code.starts_with("V-"))
        .chain(kept)
        .collect();
    answer.separately_quoted = part.separately_quoted;
    answer.mentions = part.mentions;
    // V-8.6: land under overhead lines takes six months more; the study says so.
    answer.lead_time = operators::module_for(Service::Electricity)
        .assess(&facts)
        .lead_time;
    let version =
        record_staff_change(&mut tx, &row, user, &answer, "servicing_study", reason, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::Service, operators::module_for};

    #[test]
    fn v_8_3_a_change_of_lots_is_dated_once_and_checked() {
        use crate::domain::servicing::ServicingInput;
        let mut filed = ServicingFacts::parse(&ServicingInput {
            operation: "division",
            frontage_m: "120",
            parcels: "6",
            ..ServicingInput::default()
        })
        .unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
        let lots = |n: Option<u32>| ServicingStudy {
            parcels: n,
            ..ServicingStudy::default()
        };
        // The lots of the request are no change.
        let same = dated_change(&filed, &lots(Some(6)), day(1)).unwrap();
        assert_eq!((same.parcels, same.modified_on), (None, None));
        let changed = dated_change(&filed, &lots(Some(8)), day(1)).unwrap();
        assert_eq!(
            (changed.parcels, changed.modified_on),
            (Some(8), Some(day(1)))
        );
        // Saving the study again later keeps the day of the change; a new count is a new change.
        filed.study = changed;
        let again = dated_change(&filed, &lots(Some(8)), day(9)).unwrap();
        assert_eq!(again.modified_on, Some(day(1)));
        let more = dated_change(&filed, &lots(Some(10)), day(9)).unwrap();
        assert_eq!(more.modified_on, Some(day(9)));
        // V-2.1: a division keeps at least two lots.
        assert!(matches!(
            dated_change(&filed, &lots(Some(1)), day(9)),
            Err(AdjustError::Invalid(InputError::ServicingParcels))
        ));
    }

    fn water_answer() -> operators::Assessment {
        let facts = RequestFacts {
            electricity_band: None,
            ..crate::operators::tests::facts()
        };
        module_for(Service::Water).assess(&facts)
    }

    #[test]
    fn b_4_4_a_refusal_needs_a_written_reason_and_keeps_its_rule() {
        assert!(matches!(
            Adjustment::parse("refuse", "", "   ", &LineInput::default()),
            Err(AdjustError::RefusalWithoutReason)
        ));
        // Only a rule that may refuse a part is named; none is the refusal in writing (B-4.4).
        assert!(matches!(
            Adjustment::parse("refuse", "Z-9", "Motif", &LineInput::default()),
            Err(AdjustError::Invalid(InputError::Choice))
        ));
        let refusal =
            Adjustment::parse("refuse", "", "Conduite à 80 m", &LineInput::default()).unwrap();
        let mut answer = water_answer();
        refusal.apply(&mut answer).unwrap();
        assert_eq!(answer.feasibility, operators::Feasibility::Refused);
        assert_eq!(answer.note.as_deref(), Some("Conduite à 80 m"));
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.4", "Conduite à 80 m")]
        );
        Adjustment::parse("refuse", "B-4.1", "Titre illisible", &LineInput::default())
            .unwrap()
            .apply(&mut answer)
            .unwrap();
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.1", "Titre illisible")]
        );
    }

    #[test]
    fn b_4_4_an_answer_refused_before_rules_were_kept_reads_as_a_written_refusal() {
        let mut stored = serde_json::to_value(water_answer()).unwrap();
        stored["feasibility"] = "refused".into();
        stored["note"] = "Conduite à 80 m".into();
        let answer: operators::Assessment = serde_json::from_value(stored).unwrap();
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.4", "Conduite à 80 m")]
        );
        assert!(water_answer().refusals().is_empty());
    }

    #[test]
    fn only_a_prerequisite_of_the_answer_can_be_met() {
        let mut answer = water_answer();
        let unknown = Adjustment::parse(
            "prerequisite_met",
            "situation_plan",
            "",
            &LineInput::default(),
        )
        .unwrap();
        assert!(matches!(
            unknown.apply(&mut answer),
            Err(AdjustError::UnknownPrerequisite)
        ));
        Adjustment::parse("prerequisite_met", "certibeau", "", &LineInput::default())
            .unwrap()
            .apply(&mut answer)
            .unwrap();
        assert!(
            answer
                .prerequisites
                .iter()
                .any(|p| p.code == "certibeau" && p.met)
        );
        assert!(matches!(
            Adjustment::parse("delete_everything", "", "", &LineInput::default()),
            Err(AdjustError::UnknownAction)
        ));
    }

    #[test]
    fn overlong_notes_are_refused() {
        let long = "x".repeat(REASON_MAX + 1);
        assert!(matches!(
            Adjustment::parse("note", "", &long, &LineInput::default()),
            Err(AdjustError::Invalid(InputError::TooLong { .. }))
        ));
    }

    fn priced_water() -> operators::Assessment {
        let mut answer = water_answer();
        let facts = RequestFacts {
            electricity_band: None,
            ..crate::operators::tests::facts()
        };
        answer.lines =
            operators::pricing::price(Tariffs::embedded(), Service::Water, &facts, "5000").unwrap();
        answer
    }

    fn line_input<'a>(line: &'a str, quantity: &'a str, unit_price: &'a str) -> LineInput<'a> {
        LineInput {
            line,
            label: "Traversée de trottoir",
            quantity,
            unit_price,
            vat: "standard",
        }
    }

    #[test]
    fn b_5_5_a_corrected_line_is_repriced_to_the_cent_with_its_vat() {
        let mut answer = priced_water();
        let change = Adjustment::parse(
            "edit_line",
            "",
            "Métré : 3,5 m de plus",
            &line_input("0", "3", "16,665"),
        )
        .unwrap();
        change.apply(&mut answer).unwrap();
        let line = &answer.lines[0];
        // 3 × 16.665 = 49.995 → 50.00; VAT 21 % of 50.00 = 10.50.
        assert_eq!(line.amount_excl_vat, Decimal::new(5000, 2));
        assert_eq!(line.vat_amount, Decimal::new(1050, 2));
    }

    #[test]
    fn lines_refuse_quantities_and_prices_beyond_their_bounds() {
        assert!(matches!(
            Adjustment::parse(
                "edit_line",
                "",
                "Motif",
                &line_input("0", "1", "79228162514264337593543950335")
            ),
            Err(AdjustError::TooLarge {
                field: "unit_price",
                max: 10_000_000
            })
        ));
        assert!(matches!(
            Adjustment::parse("add_line", "", "Motif", &line_input("", "1000000.01", "10")),
            Err(AdjustError::TooLarge {
                field: "quantity",
                max: 1_000_000
            })
        ));
        // At the bounds a line is priced: 1,000,000 × 10,000,000 € and its VAT.
        let mut answer = priced_water();
        Adjustment::parse(
            "edit_line",
            "",
            "Motif",
            &line_input("0", "1000000", "10000000"),
        )
        .unwrap()
        .apply(&mut answer)
        .unwrap();
        assert_eq!(
            answer.lines[0].amount_excl_vat,
            Decimal::from(10_000_000_000_000u64)
        );
    }

    #[test]
    fn lines_refuse_negative_amounts_missing_reasons_and_unknown_lines() {
        assert!(matches!(
            Adjustment::parse("edit_line", "", "Motif", &line_input("0", "-1", "10")),
            Err(AdjustError::Negative)
        ));
        assert!(matches!(
            Adjustment::parse("add_line", "", " ", &line_input("", "1", "10")),
            Err(AdjustError::Invalid(InputError::Required))
        ));
        assert!(matches!(
            Adjustment::parse("edit_line", "", "Motif", &line_input("x", "1", "10")),
            Err(AdjustError::UnknownLine)
        ));
        let mut answer = priced_water();
        let count = answer.lines.len();
        let beyond = Adjustment::parse(
            "remove_line",
            "",
            "Motif",
            &line_input(&count.to_string(), "", ""),
        )
        .unwrap();
        assert!(matches!(
            beyond.apply(&mut answer),
            Err(AdjustError::UnknownLine)
        ));
        assert_eq!(answer.lines.len(), count, "nothing changed");
    }

    #[test]
    fn v_8_3_an_added_line_is_priced_now_and_says_so() {
        let mut answer = priced_water();
        Adjustment::parse(
            "add_line",
            "",
            "Trottoir en pavés",
            &line_input("", "2", "75"),
        )
        .unwrap()
        .apply(&mut answer)
        .unwrap();
        let added = answer.lines.last().unwrap();
        assert_eq!(added.rule, "V-8.3");
        assert_eq!(added.amount_excl_vat, Decimal::from(150));
        assert_eq!(added.vat_amount, Decimal::new(3150, 2));
        assert_eq!(added.args["label"], "Traversée de trottoir");
    }
}
