//! JSON under `/api/v1`, mirroring what the pages show, scoped like them.

use axum::{
    Json, Router,
    extract::{FromRequestParts, Query, State},
    http::{HeaderMap, HeaderName, HeaderValue, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

use crate::domain::{DocumentId, RequestId};
use crate::{
    domain::tenancy::SessionUser,
    http::{
        client::ClientAddr,
        error::ApiError,
        extract::{ApiIdPath, Staff},
        query::QueueQuery,
    },
    operators::refusal::RefusalReason,
    services::{
        case_file::{self, CaseFileError},
        queue::{self, QueueRow},
    },
    state::AppState,
    tariff::{self, TariffError},
};

mod assessments;
mod coordinator;
mod crews;
mod doc;
pub mod edge;
mod permits;
mod reservations;
mod statements;
mod studies;
mod works;

/// The `Link` header to the next page of a cursor list (`rel="next"`), keeping the filters
/// the caller sent; none on the last page.
fn next_page_link(path: &str, filters: &[(&str, &String)], cursor: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(cursor) = cursor else {
        return headers;
    };
    let mut pairs: Vec<(&str, String)> = filters
        .iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| (*name, value.trim().to_owned()))
        .collect();
    pairs.push(("cursor", cursor.to_owned()));
    let link = format!(
        "<{path}?{}>; rel=\"next\"",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(axum::http::header::LINK, value);
    }
    headers
}

/// The API's routes, behind [`edge::api_edge`] (bearer keys, `Idempotency-Key`, problem
/// details in the caller's language), which the application layers around them.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(assessments::list))
        .route("/assessments/{id}", get(assessments::show))
        .route("/assessments/{id}/answer", post(assessments::change))
        .route(
            "/assessments/{id}/works-done",
            post(assessments::works_done),
        )
        .route("/assessments/{id}/study", post(studies::study))
        .route("/assessments/{id}/survey", post(studies::survey))
        .route("/reservations", get(reservations::list))
        .route("/requests", get(list))
        .route("/requests/{id}", get(show))
        .route("/requests/{id}/offer", post(coordinator::send_offer))
        .route("/requests/{id}/payments", post(coordinator::record_payment))
        .route(
            "/requests/{id}/offers/{version}",
            get(works::offer_document),
        )
        .route("/crews", get(crews::list).post(crews::create))
        .route("/crews/{id}", post(crews::change))
        .route("/crews/{id}/retire", post(crews::retire))
        .route("/crews/absences", post(crews::declare_absences))
        .route("/permits", get(works::permit_list))
        .route("/permits/{id}", get(permits::show))
        .route("/permits/{id}/decision", post(permits::decide))
        .route("/figures", get(works::figures))
        .route(
            "/statements",
            post(statements::upload).layer(axum::extract::DefaultBodyLimit::max(
                usize::try_from(crate::services::statements::FILE_MAX_BYTES + 1024)
                    .unwrap_or(usize::MAX),
            )),
        )
        .route("/estimates", post(estimate))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound })
}

/// A write needs a read-write key: a read key is refused, and so is a browser session (a
/// system writes with its own key, named in the events it writes).
pub(crate) fn require_write(user: &SessionUser) -> Result<(), ApiError> {
    match &user.api_key {
        Some(key) if key.writes => Ok(()),
        Some(_) => Err(ApiError::Forbidden { code: "read_only" }),
        None => Err(ApiError::Forbidden { code: "needs_key" }),
    }
}

/// The query string, read as `Query` does; one it cannot read (a field given twice) is
/// refused as invalid input in the API's JSON, saying why, rather than axum's plain-text 400.
pub(crate) struct JsonQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for JsonQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| JsonQuery(value))
            .map_err(|rejection| ApiError::Invalid(format!("query: {}", rejection.body_text())))
    }
}

