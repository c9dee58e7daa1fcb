//! The consolidated offer's life (C-3, V-8): one offer for every operator, sent once, accepted,
//! paid per operator, lapsed after six months, revised at the tariffs in force.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{
    db::{
        self, DbError, Scope, Tx,
        assessments::{self, AssessmentRow},
        offers::{self, Acceptance, NewOffer, NewPayee, OfferRow, PayeeRow},
        outbox::{self, Attachment, NewMessage},
        requests::{self, NewEvent, RequestRow},
        sessions::SessionUser,
    },
    domain::{InputError, RequestState, Service, payment::StructuredCommunication},
    i18n::Tr,
    mail::compose,
    operators::{
        self, Assessment, Feasibility, describe,
        pricing::{PricedLine, Unpriced},
    },
    quote::{
        self, Addressee, Contact, OfferDocument, OfferLine, OperatorSection, Payment, Supersedes,
        VatSummaryRow,
    },
    services::assess,
    state::AppState,
    tariff::{VatRegime, round_cents},
};

/// V-8.1: an offer is valid six months from sending.
pub const VALIDITY_MONTHS: u32 = 6;
/// The applicant is reminded a month before the offer lapses.
pub const REMINDER_DAYS_BEFORE: u64 = 30;
/// How many candidate days the offer proposes (C-4).
const PROPOSED_DAYS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("an operator has not answered yet")]
    NotAssessed,
    #[error("no offer can be sent in state {0}")]
    WrongState(String),
    #[error("a revised offer needs the reason of the change")]
    ReasonRequired,
    #[error("no offer was sent for this request")]
    NoOffer,
    #[error("this offer is no longer open for acceptance")]
    NotOpen,
    #[error("the offer has lapsed")]
    Lapsed,
    #[error("acceptance needs the applicant's explicit consent")]
    ConsentRequired,
    #[error("this payee is not part of the offer")]
    UnknownPayee,
    #[error("this payment is already registered")]
    AlreadyPaid,
    #[error("the offer is not accepted yet")]
    NotAccepted,
    #[error("invalid input: {0}")]
    Invalid(InputError),
    /// Parts without a price from the books (V-5): no offer goes out at 0 € for them.
    #[error("{} part(s) of the offer have no price from a tariff book in force (rule V-5)", .0.len())]
    NoBook(Vec<UnpricedPart>),
    #[error("the day cannot be confirmed yet")]
    NotReady(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("rendering the offer: {0}")]
    Render(String),
}

impl From<quote::QuoteError> for OfferError {
    fn from(error: quote::QuoteError) -> Self {
        OfferError::Render(error.to_string())
    }
}

impl From<askama::Error> for OfferError {
    fn from(error: askama::Error) -> Self {
        OfferError::Render(error.to_string())
    }
}

/// States from which the case officer may send: the first offer once every operator has
/// answered, a revised one (V-8.3) while it is not paid, a re-issued one after it lapsed.
pub fn may_send(state: RequestState, has_offer: bool) -> bool {
    match state {
        RequestState::Assessed => true,
        RequestState::Quoted | RequestState::Accepted | RequestState::Lapsed => has_offer,
        _ => false,
    }
}

/// A part the offer cannot carry: its service and why the books gave it no price (`None`: an
/// answer stored before the reason was kept with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpricedPart {
    pub service: String,
    pub unpriced: Option<Unpriced>,
}

/// The answered parts the books gave no price (no book in force on their tariff date, V-5):
/// while one of them carries no amount, the offer is refused rather than sent at 0 € for it.
/// Refused parts are not offered and do not count.
fn unpriced_parts(parts: &[Part]) -> Vec<UnpricedPart> {
    parts
        .iter()
        .flat_map(|part| &part.services)
        .filter(|(_, _, answer)| {
            answer.feasibility != Feasibility::Refused
                && answer.is_unpriced()
                && answer.lines.iter().all(|l| l.amount_excl_vat.is_zero())
        })
        .map(|(_, row, answer)| UnpricedPart {
            service: row.service.clone(),
            unpriced: answer.unpriced.clone(),
        })
        .collect()
}

pub struct Sent {
    pub version: i64,
    /// The same form was posted again: nothing new was sent.
    pub repeated: bool,
}

/// What the service needs to know of the officer sending.
pub struct Officer<'a> {
    pub user: &'a SessionUser,
}

