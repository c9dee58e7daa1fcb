//! The commune's dashboard: the permits to decide with their countdown, the latest decided,
//! and this year's nuisance avoided.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State, routing::get};
use chrono::{Datelike, NaiveDate};

use super::{Municipality, countdown, figures::FiguresLine};
use crate::domain::{PermitId, RequestId};
use crate::{
    http::error::PageError,
    i18n::Tr,
    services::{self, commune::PermitListRow},
    state::AppState,
    web::views::{Frame, local_date_in},
};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/commune", get(dashboard))
}

/// One permit of a list, every label already translated.
pub struct PermitLine {
    pub id: PermitId,
    pub request_id: RequestId,
    pub reference: String,
    pub site: String,
    pub day: String,
    pub requested: String,
    pub due: String,
    pub countdown: String,
    pub overdue: bool,
    pub status: String,
    pub decided: String,
}

fn permit_line(tr: Tr, row: &PermitListRow, today: NaiveDate) -> PermitLine {
    let deadline = crate::domain::permit::deadline(row.due_on, row.status, today);
    let mut site = Vec::new();
    if let (Some(street), Some(number)) = (&row.street, &row.house_number) {
        site.push(format!("{street} {number}"));
    }
    site.push(format!("{} {}", row.postcode, row.commune_name));
    if let Some(parcel) = &row.parcel_ref {
        site.push(parcel.clone());
    }
    PermitLine {
        id: row.id,
        request_id: row.request_id,
        reference: row.reference.clone(),
        site: site.join(", "),
        day: local_date_in(tr, row.day),
        requested: local_date_in(tr, row.requested_at),
        due: local_date_in(tr, row.due_on),
        countdown: if row.status.awaiting_commune() {
            countdown(tr, &deadline)
        } else {
            String::new()
        },
        overdue: deadline.overdue,
        status: tr.keyed("permit.status", row.status),
        decided: row
            .decided_at
            .map(|at| local_date_in(tr, at))
            .unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/dashboard.html")]
struct DashboardPage {
    tr: Tr,
    page: Frame,
    commune: String,
    to_decide: Vec<PermitLine>,
    decided: Vec<PermitLine>,
    year: i32,
    figures: FiguresLine,
    this_month: String,
}

async fn dashboard(
    State(state): State<AppState>,
    commune: Municipality,
) -> Result<DashboardPage, PageError> {
    let tr = commune.tr;
    let today = state.clock.today();
    let board =
        services::commune::dashboard(&state, &commune.user, &commune.commune(), today).await?;
    Ok(DashboardPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        to_decide: board
            .to_decide
            .iter()
            .map(|row| permit_line(tr, row, today))
            .collect(),
        decided: board
            .decided
            .iter()
            .map(|row| permit_line(tr, row, today))
            .collect(),
        year: today.year(),
        figures: FiguresLine::of(&board.figures.total),
        this_month: today.format("%Y-%m").to_string(),
    })
}
