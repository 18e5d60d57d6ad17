//! A line write in one round trip: a single conditional update that moves the line into
//! `lines` (or, removed, into `removed`), bumps the version and answers the new cart.
//!
//! It writes without reading first, so its condition states everything the full
//! read-modify-write path would have checked on the cart it read:
//!
//! | assumption | condition |
//! |---|---|
//! | the cart exists and is open | `status = active` (and not expired) |
//! | the caller may write it | anonymous caller: no `customer_id`; customer: `customer_id = sub` |
//! | `If-Match`, when sent | `version = n` |
//! | the server's stamp wins the line's register | the line's stamp in `lines` and `removed`, if any, is older than now |
//! | the stamp is above the cart's horizon | no `horizon`, or its time is older than now |
//! | the write changes something | set: the live quantity differs; remove: the line is live |
//! | limits | set of a new line: `size(lines) < 100`, and `size(removed) < 500` unless it revives a tombstone (so the registers stay within 600); a remove moves a register, so needs none |
//!
//! When any of them fails nothing is written, and the refused update answers the cart as
//! it is; the caller then takes the general path on that cart, which tells which one failed
//! and answers accordingly (or writes with a put, e.g. a customer writing to an anonymous
//! cart, or a client clock that ran ahead of the server's).

use omnicanal_store::{CompareOp, Condition, Key, Path, StoreError, Update, num, s};

use crate::cart::model::{Line, MAX_LINES, MAX_REGISTERS};
use crate::cart::record::{CUSTOMER_ID, HORIZON, LINES, REMOVED, cart_key};

/// Who writes, as far as the update's condition is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer<'a> {
    /// No customer token: only an anonymous cart, whose expiry the write renews.
    Anonymous {
        /// The cart's new expiry (epoch seconds).
        expires_at: i64,
    },
    /// A customer: their own cart (an anonymous one takes the general path).
    Customer(&'a str),
}

/// The update setting `line` on `sku` of cart `cart_id` (a tombstone removes it).
pub struct LineUpdate {
    /// The cart's key.
    pub key: Key,
    /// What changes.
    pub updates: Vec<Update>,
    /// What the update assumes.
    pub condition: Condition,
}

/// The one-round-trip write of `line` at `written_at` (RFC 3339; see the module docs).
pub fn line_update(
    cart_id: &str,
    sku: &str,
    line: &Line,
    written_at: &str,
    writer: Writer<'_>,
    if_version: Option<u64>,
) -> Result<LineUpdate, StoreError> {
    let live = Path::attr(LINES).key(sku);
    let tomb = Path::attr(REMOVED).key(sku);
    // A register's stamp, or the horizon (a stamp itself), older than this write's.
    let older = |register: &Path| {
        let at_ns = if register.top() == HORIZON { register.clone() } else { register.clone().key("stamp") };
        Condition::Or(vec![
            Condition::lacks(register.clone()),
            Condition::compare(at_ns.key("at_ns"), CompareOp::Lt, num(line.stamp.at_ns)),
        ])
    };
    let mut all = vec![Condition::eq("status", s("active")), older(&live), older(&tomb), older(&Path::attr(HORIZON))];
    all.push(match writer {
        Writer::Anonymous { .. } => Condition::lacks(CUSTOMER_ID),
        Writer::Customer(sub) => Condition::eq(CUSTOMER_ID, s(sub)),
    });
    if let Some(version) = if_version {
        all.push(Condition::version_equals(version));
    }
    let value =
        serde_dynamo::to_attribute_value(line).map_err(|e| StoreError::Invalid(format!("line mapping: {e}")))?;
    let mut updates = vec![Update::add("version", 1), Update::set("updated_at", s(written_at))];
    if line.is_tombstone() {
        all.push(Condition::has(live.clone()));
        updates.extend([Update::set(tomb, value), Update::remove(live)]);
    } else {
        all.push(Condition::compare(live.clone().key("qty"), CompareOp::Ne, num(line.qty)));
        all.push(Condition::Or(vec![
            Condition::has(live.clone()),
            Condition::And(vec![
                Condition::Size { attr: Path::attr(LINES), op: CompareOp::Lt, value: count(MAX_LINES) },
                Condition::Or(vec![
                    Condition::has(tomb.clone()),
                    Condition::Size {
                        attr: Path::attr(REMOVED),
                        op: CompareOp::Lt,
                        value: count(MAX_REGISTERS - MAX_LINES),
                    },
                ]),
            ]),
        ]));
        updates.extend([Update::set(live, value), Update::remove(tomb)]);
    }
    if let Writer::Anonymous { expires_at } = writer {
        updates.push(Update::set(omnicanal_store::EXPIRES_AT, num(expires_at)));
    }
    Ok(LineUpdate { key: cart_key(cart_id), updates, condition: Condition::And(all) })
}

