//! Views kept in memory while what they were built from is unchanged: a case file while its
//! request's revisions hold, a commune's dashboard or figures while its organisation's
//! revision holds (`db::revisions`: triggers move them with every write, whoever makes it, so
//! every instance sees a change at once).
//!
//! The revisions are read first (with the request, or alone) and are part of the view's key:
//! a write during the build only makes the view newer than its key says, so it is built again
//! at the next revision, never served older than it. A view is built once however many
//! readers ask for it at the same time (`state::KeptViews`).

use std::sync::Arc;

use crate::{
    db::requests::{RequestRow, RequestStamp},
    state::AppState,
};

/// The revisions a view is built at, as read before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revisions(i64, i64);

impl Revisions {
    /// A request's own revision and the shared one, read with the request.
    pub fn of_request(request: &RequestRow) -> Self {
        Self::of_stamp(&request.stamp())
    }

    /// A request's revisions read alone (`db::requests::RequestStamp`).
    pub fn of_stamp(stamp: &RequestStamp) -> Self {
        Self(stamp.revision, stamp.shared_revision)
    }

    /// An organisation's revision (`db::revisions::of_organisation`).
    pub fn of_organisation(revision: i64) -> Self {
        Self(revision, 0)
    }
}

/// How long a view may serve besides its revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// The day it was built on: it shows dates counted from today.
    Day,
    /// Ten seconds of the clock at most, within the day: it shows what the time makes of the
    /// data (an answer now late, a day no longer open to choose).
    Clocked,
}

/// How many seconds a [`Lifetime::Clocked`] view serves at most.
const CLOCKED_SECONDS: i64 = 10;

/// The view under `key` at `revisions`: the kept one, else the one `read` makes, kept. `key`
/// names what the view is of and whatever else it depends on (the reader's organisation, the
/// link, the period); its type is part of the key.
pub async fn view<V, E>(
    state: &AppState,
    key: &str,
    revisions: Revisions,
    lifetime: Lifetime,
    read: impl Future<Output = Result<V, E>>,
) -> Result<Arc<V>, E>
where
    V: Send + Sync + 'static,
{
    let Revisions(own, shared) = revisions;
    let today = state.clock.today();
    let key = match lifetime {
        Lifetime::Day => format!("{key}|{own}.{shared}|{today}"),
        Lifetime::Clocked => {
            let period = state.clock.now().timestamp().div_euclid(CLOCKED_SECONDS);
            format!("{key}|{own}.{shared}|{today}|{period}")
        }
    };
    state.views.get_or_build(key, read).await
}
