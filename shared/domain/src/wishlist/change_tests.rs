use super::*;

use omnicanal_store::{Condition, WriteOp};

use crate::cart::change::Written;
use crate::cart::model::Cart;
use crate::cart::record::{cart_key, pointer_item, pointer_key, to_item as cart_item};
use crate::catalog::Product;
use crate::values::{Currency, Money};
use crate::wishlist::move_to_cart::MoveToCart;

const AT: &str = "2026-11-22T10:00:00Z";
const NOW_NS: i64 = 1_795_341_600_000_000_000;

fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("a SKU")
}

fn product(text: &str, amount: i64) -> (Key, omnicanal_store::Item) {
    let product = Product {
        sku: sku(text),
        name: text.into(),
        category: "shoes".into(),
        price: Money { amount, currency: Currency::EUR },
        safety_stock: 0,
        reorder_point: 0,
        updated_at: AT.into(),
    };
    (product_key(&product.sku), product.to_item().expect("an item"))
}

fn change(ops: Vec<WishOp>) -> WishlistChange {
    WishlistChange { customer_id: "alice".into(), ops, channel: "app".into(), now_ns: NOW_NS, at: AT.into() }
}

fn save(text: &str) -> WishOp {
    WishOp { field: "sku".into(), sku: sku(text), remove: false, stamp: None }
}

fn remove(text: &str) -> WishOp {
    WishOp { remove: true, ..save(text) }
}

/// What the table holds after `ops` applied over `read`.
fn after(read: &Reads, ops: &[WriteOp]) -> Reads {
    let mut next = read.clone();
    for op in ops {
        if let WriteOp::Put { item, .. } = op {
            let text = |name: &str| match item.get(name) {
                Some(omnicanal_store::AttributeValue::S(s)) => s.clone(),
                _ => String::new(),
            };
            next.insert(Key::new(text("pk"), text("sk")), item.clone());
        }
    }
    next
}

#[test]
fn a_first_save_creates_the_list_with_the_price_and_a_second_is_no_change() {
    let plan = change(vec![save("SHOE")]);
    assert_eq!(plan.reads(), vec![wishlist_key("alice"), product_key(&sku("SHOE"))]);
    let read = Reads::of([product("SHOE", 5000)]);
    let Ok(Step::Write { ops, then: (list, 1) }) = plan.decide(&read) else { panic!("a first save writes") };
    assert!(matches!(&ops[..], [WriteOp::Put { condition: Some(Condition::NotExists), .. }]));
    assert_eq!(list.version, 1);
    assert_eq!(list.items["SHOE"].price_when_added, Some(Money { amount: 5000, currency: Currency::EUR }));
    let read = after(&read, &ops);
    let Ok(Step::Done((again, 0))) = change(vec![save("SHOE")]).decide(&read) else {
        panic!("saving a saved item changes nothing")
    };
    assert_eq!(again, list);
    let Ok(Step::Write { ops, then: (list, 1) }) = change(vec![remove("SHOE")]).decide(&read) else {
        panic!("a remove writes")
    };
    assert!(matches!(&ops[..], [WriteOp::Put { condition: Some(Condition::Compare { .. }), .. }]), "on the version");
    assert!(!list.holds("SHOE"));
    assert!(matches!(change(vec![remove("SHOE")]).decide(&after(&read, &ops)), Ok(Step::Done((_, 0)))));
}

#[test]
fn saving_a_sku_without_a_product_is_refused_by_field() {
    let ops = vec![save("SHOE"), WishOp { field: "ops[1].sku".into(), ..save("GHOST") }, remove("OLD")];
    let refused = change(ops).decide(&Reads::of([product("SHOE", 5000)]));
    assert_eq!(refused.err(), Some(WishlistError::UnknownProducts(vec![("ops[1].sku".into(), "GHOST".into())])));
}

fn move_plan(qty: u32) -> MoveToCart {
    MoveToCart {
        customer_id: "alice".into(),
        sku: "SHOE".into(),
        qty,
        channel: "web".into(),
        now_ns: NOW_NS,
        written: Written { at: AT.into(), anonymous_expires_at: 0 },
        new_cart_id: "n".repeat(22),
    }
}

fn saved_shoe() -> Reads {
    let read = Reads::of([product("SHOE", 5000)]);
    let Ok(Step::Write { ops, .. }) = change(vec![save("SHOE")]).decide(&read) else { panic!("saved") };
    after(&read, &ops)
}

#[test]
fn a_move_without_a_cart_creates_it_and_its_pointer_with_the_tombstone() {
    let plan = move_plan(2);
    let read = saved_shoe();
    assert_eq!(plan.cart_named(&read).expect("no pointer"), None);
    let (ops, cart) = plan.decide(&read, None).expect("moved");
    assert_eq!(cart.lines["SHOE"].qty, 2);
    assert_eq!(ops.len(), 3, "cart, pointer, list: one transaction");
    let read = after(&read, &ops);
    assert!(!from_item(read.get(&wishlist_key("alice")).cloned().expect("list")).expect("list").holds("SHOE"));
    let named = plan.cart_named(&read).expect("a pointer");
    assert_eq!(named.as_deref(), Some(cart.cart_id.as_str()));
    let (again, same) = plan.decide(&read, named.as_deref()).expect("already moved: answered");
    assert!(again.is_empty(), "moved once: a repeat writes nothing");
    assert_eq!(same.lines["SHOE"].qty, 2);
    assert_eq!(plan.decide(&read, None).err(), Some(WishlistError::NotSaved("SHOE".into())), "on no cart: not saved");
}

#[test]
fn a_move_adds_to_the_line_on_the_active_cart_conditioned_on_its_version() {
    let mut cart = Cart::new("c".repeat(22), Some("alice".into()), AT, None);
    cart.apply(
        crate::cart::model::Write {
            sku: "SHOE".into(),
            qty: 1,
            stamp: crate::registers::Stamp { at_ns: 1, device: "d".into() },
            channel: "web".into(),
        },
        AT,
    );
    let mut read = saved_shoe();
    read.insert(cart_key(&cart.cart_id), cart_item(&cart).expect("a cart"));
    read.insert(pointer_key("alice"), pointer_item("alice", &cart.cart_id).expect("a pointer"));
    let plan = move_plan(1);
    let named = plan.cart_named(&read).expect("a pointer").expect("names the cart");
    let (ops, moved) = plan.decide(&read, Some(&named)).expect("moved");
    assert_eq!((moved.lines["SHOE"].qty, moved.version), (2, 2));
    assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::Compare { .. }), .. }), "{:?}", ops[0]);
    assert_eq!(ops.len(), 2);
    let list = from_item(after(&read, &ops).get(&wishlist_key("alice")).cloned().expect("a list")).expect("a list");
    assert!(!list.holds("SHOE"), "off the list in the same transaction");
    assert_eq!(list.version, 2);
}
