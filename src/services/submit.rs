//! Filing a "Connect my home" request (rules C-1, C-2, C-7): validate, route to the
//! coordinator and operators serving the commune, record it with its first timeline event and
//! queue the confirmation email, all in one transaction. Filings that arrive while others
//! are written wait and go together in the next transaction: one commit for the group.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use tokio::sync::oneshot;

use crate::domain::tenancy::OrganisationKind;
use crate::domain::{OrganisationId, RequestId};
use crate::{
    db::{
        DbError, Tx,
        assessments::{self, NewTask},
        coverage::{self, Referral},
        organisations::Organisation,
        outbox,
        requests::{self, NewEvent, NewRequestRecord, RequestRow},
    },
    domain::{
        ApplicantKind, Commune, FieldErrors, FormKey, InputError, NewRequest, Reference,
        RequestInput, RequestState, Service, servicing, survey::WaterWork,
    },
    i18n::Tr,
    mail::compose::{self, Composed, DossierFeeMail, RequestFiled},
    operators::generic::Labels,
    services::{
        assess,
        auth::{new_token, token_hash},
        dossier_fee::{self, DossierInvoice},
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
        referral: Option<Box<Referral>>,
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

/// The confirmations queued lately to the mailboxes of the filings being written, so that
/// each mailbox gets at most the configured number per 24 hours: the public form sends one to
/// any address typed. Counted in the outbox, inside the filings' transaction, so it holds
/// across instances; read once for all the filings written together.
struct Confirmations {
    /// Per mailbox ([`outbox::mailbox_key`]), when its confirmations were queued, newest first.
    queued: HashMap<String, Vec<DateTime<Utc>>>,
    max: usize,
}

const CONFIRMATIONS_WINDOW: Duration = Duration::hours(24);

impl Confirmations {
    async fn read(tx: &mut Tx, state: &AppState, filings: &[&Checked]) -> Result<Self, DbError> {
        let mut mailboxes: Vec<String> = filings
            .iter()
            .map(|filing| outbox::mailbox_key(filing.request.email.as_ref()))
            .collect();
        mailboxes.sort_unstable();
        mailboxes.dedup();
        let since = filings
            .iter()
            .map(|filing| filing.now)
            .min()
            .unwrap_or_default();
        let max = state.config.limits.filing_mails_per_recipient_per_day.get();
        let mut queued: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
        for (mailbox, at) in outbox::queued_to_mailboxes_since(
            tx,
            &mailboxes,
            CONFIRMATION,
            since - CONFIRMATIONS_WINDOW,
            max,
        )
        .await?
        {
            queued.entry(mailbox).or_default().push(at);
        }
        Ok(Confirmations {
            queued,
            max: usize::try_from(max).unwrap_or(usize::MAX),
        })
    }

    /// Whether one more confirmation may go to `email`'s mailbox at `now`.
    fn allowed(&self, email: &str, now: DateTime<Utc>) -> Result<(), Limited> {
        let latest = self
            .queued
            .get(&outbox::mailbox_key(email))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut recent = latest.iter().filter(|at| **at > now - CONFIRMATIONS_WINDOW);
        // Open again once the oldest of the latest `max` leaves the window.
        let Some(oldest) = recent.nth(self.max.saturating_sub(1)) else {
            return Ok(());
        };
        let opens_at = *oldest + CONFIRMATIONS_WINDOW;
        Err(Limited {
            limit: Limit::FilingMail,
            retry_after: (opens_at - now).to_std().unwrap_or_default(),
        })
    }

    /// One more confirmation queued to `email`'s mailbox at `now`.
    fn count(&mut self, email: &str, now: DateTime<Utc>) {
        let latest = self.queued.entry(outbox::mailbox_key(email)).or_default();
        latest.push(now);
        latest.sort_unstable_by(|a, b| b.cmp(a));
    }
}

pub fn follow_url(base_url: &str, token: &str) -> String {
    format!("{base_url}/track/{token}")
}

/// The request filed with `key` (the confirmation page), if any.
pub async fn filed(state: &AppState, key: &FormKey) -> Result<Option<RequestRow>, DbError> {
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
    key: &FormKey,
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
    key: &FormKey,
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
    // Filings that arrive while others are written wait and go together in the next
    // transaction: a group costs a few statements and one commit whatever its size, and the
    // rows every filing writes (the year's reference counter, the queue's counts) are held
    // once per group (docs/PERFORMANCE.md, "Groups on PostgreSQL too").
    let filed = file_with_others(state, filing).await;
    match filed {
        Err(SubmitError::NotCovered { commune: name, .. }) => Err(SubmitError::NotCovered {
            commune: name,
            referral: referral_for(state, &commune).await?.map(Box::new),
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
    key: FormKey,
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
/// writer's turn (SQLite) or the rows every filing writes (PostgreSQL) for a few tens of
/// milliseconds at most.
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
    let filings: Vec<&Checked> = group.iter().map(|waiting| &waiting.filing).collect();
    let started = std::time::Instant::now();
    let attempt = async {
        let mut tx = state.db.begin_write().await?;
        let turn = started.elapsed();
        // A key taken meanwhile: answered from the other filing once that one is committed
        // (see file_alone).
        let Some(outcomes) = write_filings(&mut tx, state, &filings).await? else {
            return Ok(None);
        };
        tx.commit().await.map_err(DbError::from)?;
        filed_in(state);
        tracing::debug!(filings = group.len(), ?turn, written = ?started.elapsed() - turn, "a group of filings committed");
        Ok::<_, SubmitError>(Some(outcomes))
    };
    match attempt.await {
        Ok(Some(outcomes)) => {
            for (filing, outcome) in filings.iter().zip(&outcomes) {
                if let Ok(filed) = outcome {
                    logged(filing, filed);
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
    match write_filings(&mut tx, state, &[filing]).await? {
        Some(mut outcomes) => match outcomes.pop() {
            Some(Ok(filed)) => {
                tx.commit().await.map_err(DbError::from)?;
                filed_in(state);
                logged(filing, &filed);
                Ok(filed)
            }
            Some(Err(refusal)) => {
                tx.rollback().await.map_err(DbError::from)?;
                Err(refusal)
            }
            None => Err(SubmitError::Db(DbError::NotFound)),
        },
        // The same form filed concurrently: the other filing won; show it.
        None => {
            tx.rollback().await.map_err(DbError::from)?;
            let existing = requests::by_idempotency_key(&state.db, filing.key.as_ref())
                .await?
                .ok_or(SubmitError::Db(DbError::NotFound))?;
            same_form_again(state, &filing.key, existing, &filing.fingerprint).await
        }
    }
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

/// A filing routed in the writer's turn: who takes part in it and what it asks of whom.
struct Routed<'a> {
    filing: &'a Checked,
    id: RequestId,
    coordinator: OrganisationId,
    parties: Vec<(OrganisationId, OrganisationKind)>,
    services: Vec<(&'a str, Option<OrganisationId>)>,
    /// One assessment per operator and service.
    assessing: Vec<(OrganisationId, &'a str)>,
    /// Asked where no operator of that network serves the commune: said in the email.
    unserved: Vec<Service>,
    /// The operator serving electricity, which invoices the servicing's dossier fee (V-3.1).
    electricity_operator: Option<OrganisationId>,
}

/// Routes `filing` to the coordinator and the operators serving its commune (`serving`), or
/// refuses it: a commune not covered (C-7), a partner's service not offered there (C-8).
fn route<'a>(filing: &'a Checked, serving: &[Organisation]) -> Result<Routed<'a>, SubmitError> {
    let request = &filing.request;
    let Some(coordinator) = serving
        .iter()
        .find(|o| o.kind == OrganisationKind::Coordinator)
    else {
        // Whom to contact instead is read once the writer's turn is over (`submit`).
        return Err(SubmitError::NotCovered {
            commune: request.commune.name.clone(),
            referral: None,
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
        return Err(SubmitError::Invalid(partner_errors));
    }

    let mut parties = vec![(coordinator.id, coordinator.kind)];
    let mut services = Vec::new();
    let mut assessing = Vec::new();
    let mut unserved = Vec::new();
    for service in &request.services {
        let operator = serving_operator(service.code());
        if operator.is_none() {
            unserved.push(*service);
        }
        services.push((service.code(), operator.map(|o| o.id)));
        if let Some(operator) = operator {
            parties.push((operator.id, operator.kind));
            assessing.push((operator.id, service.code()));
        }
    }
    for code in &request.partner_services {
        if let Some(partner) = serving_operator(code) {
            services.push((code.as_str(), Some(partner.id)));
            parties.push((partner.id, partner.kind));
            assessing.push((partner.id, code.as_str()));
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
    Ok(Routed {
        filing,
        id: RequestId::generate(),
        coordinator: coordinator.id,
        parties,
        services,
        assessing,
        unserved,
        electricity_operator: serving_operator(Service::Electricity.code()).map(|o| o.id),
    })
}

/// Writes checked `filings` in `tx`: each is routed to the coordinator and operators serving
/// its commune, recorded with its first timeline event, and its confirmation is queued. A
/// few statements for all of them whatever their number (SQLite hands each statement to its
/// own thread and back: statements, not rows, are what a group costs). Each filing's outcome
/// in order: filed, or refused before any write of its own (a limit, coverage, a partner).
/// `None` when a filing's key was taken by another filing meanwhile: nothing may be committed.
async fn write_filings(
    tx: &mut Tx,
    state: &AppState,
    filings: &[&Checked],
) -> Result<Option<Vec<Result<Filed, SubmitError>>>, SubmitError> {
    // What the filings read, once for all: who serves each commune, each mailbox's count.
    let mut serving: HashMap<&str, Vec<Organisation>> = HashMap::new();
    for filing in filings {
        let commune = filing.request.commune.nis_code.as_str();
        if !serving.contains_key(commune) {
            serving.insert(commune, coverage::serving(tx, commune).await?);
        }
    }
    let mut confirmations = Confirmations::read(tx, state, filings).await?;
    let routed: Vec<Result<Routed, SubmitError>> = filings
        .iter()
        .map(|filing| {
            let email = filing.request.email.as_ref();
            confirmations
                .allowed(email, filing.now)
                .map_err(SubmitError::Limited)?;
            let routed = route(filing, &serving[filing.request.commune.nis_code.as_str()])?;
            confirmations.count(email, filing.now);
            Ok(routed)
        })
        .collect();
    let filed: Vec<&Routed> = routed.iter().filter_map(|r| r.as_ref().ok()).collect();

    let tokens: Vec<String> = filed.iter().map(|_| new_token()).collect();
    // The year's reference counter and the queue's summaries are rows every filing writes,
    // and a writer holds them until it commits (PostgreSQL's row locks): they are written
    // last, so that concurrent filings wait for each other for a few statements, not for
    // the whole filing. Until then a request goes by its id, unique as a reference.
    let records: Vec<NewRequestRecord> = filed
        .iter()
        .zip(&tokens)
        .map(|(routed, token)| record(routed, &token_hash(token)))
        .collect();
    match requests::insert_being_filed(tx, &records).await {
        Ok(()) => {}
        Err(DbError::Conflict(_)) => return Ok(None),
        Err(other) => return Err(other.into()),
    }
    let parties: Vec<_> = filed
        .iter()
        .flat_map(|r| r.parties.iter().map(|(o, kind)| (r.id, *o, *kind)))
        .collect();
    let uncounted = requests::insert_parties(tx, &parties).await?;
    let services: Vec<_> = filed
        .iter()
        .flat_map(|r| r.services.iter().map(|(code, o)| (r.id, *code, *o)))
        .collect();
    requests::insert_services(tx, &services).await?;
    let tasks: Vec<_> = filed
        .iter()
        .flat_map(|r| {
            let created_at = r.filing.now;
            let due_at = assess::due_at(created_at, state.config.assessment_due_working_days);
            r.assessing
                .iter()
                .map(move |(organisation, service)| NewTask {
                    request_id: r.id,
                    organisation_id: *organisation,
                    service,
                    created_at,
                    due_at,
                })
        })
        .collect();
    assessments::create_all(tx, &tasks).await?;

    let references = take_references(tx, &filed).await?;
    let named: Vec<_> = filed
        .iter()
        .zip(&references)
        .map(|(r, reference)| (r.id, reference.clone()))
        .collect();
    requests::filed_as(tx, &named).await?;
    // The timeline's first entries, and the webhooks they queue, name the requests by it.
    let events: Vec<_> = filed
        .iter()
        .map(|r| NewEvent {
            request_id: r.id,
            at: r.filing.now,
            kind: "submitted",
            actor_kind: "applicant",
            actor_id: None,
            actor_name: Some(r.filing.request.name.as_ref()),
            organisation_id: None,
            detail: None,
            public: true,
        })
        .collect();
    requests::insert_events(tx, &events).await?;

    let mut mails = Vec::with_capacity(filed.len());
    for ((routed, reference), token) in filed.iter().zip(&references).zip(&tokens) {
        // V-3.1: the dossier-opening fee is charged before ORES intervenes: invoiced now, to
        // ORES, the operator serving electricity (its servicing), kept whatever happens to the
        // offer.
        let invoice = match (&routed.filing.tariffs, routed.electricity_operator) {
            (Some(tariffs), Some(ores)) => {
                let now = routed.filing.now;
                dossier_fee::issue_at_filing(tx, tariffs, routed.id, ores, now).await?
            }
            _ => None,
        };
        mails.push(confirmation(
            state,
            routed,
            reference,
            token,
            invoice.as_ref(),
        )?);
    }
    let messages: Vec<_> = filed
        .iter()
        .zip(&mails)
        .map(|(routed, mail)| {
            let message = outbox::NewMessage {
                kind: CONFIRMATION,
                request_id: Some(routed.id),
                recipient: routed.filing.request.email.as_ref(),
                subject: &mail.subject,
                body_text: &mail.text,
                body_html: Some(&mail.html),
                attachments: &[],
            };
            (message, routed.filing.now)
        })
        .collect();
    outbox::enqueue_many(tx, &messages).await?;
    requests::count_new_parties(tx, uncounted).await?;

    let answers: Vec<Filed> = filed
        .iter()
        .zip(references)
        .zip(tokens)
        .map(|((routed, reference), token)| Filed {
            request_id: routed.id,
            reference,
            email: routed.filing.request.email.as_ref().to_owned(),
            follow_token: Some(token),
        })
        .collect();
    let mut answers = answers.into_iter();
    Ok(Some(
        routed
            .into_iter()
            .map(|outcome| {
                let _routed = outcome?;
                answers.next().ok_or(SubmitError::Db(DbError::NotFound))
            })
            .collect(),
    ))
}

/// The references of `filed`, in order: each year's numbers taken at once.
async fn take_references(tx: &mut Tx, filed: &[&Routed<'_>]) -> Result<Vec<String>, DbError> {
    let year_of = |routed: &Routed| crate::clock::day_of(routed.filing.now).year();
    let mut years: Vec<i32> = filed.iter().map(|r| year_of(r)).collect();
    years.sort_unstable();
    years.dedup();
    let mut numbers = HashMap::new();
    for year in years {
        let count = filed.iter().filter(|r| year_of(r) == year).count();
        numbers.insert(
            year,
            requests::take_reference_numbers(tx, year, count).await?,
        );
    }
    Ok(filed
        .iter()
        .map(|routed| {
            let year = year_of(routed);
            let number = numbers
                .get_mut(&year)
                .and_then(Iterator::next)
                .unwrap_or_default();
            Reference { year, number }.to_string()
        })
        .collect())
}

/// The confirmation email of a filing.
fn confirmation(
    state: &AppState,
    routed: &Routed,
    reference: &str,
    token: &str,
    dossier_invoice: Option<&DossierInvoice>,
) -> Result<Composed, SubmitError> {
    let filing = routed.filing;
    let request = &filing.request;
    let partner_lines: Vec<String> = request
        .partner_services
        .iter()
        .map(|code| filing.partner_label(code).unwrap_or_else(|| code.clone()))
        .collect();
    let tr = Tr(request.language);
    Ok(compose::request_filed(
        tr,
        &RequestFiled {
            reference: reference.to_owned(),
            applicant_name: request.name.as_ref().to_owned(),
            site: site_line(request),
            services: request
                .services
                .iter()
                .map(|s| {
                    let line = service_line(tr, *s, request);
                    // No operator of this network here (no gas in most of Luxembourg): said
                    // in writing at once; the other connections go on (B-4.4).
                    if !routed.unserved.contains(s) {
                        line
                    } else {
                        let commune = request.commune.name.as_str();
                        let why = tr.f("mail.filed.not_available", [("commune", commune)]);
                        format!("{line} — {why}")
                    }
                })
                .chain(partner_lines)
                .collect(),
            follow_url: follow_url(&state.base_url, token),
            dossier_fee: dossier_invoice.map(|invoice| DossierFeeMail {
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
    )?)
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

/// The request's row, named by its id until its reference number is taken.
fn record(routed: &Routed, follow_token_hash: &str) -> NewRequestRecord {
    let request = &routed.filing.request;
    let payer = request.servicing.as_ref().and_then(|s| s.payer.as_ref());
    NewRequestRecord {
        id: routed.id,
        reference: routed.id.to_string(),
        idempotency_key: routed.filing.key.as_ref().to_owned(),
        input_fingerprint: Some(routed.filing.fingerprint.clone()),
        follow_token_hash: follow_token_hash.to_owned(),
        coordinator_id: routed.coordinator,
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
        submitted_at: routed.filing.now,
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
