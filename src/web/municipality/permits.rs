//! One of the commune's permits: its site, works, history and deadline, and the decision.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{Municipality, PermitView, SiteView, permit_view, site_view};
use crate::domain::{PermitId, RequestId};
use crate::http::extract::IdPath;
use crate::{
    domain::permit::{Decision, PermitStatus},
    http::{error::PageError, extract::CsrfForm},
    i18n::Tr,
    services::{
        self,
        permits::{self as service, PermitError},
    },
    state::AppState,
    web::{
        backoffice::Notice,
        views::{Frame, ServiceNames},
    },
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/commune/permits/{id}", get(permit_page))
        .route("/commune/permits/{id}/decision", post(decide))
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/permit.html")]
struct PermitPage {
    tr: Tr,
    page: Frame,
    commune: String,
    reference: String,
    request_id: RequestId,
    site: String,
    permit: PermitView,
    details: SiteView,
    notice: Option<Notice>,
    /// The commune may still ask a question (none is pending).
    can_ask: bool,
}

async fn render_permit(
    state: &AppState,
    commune: Municipality,
    id: PermitId,
    notice: Option<Notice>,
) -> Result<PermitPage, PageError> {
    let tr = commune.tr;
    let file = services::commune::permit(state, &commune.user, id).await?;
    let names = ServiceNames::load(state, tr).await?;
    let view = permit_view(tr, &names, &file.record, state.clock.today());
    Ok(PermitPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        reference: file.reference,
        request_id: file.request_id,
        site: file.site,
        can_ask: file.record.permit.status == PermitStatus::Pending,
        permit: view,
        details: site_view(tr, &file.details),
        notice,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PermitQuery {
    saved: String,
}

async fn permit_page(
    State(state): State<AppState>,
    commune: Municipality,
    IdPath(id): IdPath<PermitId>,
    Query(query): Query<PermitQuery>,
) -> Result<PermitPage, PageError> {
    let notice = (!query.saved.is_empty()).then(|| Notice {
        error: false,
        text: commune.tr.t("permit.decision_saved").to_owned(),
    });
    render_permit(&state, commune, id, notice).await
}

async fn decide(
    State(state): State<AppState>,
    commune: Municipality,
    IdPath(id): IdPath<PermitId>,
    CsrfForm(form): CsrfForm<super::panel::TextForm>,
) -> Result<Response, PageError> {
    // 404 before anything else for another commune's permit.
    services::commune::check_own_permit(&state, &commune.user, id).await?;
    let outcome = match Decision::parse(&form.action, &form.text) {
        Ok(decision) => service::decide(&state, &commune.user, id, &decision, state.clock.now())
            .await
            .map(|_| ()),
        Err(error) => Err(PermitError::Decision(error)),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/commune/permits/{id}?saved=1")).into_response()),
        Err(PermitError::NotFound) => Err(PageError::NotFound),
        Err(PermitError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = crate::http::refusal::permit_refusal(commune.tr, &refused);
            let page =
                render_permit(&state, commune, id, Some(Notice { error: true, text })).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
