//! A commune's permit software decides its joint road-works permits (C-6, issue 21): read one
//! permit with its site, works and history, and decide it through the same service as the
//! commune's permit page (same validation, refusals with their rule, events, mails, webhooks).

use axum::{Json, body::Bytes, extract::State};
use serde::{Deserialize, Serialize};

use super::{ErrorResponse, require_write, works::PermitJson};
use crate::domain::tenancy::OrganisationKind;
use crate::domain::{PermitId, RequestId};
use crate::{
    domain::{permit::Decision, tenancy::SessionUser},
    http::{
        error::ApiError,
        extract::{ApiIdPath, Staff},
        refusal::{permit_refusal, permit_rule},
    },
    services::{
        commune,
        permits::{self as service, PermitError},
    },
    state::AppState,
};

/// Only a commune's staff and keys have permits to decide; for anybody else they do not exist.
fn require_municipality(user: &SessionUser) -> Result<(), ApiError> {
    if user.organisation_kind == OrganisationKind::Municipality {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// One of the commune's joint road-works permits.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermitDetail {
    /// The permit itself, as a request's detail shows it.
    #[serde(flatten)]
    permit: PermitJson,
    /// The request the joint day is for.
    #[schema(value_type = String, format = Uuid)]
    request_id: RequestId,
    /// The request's reference (e.g. `CMH-2026-000001`).
    reference: String,
    /// The site's address.
    site: String,
    /// The commune's NIS code.
    commune_nis: String,
    /// The road the works open: `communal` or `regional`.
    #[schema(schema_with = super::doc::road_type)]
    road_type: String,
    /// Openings in the sidewalk.
    sidewalk_openings: u32,
    /// Openings in the road.
    road_openings: u32,
    /// The traffic measures the case officer stated.
    traffic_measures: Option<String>,
    /// Each operator's works under the permit.
    works: Vec<PermitWork>,
    /// The permit's history, oldest first.
    history: Vec<PermitStep>,
}

/// One operator's works under a permit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermitWork {
    /// The service (`electricity`, `gas`, `water`, `proximus`, `voo`).
    service: String,
    /// The operator doing it.
    operator: Option<String>,
    /// Whether its crew opens the public domain.
    civil_works: bool,
    /// Its trench, in metres.
    trench_metres: String,
}

/// One step of a permit's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermitStep {
    /// When (RFC 3339).
    at: String,
    /// `requested`, `approved`, `approved_with_conditions`, `information_requested`,
    /// `refused`, `answered`, `acknowledged`, `cancelled`, …
    action: String,
    /// Who: the staff member, or the key's name.
    actor: Option<String>,
    /// What was written with it.
    text: Option<String>,
}

async fn detail(
    state: &AppState,
    user: &SessionUser,
    id: PermitId,
) -> Result<PermitDetail, ApiError> {
    let file = commune::permit(state, user, id).await?;
    let record = file.record;
    let permit = record.permit;
    Ok(PermitDetail {
        permit: PermitJson {
            id: permit.id,
            status: permit.status.to_string(),
            day: permit.day.to_string(),
            requested_at: super::timestamp(permit.requested_at),
            due_on: permit.due_on.to_string(),
            decision_text: permit.decision_text,
            decided_at: permit.decided_at.map(super::timestamp),
        },
        request_id: file.request_id,
        reference: file.reference,
        site: file.site,
        commune_nis: permit.commune_nis,
        road_type: file.details.road_type.code().to_owned(),
        sidewalk_openings: file.details.sidewalk_openings,
        road_openings: file.details.road_openings,
        traffic_measures: file.details.traffic_measures,
        works: record
            .works
            .into_iter()
            .map(|work| PermitWork {
                service: work.service,
                operator: work.operator_name,
                civil_works: work.civil_works != 0,
                trench_metres: work.trench_metres.to_string(),
            })
            .collect(),
        history: record
            .history
            .into_iter()
            .map(|step| PermitStep {
                at: super::timestamp(step.at),
                action: step.action,
                actor: step.actor_name,
                text: step.text,
            })
            .collect(),
    })
}

/// One of the commune's permits; another commune's does not exist.
#[utoipa::path(
    get,
    path = "/permits/{id}",
    operation_id = "getPermit",
    tag = "permits",
    summary = "One of the municipality's joint road-works permits (C-6): its site, works and history",
    description = "Another commune's permit does not exist (404).",
    params(("id" = uuid::Uuid, Path, description = "The permit")),
    responses(
        (status = 200, description = "The permit", body = PermitDetail),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<PermitId>,
) -> Result<Json<PermitDetail>, ApiError> {
    require_municipality(&staff.user)?;
    Ok(Json(detail(&state, &staff.user, id).await?))
}

/// The commune's decision, with the fields of its permit page.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(as = PermitDecision)]
pub struct DecisionBody {
    /// `approve`, `approve_with_conditions`, `request_information` or `refuse`.
    #[schema(schema_with = super::doc::permit_action)]
    pub action: String,
    /// The conditions, the question or the reason of the refusal (required for all but
    /// `approve`).
    pub text: String,
}

/// Decides one of the commune's permits through the page's service: the decision and its
/// text are recorded with the key's name, in the timeline the case officer reads, who is told
/// by mail; subscribed systems receive `permit.decided`. The same decision again is its first
/// outcome; another one on a decided permit is refused (C-6).
#[utoipa::path(
    post,
    path = "/permits/{id}/decision",
    operation_id = "decidePermit",
    tag = "permits",
    summary = "Decides one of the municipality's permits through the commune page's service: approve, approve with conditions, ask for information, refuse with the reason",
    description = "Needs a read-write key. Same validation and refusals as the page, with their rule (C-6); a history event naming the key, the case officers mailed, permit.decided sent to subscribed endpoints. The same decision again answers its first outcome.",
    params(("id" = uuid::Uuid, Path, description = "The permit"), super::doc::IdempotencyHeader),
    request_body(content = DecisionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The permit with its decision", body = PermitDetail, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<PermitId>,
    body: Bytes,
) -> Result<Json<PermitDetail>, ApiError> {
    require_municipality(&staff.user)?;
    // Another commune's permit does not exist, before any other refusal.
    commune::check_own_permit(&state, &staff.user, id).await?;
    require_write(&staff.user)?;
    let tr = staff.tr;
    let body: DecisionBody = serde_json::from_slice(&body)
        .map_err(|error| ApiError::Invalid(format!("body: {error}")))?;
    let outcome = match Decision::parse(body.action.trim(), &body.text) {
        Ok(decision) => service::decide(&state, &staff.user, id, &decision, state.clock.now())
            .await
            .map(|_| ()),
        Err(error) => Err(PermitError::Decision(error)),
    };
    match outcome {
        Ok(()) => Ok(Json(detail(&state, &staff.user, id).await?)),
        Err(PermitError::NotFound) => Err(ApiError::NotFound),
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(refused @ PermitError::Stale) => Err(ApiError::stale(permit_refusal(tr, &refused))),
        Err(refused) => Err(ApiError::refused(
            permit_refusal(tr, &refused),
            permit_rule(&refused),
        )),
    }
}
