//! The shared state every handler, use case and job receives: the pool, the clock, the
//! configuration and the caches — nothing else.

use std::{
    any::{Any, TypeId},
    future::Future,
    ops::Deref,
    sync::{Arc, PoisonError, RwLock},
};

use tokio::sync::Notify;

use crate::{
    clock::Clock, config::Config, db::Db, domain::PostcodeDirectory, mail::Mailer,
    storage::Storage, tariff::Tariffs, throttle::Throttles,
};

pub struct AppInner {
    pub db: Db,
    /// The one source of "now" and "today" (the system clock in production).
    pub clock: Clock,
    pub config: Config,
    pub directory: PostcodeDirectory,
    pub base_url: String,
    pub mailer: Mailer,
    /// Wakes the outbox worker as soon as a transaction has queued mail.
    pub outbox_notify: Arc<Notify>,
    /// Wakes the webhook worker when a delivery is replayed or a test event queued.
    pub webhook_notify: Arc<Notify>,
    /// Wakes the assessment worker as soon as a filing has created tasks.
    pub assess_notify: Arc<Notify>,
    /// Wakes the lost-link worker as soon as an address was typed on the "Lost your link?" page.
    pub lost_link_notify: Arc<Notify>,
    /// The books in use: embedded plus uploaded; an upload replaces the whole set.
    pub tariffs: RwLock<Arc<Tariffs>>,
    /// Uploaded documents (disk by default; object storage later).
    pub storage: Arc<dyn Storage>,
    /// This instance's per-address throttles (sign-in, filing, estimates).
    pub throttles: Throttles,
    /// Reference data every case file reads (construction holidays, partners' labels), kept
    /// briefly in memory.
    pub reference: ReferenceCache,
    /// Views built by the use cases (case files), kept while what they were built from is
    /// unchanged.
    pub views: KeptViews,
    /// Pages rendered once for every reader of the same view (`http::kept_page`).
    pub pages: KeptPages,
    /// Filings checked and waiting for the group being written, written together next
    /// (`services::submit`).
    pub filings: WriteQueue,
}

/// Writes waiting to be made together in one transaction: those that arrive while one group
/// is written go in the next, one commit for all. Whoever finds no group being written starts
/// writing; the items are the use case's own (only filings wait here).
#[derive(Default)]
pub struct WriteQueue {
    waiting: std::sync::Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    items: std::collections::VecDeque<Box<dyn Any + Send>>,
    writing: bool,
}

impl WriteQueue {
    /// Queues `item`; true when no group is being written and the caller is to write.
    pub fn push(&self, item: Box<dyn Any + Send>) -> bool {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.items.push_back(item);
        !std::mem::replace(&mut waiting.writing, true)
    }

    /// How many wait for a group, and whether one is being written.
    pub fn waiting(&self) -> (usize, bool) {
        let waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        (waiting.items.len(), waiting.writing)
    }

    /// The next group: up to `max` items, oldest first. Empty when none wait, and then the
    /// next [`WriteQueue::push`] starts writing again.
    pub fn next_group(&self, max: usize) -> Vec<Box<dyn Any + Send>> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let count = waiting.items.len().min(max);
        let group: Vec<_> = waiting.items.drain(..count).collect();
        if group.is_empty() {
            waiting.writing = false;
        }
        group
    }
}

/// How long this instance keeps reference data read from the database. An edit on this
/// instance clears it at once; another instance sees the edit within this time. Only pages
/// read through it: a reservation reads the construction holidays under its lock.
pub const REFERENCE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// A value read from the database, kept for [`REFERENCE_TTL`].
pub struct Kept<T> {
    slot: RwLock<Option<(std::time::Instant, Arc<T>)>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self {
            slot: RwLock::new(None),
        }
    }
}

impl<T> Kept<T> {
    /// The value kept, unless it is older than [`REFERENCE_TTL`].
    pub fn fresh(&self) -> Option<Arc<T>> {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < REFERENCE_TTL)
            .map(|(_, value)| value.clone())
    }

    pub fn keep(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) =
            Some((std::time::Instant::now(), value.clone()));
        value
    }

    pub fn clear(&self) {
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[derive(Default)]
pub struct ReferenceCache {
    pub construction_holidays: Kept<crate::scheduling::ConstructionHolidays>,
    pub partner_labels: Kept<Vec<(String, crate::operators::generic::Labels)>>,
}

/// How many views one instance keeps; the least used go first.
const KEPT_VIEWS: usize = 1_000;

/// Views kept in memory by the use cases that build them. The key names the view's type and
/// everything it was built from (the use case puts the revisions it read in it: a view built
/// from older data is simply never asked for again, and leaves with the least used).
pub struct KeptViews {
    views: quick_cache::sync::Cache<(TypeId, String), Arc<dyn Any + Send + Sync>>,
}

impl Default for KeptViews {
    fn default() -> Self {
        Self {
            views: quick_cache::sync::Cache::new(KEPT_VIEWS),
        }
    }
}

impl KeptViews {
    /// The view of type `T` kept under `key`, else the one `build` makes, kept. Readers asking
    /// at the same time for a view being built wait for it instead of building it again; a
    /// failed build keeps nothing.
    pub async fn get_or_build<T, E>(
        &self,
        key: String,
        build: impl Future<Output = Result<T, E>>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let view = self
            .views
            .get_or_insert_async(&(TypeId::of::<T>(), key), async {
                Ok::<_, E>(Arc::new(build.await?) as Arc<dyn Any + Send + Sync>)
            })
            .await?;
        Ok(view
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("the key names the view's type")))
    }
}

