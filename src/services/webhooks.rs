//! Signed webhooks (issue 21): an organisation's administrator registers endpoints and the
//! events each wants; the platform administrator sees them all; each endpoint has its delivery
//! log with a replay per delivery and a test event. The signing secret (`whsec_…`) is shown
//! once, and kept as is: the server signs every delivery with it.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{DeliveryId, EndpointId};

use crate::{
    db::{
        self, DbError, Tx,
        webhooks::{self, DeliveryRow, EndpointRow, NewEndpoint},
    },
    domain::{
        FieldErrors, InputError,
        tenancy::{Scope, SessionUser},
        webhook,
    },
    i18n::Tr,
    mail::compose,
    state::AppState,
};

/// An endpoint failing without a break for this long is disabled and its organisation's
/// administrators are told by email.
pub const DISABLE_AFTER: Duration = Duration::days(3);
/// How many deliveries the log shows.
pub const LOG_LENGTH: i64 = 50;

/// The fields of the creation form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EndpointInput {
    pub url: String,
    /// The events wanted (the form's checkboxes, one value each).
    pub events: Vec<String>,
    /// `on` when the endpoint starts active.
    pub active: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An endpoint just created: its signing secret, shown this once.
pub struct CreatedEndpoint {
    pub url: String,
    pub secret: String,
}

/// Registers an endpoint for the administrator's organisation. The address must be `https`;
/// plain `http` only to this machine, and only where the installation allows it
/// (`webhooks_allow_local_http`).
pub async fn create(
    state: &AppState,
    admin: &SessionUser,
    input: &EndpointInput,
    now: DateTime<Utc>,
) -> Result<CreatedEndpoint, WebhookError> {
    let mut errors = FieldErrors::new();
    let url = errors.check(
        "url",
        webhook::check_url(&input.url, state.config.webhooks_allow_local_http)
            .map_err(InputError::WebhookUrl),
    );
    // An event the organisation is never told of is not kept (a commune: permits only).
    let receivable = webhook::events_for(admin.organisation_kind);
    let events: Vec<&'static str> = webhook::chosen_events(input.events.iter().map(String::as_str))
        .into_iter()
        .filter(|event| receivable.contains(event))
        .collect();
    if events.is_empty() {
        errors.add("events", InputError::WebhookNoEvent);
    }
    let Some(url) = url.filter(|_| errors.is_empty()) else {
        return Err(WebhookError::Invalid(errors));
    };
    let secret = format!("{}{}", webhook::SECRET_PREFIX, super::auth::new_token());
    webhooks::insert(
        &state.db,
        &NewEndpoint {
            id: EndpointId::generate(),
            organisation_id: admin.organisation_id,
            url: &url,
            secret: &secret,
            events: &events,
            active: input.active == "on" || input.active == "1" || input.active == "true",
            created_by: admin.user_id,
        },
        now,
    )
    .await?;
    Ok(CreatedEndpoint { url, secret })
}

/// An endpoint as its pages list it.
pub struct EndpointView {
    pub id: EndpointId,
    pub organisation: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Failing since then, without a delivery in between.
    pub failing_since: Option<DateTime<Utc>>,
    /// Disabled then for failing too long.
    pub disabled_at: Option<DateTime<Utc>>,
}

fn views(rows: Vec<EndpointRow>, subscriptions: &[(EndpointId, String)]) -> Vec<EndpointView> {
    rows.into_iter()
        .map(|row| {
            let wanted: Vec<&str> = subscriptions
                .iter()
                .filter(|(endpoint, _)| *endpoint == row.id)
                .map(|(_, event)| event.as_str())
                .collect();
            EndpointView {
                events: webhook::chosen_events(wanted)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                organisation: row.organisation_name,
                url: row.url,
                active: row.active == 1,
                created_by: row.created_by_name,
                created_at: row.created_at,
                failing_since: row.failing_since,
                disabled_at: row.disabled_at,
                id: row.id,
            }
        })
        .collect()
}

/// The endpoints of the administrator's organisation.
pub async fn of_organisation(
    state: &AppState,
    scope: &Scope,
) -> Result<Vec<EndpointView>, DbError> {
    let rows = webhooks::list(&state.db, Some(scope)).await?;
    let subscriptions = webhooks::subscriptions(&state.db, Some(scope)).await?;
    Ok(views(rows, &subscriptions))
}

