//! The Store port: the single DynamoDB table as the domain sees it.
//!
//! One table, string keys `pk`/`sk`, one global secondary index `gsi1pk`/`gsi1sk`, and a TTL
//! attribute `expires_at` (a Number, epoch seconds). Every adapter (embedded file, memory,
//! DynamoDB through the SDK, DynamoDB over HTTPS with SigV4) implements [`Store`] with
//! DynamoDB's semantics and limits, so that nothing passes locally that would fail on
//! DynamoDB. The rules every adapter shares live here and in [`validate`]:
//!
//! - **TTL.** An item whose `expires_at` is a Number lower than the adapter clock's current
//!   epoch second is *expired*: reads never return it and conditions see it as absent, even
//!   before anything deletes it (DynamoDB deletes expired items only eventually). An
//!   unconditioned update of an expired item still sees its old attributes, as on DynamoDB.
//! - **Reads.** `get` and `batch_get` are strongly consistent; a query of the table is
//!   strongly consistent, a query of the GSI is eventually consistent (as on DynamoDB).
//! - **Writes.** One atomic batch of at most [`MAX_TRANSACT_ACTIONS`] actions, one action per
//!   item, items of at most [`MAX_ITEM_BYTES`]; either every condition holds and every
//!   action applies, or nothing changes and [`StoreError::ConditionFailed`] names the actions
//!   whose condition failed.
//! - **Paging.** `limit` counts the items *evaluated* (expired ones included), a page stops at
//!   the limit or at 1 MB, and a cursor is returned whenever a page stopped early, even when
//!   nothing follows: exactly DynamoDB's `Limit` and `LastEvaluatedKey`.

pub mod cursor;
pub mod eval;
pub mod path;
pub mod size;
pub mod validate;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(all(feature = "embedded", not(target_arch = "wasm32")))]
pub mod embedded;
pub mod local;
pub mod memory;

use std::collections::HashMap;

pub use cursor::Cursor;
pub use path::Path;
pub use serde_dynamo::AttributeValue;

/// An item: attribute names to DynamoDB attribute values (the shape `serde_dynamo` maps
/// domain records to and from).
pub type Item = HashMap<String, AttributeValue>;

/// Partition key attribute of the table.
pub const PK: &str = "pk";
/// Sort key attribute of the table.
pub const SK: &str = "sk";
/// Partition key attribute of the one global secondary index.
pub const GSI1PK: &str = "gsi1pk";
/// Sort key attribute of the one global secondary index.
pub const GSI1SK: &str = "gsi1sk";
/// Name of the one global secondary index.
pub const GSI1_NAME: &str = "gsi1";
/// The TTL attribute: a Number, epoch seconds.
pub const EXPIRES_AT: &str = "expires_at";

/// DynamoDB's limit on actions in one `TransactWriteItems`.
pub const MAX_TRANSACT_ACTIONS: usize = 100;
/// DynamoDB's limit on keys in one `BatchGetItem`.
pub const MAX_BATCH_GET_KEYS: usize = 100;
/// DynamoDB's limit on the size of one item (names and values), in bytes.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on the total size of one transaction, in bytes.
pub const MAX_TRANSACT_BYTES: usize = 4 * 1024 * 1024;
/// DynamoDB's limit on the partition key value, in bytes.
pub const MAX_PK_BYTES: usize = 2048;
/// DynamoDB's limit on the sort key value, in bytes.
pub const MAX_SK_BYTES: usize = 1024;
/// DynamoDB stops a query page after this many bytes of evaluated items.
pub const MAX_QUERY_PAGE_BYTES: usize = 1024 * 1024;

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// The key of an item, if it carries both key attributes as strings.
    pub fn of(item: &Item) -> Option<Self> {
        match (item.get(PK), item.get(SK)) {
            (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some(Self::new(pk.clone(), sk.clone())),
            _ => None,
        }
    }
}

