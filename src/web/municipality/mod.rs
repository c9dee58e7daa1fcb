//! The commune's portal (rule C-6): joint road-works permits to decide with their deadline,
//! the works calendar and map, and the nuisance avoided, with a CSV for the council. A
//! municipality user sees its own commune only: another commune's permit, works or figures
//! answer 404. The case officer's side of the permit (site details, answer, acknowledgement)
//! and the figures across communes for the coordinator live here too, one file per audience:
//! `dashboard` and `permits` for the commune, `works` for its calendar and map, `figures` for
//! the commune and the coordinator, `panel` for the case officer, `assets` for the map's
//! vendored script and styles. Every read and write goes through `services`.

pub mod assets;
pub mod dashboard;
pub mod figures;
pub mod panel;
pub mod permits;
pub mod works;

use axum::{Router, extract::FromRequestParts, http::request::Parts};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    error::PageError,
    extract::{Staff, StaffRejection},
    views::{Frame, ServiceNames, local_date_in, local_datetime_in},
};
use crate::domain::PermitId;
use crate::{
    domain::{
        permit::{self as rules, PermitStatus, SiteDetails, shared_trench_metres},
        tenancy::SessionUser,
    },
    i18n::Tr,
    services::commune::{self, PermitRecord},
    state::AppState,
};

pub use figures::{chart, excel_csv, figures_csv};
pub use panel::{PermitPanel, permit_panel};
pub use works::tile_origin;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(permits::router())
        .merge(works::router())
        .merge(figures::router())
        .merge(panel::router())
        .merge(assets::router())
}

/// A signed-in user of a municipality, with its commune. Anybody else: 404 (these pages hold
/// a commune's data).
pub struct Municipality {
    pub tr: Tr,
    pub frame: Frame,
    pub user: SessionUser,
    pub nis: String,
    pub name: String,
}

impl Municipality {
    pub fn commune(&self) -> commune::Commune {
        commune::Commune {
            nis: self.nis.clone(),
            name: self.name.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Municipality {
    type Rejection = StaffRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        let Some(commune) = commune::own_commune(state, &staff.user)
            .await
            .map_err(|e| StaffRejection::Page(e.into()))?
        else {
            return Err(StaffRejection::Page(PageError::NotFound));
        };
        Ok(Municipality {
            tr: staff.tr,
            frame: staff.frame,
            user: staff.user,
            nis: commune.nis,
            name: commune.name,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Display helpers shared by the commune's pages and the case officer's panel

/// "12 jours restants", "dernier jour", "délai dépassé de 3 jours".
pub fn countdown(tr: Tr, deadline: &rules::Deadline) -> String {
    let days = deadline.days_left.abs().to_string();
    if deadline.overdue {
        tr.f("permit.overdue_by", [("days", days.as_str())])
    } else if deadline.days_left == 0 {
        tr.t("permit.last_day").to_owned()
    } else if deadline.days_left == 1 {
        tr.t("permit.one_day_left").to_owned()
    } else if deadline.days_left > 0 {
        tr.f("permit.days_left", [("days", days.as_str())])
    } else {
        String::new()
    }
}

pub(super) fn metres(value: Decimal) -> String {
    let text = value.round_dp(1).normalize().to_string();
    format!("{} m", text.replace('.', ","))
}

/// One operator's works under a permit.
pub struct WorkLine {
    pub operator: String,
    pub service: String,
    pub civil_works: bool,
    pub trench: String,
}

/// A permit as its pages show it.
pub struct PermitView {
    pub id: PermitId,
    pub status_code: String,
    pub status: String,
    pub day: String,
    pub requested: String,
    pub due: String,
    pub countdown: String,
    pub overdue: bool,
    pub awaiting_commune: bool,
    /// The conditions, the question or the refusal's reason, with its label.
    pub decision_label: String,
    pub decision_text: Option<String>,
    pub decided: Option<String>,
    pub conditions_acknowledged: bool,
    pub works: Vec<WorkLine>,
    pub shared_trench: String,
    pub history: Vec<HistoryLine>,
}

pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub who: String,
    pub text: Option<String>,
}

pub(super) fn permit_view(
    tr: Tr,
    names: &ServiceNames,
    record: &PermitRecord,
    today: NaiveDate,
) -> PermitView {
    let permit = &record.permit;
    let deadline = rules::deadline(permit.due_on, permit.status, today);
    let lengths: Vec<Decimal> = record.works.iter().map(|w| w.trench_metres).collect();
    let works = record
        .works
        .iter()
        .map(|w| WorkLine {
            operator: w.operator_name.clone().unwrap_or_default(),
            service: names.name(&w.service),
            civil_works: w.civil_works != 0,
            trench: metres(w.trench_metres),
        })
        .collect();
    let history = record
        .history
        .iter()
        .map(|action| HistoryLine {
            at: local_datetime_in(tr, action.at),
            action: tr.keyed("permit.action", &action.action),
            who: action
                .actor_name
                .clone()
                .unwrap_or_else(|| tr.t("request.actor.system").to_owned()),
            text: action.text.clone(),
        })
        .collect();
    let awaiting = permit.status.awaiting_commune();
    PermitView {
        id: permit.id,
        status_code: permit.status.to_string(),
        status: tr.keyed("permit.status", permit.status),
        day: local_date_in(tr, permit.day),
        requested: local_datetime_in(tr, permit.requested_at),
        due: local_date_in(tr, permit.due_on),
        countdown: if awaiting {
            countdown(tr, &deadline)
        } else {
            String::new()
        },
        overdue: deadline.overdue,
        awaiting_commune: awaiting,
        decision_label: tr.keyed("permit.decision_text", permit.status),
        decision_text: permit.decision_text.clone().filter(|_| {
            matches!(
                permit.status,
                PermitStatus::ApprovedWithConditions
                    | PermitStatus::InformationRequested
                    | PermitStatus::Refused
            )
        }),
        decided: permit.decided_at.map(|at| local_datetime_in(tr, at)),
        conditions_acknowledged: permit.conditions_acknowledged_at.is_some(),
        works,
        shared_trench: metres(shared_trench_metres(&lengths)),
        history,
    }
}

/// The site's road works as stated by the case officer (or the defaults), for display.
pub struct SiteView {
    pub road_type_code: String,
    pub road_type: String,
    pub sleeve_depth: String,
    pub sidewalk_openings: u32,
    pub road_openings: u32,
    pub traffic_measures: String,
    pub site_point: String,
}

pub(super) fn site_view(tr: Tr, details: &SiteDetails) -> SiteView {
    let depth = Decimal::from(details.road_type.sleeve_depth_cm()) / Decimal::from(100);
    SiteView {
        road_type_code: details.road_type.code().to_owned(),
        road_type: tr.keyed("permit.road_type", details.road_type.code()),
        sleeve_depth: tr.f(
            "permit.sleeve_depth",
            [("depth", format!("{:.2}", depth).replace('.', ",").as_str())],
        ),
        sidewalk_openings: details.sidewalk_openings,
        road_openings: details.road_openings,
        traffic_measures: details.traffic_measures.clone().unwrap_or_default(),
        site_point: details
            .site_point
            .map(|p| p.to_string())
            .unwrap_or_default(),
    }
}
