//! Document paths: a top-level attribute, then keys of the maps nested inside it, as in
//! DynamoDB's `lines.#sku.qty`. Segments are kept apart (never joined with dots) because map
//! keys such as SKUs may themselves contain dots; the DynamoDB adapters give every segment
//! its own name placeholder. List indexes are not supported: nothing needs them.

use std::fmt;

use super::{AttributeValue, Item, StoreError};

/// A path to an attribute or to a value inside nested maps. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<String>,
}

impl Path {
    /// The top-level attribute `name`.
    pub fn attr(name: impl Into<String>) -> Self {
        Self { segments: vec![name.into()] }
    }

    /// The entry `key` of the map at this path.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.segments.push(key.into());
        self
    }

    /// The top-level attribute the path starts at.
    pub fn top(&self) -> &str {
        &self.segments[0]
    }

    /// Whether the path names a top-level attribute.
    pub fn is_top(&self) -> bool {
        self.segments.len() == 1
    }

    /// Every segment, the top-level attribute first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether one path is the other or lies inside it (DynamoDB refuses one update
    /// expression touching overlapping paths).
    pub fn overlaps(&self, other: &Path) -> bool {
        let shorter = self.segments.len().min(other.segments.len());
        self.segments[..shorter] == other.segments[..shorter]
    }

    /// The value at this path in `item`, if every map on the way exists.
    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut value = item.get(self.top())?;
        for segment in &self.segments[1..] {
            match value {
                AttributeValue::M(map) => value = map.get(segment)?,
                _ => return None,
            }
        }
        Some(value)
    }

    /// The map entry this path ends at: the item itself for a top-level attribute, else
    /// the map holding the last segment, which must exist (as on DynamoDB: "the document
    /// path provided in the update expression is invalid for update").
    fn parent_mut<'a>(
        &self,
        item: &'a mut Item,
    ) -> Result<&'a mut std::collections::HashMap<String, AttributeValue>, StoreError> {
        let invalid = || StoreError::Invalid(format!("the document path `{self}` is invalid for update"));
        let Some((_, inner)) = self.segments.split_last() else { return Err(invalid()) };
        let Some((first, rest)) = inner.split_first() else { return Ok(item) };
        let mut map = match item.get_mut(first) {
            Some(AttributeValue::M(map)) => map,
            _ => return Err(invalid()),
        };
        for segment in rest {
            map = match map.get_mut(segment) {
                Some(AttributeValue::M(next)) => next,
                _ => return Err(invalid()),
            };
        }
        Ok(map)
    }

    fn last(&self) -> &str {
        &self.segments[self.segments.len() - 1]
    }

    /// Sets the value at this path; the maps above it must exist.
    pub fn set(&self, item: &mut Item, value: AttributeValue) -> Result<(), StoreError> {
        self.parent_mut(item)?.insert(self.last().to_owned(), value);
        Ok(())
    }

    /// Sets the value at this path unless one is there; the maps above it must exist.
    pub fn set_if_absent(&self, item: &mut Item, value: AttributeValue) -> Result<(), StoreError> {
        self.parent_mut(item)?.entry(self.last().to_owned()).or_insert(value);
        Ok(())
    }

    /// Removes the value at this path (nothing there is fine); the maps above it must exist.
    pub fn remove(&self, item: &mut Item) -> Result<(), StoreError> {
        self.parent_mut(item)?.remove(self.last());
        Ok(())
    }
}

impl From<&str> for Path {
    fn from(name: &str) -> Self {
        Self::attr(name)
    }
}

impl From<String> for Path {
    fn from(name: String) -> Self {
        Self::attr(name)
    }
}

impl From<&String> for Path {
    fn from(name: &String) -> Self {
        Self::attr(name.clone())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{num, s};

    fn cart() -> Item {
        Item::from([(
            "lines".to_owned(),
            AttributeValue::M([("A.1".to_owned(), AttributeValue::M([("qty".to_owned(), num(2))].into()))].into()),
        )])
    }

    #[test]
    fn paths_read_through_maps_and_keep_dotted_keys_whole() {
        let item = cart();
        let qty = Path::attr("lines").key("A.1").key("qty");
        assert_eq!(qty.get(&item), Some(&num(2)));
        assert_eq!(Path::attr("lines").key("A").get(&item), None);
        assert_eq!(Path::attr("lines").key("A.1").key("qty").key("deeper").get(&item), None);
        assert!(qty.overlaps(&Path::attr("lines")));
        assert!(!qty.overlaps(&Path::attr("lines").key("B")));
    }

    #[test]
    fn writes_need_the_maps_above_them() {
        let mut item = cart();
        Path::attr("lines").key("B").set(&mut item, s("x")).expect("parent exists");
        assert_eq!(Path::attr("lines").key("B").get(&item), Some(&s("x")));
        Path::attr("lines").key("B").remove(&mut item).expect("parent exists");
        Path::attr("lines").key("B").remove(&mut item).expect("removing nothing is fine");
        assert!(Path::attr("missing").key("B").set(&mut item, s("x")).is_err());
        assert!(Path::attr("lines").key("A.1").key("qty").key("x").set(&mut item, s("x")).is_err());
        Path::attr("top").set(&mut item, num(1)).expect("top level");
        Path::attr("top").set_if_absent(&mut item, num(2)).expect("top level");
        assert_eq!(item.get("top"), Some(&num(1)));
    }
}
