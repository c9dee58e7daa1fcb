//! The case officer's side of the permit, on the request page: the site's road works, the
//! permit's status and what blocks the day, the answer to the commune's question and the
//! acknowledgement of its conditions.

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use serde::Deserialize;

use super::{PermitView, SiteView, permit_view, site_view};
use crate::domain::RequestId;
use crate::domain::tenancy::OrganisationKind;
use crate::http::extract::IdPath;
use crate::web::backoffice::coordinator_request;
use crate::{
    domain::{
        permit::{PermitStatus, SiteDetails, SiteInput},
        tenancy::SessionUser,
    },
    http::{
        error::PageError,
        extract::{CsrfForm, Staff},
    },
    i18n::Tr,
    services::{
        self, DbError,
        commune::RequestRow,
        permits::{self as service, PermitError},
    },
    state::AppState,
    web::views::ServiceNames,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/requests/{id}/permit/site", post(save_site))
        .route("/backoffice/requests/{id}/permit/answer", post(answer))
        .route(
            "/backoffice/requests/{id}/permit/acknowledge",
            post(acknowledge),
        )
}

/// The permit block of the request page: the site's road works (editable by the case
/// officer), the permit's status, what blocks the confirmation of the day, and the answer
/// or acknowledgement the commune is waiting for.
pub struct PermitPanel {
    pub can_edit: bool,
    pub is_municipality: bool,
    pub site: SiteView,
    pub permit: Option<PermitView>,
    pub blocker: Option<String>,
    pub needs_answer: bool,
    pub needs_acknowledgement: bool,
    pub problems: Vec<(String, String)>,
}

impl PermitPanel {
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, text)| text.as_str())
    }
}

pub async fn permit_panel(
    state: &AppState,
    tr: Tr,
    user: &SessionUser,
    request: &RequestRow,
) -> Result<Option<PermitPanel>, DbError> {
    let Some(data) = services::commune::permit_panel(state, user, request).await? else {
        return Ok(None);
    };
    let names = ServiceNames::load(state, tr).await?;
    let coordinator = data.coordinator;
    let status = data.current.as_ref().map(|record| record.permit.status);
    let acknowledged = data
        .current
        .as_ref()
        .is_some_and(|record| record.permit.conditions_acknowledged_at.is_some());
    Ok(Some(PermitPanel {
        can_edit: coordinator,
        is_municipality: user.organisation_kind == OrganisationKind::Municipality,
        site: site_view(tr, &data.details),
        needs_answer: coordinator && status == Some(PermitStatus::InformationRequested),
        needs_acknowledgement: coordinator
            && status == Some(PermitStatus::ApprovedWithConditions)
            && !acknowledged,
        permit: data
            .current
            .as_ref()
            .map(|record| permit_view(tr, &names, record, state.clock.today())),
        blocker: data.blocker.map(|key| tr.t(&key).to_owned()),
        problems: Vec::new(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SiteForm {
    road_type: String,
    sidewalk_openings: String,
    road_openings: String,
    traffic_measures: String,
    site_point: String,
}

async fn save_site(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<SiteForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    let tr = staff.tr;
    let parsed = SiteDetails::parse(&SiteInput {
        road_type: &form.road_type,
        sidewalk_openings: &form.sidewalk_openings,
        road_openings: &form.road_openings,
        traffic_measures: &form.traffic_measures,
        site_point: &form.site_point,
    });
    let details = match parsed {
        Ok(details) => details,
        Err(problems) => {
            let problems = problems
                .into_iter()
                .map(|(field, problem)| {
                    (
                        field.to_owned(),
                        tr.keyed("permit.site_error", problem.code()),
                    )
                })
                .collect();
            let text = tr.t("permit.site_refused").to_owned();
            return crate::web::backoffice::refused_on_detail_with(
                &state, staff, id, text, problems,
            )
            .await;
        }
    };
    match service::save_site(&state, &staff.user, &request, &details, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = crate::http::refusal::permit_refusal(tr, &refused);
            crate::web::backoffice::refused_on_detail_with(&state, staff, id, text, Vec::new())
                .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TextForm {
    pub(super) text: String,
    pub(super) action: String,
}

async fn answer(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    match service::answer(&state, &staff.user, &request, &form.text, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = crate::http::refusal::permit_refusal(staff.tr, &refused);
            crate::web::backoffice::refused_on_detail_with(&state, staff, id, text, Vec::new())
                .await
        }
    }
}

async fn acknowledge(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(_form): CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    match service::acknowledge(&state, &staff.user, &request, state.clock.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1#permit")).into_response())
        }
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(refused) => {
            let text = crate::http::refusal::permit_refusal(staff.tr, &refused);
            crate::web::backoffice::refused_on_detail_with(&state, staff, id, text, Vec::new())
                .await
        }
    }
}
