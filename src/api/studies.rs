//! An operator's own system records what its staff record on the request page (issue 21):
//! ORES electricity's servicing study and SWDE's survey, through the same services, under the
//! answer's version, with the same refusals and history events naming the key.

use axum::{body::Bytes, extract::State, http::HeaderMap, response::Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    assessments::{Field, adjust_error, part, require_own_writable_part, version_of},
    doc,
};
use crate::domain::AssessmentId;
use crate::{
    domain::{
        InputError,
        servicing::{ServicingStudy, StudyInput},
        survey::{HOLDER_ROWS, HolderInput, SurveyInput, WaterSurvey},
    },
    http::{
        error::ApiError,
        extract::{ApiIdPath, Staff},
    },
    i18n::Tr,
    operators::refusal::RefusalReason,
    services::assess::{self, AdjustError, SurveyConclusion},
    state::AppState,
};

/// ORES' study of a servicing, with the fields of the request page's study form.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(
    as = ServicingStudy,
    example = json!({"version": 1, "points_outside": 20, "exclusions": ["non_standard_cabin"], "text": "Réseau existant rue de la Citadelle"})
)]
pub struct StudyBody {
    /// The answer's version the study is made on (or `If-Match`); stale: 409.
    version: Option<i64>,
    /// V-9.2 PFext: existing supply points outside the land the new cabins also feed (0 when
    /// empty).
    #[schema(schema_with = doc::number_or_text)]
    points_outside: Field,
    /// V-9.2 S: the cabin plot or local as measured, m²; empty: the standard surface.
    #[schema(schema_with = doc::number_or_text)]
    cabin_surface_m2: Field,
    /// V-4.2: the surcharge of the applicant's special demands, € excl. VAT.
    #[schema(schema_with = doc::number_or_text)]
    surcharge: Field,
    /// V-4.1d: work outside the flat rate, quoted separately.
    #[schema(schema_with = doc::study_exclusions)]
    exclusions: Vec<String>,
    /// V-8.3: the lots after the applicant changed the project; empty keeps the request's.
    #[schema(schema_with = doc::number_or_text)]
    lots: Field,
    /// V-8.6: the land is under overhead lines (six more months of lead time).
    under_overhead_lines: bool,
    /// Why: the reason recorded with the new version (required, 2000 characters at most).
    text: String,
}

/// One upstream extension section financed by an earlier holder (B-10).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(as = SurveyHolder)]
pub struct HolderBody {
    /// The section's current holder.
    name: String,
    parcel: String,
    /// The section's cost, € incl. VAT.
    #[schema(schema_with = doc::number_or_text)]
    cost: Field,
    /// Months since the holder paid; may be left empty when `paid_on` is given.
    #[schema(schema_with = doc::number_or_text)]
    months: Field,
    /// The day the holder paid (`YYYY-MM-DD`): the months follow from it.
    paid_on: String,
}

/// SWDE's survey (B-5.1), with the fields of the request page's survey form.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(
    as = WaterSurvey,
    example = json!({"version": 1, "distance_to_main_m": 80, "inside_parcel_m": "1,5", "text": "Métré du 2 décembre"})
)]
pub struct SurveyBody {
    /// The answer's version the survey is made on (or `If-Match`); stale: 409.
    version: Option<i64>,
    /// From the nearest main to the parcel limit, m (B-4.2: beyond 50 m an extension).
    #[schema(schema_with = doc::number_or_text)]
    distance_to_main_m: Field,
    /// The route inside the parcel to the meter, m (B-5.1: 2 m at most); 0 when empty.
    #[schema(schema_with = doc::number_or_text)]
    inside_parcel_m: Field,
    /// The extension's length, m, when not the whole distance to the main.
    #[schema(schema_with = doc::number_or_text)]
    extension_m: Field,
    pressure_installation: bool,
    /// The survey concludes "not feasible" (B-5.1): the water part is refused in writing.
    not_feasible: bool,
    /// Upstream sections financed by earlier holders, oldest first (B-10), 3 at most.
    #[schema(max_items = 3)]
    holders: Vec<HolderBody>,
    /// Why: the reason recorded with the new version, or the written refusal when not
    /// feasible (required, 2000 characters at most).
    text: String,
}

