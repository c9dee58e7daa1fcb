//! The consolidated offer on the pages: the case officer sends it, records a written
//! acceptance and the payments, confirms the day; the applicant reads it, downloads the PDF,
//! accepts it or asks for a change, through the private link.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    backoffice::{coordinator_request, refused_on_detail},
    error::PageError,
    extract::{CsrfForm, Ctx, Staff},
    public::{mask_email, private, render_track, request_of_token},
    views::Frame,
};
use crate::domain::offer::OfferStatus;
use crate::domain::{DueId, RequestId};
use crate::http::extract::{IdPath, page_id};
use crate::http::refusal::offer_refusal;
use crate::{
    domain::links::CODE_LIFETIME,
    i18n::Tr,
    services::{
        case_file::{OfferFile, OfferVersion, RequestRow, StaffCaseFile, StaffJointDay},
        offers::{self as offer_service, AcceptedBy, OfferError, Officer},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/requests/{id}/offer", post(send))
        .route(
            "/backoffice/requests/{id}/offer/accept",
            post(accept_written),
        )
        .route("/backoffice/requests/{id}/payments", post(record_payment))
        .route("/backoffice/requests/{id}/payer", post(set_payer))
        .route("/backoffice/requests/{id}/day/confirm", post(confirm_day))
        .route(
            "/backoffice/requests/{id}/offers/{version}",
            get(officer_pdf),
        )
        .route("/track/{token}/offers/{version}", get(applicant_pdf))
        .route("/track/{token}/offer/accept", post(ask_code))
        .route(
            "/track/{token}/offer/confirm",
            get(confirm_page).post(accept_online),
        )
        .route("/track/{token}/offer/change", post(ask_change))
}

/// One version as listed on both pages.
pub struct VersionView {
    pub version: i64,
    pub status: String,
    pub status_code: String,
    pub sent_on: String,
    pub valid_until: String,
    pub total: String,
    pub reason: Option<String>,
}

/// One due of the current version: who pays whom, what was paid, what is still due.
pub struct PayeeView {
    pub due_id: DueId,
    /// "You → ORES", "You → Famille Dubois", "ORES → you".
    pub direction: String,
    pub payee: String,
    /// "Offer — connections", "Invoice — servicing of the land".
    pub document: String,
    pub amount: String,
    /// What is still due, as a form prefills it.
    pub amount_plain: String,
    pub iban: String,
    pub communication: String,
    /// The day it was paid in full.
    pub paid: Option<String>,
    pub paid_so_far: String,
    pub outstanding: String,
    pub refund: Option<String>,
    /// When it is paid, when not before the works ("after the works", "at the deed").
    pub when: Option<String>,
    /// A share's formula, a credit's label.
    pub detail: Option<String>,
    /// Each payment recorded: "1 000,00 € — 03/03/2027".
    pub payments: Vec<String>,
    pub rule: String,
}

/// The offer part of a request page.
pub struct OfferPanel {
    pub versions: Vec<VersionView>,
    pub current: Option<VersionView>,
    /// The current version can be accepted (sent and still valid).
    pub open: bool,
    pub payees: Vec<PayeeView>,
    /// The case officer may send (first offer) or revise / re-issue.
    pub can_send: bool,
    pub is_revision: bool,
    /// A fresh key for the send form: the same form posted twice sends one offer.
    pub send_key: String,
    pub change_requested: bool,
    pub can_record_payment: bool,
    pub can_confirm_day: bool,
    /// The applicant is a commune acting as project owner: it pays after the works (V-8.2.1).
    pub pays_after_works: bool,
    /// Where the PDFs of this page's reader are: the officer's or the private link's.
    pub pdf_base: String,
    /// The latest version as printed, in the offer's own language (a page in another
    /// language still shows the document as it was sent).
    pub document_html: Option<String>,
}

fn version_view(tr: Tr, offer: &OfferVersion) -> VersionView {
    VersionView {
        version: offer.version,
        status: tr.keyed("offer.status", offer.status),
        status_code: offer.status.to_string(),
        sent_on: super::views::local_date_in(tr, offer.sent_at),
        valid_until: tr.date(offer.valid_until),
        total: tr.money(offer.document.total_incl_vat),
        reason: offer.supersedes_reason.clone(),
    }
}

/// `applicant`: the applicant's name on a staff page; `None` on the applicant's own page,
/// which says "You".
fn payee_view(tr: Tr, due: &offer_service::Due, applicant: Option<&str>) -> PayeeView {
    use crate::domain::dues::{Direction, DueWhen};
    let party = due.party.as_str();
    let direction = match (due.direction, due.payer.as_deref(), applicant) {
        (Direction::OperatorToApplicant, _, None) => {
            tr.f("offer.due.to_applicant", [("party", party)])
        }
        (Direction::OperatorToApplicant, _, Some(name)) => {
            tr.f("offer.due.between", [("payer", party), ("payee", name)])
        }
        // V-2.3: the servicing's payer, when not the applicant, pays its document.
        (_, Some(payer), _) => tr.f("offer.due.between", [("payer", payer), ("payee", party)]),
        (_, None, None) => tr.f("offer.due.from_applicant", [("party", party)]),
        (_, None, Some(name)) => tr.f("offer.due.between", [("payer", name), ("payee", party)]),
    };
    PayeeView {
        due_id: due.id,
        direction,
        payee: due.party.clone(),
        document: format!(
            "{} — {}",
            tr.keyed("offer.document", due.document.code()),
            tr.keyed("offer.scope", due.scope.code())
        ),
        amount: tr.money(due.amount),
        amount_plain: due.standing.outstanding.to_string(),
        iban: due.iban.clone().unwrap_or_default(),
        communication: due.structured_communication.clone().unwrap_or_default(),
        paid: due.standing.settled_on.map(|d| tr.numeric_date(d)),
        paid_so_far: tr.money(due.standing.paid),
        outstanding: tr.money(due.standing.outstanding),
        refund: (!due.standing.refund.is_zero()).then(|| {
            tr.f(
                "offer.standing.refund",
                [("amount", tr.money(due.standing.refund).as_str())],
            )
        }),
        when: match due.when {
            DueWhen::BeforeWorks => None,
            other => Some(tr.keyed("offer.due.when", other.code())),
        },
        detail: due.detail.clone(),
        payments: due
            .payments
            .iter()
            .map(|p| format!("{} — {}", tr.money(p.amount), tr.numeric_date(p.on)))
            .collect(),
        rule: due.rule.clone(),
    }
}

/// The offer part of a request page, from the case file's offer.
/// `applicant`: the applicant's name on a staff page, `None` on the applicant's own page.
pub fn offer_panel(
    tr: Tr,
    file: &OfferFile,
    pdf_base: String,
    applicant: Option<&str>,
) -> OfferPanel {
    let latest = file.latest();
    let payees = latest
        .map(|offer| {
            offer
                .dues
                .iter()
                .map(|d| payee_view(tr, d, applicant))
                .collect()
        })
        .unwrap_or_default();
    OfferPanel {
        current: latest.map(|o| version_view(tr, o)),
        open: file.open,
        payees,
        can_send: file.can_send,
        is_revision: latest.is_some(),
        send_key: uuid::Uuid::new_v4().to_string(),
        change_requested: file.change_requested,
        can_record_payment: file.can_record_payment,
        can_confirm_day: file.can_confirm_day,
        pays_after_works: file.pays_after_works,
        document_html: latest.map(|o| &o.document).and_then(|doc| {
            crate::quote::render::sections_html(doc, Tr(doc.language))
                .map_err(|error| tracing::warn!(%error, "offer sections not rendered"))
                .ok()
        }),
        pdf_base,
        versions: file.versions.iter().map(|o| version_view(tr, o)).collect(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SendForm {
    key: String,
    reason: String,
}

async fn send(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<SendForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let key = form.key.trim();
    if uuid::Uuid::parse_str(key).is_err() {
        return refused_on_detail(&state, staff, id, "invalid form".to_owned()).await;
    }
    let outcome = offer_service::send(
        &state,
        Officer { user: &staff.user },
        &request,
        key,
        Some(form.reason.as_str()),
        state.clock.now(),
    )
    .await;
    after(&state, staff, id, outcome.map(|_| Done::OfferSent), "offer").await
}

/// What the case officer just did, said on the request page after the redirect. Only this
/// code (and the due's id) travels in the URL: the facts the confirmation states are read
/// back from the request, in the officer's scope, so a crafted link cannot make the page
/// claim anything that did not happen.
enum Done {
    OfferSent,
    Accepted,
    /// The due a payment was recorded against.
    Payment(DueId),
    DayConfirmed,
    /// Who pays the servicing and when was recorded (V-8.2.1).
    PayerRecorded,
}

impl Done {
    fn query(&self) -> String {
        match self {
            Done::OfferSent => "done=offer_sent".to_owned(),
            Done::Accepted => "done=accepted".to_owned(),
            // A due's id is hexadecimal digits and hyphens: nothing to escape in a URL.
            Done::Payment(due) => format!("done=payment&due={due}"),
            Done::DayConfirmed => "done=day_confirmed".to_owned(),
            Done::PayerRecorded => "done=payer".to_owned(),
        }
    }
}

/// The confirmation of the offer action just done (`done`, from [`Done::query`]), its facts
/// read back from the request the officer may see: which version went to whom and for how
/// much, what was paid to whom and what remains, which day was confirmed. `None` for a code
/// it does not know, or facts that no longer hold (the page then says nothing).
pub(super) async fn done_notice(
    state: &AppState,
    tr: Tr,
    file: &StaffCaseFile,
    done: &str,
    due: &str,
) -> Result<Option<String>, PageError> {
    use crate::domain::dues::{Direction, DueWhen};
    let latest = file.offer.as_ref().and_then(OfferFile::latest);
    let email = file.request.email.as_str();
    Ok(match (done, latest) {
        ("offer_sent", Some(offer)) => {
            let version = offer.version.to_string();
            let total = tr.money(offer.document.total_incl_vat);
            Some(tr.f(
                "offer.done.sent",
                [
                    ("version", version.as_str()),
                    ("email", email),
                    ("total", total.as_str()),
                ],
            ))
        }
        ("accepted", Some(offer)) if offer.status == OfferStatus::Accepted => {
            // What the applicant still pays before the works (V-8.2.1, B-5.4).
            let before_works: rust_decimal::Decimal = offer
                .dues
                .iter()
                .filter(|d| d.paid_by_applicant() && d.when == DueWhen::BeforeWorks)
                .map(|d| d.standing.outstanding)
                .sum();
            let version = offer.version.to_string();
            Some(tr.f(
                "offer.done.accepted",
                [
                    ("version", version.as_str()),
                    ("amount", tr.money(before_works).as_str()),
                ],
            ))
        }
        ("payment", Some(offer)) => {
            let Some(due) = due
                .parse::<DueId>()
                .ok()
                .and_then(|due| offer.dues.iter().find(|d| d.id == due))
            else {
                return Ok(None);
            };
            let Some(paid) = offer_service::last_recorded_payment(state, &file.request, due.id)
                .await
                .map_err(PageError::from)?
            else {
                return Ok(None);
            };
            let key = if due.direction == Direction::OperatorToApplicant {
                "offer.done.credit_paid"
            } else {
                "offer.done.payment"
            };
            let mut text = tr.f(
                key,
                [
                    ("amount", tr.money(paid.amount).as_str()),
                    ("party", due.party.as_str()),
                    ("date", tr.numeric_date(paid.on).as_str()),
                    ("outstanding", tr.money(due.standing.outstanding).as_str()),
                ],
            );
            if !due.standing.refund.is_zero() {
                text.push_str(" — ");
                text.push_str(&tr.f(
                    "offer.standing.refund",
                    [("amount", tr.money(due.standing.refund).as_str())],
                ));
            }
            Some(text)
        }
        // V-8.2.1: what was recorded, and what it changes.
        ("payer", _) => Some(
            tr.t(if file.request.pays_after_works != 0 {
                "offer.done.pays_after_works"
            } else {
                "offer.done.pays_before_works"
            })
            .to_owned(),
        ),
        ("day_confirmed", _) => match &file.joint_day {
            StaffJointDay::Reserved {
                day,
                confirmed: true,
                ..
            } => Some(tr.f(
                "offer.done.day_confirmed",
                [("day", tr.numeric_date(day).as_str()), ("email", email)],
            )),
            _ => None,
        },
        _ => None,
    })
}

/// Back to the request page on success, saying what happened, or the page again with why
/// nothing changed.
async fn after(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    outcome: Result<Done, OfferError>,
    anchor: &str,
) -> Result<Response, PageError> {
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{id}?{}#{anchor}",
            done.query()
        ))
        .into_response()),
        Err(OfferError::Db(error)) => Err(error.into()),
        Err(OfferError::Render(error)) => {
            tracing::error!(%error, "offer not rendered");
            Err(PageError::Internal)
        }
        Err(refused) => {
            let text = offer_refusal(staff.tr, &refused);
            refused_on_detail(state, staff, id, text).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PayerForm {
    after_works: String,
}

/// The case officer records that the applicant is a commune acting as project owner, which
/// pays after the works (V-8.2.1); the next offer prints it and the works need not wait.
async fn set_payer(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<PayerForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let after_works = form.after_works == "on";
    let outcome = offer_service::set_pays_after_works(
        &state,
        &staff.user,
        &request,
        after_works,
        state.clock.now(),
    )
    .await;
    after(
        &state,
        staff,
        id,
        outcome.map(|()| Done::PayerRecorded),
        "offer",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WrittenAcceptance {
    version: String,
    note: String,
}

async fn accept_written(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<WrittenAcceptance>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let version = form.version.trim().parse().unwrap_or(0);
    let outcome = offer_service::accept(
        &state,
        &request,
        version,
        AcceptedBy::Officer {
            user: &staff.user,
            note: &form.note,
        },
        state.clock.now(),
    )
    .await;
    after(&state, staff, id, outcome.map(|()| Done::Accepted), "offer").await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PaymentForm {
    /// The due paid (the page's forms).
    payee: String,
    /// The operator paid, for clients that name it (its only due from the applicant).
    organisation: String,
    amount: String,
    paid_on: String,
    /// A fresh key per form: the same form posted twice records one payment.
    key: String,
}

async fn record_payment(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<PaymentForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let outcome = match offer_service::PayeeChoice::named(&form.payee, &form.organisation) {
        Ok(payee) => {
            offer_service::record_payment(
                &state,
                &staff.user,
                &request,
                offer_service::PaymentInput {
                    payee,
                    amount: &form.amount,
                    paid_on: &form.paid_on,
                    key: Some(form.key.as_str()),
                },
                state.clock.now(),
            )
            .await
        }
        Err(refused) => Err(refused),
    };
    after(&state, staff, id, outcome.map(Done::Payment), "payments").await
}

async fn confirm_day(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(_form): CsrfForm<SendForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let outcome =
        crate::services::works::confirm_day(&state, &staff.user, &request, state.clock.now()).await;
    after(
        &state,
        staff,
        id,
        outcome.map(|_| Done::DayConfirmed),
        "joint-day",
    )
    .await
}

/// `3.pdf` → 3.
fn version_of(file: &str) -> Option<i64> {
    file.strip_suffix(".pdf")?.parse().ok()
}

fn pdf_response(request: &RequestRow, version: i64, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        offer_service::pdf_filename(&request.reference, version)
    );
    let Ok(disposition) = HeaderValue::from_str(&disposition) else {
        return PageError::Internal.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The PDF of version `file` (`3.pdf`) of the request's offer.
async fn offer_pdf(
    state: &AppState,
    request: &RequestRow,
    file: &str,
) -> Result<Response, PageError> {
    let version = version_of(file).ok_or(PageError::NotFound)?;
    match offer_service::pdf_of_version(state, &request.access, version).await {
        Ok(Some(bytes)) => Ok(pdf_response(request, version, bytes)),
        Ok(None) => Err(PageError::NotFound),
        Err(OfferError::Db(error)) => Err(error.into()),
        Err(error) => {
            tracing::error!(%error, "offer PDF");
            Err(PageError::Internal)
        }
    }
}

async fn officer_pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: RequestId = page_id(&id)?;
    let request = coordinator_request(&state, &staff, id).await?;
    offer_pdf(&state, &request, &file).await
}

async fn applicant_pdf(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    offer_pdf(&state, &request, &file).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodeRequest {
    version: String,
    consent: String,
}

/// Back to the status page on success, or the page again with why nothing changed.
async fn after_applicant(
    state: &AppState,
    ctx: Ctx,
    token: String,
    outcome: Result<(), OfferError>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/track/{token}#offer")).into_response()),
        Err(error) => refused_on_track(state, ctx, token, error).await,
    }
}

/// The status page again, with why the applicant's offer action was refused.
async fn refused_on_track(
    state: &AppState,
    ctx: Ctx,
    token: String,
    error: OfferError,
) -> Result<Response, PageError> {
    match error {
        OfferError::Db(error) => Err(error.into()),
        OfferError::Render(error) => {
            tracing::error!(%error, "offer not rendered");
            Err(PageError::Internal)
        }
        refused => {
            let text = offer_refusal(ctx.tr, &refused);
            render_track(
                state,
                ctx,
                token,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The applicant ticks their consent and asks to accept: a one-time code goes to the
/// request's email address, to type on the confirmation page. The link alone accepts nothing.
async fn ask_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<CodeRequest>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    let version: i64 = form.version.trim().parse().unwrap_or(0);
    let outcome = offer_service::send_acceptance_code(
        &state,
        &request,
        version,
        form.consent == "yes",
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/track/{token}/offer/confirm?version={version}"))
                .into_response(),
        ),
        Err(error) => refused_on_track(&state, ctx, token, error).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/offer_confirm.html")]
struct ConfirmPage {
    tr: Tr,
    page: Frame,
    reference: String,
    token: String,
    version: i64,
    /// The applicant's address, mostly hidden.
    email: String,
    minutes: String,
    notice: Option<String>,
}

impl ConfirmPage {
    fn new(ctx: Ctx, request: &RequestRow, token: String, version: i64) -> Self {
        ConfirmPage {
            tr: ctx.tr,
            page: ctx.frame,
            reference: request.reference.clone(),
            token,
            version,
            email: mask_email(&request.email),
            minutes: CODE_LIFETIME.num_minutes().to_string(),
            notice: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConfirmQuery {
    version: String,
}

/// Where the applicant types the code they were sent.
async fn confirm_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(query): Query<ConfirmQuery>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    let version = query
        .version
        .trim()
        .parse()
        .map_err(|_| PageError::NotFound)?;
    Ok(private(
        ConfirmPage::new(ctx, &request, token, version),
        StatusCode::OK,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OnlineAcceptance {
    version: String,
    code: String,
}

/// The applicant types the code: the offer is accepted only if it is the one last sent for
/// this version; a wrong or spent code says why on the same page, and nothing changes.
async fn accept_online(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<OnlineAcceptance>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    let version = form.version.trim().parse().unwrap_or(0);
    let outcome = offer_service::accept(
        &state,
        &request,
        version,
        AcceptedBy::Applicant { code: &form.code },
        state.clock.now(),
    )
    .await;
    match outcome {
        Err(
            refused @ (OfferError::CodeFormat
            | OfferError::NoCode
            | OfferError::CodeExpired
            | OfferError::CodeSpent
            | OfferError::WrongCode { .. }),
        ) => {
            let mut page = ConfirmPage::new(ctx, &request, token, version);
            page.notice = Some(offer_refusal(page.tr, &refused));
            Ok(private(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        outcome => after_applicant(&state, ctx, token, outcome).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChangeForm {
    change: String,
}

async fn ask_change(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    let outcome =
        offer_service::request_change(&state, &request, &form.change, state.clock.now()).await;
    after_applicant(&state, ctx, token, outcome).await
}
