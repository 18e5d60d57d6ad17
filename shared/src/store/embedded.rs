//! The embedded adapter: the local server's durable table, one `redb` file in the data dir.
//!
//! Why `redb`: pure Rust (no C toolchain, no server), ACID transactions with fsync on commit,
//! crash-safe copy-on-write B-trees, a stable file format, and active maintenance. The file
//! is the source of truth; a copy of the table in memory (the [`local`](super::local) engine
//! the memory adapter uses too) answers reads and checks conditions, so both local adapters
//! share one implementation of DynamoDB's semantics. A batch of writes is checked in memory,
//! committed to the file, and only then applied in memory: a failed commit changes nothing.
//! The whole table is loaded at open, which suits a local server's data set.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::local::{Change, Tables};
use super::{Item, Key, Page, Query, Store, StoreError, WriteOp, validate};
use crate::clock::SharedClock;

/// Items by (`pk`, `sk`), each stored as DynamoDB JSON.
const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");

/// The file's name inside the data dir.
pub const FILE_NAME: &str = "omnicanal.redb";

/// Why the embedded store could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data dir could not be created.
    #[error("creating data dir {path}: {source}")]
    DataDir {
        /// The dir.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file could not be opened (held by another process, corrupt, unreadable).
    #[error("opening {path}: {message}")]
    Database {
        /// The file.
        path: String,
        /// The cause.
        message: String,
    },
}

struct Inner {
    db: Database,
    tables: Mutex<Tables>,
}

/// The durable file-backed table; clones share it.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
    clock: SharedClock,
}

impl EmbeddedStore {
    /// Opens (or creates) `<data_dir>/omnicanal.redb` and loads it.
    pub fn open(data_dir: &Path, clock: SharedClock) -> Result<Self, OpenError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| OpenError::DataDir { path: data_dir.display().to_string(), source })?;
        let path = data_dir.join(FILE_NAME);
        let failed = |message: String| OpenError::Database { path: path.display().to_string(), message };
        let db = Database::create(&path).map_err(|e| failed(e.to_string()))?;
        let tables = load(&db).map_err(|e| failed(e.to_string()))?;
        Ok(Self { inner: Arc::new(Inner { db, tables: Mutex::new(tables) }), clock })
    }
}

/// Reads every item of the file into the engine.
fn load(db: &Database) -> Result<Tables, StoreError> {
    let write = db.begin_write().map_err(unavailable)?;
    // Creates the table on first open, so that reading it below cannot fail.
    write.open_table(ITEMS).map_err(unavailable)?;
    write.commit().map_err(unavailable)?;
    let read = db.begin_read().map_err(unavailable)?;
    let table = read.open_table(ITEMS).map_err(unavailable)?;
    let mut tables = Tables::new();
    let mut changes = Vec::new();
    for entry in table.iter().map_err(unavailable)? {
        let (key, value) = entry.map_err(unavailable)?;
        let (pk, sk) = key.value();
        let item: Item = serde_json::from_slice(value.value())
            .map_err(|e| StoreError::Unavailable(format!("corrupt item {pk}/{sk}: {e}")))?;
        changes.push((Key::new(pk, sk), Some(item)));
    }
    tables.apply(changes);
    Ok(tables)
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {err}"))
}

impl Inner {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        // Changes reach the engine only after the file commit, so a poisoned lock still
        // guards data that matches the file.
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks, commits to the file, then applies in memory; under the lock throughout, so
    /// writers are serialised exactly as the conditions assume.
    fn transact(&self, ops: &[WriteOp], now: i64) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let changes = tables.plan(ops, now)?;
        self.persist(&changes)?;
        tables.apply(changes);
        Ok(())
    }

    fn persist(&self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let write = self.db.begin_write().map_err(unavailable)?;
        {
            let mut table = write.open_table(ITEMS).map_err(unavailable)?;
            for (key, item) in changes {
                let id = (key.pk.as_str(), key.sk.as_str());
                match item {
                    Some(item) => {
                        let bytes = serde_json::to_vec(item).map_err(unavailable)?;
                        table.insert(id, bytes.as_slice()).map_err(unavailable)?;
                    }
                    None => {
                        table.remove(id).map_err(unavailable)?;
                    }
                }
            }
        }
        write.commit().map_err(unavailable)
    }
}

impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate::key(key)?;
        Ok(self.inner.tables().get(key, self.clock.epoch_secs()))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        validate::batch_get(keys)?;
        let now = self.clock.epoch_secs();
        let tables = self.inner.tables();
        Ok(keys.iter().map(|key| tables.get(key, now)).collect())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let start = validate::query(query)?;
        self.inner.tables().query(query, start.as_ref(), self.clock.epoch_secs())
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let now = self.clock.epoch_secs();
        let inner = self.inner.clone();
        // The commit waits for fsync: keep it off the async workers.
        tokio::task::spawn_blocking(move || inner.transact(&ops, now))
            .await
            .map_err(|e| StoreError::Unavailable(format!("embedded store worker: {e}")))?
    }
}
