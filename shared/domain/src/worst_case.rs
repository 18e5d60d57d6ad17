//! The largest item each record that could grow with traffic can become, built at the limits
//! the rules allow. The records' own tests measure them against their stated bounds
//! (`WORST_CASE_*_BYTES`), and a test writes them to the DynamoDB-compatible server, so the
//! bounds are what a real table accepts, not only what we count.

use omnicanal_store::{AttributeValue, Item, StoreError, WriteOp, num, s};

use crate::cart::model::{Cart, MAX_LINES, MAX_REGISTERS, Stamp, Write};
use crate::loyalty::account::{Account, DAY, Lot, MAX_CHANNELS_PER_MONTH, YEAR};
use crate::offers::profile::{EventType, MAX_CATEGORIES, Profile};
use crate::stock::records::{bucket_attr, level_key};
use crate::stock::rules::MAX_FOLDS;

/// A time the items are built at (2026-11-22T10:00:00Z).
const T0: i64 = 1_795_341_600;

/// The longest customer id.
fn customer() -> String {
    "c".repeat(255)
}

/// A loyalty account with a lot per expiry step (a 128-character order id each), a spend
/// entry per day, and two full months of the longest channel names.
pub fn account_item() -> Result<Item, StoreError> {
    let longest_channel = |i: usize| format!("store:{}{i:02}", "L".repeat(62));
    let mut account = Account {
        balance: i64::MAX / 4,
        debt: i64::MAX / 4,
        lifetime_points: i64::MAX / 4,
        version: u64::MAX / 2,
        ..Account::default()
    };
    for i in 0..368 {
        account.lots.push(Lot {
            order_id: Some(format!("{i:0128}")),
            earned_at: T0 + i * DAY,
            expires_at: T0 + YEAR + i * DAY,
            remaining: i64::MAX / 1024,
        });
        account.spend.push((T0 + i * DAY, 1_000_000_000_000));
    }
    for month in ["2026-11", "2026-12"] {
        account.channels.insert(month.into(), (0..MAX_CHANNELS_PER_MONTH).map(longest_channel).collect());
    }
    let now = time::OffsetDateTime::from_unix_timestamp(T0).map_err(|e| StoreError::because("a time", e))?;
    let (ops, _) = crate::loyalty::records::change(&customer(), &account, None, &[], Vec::new(), now)?;
    match ops.into_iter().next() {
        Some(WriteOp::Put { item, .. }) => Ok(item),
        _ => Err(StoreError::Invalid("the account change puts the account first".into())),
    }
}

/// A stock level with the longest SKU and location, one bucket per distinct hold end a week
/// can have and the expired ones a hold folds.
pub fn level_item() -> Item {
    let (sku, location) = ("S".repeat(64), "L".repeat(64));
    let key = level_key(&sku, &location);
    let mut item = Item::from([
        ("pk".to_owned(), s(key.pk)),
        ("sk".to_owned(), s(key.sk)),
        ("sku".to_owned(), s(sku.clone())),
        ("location_id".to_owned(), s(location.clone())),
        ("gsi1pk".to_owned(), s(format!("REORDER#{location}"))),
        ("gsi1sk".to_owned(), s(sku)),
    ]);
    for counter in ["on_hand", "held", "free", "folded"] {
        item.insert(counter.to_owned(), num(i64::MAX / 2));
    }
    for i in 0..(600 + MAX_FOLDS as i64) {
        item.insert(bucket_attr(T0 + i * 1_000), AttributeValue::N("-1000000000".into()));
    }
    item
}

/// A customer's cart with every register at its longest: 100 live lines through the longest
/// channel, the rest tombstones, the longest SKUs and devices, a horizon.
pub fn cart_item() -> Result<Item, StoreError> {
    let at = "2026-11-22T10:00:00.123456789Z";
    let mut cart = Cart::new("c".repeat(22), Some(customer()), at, None);
    let device = "d".repeat(64);
    for i in 0..MAX_REGISTERS {
        let qty = if i < MAX_LINES { 999 } else { 0 };
        let stamp = Stamp { at_ns: i64::MAX - 1 - i64::try_from(i).unwrap_or(0), device: device.clone() };
        cart.apply(Write { sku: format!("{i:064}"), qty, stamp, channel: format!("store:{}", "L".repeat(64)) }, at);
    }
    cart.horizon = Some(Stamp { at_ns: i64::MAX / 2, device });
    cart.settle().map_err(|e| StoreError::Invalid(e.to_string()))?;
    crate::cart::record::to_item(&cart)
}

/// A customer's wishlist with every register at its longest: 200 saved items through the
/// longest channel at the largest prices, the rest tombstones, the longest SKUs and devices,
/// a horizon.
pub fn wishlist_item() -> Result<Item, StoreError> {
    use crate::values::{Currency, Money};
    use crate::wishlist::model::{MAX_ITEMS, MAX_REGISTERS as MAX_WISH_REGISTERS, Wish, Wishlist};
    let mut list = Wishlist::empty(&customer(), "2026-11-22T10:00:00Z");
    let device = "d".repeat(64);
    for i in 0..MAX_WISH_REGISTERS {
        let stamp = Stamp { at_ns: i64::MAX - 1 - i64::try_from(i).unwrap_or(0), device: device.clone() };
        list.apply(Wish {
            sku: format!("{i:064}"),
            remove: i >= MAX_ITEMS,
            stamp,
            channel: format!("store:{}", "L".repeat(64)),
            price: Some(Money { amount: i64::MAX, currency: Currency::EUR }),
        });
    }
    list.horizon = Some(Stamp { at_ns: i64::MAX / 2, device });
    list.version = u64::MAX / 2;
    list.settle().map_err(|e| StoreError::Invalid(e.to_string()))?;
    crate::wishlist::record::to_item(&list)
}

