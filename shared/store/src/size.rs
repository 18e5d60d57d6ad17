//! Item sizes as DynamoDB counts them, for the 400 KB item and 4 MB transaction limits and
//! the 1 MB query page.
//!
//! The rules (DynamoDB developer guide, "Item sizes"): attribute names and strings count
//! their UTF-8 bytes, binaries their length, numbers about one byte per two significant
//! digits plus one, booleans and nulls one byte, lists and maps three bytes plus one per
//! element on top of their contents.

use super::{AttributeValue, Item};

/// The size of an item in bytes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

/// The size of one attribute value in bytes.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(Vec::len).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
    }
}

fn number_size(text: &str) -> usize {
    let digits =
        text.bytes().skip_while(|b| *b == b'-' || *b == b'0' || *b == b'.').filter(u8::is_ascii_digit).count().max(1);
    digits.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{num, s};

    #[test]
    fn counts_names_and_values() {
        let item = Item::from([("ab".to_owned(), s("héllo")), ("n".to_owned(), num(12345))]);
        // "ab" 2 + "héllo" 6 + "n" 1 + 5 digits → 3 + 1.
        assert_eq!(item_size(&item), 2 + 6 + 1 + 4);
        let list = AttributeValue::L(vec![s("a"), s("bc")]);
        assert_eq!(value_size(&list), 3 + (1 + 1) + (1 + 2));
    }
}
