//! The exact requests the SDK sender sends: each call through `SdkStore` is captured before it
//! leaves the process and its action and JSON body compared with what the SigV4 sender sends
//! for the same call (`wire`, whose bodies its own unit tests pin down). So both senders ask
//! DynamoDB the very same thing, and a change to one that the other lacks fails here.
#![cfg(feature = "sdk")]

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use aws_smithy_http_client::test_util::{CaptureRequestReceiver, capture_request};
use aws_smithy_types::body::SdkBody;
use omnicanal_dynamodb::expr::key_item;
use omnicanal_dynamodb::request::{render_query, render_write};
use omnicanal_dynamodb::sdk::SdkStore;
use omnicanal_dynamodb::wire;
use omnicanal_platform::clock::{ManualClock, SharedClock};
use omnicanal_store::{
    CompareOp, Condition, Cursor, GSI1PK, GSI1SK, Index, Item, Key, PK, Query, SK, Store, Update, WriteOp, num, s,
};
use serde_json::Value;

const TABLE: &str = "omnicanal-requests";
const NOW_MILLIS: i64 = 1_800_000_000_000;

fn clock() -> SharedClock {
    Arc::new(ManualClock::from_epoch_millis(NOW_MILLIS))
}

/// A store whose client hands its one request to the receiver and answers `answer`.
fn capturing(answer: &str) -> (SdkStore, CaptureRequestReceiver) {
    let response = http::Response::builder().status(200).body(SdkBody::from(answer.to_owned())).expect("a response");
    let (client, receiver) = capture_request(Some(response));
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .http_client(client)
        .build();
    (SdkStore::with_client(aws_sdk_dynamodb::Client::from_conf(config), TABLE, clock()), receiver)
}

/// The captured request's action (`X-Amz-Target` without its prefix) and JSON body.
fn sent(receiver: CaptureRequestReceiver) -> (String, Value) {
    let request = receiver.expect_request();
    let target = request.headers().get("x-amz-target").expect("an X-Amz-Target header");
    let action = target.strip_prefix(wire::TARGET_PREFIX).expect("DynamoDB's target prefix").to_owned();
    let body = serde_json::from_slice(request.body().bytes().expect("a buffered body")).expect("a JSON body");
    (action, body)
}

fn key(sk: &str) -> Key {
    Key::new("CART#c1", sk)
}

fn item(sk: &str) -> Item {
    Item::from([
        (PK.to_owned(), s("CART#c1")),
        (SK.to_owned(), s(sk)),
        ("qty".to_owned(), num(2)),
        ("status".to_owned(), s("active")),
    ])
}

fn conditional_update() -> WriteOp {
    WriteOp::Update {
        key: key("LINE#SHOE-1"),
        updates: vec![Update::add("qty", 1), Update::set("status", s("active"))],
        condition: Some(Condition::compare("qty", CompareOp::Lt, num(100))),
    }
}

fn now_secs() -> i64 {
    NOW_MILLIS / 1000
}

#[tokio::test]
async fn get_item_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing("{}");
    assert_eq!(store.get(&key("META")).await.expect("an answer"), None);
    assert_eq!(sent(receiver), ("GetItem".to_owned(), wire::get_item(TABLE, &key_item(&key("META")))));
}

#[tokio::test]
async fn batch_get_item_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing(r#"{"Responses":{}}"#);
    let keys = [key("A"), key("B")];
    store.batch_get(&keys).await.expect("an answer");
    let asked: Vec<Item> = keys.iter().map(key_item).collect();
    assert_eq!(sent(receiver), ("BatchGetItem".to_owned(), wire::batch_get_item(TABLE, &asked)));
}

#[tokio::test]
async fn query_of_the_index_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing(r#"{"Items":[]}"#);
    let mut last = item("LEVEL#SHOE-1");
    last.insert(GSI1PK.to_owned(), s("REORDER#PAR-01"));
    last.insert(GSI1SK.to_owned(), s("SKU#SHOE-1"));
    let cursor = Cursor::after_item(Index::Gsi1, &last).expect("a cursor");
    let query = Query::gsi1("REORDER#PAR-01", 25).with_prefix("SKU#").after(Some(cursor)).descending();
    store.query(&query).await.expect("an answer");
    let decoded = omnicanal_store::validate::query(&query).expect("a valid query");
    let expected = wire::query(TABLE, &render_query(&query, decoded, now_secs()));
    assert_eq!(sent(receiver), ("Query".to_owned(), expected));
}

#[tokio::test]
async fn a_single_conditional_write_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing("{}");
    let op = conditional_update();
    store.transact(vec![op.clone()]).await.expect("applied");
    let (action, body) = wire::single_write(TABLE, &render_write(&op, now_secs())).expect("a single-item call");
    assert_eq!(sent(receiver), (action.to_owned(), body));
}

#[tokio::test]
async fn a_transaction_is_the_sigv4_senders_request_with_its_token() {
    let (store, receiver) = capturing("{}");
    let ops = vec![
        WriteOp::Put { item: item("LINE#SHOE-2"), condition: Some(Condition::NotExists) },
        conditional_update(),
        WriteOp::Delete { key: key("LINE#SHOE-3"), condition: None },
        WriteOp::Check { key: key("META"), condition: Condition::Exists },
    ];
    store.transact(ops.clone()).await.expect("applied");
    let (action, body) = sent(receiver);
    let token = body["ClientRequestToken"].as_str().expect("an idempotency token").to_owned();
    assert!(!token.is_empty());
    let writes: Vec<_> = ops.iter().map(|op| render_write(op, now_secs())).collect();
    assert_eq!((action, body), ("TransactWriteItems".to_owned(), wire::transact_write_items(TABLE, &writes, &token)));
}

#[tokio::test]
async fn an_update_returning_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing(r#"{"Attributes":{"pk":{"S":"CART#c1"},"sk":{"S":"LINE#SHOE-1"}}}"#);
    let WriteOp::Update { key, updates, condition: Some(condition) } = conditional_update() else {
        unreachable!("a conditional update")
    };
    store.update_returning(&key, updates.clone(), condition.clone()).await.expect("applied");
    let op = WriteOp::Update { key, updates, condition: Some(condition) };
    let expected = wire::update_item_returning(TABLE, &render_write(&op, now_secs()));
    assert_eq!(sent(receiver), ("UpdateItem".to_owned(), expected));
}

#[tokio::test]
async fn a_replace_is_the_sigv4_senders_request() {
    let (store, receiver) = capturing("{}");
    store.replace(item("META")).await.expect("applied");
    let op = WriteOp::Put { item: item("META"), condition: None };
    let expected = wire::put_item_returning_old(TABLE, &render_write(&op, now_secs()));
    assert_eq!(sent(receiver), ("PutItem".to_owned(), expected));
}
