//! Views kept in memory while what they were built from is unchanged: a case file while its
//! request's revisions hold, a commune's dashboard or figures while its organisation's
//! revision holds (`db::revisions`: triggers move them with every write, whoever makes it, so
//! every instance sees a change at once). A kept view is also dropped after
//! [`KEPT_VIEW_TTL`] and at the change of day, for what it shows of the clock.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::{db::requests::RequestRow, state::AppState};

/// The revisions a view was built at, as read before it (with the request, or alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revisions(i64, i64);

impl Revisions {
    /// A request's own revision and the shared one, read with the request.
    pub fn of_request(request: &RequestRow) -> Self {
        Self(request.revision, request.shared_revision)
    }

    /// An organisation's revision (`db::revisions::of_organisation`).
    pub fn of_organisation(revision: i64) -> Self {
        Self(revision, 0)
    }
}

/// The longest a kept view serves: what it shows of the clock (an answer now late, the days
/// still open to choose) is at most this late.
pub const KEPT_VIEW_TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// What a kept view was built at: the revisions of what it shows, and when.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    revisions: Revisions,
    at: DateTime<Utc>,
    on: NaiveDate,
}

impl Built {
    /// Taken before the view is read, so that a write during the reads only makes the view
    /// newer than its revisions say (and read again next time), never older.
    pub fn now(revisions: Revisions, state: &AppState) -> Self {
        Self {
            revisions,
            at: state.clock.now(),
            on: state.clock.today(),
        }
    }

    /// The revisions just read are still these, today and not long after.
    fn current_for(&self, revisions: Revisions, state: &AppState) -> bool {
        let age = state.clock.now() - self.at;
        self.revisions == revisions
            && self.on == state.clock.today()
            && age >= chrono::TimeDelta::zero()
            && age < KEPT_VIEW_TTL
    }
}

/// A view kept in memory.
struct KeptView<V> {
    built: Built,
    view: V,
}

/// The view of `kind` kept under `key`, if it is still current at `revisions`.
pub fn kept<V: Send + Sync + 'static>(
    state: &AppState,
    kind: &'static str,
    key: &str,
    revisions: Revisions,
) -> Option<Shown<V>> {
    state
        .views
        .get::<KeptView<V>>(kind, key)
        .filter(|kept| kept.built.current_for(revisions, state))
        .map(Shown)
}

/// A kept view, read through.
pub struct Shown<V>(Arc<KeptView<V>>);

impl<V> std::ops::Deref for Shown<V> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.0.view
    }
}

/// Keeps `view`, built at `built`, under `kind` and `key`.
pub fn keep<V: Send + Sync + 'static>(
    state: &AppState,
    kind: &'static str,
    key: String,
    built: Built,
    view: V,
) {
    state
        .views
        .keep(kind, key, Arc::new(KeptView { built, view }));
}

/// The view of `kind` under `key` at `revisions`: the one kept while they hold, else `read`
/// and kept. `key` names what the view is of and whatever else it depends on (the reader's
/// organisation, the link, the period).
pub async fn view<V, E, F, Fut>(
    state: &AppState,
    kind: &'static str,
    key: String,
    revisions: Revisions,
    read: F,
) -> Result<V, E>
where
    V: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<V, E>>,
{
    if let Some(kept) = kept::<V>(state, kind, &key, revisions) {
        return Ok((*kept).clone());
    }
    let built = Built::now(revisions, state);
    let view = read().await?;
    keep(state, kind, key, built, view.clone());
    Ok(view)
}
