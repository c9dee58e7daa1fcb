//! An operator's systems answer their assessments (issue 21): list the open parts, read one,
//! and change the answer through the same service as the operator's page (same validation,
//! refusals with their rule ids, events), under the answer's version.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ErrorResponse, JsonQuery, doc, require_write};
use crate::domain::assessment::AssessmentStatus;
use crate::domain::tenancy::OrganisationKind;
use crate::domain::{AssessmentId, RequestId};
use crate::{
    domain::tenancy::SessionUser,
    http::{
        error::ApiError,
        extract::{ApiIdPath, Staff},
        refusal::{adjust_refusal, adjust_rule},
    },
    i18n::Tr,
    operators,
    services::{
        assess::{self, AdjustError, Adjustment, LineInput},
        operator_work::{self, OwnPartFilter, OwnPartRow},
        schedule::ScheduleError,
        works,
    },
    state::AppState,
};

/// Only an operator's staff and keys have parts to answer; for anybody else they do not exist.
pub(super) fn require_operator(user: &SessionUser) -> Result<(), ApiError> {
    if user.organisation_kind == OrganisationKind::Operator {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// An operator's write on one of its parts: another organisation's part does not exist,
/// before any other refusal; then a read key or a browser session does not write.
pub(super) async fn require_own_writable_part(
    state: &AppState,
    user: &SessionUser,
    id: AssessmentId,
) -> Result<(), ApiError> {
    require_operator(user)?;
    operator_work::own_part(state, user, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    require_write(user)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PartsQuery {
    /// `pending`, `answered` or `failed`; empty for all.
    state: String,
    /// The commune's NIS code.
    commune: String,
    /// Filed on or after this day (`YYYY-MM-DD`).
    from: String,
    /// Filed on or before this day.
    to: String,
    /// The `next_cursor` of the page before.
    cursor: String,
    /// Parts per page: 50 by default, 200 at most.
    limit: String,
}

/// One of the operator's parts of an open request.
#[derive(Serialize, ToSchema)]
pub struct PartSummary {
    #[schema(value_type = String, format = Uuid)]
    id: AssessmentId,
    #[schema(value_type = String, format = Uuid)]
    request_id: RequestId,
    reference: String,
    /// The request's state.
    request_state: String,
    service: String,
    #[schema(schema_with = doc::part_status)]
    status: String,
    /// The answer's version: give it as `version` (or `If-Match`) when changing the answer.
    version: i64,
    #[schema(schema_with = doc::feasibility)]
    feasibility: Option<String>,
    /// When the answer is due (rule C-3).
    #[schema(format = DateTime)]
    due_at: String,
    commune: String,
    /// The commune's NIS code.
    commune_nis: String,
    postcode: String,
    #[schema(format = DateTime)]
    submitted_at: String,
    /// This part, with its answer.
    href: String,
}

impl From<OwnPartRow> for PartSummary {
    fn from(row: OwnPartRow) -> Self {
        PartSummary {
            href: format!("/api/v1/assessments/{}", row.id),
            id: row.id,
            request_id: row.request_id,
            reference: row.reference,
            request_state: row.request_state.code().to_owned(),
            service: row.service,
            status: row.status.to_string(),
            version: row.version,
            feasibility: row.feasibility,
            due_at: super::timestamp(row.due_at),
            commune: row.commune_name,
            commune_nis: row.commune_nis,
            postcode: row.postcode,
            submitted_at: super::timestamp(row.submitted_at),
        }
    }
}

/// A page of parts.
#[derive(Serialize, ToSchema)]
pub struct PartsPage {
    items: Vec<PartSummary>,
    /// Give it as `cursor` for the next page; none on the last page.
    next_cursor: Option<String>,
}

fn cursor_of(row: &OwnPartRow) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}\n{}",
        super::timestamp(row.submitted_at),
        row.id
    ))
}

