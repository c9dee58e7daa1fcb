//! Platform administration: the mail outbox, readable in the browser.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    routing::get,
};

use super::{
    error::PageError,
    extract::Staff,
    views::{Frame, local_datetime_in, warned_frame},
};
use crate::{
    db::outbox::{self, OutboxRow},
    i18n::Tr,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(list))
        .route("/admin/outbox/{id}", get(show))
}

fn require_admin(staff: &Staff) -> Result<(), PageError> {
    if staff.user.role == "platform_admin" {
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
    messages: Vec<OutboxRow>,
    transport: String,
}

impl OutboxPage {
    fn when(&self, stored: &str) -> String {
        local_datetime_in(self.tr, stored)
    }
}

async fn list(State(state): State<AppState>, staff: Staff) -> Result<OutboxPage, PageError> {
    require_admin(&staff)?;
    Ok(OutboxPage {
        tr: staff.tr,
        page: warned_frame(&state, &staff).await?,
        messages: outbox::recent(&state.db, 200).await?,
        transport: state.mailer.describe(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox_message.html")]
struct MessagePage {
    tr: Tr,
    page: Frame,
    message: OutboxRow,
}

impl MessagePage {
    fn when(&self, stored: &str) -> String {
        local_datetime_in(self.tr, stored)
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
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(PageError::NotFound);
    }
    Ok(MessagePage {
        tr: staff.tr,
        page: staff.frame,
        message: outbox::get(&state.db, &id).await?,
    })
}
