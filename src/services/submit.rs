//! Filing a "Connect my home" request (rules C-1, C-2, C-7): validate, route to the
//! coordinator and operators serving the commune, record it with its first timeline event and
//! queue the confirmation email, all in one transaction.

use chrono::{DateTime, Datelike, Duration, Utc};

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
        ApplicantKind, FieldErrors, IdempotencyKey, InputError, NewRequest, Reference,
        RequestInput, RequestState, Service, servicing, survey::WaterWork,
    },
    i18n::Tr,
    mail::compose::{self, DossierFeeMail, RequestFiled},
    services::{
        assess,
        auth::{new_token, token_hash},
        dossier_fee,
    },
    state::AppState,
    tariff::VatStatus,
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
    let partner_label = |code: &str| {
        partner_labels
            .iter()
            .find(|(service, _)| service == code)
            .map(|(_, labels)| labels.get(request.language).to_owned())
    };
    let mut tx = state.db.begin_write().await?;
    if let Err(limited) = confirmations_allowed(&mut tx, state, request.email.as_ref(), now).await?
    {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(SubmitError::Limited(limited));
    }
    let serving = coverage::serving(&mut tx, &request.commune.nis_code).await?;
    let Some(coordinator) = serving
        .iter()
        .find(|o| o.kind == OrganisationKind::Coordinator)
    else {
        tx.rollback().await.map_err(DbError::from)?;
        let mut areas = vec![format!("commune:{}", request.commune.nis_code)];
        if let Some(province) = &request.commune.province {
            areas.push(format!("province:{province}"));
        }
        areas.push(format!("region:{}", request.commune.region.code()));
        return Err(SubmitError::NotCovered {
            commune: request.commune.name.clone(),
            referral: coverage::referral(&state.db, &areas).await?,
        });
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
            let label = partner_label(code);
            partner_errors.add(
                "services",
                match label {
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
        tx.rollback().await.map_err(DbError::from)?;
        return Err(SubmitError::Invalid(partner_errors));
    }

    let token = new_token();
    let id = RequestId::generate();
    // The year's reference counter and the queue's summaries are rows every filing writes,
    // and a writer holds them until it commits (PostgreSQL's row locks): they are written
    // last, so that concurrent filings wait for each other for a few statements, not for
    // the whole filing. Until then the request goes by its id, unique as a reference.
    let mut record = record(
        &request,
        id,
        &id.to_string(),
        key,
        &token_hash(&token),
        coordinator.id,
        now,
    );
    record.input_fingerprint = Some(fingerprint.clone());
    match requests::insert(&mut tx, &record).await {
        Ok(()) => {}
        // The same form filed concurrently: the other filing won; show it.
        Err(DbError::Conflict(_)) => {
            tx.rollback().await.map_err(DbError::from)?;
            let existing = requests::by_idempotency_key(&state.db, key.as_ref())
                .await?
                .ok_or(SubmitError::Db(DbError::NotFound))?;
            return same_form_again(state, key, existing, &fingerprint).await;
        }
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
    let uncounted = requests::insert_parties(&mut tx, id, &parties).await?;
    requests::insert_services(&mut tx, id, &services).await?;
    assess::create_tasks(
        &mut tx,
        id,
        &assessing,
        now,
        state.config.assessment_due_working_days,
    )
    .await?;

    let number = requests::next_reference_number(&mut tx, crate::clock::day_of(now).year()).await?;
    let reference = Reference {
        year: crate::clock::day_of(now).year(),
        number,
    }
    .to_string();
    requests::set_reference(&mut tx, id, &reference).await?;
    // The timeline's first entry, and the webhooks it queues, name the request by it.
    requests::insert_event(
        &mut tx,
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
            dossier_fee::issue_at_filing(&mut tx, tariffs, id, ores.id, now).await?
        }
        _ => None,
    };

    let partner_lines: Vec<String> = request
        .partner_services
        .iter()
        .map(|code| partner_label(code).unwrap_or_else(|| code.clone()))
        .collect();
    let tr = Tr(request.language);
    let mail = compose::request_filed(
        tr,
        &RequestFiled {
            reference: reference.clone(),
            applicant_name: request.name.as_ref().to_owned(),
            site: site_line(&request),
            services: request
                .services
                .iter()
                .map(|s| {
                    let line = service_line(tr, *s, &request);
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
        &mut tx,
        CONFIRMATION,
        Some(id),
        request.email.as_ref(),
        &mail,
        &[],
        now,
    )
    .await?;
    requests::count_new_parties(&mut tx, uncounted).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    state.assess_notify.notify_one();
    tracing::info!(%reference, commune = %request.commune.name, "request filed");

    Ok(Filed {
        request_id: id,
        reference,
        email: request.email.as_ref().to_owned(),
        follow_token: Some(token),
    })
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
