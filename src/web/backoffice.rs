//! The staff queue and request pages. Every read goes through the signed-in user's scope:
//! a request that does not involve their organisation does not exist for them.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    routing::get,
};
use serde::Deserialize;

use super::{
    error::PageError,
    extract::Staff,
    views::{Frame, local_date, local_datetime, site_line},
};
use crate::{
    app::AppState,
    db::{
        DbError,
        requests::{self, EventRow, QueueFilter, RequestRow},
    },
    domain::{ElectricityBand, RequestState, Service},
    i18n::Tr,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice", get(queue))
        .route("/backoffice/requests/{id}", get(detail))
}

/// Queue filters as typed in the query string; empty means "any".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub state: String,
    pub commune: String,
    pub from: String,
    pub to: String,
}

impl QueueQuery {
    /// Unknown states and malformed dates are ignored rather than refused: the queue shows
    /// everything and the form shows what was applied.
    pub fn filter(&self) -> QueueFilter {
        let date = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        QueueFilter {
            state: self
                .state
                .parse::<RequestState>()
                .ok()
                .map(|s| s.code().to_owned()),
            commune_nis: Some(self.commune.trim().to_owned()).filter(|c| !c.is_empty()),
            submitted_from: date(&self.from),
            submitted_to: date(&self.to),
        }
    }
}

pub const QUEUE_LIMIT: i64 = 500;

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/queue.html")]
struct QueuePage {
    tr: Tr,
    page: Frame,
    query: QueueQuery,
    rows: Vec<RequestRow>,
    counts: Vec<(String, i64)>,
    communes: Vec<(String, String)>,
    states: Vec<&'static str>,
}

impl QueuePage {
    fn day(&self, stored: &str) -> String {
        local_date(stored)
    }

    fn site(&self, row: &RequestRow) -> String {
        site_line(row)
    }
}

async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<QueuePage, PageError> {
    let scope = staff.user.scope();
    let rows = requests::queue(&state.db, &scope, &query.filter(), QUEUE_LIMIT).await?;
    let counts = requests::state_counts(&state.db, &scope).await?;
    let communes = requests::queue_communes(&state.db, &scope).await?;
    Ok(QueuePage {
        tr: staff.tr,
        page: staff.frame,
        query,
        rows,
        counts,
        communes,
        states: RequestState::ALL.iter().map(|s| s.code()).collect(),
    })
}

/// Each requested connection with its label, details and the operator serving it.
pub async fn service_labels(
    state: &AppState,
    tr: Tr,
    request: &RequestRow,
) -> Result<Vec<String>, DbError> {
    let mut rows = requests::services(&state.db, &request.id).await?;
    rows.sort_by_key(|row| {
        Service::ALL
            .iter()
            .position(|s| s.code() == row.service)
            .unwrap_or(usize::MAX)
    });
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut label = tr.service(&row.service);
            if row.service == "electricity"
                && let Some(band) = request
                    .electricity_band
                    .as_deref()
                    .and_then(|b| ElectricityBand::parse(b).ok())
            {
                label = format!("{label} — {}", band.label());
            }
            match row.operator_name {
                Some(operator) => format!("{label} ({operator})"),
                None => format!("{label} ({})", tr.t("request.no_operator")),
            }
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/request.html")]
struct DetailPage {
    tr: Tr,
    page: Frame,
    request: RequestRow,
    site: String,
    services: Vec<String>,
    events: Vec<EventRow>,
}

impl DetailPage {
    fn when(&self, stored: &str) -> String {
        local_datetime(stored)
    }

    fn day(&self, stored: &str) -> String {
        local_date(stored)
    }
}

async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<DetailPage, PageError> {
    let request = requests::get_for(&state.db, &staff.user.scope(), &id).await?;
    let events = requests::events(&state.db, &request.id, false).await?;
    let services = service_labels(&state, staff.tr, &request).await?;
    Ok(DetailPage {
        tr: staff.tr,
        page: staff.frame,
        site: site_line(&request),
        services,
        request,
        events,
    })
}
