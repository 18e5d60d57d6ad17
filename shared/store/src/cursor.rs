//! Opaque, URL-safe query cursors.
//!
//! A cursor is DynamoDB's `LastEvaluatedKey` (the table key, plus the GSI key for GSI
//! queries) as DynamoDB JSON, base64url without padding. Every adapter makes and reads the
//! same form, so a cursor stays valid whichever adapter serves the next page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AttributeValue, GSI1PK, GSI1SK, Index, Item, PK, SK, StoreError};

/// Where a query page stopped. Opaque to clients: build it only from a [`super::Page`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor as clients see it (URL-safe).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A cursor received from a client; checked when a query uses it.
    pub fn from_client(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The cursor for a page that stopped after `item`, for a query of `index`.
    pub fn after_item(index: Index, item: &Item) -> Result<Self, StoreError> {
        let names: &[&str] = match index {
            Index::Table => &[PK, SK],
            Index::Gsi1 => &[PK, SK, GSI1PK, GSI1SK],
        };
        let mut key = Item::new();
        for name in names {
            let value = item.get(*name).ok_or_else(|| StoreError::unavailable(format!("page item lacks {name}")))?;
            key.insert((*name).to_owned(), value.clone());
        }
        Self::from_last_evaluated_key(&key)
    }

    /// A cursor from DynamoDB's `LastEvaluatedKey`.
    pub fn from_last_evaluated_key(key: &Item) -> Result<Self, StoreError> {
        // A BTreeMap gives one byte form per key, whatever the HashMap's order.
        let ordered: std::collections::BTreeMap<&String, &AttributeValue> = key.iter().collect();
        let json = serde_json::to_vec(&ordered).map_err(|e| StoreError::because("cursor encoding", e))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(json)))
    }

    /// The `ExclusiveStartKey` this cursor stands for, checked against the query it is used
    /// with: it must carry string keys of the right index and the query's partition.
    pub fn to_start_key(&self, index: Index, partition: &str) -> Result<Item, StoreError> {
        let bytes = URL_SAFE_NO_PAD.decode(self.0.as_bytes()).map_err(|_| StoreError::InvalidCursor)?;
        let key: Item = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        let expected: &[&str] = match index {
            Index::Table => &[PK, SK],
            Index::Gsi1 => &[PK, SK, GSI1PK, GSI1SK],
        };
        if key.len() != expected.len()
            || !expected.iter().all(|name| matches!(key.get(*name), Some(AttributeValue::S(_))))
        {
            return Err(StoreError::InvalidCursor);
        }
        let partition_attr = match index {
            Index::Table => PK,
            Index::Gsi1 => GSI1PK,
        };
        match key.get(partition_attr) {
            Some(AttributeValue::S(pk)) if pk == partition => Ok(key),
            _ => Err(StoreError::InvalidCursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s;

    #[test]
    fn round_trips_and_checks_partition() {
        let item: Item =
            [(PK, s("P")), (SK, s("a")), ("x", s("ignored"))].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let cursor = Cursor::after_item(Index::Table, &item).expect("cursor");
        assert!(cursor.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let key = cursor.to_start_key(Index::Table, "P").expect("same partition");
        assert_eq!(key.len(), 2);
        assert_eq!(cursor.to_start_key(Index::Table, "Q"), Err(StoreError::InvalidCursor));
        assert_eq!(cursor.to_start_key(Index::Gsi1, "P"), Err(StoreError::InvalidCursor));
        assert_eq!(Cursor::from_client("not base64!").to_start_key(Index::Table, "P"), Err(StoreError::InvalidCursor));
    }
}
