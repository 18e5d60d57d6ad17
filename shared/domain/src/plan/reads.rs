//! What an attempt read: the items of one batch read, found by key.

use std::collections::HashMap;

use omnicanal_store::{Item, Key};

/// The items a batch read found, by key; a key it found nothing under is absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reads {
    items: HashMap<Key, Item>,
}

impl Reads {
    /// Pairs the keys asked for with what the batch read answered, in order.
    pub fn from_batch(keys: &[Key], found: Vec<Option<Item>>) -> Self {
        let items = keys.iter().cloned().zip(found).filter_map(|(key, item)| item.map(|item| (key, item))).collect();
        Self { items }
    }

    /// Items as a test or a replay builds them, without a store.
    pub fn of(items: impl IntoIterator<Item = (Key, Item)>) -> Self {
        Self { items: items.into_iter().collect() }
    }

    /// The item under `key`, if the read found one.
    pub fn get(&self, key: &Key) -> Option<&Item> {
        self.items.get(key)
    }

    /// Adds or replaces an item (a plan that reads in two stages adds the second).
    pub fn insert(&mut self, key: Key, item: Item) {
        self.items.insert(key, item);
    }
}
