//! Platform administration: the mail outbox, readable in the browser.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::Redirect,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, local_datetime_in, warned_frame},
};
use crate::domain::OutboxId;
use crate::domain::tenancy::Role;
use crate::http::extract::page_id;
use crate::{
    i18n::Tr,
    services::outbox::{self, OutboxMessage, OutboxStatus},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(list))
        .route("/admin/outbox/retry", post(retry_all))
        .route("/admin/outbox/{id}", get(show))
        .route("/admin/outbox/{id}/retry", post(retry_one))
}

#[derive(Deserialize)]
struct RetryForm {}

/// Queues every failed message again (the relay is back).
async fn retry_all(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(_): CsrfForm<RetryForm>,
) -> Result<Redirect, PageError> {
    require_admin(&staff)?;
    outbox::retry(&state, None, state.clock.now()).await?;
    Ok(Redirect::to("/admin/outbox"))
}

/// Queues one failed message again.
async fn retry_one(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<RetryForm>,
) -> Result<Redirect, PageError> {
    // The administrator first: to anybody else, text that is no id is forbidden as any id is.
    require_admin(&staff)?;
    let id: OutboxId = page_id(&id)?;
    outbox::retry(&state, Some(id), state.clock.now()).await?;
    Ok(Redirect::to("/admin/outbox"))
}

fn require_admin(staff: &Staff) -> Result<(), PageError> {
    if staff.user.role == Role::PlatformAdmin {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    tr: Tr,
    page: Frame,
    messages: Vec<OutboxMessage>,
    transport: String,
    failed: i64,
}

impl OutboxPage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

async fn list(State(state): State<AppState>, staff: Staff) -> Result<OutboxPage, PageError> {
    require_admin(&staff)?;
    Ok(OutboxPage {
        tr: staff.tr,
        page: warned_frame(&state, &staff).await?,
        messages: outbox::recent(&state, 200).await?,
        transport: state.mailer.describe(),
        failed: outbox::failed_count(&state).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox_message.html")]
struct MessagePage {
    tr: Tr,
    page: Frame,
    message: OutboxMessage,
}

impl MessagePage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }

    /// The links of the text body, so a local reader can follow them.
    fn links(&self) -> Vec<&str> {
        self.message
            .body_text
            .split_whitespace()
            .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
            .collect()
    }
}

async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<MessagePage, PageError> {
    require_admin(&staff)?;
    let id: OutboxId = page_id(&id)?;
    Ok(MessagePage {
        tr: staff.tr,
        page: warned_frame(&state, &staff).await?,
        message: outbox::message(&state, id).await?,
    })
}
