//! How the ledger lives in the single table, and what each call costs.
//!
//! | item | key | attributes | worst case |
//! |---|---|---|---|
//! | account (balance, tier, lots, spend, channels) | `CUSTOMER#<sub>` / `LOYALTY` | the [`Account`]; GSI `LOYALTY_EXPIRY#<shard>` / `<next expiry>#<sub>` while it has lots (the sweep's list) | 82 KiB ([`crate::loyalty::account::WORST_CASE_ITEM_BYTES`], measured by a test), whatever the traffic |
//! | ledger entry | `CUSTOMER#<sub>#LEDGER` / `<epoch ms>#<id>` | id, type, points, order_id, at | under 1 KB |
//! | an order's earning | `ORDER#<order_id>` / `LOYALTY#EARN` | customer, points, the lot, the answer given | under 1 KB |
//! | an order's reversal | `ORDER#<order_id>` / `LOYALTY#REVERSE` | the answer given | under 1 KB |
//! | a redemption | `CUSTOMER#<sub>` / `REDEEM#<order_id>` | the answer given, the lots spent from | under 1 KB, 19 KB when spent from every lot |
//! | a restore | `CUSTOMER#<sub>` / `RESTORE#<order_id>` | the answer given | under 1 KB |
//!
//! | API call | round trips |
//! |---|---|
//! | `POST /loyalty/earn` | 1 batch read (account, marker) + 1 transaction (account, entries, marker) |
//! | `POST /loyalty/redeem` | the same |
//! | `POST /loyalty/reverse` | 1 batch read (markers) + 1 read (account) + 1 transaction |
//! | `GET /loyalty/me` | 1 read (+ 1 transaction when lots lapsed) |
//! | `GET /loyalty/me/transactions` | 1 query per page |
//!
//! Every write is one transaction: the account put conditioned on the version read, each
//! ledger entry and marker put only if absent. The balance therefore moves only together with
//! its entries, each order earns and is reversed once, and a lost race re-reads and retries.

use crate::customer::loyalty_account_key;
use crate::keys::part;
use omnicanal_store::{AttributeValue, Condition, GSI1PK, GSI1SK, Item, Key, StoreError, WriteOp, s};
use serde::Serialize;

use crate::loyalty::account::{Account, Entry, EntryType};

/// Shards of the expiry index.
pub const EXPIRY_SHARDS: u32 = 8;
/// The sweep's list of accounts by their next lapsing lot.
pub const EXPIRY_INDEX: crate::plan::DueIndex<'static> =
    crate::plan::DueIndex { prefix: "LOYALTY_EXPIRY", shards: EXPIRY_SHARDS, id_attr: "customer_id" };

/// The ledger partition of a customer.
pub fn ledger_pk(customer_id: &str) -> String {
    format!("CUSTOMER#{}#LEDGER", part(customer_id))
}

/// The key of an order's earning marker.
pub fn earn_key(order_id: &str) -> Key {
    Key::new(format!("ORDER#{}", part(order_id)), "LOYALTY#EARN")
}

/// The key of an order's reversal marker.
pub fn reverse_key(order_id: &str) -> Key {
    Key::new(format!("ORDER#{}", part(order_id)), "LOYALTY#REVERSE")
}

/// The key of the marker of an order's spent points given back.
pub fn restore_key(customer_id: &str, order_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), format!("RESTORE#{}", part(order_id)))
}

/// The key of a redemption marker.
pub fn redeem_key(customer_id: &str, order_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), format!("REDEEM#{}", part(order_id)))
}

/// The expiry index partition of a customer.
pub fn expiry_shard(customer_id: &str) -> String {
    EXPIRY_INDEX.partition(customer_id)
}

/// An account from its item.
pub fn account_from(item: Item) -> Result<Account, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::because("corrupt loyalty account", e))
}

/// A ledger entry as stored and shown.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its id.
    pub id: String,
    /// Kind.
    #[serde(rename = "type")]
    pub kind: EntryType,
    /// Signed points.
    pub points: i64,
    /// The order, if any.
    pub order_id: Option<String>,
    /// When it was written (RFC 3339).
    pub at: String,
}

/// A marker: put only if absent, holding the answer a repeat gets; or, for a marker that
/// keeps a running tally (an order's reversals), put over the one read.
#[derive(Clone, Debug)]
pub struct Marker {
    /// Its key.
    pub key: Key,
    /// Its attributes besides the key.
    pub body: serde_json::Value,
    /// The `version` of the marker this one replaces; `None` when it must be absent.
    pub replaces: Option<u64>,
}

/// The one transaction of a change: the account (if the version still is `read_version`),
/// its new entries and the markers.
pub fn change(
    customer_id: &str,
    account: &Account,
    read_version: Option<u64>,
    entries: &[Entry],
    markers: Vec<Marker>,
    now: time::OffsetDateTime,
) -> Result<(Vec<WriteOp>, Vec<StoredEntry>), StoreError> {
    let mapping = |e: serde_dynamo::Error| StoreError::Invalid(format!("loyalty mapping: {e}"));
    let mut item: Item = serde_dynamo::to_item(account).map_err(mapping)?;
    let key = loyalty_account_key(customer_id);
    item.insert("pk".into(), s(key.pk));
    item.insert("sk".into(), s(key.sk));
    item.insert("customer_id".into(), s(customer_id));
    if let Some(next) = account.next_expiry() {
        item.insert(GSI1PK.into(), s(expiry_shard(customer_id)));
        item.insert(GSI1SK.into(), s(format!("{next:012}#{}", part(customer_id))));
    }
    let condition = match read_version {
        Some(version) => Condition::version_equals(version),
        None => Condition::NotExists,
    };
    let mut ops = vec![WriteOp::Put { item, condition: Some(condition) }];
    let at = omnicanal_platform::clock::rfc3339(now);
    let millis = now.unix_timestamp_nanos() / 1_000_000;
    let mut stored = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let id = omnicanal_platform::random::token().map_err(|e| StoreError::because("random source", e))?;
        let shown = StoredEntry {
            id: id.clone(),
            kind: entry.kind,
            points: entry.points,
            order_id: entry.order_id.clone(),
            at: at.clone(),
        };
        let mut item: Item = serde_dynamo::to_item(&shown).map_err(mapping)?;
        item.insert("pk".into(), s(ledger_pk(customer_id)));
        // The index keeps entries of one write in their order under the same millisecond.
        item.insert("sk".into(), s(format!("{millis:013}#{i:02}#{id}")));
        ops.push(WriteOp::Put { item, condition: Some(Condition::NotExists) });
        stored.push(shown);
    }
    for marker in markers {
        let mut item: Item = serde_dynamo::to_item(&marker.body).map_err(mapping)?;
        item.insert("pk".into(), s(marker.key.pk));
        item.insert("sk".into(), s(marker.key.sk));
        let condition = match marker.replaces {
            Some(version) => Condition::version_equals(version),
            None => Condition::NotExists,
        };
        ops.push(WriteOp::Put { item, condition: Some(condition) });
    }
    Ok((ops, stored))
}

/// The stored answer of a marker.
pub fn marker_answer(item: &Item) -> Option<serde_json::Value> {
    match item.get("answer") {
        Some(AttributeValue::S(text)) => serde_json::from_str(text).ok(),
        _ => None,
    }
}

/// A marker's `answer` attribute (kept as JSON text, so a replay is exactly the first).
pub fn answer_attr(answer: &serde_json::Value) -> serde_json::Value {
    serde_json::Value::String(answer.to_string())
}

/// A number attribute of an item (0 when absent).
pub fn number(item: &Item, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    }
}
