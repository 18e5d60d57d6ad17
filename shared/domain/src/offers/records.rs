//! How offers live in the single table, and what each call costs.
//!
//! | item | key |
//! |---|---|
//! | definition | `OFFERS` / `<offer_id>` (one partition: the active list is one query) |
//! | redemptions in all | `OFFER#<offer_id>` / `TOTAL` (`count`) |
//! | redemptions by a customer | `OFFER#<offer_id>` / `CUSTOMER#<sub>` (`count`) |
//! | one redemption | `OFFER#<offer_id>` / `REDEMPTION#<sub>#<order_id>` |
//! | behaviour profile | `CUSTOMER#<sub>` / `PROFILE` (`crate::customer`) |
//!
//! | API call | round trips |
//! |---|---|
//! | `PUT /offers/{id}` | 1 put answering the definition it replaced (`201` or `200`) |
//! | `GET /offers/{id}` | 1 read |
//! | `POST /offers/events` | 1 read (profile) + 1 conditional put; + 1 batch read when events name SKUs only |
//! | `GET /offers/me` | 3: one batch read (cart, profile, loyalty account), one query (definitions, up to 1000), one batch read (prices of up to 100 cart lines together with the limit counters of the candidate offers; more only past 100 keys) |
//! | `POST /offers/{id}/redeem` | 1 read (definition) + 1 transaction (redemption, customer counter, total counter) |

use crate::keys::part;
use omnicanal_store::{Item, Key, StoreError};

use crate::offers::definition::Offer;

/// Partition of all definitions.
pub const OFFERS_PK: &str = "OFFERS";

/// The key of a definition.
pub fn offer_key(offer_id: &str) -> Key {
    Key::new(OFFERS_PK, part(offer_id))
}

/// The key of the total redemption counter.
pub fn total_key(offer_id: &str) -> Key {
    Key::new(format!("OFFER#{}", part(offer_id)), "TOTAL")
}

/// The key of a customer's redemption counter.
pub fn customer_count_key(offer_id: &str, customer_id: &str) -> Key {
    Key::new(format!("OFFER#{}", part(offer_id)), format!("CUSTOMER#{}", part(customer_id)))
}

/// The key of one redemption.
pub fn redemption_key(offer_id: &str, customer_id: &str, order_id: &str) -> Key {
    Key::new(format!("OFFER#{}", part(offer_id)), format!("REDEMPTION#{}#{}", part(customer_id), part(order_id)))
}

/// The item of a definition.
pub fn to_item(offer: &Offer) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(offer).map_err(|e| StoreError::Invalid(format!("offer mapping: {e}")))?;
    let key = offer_key(&offer.offer_id);
    item.insert("pk".into(), omnicanal_store::s(key.pk));
    item.insert("sk".into(), omnicanal_store::s(key.sk));
    Ok(item)
}

/// A definition from its item.
pub fn from_item(mut item: Item) -> Result<Offer, StoreError> {
    item.remove("pk");
    item.remove("sk");
    serde_dynamo::from_item(item).map_err(|e| StoreError::because("corrupt offer", e))
}

/// The `count` attribute of a counter item (0 when absent).
pub fn count(item: Option<&Item>) -> i64 {
    match item.and_then(|i| i.get("count")) {
        Some(omnicanal_store::AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    }
}

/// Every offer active at `now` (epoch seconds): one query per 1,000 definitions.
pub async fn active_offers<S: omnicanal_store::Store>(store: &S, now: i64) -> Result<Vec<Offer>, StoreError> {
    let mut offers = Vec::new();
    let mut query = omnicanal_store::Query::partition(OFFERS_PK, 1000);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            let offer = from_item(item)?;
            if offer.is_active(now) {
                offers.push(offer);
            }
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(offers),
        }
    }
}
