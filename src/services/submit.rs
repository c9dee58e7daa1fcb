//! Filing a "Connect my home" request (rules C-1, C-2, C-7): validate, route to the
//! coordinator and operators serving the commune, record it with its first timeline event and
//! queue the confirmation email, all in one transaction. On SQLite, filings that arrive while
//! others are written wait and go together in the next transaction: one commit for the group.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use tokio::sync::oneshot;

use crate::domain::RequestId;
use crate::domain::tenancy::OrganisationKind;
use crate::{
    db::{
        DbError, Tx,
        coverage::{self, Referral},
        outbox,
        requests::{self, NewEvent, NewRequestRecord, RequestRow},
    },
    domain::{
        ApplicantKind, Commune, FieldErrors, IdempotencyKey, InputError, NewRequest, Reference,
        RequestInput, RequestState, Service, servicing, survey::WaterWork,
    },
    i18n::Tr,
    mail::compose::{self, DossierFeeMail, RequestFiled},
    operators::generic::Labels,
    services::{
        assess,
        auth::{new_token, token_hash},
        dossier_fee,
    },
    state::AppState,
    tariff::{Tariffs, VatStatus},
    throttle::{Limit, Limited},
};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("commune {commune} is not covered")]
    NotCovered {
        commune: String,
        referral: Option<Referral>,
    },
    /// The confirmation would go to a mailbox that had its share today (nothing saved).
    #[error("too many confirmations to this address")]
    Limited(Limited),
    /// The key was used by a request filed with other fields: an edit after filing is not
    /// filed over the first request, nor silently dropped.
    #[error("request {reference} was filed with this form's key and other fields")]
    AlreadyFiled { reference: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("rendering the confirmation: {0}")]
    Render(#[from] askama::Error),
}

/// A filed request. The private token is known only right after filing.
#[derive(Debug, Clone)]
pub struct Filed {
    pub request_id: RequestId,
    pub reference: String,
    pub email: String,
    pub follow_token: Option<String>,
}

impl From<RequestRow> for Filed {
    fn from(row: RequestRow) -> Self {
        Filed {
            request_id: row.id,
            reference: row.reference,
            email: row.email,
            follow_token: None,
        }
    }
}

/// The kind of the confirmation email in the outbox.
const CONFIRMATION: &str = "request_filed";