fn count(limit: usize) -> u64 {
    u64::try_from(limit).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use omnicanal_store::eval::{apply_updates, evaluate};

    use super::*;
    use crate::cart::model::{Cart, Stamp, Write};
    use crate::cart::record::{from_item, to_item};

    fn line(qty: u32, at_ns: i64) -> Line {
        Line::new(Stamp { at_ns, device: "~server".into() }, qty, "web".into(), "t2")
    }

    /// Applies the update as a store would, or `None` when its condition fails.
    fn run(cart: &Cart, sku: &str, line: &Line, writer: Writer<'_>, if_version: Option<u64>) -> Option<Cart> {
        let item = to_item(cart).expect("item");
        let write = line_update(&cart.cart_id, sku, line, "t2", writer, if_version).expect("update");
        if !evaluate(&write.condition, Some(&item)) {
            return None;
        }
        Some(from_item(apply_updates(Some(&item), &write.key, &write.updates).expect("applies")).expect("cart"))
    }

    fn anonymous() -> Cart {
        let mut cart = Cart::new("c".into(), None, "t1", Some(100));
        cart.apply(Write { sku: "A.1".into(), qty: 2, stamp: line(2, 10).stamp, channel: "app".into() }, "t1");
        cart
    }

    const ANON: Writer<'static> = Writer::Anonymous { expires_at: 500 };

    #[test]
    fn the_update_does_what_the_model_does() {
        let cart = anonymous();
        for (sku, qty) in [("A.1", 5), ("A.1", 0), ("B", 1)] {
            let mut expected = cart.clone();
            expected.apply(Write { sku: sku.into(), qty, stamp: line(qty, 20).stamp, channel: "web".into() }, "t2");
            expected.version += 1;
            expected.updated_at = "t2".into();
            expected.expires_at = Some(500);
            assert_eq!(run(&cart, sku, &line(qty, 20), ANON, None), Some(expected), "{sku} = {qty}");
        }
    }

    #[test]
    fn every_assumption_is_checked() {
        let cart = anonymous();
        assert!(run(&cart, "A.1", &line(2, 20), ANON, None).is_none(), "unchanged quantity");
        assert!(run(&cart, "B", &line(0, 20), ANON, None).is_none(), "removing an absent line");
        assert!(run(&cart, "A.1", &line(5, 10), ANON, None).is_none(), "a stamp not newer");
        assert!(run(&cart, "A.1", &line(5, 20), ANON, Some(2)).is_none(), "If-Match");
        assert!(run(&cart, "A.1", &line(5, 20), ANON, Some(1)).is_some(), "If-Match current");
        assert!(run(&cart, "A.1", &line(5, 20), Writer::Customer("alice"), None).is_none(), "not the owner");
        let mut owned = Cart::new("c".into(), Some("alice".into()), "t1", None);
        owned.apply(Write { sku: "A.1".into(), qty: 1, stamp: line(1, 10).stamp, channel: "app".into() }, "t1");
        assert!(run(&owned, "A.1", &line(5, 20), ANON, None).is_none(), "anonymous on a customer's cart");
        assert!(run(&owned, "A.1", &line(5, 20), Writer::Customer("bob"), None).is_none(), "someone else");
        let written = run(&owned, "A.1", &line(5, 20), Writer::Customer("alice"), None).expect("owner writes");
        assert_eq!(written.expires_at, None, "a customer's cart never expires");
        let mut closed = anonymous();
        closed.status = crate::cart::model::Status::Merged;
        assert!(run(&closed, "A.1", &line(5, 20), ANON, None).is_none(), "closed");
    }

    #[test]
    fn limits_hold_without_reading() {
        let mut full = Cart::new("c".into(), None, "t1", None);
        for i in 0..MAX_LINES {
            full.apply(Write { sku: format!("S{i}"), qty: 1, stamp: line(1, 1).stamp, channel: "web".into() }, "t1");
        }
        assert!(run(&full, "NEW", &line(1, 20), ANON, None).is_none(), "a 101st line");
        assert!(run(&full, "S1", &line(3, 20), ANON, None).is_some(), "changing a line of a full cart");
        let mut tombs = Cart::new("c".into(), None, "t1", None);
        for i in 0..(MAX_REGISTERS - MAX_LINES) {
            tombs.apply(Write { sku: format!("T{i}"), qty: 0, stamp: line(0, 2).stamp, channel: "web".into() }, "t1");
        }
        tombs.apply(Write { sku: "LIVE".into(), qty: 1, stamp: line(1, 2).stamp, channel: "web".into() }, "t1");
        assert!(run(&tombs, "NEW", &line(1, 20), ANON, None).is_none(), "a new register takes the general path");
        assert!(run(&tombs, "T1", &line(1, 20), ANON, None).is_some(), "reviving a tombstone adds no register");
        assert!(run(&tombs, "LIVE", &line(0, 20), ANON, None).is_some(), "a remove adds no register");
    }

    #[test]
    fn nothing_at_or_below_the_horizon_is_written() {
        let mut cart = anonymous();
        cart.horizon = Some(Stamp { at_ns: 20, device: "z".into() });
        assert!(run(&cart, "B", &line(1, 20), ANON, None).is_none(), "at the horizon's time");
        assert!(run(&cart, "B", &line(1, 21), ANON, None).is_some(), "after it");
    }
}