/// The body field a form field's refusal names (`study_parcels` is the study's `lots`,
/// `survey_holder_2` the second of `holders`).
fn body_field(form_field: &str) -> String {
    if let Some(n) = form_field
        .strip_prefix("survey_holder_")
        .and_then(|n| n.parse::<usize>().ok())
    {
        return format!("holders[{}]", n.saturating_sub(1));
    }
    match form_field {
        "study_parcels" => "lots".to_owned(),
        other => other
            .strip_prefix("study_")
            .or_else(|| other.strip_prefix("survey_"))
            .unwrap_or(other)
            .to_owned(),
    }
}

/// Each refused field named by its body field, then the page's label and why, in the key
/// owner's language: `points_outside: Existing supply points … Give a number.`
fn invalid(
    tr: Tr,
    labels: &str,
    fields: &[(&'static str, InputError)],
    reason: Option<&InputError>,
) -> ApiError {
    let mut problems: Vec<String> = fields
        .iter()
        .map(|(field, error)| {
            format!(
                "{}: {} {}",
                body_field(field),
                tr.keyed(labels, field),
                tr.error(error)
            )
        })
        .collect();
    if let Some(error) = reason {
        problems.push(format!(
            "text: {} {}",
            tr.t("adjust.reason"),
            tr.error(error)
        ));
    }
    ApiError::Invalid(problems.join(" "))
}

/// The part, the caller's own, and the body: another organisation's part does not exist,
/// before any other refusal; a read key or a session does not write.
async fn own_writable<T: serde::de::DeserializeOwned>(
    state: &AppState,
    staff: &Staff,
    id: AssessmentId,
    body: &Bytes,
) -> Result<T, ApiError> {
    require_own_writable_part(state, &staff.user, id).await?;
    serde_json::from_slice(body).map_err(|error| ApiError::Invalid(format!("body: {error}")))
}

/// Records ORES electricity's servicing study through the page's service: the servicing lines
/// are priced again with it (V-9.2, V-4.2, V-4.1d, V-8.3, V-8.6), a new version, a history event
/// naming the key.
#[utoipa::path(
    post,
    path = "/assessments/{id}/study",
    operation_id = "recordServicingStudy",
    tag = "assessments",
    summary = "Records ORES electricity's servicing study through the request page's service: the servicing lines priced again, a new version and a history event naming the key",
    description = "Needs a read-write key. Only an electricity part that prices a servicing of land takes a study (otherwise 422, rule V-2.1). A field refused: 422 invalid naming it. A stale version: 409 stale, nothing changed.",
    params(
        ("id" = uuid::Uuid, Path, description = "The part"),
        doc::IdempotencyHeader,
        doc::IfMatchHeader,
    ),
    request_body(content = StudyBody, content_type = "application/json"),
    responses(doc::NewAnswerVersion),
    security(("session" = []), ("bearer" = []))
)]
pub async fn study(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<AssessmentId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: StudyBody = own_writable(&state, &staff, id, &body).await?;
    let tr = staff.tr;
    let version = version_of(tr, input.version, &headers)?;
    let points_outside = input.points_outside.text();
    let cabin_surface_m2 = input.cabin_surface_m2.text();
    let surcharge = input.surcharge.text();
    let lots = input.lots.text();
    let parsed = ServicingStudy::parse(&StudyInput {
        points_outside: &points_outside,
        cabin_surface_m2: &cabin_surface_m2,
        surcharge: &surcharge,
        exclusions: &input.exclusions,
        parcels: &lots,
        under_overhead_lines: input.under_overhead_lines,
    });
    let reason = crate::domain::error::required_text(&input.text, assess::REASON_MAX);
    let (study, reason) = match (parsed, reason) {
        (Ok(study), Ok(reason)) => (study, reason),
        (parsed, reason) => {
            return Err(invalid(
                tr,
                "study.field",
                &parsed.err().unwrap_or_default(),
                reason.err().as_ref(),
            ));
        }
    };
    let outcome = assess::record_study(
        &state,
        &staff.user,
        id,
        version,
        &study,
        &reason,
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(_) => part(&state, &staff.user, id).await,
        // A change of lots the project cannot take (V-2.1, V-4.1c), as the page names it.
        Err(AdjustError::Invalid(error)) => Err(invalid(
            tr,
            "study.field",
            &[("study_parcels", error)],
            None,
        )),
        Err(error) => Err(adjust_error(tr, error)),
    }
}