/// A behaviour profile at its category limit, the longest names.
pub fn profile_item() -> Result<Item, StoreError> {
    let mut profile = Profile::default();
    for i in 0..MAX_CATEGORIES {
        profile.add(&format!("c{i:063}"), EventType::Purchase.weight(), T0, 14.0 * 86_400.0);
    }
    profile.version = u64::MAX / 2;
    let mut item: Item = serde_dynamo::to_item(&profile).map_err(|e| StoreError::because("profile mapping", e))?;
    let key = crate::customer::profile_key(&customer());
    item.insert("pk".into(), s(key.pk));
    item.insert("sk".into(), s(key.sk));
    Ok(item)
}

/// An order at its limits: 100 lines (a cart's most) of the longest SKUs and of product
/// names of 200 four-byte characters, the most returns with the longest ids, an offer and
/// every time set.
pub fn order_item() -> Result<Item, StoreError> {
    use crate::orders::record::{Discount, Fulfilment, FulfilmentType, Order, OrderLine, OrderStatus};
    use crate::values::{Currency, Money};
    let money = |amount: i64| Money { amount, currency: Currency::EUR };
    let at = "2026-11-22T10:00:00Z".to_owned();
    let lines = (0..MAX_LINES)
        .map(|i| OrderLine {
            sku: format!("{i:064}"),
            name: "\u{1D11E}".repeat(200),
            qty: 999,
            unit_price: money(i64::MAX / 1_000_000),
            line_total: money(i64::MAX / 1_000),
            returned_qty: 999,
            discounted: true,
            returned: crate::orders::shares::Returned {
                refund: i64::MAX / 4,
                points_restored: i64::MAX / 4,
                points_reversed: i64::MAX / 4,
            },
        })
        .collect();
    let order = Order {
        order_id: "o".repeat(128),
        status: OrderStatus::Placed,
        customer_id: Some(customer()),
        cart_id: "c".repeat(22),
        channel: format!("store:{}", "L".repeat(64)),
        fulfilment: Fulfilment { kind: FulfilmentType::Pickup, location_id: "L".repeat(64) },
        currency: Currency::EUR,
        lines,
        subtotal: money(i64::MAX / 2),
        discount: Some(Discount {
            offer_id: "f".repeat(64),
            title: "\u{1D11E}".repeat(200),
            saving: money(i64::MAX / 4),
        }),
        points_redeemed: i64::MAX / 4,
        points_value: money(i64::MAX / 4),
        total: money(i64::MAX / 4),
        points_to_earn: i64::MAX / 4,
        points_earned: Some(i64::MAX / 4),
        returns: (0..crate::orders::record::MAX_RETURNS)
            .map(|i| crate::orders::record::ReturnSummary {
                return_id: format!("{i:0128}"),
                location_id: "L".repeat(64),
                units: 99_900,
                refund: money(i64::MAX / 4),
                points_restored: i64::MAX / 4,
                points_reversed: i64::MAX / 4,
                at: at.clone(),
            })
            .collect(),
        created_at: at.clone(),
        confirmed_at: Some(at.clone()),
        fulfilled_at: Some(at.clone()),
        cancelled_at: Some(at),
        payment_reference: Some("p".repeat(255)),
        until: T0,
        fingerprint: "f".repeat(64),
        version: u64::MAX / 2,
    };
    order.to_item()
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnicanal_store::size::item_size;

    /// Each within its stated bound, and the bound not loose by more than half.
    fn within(size: usize, bound: usize, what: &str) {
        assert!(size <= bound, "{what}: {size} bytes over the stated {bound}");
        assert!(size > bound / 2, "{what}: {size} bytes, the bound of {bound} is loose");
    }

    #[test]
    fn the_largest_account_any_traffic_can_build_fits_its_stated_bound() {
        let size = item_size(&account_item().expect("an account"));
        within(size, crate::loyalty::account::WORST_CASE_ITEM_BYTES, "account");
    }

    #[test]
    fn the_largest_level_fits_its_stated_bound() {
        within(item_size(&level_item()), crate::stock::records::WORST_CASE_LEVEL_BYTES, "level");
    }

    #[test]
    fn the_largest_cart_fits_its_stated_bound() {
        within(item_size(&cart_item().expect("a cart")), crate::cart::record::WORST_CASE_CART_BYTES, "cart");
    }

    #[test]
    fn the_largest_wishlist_fits_its_stated_bound() {
        let size = item_size(&wishlist_item().expect("a wishlist"));
        within(size, crate::wishlist::record::WORST_CASE_WISHLIST_BYTES, "wishlist");
    }

    #[test]
    fn the_largest_order_fits_its_stated_bound() {
        within(item_size(&order_item().expect("an order")), crate::orders::record::WORST_CASE_ORDER_BYTES, "order");
    }

    #[test]
    fn the_largest_profile_fits_its_stated_bound() {
        within(
            item_size(&profile_item().expect("a profile")),
            crate::offers::profile::WORST_CASE_PROFILE_BYTES,
            "profile",
        );
    }
}
