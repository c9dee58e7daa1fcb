//! JSON under `/api/v1`, mirroring what the pages show, scoped like them.

use axum::{
    Json, Router,
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderName, HeaderValue, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    domain::tenancy::SessionUser,
    http::{client::ClientAddr, error::ApiError, extract::Staff, query::QueueQuery},
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
pub mod edge;
mod permits;
mod statements;
mod works;

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
        .route("/requests", get(list))
        .route("/requests/{id}", get(show))
        .route("/requests/{id}/offer", post(coordinator::send_offer))
        .route("/requests/{id}/payments", post(coordinator::record_payment))
        .route(
            "/requests/{id}/offers/{version}",
            get(works::offer_document),
        )
        .route("/crews", get(crews::list))
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

#[derive(Serialize)]
struct RequestSummary {
    id: String,
    reference: String,
    state: String,
    applicant_name: String,
    postcode: String,
    commune_nis: String,
    commune: String,
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

#[derive(Serialize)]
struct ServiceJson {
    service: String,
    operator: Option<String>,
}

#[derive(Serialize)]
struct PartJson {
    service: String,
    operator: String,
    /// `pending`, `answered` or `failed`.
    status: String,
    /// `feasible`, `feasible_with_extension`, `not_available` or `refused`; none before the
    /// answer.
    feasibility: Option<String>,
    /// Why the part is refused, each reason with its rule; empty unless refused.
    refusals: Vec<RefusalJson>,
}

#[derive(Serialize)]
struct RefusalJson {
    /// The rule that refuses, e.g. `B-4.2`.
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
            status: view.status.clone(),
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

#[derive(Serialize)]
struct EventJson {
    at: String,
    kind: String,
    /// `applicant`, `staff`, `system`, or `api_key` for an organisation's system (issue 21).
    actor_kind: String,
    /// Who: the staff member, or the key's name.
    actor: Option<String>,
    /// The organisation the actor acted for, if any.
    organisation: Option<String>,
    detail: Option<String>,
    public: bool,
}

#[derive(Serialize)]
struct RequestDetail {
    id: String,
    reference: String,
    state: String,
    applicant: ApplicantJson,
    site: SiteJson,
    building: String,
    dwellings: i64,
    electricity_band: Option<String>,
    services: Vec<ServiceJson>,
    /// Each operator's part the caller may see (all for the coordinator, its own for an
    /// operator), with why it is refused (B-4.4).
    parts: Vec<PartJson>,
    wished_from: Option<String>,
    wished_to: Option<String>,
    remarks: Option<String>,
    submitted_at: String,
    timeline: Vec<EventJson>,
    /// The documents the caller may read (metadata; the file at `download`).
    documents: Vec<DocumentJson>,
    /// The reserved joint day, if any, with the crews the caller may see.
    joint_day: Option<works::JointDayJson>,
    /// The joint road-works permit (coordinator only).
    permit: Option<works::PermitJson>,
    /// The offer versions, newest first (coordinator only).
    offers: Vec<works::OfferJson>,
    /// V-3.1: the dossier-opening fee invoiced at filing (coordinator only).
    dossier_invoice: Option<works::DossierInvoiceJson>,
}

#[derive(Serialize)]
struct DocumentJson {
    id: String,
    kind: String,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_by: String,
    created_at: String,
    download: String,
}

#[derive(Serialize)]
struct ApplicantJson {
    kind: String,
    name: String,
    company_number: Option<String>,
    email: String,
    phone: String,
    language: String,
}

#[derive(Serialize)]
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

async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<RequestDetail>, ApiError> {
    let file = case_file::for_staff(&state, &staff.user, &id)
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
    let row = file.request;
    Ok(Json(RequestDetail {
        id: row.id,
        reference: row.reference,
        state: row.state.code().to_owned(),
        applicant: ApplicantJson {
            kind: row.applicant_kind,
            name: row.applicant_name,
            company_number: row.company_number,
            email: row.email,
            phone: row.phone,
            language: row.language,
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
        electricity_band: row.electricity_band,
        services: file
            .services
            .into_iter()
            .map(|s| ServiceJson {
                service: s.service,
                operator: s.operator,
            })
            .collect(),
        parts,
        wished_from: row.wished_from,
        wished_to: row.wished_to,
        remarks: row.remarks,
        submitted_at: row.submitted_at,
        timeline: file
            .events
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
async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
