//! Private links to a request's status page, for emails sent after filing.
//!
//! The link sent on filing is stored only as a hash (`requests.follow_token_hash`), so a later
//! email cannot repeat it. Each email that needs a link gets a fresh one from
//! [`issue_follow_link`], in the same transaction as the message it goes into; the status page
//! (`/track/{token}`) accepts it exactly like the first one. Links do not expire: like the
//! first one, they are the applicant's key to their request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    db::{DbResult, Tx, links},
    services::{
        auth::{new_token, token_hash},
        submit::follow_url,
    },
};

/// Why a link was issued, kept beside it for the audit trail.
pub mod purpose {
    /// The email asking the applicant for missing documents.
    pub const MISSING_DOCUMENTS: &str = "missing_documents";
    /// The email carrying the consolidated offer.
    pub const OFFER: &str = "offer";
}

/// Creates a new private link to the status page of `request_id` and returns its absolute
/// URL (`{base_url}/track/{token}`). Only the token's hash is stored, inside `tx`: if the
/// transaction rolls back, the link never worked.
///
/// `base_url` is the site's public address without a trailing slash (`AppState::base_url`).
pub async fn issue_follow_link(
    tx: &mut Tx,
    base_url: &str,
    request_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let token = new_token();
    links::insert(tx, &token_hash(&token), request_id, purpose, now).await?;
    Ok(follow_url(base_url, &token))
}
