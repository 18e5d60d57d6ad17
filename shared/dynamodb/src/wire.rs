//! DynamoDB's JSON protocol (`application/x-amz-json-1.0`): request bodies built from the
//! rendered writes and queries, and answers and errors parsed back. Pure functions, so the
//! exact requests can be checked in unit tests, and they build for wasm32.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::request::{Action, RenderedQuery, RenderedWrite};
use omnicanal_store::{AttributeValue, Item, StoreError};

/// The `X-Amz-Target` prefix of every action.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The content type of every request.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    // Items and attribute values always serialize: string keys, no floats.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Adds `ConditionExpression` and the placeholder maps to a request object.
fn with_expressions(mut body: Map<String, Value>, write: &RenderedWrite) -> Map<String, Value> {
    if let Some(condition) = &write.condition {
        body.insert("ConditionExpression".into(), json!(condition));
    }
    if let Some(names) = write.placeholders.names_or_none() {
        body.insert("ExpressionAttributeNames".into(), to_value(&names));
    }
    if let Some(values) = write.placeholders.values_or_none() {
        body.insert("ExpressionAttributeValues".into(), to_value(&values));
    }
    body
}

/// The action's own fields (`Item` or `Key`, `UpdateExpression`) with the table name.
fn action_fields(table: &str, write: &RenderedWrite) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("TableName".into(), json!(table));
    match &write.action {
        Action::Put { item } => {
            body.insert("Item".into(), to_value(item));
        }
        Action::Update { key, expression } => {
            body.insert("Key".into(), to_value(key));
            body.insert("UpdateExpression".into(), json!(expression));
        }
        Action::Delete { key } | Action::Check { key } => {
            body.insert("Key".into(), to_value(key));
        }
    }
    with_expressions(body, write)
}

/// A single write as its own call: the API action name and body. A lone check has no
/// single-item action and goes through [`transact_write_items`].
pub fn single_write(table: &str, write: &RenderedWrite) -> Option<(&'static str, Value)> {
    let action = write.action.single_item_call()?;
    Some((action, Value::Object(action_fields(table, write))))
}

/// `UpdateItem` answering the item after it (`ALL_NEW`), or the item as it was when the
/// condition fails (`ALL_OLD`).
pub fn update_item_returning(table: &str, write: &RenderedWrite) -> Value {
    let mut body = action_fields(table, write);
    body.insert("ReturnValues".into(), json!("ALL_NEW"));
    body.insert("ReturnValuesOnConditionCheckFailure".into(), json!("ALL_OLD"));
    Value::Object(body)
}

/// `PutItem` answering the item it replaced (`ALL_OLD`).
pub fn put_item_returning_old(table: &str, write: &RenderedWrite) -> Value {
    let mut body = action_fields(table, write);
    body.insert("ReturnValues".into(), json!("ALL_OLD"));
    Value::Object(body)
}

/// The `Attributes` of an answer (`ReturnValues`).
pub fn parse_attributes(body: &[u8]) -> Result<Option<Item>, StoreError> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Attributes")]
        attributes: Option<Item>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| unexpected("a write's return values", e))?;
    Ok(answer.attributes)
}

/// `TransactWriteItems` with an idempotency token, so a retry after a lost answer cannot
/// apply the batch twice.
pub fn transact_write_items(table: &str, writes: &[RenderedWrite], token: &str) -> Value {
    let items: Vec<Value> = writes
        .iter()
        .map(|write| {
            let kind = match write.action {
                Action::Put { .. } => "Put",
                Action::Update { .. } => "Update",
                Action::Delete { .. } => "Delete",
                Action::Check { .. } => "ConditionCheck",
            };
            json!({ kind: Value::Object(action_fields(table, write)) })
        })
        .collect();
    json!({"TransactItems": items, "ClientRequestToken": token})
}

/// `GetItem`, strongly consistent.
pub fn get_item(table: &str, key: &Item) -> Value {
    json!({"TableName": table, "Key": to_value(key), "ConsistentRead": true})
}

