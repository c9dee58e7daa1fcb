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
        offers::{self, Acceptance, DueRow, NewDue, NewOffer, OfferRow},
        outbox::{self, Attachment, NewMessage},
        requests::{self, NewEvent, RequestRow},
        sessions::SessionUser,
    },
    domain::{
        InputError, RequestState, Service,
        dues::{Direction, DueWhen},
        payment::StructuredCommunication,
    },
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
    tariff::{LineKind, VatRegime, money, round_cents},
};

mod acceptance;
mod lapse;
mod payments;

pub use acceptance::{AcceptedBy, accept, request_change, send_acceptance_code};
pub use lapse::{DailyRun, run_daily};
pub use payments::{
    Due, PayeeChoice, PaymentInput, close_if_settled, dues_of, last_recorded_payment, payee_id,
    record_payment, set_pays_after_works,
};
pub(crate) use payments::{Received, dues_in, register_in};

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
    #[error("an acceptance code has six digits")]
    CodeFormat,
    #[error("no acceptance code was sent")]
    NoCode,
    #[error("the acceptance code has expired")]
    CodeExpired,
    #[error("the acceptance code was used, replaced or tried too often")]
    CodeSpent,
    #[error("wrong acceptance code ({tries_left} tries left)")]
    WrongCode { tries_left: i64 },
    #[error("too many acceptance codes sent today")]
    TooManyCodes,
    #[error("this payee is not part of the offer")]
    UnknownPayee,
    #[error("this payment cannot be recorded: {0}")]
    Payment(crate::domain::dues::PaymentRefusal),
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

/// Stored lines are priced within the bounds of books and forms, so their sums stay far inside
/// the decimal range; a sum that would not is refused rather than panicking.
fn too_large(_: money::Overflow) -> OfferError {
    OfferError::Render("an amount of the offer is too large to compute".to_owned())
}

