//! DynamoDB's request rules, checked the same way before every adapter runs a call, so a
//! request the real table would refuse is refused locally too.

use std::collections::HashSet;

use super::size::item_size;
use super::{
    AttributeValue, Condition, GSI1PK, GSI1SK, Item, Key, MAX_BATCH_GET_KEYS, MAX_ITEM_BYTES, MAX_PK_BYTES,
    MAX_SK_BYTES, MAX_TRANSACT_ACTIONS, MAX_TRANSACT_BYTES, PK, Query, SK, StoreError, Update, WriteOp,
};

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

/// Checks a key: both parts non-empty and within DynamoDB's byte limits.
pub fn key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.pk.len() > MAX_PK_BYTES {
        return Err(invalid(format!("partition key must be 1 to {MAX_PK_BYTES} bytes")));
    }
    if key.sk.is_empty() || key.sk.len() > MAX_SK_BYTES {
        return Err(invalid(format!("sort key must be 1 to {MAX_SK_BYTES} bytes")));
    }
    Ok(())
}

/// Checks a whole item as it would be stored: string keys, GSI keys (when present) non-empty
/// strings, well-formed values and at most [`MAX_ITEM_BYTES`].
pub fn item(item: &Item) -> Result<(), StoreError> {
    let Some(item_key) = Key::of(item) else {
        return Err(invalid("an item needs string `pk` and `sk`"));
    };
    key(&item_key)?;
    for gsi_attr in [GSI1PK, GSI1SK] {
        match item.get(gsi_attr) {
            None => {}
            Some(AttributeValue::S(text)) if !text.is_empty() && text.len() <= MAX_PK_BYTES => {}
            Some(_) => return Err(invalid(format!("`{gsi_attr}` must be a non-empty string"))),
        }
    }
    for value in item.values() {
        value_shape(value)?;
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(invalid(format!("item of {size} bytes is over DynamoDB's {MAX_ITEM_BYTES}")));
    }
    Ok(())
}

/// Numbers must parse; sets must be non-empty and without duplicates.
fn value_shape(value: &AttributeValue) -> Result<(), StoreError> {
    match value {
        AttributeValue::N(n) => super::eval::canonical_number(n).map(|_| ()),
        AttributeValue::Ss(set) => distinct_non_empty(set),
        AttributeValue::Ns(set) => {
            set.iter().try_for_each(|n| super::eval::canonical_number(n).map(|_| ()))?;
            distinct_non_empty(set)
        }
        AttributeValue::Bs(set) => distinct_non_empty(set),
        AttributeValue::L(list) => list.iter().try_for_each(value_shape),
        AttributeValue::M(map) => map.values().try_for_each(value_shape),
        _ => Ok(()),
    }
}

fn distinct_non_empty<T: Eq + std::hash::Hash>(set: &[T]) -> Result<(), StoreError> {
    let unique: HashSet<&T> = set.iter().collect();
    if set.is_empty() || unique.len() != set.len() {
        return Err(invalid("sets must be non-empty and without duplicates"));
    }
    Ok(())
}

fn condition(condition: &Condition) -> Result<(), StoreError> {
    match condition {
        Condition::Compare { value, .. } => value_shape(value),
        Condition::And(all) | Condition::Or(all) => all.iter().try_for_each(self::condition),
        Condition::Not(inner) => self::condition(inner),
        _ => Ok(()),
    }
}

fn updates(updates: &[Update]) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Err(invalid("an update needs at least one change"));
    }
    for (index, update) in updates.iter().enumerate() {
        let path = update.attr();
        let attr = path.top();
        if attr == PK || attr == SK {
            return Err(invalid("key attributes cannot be updated"));
        }
        if path.segments().iter().any(String::is_empty) {
            return Err(invalid(format!("empty attribute name in `{path}`")));
        }
        if updates[..index].iter().any(|earlier| earlier.attr().overlaps(path)) {
            // DynamoDB: "Two document paths overlap with each other".
            return Err(invalid(format!("`{path}` overlaps another path of the same update")));
        }
        if matches!(update, Update::Add { .. }) && !path.is_top() {
            return Err(invalid(format!("ADD to `{path}`: only top-level attributes are supported here")));
        }
        match update {
            Update::Set { value, .. } | Update::SetIfNotExists { value, .. } => value_shape(value)?,
            Update::Add { .. } | Update::Remove { .. } => {}
        }
        let is_gsi_key = path.is_top() && (attr == GSI1PK || attr == GSI1SK);
        if let (true, Update::Set { value, .. } | Update::SetIfNotExists { value, .. }) = (is_gsi_key, update)
            && !matches!(value, AttributeValue::S(text) if !text.is_empty())
        {
            return Err(invalid(format!("`{attr}` must be a non-empty string")));
        }
    }
    Ok(())
}