/// `BatchGetItem` for up to 100 keys, strongly consistent.
pub fn batch_get_item(table: &str, keys: &[Item]) -> Value {
    json!({"RequestItems": {table: {"Keys": to_value(&keys), "ConsistentRead": true}}})
}

/// `Query`.
pub fn query(table: &str, rendered: &RenderedQuery) -> Value {
    let mut body = Map::new();
    body.insert("TableName".into(), json!(table));
    if let Some(index) = rendered.index_name {
        body.insert("IndexName".into(), json!(index));
    }
    body.insert("KeyConditionExpression".into(), json!(rendered.key_condition));
    body.insert("FilterExpression".into(), json!(rendered.filter));
    body.insert("ExpressionAttributeNames".into(), to_value(&rendered.placeholders.names));
    body.insert("ExpressionAttributeValues".into(), to_value(&rendered.placeholders.values));
    body.insert("Limit".into(), json!(rendered.limit));
    body.insert("ScanIndexForward".into(), json!(rendered.forward));
    body.insert("ConsistentRead".into(), json!(rendered.consistent));
    if let Some(start) = &rendered.start_key {
        body.insert("ExclusiveStartKey".into(), to_value(start));
    }
    Value::Object(body)
}

fn unexpected(what: &str, err: serde_json::Error) -> StoreError {
    StoreError::because(format!("unexpected DynamoDB answer to {what}"), err)
}

/// The item of a `GetItem` answer.
pub fn parse_get_item(body: &[u8]) -> Result<Option<Item>, StoreError> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Item")]
        item: Option<Item>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| unexpected("GetItem", e))?;
    Ok(answer.item)
}

/// The items of a `BatchGetItem` answer, and the keys DynamoDB left unprocessed.
pub fn parse_batch_get_item(table: &str, body: &[u8]) -> Result<(Vec<Item>, Vec<Item>), StoreError> {
    #[derive(Deserialize)]
    struct Unprocessed {
        #[serde(rename = "Keys", default)]
        keys: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Responses", default)]
        responses: HashMap<String, Vec<Item>>,
        #[serde(rename = "UnprocessedKeys", default)]
        unprocessed: HashMap<String, Unprocessed>,
    }
    let mut answer: Answer = serde_json::from_slice(body).map_err(|e| unexpected("BatchGetItem", e))?;
    let items = answer.responses.remove(table).unwrap_or_default();
    let unprocessed = answer.unprocessed.remove(table).map(|u| u.keys).unwrap_or_default();
    Ok((items, unprocessed))
}

/// The items and `LastEvaluatedKey` of a `Query` answer.
pub fn parse_query(body: &[u8]) -> Result<(Vec<Item>, Option<Item>), StoreError> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Items", default)]
        items: Vec<Item>,
        #[serde(rename = "LastEvaluatedKey")]
        last: Option<Item>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| unexpected("Query", e))?;
    Ok((answer.items, answer.last))
}

/// A DynamoDB error answer: its code, message and, for cancelled transactions, each action's
/// reason code.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorAnswer {
    /// The code without its namespace (`ConditionalCheckFailedException`).
    pub code: String,
    /// The message.
    pub message: String,
    /// `CancellationReasons[*].Code`.
    pub reasons: Vec<String>,
    /// The item as it was, on a failed condition asked for
    /// `ReturnValuesOnConditionCheckFailure = ALL_OLD` (absent when there was none).
    pub item: Option<Item>,
}

/// Parses an error answer (any status other than 200).
pub fn parse_error(status: u16, body: &[u8]) -> ErrorAnswer {
    #[derive(Deserialize)]
    struct Reason {
        #[serde(rename = "Code")]
        code: Option<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__type")]
        kind: Option<String>,
        #[serde(alias = "Message")]
        message: Option<String>,
        #[serde(rename = "CancellationReasons", default)]
        reasons: Vec<Reason>,
        #[serde(rename = "Item")]
        item: Option<Item>,
    }
    match serde_json::from_slice::<Answer>(body) {
        Ok(answer) => ErrorAnswer {
            code: answer
                .kind
                .as_deref()
                .map(|kind| kind.rsplit('#').next().unwrap_or(kind).to_owned())
                .unwrap_or_else(|| status_code_name(status)),
            message: answer.message.unwrap_or_default(),
            reasons: answer.reasons.into_iter().map(|r| r.code.unwrap_or_else(|| "None".to_owned())).collect(),
            item: answer.item,
        },
        Err(_) => ErrorAnswer {
            code: status_code_name(status),
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
            reasons: Vec::new(),
            item: None,
        },
    }
}