fn read_cursor(text: &str) -> Option<(DateTime<Utc>, AssessmentId)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (at, id) = text.split_once('\n')?;
    Some((crate::clock::parse_timestamp(at)?, id.parse().ok()?))
}

/// The instant the Brussels day `text` starts (`next`: the day after it), if one is given.
fn day_start(text: &str, next: bool) -> Result<Option<DateTime<Utc>>, ApiError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let day = crate::clock::parse_day(text.trim())
        .ok_or_else(|| ApiError::Invalid(format!("query: {text:?} is no date (YYYY-MM-DD)")))?;
    let day = if next {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(Some(crate::clock::day_start(day)))
}

/// The operator's parts of open requests, oldest filed first, a page at a time.
#[utoipa::path(
    get,
    path = "/assessments",
    operation_id = "listAssessments",
    tag = "assessments",
    summary = "The operator's parts of open requests, oldest filed first, a page at a time (cursor)",
    description = "Only for an operator's staff or keys; anybody else: 404. Follow next_cursor (or the Link header, rel=\"next\") until it is null.",
    params(
        ("state" = Option<String>, Query, description = "The part's status: pending, answered or failed"),
        ("commune" = Option<String>, Query, description = "NIS code"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "Filed on or after this day"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Filed on or before this day"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the page before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Parts per page (50 by default)"),
    ),
    responses(
        (status = 200, description = "A page of parts", body = PartsPage,
            headers(("Link" = String, description = "The next page (rel=\"next\"), when there is one")),
            links(("GetAssessment" = (operation_id = "getAssessment", parameters(("id" = "$response.body#/items/0/id")), description = "The first part of the page")))
        ),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 422, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    JsonQuery(query): JsonQuery<PartsQuery>,
) -> Result<Response, ApiError> {
    require_operator(&staff.user)?;
    let status = match query.state.trim() {
        "" => None,
        code => Some(code.parse::<AssessmentStatus>().map_err(|_| {
            ApiError::Invalid(format!(
                "query: state {code:?} is none of {}",
                AssessmentStatus::codes().join(", ")
            ))
        })?),
    };
    let after = match query.cursor.trim() {
        "" => None,
        text => Some(
            read_cursor(text)
                .ok_or_else(|| ApiError::Invalid("query: the cursor is not readable".into()))?,
        ),
    };
    let limit = match query.limit.trim() {
        "" => 50,
        text => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=operator_work::PARTS_PAGE_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::Invalid(format!(
                    "query: limit is a number from 1 to {}",
                    operator_work::PARTS_PAGE_MAX
                ))
            })?,
    };
    let filter = OwnPartFilter {
        status,
        commune_nis: Some(query.commune.trim().to_owned()).filter(|c| !c.is_empty()),
        submitted_from: day_start(&query.from, false)?,
        submitted_before: day_start(&query.to, true)?,
        after,
    };
    let (rows, more) = operator_work::open_parts(&state, &staff.user, &filter, limit).await?;
    let next_cursor = more.then(|| rows.last().map(cursor_of)).flatten();
    let headers = super::next_page_link(
        "/api/v1/assessments",
        &[
            ("state", &query.state),
            ("commune", &query.commune),
            ("from", &query.from),
            ("to", &query.to),
            ("limit", &query.limit),
        ],
        next_cursor.as_deref(),
    );
    Ok((
        headers,
        Json(PartsPage {
            items: rows.into_iter().map(PartSummary::from).collect(),
            next_cursor,
        }),
    )
        .into_response())
}

/// One of the operator's parts with its answer.
#[derive(Serialize, ToSchema)]
pub struct PartDetail {
    #[serde(flatten)]
    summary: PartSummary,
    /// The answer as stored: feasibility, written reasons, refusals with their rules,
    /// prerequisites (met or not), crew need, lead time and the priced lines (numbered from 0
    /// for `edit_line` and `remove_line`); null before the first answer.
    #[schema(schema_with = doc::stored_answer)]
    answer: Option<operators::Assessment>,
    /// The whole request as the operator may see it.
    request: String,
}

