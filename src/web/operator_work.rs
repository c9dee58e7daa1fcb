//! An operator's to-do list and its crews' day sheet: what is due from it and by when, the
//! works of days already come to record as done, and the coming joint days with the address
//! and whom to meet.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State, routing::get};

use super::{
    error::PageError,
    extract::Staff,
    views::{Frame, ServiceNames},
};
use crate::{
    i18n::Tr,
    services::operator_work::{self, OperatorQueueRow, OperatorWork, SHEET_DAYS, SheetJob},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/operator/work", get(work_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/operator_work.html")]
struct WorkPage {
    tr: Tr,
    page: Frame,
    names: ServiceNames,
    work: OperatorWork,
    sheet_days: i64,
}

impl WorkPage {
    fn due(&self, row: &OperatorQueueRow) -> String {
        super::views::local_date_in(self.tr, row.due_at)
    }

    fn is_late(&self, row: &OperatorQueueRow) -> bool {
        self.work.is_late(row)
    }

    /// The coming jobs, one group per day, in day order.
    fn days(&self) -> Vec<(String, Vec<&SheetJob>)> {
        let mut days: Vec<(String, Vec<&SheetJob>)> = Vec::new();
        for job in &self.work.coming {
            let label = self.tr.weekday_date(job.day);
            match days.last_mut() {
                Some((day, jobs)) if *day == label => jobs.push(job),
                _ => days.push((label, vec![job])),
            }
        }
        days
    }
}

async fn work_page(State(state): State<AppState>, staff: Staff) -> Result<WorkPage, PageError> {
    let work = operator_work::work(&state, &staff.user, state.clock.now()).await?;
    Ok(WorkPage {
        tr: staff.tr,
        page: super::views::warned_frame(&state, &staff).await?,
        names: ServiceNames::load(&state, staff.tr).await?,
        work,
        sheet_days: SHEET_DAYS,
    })
}