fn status_code_name(status: u16) -> String {
    if status >= 500 { "InternalServerError".to_owned() } else { format!("HTTP{status}") }
}

/// An attribute map from `serde_json` (used by tests and the table tools).
pub fn item_from_json(value: Value) -> Result<Item, serde_json::Error> {
    let map: HashMap<String, AttributeValue> = serde_json::from_value(value)?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::super::request::{render_query, render_write};
    use super::*;
    use omnicanal_store::{Condition, Key, Query, Update, WriteOp, num, s};

    #[test]
    fn a_conditional_update_renders_the_exact_request() {
        let op = WriteOp::Update {
            key: Key::new("CART#1", "CART"),
            updates: vec![Update::add("version", 1)],
            condition: Some(Condition::version_equals(4)),
        };
        let (action, body) = single_write("omnicanal", &render_write(&op, 1_000)).expect("single");
        assert_eq!(action, "UpdateItem");
        assert_eq!(
            body,
            json!({
                "TableName": "omnicanal",
                "Key": {"pk": {"S": "CART#1"}, "sk": {"S": "CART"}},
                "UpdateExpression": "ADD #n0 :v0",
                "ConditionExpression": "(#n0 = :v1 AND (attribute_not_exists(#n1) OR NOT #n1 < :v2))",
                "ExpressionAttributeNames": {"#n0": "version", "#n1": "expires_at"},
                "ExpressionAttributeValues": {":v0": {"N": "1"}, ":v1": {"N": "4"}, ":v2": {"N": "1000"}}
            })
        );
    }

    #[test]
    fn transactions_and_queries_render_every_field() {
        let item: Item =
            [("pk", s("A")), ("sk", s("B")), ("n", num(1))].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let ops = [
            WriteOp::Put { item, condition: None },
            WriteOp::Check { key: Key::new("A", "C"), condition: Condition::Exists },
        ];
        let writes: Vec<_> = ops.iter().map(|op| render_write(op, 5)).collect();
        let body = transact_write_items("t", &writes, "tok");
        assert_eq!(body["ClientRequestToken"], "tok");
        assert_eq!(body["TransactItems"][0]["Put"]["Item"]["n"], json!({"N": "1"}));
        assert!(body["TransactItems"][0]["Put"].get("ExpressionAttributeNames").is_none());
        assert_eq!(body["TransactItems"][1]["ConditionCheck"]["Key"]["sk"], json!({"S": "C"}));

        let rendered = render_query(&Query::gsi1("G", 10).descending(), None, 5);
        let body = query("t", &rendered);
        assert_eq!(body["IndexName"], "gsi1");
        assert_eq!(body["ConsistentRead"], false);
        assert_eq!(body["ScanIndexForward"], false);
        assert_eq!(body["Limit"], 10);
    }

    #[test]
    fn errors_parse_with_reasons() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},
            {"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}"#;
        let error = parse_error(400, body);
        assert_eq!(error.code, "TransactionCanceledException");
        assert_eq!(error.reasons, vec!["None".to_owned(), "ConditionalCheckFailed".to_owned()]);
        assert_eq!(parse_error(503, b"<html>").code, "InternalServerError");
        let refused = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message":"The conditional request failed","Item":{"pk":{"S":"A"},"sk":{"S":"B"}}}"#;
        let error = parse_error(400, refused);
        assert_eq!(error.code, "ConditionalCheckFailedException");
        assert_eq!(error.item.and_then(|item| item.get("pk").cloned()), Some(s("A")));
    }
}
