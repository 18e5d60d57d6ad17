//! The embedded adapter: the local server's durable table, one `redb` file in the data dir.
//!
//! Why `redb`: pure Rust (no C toolchain, no server), ACID transactions with fsync on commit,
//! crash-safe copy-on-write B-trees, a stable file format, and active maintenance. The file
//! is the source of truth; a copy of the table in memory (the [`local`](super::local) engine
//! the memory adapter uses too) answers reads and checks conditions, so both local adapters
//! share one implementation of DynamoDB's semantics. The whole table is loaded at open,
//! which suits a local server's data set.
//!
//! Writes go through one committer thread, in **groups**: every batch waiting when a commit
//! starts is checked in memory, in arrival order, each seeing the ones before it; the
//! group's changes are committed to the file in one redb transaction (one fsync for all);
//! and only then applied in memory and answered. Readers never see a change before it is
//! on disk, a failed commit changes nothing, and under load the fsync's cost is shared by
//! every writer waiting instead of queueing them one fsync each.

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use super::local::{Overlay, Tables};
use super::{Condition, Item, Key, Page, Query, Store, StoreError, Update, Updated, WriteOp, validate};
use omnicanal_platform::clock::SharedClock;

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

/// The file and its copy in memory, shared by readers and the committer.
struct Inner {
    db: Database,
    tables: Mutex<Tables>,
}

/// What a job asks the committer to write.
enum Work {
    /// [`Store::transact`].
    Batch(Vec<WriteOp>),
    /// [`Store::update_returning`].
    Update { key: Key, updates: Vec<Update>, condition: Condition },
    /// [`Store::replace`].
    Replace(Item),
}

/// What the committer answers a job.
enum Answer {
    /// The batch applied.
    Batch,
    /// The update's outcome.
    Update(Updated),
    /// The item a replace replaced.
    Replaced(Option<Item>),
}

/// One write waiting for the committer, and where its outcome goes.
struct Job {
    work: Work,
    now: i64,
    done: oneshot::Sender<Result<Answer, StoreError>>,
}

/// The committer thread; dropping the last store stops it and waits, so the file is closed
/// when the store is gone (a reopen in the same process then succeeds).
struct Committer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// At most this many batches share one commit, so one group's answer is never held back
/// long behind a flood of others.
const MAX_GROUP: usize = 256;

/// The durable file-backed table; clones share it.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
    committer: Arc<Committer>,
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
        let inner = Arc::new(Inner { db, tables: Mutex::new(tables) });
        let (jobs, queue) = mpsc::channel();
        let worker = inner.clone();
        let thread = std::thread::Builder::new()
            .name("omnicanal-commit".into())
            .spawn(move || commit_loop(&worker, &queue))
            .map_err(|e| failed(format!("starting the committer: {e}")))?;
        Ok(Self { inner, committer: Arc::new(Committer { jobs: Some(jobs), thread: Some(thread) }), clock })
    }
}

/// Takes every batch waiting (up to [`MAX_GROUP`]) and commits them together, until the
/// last store is dropped.
fn commit_loop(inner: &Inner, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        inner.commit_group(group);
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
            .map_err(|e| StoreError::because(format!("corrupt item {pk}/{sk}"), e))?;
        changes.push((Key::new(pk, sk), Some(item)));
    }
    tables.apply(changes);
    Ok(tables)
}

fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::because("embedded store", err)
}

impl Inner {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        // Changes reach the engine only after the file commit, so a poisoned lock still
        // guards data that matches the file.
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Plans each batch in order over the ones before it, commits what passed in one file
    /// transaction, then applies it in memory and answers every batch.
    fn commit_group(&self, mut group: Vec<Job>) {
        let mut overlay = Overlay::new();
        let outcomes: Vec<Result<Answer, StoreError>> = {
            // Only this thread writes, so the table cannot change between plan and apply.
            let tables = self.tables();
            group
                .iter_mut()
                .map(|job| match std::mem::replace(&mut job.work, Work::Batch(Vec::new())) {
                    Work::Batch(ops) => {
                        overlay.extend(tables.plan_over(ops, job.now, &overlay)?);
                        Ok(Answer::Batch)
                    }
                    Work::Update { key, updates, condition } => {
                        let (answer, change) = tables.plan_update(&key, updates, condition, job.now, &overlay)?;
                        overlay.extend(change);
                        Ok(Answer::Update(answer))
                    }
                    Work::Replace(item) => {
                        let (old, changes) = tables.plan_replace(item, job.now, &overlay)?;
                        overlay.extend(changes);
                        Ok(Answer::Replaced(old))
                    }
                })
                .collect()
        };
        let committed = self.persist(&overlay);
        if committed.is_ok() {
            self.tables().apply(overlay.into_iter().collect());
        }
        for (job, outcome) in group.into_iter().zip(outcomes) {
            // A refused update read state that the failed commit may have held: it fails too.
            let answer = match (&committed, outcome) {
                (Err(err), Ok(_)) => Err(StoreError::unavailable(err.clone())),
                (_, outcome) => outcome,
            };
            // The caller may have gone (its request was cancelled): nothing to tell.
            let _ = job.done.send(answer);
        }
    }

    /// Writes each key's final state in one redb transaction; the error as text, as it is
    /// told to every batch of the group.
    fn persist(&self, changes: &Overlay) -> Result<(), String> {
        if changes.is_empty() {
            return Ok(());
        }
        let text = |err: StoreError| err.to_string();
        let write = self.db.begin_write().map_err(unavailable).map_err(text)?;
        {
            let mut table = write.open_table(ITEMS).map_err(unavailable).map_err(text)?;
            for (key, item) in changes {
                let id = (key.pk.as_str(), key.sk.as_str());
                match item {
                    Some(item) => {
                        let bytes = serde_json::to_vec(item).map_err(unavailable).map_err(text)?;
                        table.insert(id, bytes.as_slice()).map_err(unavailable).map_err(text)?;
                    }
                    None => {
                        table.remove(id).map_err(unavailable).map_err(text)?;
                    }
                }
            }
        }
        write.commit().map_err(unavailable).map_err(text)
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
        self.commit(Work::Batch(ops)).await.map(|_| ())
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        validate::key(key)?;
        match self.commit(Work::Update { key: key.clone(), updates, condition }).await? {
            Answer::Update(updated) => Ok(updated),
            _ => Err(StoreError::unavailable("embedded store: another job's answer to an update")),
        }
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        match self.commit(Work::Replace(item)).await? {
            Answer::Replaced(old) => Ok(old),
            _ => Err(StoreError::unavailable("embedded store: another job's answer to a replace")),
        }
    }

    async fn pause(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

impl EmbeddedStore {
    /// Hands `work` to the committer and waits for its answer.
    async fn commit(&self, work: Work) -> Result<Answer, StoreError> {
        let (done, outcome) = oneshot::channel();
        let job = Job { work, now: self.clock.epoch_secs(), done };
        let gone = || StoreError::unavailable("embedded store: the committer has stopped");
        self.committer.jobs.as_ref().ok_or_else(gone)?.send(job).map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}
