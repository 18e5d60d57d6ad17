//! DynamoDB's condition and update semantics, for the adapters that evaluate them locally.

use std::cmp::Ordering;

use super::{AttributeValue, CompareOp, Condition, Item, Key, PK, Path, SK, StoreError, Update};

/// Parses a DynamoDB Number (decimal text).
pub fn parse_number(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// Whether `condition` holds on `item` (`None`: absent or expired).
pub fn evaluate(condition: &Condition, item: Option<&Item>) -> bool {
    let attr = |path: &Path| item.and_then(|i| path.get(i));
    match condition {
        Condition::Exists => item.is_some(),
        Condition::NotExists => item.is_none(),
        Condition::AttributeExists(path) => attr(path).is_some(),
        Condition::AttributeNotExists(path) => attr(path).is_none(),
        Condition::Size { attr: path, op, value } => {
            attr(path).and_then(size).is_some_and(|have| holds(*op, have.cmp(value)))
        }
        Condition::Compare { attr: name, op, value } => match attr(name).and_then(|have| order(have, value)) {
            // Missing or of another type: only `<>` holds, as on DynamoDB.
            None => *op == CompareOp::Ne,
            Some(ordering) => holds(*op, ordering),
        },
        Condition::BeginsWith { attr: path, prefix } => {
            matches!(attr(path), Some(AttributeValue::S(text)) if text.starts_with(prefix.as_str()))
        }
        Condition::And(all) => all.iter().all(|c| evaluate(c, item)),
        Condition::Or(any) => any.iter().any(|c| evaluate(c, item)),
        Condition::Not(inner) => !evaluate(inner, item),
    }
}

/// Whether `op` holds between two values that order as `ordering`.
fn holds(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
    }
}

/// DynamoDB's `size()`: entries of a map, list or set, bytes of a binary, characters of a
/// string; `None` for other types.
fn size(value: &AttributeValue) -> Option<u64> {
    let n = match value {
        AttributeValue::S(text) => text.chars().count(),
        AttributeValue::B(bytes) => bytes.len(),
        AttributeValue::M(map) => map.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::Ns(set) => set.len(),
        AttributeValue::Bs(set) => set.len(),
        _ => return None,
    };
    u64::try_from(n).ok()
}

/// How two values of the same scalar type order; `None` for other types or mixed types.
/// Equality of non-scalar values (lists, maps, sets) compares them whole.
fn order(left: &AttributeValue, right: &AttributeValue) -> Option<Ordering> {
    match (left, right) {
        (AttributeValue::N(a), AttributeValue::N(b)) => compare_numbers(a, b),
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
        (AttributeValue::Bool(a), AttributeValue::Bool(b)) if a == b => Some(Ordering::Equal),
        (AttributeValue::Null(_), AttributeValue::Null(_)) => Some(Ordering::Equal),
        (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            // Same composite type: only equality is meaningful; DynamoDB refuses `<` on
            // these, which our callers never ask for.
            if a == b { Some(Ordering::Equal) } else { Some(Ordering::Less) }
        }
        _ => None,
    }
}

/// Numeric order of two Number texts: exact for integers, by `f64` otherwise.
fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return Some(x.cmp(&y));
    }
    parse_number(a)?.partial_cmp(&parse_number(b)?)
}

/// The canonical text of a Number, as DynamoDB stores it (`"007"` → `"7"`).
pub fn canonical_number(text: &str) -> Result<String, StoreError> {
    if let Ok(n) = text.parse::<i128>() {
        return Ok(n.to_string());
    }
    match parse_number(text) {
        Some(n) if n.is_finite() => Ok(text.to_owned()),
        _ => Err(StoreError::Invalid(format!("`{text}` is not a number"))),
    }
}

