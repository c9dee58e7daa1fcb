//! The consolidated offer's life (C-3, V-8): one offer for every operator, sent once, accepted,
//! paid per operator, lapsed after six months, revised at the tariffs in force.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::{
    db::{
        DbError, Tx,
        offers::{self, Acceptance, DueRow, NewDue, NewOffer, OfferRow},
        outbox::{self, Attachment, NewMessage},
        requests::{self, NewEvent, RequestRow},
        sessions::SessionUser,
    },
    domain::{
        InputError, RequestState,
        dues::{Direction, DueWhen},
    },
    i18n::Tr,
    mail::compose,
    operators::{Feasibility, pricing::Unpriced},
    quote::{self, OfferDocument, Supersedes},
    state::AppState,
    tariff::money,
};

mod acceptance;
mod build;
mod lapse;
mod payments;

pub use acceptance::{AcceptedBy, accept, request_change, send_acceptance_code};
pub use build::communication_for;
use build::{BuildOptions, Part, build};
pub use lapse::{DailyRun, run_daily};
pub use payments::{
    Due, PayeeChoice, PaymentInput, close_if_settled, dues_of, last_recorded_payment,
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
        requests::move_state(&mut tx, request.id, current, RequestState::Quoted, now).await?;
    if !moved {
        drop(tx);
        let refusal = OfferError::WrongState(request.state.code().to_owned());
        return repeated_or(state, request, idempotency_key, refusal).await;
    }
    offers::supersede_open(&mut tx, request.id, now).await?;
    let dues: Vec<NewDue<'_>> = built
        .dues
        .iter()
        .map(|d| NewDue {
            direction: d.direction,
            organisation_id: Some(d.organisation_id),
            party_name: &d.party_name,
            document: d.document,
            scope: d.scope,
            iban: d.iban.as_deref(),
            bic: d.bic.as_deref(),
            amount: d.amount,
            structured_communication: d.structured_communication.clone(),
            due: d.when,
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
            request_id: request.id,
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
    requests::set_change_requested(&mut tx, request.id, None).await?;
    // The email carries a fresh private link; the stored document does not keep it (only the
    // link's hash is stored, like every private link).
    let mut emailed = built.document.clone();
    emailed.status_url = crate::services::links::issue_follow_link(
        &mut tx,
        &state.base_url,
        request.id,
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
            request_id: Some(request.id),
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
            request_id: request.id,
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
    let tr = Tr(request.language);
    let link =
        crate::services::links::issue_follow_link(tx, base_url, request.id, kind, now).await?;
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
    crate::services::outbox::enqueue_mail(
        tx,
        kind,
        Some(request.id),
        &request.email,
        &mail,
        attachments,
        now,
    )
    .await?;
    Ok(())
}

/// The PDF of a version, the same bytes as the one sent.
pub fn pdf_of(offer: &OfferRow) -> Result<Vec<u8>, OfferError> {
    let document = &offer.document;
    Ok(quote::pdf::pdf(document, Tr(document.language))?)
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
    Ok(offers::for_request(&state.db, request)
        .await?
        .into_iter()
        .find(|o| o.version == version)
        .map(|offer| offer.document))
}
