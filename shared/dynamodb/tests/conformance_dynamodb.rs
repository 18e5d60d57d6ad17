//! The Store conformance suite on both DynamoDB adapters, one test per case and adapter,
//! against the DynamoDB-compatible server the test script starts
//! (`OMNICANAL_TEST_DYNAMODB_ENDPOINT`). They need that server, so they are `#[ignore]`d: a
//! plain `cargo test` reports them as ignored, never as passed; `scripts/test` runs them with
//! `--include-ignored`, and there a missing server fails them.
#![cfg(all(feature = "sdk", feature = "native-http"))]

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_dynamodb::sdk::SdkStore;
use omnicanal_dynamodb::table::ensure_table;
use omnicanal_platform::clock::{ManualClock, SharedClock};
use omnicanal_store::conformance_tests;
use omnicanal_store::{Item, Key, PK, SK, Store, WriteOp, s};

const TABLE: &str = "omnicanal-conformance";

/// Why these tests are ignored unless asked for.
const NEEDS_SERVER: &str = "needs a DynamoDB-compatible server: scripts/test starts one";

fn endpoint() -> String {
    match std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("OMNICANAL_TEST_DYNAMODB_ENDPOINT is not set: {NEEDS_SERVER}"),
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

/// The SigV4 sender's adapter, one test per conformance case.
mod http {
    use super::*;

    conformance_tests!(
        #[ignore = "needs a DynamoDB-compatible server: scripts/test starts one"]
        |clock| prepared(&endpoint(), Arc::new(clock.clone())).await
    );
}

/// The SDK sender's adapter, one test per conformance case.
mod sdk {
    use super::*;

    conformance_tests!(
        #[ignore = "needs a DynamoDB-compatible server: scripts/test starts one"]
        |clock| {
            prepared(&endpoint(), Arc::new(clock.clone())).await;
            sdk_store(&endpoint(), Arc::new(clock.clone()))
        }
    );
}

#[tokio::test]
#[ignore = "needs a DynamoDB-compatible server: scripts/test starts one"]
async fn both_adapters_share_items_and_creating_the_table_twice_is_harmless() {
    let endpoint = endpoint();
    let clock: SharedClock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let http = prepared(&endpoint, clock.clone()).await;
    ensure_table(&http).await.expect("second ensure_table");
    let sdk = sdk_store(&endpoint, clock);
    let pk = format!("shared-{}", omnicanal_platform::random::token().expect("random"));
    let item: Item =
        [(PK, s(&pk)), (SK, s("x")), ("v", s("from sdk"))].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    sdk.transact(vec![WriteOp::Put { item: item.clone(), condition: None }]).await.expect("sdk write");
    assert_eq!(http.get(&Key::new(&pk, "x")).await.expect("http read"), Some(item));
}
