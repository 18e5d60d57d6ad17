use super::*;

use omnicanal_store::{Condition, WriteOp};

use crate::cart::model::{Stamp, Status, Write};
use crate::cart::record::to_item;

const AT: &str = "2026-11-22T10:00:00Z";

fn written() -> Written {
    Written { at: AT.into(), anonymous_expires_at: 1_800_000_000 }
}

fn stored(cart: &Cart) -> Reads {
    Reads::of([(cart_key(&cart.cart_id), to_item(cart).expect("an item"))])
}

fn add_one(cart: &mut Cart) -> Result<(bool, ()), CartError> {
    let stamp = Stamp { at_ns: 1, device: "d".into() };
    Ok((cart.apply(Write { sku: "A1".into(), qty: 1, stamp, channel: "web".into() }, AT), ()))
}

/// A change that adds one line.
type AddOne = fn(&mut Cart) -> Result<(bool, ()), CartError>;

fn change(holder: Holder, expected: Option<(u64, String)>) -> CartChange<AddOne> {
    CartChange { cart_id: "c".into(), holder, expected, written: written(), change: add_one }
}

#[test]
fn a_change_is_put_back_conditioned_on_the_version_it_read() {
    let cart = Cart::new("c".into(), None, AT, Some(1));
    let Ok(Step::Write { ops, then: (next, ()) }) = change(Holder::Anonymous, None).decide(&stored(&cart)) else {
        panic!("a change writes")
    };
    assert_eq!((next.version, next.expires_at, next.line_count()), (cart.version + 1, Some(1_800_000_000), 1));
    assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::Compare { .. }), .. }), "{:?}", ops[0]);
}

#[test]
fn a_stale_if_match_a_stranger_and_a_closed_cart_are_refused() {
    let mut cart = Cart::new("c".into(), Some("alice".into()), AT, None);
    let stale = change(Holder::Customer("alice".into()), Some((cart.version + 1, "\"9\"".into())));
    assert!(matches!(stale.decide(&stored(&cart)), Err(CartError::VersionMismatch { .. })));
    let bob = change(Holder::Customer("bob".into()), None).decide(&stored(&cart));
    assert!(matches!(bob, Err(CartError::NotYours { signed_in: true })));
    let nobody = change(Holder::Anonymous, None).decide(&stored(&cart));
    assert!(matches!(nobody, Err(CartError::NotYours { signed_in: false })));
    cart.status = Status::Ordered;
    let closed = change(Holder::Customer("alice".into()), None).decide(&stored(&cart));
    assert!(matches!(closed, Err(CartError::Closed(Status::Ordered))));
    assert!(matches!(change(Holder::Anonymous, None).decide(&Reads::default()), Err(CartError::NoSuchCart)));
}