/// Sends the offer: a new numbered version, immutable, and ONE email with the PDF attached,
/// through the outbox in the same transaction. The form's key makes a second press harmless.
pub async fn send(
    state: &AppState,
    officer: Officer<'_>,
    request: &RequestRow,
    idempotency_key: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Sent, OfferError> {
    if let Some(existing) = offers::by_idempotency_key(&state.db, idempotency_key).await? {
        if existing.request_id == request.id {
            return Ok(Sent {
                version: existing.version,
                repeated: true,
            });
        }
        return Err(OfferError::Invalid(InputError::Choice));
    }
    let scope = officer.user.scope();
    let current: RequestState = request
        .state
        .parse()
        .map_err(|_| DbError::Corrupt(format!("state {}", request.state)))?;
    let previous = offers::for_request(&state.db, &request.id).await?;
    let latest = previous.first();
    if !may_send(current, latest.is_some()) {
        return Err(OfferError::WrongState(request.state.clone()));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if latest.is_some() && reason.is_none() {
        return Err(OfferError::ReasonRequired);
    }
    let today = crate::clock::day_of(now);
    let version = latest.map_or(1, |o| o.version + 1);
    let built = build(
        state,
        &scope,
        request,
        BuildOptions {
            version,
            supersedes: latest.zip(reason).map(|(o, r)| Supersedes {
                version: o.version as u32,
                reason: r.to_owned(),
            }),
            today,
            // V-8.3: a revision or a re-issue is priced at the tariffs in force that day.
            reprice_on: (version > 1).then_some(today),
            officer: officer.user,
        },
    )
    .await?;
    let tr = Tr(built.document.language);
    let mut tx = state.db.begin_write().await?;
    // The state read above may be stale: the guarded update below decides.
    let moved =
        requests::move_state(&mut tx, &request.id, current, RequestState::Quoted, now).await?;
    if !moved {
        drop(tx);
        return repeated_or(state, request, idempotency_key).await;
    }
    offers::supersede_open(&mut tx, &request.id, now).await?;
    let payees: Vec<NewPayee<'_>> = built
        .payees
        .iter()
        .map(|p| NewPayee {
            organisation_id: &p.organisation_id,
            payee_name: &p.payment.payee,
            iban: Some(p.payment.iban.as_str()).filter(|i| !i.is_empty()),
            bic: p.payment.bic.as_deref(),
            amount: p.payment.amount.to_string(),
            structured_communication: p.payment.structured_communication.clone(),
            after_works: p.payment.after_works,
        })
        .collect();
    let document =
        serde_json::to_string(&built.document).map_err(|e| OfferError::Render(e.to_string()))?;
    let inserted = offers::insert(
        &mut tx,
        &NewOffer {
            request_id: &request.id,
            version,
            idempotency_key,
            language: built.document.language.code(),
            document: &document,
            sent_by: Some(officer.user.user_id),
            valid_until: built.document.valid_until,
            supersedes_reason: reason,
        },
        &payees,
        now,
    )
    .await;
    match inserted {
        Ok(_) => {}
        Err(DbError::Conflict(_)) => {
            tx.rollback().await.map_err(DbError::from)?;
            return repeated_or(state, request, idempotency_key).await;
        }
        Err(other) => return Err(other.into()),
    }
    requests::set_change_requested(&mut tx, &request.id, None).await?;
    // The email carries a fresh private link; the stored document does not keep it (only the
    // link's hash is stored, like every private link).
    let mut emailed = built.document.clone();
    emailed.status_url = crate::services::links::issue_follow_link(
        &mut tx,
        &state.base_url,
        db::parse_uuid(&request.id)?,
        crate::services::links::purpose::OFFER,
        now,
    )
    .await?;
    let mail = quote::render::email(&emailed, tr)?;
    let pdf = quote::pdf::pdf(&built.document, tr)?;
    outbox::enqueue(
        &mut tx,
        &NewMessage {
            kind: "offer",
            request_id: Some(db::parse_uuid(&request.id)?),
            recipient: &request.email,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            attachments: &[Attachment {
                filename: pdf_filename(&request.reference, version),
                content_type: "application/pdf".to_owned(),
                content: pdf,
            }],
        },
        now,
    )
    .await?;
    let detail = match reason {
        Some(reason) => format!("v{version} — {reason}"),
        None => format!("v{version}"),
    };
    event(
        &mut tx,
        request,
        now,
        "offer_sent",
        Who::Staff(officer.user),
        Some(&detail),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(Sent {
        version,
        repeated: false,
    })
}

/// The same form posted twice at once: the other press sent it, or the request moved on.
async fn repeated_or(
    state: &AppState,
    request: &RequestRow,
    idempotency_key: &str,
) -> Result<Sent, OfferError> {
    match offers::by_idempotency_key(&state.db, idempotency_key).await? {
        Some(existing) if existing.request_id == request.id => Ok(Sent {
            version: existing.version,
            repeated: true,
        }),
        _ => Err(OfferError::WrongState(request.state.clone())),
    }
}

pub fn pdf_filename(reference: &str, version: i64) -> String {
    format!("{reference}-offre-v{version}.pdf")
}

struct BuildOptions<'a> {
    version: i64,
    supersedes: Option<Supersedes>,
    today: NaiveDate,
    reprice_on: Option<NaiveDate>,
    officer: &'a SessionUser,
}

struct PayeeOf {
    organisation_id: String,
    payment: Payment,
}

struct Built {
    document: OfferDocument,
    payees: Vec<PayeeOf>,
}

/// One operator's answers for the request (an operator may serve several of its services).
struct Part {
    organisation_id: String,
    operator: String,
    services: Vec<(Service, AssessmentRow, Assessment)>,
}

async fn parts(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
) -> Result<Vec<Part>, OfferError> {
    let names: BTreeMap<String, String> = db::organisations::all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o.name))
        .collect();
    let mut parts: Vec<Part> = Vec::new();
    let mut rows = assessments::for_request(&state.db, scope, &request.id).await?;
    rows.sort_by_key(|row| {
        Service::ALL
            .iter()
            .position(|s| s.code() == row.service)
            .unwrap_or(usize::MAX)
    });
    for row in rows {
        if row.status != "answered" {
            return Err(OfferError::NotAssessed);
        }
        let version = assessments::latest_version(&state.db, scope, &row.id)
            .await?
            .ok_or(OfferError::NotAssessed)?;
        let answer: Assessment = serde_json::from_str(&version.body)
            .map_err(|e| DbError::Corrupt(format!("assessment body: {e}")))?;
        let service = row.service.parse::<Service>().ok();
        let index = match parts
            .iter()
            .position(|p| p.organisation_id == row.organisation_id)
        {
            Some(index) => index,
            None => {
                parts.push(Part {
                    organisation_id: row.organisation_id.clone(),
                    operator: names.get(&row.organisation_id).cloned().unwrap_or_default(),
                    services: Vec::new(),
                });
                parts.len() - 1
            }
        };
        // Partners joined by configuration have no `Service`; they keep their own label.
        let service = service.unwrap_or(Service::Proximus);
        parts[index].services.push((service, row, answer));
    }
    if parts.is_empty() {
        return Err(OfferError::NotAssessed);
    }
    Ok(parts)
}

