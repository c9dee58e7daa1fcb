//! API keys (issue 21): an organisation's administrator (an operator's, the coordinator's or a
//! commune's) creates and revokes its organisation's keys on `/organisation/api-keys` (the
//! operators' first address, `/operator/api-keys`, still serves the same page); the platform
//! administrator sees and revokes every organisation's.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
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
    views::{Frame, local_date_in, local_datetime_in},
};
use crate::domain::ApiKeyId;
use crate::domain::tenancy::{Role, Scope};
use crate::{
    domain::FieldErrors,
    i18n::Tr,
    services::api_keys::{self, KeyError, KeyInput, KeyView},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organisation/api-keys", get(keys_page).post(create))
        .route("/organisation/api-keys/revoke", post(revoke))
        .route("/operator/api-keys", get(keys_page).post(create))
        .route("/operator/api-keys/revoke", post(revoke))
        .route("/admin/api-keys", get(all_keys))
        .route("/admin/api-keys/revoke", post(revoke_any))
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/api_keys.html")]
struct KeysPage {
    tr: Tr,
    page: Frame,
    keys: Vec<KeyView>,
    input: KeyInput,
    errors: FieldErrors,
    notice: Option<Notice>,
    /// The secret of the key just created, shown this once.
    created: Option<api_keys::CreatedKey>,
}

impl KeysPage {
    /// The last day a key works (it stops at the end of it, Brussels time).
    fn last_day(&self, at: &DateTime<Utc>) -> String {
        local_date_in(self.tr, *at - chrono::Duration::seconds(1))
    }

    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

async fn render(
    state: &AppState,
    staff: Staff,
    input: KeyInput,
    errors: FieldErrors,
    notice: Option<Notice>,
    created: Option<api_keys::CreatedKey>,
) -> Result<KeysPage, PageError> {
    let keys = api_keys::of_organisation(state, &staff.user.scope(), state.clock.now()).await?;
    Ok(KeysPage {
        tr: staff.tr,
        page: staff.frame,
        keys,
        input,
        errors,
        notice,
        created,
    })
}

fn blank() -> KeyInput {
    KeyInput {
        scope: "read".into(),
        ..KeyInput::default()
    }
}

async fn keys_page(State(state): State<AppState>, staff: Staff) -> Result<KeysPage, PageError> {
    staff.require_organisation_admin()?;
    render(&state, staff, blank(), FieldErrors::new(), None, None).await
}

/// Creates a key and shows its secret once; a refused form says why and creates nothing.
async fn create(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(input): CsrfForm<KeyInput>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    match api_keys::create(&state, &staff.user, &input, state.clock.now()).await {
        Ok(created) => {
            let page = render(
                &state,
                staff,
                blank(),
                FieldErrors::new(),
                None,
                Some(created),
            )
            .await?;
            Ok(page.into_response())
        }
        Err(KeyError::Db(error)) => Err(error.into()),
        Err(KeyError::Invalid(errors)) => {
            let page = render(&state, staff, input, errors, None, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    key: String,
}

impl RevokeForm {
    /// Revokes the key named, within `scope` when given (the platform administrator gives
    /// none); text that is no id names no key, and is answered as an unknown key is.
    async fn revoke(
        &self,
        state: &AppState,
        scope: Option<&Scope>,
        staff: &Staff,
    ) -> Result<bool, PageError> {
        let Ok(key) = self.key.trim().parse::<ApiKeyId>() else {
            return Ok(false);
        };
        Ok(api_keys::revoke(state, scope, &staff.user, key, state.clock.now()).await?)
    }
}

async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    staff.require_organisation_admin()?;
    let scope = staff.user.scope();
    if form.revoke(&state, Some(&scope), &staff).await? {
        return Ok(Redirect::to("/organisation/api-keys").into_response());
    }
    let notice = Notice {
        error: true,
        text: staff.tr.t("api_keys.no_such_key").to_owned(),
    };
    let page = render(
        &state,
        staff,
        blank(),
        FieldErrors::new(),
        Some(notice),
        None,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn require_admin(staff: &Staff) -> Result<(), PageError> {
    if staff.user.role == Role::PlatformAdmin {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/api_keys.html")]
struct AllKeysPage {
    tr: Tr,
    page: Frame,
    keys: Vec<KeyView>,
    notice: Option<Notice>,
}

impl AllKeysPage {
    /// The last day a key works (it stops at the end of it, Brussels time).
    fn last_day(&self, at: &DateTime<Utc>) -> String {
        local_date_in(self.tr, *at - chrono::Duration::seconds(1))
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

async fn all_keys(State(state): State<AppState>, staff: Staff) -> Result<AllKeysPage, PageError> {
    require_admin(&staff)?;
    Ok(AllKeysPage {
        keys: api_keys::all(&state, state.clock.now()).await?,
        tr: staff.tr,
        page: staff.frame,
        notice: None,
    })
}

async fn revoke_any(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    require_admin(&staff)?;
    if form.revoke(&state, None, &staff).await? {
        return Ok(Redirect::to("/admin/api-keys").into_response());
    }
    let page = AllKeysPage {
        keys: api_keys::all(&state, state.clock.now()).await?,
        notice: Some(Notice {
            error: true,
            text: staff.tr.t("api_keys.no_such_key").to_owned(),
        }),
        tr: staff.tr,
        page: staff.frame,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
