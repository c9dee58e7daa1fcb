//! "Propose days for all": the case officer plans the whole waiting backlog at once, reviews
//! the proposal and reserves the days kept (rule C-4; fewer road openings, C-6).

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State, routing::get};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    backoffice::{day_label, schedule_refusal},
    error::PageError,
    extract::{CsrfForm, Staff},
    views::Frame,
};
use crate::domain::RequestId;
use crate::{
    i18n::Tr,
    scheduling::backlog::live::NotPlanned,
    services::{
        DbError, case_file,
        schedule::{self, ScheduleError},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/backoffice/plan", get(proposal).post(reserve_all))
}

pub struct LineView {
    pub request_id: RequestId,
    pub reference: String,
    pub commune: String,
    pub applicant: String,
    pub day: Option<(String, String)>,
    pub why_not: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/plan.html")]
struct PlanPage {
    tr: Tr,
    page: Frame,
    lines: Vec<LineView>,
    served: usize,
    openings: usize,
    /// After reserving: how many were reserved, and why the others were not.
    reserved: Option<usize>,
    refused: Vec<(String, String)>,
}

fn why_not(tr: Tr, why: NotPlanned) -> String {
    tr.keyed(
        "plan.not_planned",
        match why {
            NotPlanned::NoCommonWindow => "no_common_window",
            NotPlanned::OutsideHorizon => "outside_horizon",
            NotPlanned::NoCapacity => "no_capacity",
        },
    )
}

async fn render(
    state: &AppState,
    staff: Staff,
    reserved: Option<usize>,
    refused: Vec<(String, String)>,
) -> Result<PlanPage, PageError> {
    staff.require_coordinator()?;
    let tr = staff.tr;
    let proposal =
        match schedule::propose_for_all(state, &staff.user.scope(), state.clock.today()).await {
            Ok(proposal) => proposal,
            Err(ScheduleError::Db(error)) => return Err(error.into()),
            Err(other) => return Err(PageError::BadRequest(other.to_string())),
        };
    Ok(PlanPage {
        lines: proposal
            .lines
            .into_iter()
            .map(|line| LineView {
                day: line.day.map(|d| (d.to_string(), day_label(d))),
                why_not: line.not_planned.map(|w| why_not(tr, w)),
                request_id: line.request.id,
                reference: line.request.reference,
                commune: line.request.commune_name,
                applicant: line.request.applicant_name,
            })
            .collect(),
        served: proposal.served,
        openings: proposal.openings,
        reserved,
        refused,
        tr,
        page: staff.frame,
    })
}

async fn proposal(State(state): State<AppState>, staff: Staff) -> Result<PlanPage, PageError> {
    render(&state, staff, None, Vec::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReserveForm {
    /// `request id|YYYY-MM-DD`, one per proposal the officer kept.
    pick: Vec<String>,
}

/// Reserves each kept proposal through the same all-or-nothing reservation as one request;
/// a day taken meanwhile is reported with the next possible days, the others still go through.
async fn reserve_all(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<ReserveForm>,
) -> Result<PlanPage, PageError> {
    staff.require_coordinator()?;
    let mut reserved = 0;
    let mut refused = Vec::new();
    for pick in &form.pick {
        let Some((id, day)) = pick.split_once('|') else {
            continue;
        };
        let (Ok(id), Ok(day)) = (
            id.parse::<RequestId>(),
            NaiveDate::parse_from_str(day, "%Y-%m-%d"),
        ) else {
            continue;
        };
        let request = match case_file::coordinated_request(&state, &staff.user, id).await {
            Ok(request) => request,
            Err(DbError::NotFound) => continue,
            Err(other) => return Err(other.into()),
        };
        match schedule::reserve(
            &state,
            schedule::Actor::Staff(&staff.user),
            &request,
            day,
            state.clock.now(),
        )
        .await
        {
            Ok(_) => reserved += 1,
            Err(ScheduleError::Db(error)) => return Err(error.into()),
            Err(other) => refused.push((request.reference, schedule_refusal(staff.tr, &other))),
        }
    }
    render(&state, staff, Some(reserved), refused).await
}