/// V-8.3: lines priced from a tariff book take the price of the book in force on `day`;
/// lines staff added by hand stay as written.
fn reprice(
    state: &AppState,
    request: &RequestRow,
    service: Service,
    lines: &mut [PricedLine],
    day: NaiveDate,
) -> Result<(), OfferError> {
    let mut facts = assess::facts_of(request).map_err(|e| OfferError::Render(e.to_string()))?;
    facts.submitted_on = day;
    let tariffs = state.tariffs();
    let fresh =
        operators::pricing::price(&tariffs, service, &facts, &request.postcode).map_err(|e| {
            OfferError::NoBook(vec![UnpricedPart {
                service: service.code().to_owned(),
                unpriced: Some(Unpriced::of(&tariffs, &e)),
            }])
        })?;
    for line in lines.iter_mut() {
        if let Some(current) = fresh.iter().find(|f| f.code == line.code) {
            line.unit_price = current.unit_price;
            line.vat_rate = current.vat_rate;
            line.book_version = current.book_version.clone();
            line.amount_excl_vat = round_cents(line.quantity * line.unit_price);
            line.vat_amount =
                round_cents(line.amount_excl_vat * line.vat_rate / Decimal::from(100));
        }
    }
    Ok(())
}

/// The bare name of a service for the offer ("Électricité", the operator being the section):
/// a partner's service, without a catalogue entry, is named by its organisation.
fn service_name(tr: Tr, code: &str, operator: &str) -> String {
    let label = tr.service(code);
    if label.starts_with("service.") {
        return operator.to_owned();
    }
    label
        .split(" (")
        .next()
        .unwrap_or(label.as_str())
        .to_owned()
}

fn regime_of(code: &str) -> Option<VatRegime> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

fn offer_line(tr: Tr, line: &PricedLine) -> OfferLine {
    OfferLine {
        label: line.label(tr),
        quantity: line.quantity.normalize(),
        unit: tr.keyed("tariff.unit", &line.unit),
        unit_price: line.unit_price,
        amount_excl_vat: line.amount_excl_vat,
        vat_label: tr.keyed("tariff.vat", &line.vat_regime),
        vat_amount: line.vat_amount,
        rule: line.rule.clone(),
        book_version: line.book_version.clone(),
    }
}

/// A payee's structured communication: the request's year and number and the payee's place,
/// so a bank statement line names its request and operator (`+++260/0004/20102+++`).
pub fn communication_for(reference: &str, payee_index: usize) -> Result<String, OfferError> {
    let parsed: crate::domain::Reference = reference.parse().map_err(OfferError::Invalid)?;
    let base = u64::try_from(parsed.year.rem_euclid(100)).unwrap_or(0) * 100_000_000
        + u64::try_from(parsed.number).unwrap_or(0) % 1_000_000 * 100
        + (payee_index as u64 + 1) % 100;
    // Two digits of year, six of number, two of payee: always within the ten digits allowed.
    Ok(StructuredCommunication::from_base(base)
        .map_err(|e| OfferError::Render(e.to_string()))?
        .to_string())
}