fn total(a: Decimal, b: Decimal) -> Result<Decimal, OfferError> {
    money::add(a, b).map_err(too_large)
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
    let current = request.state;
    let previous = offers::for_request(&state.db, &request.access).await?;
    let latest = previous.first();
    // A click with the same key may have landed since the check above: its offer is then
    // the latest one, and this click gets its answer rather than a refusal.
    if !may_send(current, latest.is_some()) {
        let refusal = OfferError::WrongState(request.state.code().to_owned());
        return repeated_or(state, request, idempotency_key, refusal).await;
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if latest.is_some() && reason.is_none() {
        return repeated_or(state, request, idempotency_key, OfferError::ReasonRequired).await;
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
        let refusal = OfferError::WrongState(request.state.code().to_owned());
        return repeated_or(state, request, idempotency_key, refusal).await;
    }
    offers::supersede_open(&mut tx, &request.id, now).await?;
    let dues: Vec<NewDue<'_>> = built
        .dues
        .iter()
        .map(|d| NewDue {
            direction: d.direction.code(),
            organisation_id: Some(d.organisation_id.as_str()),
            party_name: &d.party_name,
            document: d.document.code(),
            scope: d.scope.code(),
            iban: d.iban.as_deref(),
            bic: d.bic.as_deref(),
            amount: d.amount.to_string(),
            structured_communication: d.structured_communication.clone(),
            due: d.when.code(),
            rule: &d.rule,
            detail: d.detail.clone(),
            payer_name: d.payer_name.as_deref(),
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
        &dues,
        now,
    )
    .await;
    match inserted {
        Ok(_) => {}
        Err(DbError::Conflict(_)) => {
            tx.rollback().await.map_err(DbError::from)?;
            let refusal = OfferError::WrongState(request.state.code().to_owned());
            return repeated_or(state, request, idempotency_key, refusal).await;
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
    refusal: OfferError,
) -> Result<Sent, OfferError> {
    match offers::by_idempotency_key(&state.db, idempotency_key).await? {
        Some(existing) if existing.request_id == request.id => Ok(Sent {
            version: existing.version,
            repeated: true,
        }),
        _ => Err(refusal),
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

/// One due of the version: who pays whom, how much, when (see `domain::dues`).
struct DueOf {
    organisation_id: String,
    direction: Direction,
    party_name: String,
    document: quote::DocumentKind,
    scope: quote::DocumentScope,
    iban: Option<String>,
    bic: Option<String>,
    amount: Decimal,
    structured_communication: Option<String>,
    when: DueWhen,
    rule: String,
    detail: Option<String>,
    /// V-2.3: who pays when not the applicant.
    payer_name: Option<String>,
}

struct Built {
    document: OfferDocument,
    dues: Vec<DueOf>,
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

/// A part the books no longer price on the day it is priced again (V-5).
fn no_book(
    tariffs: &crate::tariff::Tariffs,
    service: Service,
    error: &crate::tariff::TariffError,
) -> OfferError {
    OfferError::NoBook(vec![UnpricedPart {
        service: service.code().to_owned(),
        unpriced: Some(Unpriced::of(tariffs, error)),
    }])
}

/// V-8.3: lines priced from a tariff book take the price of the book in force on `day`;
/// lines staff added by hand stay as written.
fn reprice(
    tariffs: &crate::tariff::Tariffs,
    facts: &operators::RequestFacts,
    request: &RequestRow,
    service: Service,
    lines: &mut [PricedLine],
    day: NaiveDate,
) -> Result<(), OfferError> {
    let mut facts = facts.clone();
    facts.submitted_on = day;
    let fresh = operators::pricing::price(tariffs, service, &facts, &request.postcode)
        .map_err(|e| no_book(tariffs, service, &e))?;
    for line in lines.iter_mut() {
        // Matched by identity, not code alone: two quote-parts share a code (B-10).
        if let Some(current) = fresh.iter().find(|f| f.identity() == line.identity()) {
            line.unit_price = current.unit_price;
            line.vat_regime = current.vat_regime.clone();
            line.vat_rate = current.vat_rate;
            line.book_version = current.book_version.clone();
            line.amount_excl_vat =
                round_cents(money::mul(line.quantity, line.unit_price).map_err(too_large)?);
            line.vat_amount = round_cents(
                money::percent_of(line.amount_excl_vat, line.vat_rate).map_err(too_large)?,
            );
        }
    }
    Ok(())
}

/// B-4.1: a declared VAT exemption applies from the day its proof is received: the engine's
/// lines priced before then take the regime the engine gives them now, at their own tariffs.
fn rerate(
    tariffs: &crate::tariff::Tariffs,
    facts: &operators::RequestFacts,
    request: &RequestRow,
    service: Service,
    lines: &mut [PricedLine],
) -> Result<(), OfferError> {
    let fresh = operators::pricing::price(tariffs, service, facts, &request.postcode)
        .map_err(|e| no_book(tariffs, service, &e))?;
    for line in lines.iter_mut() {
        if let Some(current) = fresh
            .iter()
            .find(|f| f.identity() == line.identity() && f.vat_regime != line.vat_regime)
        {
            line.vat_regime = current.vat_regime.clone();
            line.vat_rate = current.vat_rate;
            line.vat_amount = round_cents(
                money::percent_of(line.amount_excl_vat, line.vat_rate).map_err(too_large)?,
            );
        }
    }
    Ok(())
}

/// B-10: each quote-part as of the offer's date, from the day its holder paid the section
/// recorded in SWDE's survey, so a share shrinks each month and reaches 0 after 60; the
/// tariff date of the rest of the part does not move.
fn shares_on(
    tariffs: &crate::tariff::Tariffs,
    request: &RequestRow,
    lines: &mut [PricedLine],
    day: NaiveDate,
) -> Result<(), OfferError> {
    let mut facts = assess::facts_of(request).map_err(|e| OfferError::Render(e.to_string()))?;
    let Some(survey) = facts.water_survey.as_mut() else {
        return Ok(());
    };
    if survey.holders.iter().all(|h| h.paid_on.is_none()) {
        return Ok(());
    }
    survey.shares_on(day);
    let fresh = operators::pricing::price(tariffs, Service::Water, &facts, &request.postcode)
        .map_err(|e| no_book(tariffs, Service::Water, &e))?;
    for line in lines
        .iter_mut()
        .filter(|l| l.kind() == LineKind::ThirdParty)
    {
        if let Some(current) = fresh.iter().find(|f| f.identity() == line.identity()) {
            *line = current.clone();
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
        vat_regime: line.vat_regime.clone(),
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

/// An empty document of `operator` for `scope`.
fn empty_section(operator: &str, scope: quote::DocumentScope) -> OperatorSection {
    OperatorSection {
        operator: operator.to_owned(),
        services: Vec::new(),
        lines: Vec::new(),
        subtotal_excl_vat: Decimal::ZERO,
        subtotal_vat: Decimal::ZERO,
        subtotal_incl_vat: Decimal::ZERO,
        prerequisites: Vec::new(),
        lead_time: String::new(),
        notes: Vec::new(),
        refusals: Vec::new(),
        payment: None,
        document: quote::DocumentKind::Offer,
        scope,
        vat: Vec::new(),
        holders: Vec::new(),
        credits: Vec::new(),
        payer: None,
    }
}

/// The documents of one operator's part: its connections, and — for ORES electricity on land
/// to service — the servicing as a document of its own, an offer or an invoice (V-8, V-2.3,
/// V-7). Amounts that do not go from the applicant to the operator leave the document's lines
/// and sums: the cabin lease fee ORES pays the applicant at the deed (V-9.2) and the
/// quote-parts the applicant pays earlier holders directly (B-10).
fn part_sections(tr: Tr, part: &Part) -> Result<Vec<OperatorSection>, OfferError> {
    let mut connections = empty_section(&part.operator, quote::DocumentScope::Connections);
    let mut servicing: Option<OperatorSection> = None;
    let mut lead_times = Vec::new();
    for (_, row, answer) in &part.services {
        connections
            .services
            .push(service_name(tr, &row.service, &part.operator));
        // A refused part says why, with its rule, in the applicant's language (B-4.4).
        if answer.feasibility == Feasibility::Refused {
            let service = service_name(tr, &row.service, &part.operator);
            connections.refusals.extend(
                answer
                    .refusals()
                    .iter()
                    .map(|r| format!("{service} — {}", r.text(tr))),
            );
            continue;
        }
        for line in &answer.lines {
            let section = match line.servicing() {
                Some(kind) => servicing.get_or_insert_with(|| {
                    let mut section =
                        empty_section(&part.operator, quote::DocumentScope::Servicing);
                    section.document = kind.into();
                    section
                        .services
                        .push(tr.t("offer.scope.servicing").to_owned());
                    section
                }),
                None => &mut connections,
            };
            match line.kind() {
                LineKind::Credit => section.credits.push(quote::Credit {
                    payer: part.operator.clone(),
                    label: line.label(tr),
                    amount: line.amount_excl_vat.abs(),
                    when: tr.t("offer.credit.at_deed").to_owned(),
                    rule: line.rule.clone(),
                }),
                // A share down to 0 € after 60 months is not printed (B-10).
                LineKind::ThirdParty if line.amount_excl_vat.is_zero() => {}
                LineKind::ThirdParty => {
                    let holder = line
                        .payee
                        .clone()
                        .or_else(|| line.args.get("holder").cloned())
                        .unwrap_or_default();
                    let arg = |key: &str| line.args.get(key).cloned().unwrap_or_default();
                    let amount = tr.money(line.amount_excl_vat);
                    section.holders.push(quote::HolderShare {
                        formula: tr.f(
                            "offer.holder_formula",
                            [
                                ("cost", arg("cost").as_str()),
                                ("k", arg("k").as_str()),
                                ("j", arg("j").as_str()),
                                ("months", arg("months").as_str()),
                                ("amount", amount.as_str()),
                            ],
                        ),
                        holder,
                        parcel: arg("parcel"),
                        amount: line.amount_excl_vat,
                        rule: line.rule.clone(),
                    });
                }
                LineKind::Charge | LineKind::Subsidy => {
                    section.lines.push(offer_line(tr, line));
                }
            }
        }
        // The servicing document carries the texts of its rules (V-), the connections the
        // rest of the part's.
        let target = servicing.as_mut().unwrap_or(&mut connections);
        target.notes.extend(describe::part_notes(tr, answer));
        connections.prerequisites.extend(
            answer
                .prerequisites
                .iter()
                .filter(|p| !p.met)
                .map(|p| describe::prerequisite_line(tr, p)),
        );
        lead_times.push(describe::lead_time_text(tr, answer));
        connections.notes.extend(
            answer
                .reasons
                .iter()
                .map(|r| tr.keyed("assessment.reason", r)),
        );
        if let Some(note) = &answer.note {
            connections.notes.push(note.clone());
        }
        let own: Vec<&PricedLine> = answer
            .lines
            .iter()
            .filter(|l| l.servicing().is_none())
            .collect();
        if !own.is_empty() && own.iter().all(|l| l.amount_excl_vat.is_zero()) {
            connections.notes.push(tr.f(
                "offer.free_service",
                [("service", tr.service(&row.service).as_str())],
            ));
        }
    }
    lead_times.dedup();
    connections.lead_time = lead_times.join(" ; ");
    // Each share's signed receipt is a prerequisite the operator checks (B-10).
    let receipts: Vec<String> = connections
        .holders
        .iter()
        .map(|h| {
            tr.f(
                "offer.holder_receipt",
                [("holder", h.holder.as_str()), ("rule", h.rule.as_str())],
            )
        })
        .collect();
    connections.prerequisites.extend(receipts);
    let mut sections = Vec::new();
    let servicing_only = servicing.is_some()
        && connections.lines.is_empty()
        && connections.holders.is_empty()
        && connections.credits.is_empty();
    if let Some(mut servicing) = servicing {
        servicing.lead_time = connections.lead_time.clone();
        if servicing_only {
            // Land serviced without a connection: the part's texts are the servicing's.
            servicing
                .prerequisites
                .append(&mut connections.prerequisites);
            servicing.notes.append(&mut connections.notes);
            sections.push(servicing);
            return Ok(sections);
        }
        sections.push(connections);
        sections.push(servicing);
    } else {
        sections.push(connections);
    }
    Ok(sections)
}

/// The document's sums and VAT: per rate on the document's sum, rounded once, each line
/// showing its share (V-6, B-5.2) — whatever staff edited or a re-issue re-priced.
fn document_vat(
    tr: Tr,
    section: &mut OperatorSection,
    regimes: &mut Vec<VatRegime>,
) -> Result<(), OfferError> {
    let mut amounts = Vec::with_capacity(section.lines.len());
    for line in &section.lines {
        let regime = regime_of(&line.vat_regime).ok_or_else(|| {
            OfferError::Render(format!("unknown VAT regime {:?}", line.vat_regime))
        })?;
        amounts.push((
            regime,
            crate::domain::money::Money::from_decimal(line.amount_excl_vat),
        ));
        if !regimes.contains(&regime) {
            regimes.push(regime);
        }
    }
    let (rows, shares) =
        crate::tariff::share_vat(&amounts).map_err(|e| OfferError::Render(e.to_string()))?;
    for (line, share) in section.lines.iter_mut().zip(shares) {
        line.vat_amount = share.amount();
    }
    section.subtotal_excl_vat =
        money::sum(section.lines.iter().map(|l| l.amount_excl_vat)).map_err(too_large)?;
    section.subtotal_vat = money::sum(rows.iter().map(|r| r.vat.amount())).map_err(too_large)?;
    section.vat = rows
        .into_iter()
        .map(|row| VatSummaryRow {
            label: tr.keyed("tariff.vat", row.regime.code()),
            base: row.base.amount(),
            vat: row.vat.amount(),
        })
        .collect();
    Ok(())
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
    let tariffs = crate::services::books::current(state).await?;
    // V-3.1: priced again with the dossier an earlier request opened, as when assessed; B-4.1:
    // with the VAT exemption its proof now establishes.
    let facts = {
        let mut connection = state.db.pool.acquire().await.map_err(DbError::from)?;
        assess::facts_with_dossiers(&mut connection, request)
            .await
            .map_err(|e| OfferError::Render(e.to_string()))?
    };
    for part in &mut parts {
        for (service, row, answer) in &mut part.services {
            let engine_priced = row.service.parse::<Service>().is_ok();
            if let Some(day) = options.reprice_on
                && engine_priced
            {
                reprice(&tariffs, &facts, request, *service, &mut answer.lines, day)?;
            } else if facts.exemption_proved && engine_priced {
                rerate(&tariffs, &facts, request, *service, &mut answer.lines)?;
            }
            if facts.exemption_proved {
                answer
                    .mentions
                    .retain(|m| m != operators::pricing::EXEMPTION_PENDING);
            }
            if *service == Service::Water && row.service == Service::Water.code() {
                shares_on(&tariffs, request, &mut answer.lines, options.today)?;
            }
        }
    }
    // Parts paid to the same payee (ORES' electricity and gas) are one document: its VAT is
    // computed on the document's sum (V-6), as the engine prices them.
    let mut payable: Vec<(offers::PayeeDetails, Part)> = Vec::new();
    for part in parts {
        let details = offers::payee_of(&state.db, &part.organisation_id).await?;
        let same = payable.iter_mut().find(|(known, _)| {
            known.iban.is_some() && known.iban == details.iban && known.name == details.name
        });
        match same {
            Some((known, merged)) => {
                merged.operator = known.name.clone();
                merged.services.extend(part.services);
            }
            None => payable.push((details, part)),
        }
    }
    // V-2.3: the servicing document is addressed to, and paid by, its payer.
    let servicing_payer = facts
        .servicing
        .as_ref()
        .and_then(|servicing| servicing.payer.as_ref())
        .map(|payer| quote::Payer {
            name: payer.name.as_ref().to_owned(),
            address: payer.address.clone(),
            vat_number: payer.company_number.as_ref().map(|n| n.to_string()),
        });
    let mut sections: Vec<OperatorSection> = Vec::new();
    let mut dues = Vec::new();
    let mut regimes = Vec::new();
    for (details, part) in &payable {
        for mut section in part_sections(tr, part)? {
            if section.scope == quote::DocumentScope::Servicing {
                section.payer = servicing_payer.clone();
            }
            let payer_name = section.payer.as_ref().map(|payer| payer.name.clone());
            document_vat(tr, &mut section, &mut regimes)?;
            section.subtotal_incl_vat = total(section.subtotal_excl_vat, section.subtotal_vat)?;
            if section.subtotal_incl_vat > Decimal::ZERO {
                let index = sections.iter().filter(|s| s.payment.is_some()).count();
                let payment = Payment {
                    payee: details.name.clone(),
                    iban: details.iban.clone().unwrap_or_default(),
                    bic: details.bic.clone(),
                    amount: section.subtotal_incl_vat,
                    structured_communication: communication_for(&request.reference, index)?,
                    // A commune acting as project owner pays ORES' servicing after the works
                    // (V-8.2.1); every other document is paid before (B-5.4: in instalments
                    // if agreed, never after).
                    after_works: request.pays_after_works != 0
                        && section.scope == quote::DocumentScope::Servicing,
                };
                dues.push(DueOf {
                    organisation_id: part.organisation_id.clone(),
                    direction: Direction::ApplicantToOperator,
                    party_name: payment.payee.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: Some(payment.iban.clone()).filter(|i| !i.is_empty()),
                    bic: payment.bic.clone(),
                    amount: payment.amount,
                    structured_communication: Some(payment.structured_communication.clone()),
                    when: if payment.after_works {
                        DueWhen::AfterWorks
                    } else {
                        DueWhen::BeforeWorks
                    },
                    rule: match section.scope {
                        quote::DocumentScope::Servicing => "V-8.2.1",
                        quote::DocumentScope::Connections => "C-3",
                    }
                    .to_owned(),
                    detail: None,
                    payer_name: payer_name.clone(),
                });
                section.payment = Some(payment);
            }
            for share in section.holders.iter().filter(|h| !h.amount.is_zero()) {
                dues.push(DueOf {
                    organisation_id: part.organisation_id.clone(),
                    direction: Direction::ApplicantToHolder,
                    party_name: share.holder.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: None,
                    bic: None,
                    amount: share.amount,
                    structured_communication: None,
                    when: DueWhen::BeforeWorks,
                    rule: share.rule.clone(),
                    detail: Some(share.formula.clone()),
                    payer_name: payer_name.clone(),
                });
            }
            for credit in &section.credits {
                dues.push(DueOf {
                    organisation_id: part.organisation_id.clone(),
                    direction: Direction::OperatorToApplicant,
                    party_name: credit.payer.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: None,
                    bic: None,
                    amount: credit.amount,
                    structured_communication: None,
                    when: DueWhen::AtDeed,
                    rule: credit.rule.clone(),
                    detail: Some(credit.label.clone()),
                    // The cabin lease is paid to the land's owner, who files (V-9.2).
                    payer_name: None,
                });
            }
            sections.push(section);
        }
    }
    let total_excl_vat =
        money::sum(sections.iter().map(|s| s.subtotal_excl_vat)).map_err(too_large)?;
    let total_vat = money::sum(sections.iter().map(|s| s.subtotal_vat)).map_err(too_large)?;
    // The offer's VAT summary adds up the documents' rows, each rounded on its document.
    let mut vat_rows: Vec<VatSummaryRow> = Vec::new();
    for row in sections.iter().flat_map(|s| &s.vat) {
        match vat_rows.iter_mut().find(|r| r.label == row.label) {
            Some(merged) => {
                merged.base = total(merged.base, row.base)?;
                merged.vat = total(merged.vat, row.vat)?;
            }
            None => vat_rows.push(row.clone()),
        }
    }
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
        dues,
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

pub(in crate::services) async fn event(
    tx: &mut Tx,
    request: &RequestRow,
    now: DateTime<Utc>,
    kind: &str,
    who: Who<'_>,
    detail: Option<&str>,
) -> Result<(), DbError> {
    let (actor_kind, actor_id, actor_name, organisation_id) = match who {
        // An organisation's system acting through its API key is named as the key (issue 21).
        Who::Staff(user) if user.api_key.is_some() => (
            "api_key",
            Some(user.user_id),
            Some(user.display_name.as_str()),
            Some(user.organisation_id),
        ),
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
pub(in crate::services) async fn notify_applicant(
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
    request: &crate::db::RequestAccess,
    version: i64,
) -> Result<Option<Vec<u8>>, OfferError> {
    match offers::for_request(&state.db, request)
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
    request: &crate::db::RequestAccess,
    version: i64,
) -> Result<Option<OfferDocument>, OfferError> {
    offers::for_request(&state.db, request)
        .await?
        .into_iter()
        .find(|o| o.version == version)
        .map(|offer| document_of(&offer))
        .transpose()
}