fn with_etag(version: i64, body: PartDetail) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

pub(super) async fn part(
    state: &AppState,
    user: &SessionUser,
    assessment_id: AssessmentId,
) -> Result<Response, ApiError> {
    let (row, answer) = operator_work::own_part(state, user, assessment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let version = row.version;
    let request = format!("/api/v1/requests/{}", row.request_id);
    Ok(with_etag(
        version,
        PartDetail {
            summary: PartSummary::from(row),
            answer,
            request,
        },
    ))
}

/// One of the operator's parts with its answer; another organisation's does not exist.
#[utoipa::path(
    get,
    path = "/assessments/{id}",
    operation_id = "getAssessment",
    tag = "assessments",
    summary = "One of the operator's parts with its answer (ETag: its version)",
    params(("id" = uuid::Uuid, Path, description = "The part")),
    responses(
        (status = 200, description = "The part", body = PartDetail,
            headers(("ETag" = String, description = "The answer's version, quoted"))),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<AssessmentId>,
) -> Result<Response, ApiError> {
    require_operator(&staff.user)?;
    part(&state, &staff.user, id).await
}

/// A number or a text in the JSON body, read as the page's form field would be.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(untagged)]
pub(super) enum Field {
    Text(String),
    Number(serde_json::Number),
    #[default]
    None,
}

impl Field {
    pub(super) fn text(&self) -> String {
        match self {
            Field::Text(text) => text.clone(),
            Field::Number(number) => number.to_string(),
            Field::None => String::new(),
        }
    }
}

/// A change of the answer, with the fields of the operator's page. Refusals are in writing
/// with their reason (B-4.4); a line change needs its reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(
    as = AnswerChange,
    examples(
        json!({"version": 1, "action": "refuse", "code": "B-4.4", "text": "Cabine saturée : renforcement du réseau nécessaire"}),
        json!({"version": 2, "action": "prerequisite_met", "code": "situation_plan"}),
        json!({"version": 3, "action": "add_line", "label": "Traversée de voirie", "quantity": "1", "unit_price": "850", "vat": "standard", "text": "Constaté sur place"})
    )
)]
struct ChangeBody {
    /// The answer's version the change is made on (or `If-Match`); stale: 409.
    version: Option<i64>,
    #[schema(schema_with = doc::answer_action)]
    action: String,
    /// `prerequisite_met`: the prerequisite's code; `refuse`: the rule that refuses (B-4.4
    /// when empty).
    code: String,
    /// The refusal's reason, the note, or the reason of a line change (2000 characters at
    /// most).
    text: String,
    /// `edit_line`, `remove_line`: the line's number in `answer.lines`.
    #[schema(schema_with = doc::number_or_text)]
    line: Field,
    /// `add_line`: what the line is.
    label: String,
    #[schema(schema_with = doc::number_or_text)]
    quantity: Field,
    /// Euros, VAT excluded.
    #[schema(schema_with = doc::number_or_text)]
    unit_price: Field,
    /// `add_line`: the VAT regime (standard when empty).
    vat: String,
}

/// The version from `If-Match` (`"3"`, `W/"3"` or `3`).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|text| text.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|text| text.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::Invalid("If-Match: the answer's version, e.g. \"3\"".into()))
}

/// The version a change is made on: the body's `version` or `If-Match`, which must agree;
/// neither is 428.
pub(super) fn version_of(tr: Tr, field: Option<i64>, headers: &HeaderMap) -> Result<i64, ApiError> {
    match (field, if_match(headers)?) {
        (Some(field), Some(header)) if field != header => Err(ApiError::Invalid(
            "the version field and If-Match differ".into(),
        )),
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(ApiError::Refused {
            status: StatusCode::PRECONDITION_REQUIRED,
            code: "version_required",
            detail: tr.t("api_problem.version_required_detail").to_owned(),
            rule: None,
        }),
    }
}

