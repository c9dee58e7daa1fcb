//! An operator's own work: the requests that involve it, with its part only.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::domain::assessment::AssessmentStatus;
use crate::web::{
    error::PageError,
    extract::Staff,
    views::{Frame, ServiceNames, local_date_in},
};
use crate::{
    i18n::Tr,
    services::operator_work::{self, OperatorQueue, OperatorQueueRow},
    state::AppState,
};

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/operator_queue.html")]
pub(super) struct OperatorQueuePage {
    tr: Tr,
    page: Frame,
    status: String,
    names: ServiceNames,
    queue: OperatorQueue,
}

impl OperatorQueuePage {
    pub(super) fn day(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_date_in(self.tr, at)
    }

    pub(super) fn is_late(&self, row: &OperatorQueueRow) -> bool {
        self.queue.is_late(row)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OperatorQueueQuery {
    status: String,
}

/// An operator's own work: the requests that involve it, with its part only.
pub(super) async fn operator_queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<OperatorQueueQuery>,
) -> Result<OperatorQueuePage, PageError> {
    // An unknown status shows them all, as the filter's "all" does.
    let chosen = query.status.parse::<AssessmentStatus>().ok();
    let status = chosen.map(|s| s.code().to_owned()).unwrap_or_default();
    let queue = operator_work::queue(&state, &staff.user, chosen, state.clock.now()).await?;
    Ok(OperatorQueuePage {
        tr: staff.tr,
        page: crate::web::views::warned_frame(&state, &staff).await?,
        status,
        names: ServiceNames::load(&state, staff.tr).await?,
        queue,
    })
}
