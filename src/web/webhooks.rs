//! Signed webhooks (issue 21): an organisation's administrator (an operator's, the
//! coordinator's or a commune's) registers its organisation's
//! endpoints, reads each one's delivery log, replays a delivery and sends a test event; the
//! platform administrator sees every organisation's endpoints. Another organisation's endpoint
//! does not exist here (404).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, local_datetime_in},
};
use crate::domain::tenancy::{OrganisationKind, Role};
use crate::domain::{DeliveryId, EndpointId};
use crate::http::extract::page_id;
use crate::{
    domain::{FieldErrors, webhook},
    i18n::Tr,
    services::webhooks::{
        self, CreatedEndpoint, DeliveryView, EndpointInput, EndpointView, WebhookError,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organisation/webhooks", get(endpoints_page).post(create))
        .route("/organisation/webhooks/{id}", get(log_page))
        .route("/organisation/webhooks/{id}/test", post(send_test))
        .route("/organisation/webhooks/{id}/replay", post(replay))
        .route("/organisation/webhooks/{id}/active", post(set_active))
        .route("/operator/webhooks", get(endpoints_page).post(create))
        .route("/operator/webhooks/{id}", get(log_page))
        .route("/operator/webhooks/{id}/test", post(send_test))
        .route("/operator/webhooks/{id}/replay", post(replay))
        .route("/operator/webhooks/{id}/active", post(set_active))
        .route("/admin/webhooks", get(all_endpoints))
}

/// The events of the form the organisation can be told of, with their labels, in the list's
/// order.
fn event_choices(tr: &Tr, organisation_kind: OrganisationKind) -> Vec<(&'static str, String)> {
    webhook::events_for(organisation_kind)
        .into_iter()
        .map(|event| (event, tr.keyed("webhooks.events", event.replace('.', "_"))))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/webhooks.html")]
struct EndpointsPage {
    tr: Tr,
    page: Frame,
    endpoints: Vec<EndpointView>,
    choices: Vec<(&'static str, String)>,
    input: EndpointInput,
    errors: FieldErrors,
    /// The secret of the endpoint just created, shown this once.
    created: Option<CreatedEndpoint>,
}

impl EndpointsPage {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    fn chosen(&self, event: &str) -> bool {
        self.input.events.iter().any(|e| e == event)
    }

    fn event_label(&self, event: &str) -> String {
        self.tr.keyed("webhooks.events", event.replace('.', "_"))
    }
}

async fn render(
    state: &AppState,
    staff: Staff,
    input: EndpointInput,
    errors: FieldErrors,
    created: Option<CreatedEndpoint>,
) -> Result<EndpointsPage, PageError> {
    let endpoints = webhooks::of_organisation(state, &staff.user.scope()).await?;
    Ok(EndpointsPage {
        choices: event_choices(&staff.tr, staff.user.organisation_kind),
        tr: staff.tr,
        page: staff.frame,
        endpoints,
        input,
        errors,
        created,
    })
}

fn blank() -> EndpointInput {
    EndpointInput {
        active: "on".into(),
        ..EndpointInput::default()
    }
}

async fn endpoints_page(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<EndpointsPage, PageError> {
    staff.require_organisation_admin()?;
    render(&state, staff, blank(), FieldErrors::new(), None).await
}

/// Registers an endpoint and shows its signing secret once; a refused form says why and
/// registers nothing.
async fn create(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(input): CsrfForm<EndpointInput>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    match webhooks::create(&state, &staff.user, &input, state.clock.now()).await {
        Ok(created) => {
            let page = render(&state, staff, blank(), FieldErrors::new(), Some(created)).await?;
            Ok(page.into_response())
        }
        Err(WebhookError::Db(error)) => Err(error.into()),
        Err(WebhookError::Invalid(errors)) => {
            let page = render(&state, staff, input, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/webhook_log.html")]
struct LogPage {
    tr: Tr,
    page: Frame,
    endpoint: EndpointView,
    deliveries: Vec<DeliveryView>,
    notice: Option<Notice>,
}

impl LogPage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    fn event_label(&self, event: &str) -> String {
        if event == webhook::PING {
            self.tr.t("webhooks.events.ping").to_owned()
        } else {
            self.tr.keyed("webhooks.events", event.replace('.', "_"))
        }
    }
}

async fn log_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<LogPage, PageError> {
    staff.require_organisation_admin()?;
    let id: EndpointId = page_id(&id)?;
    render_log(&state, staff, id, None).await
}

async fn render_log(
    state: &AppState,
    staff: Staff,
    id: EndpointId,
    notice: Option<Notice>,
) -> Result<LogPage, PageError> {
    let Some((endpoint, deliveries)) = webhooks::log(state, &staff.user.scope(), id).await? else {
        return Err(PageError::NotFound);
    };
    Ok(LogPage {
        tr: staff.tr,
        page: staff.frame,
        endpoint,
        deliveries,
        notice,
    })
}

fn back_to_log(id: EndpointId) -> Response {
    Redirect::to(&format!("/organisation/webhooks/{id}")).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Empty {}

async fn send_test(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let id: EndpointId = page_id(&id)?;
    if !webhooks::send_test(&state, &staff.user.scope(), id, state.clock.now()).await? {
        return Err(PageError::NotFound);
    }
    state.webhook_notify.notify_one();
    Ok(back_to_log(id))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReplayForm {
    delivery: String,
}

async fn replay(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReplayForm>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let id: EndpointId = page_id(&id)?;
    let scope = staff.user.scope();
    // Text that is no id names no delivery of the endpoint, as an unknown id does.
    let replayed = match form.delivery.trim().parse::<DeliveryId>() {
        Ok(delivery) => webhooks::replay(&state, &scope, id, delivery, state.clock.now()).await?,
        Err(_) => false,
    };
    if replayed {
        state.webhook_notify.notify_one();
        return Ok(back_to_log(id));
    }
    // No such delivery of this endpoint: the endpoint's own page says so, another
    // organisation's endpoint is not found.
    let notice = Notice {
        error: true,
        text: staff.tr.t("webhooks.no_such_delivery").to_owned(),
    };
    let page = render_log(&state, staff, id, Some(notice)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let id: EndpointId = page_id(&id)?;
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            // Not found before refused: another organisation's endpoint stays unknown.
            let notice = Notice {
                error: true,
                text: staff.tr.error(&crate::domain::InputError::Choice),
            };
            let page = render_log(&state, staff, id, Some(notice)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    if !webhooks::set_active(&state, &staff.user.scope(), id, active, state.clock.now()).await? {
        return Err(PageError::NotFound);
    }
    if active {
        state.webhook_notify.notify_one();
    }
    Ok(back_to_log(id))
}

fn require_admin(staff: &Staff) -> Result<(), PageError> {
    if staff.user.role == Role::PlatformAdmin {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/webhooks.html")]
struct AllEndpointsPage {
    tr: Tr,
    page: Frame,
    endpoints: Vec<EndpointView>,
}

impl AllEndpointsPage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    fn event_label(&self, event: &str) -> String {
        self.tr.keyed("webhooks.events", event.replace('.', "_"))
    }
}

async fn all_endpoints(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<AllEndpointsPage, PageError> {
    require_admin(&staff)?;
    Ok(AllEndpointsPage {
        endpoints: webhooks::all(&state).await?,
        tr: staff.tr,
        page: staff.frame,
    })
}