/// A comparison in a [`Condition::Compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A typed condition on one item, rendered to a DynamoDB `ConditionExpression` by the
/// DynamoDB adapters and evaluated by [`eval`] in the local ones.
///
/// Attributes are [`Path`]s: top-level names, or values inside nested maps. Comparisons
/// follow DynamoDB: a missing attribute or one of another type than the operand makes `Eq`,
/// `Lt`, `Le`, `Gt`, `Ge` false and `Ne` true; numbers compare as numbers, strings and
/// binaries by bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The item exists and has not expired.
    Exists,
    /// The item does not exist, or has expired.
    NotExists,
    /// The (live) item has this attribute.
    AttributeExists(Path),
    /// The item is absent or lacks this attribute.
    AttributeNotExists(Path),
    /// Compares an attribute of the (live) item with a value.
    Compare {
        /// Attribute path.
        attr: Path,
        /// Operator.
        op: CompareOp,
        /// Right-hand operand.
        value: AttributeValue,
    },
    /// DynamoDB's `size(attr) <op> value`: the number of entries of a map, list or set, the
    /// length of a string or binary. False when the attribute is missing.
    Size {
        /// Attribute path.
        attr: Path,
        /// Operator.
        op: CompareOp,
        /// Right-hand operand.
        value: u64,
    },
    /// The attribute is a string starting with this prefix.
    BeginsWith {
        /// Attribute path.
        attr: Path,
        /// Prefix.
        prefix: String,
    },
    /// Every condition holds (true when empty).
    And(Vec<Condition>),
    /// At least one condition holds (false when empty).
    Or(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

impl Condition {
    /// `attr = value`.
    pub fn eq(attr: impl Into<Path>, value: AttributeValue) -> Self {
        Self::compare(attr, CompareOp::Eq, value)
    }

    /// `attr <op> value`.
    pub fn compare(attr: impl Into<Path>, op: CompareOp, value: AttributeValue) -> Self {
        Self::Compare { attr: attr.into(), op, value }
    }

    /// The item's numeric `version` attribute equals `version` (optimistic concurrency).
    pub fn version_equals(version: u64) -> Self {
        Self::eq("version", num(version))
    }

    /// The attribute exists.
    pub fn has(attr: impl Into<Path>) -> Self {
        Self::AttributeExists(attr.into())
    }

    /// The attribute does not exist (or the item is absent).
    pub fn lacks(attr: impl Into<Path>) -> Self {
        Self::AttributeNotExists(attr.into())
    }
}

/// A typed update of one attribute, rendered to a DynamoDB `UpdateExpression`.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// `SET attr = value`.
    Set {
        /// Attribute path (maps above it must exist).
        attr: Path,
        /// New value.
        value: AttributeValue,
    },
    /// `SET attr = if_not_exists(attr, value)`.
    SetIfNotExists {
        /// Attribute path (maps above it must exist).
        attr: Path,
        /// Value used when the attribute is missing.
        value: AttributeValue,
    },
    /// `ADD attr delta` on a Number (a missing attribute counts as 0).
    Add {
        /// Top-level attribute name.
        attr: Path,
        /// Signed amount.
        delta: i64,
    },
    /// `REMOVE attr`.
    Remove {
        /// Attribute path (maps above it must exist).
        attr: Path,
    },
}

impl Update {
    /// `SET attr = value`.
    pub fn set(attr: impl Into<Path>, value: AttributeValue) -> Self {
        Self::Set { attr: attr.into(), value }
    }

    /// `ADD attr delta`.
    pub fn add(attr: impl Into<Path>, delta: i64) -> Self {
        Self::Add { attr: attr.into(), delta }
    }

    /// `REMOVE attr`.
    pub fn remove(attr: impl Into<Path>) -> Self {
        Self::Remove { attr: attr.into() }
    }

    /// The attribute this update touches.
    pub fn attr(&self) -> &Path {
        match self {
            Self::Set { attr, .. }
            | Self::SetIfNotExists { attr, .. }
            | Self::Add { attr, .. }
            | Self::Remove { attr } => attr,
        }
    }
}

/// One action of an atomic batch of writes.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteOp {
    /// Replaces the whole item (`PutItem` / `Put`).
    Put {
        /// The full item, with `pk` and `sk`.
        item: Item,
        /// Must hold on the current item.
        condition: Option<Condition>,
    },
    /// Changes some attributes, creating the item when absent (`UpdateItem` / `Update`).
    Update {
        /// The item's key.
        key: Key,
        /// Updates, at most one per attribute; never `pk` or `sk`.
        updates: Vec<Update>,
        /// Must hold on the current item.
        condition: Option<Condition>,
    },
    /// Deletes the item (`DeleteItem` / `Delete`).
    Delete {
        /// The item's key.
        key: Key,
        /// Must hold on the current item.
        condition: Option<Condition>,
    },
    /// Writes nothing; the batch applies only if the condition holds (`ConditionCheck`).
    Check {
        /// The item's key.
        key: Key,
        /// Must hold on the current item.
        condition: Condition,
    },
}

impl WriteOp {
    /// The key of the item this action writes or checks (`None` for a put without keys,
    /// which validation refuses).
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Put { item, .. } => Key::of(item),
            Self::Update { key, .. } | Self::Delete { key, .. } | Self::Check { key, .. } => Some(key.clone()),
        }
    }

    /// The action's condition, if any.
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Self::Put { condition, .. } | Self::Update { condition, .. } | Self::Delete { condition, .. } => {
                condition.as_ref()
            }
            Self::Check { condition, .. } => Some(condition),
        }
    }
}

/// Which key a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// The table: partition `pk`, sorted by `sk`.
    Table,
    /// The GSI: partition `gsi1pk`, sorted by `gsi1sk` (eventually consistent).
    Gsi1,
}

/// A query of one partition, in sort key order.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Table or GSI.
    pub index: Index,
    /// The partition key value.
    pub pk: String,
    /// Only sort keys starting with this prefix (`begins_with`).
    pub sk_prefix: Option<String>,
    /// At most this many items evaluated (1..=1000 here; DynamoDB allows more, we never need it).
    pub limit: u32,
    /// Where the previous page stopped.
    pub cursor: Option<Cursor>,
    /// Newest (highest sort key) first.
    pub descending: bool,
}