/// Checks a batch of writes against DynamoDB's `TransactWriteItems` rules. Item size after an
/// update is checked by the adapter that applies it.
pub fn transact(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACT_ACTIONS {
        return Err(invalid(format!("a transaction holds 1 to {MAX_TRANSACT_ACTIONS} actions, not {}", ops.len())));
    }
    let mut keys = HashSet::with_capacity(ops.len());
    let mut total = 0;
    for op in ops {
        let op_key = op.key().ok_or_else(|| invalid("an item needs string `pk` and `sk`"))?;
        key(&op_key)?;
        if !keys.insert(op_key.clone()) {
            return Err(invalid(format!("two actions on one item ({}/{}) in one transaction", op_key.pk, op_key.sk)));
        }
        if let Some(c) = op.condition() {
            condition(c)?;
        }
        match op {
            WriteOp::Put { item: new, .. } => {
                item(new)?;
                total += item_size(new);
            }
            WriteOp::Update { updates: list, .. } => updates(list)?,
            WriteOp::Delete { .. } | WriteOp::Check { .. } => {}
        }
        total += op_key.pk.len() + op_key.sk.len();
    }
    if total > MAX_TRANSACT_BYTES {
        return Err(invalid(format!("transaction of {total} bytes is over {MAX_TRANSACT_BYTES}")));
    }
    Ok(())
}

/// Checks a batch read: at most [`MAX_BATCH_GET_KEYS`] distinct valid keys.
pub fn batch_get(keys: &[Key]) -> Result<(), StoreError> {
    if keys.len() > MAX_BATCH_GET_KEYS {
        return Err(invalid(format!("a batch get reads at most {MAX_BATCH_GET_KEYS} keys")));
    }
    let mut seen = HashSet::with_capacity(keys.len());
    for k in keys {
        key(k)?;
        if !seen.insert(k) {
            // DynamoDB: "Provided list of item keys contains duplicates".
            return Err(invalid("a batch get lists the same key twice"));
        }
    }
    Ok(())
}

/// Checks a query: a non-empty partition, a limit of 1 to 1000, a cursor of this query.
/// Returns the decoded start key, if any.
pub fn query(query: &Query) -> Result<Option<Item>, StoreError> {
    if query.pk.is_empty() || query.pk.len() > MAX_PK_BYTES {
        return Err(invalid("a query needs a partition key of 1 to 2048 bytes"));
    }
    if !(1..=1000).contains(&query.limit) {
        return Err(invalid("a query limit is 1 to 1000"));
    }
    query.cursor.as_ref().map(|cursor| cursor.to_start_key(query.index, &query.pk)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{num, s};

    fn put(pk: &str, sk: &str) -> WriteOp {
        WriteOp::Put { item: Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))]), condition: None }
    }

    #[test]
    fn transaction_limits() {
        assert!(transact(&[]).is_err());
        let hundred: Vec<WriteOp> = (0..100).map(|i| put("P", &i.to_string())).collect();
        assert!(transact(&hundred).is_ok());
        let too_many: Vec<WriteOp> = (0..101).map(|i| put("P", &i.to_string())).collect();
        assert!(transact(&too_many).is_err());
        assert!(transact(&[put("P", "a"), put("P", "a")]).is_err());
        assert!(transact(&[put("P", "")]).is_err());
    }

    #[test]
    fn item_limits() {
        let mut big = Item::from([(PK.to_owned(), s("P")), (SK.to_owned(), s("S"))]);
        big.insert("blob".into(), s("x".repeat(MAX_ITEM_BYTES)));
        assert!(item(&big).is_err());
        let mut bad_gsi = Item::from([(PK.to_owned(), s("P")), (SK.to_owned(), s("S"))]);
        bad_gsi.insert(GSI1PK.into(), num(1));
        assert!(item(&bad_gsi).is_err());
        let update = WriteOp::Update {
            key: Key::new("P", "S"),
            updates: vec![Update::set("a", num(1)), Update::add("a", 1)],
            condition: None,
        };
        assert!(transact(&[update]).is_err());
        let key_update =
            WriteOp::Update { key: Key::new("P", "S"), updates: vec![Update::remove(SK)], condition: None };
        assert!(transact(&[key_update]).is_err());
    }

    #[test]
    fn batch_and_query_limits() {
        assert!(batch_get(&[Key::new("P", "a"), Key::new("P", "a")]).is_err());
        let many: Vec<Key> = (0..101).map(|i| Key::new("P", i.to_string())).collect();
        assert!(batch_get(&many).is_err());
        assert!(query(&Query::partition("P", 0)).is_err());
        assert!(query(&Query::partition("", 10)).is_err());
        assert_eq!(query(&Query::partition("P", 10)), Ok(None));
    }
}
