//! The citizen's pages: what the service is, the request form, the confirmation and the
//! private status page.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    client::ClientAddr,
    error::PageError,
    extract::{CsrfForm, Ctx, LANG_COOKIE},
    views::{Frame, ServiceNames, local_date_in, local_datetime_in, site_line},
};
use crate::domain::offer::OfferStatus;
use crate::{
    domain::{
        ElectricityBand, EmailAddress, FieldErrors, FormKey, Language, RequestInput, RequestState,
        Service,
    },
    http::{kept_page, redirect::LocalPath},
    i18n::Tr,
    services::{
        case_file::{self, CaseFileError, Event, RequestRow, RequestStamp},
        links::{self, LinkError},
        schedule,
        submit::{self, SubmitError},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/request/new", get(new_request))
        .route("/request", axum::routing::post(file_request))
        .route("/request/filed/{key}", get(filed))
        .route("/track/{token}", get(track))
        .route("/track/{token}/day", axum::routing::post(pick_day))
        .route("/track/{token}/link", axum::routing::post(renew_link))
        .route("/link/lost", get(lost_link).post(ask_lost_link))
        .route("/lang/{code}", get(switch_language))
        .route("/about/data", get(data_sources))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/home.html")]
struct HomePage {
    tr: Tr,
    page: Frame,
}

async fn home(ctx: Ctx) -> HomePage {
    HomePage {
        tr: ctx.tr,
        page: ctx.frame,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/data_sources.html")]
struct DataSourcesPage {
    tr: Tr,
    page: Frame,
}

async fn data_sources(ctx: Ctx) -> DataSourcesPage {
    DataSourcesPage {
        tr: ctx.tr,
        page: ctx.frame,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/request_form.html")]
struct RequestFormPage {
    tr: Tr,
    page: Frame,
    input: RequestInput,
    errors: FieldErrors,
    key: String,
    referral: Option<String>,
    /// An edited form sent again after it was filed: which request it filed.
    already_filed: Option<String>,
    bands: Vec<(String, String)>,
    languages: Vec<&'static str>,
    /// Services of partners joined by configuration: (code, label).
    partners: Vec<(String, String)>,
}

impl RequestFormPage {
    fn new(ctx: Ctx, input: RequestInput, errors: FieldErrors, key: String) -> Self {
        RequestFormPage {
            tr: ctx.tr,
            page: ctx.frame,
            input,
            errors,
            key,
            referral: None,
            already_filed: None,
            bands: ElectricityBand::all()
                .into_iter()
                .map(|b| (b.code(), ctx.tr.band(b)))
                .collect(),
            languages: Language::ALL.iter().map(|l| l.code()).collect(),
            partners: Vec::new(),
        }
    }

    /// Offers the services of the partners joined by configuration (rule C-8).
    async fn with_partners(mut self, state: &AppState) -> Result<Self, PageError> {
        self.partners = ServiceNames::load(state, self.tr).await?.partners();
        Ok(self)
    }

    fn wants_partner(&self, code: &str) -> bool {
        self.input.partner.iter().any(|c| c == code)
    }

    /// The translated message of a refused field.
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }

    /// Every refused field with its message, for the summary at the top of the form.
    fn error_summary(&self) -> Vec<(&'static str, String)> {
        self.errors
            .iter()
            .map(|(field, error)| (*field, self.tr.error(error)))
            .collect()
    }

    fn wants(&self, code: &str) -> bool {
        code.parse::<Service>()
            .map(|s| self.input.wants(s))
            .unwrap_or(false)
    }

    /// The land-division block opens when the household said it divides land, or one of its
    /// fields was refused: most households never see its eight fields.
    fn servicing_open(&self) -> bool {
        let input = &self.input;
        [
            &input.servicing_operation,
            &input.servicing_frontage_m,
            &input.servicing_parcels,
            &input.servicing_candelabras,
            &input.servicing_planned_frontages,
            &input.servicing_supply_points,
            &input.servicing_cabin,
            &input.servicing_social,
            &input.servicing_t5387,
            &input.servicing_existing_pole_lights,
            &input.servicing_payer_name,
            &input.servicing_payer_address,
            &input.servicing_payer_vat,
            &input.servicing_payer_company_number,
        ]
        .iter()
        .any(|value| !value.trim().is_empty())
            || self
                .errors
                .iter()
                .any(|(field, _)| field.starts_with("servicing_"))
    }

    fn language_selected(&self, code: &str) -> bool {
        match self.input.language.as_str() {
            "" => code == self.tr.lang(),
            chosen => chosen == code,
        }
    }
}

async fn new_request(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<RequestFormPage, PageError> {
    RequestFormPage::new(
        ctx,
        RequestInput {
            applicant_kind: "natural".into(),
            building: "house".into(),
            // Nearly every household asks electricity, as the estimate page assumes.
            electricity: Some("on".into()),
            ..RequestInput::default()
        },
        FieldErrors::new(),
        FormKey::generate().as_ref().to_owned(),
    )
    .with_partners(&state)
    .await
}

#[derive(Deserialize)]
struct FilingForm {
    #[serde(default)]
    idempotency_key: String,
    #[serde(flatten)]
    input: RequestInput,
}

async fn file_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<FilingForm>,
) -> Result<Response, PageError> {
    // Each filing sends an email to the address typed: a client only files so many an hour.
    state.throttles.filing.check(client)?;
    // A form without a usable key still files once; a fresh key keeps a retry safe from here on.
    let key = FormKey::parse(&form.idempotency_key).unwrap_or_else(|_| FormKey::generate());
    match submit::submit(&state, &form.input, &key, state.clock.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/request/filed/{}", key.as_ref())).into_response()),
        Err(SubmitError::Invalid(errors)) => {
            let page = RequestFormPage::new(ctx, form.input, errors, key.as_ref().to_owned())
                .with_partners(&state)
                .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SubmitError::NotCovered { commune, referral }) => {
            let mut page =
                RequestFormPage::new(ctx, form.input, FieldErrors::new(), key.as_ref().to_owned())
                    .with_partners(&state)
                    .await?;
            let advice = referral.map(|r| r.text(page.tr.language()));
            let intro = page
                .tr
                .f("form.not_covered", [("commune", commune.as_str())]);
            page.referral = Some(match advice {
                Some(advice) => format!("{intro} {advice}"),
                None => intro,
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SubmitError::AlreadyFiled { reference }) => {
            let mut page =
                RequestFormPage::new(ctx, form.input, FieldErrors::new(), key.as_ref().to_owned())
                    .with_partners(&state)
                    .await?;
            page.already_filed = Some(
                page.tr
                    .f("form.already_filed", [("reference", reference.as_str())]),
            );
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(SubmitError::Limited(limited)) => Err(limited.into()),
        Err(SubmitError::Db(error)) => Err(error.into()),
        Err(SubmitError::Render(error)) => Err(error.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/request_filed.html")]
struct FiledPage {
    tr: Tr,
    page: Frame,
    reference: String,
    email: String,
}

/// Hides most of an address: `marie.dupont@example.be` → `m…t@example.be`.
pub(super) fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if local.chars().count() > 2 => {
            let first = local.chars().next().unwrap_or('?');
            let last = local.chars().last().unwrap_or('?');
            format!("{first}…{last}@{domain}")
        }
        Some((_, domain)) => format!("…@{domain}"),
        None => "…".into(),
    }
}

async fn filed(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
) -> Result<FiledPage, PageError> {
    let key = FormKey::parse(&key).map_err(|_| PageError::NotFound)?;
    let row = submit::filed(&state, &key)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(FiledPage {
        tr: ctx.tr,
        page: ctx.frame,
        reference: row.reference,
        email: mask_email(&row.email),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/track.html")]
struct TrackPage<'a> {
    tr: Tr,
    page: Frame,
    /// Borrowed from the case file, which may be the one kept for every reader.
    request: &'a RequestRow,
    site: String,
    services: Vec<String>,
    events: &'a [Event],
    token: String,
    /// The reserved joint day, or the days the applicant may pick (rule C-4).
    reserved: Option<String>,
    /// The case officer confirmed the reserved day; until then it is only proposed.
    confirmed: bool,
    candidates: Vec<(String, String)>,
    /// What the applicant must do next, and by when, in plain words.
    next_steps: Vec<String>,
    notice: Option<String>,
    /// Each refused part: the connection and why, with its rule (B-4.4).
    refusals: Vec<String>,
    offer: super::offers::OfferPanel,
    /// V-3.1: the dossier-opening fee invoiced at filing, with its payment status.
    dossier_fee: Option<super::dossier_fee::DossierFeePanel>,
    /// The applicant only reads it: the case officer records its payment.
    can_record_dossier_fee: bool,
    /// The applicant's documents, what is still asked and the upload form.
    docs: super::documents::ApplicantSection,
    names: ServiceNames,
}

impl TrackPage<'_> {
    /// A timeline event's detail in the reader's words.
    fn detail(&self, event: &Event) -> Option<String> {
        event
            .detail
            .as_deref()
            .map(|detail| super::views::event_detail(self.tr, &self.names, &event.kind, detail))
    }

    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    fn day(&self, day: &chrono::NaiveDate) -> String {
        local_date_in(self.tr, day)
    }
}

/// The request behind a private link that still works; a replaced or expired link says so
/// (and where to ask for a new one), without showing anything of the request.
pub(super) async fn request_of_token(
    state: &AppState,
    token: &str,
) -> Result<RequestRow, PageError> {
    links::request_of_link(state, token)
        .await
        .map_err(link_error)
}

fn link_error(error: LinkError) -> PageError {
    match error {
        LinkError::Unknown => PageError::NotFound,
        LinkError::Replaced => PageError::LinkReplaced,
        LinkError::Expired => PageError::LinkExpired,
        LinkError::Db(error) => error.into(),
        LinkError::Render(error) => error.into(),
    }
}

/// The private page's answers: never kept by shared caches, never leaked through referrers.
pub(super) fn private(page: impl IntoResponse, status: StatusCode) -> Response {
    let mut response = (
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        )],
        page,
    )
        .into_response();
    *response.status_mut() = status;
    response
}

#[derive(Template, WebTemplate)]
#[template(path = "public/link_sent.html")]
struct LinkSentPage {
    tr: Tr,
    page: Frame,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
struct NoFields {}

/// "Send me a new link" on the status page: the new link goes to the request's address and
/// every earlier one, this one included, stops working.
async fn renew_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    // Each new link is a mail: a client asks for only so many an hour.
    state.throttles.link_mail.check(client)?;
    links::renew(&state, &request, state.clock.now())
        .await
        .map_err(link_error)?;
    let page = LinkSentPage {
        tr: ctx.tr,
        page: ctx.frame,
        email: mask_email(&request.email),
    };
    Ok(private(page, StatusCode::OK))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/lost_link.html")]
struct LostLinkPage {
    tr: Tr,
    page: Frame,
    email: String,
    error: Option<String>,
    /// The address typed, once the form was sent.
    sent_to: Option<String>,
}

async fn lost_link(ctx: Ctx) -> LostLinkPage {
    LostLinkPage {
        tr: ctx.tr,
        page: ctx.frame,
        email: String::new(),
        error: None,
        sent_to: None,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LostLinkForm {
    email: String,
}

/// "Lost your link?": the same answer, as fast, whether requests were filed with the address
/// or not — the address is only queued, and links go out by email where there are requests.
async fn ask_lost_link(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<LostLinkForm>,
) -> Result<Response, PageError> {
    // Each known address asked gets mail: a client asks for only so many an hour.
    state.throttles.link_mail.check(client)?;
    let mut page = LostLinkPage {
        tr: ctx.tr,
        page: ctx.frame,
        email: form.email.clone(),
        error: None,
        sent_to: None,
    };
    match EmailAddress::parse(&form.email) {
        Ok(email) => {
            links::ask_lost_links(&state, &email, state.clock.now()).await?;
            page.sent_to = Some(email.as_ref().to_owned());
            Ok(private(page, StatusCode::OK))
        }
        Err(error) => {
            page.error = Some(ctx.tr.error(&error));
            Ok(private(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Deserialize)]
struct TrackQuery {
    #[serde(default)]
    uploaded: String,
}

async fn track(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(query): Query<TrackQuery>,
) -> Result<Response, PageError> {
    if kept_page::plain(&ctx.frame) {
        return kept_track(&state, ctx, token).await;
    }
    let request = request_of_token(&state, &token).await?;
    let uploaded = (!query.uploaded.is_empty()).then(|| super::backoffice::Notice {
        error: false,
        text: ctx.tr.t("documents.uploaded").to_owned(),
    });
    render_track_with(&state, ctx, request, token, None, uploaded, StatusCode::OK).await
}

/// The status page, with why the change just asked for was refused. The request is read
/// again: a refusal may follow a write of somebody else's (the day just taken).
pub(super) async fn render_track(
    state: &AppState,
    ctx: Ctx,
    token: String,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let request = request_of_token(state, &token).await?;
    render_track_with(state, ctx, request, token, notice, None, status).await
}

/// The status page; `notice` answers a change asked for, `upload_notice` an upload (shown in
/// the documents section).
pub(super) async fn render_track_with(
    state: &AppState,
    ctx: Ctx,
    request: RequestRow,
    token: String,
    notice: Option<String>,
    upload_notice: Option<super::backoffice::Notice>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (ctx, file) = reader_and_file(state, ctx, request.stamp(), &token).await?;
    let page = track_page(
        state,
        ctx.tr,
        ctx.frame,
        &file,
        token,
        notice,
        upload_notice,
    );
    Ok(private(page, status))
}

/// The status page's reader, in the request's language unless they chose theirs (opened from
/// an email), and the case file their link opens (found working with `stamp`).
async fn reader_and_file(
    state: &AppState,
    ctx: Ctx,
    stamp: RequestStamp,
    token: &str,
) -> Result<(Ctx, std::sync::Arc<case_file::ApplicantCaseFile>), PageError> {
    let file = case_file::applicant_file(state, stamp, token)
        .await
        .map_err(case_file_error)?;
    let ctx = ctx.unless_chosen(file.request.language);
    Ok((ctx, file))
}

/// The status page as it first opens (no notice): rendered once per kept case file and
/// reader's language, each answer with the reader's own form token. Only the request's
/// revisions are read while the page kept is current.
async fn kept_track(state: &AppState, ctx: Ctx, token: String) -> Result<Response, PageError> {
    let stamp = links::stamp_of_link(state, &token)
        .await
        .map_err(link_error)?;
    let (ctx, file) = reader_and_file(state, ctx, stamp, &token).await?;
    // A staff member signed in sees their name in the frame.
    let key = format!(
        "status page {token} {:x}",
        kept_page::digest((ctx.tr.0, &ctx.frame.user))
    );
    let (reader, frame) = kept_page::reader_of(ctx.frame);
    let response = kept_page::serve(state, key, &file, &reader, async {
        let page = track_page(state, ctx.tr, frame, &file, token.clone(), None, None);
        Ok::<_, PageError>(page.render()?)
    })
    .await?;
    Ok(private(response, StatusCode::OK))
}

/// The status page's view of `file`, before its rendering.
fn track_page<'a>(
    state: &AppState,
    tr: Tr,
    frame: Frame,
    file: &'a case_file::ApplicantCaseFile,
    token: String,
    notice: Option<String>,
    upload_notice: Option<super::backoffice::Notice>,
) -> TrackPage<'a> {
    let names = ServiceNames::of(tr, &file.partner_labels);
    let services = super::backoffice::service_labels(tr, &names, &file.request, &file.services);
    let offer = super::offers::offer_panel(tr, &file.offer, format!("/track/{token}/offers"), None);
    let docs = super::documents::ApplicantSection::of(
        tr,
        file,
        state.config.upload_max_bytes,
        upload_notice,
    );
    let refusals = file
        .refusals
        .iter()
        .flat_map(|part| {
            // "Eau (SWDE)": the connection's label names its operator.
            let connection = names.name(&part.service);
            part.refusals
                .iter()
                .map(move |r| format!("{connection} — {}", r.text(tr)))
        })
        .collect();
    let dossier_fee = file
        .dossier_invoice
        .as_ref()
        .map(|invoice| super::dossier_fee::DossierFeePanel::of(tr, invoice, state.clock.today()));
    let next_steps = next_steps(tr, file, &docs.asked);
    TrackPage {
        next_steps,
        confirmed: file.confirmed,
        dossier_fee,
        can_record_dossier_fee: false,
        tr,
        page: frame,
        refusals,
        site: site_line(&file.request),
        services,
        candidates: file
            .candidates
            .iter()
            .map(|day| (day.to_string(), tr.numeric_date(*day)))
            .collect(),
        reserved: file.reserved.map(super::backoffice::day_label),
        request: &file.request,
        events: &file.events,
        token,
        notice,
        offer,
        docs,
        names,
    }
}

/// What the applicant must do next, and by when, from their case file: the documents still
/// asked, the offer to accept, each payment before the works, the day to choose or the day
/// proposed until it is confirmed, the trench and sleeve at 1 m (V-8.5), being there on the
/// day. Plain words: the rules stay on the offer and in the staff's pages.
fn next_steps(tr: Tr, file: &case_file::ApplicantCaseFile, asked: &[String]) -> Vec<String> {
    use crate::domain::dues::{Direction, DueWhen};
    let mut steps: Vec<String> = asked
        .iter()
        .map(|line| tr.f("track.next.document", [("document", line.as_str())]))
        .collect();
    let day = file.reserved.map(|day| tr.date(day));
    if let Some(latest) = file.offer.latest() {
        if file.offer.open && latest.status == OfferStatus::Sent {
            steps.push(tr.f(
                "track.next.accept",
                [("until", tr.date(latest.valid_until).as_str())],
            ));
        }
        if matches!(latest.status, OfferStatus::Sent | OfferStatus::Accepted) {
            for due in latest.dues.iter().filter(|d| {
                d.direction != Direction::OperatorToApplicant
                    && d.when != DueWhen::AtDeed
                    && !d.standing.is_settled()
            }) {
                let amount = tr.money(due.standing.outstanding);
                let fields = [
                    ("amount", amount.as_str()),
                    ("payee", due.party.as_str()),
                    ("day", day.as_deref().unwrap_or_default()),
                ];
                steps.push(match (due.when, &day) {
                    (DueWhen::AfterWorks, _) => tr.f("track.next.pay_after", fields),
                    (_, Some(_)) => tr.f("track.next.pay_before_day", fields),
                    (_, None) => tr.f("track.next.pay_before", fields),
                });
            }
        }
    }
    if !file.candidates.is_empty() {
        steps.push(tr.t("track.next.choose_day").to_owned());
    }
    if file.digs_trench {
        steps.push(tr.t("track.next.trench").to_owned());
    }
    match (&day, file.confirmed) {
        (Some(day), false) => {
            steps.push(tr.f("track.next.day_proposed", [("day", day.as_str())]));
        }
        (Some(day), true)
            if !matches!(
                file.request.state,
                RequestState::Done | RequestState::Closed
            ) =>
        {
            steps.push(tr.f("track.next.be_present", [("day", day.as_str())]));
        }
        _ => {}
    }
    steps
}

/// A case file that could not be read: missing, or a logged internal error.
pub(super) fn case_file_error(error: CaseFileError) -> PageError {
    match error {
        CaseFileError::NotFound => PageError::NotFound,
        CaseFileError::Db(error) => error.into(),
        CaseFileError::Corrupt(what) => {
            tracing::error!(%what, "case file");
            PageError::Internal
        }
    }
}

#[derive(Deserialize)]
struct DayPick {
    #[serde(default)]
    day: String,
}

/// The applicant picks one of the proposed joint days through the private link.
async fn pick_day(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<DayPick>,
) -> Result<Response, PageError> {
    let request = request_of_token(&state, &token).await?;
    let ctx = ctx.unless_chosen(request.language);
    let outcome = match chrono::NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d") {
        Ok(day) => {
            schedule::reserve(
                &state,
                schedule::Actor::Applicant,
                &request,
                day,
                state.clock.now(),
            )
            .await
        }
        Err(_) => Err(schedule::ScheduleError::NotACandidate(
            chrono::NaiveDate::MIN,
        )),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/track/{token}#joint-day")).into_response()),
        Err(schedule::ScheduleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = super::backoffice::schedule_refusal(ctx.tr, &refused);
            render_track(
                &state,
                ctx,
                token,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after switching language (no open redirect).
async fn switch_language(Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let language: Language = code.parse().unwrap_or_default();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        language.code()
    );
    let mut response =
        Redirect::to(LocalPath::parse_or_home(query.next.as_deref()).as_str()).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_masked_on_the_confirmation_page() {
        assert_eq!(mask_email("marie.dupont@example.be"), "m…t@example.be");
        assert_eq!(mask_email("jo@example.be"), "…@example.be");
    }

    #[test]
    fn the_filing_form_reads_repeated_partner_boxes() {
        let form: FilingForm = serde_html_form::from_str(
            "idempotency_key=k&name=Marie&partner=heat&partner=fibre&gas=on",
        )
        .unwrap();
        assert_eq!(form.idempotency_key, "k");
        assert_eq!(form.input.name, "Marie");
        assert_eq!(form.input.partner, ["heat", "fibre"]);
        let single: FilingForm = serde_html_form::from_str("partner=heat").unwrap();
        assert_eq!(single.input.partner, ["heat"]);
    }
}