impl Query {
    /// The first `limit` items of a table partition, ascending.
    pub fn partition(pk: impl Into<String>, limit: u32) -> Self {
        Self { index: Index::Table, pk: pk.into(), sk_prefix: None, limit, cursor: None, descending: false }
    }

    /// The first `limit` items of a GSI partition, ascending.
    pub fn gsi1(pk: impl Into<String>, limit: u32) -> Self {
        Self { index: Index::Gsi1, ..Self::partition(pk, limit) }
    }

    /// Narrows the query to sort keys starting with `prefix`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk_prefix = Some(prefix.into());
        self
    }

    /// Continues after `cursor`.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Reverses the order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

/// One page of a query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// Live items, in the query's order.
    pub items: Vec<Item>,
    /// Present when the page stopped at the limit or the size cap: pass it to continue.
    pub cursor: Option<Cursor>,
}

/// What a single conditional update did ([`Store::update_returning`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Updated {
    /// It applied; the whole item after it (`ReturnValues = ALL_NEW`).
    Applied(Item),
    /// Its condition failed and nothing changed; the item as it was (`None`: absent or
    /// expired), so the caller learns why without reading it again
    /// (`ReturnValuesOnConditionCheckFailure = ALL_OLD`).
    Refused(Option<Item>),
}

/// Why a Store call failed. Each variant says how the API should answer.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum StoreError {
    /// The batch was refused because these actions' conditions failed (indices into the
    /// batch, ascending). Nothing was written.
    #[error("condition failed on action(s) {failed:?}")]
    ConditionFailed {
        /// Indices of the actions whose condition did not hold.
        failed: Vec<usize>,
    },
    /// Other writers kept conflicting with this one (`TransactionConflict` after bounded
    /// retries). Safe to retry later.
    #[error("transaction conflict, retry later")]
    Conflict,
    /// The table refused for capacity (throttling after bounded retries).
    #[error("throttled, retry after {retry_after_secs}s")]
    Throttled {
        /// Seconds a client should wait.
        retry_after_secs: u32,
    },
    /// The call breaks one of DynamoDB's rules (too many actions, two actions on one item, an
    /// item over 400 KB, bad key attributes). A bug in the caller, never the client's fault.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// The cursor was not made by this query.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The store could not be reached or failed (I/O, network, an unexpected answer, a stored
    /// item of the wrong shape).
    #[error("store unavailable: {what}")]
    Unavailable {
        /// What failed.
        what: String,
        /// Why, when another error says so.
        #[source]
        cause: Option<Cause>,
    },
}

impl StoreError {
    /// The store failed, for a reason `what` says in full.
    pub fn unavailable(what: impl Into<String>) -> Self {
        Self::Unavailable { what: what.into(), cause: None }
    }

    /// The store failed at `what` because of `cause`, kept as the error's source.
    pub fn because(what: impl Into<String>, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable { what: what.into(), cause: Some(Cause(std::sync::Arc::new(cause))) }
    }
}

/// The error behind a [`StoreError`], shared so that the error stays `Clone`; two causes are
/// equal when they say the same.
#[derive(Clone, Debug)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// The single table. Implementations are cheap to share by reference; futures are not
/// required to be `Send` (Workers' are not), and callers use the trait through generics so
/// that native hosts still get `Send` futures.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// One item by key, strongly consistent. Expired items read as `None`.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Up to [`MAX_BATCH_GET_KEYS`] distinct items, strongly consistent; the answer has one
    /// entry per key, in the order of `keys`.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;

    /// One page of a partition of the table or of the GSI.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Applies all actions or none (see the module docs for the rules).
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// One conditional update of one item in one round trip (`UpdateItem`), answering the
    /// item after it, or the item as it was when the condition failed. The rules of an
    /// update in [`Store::transact`] apply.
    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError>;

    /// Puts `item` unconditionally in one round trip (`PutItem` with `ReturnValues =
    /// ALL_OLD`), answering the item it replaced (`None`: there was none, or it had
    /// expired). The rules of a put in [`Store::transact`] apply.
    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError>;

    /// Waits `duration` on the host's timer: a read–decide–write that lost a race backs off
    /// before it reads again (`omnicanal_domain::plan`). The in-memory table answers at once,
    /// so there it only yields to the other tasks.
    async fn pause(&self, duration: std::time::Duration);
}

/// Puts `item`, creating it if absent (`Ok(true)`) or replacing it (`Ok(false)`), in one
/// round trip: for resources whose `PUT` answers `201` on create and `200` on replace.
pub async fn put_create_or_replace<S: Store>(store: &S, item: Item) -> Result<bool, StoreError> {
    Ok(store.replace(item).await?.is_none())
}

/// A Number attribute from an integer.
pub fn num(n: impl Into<i128>) -> AttributeValue {
    AttributeValue::N(n.into().to_string())
}

/// A String attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Whether `item` has expired at `now_epoch_secs` (its `expires_at` is a Number below it).
pub fn is_expired(item: &Item, now_epoch_secs: i64) -> bool {
    match item.get(EXPIRES_AT) {
        Some(AttributeValue::N(n)) => eval::parse_number(n).is_some_and(|at| at < now_epoch_secs as f64),
        _ => false,
    }
}