async fn build(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
    options: BuildOptions<'_>,
) -> Result<Built, OfferError> {
    let language = request.language();
    let tr = Tr(language);
    let mut parts = parts(state, scope, request).await?;
    let unpriced = unpriced_parts(&parts);
    if !unpriced.is_empty() {
        return Err(OfferError::NoBook(unpriced));
    }
    if let Some(day) = options.reprice_on {
        for part in &mut parts {
            for (service, row, answer) in &mut part.services {
                if row.service.parse::<Service>().is_ok() {
                    reprice(state, request, *service, &mut answer.lines, day)?;
                }
            }
        }
    }
    let mut sections = Vec::new();
    let mut payees = Vec::new();
    let mut vat: BTreeMap<(String, Decimal), (Decimal, Decimal)> = BTreeMap::new();
    let mut regimes = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let mut section = OperatorSection {
            operator: part.operator.clone(),
            services: Vec::new(),
            lines: Vec::new(),
            subtotal_excl_vat: Decimal::ZERO,
            subtotal_vat: Decimal::ZERO,
            subtotal_incl_vat: Decimal::ZERO,
            prerequisites: Vec::new(),
            lead_time: String::new(),
            notes: Vec::new(),
            payment: None,
        };
        let mut lead_times = Vec::new();
        for (_, row, answer) in &part.services {
            section
                .services
                .push(service_name(tr, &row.service, &part.operator));
            if answer.feasibility == Feasibility::Refused {
                section.notes.push(format!(
                    "{} — {}",
                    tr.keyed("assessment.feasibility", answer.feasibility.code()),
                    answer.note.clone().unwrap_or_default()
                ));
                continue;
            }
            for line in &answer.lines {
                section.lines.push(offer_line(tr, line));
                section.subtotal_excl_vat += line.amount_excl_vat;
                section.subtotal_vat += line.vat_amount;
                let entry = vat
                    .entry((line.vat_regime.clone(), line.vat_rate))
                    .or_default();
                entry.0 += line.amount_excl_vat;
                entry.1 += line.vat_amount;
                if let Some(regime) = regime_of(&line.vat_regime)
                    && !regimes.contains(&regime)
                {
                    regimes.push(regime);
                }
            }
            section.prerequisites.extend(
                answer
                    .prerequisites
                    .iter()
                    .filter(|p| !p.met)
                    .map(|p| describe::prerequisite_line(tr, p)),
            );
            lead_times.push(describe::lead_time_text(tr, answer));
            section.notes.extend(
                answer
                    .reasons
                    .iter()
                    .map(|r| tr.keyed("assessment.reason", r)),
            );
            section.notes.extend(describe::part_notes(tr, answer));
            if let Some(note) = &answer.note {
                section.notes.push(note.clone());
            }
            if answer.lines.iter().all(|l| l.amount_excl_vat.is_zero()) && !answer.lines.is_empty()
            {
                section.notes.push(tr.f(
                    "offer.free_service",
                    [("service", tr.service(&row.service).as_str())],
                ));
            }
        }
        lead_times.dedup();
        section.lead_time = lead_times.join(" ; ");
        section.subtotal_incl_vat = section.subtotal_excl_vat + section.subtotal_vat;
        if section.subtotal_incl_vat > Decimal::ZERO {
            let details = offers::payee_of(&state.db, &part.organisation_id).await?;
            let payment = Payment {
                payee: details.name,
                iban: details.iban.unwrap_or_default(),
                bic: details.bic,
                amount: section.subtotal_incl_vat,
                structured_communication: communication_for(&request.reference, index)?,
                // A commune acting as project owner pays after the works (V-8.2.1).
                after_works: request.pays_after_works != 0,
            };
            section.payment = Some(payment.clone());
            payees.push(PayeeOf {
                organisation_id: part.organisation_id.clone(),
                payment,
            });
        }
        sections.push(section);
    }
    let total_excl_vat: Decimal = sections.iter().map(|s| s.subtotal_excl_vat).sum();
    let total_vat: Decimal = sections.iter().map(|s| s.subtotal_vat).sum();
    let vat_rows = vat
        .into_iter()
        .map(|((regime, _rate), (base, vat))| VatSummaryRow {
            label: tr.keyed("tariff.vat", &regime),
            base,
            vat,
        })
        .collect();
    let vat_mentions = regimes
        .iter()
        .filter_map(|r| r.mention_key())
        .map(|key| tr.t(key).to_owned())
        .collect();
    let proposed_days = proposed_days(state, scope, request, options.today).await;
    let valid_until = options
        .today
        .checked_add_months(Months::new(VALIDITY_MONTHS))
        .unwrap_or(options.today);
    let mut address = Vec::new();
    if let (Some(street), Some(number)) = (&request.street, &request.house_number) {
        address.push(format!("{street} {number}"));
    }
    address.push(format!("{} {}", request.postcode, request.commune_name));
    let coordinator = db::organisations::own(&state.db, scope).await?;
    Ok(Built {
        document: OfferDocument {
            language,
            reference: request.reference.clone(),
            version: options.version as u32,
            supersedes: options.supersedes,
            issued_on: options.today,
            valid_until,
            applicant: Addressee {
                name: request.applicant_name.clone(),
                email: request.email.clone(),
                address,
            },
            site: request.site_line(),
            contact: Contact {
                organisation: coordinator.name,
                officer: options.officer.display_name.clone(),
                email: options.officer.email.clone(),
                phone: coordinator.contact.unwrap_or_default(),
            },
            sections,
            vat: vat_rows,
            vat_mentions,
            total_excl_vat,
            total_vat,
            total_incl_vat: total_excl_vat + total_vat,
            conditions: vec![
                tr.f(
                    "offer.condition.validity",
                    [("date", tr.date(valid_until).as_str())],
                ),
                tr.t("offer.condition.payment_before_works").to_owned(),
                tr.t("offer.condition.contract").to_owned(),
                tr.t("offer.condition.changes").to_owned(),
            ],
            proposed_days,
            status_url: String::new(),
        },
        payees,
    })
}

