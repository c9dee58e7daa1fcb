//! The staff queue and request pages. Every read goes through the signed-in user's scope:
//! a request that does not involve their organisation does not exist for them.

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

use super::{
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, ServiceNames, local_date_in, local_datetime_in, site_line},
};
use crate::domain::{RequestId, UserId};
use crate::http::{extract::IdPath, kept_page};
use crate::{
    domain::{RequestState, Service},
    http::query::QueueQuery,
    i18n::Tr,
    services::{
        case_file::{self, Event, RequestRow, ServiceLine},
        queue,
    },
    state::AppState,
};

mod answers;
mod joint_day;
mod operator_queue;

use answers::{AssessmentView, adjust, assessment_views};
use joint_day::{JointDayView, cancel_day, joint_day_view, reserve_day, works_done};
pub use joint_day::{day_label, schedule_refusal};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice", get(queue))
        .route("/backoffice/requests/{id}", get(detail))
        .route("/operator", get(operator_queue::operator_queue))
        .route("/operator/assessments/{id}", post(adjust))
        .route("/operator/assessments/{id}/done", post(works_done))
        .route("/backoffice/requests/{id}/day", post(reserve_day))
        .route("/backoffice/requests/{id}/assign", post(assign))
        .route("/backoffice/requests/{id}/day/cancel", post(cancel_day))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/queue.html")]
struct QueuePage {
    tr: Tr,
    page: Frame,
    query: QueueQuery,
    queue: queue::QueuePage,
    states: Vec<&'static str>,
}

impl QueuePage {
    fn day(&self, row: &queue::QueueRow) -> String {
        local_date_in(self.tr, row.submitted_at)
    }

    /// Why the request's permit needs the case officer (a question, conditions, a refusal).
    fn permit_flag(&self, row: &queue::QueueRow) -> Option<String> {
        row.permit_flag
            .as_deref()
            .map(|status| self.tr.keyed("permit.queue_flag", status))
    }

    /// The same queue at another page, filters and order kept.
    fn page_href(&self, page: u32) -> String {
        format!("/backoffice?{}", self.query.page_link(page))
    }

    /// The same filters in another order, from the first page.
    fn order_href(&self, order: &str) -> String {
        let query = QueueQuery {
            order: order.to_owned(),
            ..self.query.clone()
        };
        format!("/backoffice?{}", query.page_link(1))
    }

    fn first_line(&self) -> u64 {
        self.queue.paging.offset() + 1
    }

    fn last_line(&self) -> u64 {
        self.queue.paging.offset() + self.queue.rows.len() as u64
    }
}

async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<QueuePage, PageError> {
    let queue = queue::page(
        &state,
        &staff.user,
        &query.filter(
            staff.user.user_id,
            crate::domain::tenancy::StateFilter::Open,
        ),
        query.order(),
        query.paging(),
    )
    .await?;
    Ok(QueuePage {
        tr: staff.tr,
        page: super::views::warned_frame(&state, &staff).await?,
        query,
        queue,
        states: RequestState::ALL.iter().map(|s| s.code()).collect(),
    })
}

