//! An operator administrator's coverage: the communes its organisation serves (rule C-7:
//! coverage is data). Changes apply to requests filed from then on.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Staff},
    views::Frame,
};
use crate::{i18n::Tr, services::coverage, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/operator/coverage", get(page).post(change))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/coverage.html")]
struct CoveragePage {
    tr: Tr,
    page: Frame,
    communes: Vec<(String, String, String)>,
    notice: Option<Notice>,
    postcodes: String,
}

async fn render(
    state: &AppState,
    staff: Staff,
    notice: Option<Notice>,
    postcodes: String,
) -> Result<CoveragePage, PageError> {
    let mut communes: Vec<(String, String, String)> =
        coverage::communes(state, &staff.user.scope())
            .await?
            .into_iter()
            .map(|nis| match state.directory.commune_by_nis(&nis) {
                Some(c) => (c.name.clone(), nis, c.province.clone().unwrap_or_default()),
                None => (nis.clone(), nis, String::new()),
            })
            .collect();
    communes.sort();
    Ok(CoveragePage {
        tr: staff.tr,
        page: staff.frame,
        communes,
        notice,
        postcodes,
    })
}

async fn page(State(state): State<AppState>, staff: Staff) -> Result<CoveragePage, PageError> {
    staff.require_operator_admin()?;
    render(&state, staff, None, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CoverageForm {
    action: String,
    postcodes: String,
}

async fn change(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<CoverageForm>,
) -> Result<Response, PageError> {
    staff.require_operator_admin()?;
    let tr = staff.tr;
    let mut problems = Vec::new();
    let (communes, typed_problems) =
        super::views::communes_of_postcodes(&state.directory, tr, &form.postcodes);
    problems.extend(typed_problems);
    if communes.is_empty() && problems.is_empty() {
        problems.push(tr.t("crews.communes_required").to_owned());
    }
    if !matches!(form.action.as_str(), "add" | "remove") {
        problems.push(tr.t("adjust.unknown_action").to_owned());
    }
    if !problems.is_empty() {
        let notice = Notice {
            error: true,
            text: problems.join(" "),
        };
        let page = render(&state, staff, Some(notice), form.postcodes).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let scope = staff.user.scope();
    if form.action == "add" {
        coverage::add(&state, &scope, &communes).await?;
    } else {
        coverage::remove(&state, &scope, &communes).await?;
    }
    Ok(Redirect::to("/operator/coverage").into_response())
}