/// The first common days, when they can be computed; an offer without proposed days is still
/// an offer (the day is chosen after acceptance).
async fn proposed_days(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
    today: NaiveDate,
) -> Vec<NaiveDate> {
    match crate::services::schedule::candidates(state, scope, request, today).await {
        Ok(days) => days
            .candidates
            .iter()
            .take(PROPOSED_DAYS)
            .map(|c| c.date)
            .collect(),
        Err(error) => {
            tracing::info!(request = %request.reference, %error, "no day to propose");
            Vec::new()
        }
    }
}

/// Who made a change, for the timeline.
pub enum Who<'a> {
    Staff(&'a SessionUser),
    Applicant,
    System,
}

async fn event(
    tx: &mut Tx,
    request: &RequestRow,
    now: DateTime<Utc>,
    kind: &str,
    who: Who<'_>,
    detail: Option<&str>,
) -> Result<(), DbError> {
    let (actor_kind, actor_id, actor_name, organisation_id) = match who {
        Who::Staff(user) => (
            "staff",
            Some(user.user_id),
            Some(user.display_name.as_str()),
            Some(user.organisation_id),
        ),
        Who::Applicant => (
            "applicant",
            None,
            Some(request.applicant_name.as_str()),
            None,
        ),
        Who::System => ("system", None, None, None),
    };
    requests::insert_event(
        tx,
        &NewEvent {
            request_id: db::parse_uuid(&request.id)?,
            at: now,
            kind,
            actor_kind,
            actor_id,
            actor_name,
            organisation_id,
            detail,
            public: true,
        },
    )
    .await
}