/// Each requested connection with its label, details and the operator serving it.
pub fn service_labels(
    tr: Tr,
    names: &ServiceNames,
    request: &RequestRow,
    services: &[ServiceLine],
) -> Vec<String> {
    let mut rows: Vec<&ServiceLine> = services.iter().collect();
    rows.sort_by_key(|row| {
        Service::ALL
            .iter()
            .position(|s| s.code() == row.service)
            .unwrap_or(usize::MAX)
    });
    rows.into_iter()
        .map(|row| {
            let mut label = names.name(&row.service);
            if row.service == "electricity"
                && let Some(band) = request.electricity_band
            {
                label = format!("{label} — {}", tr.band(band));
            }
            match &row.operator {
                // "Eau (SWDE)" already names its operator: never "Eau (SWDE) (SWDE)".
                Some(operator) if label.contains(operator.as_str()) => label,
                Some(operator) => format!("{label} ({operator})"),
                // Said in writing with its rule, as in the confirmation mail (journey 6).
                None => format!(
                    "{label} — {}",
                    tr.f(
                        "request.no_operator",
                        [("commune", request.commune_name.as_str())]
                    )
                ),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/request.html")]
pub(super) struct DetailPage<'a> {
    tr: Tr,
    page: Frame,
    request: &'a RequestRow,
    site: String,
    /// New build or existing home, what is asked of existing connections, the VAT position.
    home: Vec<(String, String)>,
    services: Vec<String>,
    assessments: Vec<AssessmentView>,
    events: &'a [Event],
    names: ServiceNames,
    /// For the case officer: the reserved day, or the candidates and why earlier days fail.
    joint_day: Option<JointDayView>,
    /// The outcome of the change just made, or why it was refused.
    notice: Option<Notice>,
    /// The joint road-works permit (rule C-6): site details, status, what blocks the day.
    permit: Option<super::municipality::PermitPanel>,
    /// For the case officer: the consolidated offer, its versions and payments.
    offer: Option<super::offers::OfferPanel>,
    /// For the case officer: the dossier-opening fee invoiced at filing (V-3.1).
    dossier_fee: Option<super::dossier_fee::DossierFeePanel>,
    /// The officer may record the dossier fee's payment (this page is the case officer's).
    can_record_dossier_fee: bool,
    /// For the case officer: who is in charge, and to whom it can be handed.
    officers: &'a [(UserId, String)],
    /// The documents the reader may open; for the case officer, the completeness checklist.
    pub(super) docs: Option<super::documents::OfficePanel>,
    /// Today in Brussels (`2026-12-02`): no payment is dated later (the date fields' `max`).
    today: String,
}

/// A request of the signed-in case officer's own coordinator: the joint day is theirs to set
/// (C-2); for anybody else the request does not exist here.
pub(in crate::web) async fn coordinator_request(
    state: &AppState,
    staff: &Staff,
    id: RequestId,
) -> Result<RequestRow, PageError> {
    Ok(case_file::coordinated_request(state, &staff.user, id).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AssignForm {
    /// The officer to put in charge; empty: the signed-in one takes it.
    officer: String,
    /// Where to go back: the queue or the request page.
    back: String,
}

/// A case officer takes a request, or hands it to a colleague; the timeline says who and when.
async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    // Text that is no id names no officer of the coordinator, as an unknown id does.
    let officer = match form.officer.trim() {
        "" => Some(staff.user.user_id),
        other => other.parse::<UserId>().ok(),
    };
    let request_id = request.id;
    let now = state.clock.now();
    let outcome = match officer {
        Some(officer) => {
            crate::services::assignment::assign(&state, &staff.user, request_id, officer, now).await
        }
        None => Err(crate::services::assignment::AssignError::Refused),
    };
    match outcome {
        Ok(_) => {}
        Err(crate::services::assignment::AssignError::Refused) => {
            let text = staff.tr.t("queue.assign_refused").to_owned();
            return refused_on_detail(&state, staff, id, text).await;
        }
        Err(crate::services::assignment::AssignError::Db(error)) => return Err(error.into()),
    }
    if form.back == "queue" {
        return Ok(Redirect::to("/backoffice?assigned=me").into_response());
    }
    Ok(Redirect::to(&format!("/backoffice/requests/{id}?saved=1")).into_response())
}

pub struct Notice {
    pub error: bool,
    pub text: String,
}

impl DetailPage<'_> {
    /// The rules staff may name when refusing a part (B-4.4 first, the default).
    fn refusal_rules(&self) -> [&'static str; 8] {
        crate::operators::refusal::STAFF_RULES
    }

    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    fn day(&self, day: &chrono::NaiveDate) -> String {
        local_date_in(self.tr, day)
    }

    /// A part priced once a book covered it: `service books` as "Électricité (ORES) — book".
    /// A timeline event's detail in the reader's words.
    fn detail(&self, kind: &str, detail: &str) -> String {
        super::views::event_detail(self.tr, &self.names, kind, detail)
    }

    fn priced_with(&self, detail: &str) -> String {
        match detail.split_once(' ') {
            Some((service, books)) => format!("{} — {books}", self.names.name(service)),
            None => detail.to_owned(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DetailQuery {
    saved: String,
    /// An action of the offer section just done (`offer_sent`, `accepted`, `payment`,
    /// `day_confirmed`): the confirmation reads its facts back from the request.
    done: String,
    /// With `payment`: the due the payment was recorded against.
    due: String,
    /// An action of the documents section just done (`asked`, `complete`).
    documents: String,
}

async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    if kept_page::plain(&staff.frame) {
        return kept_detail(&state, staff, id).await;
    }
    let notice = (!query.saved.is_empty()).then(|| Notice {
        error: false,
        text: staff.tr.t("assessment.saved").to_owned(),
    });
    let done = super::documents::done_notice(staff.tr, &query.documents);
    let offer_done = (!query.done.is_empty()).then_some((query.done.as_str(), query.due.as_str()));
    render_detail_done(
        &state,
        staff,
        id,
        notice,
        offer_done,
        StatusCode::OK,
        |page| {
            if let Some(panel) = page.docs.as_mut() {
                panel.notice = done;
            }
        },
    )
    .await
}

/// The request page again, with why the change just asked for was refused (nothing changed).
pub(super) async fn refused_on_detail(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    text: String,
) -> Result<Response, PageError> {
    refused_on_detail_with(state, staff, id, text, Vec::new()).await
}

/// The same, with the permit form's refused fields: (field, why).
pub(super) async fn refused_on_detail_with(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    text: String,
    permit_problems: Vec<(String, String)>,
) -> Result<Response, PageError> {
    render_detail(
        state,
        staff,
        id,
        Some(Notice { error: true, text }),
        StatusCode::UNPROCESSABLE_ENTITY,
        |page| {
            if let Some(panel) = page.permit.as_mut() {
                panel.problems = permit_problems;
            }
        },
    )
    .await
}

/// The request page with `notice`, answered with `status`, after `adjust` (a refused form as
/// typed, a section's own notice). The page borrows the case file it renders.
pub(super) async fn render_detail(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    notice: Option<Notice>,
    status: StatusCode,
    adjust: impl FnOnce(&mut DetailPage<'_>),
) -> Result<Response, PageError> {
    render_detail_done(state, staff, id, notice, None, status, adjust).await
}

/// The request page; `done`: the offer action just done and the due it concerns, said with
/// its facts when no other notice is given.
async fn render_detail_done(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    notice: Option<Notice>,
    done: Option<(&str, &str)>,
    status: StatusCode,
    adjust: impl FnOnce(&mut DetailPage<'_>),
) -> Result<Response, PageError> {
    let file = case_file::for_staff(state, &staff.user, id)
        .await
        .map_err(super::public::case_file_error)?;
    let mut page = detail_page(
        state,
        staff.tr,
        staff.frame,
        &staff.user,
        &file,
        notice,
        done,
    )
    .await?;
    adjust(&mut page);
    Ok((status, page).into_response())
}

/// The request page as its reader sees it before acting (no notice, nothing just done):
/// rendered once per reader and kept case file, each answer with the reader's own form token.
async fn kept_detail(state: &AppState, staff: Staff, id: RequestId) -> Result<Response, PageError> {
    let file = case_file::for_staff(state, &staff.user, id)
        .await
        .map_err(super::public::case_file_error)?;
    // Everything the page shows besides the kept file: the reader (the frame names them, the
    // actions follow their role), their language, and what the VAT facts read beside the file
    // (the rest of them follows from the file's request).
    // The reader's id in clear: two readers' pages never share a key, whatever the digest.
    let key = format!(
        "officer request page {id} {} {:x}",
        staff.user.user_id,
        kept_page::digest((
            &staff.user,
            staff.tr.0,
            file.facts.read_beside_the_request()
        ))
    );
    let Staff { tr, frame, user } = staff;
    let (reader, frame) = kept_page::reader_of(frame);
    kept_page::serve(state, key, file.view(), &reader, async {
        let page = detail_page(state, tr, frame, &user, &file, None, None).await?;
        Ok::<_, PageError>(page.render()?)
    })
    .await
}

/// The request page's view of `file` for `user`, with `notice`, before its rendering.
async fn detail_page<'a>(
    state: &AppState,
    tr: Tr,
    frame: Frame,
    user: &crate::domain::tenancy::SessionUser,
    file: &'a case_file::StaffFile,
    notice: Option<Notice>,
    done: Option<(&str, &str)>,
) -> Result<DetailPage<'a>, PageError> {
    let notice = match (notice, done) {
        (Some(notice), _) => Some(notice),
        (None, Some((done, due))) => super::offers::done_notice(state, tr, file, done, due)
            .await?
            .map(|text| Notice { error: false, text }),
        (None, None) => None,
    };
    let names = ServiceNames::of(tr, &file.partner_labels);
    let services = service_labels(tr, &names, &file.request, &file.services);
    let assessments = assessment_views(tr, &names, file);
    let joint_day = joint_day_view(tr, file, state.clock.today(), &names);
    let permit = super::municipality::permit_panel(state, tr, user, &file.request).await?;
    let offer = file.offer.as_ref().map(|offer| {
        super::offers::offer_panel(
            tr,
            offer,
            format!("/backoffice/requests/{}/offers", file.request.id),
            Some(&file.request.applicant_name),
        )
    });
    let docs = super::documents::OfficePanel::of(tr, user, file, state.config.upload_max_bytes);
    let dossier_fee = file
        .dossier_invoice
        .as_ref()
        .map(|invoice| super::dossier_fee::DossierFeePanel::of(tr, invoice, state.clock.today()));
    let page = DetailPage {
        can_record_dossier_fee: file.coordinator,
        dossier_fee,
        offer,
        officers: &file.officers,
        tr,
        page: frame,
        site: site_line(&file.request),
        home: crate::operators::describe::home_facts(tr, &file.facts),
        services,
        assessments,
        request: &file.request,
        events: &file.events,
        names,
        joint_day,
        notice,
        docs,
        permit,
        today: state.clock.today().to_string(),
    };
    Ok(page)
}