/// The item after `updates`, starting from `current` (absent or expired: a new item with
/// `key`). Fails as DynamoDB would on a key attribute or an `ADD` to a non-number.
pub fn apply_updates(current: Option<&Item>, key: &Key, updates: &[Update]) -> Result<Item, StoreError> {
    let mut item = current.cloned().unwrap_or_else(|| {
        Item::from([
            (PK.to_owned(), AttributeValue::S(key.pk.clone())),
            (SK.to_owned(), AttributeValue::S(key.sk.clone())),
        ])
    });
    for update in updates {
        match update {
            Update::Set { attr, value } => attr.set(&mut item, value.clone())?,
            Update::SetIfNotExists { attr, value } => attr.set_if_absent(&mut item, value.clone())?,
            Update::Add { attr, delta } => {
                let now = match attr.get(&item) {
                    None => 0,
                    Some(AttributeValue::N(n)) => n.parse::<i128>().map_err(|_| {
                        StoreError::Invalid(format!("ADD to `{attr}`: only integers are supported here"))
                    })?,
                    Some(_) => {
                        return Err(StoreError::Invalid(format!(
                            "an operand in the update expression has an incorrect data type (`{attr}`)"
                        )));
                    }
                };
                attr.set(&mut item, AttributeValue::N((now + i128::from(*delta)).to_string()))?;
            }
            Update::Remove { attr } => attr.remove(&mut item)?,
        }
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{num, s};

    fn item() -> Item {
        Item::from([
            ("pk".to_owned(), s("P")),
            ("sk".to_owned(), s("S")),
            ("n".to_owned(), num(10)),
            ("name".to_owned(), s("mug")),
        ])
    }

    #[test]
    fn comparisons_follow_dynamodb() {
        let it = item();
        let some = Some(&it);
        assert!(evaluate(&Condition::compare("n", CompareOp::Gt, num(9)), some));
        assert!(evaluate(&Condition::compare("n", CompareOp::Ge, num(10)), some));
        assert!(!evaluate(&Condition::compare("n", CompareOp::Lt, num(10)), some));
        assert!(evaluate(&Condition::compare("n", CompareOp::Lt, AttributeValue::N("10.5".into())), some));
        // Type mismatch and missing attributes: only `<>` holds.
        assert!(!evaluate(&Condition::eq("n", s("10")), some));
        assert!(evaluate(&Condition::compare("n", CompareOp::Ne, s("10")), some));
        assert!(!evaluate(&Condition::compare("missing", CompareOp::Lt, num(1)), some));
        assert!(evaluate(&Condition::compare("missing", CompareOp::Ne, num(1)), some));
        assert!(evaluate(&Condition::BeginsWith { attr: "name".into(), prefix: "mu".into() }, some));
        assert!(!evaluate(&Condition::BeginsWith { attr: "n".into(), prefix: "1".into() }, some));
    }

    #[test]
    fn existence_and_logic() {
        let it = item();
        assert!(evaluate(&Condition::Exists, Some(&it)));
        assert!(evaluate(&Condition::NotExists, None));
        assert!(evaluate(&Condition::AttributeNotExists("x".into()), None));
        assert!(!evaluate(&Condition::AttributeExists("n".into()), None));
        assert!(evaluate(&Condition::And(vec![]), None));
        assert!(!evaluate(&Condition::Or(vec![]), None));
        assert!(evaluate(&Condition::Not(Box::new(Condition::Exists)), None));
    }

    #[test]
    fn updates_create_add_and_remove() {
        let key = Key::new("P", "S");
        let created = apply_updates(None, &key, &[Update::add("n", -3), Update::set("a", s("x"))]).expect("ok");
        assert_eq!(created.get("n"), Some(&num(-3)));
        assert_eq!(created.get("pk"), Some(&s("P")));
        let it = item();
        let updated = apply_updates(
            Some(&it),
            &key,
            &[Update::add("n", 5), Update::remove("name"), Update::SetIfNotExists { attr: "n2".into(), value: num(1) }],
        )
        .expect("ok");
        assert_eq!(updated.get("n"), Some(&num(15)));
        assert!(!updated.contains_key("name"));
        assert_eq!(updated.get("n2"), Some(&num(1)));
        assert!(apply_updates(Some(&it), &key, &[Update::add("name", 1)]).is_err());
    }

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(canonical_number("007").ok(), Some("7".to_owned()));
        assert!(canonical_number("abc").is_err());
    }
}