/// How many bytes of rendered pages one instance keeps; the least used go first.
const KEPT_PAGES_BYTES: u64 = 64 * 1024 * 1024;

/// A page rendered from a kept view, in the pieces between which each reader's own text goes.
pub struct KeptPage {
    /// The view it shows: the page serves while that view is the one kept.
    source: std::sync::Weak<dyn Any + Send + Sync>,
    pub pieces: Vec<String>,
}

#[derive(Clone)]
struct PageWeight;

impl quick_cache::Weighter<String, Arc<KeptPage>> for PageWeight {
    fn weight(&self, key: &String, page: &Arc<KeptPage>) -> u64 {
        let bytes = key.len() + page.pieces.iter().map(String::len).sum::<usize>();
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }
}

/// Rendered pages, one per reader and page, each for the kept view it was rendered from. A
/// page holds a weak reference to its view: the view's memory is not given to another while
/// the page is kept (a weak reference keeps the allocation, not the view's content), so
/// comparing the two by address says whether the page is still the view's.
pub struct KeptPages {
    pages: quick_cache::sync::Cache<String, Arc<KeptPage>, PageWeight>,
}

impl Default for KeptPages {
    fn default() -> Self {
        Self {
            pages: quick_cache::sync::Cache::with_weighter(4_096, KEPT_PAGES_BYTES, PageWeight),
        }
    }
}

impl KeptPages {
    /// The page kept under `key` if it was rendered from `source`.
    pub fn get<V: Any + Send + Sync>(&self, key: &str, source: &Arc<V>) -> Option<Arc<KeptPage>> {
        let page = self.pages.get(key)?;
        let same = std::ptr::addr_eq(page.source.as_ptr(), Arc::as_ptr(source));
        same.then_some(page)
    }

    /// Keeps `pieces` rendered from `source` under `key`, in place of an older rendering.
    pub fn keep<V: Any + Send + Sync>(
        &self,
        key: String,
        source: &Arc<V>,
        pieces: Vec<String>,
    ) -> Arc<KeptPage> {
        let weak: std::sync::Weak<V> = Arc::downgrade(source);
        let source: std::sync::Weak<dyn Any + Send + Sync> = weak;
        let page = Arc::new(KeptPage { source, pieces });
        self.pages.insert(key, page.clone());
        page
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl AppState {
    /// The current book set. Callers keep the `Arc`: a case is priced with one set throughout,
    /// even if an upload replaces it meanwhile.
    pub fn tariffs(&self) -> Arc<Tariffs> {
        // Only a whole Arc is ever written, so a poisoned lock still holds a sound set.
        self.tariffs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_write_waiting_starts_a_group_and_the_others_join_the_next() {
        let queue = WriteQueue::default();
        assert!(
            queue.push(Box::new(1)),
            "nothing written: the caller writes"
        );
        assert!(!queue.push(Box::new(2)), "a group is being written");
        assert!(!queue.push(Box::new(3)));
        let numbers = |group: Vec<Box<dyn Any + Send>>| -> Vec<i32> {
            group
                .into_iter()
                .map(|item| *item.downcast::<i32>().unwrap())
                .collect()
        };
        assert_eq!(numbers(queue.next_group(2)), [1, 2]);
        assert!(!queue.push(Box::new(4)), "still writing");
        assert_eq!(numbers(queue.next_group(2)), [3, 4]);
        assert!(queue.next_group(2).is_empty());
        assert!(
            queue.push(Box::new(5)),
            "the writer stopped: the next caller writes"
        );
        assert_eq!(numbers(queue.next_group(8)), [5]);
    }

    #[test]
    fn a_kept_page_serves_only_the_view_it_was_rendered_from() {
        let pages = KeptPages::default();
        let view = Arc::new(String::from("case file, revision 1"));
        pages.keep("page".to_owned(), &view, vec!["<p>1</p>".to_owned()]);
        assert_eq!(pages.get("page", &view).unwrap().pieces, ["<p>1</p>"]);
        assert!(pages.get("other page", &view).is_none());

        // A newer view of the same thing, the older one still alive or gone.
        let newer = Arc::new(String::from("case file, revision 2"));
        assert!(pages.get("page", &newer).is_none());
        drop(view);
        for _ in 0..100 {
            let another = Arc::new(String::from("case file, revision 3"));
            assert!(pages.get("page", &another).is_none());
        }
    }
}
