//! The in-memory adapter: the [`local`](super::local) engine behind a mutex. For tests, and
//! for hosts that want a throw-away table; builds on wasm32 too.

use std::sync::{Arc, Mutex, MutexGuard};

use super::local::{Overlay, Tables};
use super::{Condition, Item, Key, Page, Query, Store, StoreError, Update, Updated, WriteOp, validate};
use omnicanal_platform::clock::SharedClock;

/// A table in memory; clones share it.
#[derive(Clone)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
    clock: SharedClock,
}

impl MemoryStore {
    /// An empty table whose TTL follows `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self { tables: Arc::new(Mutex::new(Tables::new())), clock }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic elsewhere never leaves the tables half-changed (changes apply after every
        // check), so a poisoned lock still guards consistent data.
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate::key(key)?;
        Ok(self.tables().get(key, self.clock.epoch_secs()))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        validate::batch_get(keys)?;
        let now = self.clock.epoch_secs();
        let tables = self.tables();
        Ok(keys.iter().map(|key| tables.get(key, now)).collect())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let start = validate::query(query)?;
        self.tables().query(query, start.as_ref(), self.clock.epoch_secs())
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let now = self.clock.epoch_secs();
        let mut tables = self.tables();
        let changes = tables.plan(ops, now)?;
        tables.apply(changes);
        Ok(())
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        let now = self.clock.epoch_secs();
        let mut tables = self.tables();
        let (answer, change) = tables.plan_update(key, updates, condition, now, &Overlay::new())?;
        tables.apply(change.into_iter().collect());
        Ok(answer)
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        let now = self.clock.epoch_secs();
        let mut tables = self.tables();
        let (old, changes) = tables.plan_replace(item, now, &Overlay::new())?;
        tables.apply(changes);
        Ok(old)
    }

    async fn pause(&self, _duration: std::time::Duration) {
        YieldNow(false).await;
    }
}

/// A future that lets the other tasks run once before it is ready.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
