//! The Store conformance suite on both DynamoDB adapters, against the DynamoDB-compatible
//! server the test script starts (`OMNICANAL_TEST_DYNAMODB_ENDPOINT`). Without that variable
//! the tests say so and pass, unless `OMNICANAL_REQUIRE_DYNAMODB=1` (the test script sets it),
//! which makes a missing server a failure.
#![cfg(all(feature = "sdk", feature = "native-http"))]

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_dynamodb::sdk::SdkStore;
use omnicanal_dynamodb::table::ensure_table;
use omnicanal_platform::clock::{ManualClock, SharedClock};
use omnicanal_store::conformance::run_all;
use omnicanal_store::{Item, Key, PK, SK, Store, WriteOp, s};

const TABLE: &str = "omnicanal-conformance";

fn endpoint() -> Option<String> {
    match std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("OMNICANAL_REQUIRE_DYNAMODB").as_deref() != Ok("1"),
                "OMNICANAL_REQUIRE_DYNAMODB=1 but OMNICANAL_TEST_DYNAMODB_ENDPOINT is not set"
            );
            eprintln!("skipped: no OMNICANAL_TEST_DYNAMODB_ENDPOINT (scripts/test starts a server)");
            None
        }
    }
}

fn http_store(endpoint: &str, clock: SharedClock) -> HttpStore<ReqwestTransport> {
    let config = HttpConfig {
        endpoint: endpoint.to_owned(),
        region: "us-east-1".into(),
        table: TABLE.into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        session_token: None,
    };
    HttpStore::new(ReqwestTransport::new().expect("client"), config, clock)
}

fn sdk_store(endpoint: &str, clock: SharedClock) -> SdkStore {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    SdkStore::with_client(aws_sdk_dynamodb::Client::from_conf(config), TABLE, clock)
}

async fn prepared(endpoint: &str, clock: SharedClock) -> HttpStore<ReqwestTransport> {
    let store = http_store(endpoint, clock);
    ensure_table(&store).await.expect("table");
    store
}

fn clock() -> ManualClock {
    ManualClock::new(time::OffsetDateTime::now_utc())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_adapter_conforms() {
    let Some(endpoint) = endpoint() else { return };
    let clock = clock();
    let store = prepared(&endpoint, Arc::new(clock.clone())).await;
    let before = store.round_trips().count();
    run_all(&store, &clock).await;
    assert!(store.round_trips().count() > before, "round trips are counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_adapter_conforms() {
    let Some(endpoint) = endpoint() else { return };
    let clock = clock();
    prepared(&endpoint, Arc::new(clock.clone())).await;
    let store = sdk_store(&endpoint, Arc::new(clock.clone()));
    run_all(&store, &clock).await;
    assert!(store.round_trips().count() > 0, "round trips are counted");
}

#[tokio::test]
async fn both_adapters_share_items_and_creating_the_table_twice_is_harmless() {
    let Some(endpoint) = endpoint() else { return };
    let clock: SharedClock = Arc::new(clock());
    let http = prepared(&endpoint, clock.clone()).await;
    ensure_table(&http).await.expect("second ensure_table");
    let sdk = sdk_store(&endpoint, clock);
    let pk = format!("shared-{}", omnicanal_platform::random::token().expect("random"));
    let item: Item =
        [(PK, s(&pk)), (SK, s("x")), ("v", s("from sdk"))].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    sdk.transact(vec![WriteOp::Put { item: item.clone(), condition: None }]).await.expect("sdk write");
    assert_eq!(http.get(&Key::new(&pk, "x")).await.expect("http read"), Some(item));
}