/// Changes the operator's answer (a prerequisite met, a refusal with its reason, a note, a line
/// edited, added or removed with its reason) through the page's service: a new version, a
/// timeline event naming the key. A stale version is refused (409) and changes nothing.
#[utoipa::path(
    post,
    path = "/assessments/{id}/answer",
    operation_id = "changeAssessment",
    tag = "assessments",
    summary = "Changes the operator's answer through the operator page's service: a new version and a history event naming the key",
    description = "Needs a read-write key. Same validation and refusals as the page, with their rule ids. A stale version: 409 stale, nothing changed.",
    params(
        ("id" = uuid::Uuid, Path, description = "The part"),
        doc::IdempotencyHeader,
        doc::IfMatchHeader,
    ),
    request_body(content = ChangeBody, content_type = "application/json"),
    responses(doc::NewAnswerVersion),
    security(("session" = []), ("bearer" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<AssessmentId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_own_writable_part(&state, &staff.user, id).await?;
    // A key speaks its owner's language (the administrator who created it).
    let tr = staff.tr;
    let change: ChangeBody = serde_json::from_slice(&body)
        .map_err(|error| ApiError::Invalid(format!("body: {error}")))?;
    let version = version_of(tr, change.version, &headers)?;
    let line = change.line.text();
    let quantity = change.quantity.text();
    let unit_price = change.unit_price.text();
    let outcome = match Adjustment::parse(
        &change.action,
        &change.code,
        &change.text,
        &LineInput {
            line: &line,
            label: &change.label,
            quantity: &quantity,
            unit_price: &unit_price,
            vat: &change.vat,
        },
    ) {
        Ok(adjustment) => {
            assess::adjust(
                &state,
                &staff.user,
                id,
                version,
                &adjustment,
                state.clock.now(),
            )
            .await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => part(&state, &staff.user, id).await,
        Err(error) => Err(adjust_error(tr, error)),
    }
}

/// A change of the answer refused, as the page words it, with the rule that refuses; a
/// stale version is 409 and changed nothing.
pub(super) fn adjust_error(tr: Tr, error: AdjustError) -> ApiError {
    match error {
        AdjustError::NotFound => ApiError::NotFound,
        AdjustError::Db(error) => error.into(),
        AdjustError::Corrupt(what) => {
            tracing::error!(%what, "answer not readable");
            ApiError::Internal
        }
        error @ AdjustError::Stale => ApiError::stale(adjust_refusal(tr, &error)),
        error => ApiError::refused(adjust_refusal(tr, &error), adjust_rule(&error)),
    }
}

/// Records the operator's works on the joint day as done, through the service of the
/// operator's button (on or after the day; with the last operator's, the request is done); the
/// timeline names the key. Answers the part.
#[utoipa::path(
    post,
    path = "/assessments/{id}/works-done",
    operation_id = "recordWorksDone",
    tag = "assessments",
    summary = "Records the operator's works on the joint day as done, through the service of the operator's button; with the last operator's, the request is done. The history names the key",
    description = "Needs a read-write key of the operator. No body. Refused (422, rule C-4) before the reserved day, and once recorded.",
    params(("id" = uuid::Uuid, Path, description = "The part"), doc::IdempotencyHeader),
    responses(
        (status = 200, description = "The part", body = PartDetail, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn works_done(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<AssessmentId>,
) -> Result<Response, ApiError> {
    require_own_writable_part(&state, &staff.user, id).await?;
    match works::works_done(&state, &staff.user, id, state.clock.now()).await {
        Ok(()) => part(&state, &staff.user, id).await,
        Err(ScheduleError::Db(error)) => Err(error.into()),
        // C-4: works are done on the reserved day or after it.
        Err(ScheduleError::NotDueYet) => Err(ApiError::refused(
            staff.tr.t("joint.not_due").to_owned(),
            Some("C-4".to_owned()),
        )),
        Err(other) => {
            tracing::error!(error = %other, "works done");
            Err(ApiError::Internal)
        }
    }
}
