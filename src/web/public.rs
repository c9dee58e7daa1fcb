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
    views::{Frame, ServiceNames, brussels, local_date_in, site_line},
};
use crate::{
    domain::{ElectricityBand, FieldErrors, IdempotencyKey, Language, RequestInput, Service},
    i18n::Tr,
    services::{
        case_file::{self, CaseFileError, Event, RequestRow},
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
            bands: ElectricityBand::all()
                .into_iter()
                .map(|b| (b.code(), b.label()))
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
            ..RequestInput::default()
        },
        FieldErrors::new(),
        IdempotencyKey::generate().as_ref().to_owned(),
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
    let key =
        IdempotencyKey::parse(&form.idempotency_key).unwrap_or_else(|_| IdempotencyKey::generate());
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
fn mask_email(email: &str) -> String {
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
    let key = IdempotencyKey::parse(&key).map_err(|_| PageError::NotFound)?;
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
struct TrackPage {
    tr: Tr,
    page: Frame,
    request: RequestRow,
    site: String,
    services: Vec<String>,
    events: Vec<Event>,
    token: String,
    /// The reserved joint day, or the days the applicant may pick (rule C-4).
    reserved: Option<String>,
    candidates: Vec<(String, String)>,
    notice: Option<String>,
    offer: super::offers::OfferPanel,
    /// The applicant's documents, what is still asked and the upload form.
    docs: super::documents::ApplicantSection,
}

impl TrackPage {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        self.tr.numeric_datetime(brussels(*at))
    }

    fn day(&self, stored: &str) -> String {
        local_date_in(self.tr, stored)
    }
}

pub(super) async fn request_of_token(
    state: &AppState,
    token: &str,
) -> Result<RequestRow, PageError> {
    case_file::request_of_token(state, token)
        .await?
        .ok_or(PageError::NotFound)
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
    let request = request_of_token(&state, &token).await?;
    let uploaded = (!query.uploaded.is_empty()).then(|| super::backoffice::Notice {
        error: false,
        text: ctx.tr.t("documents.uploaded").to_owned(),
    });
    render_track_with(&state, ctx, request, token, None, uploaded, StatusCode::OK).await
}

/// The status page, with why the change just asked for was refused.
pub(super) async fn render_track(
    state: &AppState,
    ctx: Ctx,
    request: RequestRow,
    token: String,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
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
    let file = case_file::applicant_file(state, request, &token)
        .await
        .map_err(case_file_error)?;
    let names = ServiceNames::of(ctx.tr, &file.partner_labels);
    let services = super::backoffice::service_labels(ctx.tr, &names, &file.request, &file.services);
    let offer = super::offers::offer_panel(ctx.tr, &file.offer, format!("/track/{token}/offers"));
    let docs = super::documents::ApplicantSection::of(
        ctx.tr,
        &file,
        state.config.upload_max_bytes,
        upload_notice,
    );
    let page = TrackPage {
        tr: ctx.tr,
        page: ctx.frame,
        site: site_line(&file.request),
        services,
        candidates: file
            .candidates
            .iter()
            .map(|day| (day.to_string(), ctx.tr.numeric_date(*day)))
            .collect(),
        reserved: file.reserved.map(super::backoffice::day_label),
        request: file.request,
        events: file.events,
        token,
        notice,
        offer,
        docs,
    };
    // The private link must not be cached by shared caches or leak through referrers.
    let mut response = (
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        )],
        page,
    )
        .into_response();
    *response.status_mut() = status;
    Ok(response)
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
                request,
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
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

async fn switch_language(Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let language: Language = code.parse().unwrap_or_default();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        language.code()
    );
    let mut response = Redirect::to(safe_next(query.next.as_deref())).into_response();
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
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/backoffice?state=submitted")),
            "/backoffice?state=submitted"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
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
