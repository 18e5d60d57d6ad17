//! The table held in process: the engine both local adapters share (memory on its own,
//! embedded as a cache in front of its file), so they answer exactly alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use super::eval::{apply_updates, canonical_number, evaluate};
use super::size::item_size;
use super::{
    AttributeValue, Condition, Cursor, GSI1PK, GSI1SK, Index, Item, Key, MAX_QUERY_PAGE_BYTES, Page, Query, StoreError,
    Update, Updated, WriteOp, is_expired, validate,
};

/// A key of the GSI: its own key, then the table key (the order among equal GSI keys).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GsiKey {
    pk: String,
    sk: String,
    table: Key,
}

impl GsiKey {
    fn of(item: &Item, table: &Key) -> Option<Self> {
        match (item.get(GSI1PK), item.get(GSI1SK)) {
            (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => {
                Some(Self { pk: pk.clone(), sk: sk.clone(), table: table.clone() })
            }
            _ => None,
        }
    }
}

/// What a batch of writes does to one item: its new state, or `None` when deleted.
pub type Change = (Key, Option<Item>);

/// Changes planned but not applied yet, by key: batches planned together (a group commit)
/// each see the ones before them through it.
pub type Overlay = HashMap<Key, Option<Item>>;

/// The table and its GSI, in key order.
#[derive(Debug, Default)]
pub struct Tables {
    items: BTreeMap<Key, Item>,
    gsi: BTreeSet<GsiKey>,
}

impl Tables {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored items (expired ones included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One live item.
    pub fn get(&self, key: &Key, now: i64) -> Option<Item> {
        self.live(key, now).cloned()
    }

    fn live(&self, key: &Key, now: i64) -> Option<&Item> {
        self.items.get(key).filter(|item| !is_expired(item, now))
    }

    /// One page of a query (already validated; `start` is the decoded cursor).
    pub fn query(&self, query: &Query, start: Option<&Item>, now: i64) -> Result<Page, StoreError> {
        let prefix = query.sk_prefix.as_deref().unwrap_or("");
        let keys: Box<dyn Iterator<Item = (&Key, &str)>> = match query.index {
            Index::Table => Box::new(self.table_keys(query, start)),
            Index::Gsi1 => Box::new(self.gsi_keys(query, start)?),
        };
        let mut page = Page::default();
        let mut evaluated = 0u32;
        let mut bytes = 0usize;
        let mut in_prefix = false;
        for (key, sort_key) in keys {
            // Sort keys with the prefix are contiguous: skip up to them, stop after them.
            if !sort_key.starts_with(prefix) {
                if in_prefix {
                    break;
                }
                continue;
            }
            in_prefix = true;
            let Some(item) = self.items.get(key) else { continue };
            evaluated += 1;
            bytes += item_size(item);
            if !is_expired(item, now) {
                page.items.push(item.clone());
            }
            if evaluated >= query.limit || bytes >= MAX_QUERY_PAGE_BYTES {
                page.cursor = Some(Cursor::after_item(query.index, item)?);
                break;
            }
        }
        Ok(page)
    }

    fn table_keys<'a>(&'a self, query: &'a Query, start: Option<&Item>) -> impl Iterator<Item = (&'a Key, &'a str)> {
        // Nothing before the prefix can match: start there.
        let first = Key::new(query.pk.clone(), query.sk_prefix.clone().unwrap_or_default());
        let past = Key::new(format!("{}\0", query.pk), String::new());
        let after = start.and_then(Key::of);
        let range = match (query.descending, after) {
            (false, Some(after)) => self.items.range((Bound::Excluded(after), Bound::Excluded(past))),
            (true, Some(after)) => self.items.range((Bound::Included(first), Bound::Excluded(after))),
            (_, None) => self.items.range((Bound::Included(first), Bound::Excluded(past))),
        };
        let keys = range.map(|(key, _)| (key, key.sk.as_str()));
        let boxed: Box<dyn Iterator<Item = _>> = if query.descending { Box::new(keys.rev()) } else { Box::new(keys) };
        boxed
    }

    fn gsi_keys<'a>(
        &'a self,
        query: &'a Query,
        start: Option<&Item>,
    ) -> Result<impl Iterator<Item = (&'a Key, &'a str)>, StoreError> {
        let first = GsiKey {
            pk: query.pk.clone(),
            sk: query.sk_prefix.clone().unwrap_or_default(),
            table: Key::new(String::new(), String::new()),
        };
        let past = GsiKey { pk: format!("{}\0", query.pk), ..first.clone() };
        let after = match start {
            None => None,
            Some(item) => {
                let table = Key::of(item).ok_or(StoreError::InvalidCursor)?;
                Some(GsiKey::of(item, &table).ok_or(StoreError::InvalidCursor)?)
            }
        };
        let range = match (query.descending, after) {
            (false, Some(after)) => self.gsi.range((Bound::Excluded(after), Bound::Excluded(past))),
            (true, Some(after)) => self.gsi.range((Bound::Included(first), Bound::Excluded(after))),
            (_, None) => self.gsi.range((Bound::Included(first), Bound::Excluded(past))),
        };
        let keys = range.map(|entry| (&entry.table, entry.sk.as_str()));
        let boxed: Box<dyn Iterator<Item = _>> = if query.descending { Box::new(keys.rev()) } else { Box::new(keys) };
        Ok(boxed)
    }