/// Records SWDE's survey through the page's service: the water part priced from the measured
/// route (B-4.2, B-11, B-10), or refused in writing when the survey concludes not feasible
/// (B-5.1, B-4.4); a new version, a history event naming the key.
#[utoipa::path(
    post,
    path = "/assessments/{id}/survey",
    operation_id = "recordWaterSurvey",
    tag = "assessments",
    summary = "Records SWDE's survey through the request page's service: the water part priced again from the measured route, or refused in writing when not feasible; a new version and a history event naming the key",
    description = "Needs a read-write key. Only the water part takes a survey (otherwise 422, rule B-5.1). A field refused: 422 invalid naming it. A route the rules refuse without not_feasible: 422 refused with the rules' reasons, nothing saved. A stale version: 409 stale, nothing changed.",
    params(
        ("id" = uuid::Uuid, Path, description = "The part"),
        doc::IdempotencyHeader,
        doc::IfMatchHeader,
    ),
    request_body(content = SurveyBody, content_type = "application/json"),
    responses(doc::NewAnswerVersion),
    security(("session" = []), ("bearer" = []))
)]
pub async fn survey(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<AssessmentId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: SurveyBody = own_writable(&state, &staff, id, &body).await?;
    let tr = staff.tr;
    let version = version_of(tr, input.version, &headers)?;
    if input.holders.len() > HOLDER_ROWS {
        return Err(ApiError::Invalid(format!(
            "holders: {HOLDER_ROWS} sections at most"
        )));
    }
    let distance = input.distance_to_main_m.text();
    let inside = input.inside_parcel_m.text();
    let extension = input.extension_m.text();
    let costs: Vec<(String, String)> = input
        .holders
        .iter()
        .map(|h| (h.cost.text(), h.months.text()))
        .collect();
    let holders = input
        .holders
        .iter()
        .zip(&costs)
        .map(|(h, (cost, months))| HolderInput {
            name: &h.name,
            parcel: &h.parcel,
            cost,
            months,
            paid_on: &h.paid_on,
        })
        .collect();
    let parsed = WaterSurvey::parse(&SurveyInput {
        distance_to_main_m: &distance,
        inside_parcel_m: &inside,
        extension_m: &extension,
        pressure_installation: input.pressure_installation,
        holders,
    });
    let reason = crate::domain::error::required_text(&input.text, assess::REASON_MAX);
    let (survey, reason) = match (parsed, reason) {
        (Ok(survey), Ok(reason)) => (survey, reason),
        (parsed, reason) => {
            return Err(invalid(
                tr,
                "survey.field",
                &parsed.err().unwrap_or_default(),
                reason.err().as_ref(),
            ));
        }
    };
    let conclusion = if input.not_feasible {
        SurveyConclusion::NotFeasible
    } else {
        SurveyConclusion::Feasible
    };
    let outcome = assess::record_survey(
        &state,
        &staff.user,
        id,
        version,
        &survey,
        conclusion,
        &reason,
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(_) => part(&state, &staff.user, id).await,
        // B-5.1: the route inside the parcel is the field the rules refuse; the refusal says
        // so, with the page's words and rules.
        Err(AdjustError::EngineRefused(refusals)) => {
            let inside = refusals.iter().any(|r| {
                matches!(&r.reason, RefusalReason::Keyed { key, .. }
                    if key == "tariff.refusal.water_inside_parcel")
            });
            let error = AdjustError::EngineRefused(refusals);
            let text = crate::http::refusal::adjust_refusal(tr, &error);
            let detail = if inside {
                format!("inside_parcel_m: {text}")
            } else {
                text
            };
            Err(ApiError::refused(
                detail,
                crate::http::refusal::adjust_rule(&error),
            ))
        }
        Err(AdjustError::Invalid(error)) => Err(invalid(tr, "survey.field", &[], Some(&error))),
        Err(error) => Err(adjust_error(tr, error)),
    }
}
