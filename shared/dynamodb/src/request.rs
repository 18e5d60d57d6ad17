//! Writes and queries rendered once for both DynamoDB adapters: which API action, which key
//! or item, and which expressions with which placeholders.

use super::expr::{Placeholders, key_item};
use omnicanal_store::{GSI1_NAME, Index, Item, Query, WriteOp};

/// What one write does on DynamoDB.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `PutItem` / `Put`.
    Put {
        /// The whole item.
        item: Item,
    },
    /// `UpdateItem` / `Update`.
    Update {
        /// `Key`.
        key: Item,
        /// `UpdateExpression`.
        expression: String,
    },
    /// `DeleteItem` / `Delete`.
    Delete {
        /// `Key`.
        key: Item,
    },
    /// `ConditionCheck` (transactions only).
    Check {
        /// `Key`.
        key: Item,
    },
}

impl Action {
    /// The API action that writes this alone, in one item's call (half a transaction's
    /// capacity); a lone check has none and must go through `TransactWriteItems`.
    pub fn single_item_call(&self) -> Option<&'static str> {
        match self {
            Self::Put { .. } => Some("PutItem"),
            Self::Update { .. } => Some("UpdateItem"),
            Self::Delete { .. } => Some("DeleteItem"),
            Self::Check { .. } => None,
        }
    }
}

/// One rendered write: the action, its condition and the placeholders both use.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedWrite {
    /// The action.
    pub action: Action,
    /// `ConditionExpression`.
    pub condition: Option<String>,
    /// `ExpressionAttributeNames` and `ExpressionAttributeValues`.
    pub placeholders: Placeholders,
}

/// Renders one write at `now_epoch_secs` (conditions see expired items as absent).
pub fn render_write(op: &WriteOp, now_epoch_secs: i64) -> RenderedWrite {
    let mut placeholders = Placeholders::new(now_epoch_secs);
    let action = match op {
        WriteOp::Put { item, .. } => Action::Put { item: item.clone() },
        WriteOp::Update { key, updates, .. } => {
            Action::Update { key: key_item(key), expression: placeholders.update(updates) }
        }
        WriteOp::Delete { key, .. } => Action::Delete { key: key_item(key) },
        WriteOp::Check { key, .. } => Action::Check { key: key_item(key) },
    };
    let condition = op.condition().map(|c| placeholders.condition(c));
    RenderedWrite { action, condition, placeholders }
}

/// One rendered query.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedQuery {
    /// `IndexName` for GSI queries.
    pub index_name: Option<&'static str>,
    /// `KeyConditionExpression`.
    pub key_condition: String,
    /// `FilterExpression`: leaves expired items out (they still count towards `Limit`).
    pub filter: String,
    /// Placeholders of both expressions.
    pub placeholders: Placeholders,
    /// `Limit`.
    pub limit: i32,
    /// `ExclusiveStartKey`.
    pub start_key: Option<Item>,
    /// `ScanIndexForward`.
    pub forward: bool,
    /// `ConsistentRead` (the table only: GSIs cannot be read consistently).
    pub consistent: bool,
}

/// Renders a validated query; `start_key` is its decoded cursor.
pub fn render_query(query: &Query, start_key: Option<Item>, now_epoch_secs: i64) -> RenderedQuery {
    let mut placeholders = Placeholders::new(now_epoch_secs);
    let key_condition = placeholders.key_condition(query);
    let filter = placeholders.not_expired();
    RenderedQuery {
        index_name: (query.index == Index::Gsi1).then_some(GSI1_NAME),
        key_condition,
        filter,
        placeholders,
        limit: i32::try_from(query.limit).unwrap_or(i32::MAX),
        start_key,
        forward: !query.descending,
        consistent: query.index == Index::Table,
    }
}