    /// What `ops` would change, without changing anything: every condition is checked against
    /// the live items, and all failing actions are reported together.
    pub fn plan(&self, ops: Vec<WriteOp>, now: i64) -> Result<Vec<Change>, StoreError> {
        self.plan_over(ops, now, &Overlay::new())
    }

    /// As [`Tables::plan`], against the table with `overlay`'s changes on top. Takes the
    /// batch by value: a put's item becomes the stored item without a copy.
    pub fn plan_over(&self, ops: Vec<WriteOp>, now: i64, overlay: &Overlay) -> Result<Vec<Change>, StoreError> {
        validate::transact(&ops)?;
        let stored = |key: &Key| match overlay.get(key) {
            Some(state) => state.as_ref(),
            None => self.items.get(key),
        };
        let failed: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                let live = op.key().and_then(|key| stored(&key).filter(|item| !is_expired(item, now)));
                op.condition().is_some_and(|condition| !evaluate(condition, live))
            })
            .map(|(index, _)| index)
            .collect();
        if !failed.is_empty() {
            return Err(StoreError::ConditionFailed { failed });
        }
        let mut changes = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                WriteOp::Put { item, .. } => {
                    let item = canonical(item)?;
                    let key = Key::of(&item).ok_or_else(|| StoreError::Invalid("put without keys".into()))?;
                    changes.push((key, Some(item)));
                }
                WriteOp::Update { key, updates, .. } => {
                    // Like DynamoDB, an update sees an expired item's attributes until the
                    // item is gone; conditions above saw it as absent.
                    let item = canonical(apply_updates(stored(&key), &key, &updates)?)?;
                    validate::item(&item)?;
                    changes.push((key, Some(item)));
                }
                WriteOp::Delete { key, .. } => changes.push((key, None)),
                WriteOp::Check { .. } => {}
            }
        }
        Ok(changes)
    }

    /// The live item at `key` as the table plus `overlay` hold it.
    pub fn get_over(&self, key: &Key, now: i64, overlay: &Overlay) -> Option<Item> {
        let stored = match overlay.get(key) {
            Some(state) => state.as_ref(),
            None => self.items.get(key),
        };
        stored.filter(|item| !is_expired(item, now)).cloned()
    }

    /// A single conditional update as [`Store::update_returning`](super::Store::update_returning)
    /// answers it, planned over `overlay`, with the change to apply when it held.
    pub fn plan_update(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
        now: i64,
        overlay: &Overlay,
    ) -> Result<(Updated, Option<Change>), StoreError> {
        let op = WriteOp::Update { key: key.clone(), updates, condition: Some(condition) };
        match self.plan_over(vec![op], now, overlay) {
            Ok(mut changes) => match changes.pop() {
                Some((changed, Some(item))) => Ok((Updated::Applied(item.clone()), Some((changed, Some(item))))),
                _ => Err(StoreError::Invalid("an update planned no item".into())),
            },
            Err(StoreError::ConditionFailed { .. }) => Ok((Updated::Refused(self.get_over(key, now, overlay)), None)),
            Err(other) => Err(other),
        }
    }

    /// An unconditional put as [`Store::replace`](super::Store::replace) answers it,
    /// planned over `overlay`: the live item it replaces, and the change to apply.
    pub fn plan_replace(
        &self,
        item: Item,
        now: i64,
        overlay: &Overlay,
    ) -> Result<(Option<Item>, Vec<Change>), StoreError> {
        let key = Key::of(&item).ok_or_else(|| StoreError::Invalid("an item needs string `pk` and `sk`".into()))?;
        let old = self.get_over(&key, now, overlay);
        let changes = self.plan_over(vec![WriteOp::Put { item, condition: None }], now, overlay)?;
        Ok((old, changes))
    }

    /// Applies changes made by [`Tables::plan`] (or read back from a file).
    pub fn apply(&mut self, changes: Vec<Change>) {
        for (key, new) in changes {
            if let Some(old) = self.items.remove(&key)
                && let Some(entry) = GsiKey::of(&old, &key)
            {
                self.gsi.remove(&entry);
            }
            if let Some(item) = new {
                if let Some(entry) = GsiKey::of(&item, &key) {
                    self.gsi.insert(entry);
                }
                self.items.insert(key, item);
            }
        }
    }
}

/// Numbers in their canonical form, as DynamoDB stores them.
fn canonical(mut item: Item) -> Result<Item, StoreError> {
    for value in item.values_mut() {
        if let AttributeValue::N(n) = value {
            *n = canonical_number(n)?;
        }
    }
    Ok(item)
}