/// Queues a short message to the applicant in their language.
async fn notify_applicant(
    tx: &mut Tx,
    base_url: &str,
    request: &RequestRow,
    kind: &str,
    paragraphs: Vec<String>,
    attachments: &[Attachment],
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let tr = Tr(request.language());
    let link = crate::services::links::issue_follow_link(
        tx,
        base_url,
        db::parse_uuid(&request.id)?,
        kind,
        now,
    )
    .await?;
    let mail = compose::notice(
        tr,
        &compose::Notice {
            subject: tr.f(
                &format!("offer.mail.subject.{kind}"),
                [("reference", request.reference.as_str())],
            ),
            name: request.applicant_name.clone(),
            paragraphs,
            link: Some(link),
        },
    )?;
    outbox::enqueue(
        tx,
        &NewMessage {
            kind,
            request_id: Some(db::parse_uuid(&request.id)?),
            recipient: &request.email,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            attachments,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The stored document of an offer version.
pub fn document_of(offer: &OfferRow) -> Result<OfferDocument, OfferError> {
    serde_json::from_str(&offer.document)
        .map_err(|e| OfferError::Db(DbError::Corrupt(format!("offer document: {e}"))))
}

/// The PDF of a version, the same bytes as the one sent.
pub fn pdf_of(offer: &OfferRow) -> Result<Vec<u8>, OfferError> {
    let document = document_of(offer)?;
    Ok(quote::pdf::pdf(&document, Tr(document.language))?)
}

/// The PDF of version `version` of a request's offer (a request the caller may read), or
/// `None` when there is no such version.
pub async fn pdf_of_version(
    state: &AppState,
    request_id: &str,
    version: i64,
) -> Result<Option<Vec<u8>>, OfferError> {
    match offers::for_request(&state.db, request_id)
        .await?
        .into_iter()
        .find(|o| o.version == version)
    {
        Some(offer) => pdf_of(&offer).map(Some),
        None => Ok(None),
    }
}

/// The document of version `version` of a request's offer (a request the caller may read),
/// or `None` when there is no such version.
pub async fn document_of_version(
    state: &AppState,
    request_id: &str,
    version: i64,
) -> Result<Option<OfferDocument>, OfferError> {
    offers::for_request(&state.db, request_id)
        .await?
        .into_iter()
        .find(|o| o.version == version)
        .map(|offer| document_of(&offer))
        .transpose()
}

/// How an acceptance is given: on the status page with explicit consent, or written and
/// recorded by the case officer (V-8.2.1).
pub enum AcceptedBy<'a> {
    Applicant {
        consent: bool,
    },
    Officer {
        user: &'a SessionUser,
        note: &'a str,
    },
}

/// Accepts the current version. A lapsed or superseded version cannot be accepted.
pub async fn accept(
    state: &AppState,
    request: &RequestRow,
    version: i64,
    by: AcceptedBy<'_>,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let note = match &by {
        AcceptedBy::Applicant { consent: false } => return Err(OfferError::ConsentRequired),
        AcceptedBy::Applicant { consent: true } => None,
        AcceptedBy::Officer { note, .. } => {
            Some(crate::domain::error::required_text(note, 2000).map_err(OfferError::Invalid)?)
        }
    };
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if offer.version != version {
        return Err(OfferError::NotOpen);
    }
    match offer.status.as_str() {
        "sent" if offer.valid_until.as_str() < today.to_string().as_str() => {
            return Err(OfferError::Lapsed);
        }
        "sent" => {}
        "lapsed" => return Err(OfferError::Lapsed),
        _ => return Err(OfferError::NotOpen),
    }
    let (by_kind, by_id, who) = match &by {
        AcceptedBy::Applicant { .. } => ("applicant", None, Who::Applicant),
        AcceptedBy::Officer { user, .. } => {
            ("staff", Some(user.user_id.to_string()), Who::Staff(user))
        }
    };
    let accepted = offers::accept(
        &mut tx,
        &offer.id,
        &Acceptance {
            by_kind,
            by: by_id.as_deref(),
            note: note.as_deref(),
        },
        today,
        now,
    )
    .await?;
    if !accepted {
        return Err(OfferError::NotOpen);
    }
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    let all_paid = nothing_due_before_works(&payees);
    let to = if all_paid {
        RequestState::ReadyForWorks
    } else {
        RequestState::Accepted
    };
    // The offer was open, so the request was quoted; the guard keeps a concurrent change.
    if !requests::move_state(&mut tx, &request.id, RequestState::Quoted, to, now).await? {
        return Err(OfferError::NotOpen);
    }
    let detail = match &note {
        Some(note) => format!("v{} — {note}", offer.version),
        None => format!("v{}", offer.version),
    };
    event(&mut tx, request, now, "offer_accepted", who, Some(&detail)).await?;
    let tr = Tr(request.language());
    let mut paragraphs = vec![tr.f(
        "offer.mail.accepted",
        [("version", offer.version.to_string().as_str())],
    )];
    if all_paid {
        paragraphs.push(tr.t("offer.mail.nothing_to_pay").to_owned());
    } else {
        paragraphs.extend(payees.iter().filter(|p| p.paid_at.is_none()).map(|p| {
            tr.f(
                "offer.mail.pay_line",
                [
                    ("payee", p.payee_name.as_str()),
                    ("amount", tr.money(parse_amount(&p.amount)).as_str()),
                    ("iban", p.iban.as_deref().unwrap_or("")),
                    ("communication", p.structured_communication.as_str()),
                ],
            )
        }));
    }
    notify_applicant(
        &mut tx,
        &state.base_url,
        request,
        "offer_accepted",
        paragraphs,
        &[],
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

fn parse_amount(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// Every payee that must be paid before the works has been (or nothing is due).
fn nothing_due_before_works(payees: &[PayeeRow]) -> bool {
    payees
        .iter()
        .all(|p| p.after_works == 1 || p.paid_at.is_some() || parse_amount(&p.amount).is_zero())
}

/// The case officer registers one operator's payment. When every payee due before the works
/// is paid the request is ready for works (V-8.2.1, B-5.4).
pub async fn record_payment(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    organisation_id: &str,
    amount: &str,
    paid_on: &str,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let amount: Decimal = amount
        .trim()
        .replace(',', ".")
        .replace(['€', ' ', '\u{202f}'], "")
        .parse()
        .map_err(|_| OfferError::Invalid(InputError::Number))?;
    if amount <= Decimal::ZERO {
        return Err(OfferError::Invalid(InputError::Number));
    }
    let paid_on = NaiveDate::parse_from_str(paid_on.trim(), "%Y-%m-%d")
        .map_err(|_| OfferError::Invalid(InputError::Date))?;
    if paid_on > crate::clock::day_of(now) {
        return Err(OfferError::Invalid(InputError::Date));
    }
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if offer.status != "accepted" {
        return Err(OfferError::NotAccepted);
    }
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    let payee = payees
        .iter()
        .find(|p| p.organisation_id == organisation_id)
        .ok_or(OfferError::UnknownPayee)?;
    if !offers::record_payment(
        &mut tx,
        &offer.id,
        organisation_id,
        &amount.to_string(),
        paid_on,
        user.user_id,
    )
    .await?
    {
        return Err(OfferError::AlreadyPaid);
    }
    let tr = Tr(request.language());
    let detail = format!("{} — {}", payee.payee_name, tr.money(amount));
    event(
        &mut tx,
        request,
        now,
        "payment_registered",
        Who::Staff(user),
        Some(&detail),
    )
    .await?;
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    if nothing_due_before_works(&payees)
        && requests::move_state(
            &mut tx,
            &request.id,
            RequestState::Accepted,
            RequestState::ReadyForWorks,
            now,
        )
        .await?
    {
        event(&mut tx, request, now, "ready_for_works", Who::System, None).await?;
        notify_applicant(
            &mut tx,
            &state.base_url,
            request,
            "ready_for_works",
            vec![tr.t("offer.mail.paid").to_owned()],
            &[],
            now,
        )
        .await?;
    }
    // A commune paying after the works (V-8.2.1) closes its request with its last payment.
    close_if_settled(&mut tx, &state.base_url, &request.id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

/// Records whether the applicant pays after the works (a commune as project owner, V-8.2.1).
/// Refused once an offer is accepted: the payment terms are part of what was accepted.
pub async fn set_pays_after_works(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    after_works: bool,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let mut tx = state.db.begin_write().await?;
    if !requests::set_pays_after_works(&mut tx, &user.scope(), &request.id, after_works, now)
        .await?
    {
        return Err(OfferError::WrongState(request.state.clone()));
    }
    let tr = Tr(request.language());
    let detail = tr
        .t(if after_works {
            "offer.payer.after_works"
        } else {
            "offer.payer.before_works"
        })
        .to_owned();
    event(
        &mut tx,
        request,
        now,
        "payer_changed",
        Who::Staff(user),
        Some(&detail),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Closes a request whose works are all done once every operator is paid (those paid after
/// the works included). Returns whether it closed.
pub async fn close_if_settled(
    tx: &mut Tx,
    base_url: &str,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, OfferError> {
    let Some(offer) = offers::latest_in(tx, request_id).await? else {
        return Ok(false);
    };
    let payees = offers::payees_in(tx, &offer.id).await?;
    if !payees
        .iter()
        .all(|p| p.paid_at.is_some() || parse_amount(&p.amount).is_zero())
    {
        return Ok(false);
    }
    if !requests::move_state(
        tx,
        request_id,
        RequestState::Done,
        RequestState::Closed,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    requests::insert_event(
        tx,
        &NewEvent {
            request_id: db::parse_uuid(request_id)?,
            at: now,
            kind: "closed",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: None,
            detail: None,
            public: true,
        },
    )
    .await?;
    let request = requests::get_for_worker(tx, request_id).await?;
    let tr = Tr(request.language());
    notify_applicant(
        tx,
        base_url,
        &request,
        "closed",
        vec![tr.f(
            "offer.mail.closed",
            [("reference", request.reference.as_str())],
        )],
        &[],
        now,
    )
    .await?;
    Ok(true)
}

/// The applicant asks for a change after the offer was sent (V-8.3): the officer sees it and
/// sends a revised offer at the tariffs in force.
pub async fn request_change(
    state: &AppState,
    request: &RequestRow,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let text = crate::domain::error::required_text(text, 2000).map_err(OfferError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if !matches!(offer.status.as_str(), "sent" | "accepted" | "lapsed") {
        return Err(OfferError::NotOpen);
    }
    requests::set_change_requested(&mut tx, &request.id, Some(now)).await?;
    event(
        &mut tx,
        request,
        now,
        "change_requested",
        Who::Applicant,
        Some(&text),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub struct DailyRun {
    pub reminded: usize,
    pub lapsed: usize,
}

/// The daily job: reminds applicants a month before their offer lapses and lapses the offers
/// older than six months (V-8.1). Each step is done once, whichever instance runs it.
pub async fn run_daily(state: &AppState, now: DateTime<Utc>) -> Result<DailyRun, OfferError> {
    let today = crate::clock::day_of(now);
    let mut run = DailyRun {
        reminded: 0,
        lapsed: 0,
    };
    let reminder_horizon = today + chrono::Days::new(REMINDER_DAYS_BEFORE);
    for offer in offers::due_reminders(&state.db, reminder_horizon).await? {
        let valid_until = db::parse_date(&offer.valid_until)?;
        if valid_until < today {
            continue;
        }
        let request = requests::get_for_worker_db(&state.db, &offer.request_id).await?;
        let tr = Tr(request.language());
        let mut tx = state.db.begin_write().await?;
        if offers::mark_reminded(&mut tx, &offer.id, now).await? {
            notify_applicant(
                &mut tx,
                &state.base_url,
                &request,
                "offer_reminder",
                vec![tr.f(
                    "offer.mail.reminder",
                    [
                        ("version", offer.version.to_string().as_str()),
                        ("date", tr.date(valid_until).as_str()),
                    ],
                )],
                &[],
                now,
            )
            .await?;
            event(&mut tx, &request, now, "offer_reminder", Who::System, None).await?;
            run.reminded += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
    }
    for offer in offers::due_lapses(&state.db, today).await? {
        let request = requests::get_for_worker_db(&state.db, &offer.request_id).await?;
        let tr = Tr(request.language());
        let mut tx = state.db.begin_write().await?;
        if offers::lapse(&mut tx, &offer.id, now).await? {
            requests::move_state(
                &mut tx,
                &request.id,
                RequestState::Quoted,
                RequestState::Lapsed,
                now,
            )
            .await?;
            event(
                &mut tx,
                &request,
                now,
                "offer_lapsed",
                Who::System,
                Some(&format!("v{}", offer.version)),
            )
            .await?;
            notify_applicant(
                &mut tx,
                &state.base_url,
                &request,
                "offer_lapsed",
                vec![tr.f(
                    "offer.mail.lapsed",
                    [("version", offer.version.to_string().as_str())],
                )],
                &[],
                now,
            )
            .await?;
            run.lapsed += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
    }
    if run.reminded + run.lapsed > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(run)
}

/// The case officer confirms the reserved day once the works may go ahead: offer accepted and
/// paid (V-8.2.1) and nothing else blocking. The applicant receives the invitation (.ics).
pub async fn confirm_day(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    now: DateTime<Utc>,
) -> Result<NaiveDate, OfferError> {
    let tr = Tr(request.language());
    let mut blockers = Vec::new();
    let day = db::crews::reserved_day(&state.db, &request.id).await?;
    if day.is_none() {
        blockers.push(tr.t("offer.blocker.no_day").to_owned());
    }
    if request.state != "ready_for_works" {
        blockers.push(tr.f(
            "offer.blocker.state",
            [("state", tr.state(&request.state).as_str())],
        ));
    }
    // The commune's joint road-works permit (rule C-6): granted, conditions acknowledged.
    if let Some(key) = super::permits::confirmation_blocker(&state.db, &request.id).await? {
        blockers.push(tr.t(&key).to_owned());
    }
    if !blockers.is_empty() {
        return Err(OfferError::NotReady(blockers));
    }
    let day = day.unwrap_or_default();
    let invite = quote::ics::invitation(quote::ics::JointDayInvite {
        uid: format!("{}@connect-my-home.be", request.id),
        reference: request.reference.clone(),
        date: day,
        site: request.site_line(),
        summary: tr.f(
            "offer.ics.summary",
            [("reference", request.reference.as_str())],
        ),
        description: tr.t("offer.ics.description").to_owned(),
        organizer_email: user.email.clone(),
        attendee_email: request.email.clone(),
        stamp: now,
        // A first invitation; a later change of day would send the same UID, sequence 1…
        sequence: 0,
    });
    let mut tx = state.db.begin_write().await?;
    if !requests::move_state(
        &mut tx,
        &request.id,
        RequestState::ReadyForWorks,
        RequestState::Scheduled,
        now,
    )
    .await?
    {
        return Err(OfferError::WrongState(request.state.clone()));
    }
    event(
        &mut tx,
        request,
        now,
        "day_confirmed",
        Who::Staff(user),
        Some(&day.to_string()),
    )
    .await?;
    notify_applicant(
        &mut tx,
        &state.base_url,
        request,
        "day_confirmed",
        vec![tr.f("offer.mail.day", [("day", tr.date(day).as_str())])],
        &[Attachment {
            filename: format!("{}.ics", request.reference),
            content_type: "text/calendar; method=REQUEST; charset=utf-8".to_owned(),
            content: invite.into_bytes(),
        }],
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(day)
}

/// Used by pages: the id of the organisation a payee form names, checked as a uuid.
pub fn payee_id(raw: &str) -> Option<String> {
    Uuid::parse_str(raw.trim()).ok().map(|u| u.to_string())
}
