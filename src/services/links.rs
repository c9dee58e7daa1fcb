//! Private links to a request's status page: issued, checked, renewed.
//!
//! The link sent on filing is stored only as a hash (`requests.follow_token_hash`), so a later
//! email cannot repeat it. Each email that needs a link gets a fresh one from
//! [`issue_follow_link`], in the same transaction as the message it goes into; the status page
//! (`/track/{token}`) accepts it exactly like the first one.
//!
//! A link works while its request is in progress and for six months after it is finished
//! (`domain::links`). The applicant may ask for a new link, from the status page or by typing
//! their address on the "Lost your link?" page: it goes to the request's address, and every
//! earlier link of that request — the filing one included — stops working.

use chrono::{DateTime, Utc};

use crate::domain::RequestId;
use crate::{
    db::{
        DbError, DbResult, Tx, links,
        requests::{self, NewEvent, RequestRow, RequestStamp},
    },
    domain::{EmailAddress, links::links_alive},
    i18n::Tr,
    mail::compose,
    services::{
        auth::{new_token, token_hash},
        submit::follow_url,
    },
    state::AppState,
};

/// Why a link was issued, kept beside it for the audit trail.
pub mod purpose {
    /// The email asking the applicant for missing documents.
    pub const MISSING_DOCUMENTS: &str = "missing_documents";
    /// The email carrying the consolidated offer.
    pub const OFFER: &str = "offer";
    /// The applicant asked for a new link, which replaced every earlier one.
    pub const RENEWED: &str = "renewed";
}

/// Why a private link opens nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such link")]
    Unknown,
    /// A newer link of the same request replaced it.
    #[error("the link was replaced by a newer one")]
    Replaced,
    /// The request was finished more than six months ago.
    #[error("the link has expired")]
    Expired,
    #[error("rendering the email: {0}")]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates a new private link to the status page of `request_id` and returns its absolute
/// URL (`{base_url}/track/{token}`). Only the token's hash is stored, inside `tx`: if the
/// transaction rolls back, the link never worked.
///
/// `base_url` is the site's public address without a trailing slash (`AppState::base_url`).
pub async fn issue_follow_link(
    tx: &mut Tx,
    base_url: &str,
    request_id: RequestId,
    purpose: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let token = new_token();
    links::insert(tx, &token_hash(&token), request_id, purpose, now).await?;
    Ok(follow_url(base_url, &token))
}

/// Whether a link found with `closed_at` and `revoked_at` still works at `now`.
fn usable(
    closed_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), LinkError> {
    if !links_alive(closed_at, now) {
        return Err(LinkError::Expired);
    }
    if revoked_at.is_some() {
        return Err(LinkError::Replaced);
    }
    Ok(())
}

/// The hash of `token` when it could be one this product issues.
fn token_of_link(token: &str) -> Result<String, LinkError> {
    // Every token this product issues has 43 characters; anything far from it is no link.
    if token.len() < 32 || token.len() > 64 {
        return Err(LinkError::Unknown);
    }
    Ok(token_hash(token))
}

/// The request behind the private link `token`, if the link still works.
pub async fn request_of_link(state: &AppState, token: &str) -> Result<RequestRow, LinkError> {
    let found = requests::by_follow_token(&state.db, &token_of_link(token)?)
        .await?
        .ok_or(LinkError::Unknown)?;
    usable(
        found.request.closed_at,
        found.link_revoked_at,
        state.clock.now(),
    )?;
    Ok(found.request)
}

/// [`request_of_link`]'s revisions alone, with the same checks: whether a view kept of the
/// request is still current.
pub async fn stamp_of_link(state: &AppState, token: &str) -> Result<RequestStamp, LinkError> {
    let found = requests::stamp_by_follow_token(&state.db, &token_of_link(token)?)
        .await?
        .ok_or(LinkError::Unknown)?;
    usable(found.closed_at, found.link_revoked_at, state.clock.now())?;
    Ok(found.stamp)
}

/// Replaces every link of `request` by a new one sent to its address, inside `tx`.
async fn renew_in(
    tx: &mut Tx,
    base_url: &str,
    request: &RequestRow,
    now: DateTime<Utc>,
) -> Result<(), LinkError> {
    let request_id = request.id;
    links::revoke_all(tx, request.id, now).await?;
    let link = issue_follow_link(tx, base_url, request_id, purpose::RENEWED, now).await?;
    // Shown on the status page: an applicant who did not ask for it sees that somebody did.
    requests::insert_event(
        tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "link_renewed",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: None,
            detail: None,
            public: true,
        },
    )
    .await?;
    let tr = Tr(request.language);
    let mail = compose::notice(
        tr,
        &compose::Notice {
            subject: tr.f(
                "link.mail.subject",
                [("reference", request.reference.as_str())],
            ),
            name: request.applicant_name.clone(),
            paragraphs: vec![
                tr.f(
                    "link.mail.text",
                    [("reference", request.reference.as_str())],
                ),
                tr.t("link.mail.not_you").to_owned(),
            ],
            link: Some(link),
        },
    )?;
    crate::services::outbox::enqueue_mail(
        tx,
        "link_renewed",
        Some(request_id),
        &request.email,
        &mail,
        &[],
        now,
    )
    .await?;
    Ok(())
}

/// The applicant asks for a new link on the status page: it goes to the request's address by
/// email, and every earlier link of the request — the one in use included — stops working.
pub async fn renew(
    state: &AppState,
    request: &RequestRow,
    now: DateTime<Utc>,
) -> Result<(), LinkError> {
    let mut tx = state.db.begin_write().await?;
    renew_in(&mut tx, &state.base_url, request, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

/// Somebody typed `email` on the "Lost your link?" page. The address is only queued: the
/// answer is the same, as fast, for an address with requests and for any other; the worker
/// ([`send_lost_links`]) sends links where there are requests.
pub async fn ask_lost_links(
    state: &AppState,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> DbResult<()> {
    links::queue_lost_link(&state.db, &email.as_ref().to_lowercase(), now).await?;
    state.lost_link_notify.notify_one();
    Ok(())
}

/// Handles every queued address: each request filed with it whose links still work gets a new
/// link by email (every earlier one stops working); other addresses get nothing. Returns how
/// many links were sent.
pub async fn send_lost_links(state: &AppState) -> Result<usize, LinkError> {
    let mut sent = 0;
    loop {
        let mut tx = state.db.begin_write().await?;
        let Some(email) = links::take_lost_link(&mut tx).await? else {
            break;
        };
        let now = state.clock.now();
        let mut renewed = 0;
        for request in requests::by_email_in(&mut tx, &email).await? {
            if links_alive(request.closed_at, now) {
                renew_in(&mut tx, &state.base_url, &request, now).await?;
                renewed += 1;
            }
        }
        tx.commit().await.map_err(DbError::from)?;
        if renewed > 0 {
            state.outbox_notify.notify_one();
        }
        sent += renewed;
    }
    Ok(sent)
}