/// Whether one more confirmation may go to `email`'s mailbox: the public form sends one to
/// any address typed, so each mailbox gets at most the configured number per 24 hours. Counted
/// in the outbox, inside the filing's transaction, so it holds across instances.
async fn confirmations_allowed(
    tx: &mut Tx,
    state: &AppState,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Limited>, DbError> {
    let window = Duration::hours(24);
    let max = state.config.limits.filing_mails_per_recipient_per_day.get();
    let latest = outbox::queued_to_mailbox_since(
        tx,
        &outbox::mailbox_key(email),
        CONFIRMATION,
        now - window,
        max,
    )
    .await?;
    // Open again once the oldest of the latest `max` leaves the window.
    let Some(oldest) = latest.get(usize::try_from(max - 1).unwrap_or(usize::MAX)) else {
        return Ok(Ok(()));
    };
    let opens_at = *oldest + window;
    Ok(Err(Limited {
        limit: Limit::FilingMail,
        retry_after: (opens_at - now).to_std().unwrap_or_default(),
    }))
}

pub fn follow_url(base_url: &str, token: &str) -> String {
    format!("{base_url}/track/{token}")
}

/// The request filed with `key` (the confirmation page), if any.
pub async fn filed(state: &AppState, key: &IdempotencyKey) -> Result<Option<RequestRow>, DbError> {
    requests::by_idempotency_key(&state.db, key.as_ref()).await
}

/// A hash of the fields as typed: two submits of a form are the same filing only when equal.
pub fn fingerprint(input: &RequestInput) -> String {
    // Field order is the struct's, so the JSON of equal inputs is equal.
    let json = serde_json::to_string(input).unwrap_or_default();
    token_hash(&json)
}

/// A form sent again under a used key: the first filing when the fields are the same, a
/// refusal naming it when they were edited (a request older than fingerprints is the same).
async fn same_form_again(
    state: &AppState,
    key: &IdempotencyKey,
    existing: RequestRow,
    fingerprint: &str,
) -> Result<Filed, SubmitError> {
    match requests::input_fingerprint_by_key(&state.db, key.as_ref()).await? {
        Some(stored) if stored != fingerprint => Err(SubmitError::AlreadyFiled {
            reference: existing.reference,
        }),
        _ => Ok(existing.into()),
    }
}

pub async fn submit(
    state: &AppState,
    input: &RequestInput,
    key: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Filed, SubmitError> {
    let fingerprint = fingerprint(input);
    // A second submit of the same form finds the first filing.
    if let Some(existing) = requests::by_idempotency_key(&state.db, key.as_ref()).await? {
        return same_form_again(state, key, existing, &fingerprint).await;
    }
    let request = NewRequest::parse(input, &state.directory, crate::clock::day_of(now))
        .map_err(SubmitError::Invalid)?;

    // V-3.1: the books price the dossier fee invoiced with the filing; read before the write.
    let tariffs = match request.servicing {
        Some(_) => Some(crate::services::books::current(state).await?),
        None => None,
    };
    // The partners' labels (C-8), for a refusal or the confirmation: read before the write.
    let partner_labels = if request.partner_services.is_empty() {
        Vec::new()
    } else {
        crate::services::reference::partner_labels(state).await?
    };
    let filing = Checked {
        request,
        key: key.clone(),
        fingerprint,
        tariffs,
        partner_labels,
        now,
    };
    let commune = filing.request.commune.clone();
    // SQLite writes one transaction at a time: filings that arrive meanwhile wait and go
    // together. PostgreSQL writes each filing on its own connection at the same time, and
    // that is faster than any group written statement after statement on one connection
    // (docs/PERFORMANCE.md, "Filings written together").
    let filed = if state.db.writes_one_at_a_time() {
        file_with_others(state, filing).await
    } else {
        file_alone(state, &filing).await
    };
    match filed {
        Err(SubmitError::NotCovered { commune: name, .. }) => Err(SubmitError::NotCovered {
            commune: name,
            referral: referral_for(state, &commune).await?,
        }),
        other => other,
    }
}

/// Whom to contact where the service does not cover `commune`: the referral of the commune,
/// else of its province, else of its region.
async fn referral_for(state: &AppState, commune: &Commune) -> Result<Option<Referral>, DbError> {
    let mut areas = vec![format!("commune:{}", commune.nis_code)];
    if let Some(province) = &commune.province {
        areas.push(format!("province:{province}"));
    }
    areas.push(format!("region:{}", commune.region.code()));
    coverage::referral(&state.db, &areas).await
}

/// A filing that passed every check made outside the writer's turn, with what it read.
struct Checked {
    request: NewRequest,
    key: IdempotencyKey,
    fingerprint: String,
    tariffs: Option<Arc<Tariffs>>,
    partner_labels: Vec<(String, Labels)>,
    now: DateTime<Utc>,
}

impl Checked {
    /// A partner's label in the applicant's language.
    fn partner_label(&self, code: &str) -> Option<String> {
        self.partner_labels
            .iter()
            .find(|(service, _)| service == code)
            .map(|(_, labels)| labels.get(self.request.language).to_owned())
    }
}

/// A checked filing waiting in `AppState::filings`, and where its answer goes.
struct Waiting {
    filing: Checked,
    answer: oneshot::Sender<Result<Filed, SubmitError>>,
}

/// At most this many filings in one transaction: enough to share one commit among every
/// filing that arrives while one group is written, few enough that the group holds the
/// writer's turn (SQLite) for a few tens of milliseconds at most.
const GROUP_MAX: usize = 32;

/// Writes `filing` with those that wait beside it, and answers once its group committed or
/// refused it. The group is written by a task of its own, so a client that goes away does
/// not cut the others' transaction; a filing answered was committed.
async fn file_with_others(state: &AppState, filing: Checked) -> Result<Filed, SubmitError> {
    let (answer, answered) = oneshot::channel();
    if state.filings.push(Box::new(Waiting { filing, answer })) {
        tokio::spawn(write_waiting(state.clone()));
    }
    answered
        .await
        // The group's task ended without an answer (it panicked): nothing was committed.
        .unwrap_or(Err(SubmitError::Db(DbError::Sqlx(
            sqlx::Error::WorkerCrashed,
        ))))
}

/// Writes the waiting filings, group after group, until none wait.
async fn write_waiting(state: AppState) {
    loop {
        let group: Vec<Waiting> = state
            .filings
            .next_group(GROUP_MAX)
            .into_iter()
            .map(|item| {
                *item
                    .downcast::<Waiting>()
                    .unwrap_or_else(|_| unreachable!("only filings wait in AppState::filings"))
            })
            .collect();
        if group.is_empty() {
            return;
        }
        // A panic while writing one group fails its filings (their answers dropped), not the
        // groups after it.
        let writer = state.clone();
        let _ = tokio::spawn(async move { write_group(&writer, group).await }).await;
    }
}

/// Writes one group in one transaction. Refusals (limits, coverage, partners) are decided
/// before any write of theirs and leave the others alone; a filing that fails (its key
/// filed meanwhile, an error) rolls the group back, and each is then filed alone, as if
/// none had waited beside it.
async fn write_group(state: &AppState, group: Vec<Waiting>) {
    let written = if group.len() > 1 {
        write_together(state, &group).await
    } else {
        None
    };
    match written {
        Some(outcomes) => {
            for (waiting, outcome) in group.into_iter().zip(outcomes) {
                let _ = waiting.answer.send(outcome);
            }
        }
        // Each alone, as filings that never waited: they take the writer's turn one after the
        // other, and a database that does not answer holds them for its timeout all at once,
        // not one after the other. The next group waits until they are done.
        None => {
            let alone: Vec<_> = group
                .into_iter()
                .map(|Waiting { filing, answer }| {
                    let state = state.clone();
                    tokio::spawn(async move {
                        let _ = answer.send(file_alone(&state, &filing).await);
                    })
                })
                .collect();
            for filing in alone {
                let _ = filing.await;
            }
        }
    }
}

/// Every filing of `group` in one transaction, or `None` when one of them failed and
/// nothing was committed.
async fn write_together(
    state: &AppState,
    group: &[Waiting],
) -> Option<Vec<Result<Filed, SubmitError>>> {
    let attempt = async {
        let mut tx = state.db.begin_write().await?;
        let mut outcomes = Vec::with_capacity(group.len());
        for waiting in group {
            match write_one(&mut tx, state, &waiting.filing).await? {
                Written::Filed(filed) => outcomes.push(Ok(filed)),
                Written::Refused(refusal) => outcomes.push(Err(refusal)),
                // Answered from the other filing once that one is committed: see file_alone.
                Written::KeyTaken => return Ok(None),
            }
        }
        tx.commit().await.map_err(DbError::from)?;
        filed_in(state);
        Ok::<_, SubmitError>(Some(outcomes))
    };
    match attempt.await {
        Ok(Some(outcomes)) => {
            for (waiting, outcome) in group.iter().zip(&outcomes) {
                if let Ok(filed) = outcome {
                    logged(&waiting.filing, filed);
                }
            }
            Some(outcomes)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, filings = group.len(), "a group of filings failed; filing each alone");
            None
        }
    }
}

/// One filing in its own transaction.
async fn file_alone(state: &AppState, filing: &Checked) -> Result<Filed, SubmitError> {
    let mut tx = state.db.begin_write().await?;
    match write_one(&mut tx, state, filing).await? {
        Written::Filed(filed) => {
            tx.commit().await.map_err(DbError::from)?;
            filed_in(state);
            logged(filing, &filed);
            Ok(filed)
        }
        Written::Refused(refusal) => {
            tx.rollback().await.map_err(DbError::from)?;
            Err(refusal)
        }
        // The same form filed concurrently: the other filing won; show it.
        Written::KeyTaken => {
            tx.rollback().await.map_err(DbError::from)?;
            let existing = requests::by_idempotency_key(&state.db, filing.key.as_ref())
                .await?
                .ok_or(SubmitError::Db(DbError::NotFound))?;
            same_form_again(state, &filing.key, existing, &filing.fingerprint).await
        }
    }
}

/// What a filing came to in the writer's turn (the transaction decides the rest).
enum Written {
    Filed(Filed),
    /// Refused before any write of its own (a limit, coverage, a partner).
    Refused(SubmitError),
    /// Another filing took its key first: the insert failed.
    KeyTaken,
}

/// Committed filings queued their confirmation and their assessment tasks: the workers go.
fn filed_in(state: &AppState) {
    state.outbox_notify.notify_one();
    state.assess_notify.notify_one();
}

fn logged(filing: &Checked, filed: &Filed) {
    let commune = &filing.request.commune.name;
    tracing::info!(reference = %filed.reference, %commune, "request filed");
}

/// Writes one checked filing in `tx`: routes it to the coordinator and operators serving the
/// commune, records it with its first timeline event and queues the confirmation email.
async fn write_one(
    tx: &mut Tx,
    state: &AppState,
    filing: &Checked,
) -> Result<Written, SubmitError> {
    let Checked {
        request,
        key,
        fingerprint,
        tariffs,
        now,
        ..
    } = filing;
    let now = *now;
    if let Err(limited) = confirmations_allowed(tx, state, request.email.as_ref(), now).await? {
        return Ok(Written::Refused(SubmitError::Limited(limited)));
    }
    let serving = coverage::serving(tx, &request.commune.nis_code).await?;
    let Some(coordinator) = serving
        .iter()
        .find(|o| o.kind == OrganisationKind::Coordinator)
    else {
        // Whom to contact instead is read once the writer's turn is over (`submit`).
        return Ok(Written::Refused(SubmitError::NotCovered {
            commune: request.commune.name.clone(),
            referral: None,
        }));
    };

    // The operator of a network that serves the commune, if any.
    let serving_operator = |code: &str| {
        serving
            .iter()
            .find(|o| o.kind == OrganisationKind::Operator && o.service.as_deref() == Some(code))
    };

    // A partner's service is filed only where that partner serves the commune.
    let mut partner_errors = FieldErrors::new();
    for code in &request.partner_services {
        if serving_operator(code).is_none() {
            partner_errors.add(
                "services",
                match filing.partner_label(code) {
                    Some(service) => InputError::ServiceNotOffered {
                        service,
                        commune: request.commune.name.clone(),
                    },
                    None => InputError::Choice,
                },
            );
        }
    }
    if !partner_errors.is_empty() {
        return Ok(Written::Refused(SubmitError::Invalid(partner_errors)));
    }

    let token = new_token();
    let id = RequestId::generate();
    // The year's reference counter and the queue's summaries are rows every filing writes,
    // and a writer holds them until it commits (PostgreSQL's row locks): they are written
    // last, so that concurrent filings wait for each other for a few statements, not for
    // the whole filing. Until then the request goes by its id, unique as a reference.
    let mut record = record(
        request,
        id,
        &id.to_string(),
        key,
        &token_hash(&token),
        coordinator.id,
        now,
    );
    record.input_fingerprint = Some(fingerprint.clone());
    match requests::insert(tx, &record).await {
        Ok(()) => {}
        Err(DbError::Conflict(_)) => return Ok(Written::KeyTaken),
        Err(other) => return Err(other.into()),
    }
    // Every party, service and task in one statement each, whatever the number of operators.
    let mut parties = vec![(coordinator.id, coordinator.kind)];
    let mut services = Vec::new();
    let mut assessing = Vec::new();
    // Asked where no operator of that network serves the commune: said in the email.
    let mut unserved = Vec::new();
    for service in &request.services {
        let operator = serving_operator(service.code());
        if operator.is_none() {
            unserved.push(*service);
        }
        services.push((service.code(), operator.map(|o| o.id)));
        if let Some(operator) = operator {
            parties.push((operator.id, operator.kind));
            assessing.push((operator.id, service.code().to_owned()));
        }
    }
    for code in &request.partner_services {
        if let Some(partner) = serving_operator(code) {
            services.push((code.as_str(), Some(partner.id)));
            parties.push((partner.id, partner.kind));
            assessing.push((partner.id, code.clone()));
        }
    }
    if let Some(municipality) = serving
        .iter()
        .find(|o| o.kind == OrganisationKind::Municipality)
    {
        parties.push((municipality.id, municipality.kind));
    }
    // An operator serving several networks is one party.
    let mut seen = std::collections::HashSet::new();
    parties.retain(|(organisation, _)| seen.insert(*organisation));
    let uncounted = requests::insert_parties(tx, id, &parties).await?;
    requests::insert_services(tx, id, &services).await?;
    assess::create_tasks(
        tx,
        id,
        &assessing,
        now,
        state.config.assessment_due_working_days,
    )
    .await?;

    let number = requests::next_reference_number(tx, crate::clock::day_of(now).year()).await?;
    let reference = Reference {
        year: crate::clock::day_of(now).year(),
        number,
    }
    .to_string();
    requests::set_reference(tx, id, &reference).await?;
    // The timeline's first entry, and the webhooks it queues, name the request by it.
    requests::insert_event(
        tx,
        &NewEvent {
            request_id: id,
            at: now,
            kind: "submitted",
            actor_kind: "applicant",
            actor_id: None,
            actor_name: Some(request.name.as_ref()),
            organisation_id: None,
            detail: None,
            public: true,
        },
    )
    .await?;

    // V-3.1: the dossier-opening fee is charged before ORES intervenes: invoiced now, to ORES,
    // the operator serving electricity (its servicing), kept whatever happens to the offer.
    let dossier_invoice = match (&tariffs, serving_operator(Service::Electricity.code())) {
        (Some(tariffs), Some(ores)) => {
            dossier_fee::issue_at_filing(tx, tariffs, id, ores.id, now).await?
        }
        _ => None,
    };

    let partner_lines: Vec<String> = request
        .partner_services
        .iter()
        .map(|code| filing.partner_label(code).unwrap_or_else(|| code.clone()))
        .collect();
    let tr = Tr(request.language);
    let mail = compose::request_filed(
        tr,
        &RequestFiled {
            reference: reference.clone(),
            applicant_name: request.name.as_ref().to_owned(),
            site: site_line(request),
            services: request
                .services
                .iter()
                .map(|s| {
                    let line = service_line(tr, *s, request);
                    // No operator of this network here (no gas in most of Luxembourg): said
                    // in writing at once; the other connections go on (B-4.4).
                    if !unserved.contains(s) {
                        line
                    } else {
                        let commune = request.commune.name.as_str();
                        let why = tr.f("mail.filed.not_available", [("commune", commune)]);
                        format!("{line} — {why}")
                    }
                })
                .chain(partner_lines)
                .collect(),
            follow_url: follow_url(&state.base_url, &token),
            dossier_fee: dossier_invoice.as_ref().map(|invoice| DossierFeeMail {
                number: invoice.number.clone(),
                amount: tr.money(invoice.amount),
                amount_excl_vat: tr.money(invoice.amount_excl_vat),
                vat_amount: tr.money(invoice.vat_amount),
                payee: invoice.payee.clone(),
                iban: invoice.iban.clone().unwrap_or_default(),
                bic: invoice.bic.clone().unwrap_or_default(),
                communication: invoice.structured_communication.clone(),
                due_on: tr.numeric_date(invoice.due_on),
                addressed_to: invoice.addressed_to(tr),
            }),
        },
    )?;
    crate::services::outbox::enqueue_mail(
        tx,
        CONFIRMATION,
        Some(id),
        request.email.as_ref(),
        &mail,
        &[],
        now,
    )
    .await?;
    requests::count_new_parties(tx, uncounted).await?;
    Ok(Written::Filed(Filed {
        request_id: id,
        reference,
        email: request.email.as_ref().to_owned(),
        follow_token: Some(token),
    }))
}

fn site_line(request: &NewRequest) -> String {
    let mut parts = Vec::new();
    if let (Some(street), Some(number)) = (&request.street, &request.house_number) {
        parts.push(format!("{street} {number}"));
    }
    parts.push(format!("{} {}", request.postcode, request.commune.name));
    if let Some(parcel) = &request.parcel_ref {
        parts.push(parcel.clone());
    }
    if let Some(point) = &request.map_point {
        parts.push(point.to_string());
    }
    parts.join(", ")
}

fn service_line(tr: Tr, service: Service, request: &NewRequest) -> String {
    match (service, request.electricity_band) {
        (Service::Electricity, Some(band)) => {
            format!("{} — {}", tr.service("electricity"), tr.band(band))
        }
        _ => tr.service(service.code()),
    }
}

fn record(
    request: &NewRequest,
    id: RequestId,
    reference: &str,
    key: &IdempotencyKey,
    follow_token_hash: &str,
    coordinator_id: crate::domain::OrganisationId,
    now: DateTime<Utc>,
) -> NewRequestRecord {
    let payer = request.servicing.as_ref().and_then(|s| s.payer.as_ref());
    NewRequestRecord {
        id,
        reference: reference.to_owned(),
        idempotency_key: key.as_ref().to_owned(),
        input_fingerprint: None,
        follow_token_hash: follow_token_hash.to_owned(),
        coordinator_id,
        state: RequestState::Submitted.code().to_owned(),
        applicant_kind: request.applicant_kind.code().to_owned(),
        applicant_name: request.name.as_ref().to_owned(),
        company_number: match request.applicant_kind {
            ApplicantKind::Legal => request.company_number.as_ref().map(|c| c.to_string()),
            ApplicantKind::Natural => None,
        },
        email: request.email.as_ref().to_owned(),
        phone: request.phone.as_ref().to_owned(),
        language: request.language.code().to_owned(),
        street: request.street.clone(),
        house_number: request.house_number.clone(),
        locality: request.locality.clone(),
        postcode: request.postcode.to_string(),
        commune_nis: request.commune.nis_code.clone(),
        commune_name: request.commune.name.clone(),
        map_point: request.map_point.map(|p| p.to_string()),
        parcel_ref: request.parcel_ref.clone(),
        building: request.building.code().to_owned(),
        dwellings: i64::from(request.building.dwellings()),
        electricity_band: request.electricity_band.map(|b| b.code()),
        wished_from: request.wished_from.map(|d| d.to_string()),
        wished_to: request.wished_to.map(|d| d.to_string()),
        remarks: request.remarks.clone(),
        submitted_at: now,
        servicing_operation: request
            .servicing
            .as_ref()
            .map(|s| servicing::operation_code(s.operation).to_owned()),
        servicing_frontage_m: request.servicing.as_ref().map(|s| s.frontage.to_string()),
        servicing_parcels: request.servicing.as_ref().map(|s| i64::from(s.parcels)),
        servicing_candelabras: request.servicing.as_ref().map(|s| i64::from(s.candelabras)),
        servicing_planned_frontages: request
            .servicing
            .as_ref()
            .filter(|s| !s.planned_frontages.is_empty())
            .map(|s| servicing::planned_frontages_text(&s.planned_frontages)),
        servicing_supply_points: request
            .servicing
            .as_ref()
            .and_then(|s| s.supply_points)
            .map(i64::from),
        servicing_cabin: request
            .servicing
            .as_ref()
            .and_then(|s| s.cabin)
            .map(|kind| servicing::cabin_code(kind).to_owned()),
        servicing_social: request
            .servicing
            .as_ref()
            .and_then(|s| s.social)
            .map(|promoter| servicing::social_code(promoter).to_owned()),
        servicing_t5387: request.servicing.as_ref().map(|s| i64::from(s.t5387)),
        servicing_existing_pole_lights: request
            .servicing
            .as_ref()
            .map(|s| i64::from(s.existing_pole_lights)),
        applicant_vat: match request.applicant_vat {
            VatStatus::Private => None,
            VatStatus::VatFiler => Some("vat_filer".to_owned()),
            VatStatus::Exempt => Some("exempt".to_owned()),
        },
        dwelling_first_occupied_year: request.dwelling.first_occupied().map(i64::from),
        electricity_current_band: request.electricity_current_band.map(|band| band.code()),
        water_work: (request.water_work != WaterWork::New)
            .then(|| request.water_work.code().to_owned()),
        water_unbilled: request.water_unbilled,
        servicing_payer_name: payer.map(|p| p.name.as_ref().to_owned()),
        servicing_payer_address: payer.map(|p| p.address.clone()),
        servicing_payer_vat: payer
            .filter(|p| p.vat == VatStatus::VatFiler)
            .map(|_| "vat_filer".to_owned()),
        servicing_payer_company_number: payer
            .and_then(|p| p.company_number.as_ref())
            .map(|number| number.to_string()),
    }
}