/// One request of the queue.
#[derive(Serialize, ToSchema)]
#[schema(as = Request)]
struct RequestSummary {
    #[schema(value_type = String, format = Uuid)]
    id: RequestId,
    #[schema(example = "CMH-2026-000123")]
    reference: String,
    /// `submitted`, `incomplete`, `complete`, `assessed`, `quoted`, `accepted`,
    /// `ready_for_works`, `scheduled`, `done`, `closed`, `withdrawn`, `refused` or `lapsed`.
    state: String,
    applicant_name: String,
    postcode: String,
    /// The commune's NIS code.
    commune_nis: String,
    commune: String,
    #[schema(format = DateTime)]
    submitted_at: String,
    /// A part the caller sees was left unpriced: no tariff in force on its date (V-5).
    no_tariff: bool,
}

impl From<QueueRow> for RequestSummary {
    fn from(row: QueueRow) -> Self {
        RequestSummary {
            no_tariff: row.no_tariff,
            submitted_at: row.submitted_text(),
            state: row.state.code().to_owned(),
            id: row.id,
            reference: row.reference,
            applicant_name: row.applicant_name,
            postcode: row.postcode,
            commune_nis: row.commune_nis,
            commune: row.commune_name,
        }
    }
}

/// One page of the caller's queue (newest first unless `order=urgent`; `page`, `per_page`).
/// The body stays the array of requests; the totals travel in headers: `X-Total-Count` (all
/// the filters keep), `X-Page`, `X-Per-Page`, `X-Page-Count`, `X-State-Counts` (per state,
/// unfiltered: `submitted=3, quoted=1`) and a `Link` to the next and previous pages.
#[utoipa::path(
    get,
    path = "/requests",
    operation_id = "listRequests",
    tag = "requests",
    summary = "The signed-in organisation's queue, one page at a time, newest first unless order=urgent",
    params(
        ("state" = Option<String>, Query, description = "A state code (submitted, assessed, …), `open` or `all`"),
        ("commune" = Option<String>, Query, description = "NIS code"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "Filed on or after this day"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Filed on or before this day"),
        ("assigned" = Option<String>, Query, description = "`me`, `nobody`, or empty for everybody's"),
        ("no_tariff" = Option<String>, Query, description = "Not empty (1): only requests with a part left unpriced because no tariff book is in force on its date (rule V-5)"),
        ("order" = Option<String>, Query, description = "newest (default): the latest filed first. urgent: requests in progress first, the earliest filed first; finished ones (done, closed, withdrawn, refused, lapsed) after them"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Lines per page (50 by default)"),
    ),
    responses(
        (status = 200, description = "Requests", body = Vec<RequestSummary>,
            headers(
                ("X-Total-Count" = i64, description = "How many requests the filters keep, on every page"),
                ("X-Page" = u32, description = "This page's number"),
                ("X-Per-Page" = u32, description = "Lines per page"),
                ("X-Page-Count" = u32, description = "How many pages"),
                ("X-State-Counts" = String, description = "Per state, how many requests the organisation has, whatever the filters: submitted=3, quoted=1"),
                ("Link" = String, description = "The next and previous pages (rel=\"next\", rel=\"prev\"), filters kept"),
            ),
            links(
                ("GetRequest" = (operation_id = "getRequest", parameters(("id" = "$response.body#/0/id")), description = "The first request of the page"))
            )
        ),
        (status = 401, response = ErrorResponse),
        (status = 422, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    staff: Staff,
    JsonQuery(query): JsonQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let page = queue::page(
        &state,
        &staff.user,
        &query.filter(staff.user.user_id, crate::domain::tenancy::StateFilter::Any),
        query.order(),
        query.paging(),
    )
    .await?;
    let mut links = Vec::new();
    if page.has_next() {
        links.push(format!(
            "</api/v1/requests?{}>; rel=\"next\"",
            query.page_link(page.paging.page + 1)
        ));
    }
    if page.has_previous() {
        links.push(format!(
            "</api/v1/requests?{}>; rel=\"prev\"",
            query.page_link(page.paging.page - 1)
        ));
    }
    let counts = page
        .counts
        .iter()
        .map(|(state, count)| format!("{}={count}", state.code()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-total-count", page.total.to_string()),
        ("x-page", page.paging.page.to_string()),
        ("x-per-page", page.paging.per_page.to_string()),
        ("x-page-count", page.pages().to_string()),
        ("x-state-counts", counts),
        ("link", links.join(", ")),
    ] {
        if value.is_empty() {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let body: Vec<RequestSummary> = page.rows.into_iter().map(RequestSummary::from).collect();
    Ok((headers, Json(body)).into_response())
}

/// A connection asked for and the operator serving it (none for a partner not covering the
/// commune).
#[derive(Serialize, ToSchema)]
#[schema(as = Service)]
struct ServiceJson {
    /// `electricity`, `gas`, `water`, `proximus`, `voo` or a partner's service code.
    service: String,
    operator: Option<String>,
}

/// One operator's part of the request.
#[derive(Serialize, ToSchema)]
#[schema(as = Part)]
struct PartJson {
    /// `electricity`, `gas`, `water`, `proximus`, `voo` or a partner's service code.
    service: String,
    operator: String,
    #[schema(schema_with = doc::part_status)]
    status: String,
    /// The operator's answer; null before it.
    #[schema(schema_with = doc::feasibility)]
    feasibility: Option<String>,
    /// Why the part is refused, each reason with its rule; empty unless refused.
    refusals: Vec<RefusalJson>,
}

/// One reason a part is not made, with its rule (B-4.4: every refusal in writing).
#[derive(Serialize, ToSchema)]
#[schema(as = Refusal)]
struct RefusalJson {
    /// The rule that refuses, e.g. `B-4.2` (distance to the main), `B-5.1` (SWDE's survey
    /// concludes not feasible); `B-4.4` for a refusal written by staff without a more precise
    /// rule.
    #[schema(example = "B-5.1")]
    rule: String,
    /// A reason worded by the rules (`keyed`: translation key and arguments) or written by
    /// operator staff (`written`).
    reason: RefusalReason,
    /// The reason in words (in English for a keyed one; as staff wrote it otherwise).
    text: String,
}

impl PartJson {
    fn of(view: &case_file::AnswerView) -> Self {
        let english = crate::i18n::Tr(crate::domain::Language::En);
        PartJson {
            service: view.service.clone(),
            operator: view.operator.clone(),
            status: view.status.to_string(),
            feasibility: view
                .answer
                .as_ref()
                .map(|a| a.feasibility.code().to_owned()),
            refusals: view
                .answer
                .as_ref()
                .map(|a| a.refusals())
                .unwrap_or_default()
                .into_iter()
                .map(|r| RefusalJson {
                    text: r.reason_text(english),
                    rule: r.rule,
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

/// One entry of the request's history.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
struct EventJson {
    #[schema(format = DateTime)]
    at: String,
    kind: String,
    /// `applicant`, `staff`, `system`, or `api_key` for an organisation's system.
    #[schema(schema_with = doc::actor_kind)]
    actor_kind: String,
    /// Who: the staff member, or the key's name.
    actor: Option<String>,
    /// The organisation the actor acted for, if any.
    organisation: Option<String>,
    detail: Option<String>,
    public: bool,
}

/// The request with what the caller may read of it.
#[derive(Serialize, ToSchema)]
struct RequestDetail {
    #[schema(value_type = String, format = Uuid)]
    id: RequestId,
    #[schema(example = "CMH-2026-000123")]
    reference: String,
    /// The request's state (see `Request.state`).
    state: String,
    applicant: ApplicantJson,
    site: SiteJson,
    building: String,
    dwellings: i64,
    electricity_band: Option<String>,
    services: Vec<ServiceJson>,
    /// Each operator's part the caller may read (every one for the coordinator, its own for an
    /// operator), with why it is refused: every refusal is in writing with its reasons (rule
    /// B-4.4), each under its rule.
    parts: Vec<PartJson>,
    #[schema(format = Date)]
    wished_from: Option<String>,
    #[schema(format = Date)]
    wished_to: Option<String>,
    remarks: Option<String>,
    #[schema(format = DateTime)]
    submitted_at: String,
    /// The history the caller may read. An organisation's system is named by its key
    /// (`actor_kind` `api_key`, `actor` the key's name, `organisation` its organisation).
    timeline: Vec<EventJson>,
    /// The documents the caller may read: every one for the coordinator, those answering its
    /// own prerequisites for an operator (metadata; the file at `download`).
    documents: Vec<DocumentJson>,
    /// The reserved joint day (rule C-4), with the crews the caller may see: every one for the
    /// coordinator, its own for an operator.
    joint_day: Option<works::JointDayJson>,
    /// The joint road-works permit (rule C-6); coordinator only.
    permit: Option<works::PermitJson>,
    /// Offer versions, newest first, with payees and payments; empty for an operator (it sees
    /// its own part, not the consolidated offer).
    offers: Vec<works::OfferJson>,
    /// The servicing dossier-opening fee invoiced when the request was filed, before ORES'
    /// study (rule V-3.1), with its payment; kept by ORES whatever happens to the offer, which
    /// no longer charges it. Null when none was issued (no servicing, a social project: V-3.2,
    /// a dossier the applicant already opened for this land: V-3.1, a servicing invoiced
    /// without offer: V-7) and for an operator.
    dossier_invoice: Option<works::DossierInvoiceJson>,
}

/// A document the caller may read.
#[derive(Serialize, ToSchema)]
#[schema(as = Document)]
struct DocumentJson {
    #[schema(value_type = String, format = Uuid)]
    id: DocumentId,
    #[schema(schema_with = doc::document_kind)]
    kind: String,
    filename: String,
    #[schema(schema_with = doc::content_type)]
    content_type: String,
    size_bytes: i64,
    sha256: String,
    #[schema(schema_with = doc::uploaded_by)]
    uploaded_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// Where the signed-in caller downloads the file (same session).
    download: String,
}

/// Who asks: a person or a company, and how to reach them.
#[derive(Serialize, ToSchema)]
#[schema(as = Applicant)]
struct ApplicantJson {
    /// `natural` (a person) or `legal` (a company or body).
    kind: String,
    name: String,
    company_number: Option<String>,
    email: String,
    phone: String,
    /// `fr`, `en`, `de` or `nl`.
    language: String,
}

/// Where the works are.
#[derive(Serialize, ToSchema)]
#[schema(as = Site)]
struct SiteJson {
    street: Option<String>,
    house_number: Option<String>,
    locality: Option<String>,
    postcode: String,
    commune_nis: String,
    commune: String,
    map_point: Option<String>,
    parcel_ref: Option<String>,
}

#[utoipa::path(
    get,
    path = "/requests/{id}",
    operation_id = "getRequest",
    tag = "requests",
    summary = "One request the signed-in organisation is involved in",
    params(("id" = uuid::Uuid, Path, description = "The request")),
    responses(
        (status = 200, description = "The request", body = RequestDetail,
            links(
                ("GetOfferDocument" = (operation_id = "getOfferDocument", parameters(("id" = "$request.path.id"), ("version" = "$response.body#/offers/0/version")), description = "The newest offer of the request"))
            )
        ),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
async fn show(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<RequestId>,
) -> Result<Json<RequestDetail>, ApiError> {
    let file = case_file::for_staff(&state, &staff.user, id)
        .await
        .map_err(|error| match error {
            CaseFileError::NotFound => ApiError::NotFound,
            CaseFileError::Db(error) => ApiError::from(error),
            CaseFileError::Corrupt(what) => {
                tracing::error!(%what, "case file");
                ApiError::Internal
            }
        })?;
    let joint_day = works::joint_day(&file);
    let permit = works::permit(&file);
    let offers = works::offers(&file)?;
    let dossier_invoice = works::dossier_invoice(&file, state.clock.today());
    let parts = file.assessments.iter().map(PartJson::of).collect();
    // The kept file is shared: the answer takes copies.
    let row = file.request.clone();
    Ok(Json(RequestDetail {
        id: row.id,
        reference: row.reference,
        state: row.state.code().to_owned(),
        applicant: ApplicantJson {
            kind: row.applicant_kind.code().to_owned(),
            name: row.applicant_name,
            company_number: row.company_number,
            email: row.email,
            phone: row.phone,
            language: row.language.code().to_owned(),
        },
        site: SiteJson {
            street: row.street,
            house_number: row.house_number,
            locality: row.locality,
            postcode: row.postcode,
            commune_nis: row.commune_nis,
            commune: row.commune_name,
            map_point: row.map_point,
            parcel_ref: row.parcel_ref,
        },
        building: row.building,
        dwellings: row.dwellings,
        electricity_band: row.electricity_band.map(|band| band.code()),
        services: file
            .services
            .clone()
            .into_iter()
            .map(|s| ServiceJson {
                service: s.service,
                operator: s.operator,
            })
            .collect(),
        parts,
        wished_from: row.wished_from.map(|day| day.to_string()),
        wished_to: row.wished_to.map(|day| day.to_string()),
        remarks: row.remarks,
        submitted_at: timestamp(row.submitted_at),
        timeline: file
            .events
            .clone()
            .into_iter()
            .map(|e| EventJson {
                at: timestamp(e.at),
                kind: e.kind,
                actor_kind: e.actor_kind,
                actor: e.actor_name,
                organisation: e.organisation_name,
                detail: e.detail,
                public: e.public,
            })
            .collect(),
        documents: file
            .documents
            .clone()
            .into_iter()
            .map(|d| DocumentJson {
                id: d.id,
                kind: d.kind,
                filename: d.filename,
                content_type: d.content_type,
                size_bytes: d.size_bytes,
                sha256: d.sha256,
                uploaded_by: d.uploaded_by,
                created_at: timestamp(d.created_at),
                download: d.download_url,
            })
            .collect(),
        joint_day,
        permit,
        offers,
        dossier_invoice,
    }))
}

/// A timestamp as the API writes them: RFC 3339 UTC with microseconds, as stored.
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Prices a described case with the tariff books in force; nothing is saved. The body is an
/// `EstimateCase` (see docs/examples/estimate-case.json); refusals say what is wrong.
#[utoipa::path(
    post,
    path = "/estimates",
    operation_id = "estimate",
    tag = "estimates",
    summary = "Prices a described case with the tariff books in force; nothing is saved",
    description = "Only request_date is required. Example: docs/examples/estimate-case.json; format: docs/tariff.md.",
    request_body(content = tariff::EstimateCase, content_type = "application/json"),
    responses(
        (status = 200, description = "Lines per operator with rule ids, VAT breakdown, totals, mentions, books used", body = Object),
        (status = 422, response = ErrorResponse),
        (status = 429, description = "Too many estimates from the caller's address (60 a minute by default): error too_many_requests, with a Retry-After header",
            headers(("Retry-After" = u64, description = "Seconds to wait")),
            body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn estimate(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: axum::body::Bytes,
) -> Result<Json<tariff::Estimate>, ApiError> {
    // Anyone may ask, without an account: each client only so many a minute.
    state.throttles.estimate.check(client)?;
    // A refused value is named by its path (`case: servicing.frontage_m: …`).
    let case = tariff::parse_case(&body).map_err(|error| match error {
        TariffError::CaseJson(message) => ApiError::Invalid(format!("case: {message}")),
        other => ApiError::Invalid(other.to_string()),
    })?;
    // Uploaded books included: the one in force on the request date applies (V-5).
    let tariffs = crate::services::books::current(&state).await?;
    tariff::estimate(&tariffs, &case)
        .map(Json)
        .map_err(|error| match error {
            TariffError::NoBookInForce { .. } => ApiError::NoTariff {
                message: error.to_string(),
                gaps: tariff::gap::gaps_of_case(&tariffs, &case),
            },
            other => ApiError::Invalid(other.to_string()),
        })
}

/// The description of this API (OpenAPI 3.1), kept beside the handlers it documents.
async fn openapi() -> Json<serde_json::Value> {
    Json(doc::document())
}

pub(crate) use doc::ErrorResponse;