/// Every organisation's endpoints, for the platform administrator.
pub async fn all(state: &AppState) -> Result<Vec<EndpointView>, DbError> {
    let rows = webhooks::list(&state.db, None).await?;
    let subscriptions = webhooks::subscriptions(&state.db, None).await?;
    Ok(views(rows, &subscriptions))
}

/// One delivery as the log shows it.
pub struct DeliveryView {
    pub id: DeliveryId,
    pub event_id: String,
    pub event_type: String,
    pub reference: Option<String>,
    pub delivered: bool,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        let delivered = row.status == webhooks::DeliveryStatus::Delivered;
        DeliveryView {
            next_attempt_at: if delivered {
                None
            } else {
                Some(row.next_attempt_at)
            },
            created_at: row.created_at,
            last_attempt_at: row.last_attempt_at,
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            reference: row.reference,
            delivered,
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            last_duration_ms: row.last_duration_ms,
        }
    }
}

/// One of the organisation's endpoints with its latest deliveries; `None` when the
/// organisation has no such endpoint (another organisation's is not found either).
pub async fn log(
    state: &AppState,
    scope: &Scope,
    endpoint_id: EndpointId,
) -> Result<Option<(EndpointView, Vec<DeliveryView>)>, DbError> {
    let Some(row) = webhooks::get(&state.db, scope, endpoint_id).await? else {
        return Ok(None);
    };
    let subscriptions = webhooks::subscriptions(&state.db, Some(scope)).await?;
    let endpoint = views(vec![row], &subscriptions)
        .pop()
        .ok_or(DbError::NotFound)?;
    let deliveries = webhooks::deliveries(&state.db, endpoint_id, LOG_LENGTH)
        .await?
        .into_iter()
        .map(DeliveryView::from)
        .collect();
    Ok(Some((endpoint, deliveries)))
}

/// Queues a test event (`ping`) to one of the organisation's endpoints; false when it has
/// none such.
pub async fn send_test(
    state: &AppState,
    scope: &Scope,
    endpoint_id: EndpointId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    webhooks::enqueue_ping(&state.db, scope, endpoint_id, now).await
}

/// Sends one delivery of the organisation's endpoint again now (same event id and body);
/// false when it has none such.
pub async fn replay(
    state: &AppState,
    scope: &Scope,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    webhooks::replay(&state.db, scope, endpoint_id, delivery_id, now).await
}

/// Switches one of the organisation's endpoints on or off; false when it has none such.
pub async fn set_active(
    state: &AppState,
    scope: &Scope,
    endpoint_id: EndpointId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    webhooks::set_active(&state.db, scope, endpoint_id, active, now).await
}

/// Called by the worker after a failed attempt, in the transaction recording it: an endpoint
/// failing since `failing_since` for [`DISABLE_AFTER`] or more is disabled, and its
/// organisation's administrators are emailed (in their language) in the same transaction.
/// True when this call disabled it.
pub async fn disable_if_failing_too_long(
    state: &AppState,
    tx: &mut Tx,
    endpoint_id: EndpointId,
    failing_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    if now - failing_since < DISABLE_AFTER {
        return Ok(false);
    }
    let Some((organisation_id, url)) = webhooks::disable(tx, endpoint_id, now).await? else {
        return Ok(false);
    };
    let admins = db::users::administrators_of(tx, organisation_id).await?;
    for (email, name, language) in admins {
        let tr = Tr(language.parse().unwrap_or_default());
        let since = tr.numeric_datetime(crate::clock::brussels(failing_since));
        let link = format!("{}/organisation/webhooks/{endpoint_id}", state.base_url);
        let mail = compose::notice(
            tr,
            &compose::Notice {
                subject: tr.f("webhooks.mail.disabled.subject", [("url", url.as_str())]),
                name,
                paragraphs: vec![
                    tr.f(
                        "webhooks.mail.disabled.body",
                        [("url", url.as_str()), ("since", since.as_str())],
                    ),
                    tr.t("webhooks.mail.disabled.next").to_owned(),
                ],
                link: Some(link),
            },
        )
        .map_err(|e| DbError::Corrupt(format!("webhook disabled mail: {e}")))?;
        crate::services::outbox::enqueue_mail(
            tx,
            "webhook_disabled",
            None,
            &email,
            &mail,
            &[],
            now,
        )
        .await?;
    }
    Ok(true)
}
