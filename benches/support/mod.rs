//! What the benches that talk to a DynamoDB-compatible server share.

use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_dynamodb::table::ensure_table;
use omnicanal_platform::clock::SharedClock;

/// The variable naming the server (`scripts/bench` starts one and sets it).
pub(crate) const ENDPOINT_VAR: &str = "OMNICANAL_BENCH_DYNAMODB_ENDPOINT";

/// The server's URL, or exits with a word on how to get one.
pub(crate) fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        eprintln!("set {ENDPOINT_VAR} (scripts/bench starts a DynamoDB-compatible server)");
        std::process::exit(2);
    })
}

/// A fresh table named after `purpose` and this process, created and ready, and the HTTP
/// adapter on it.
pub(crate) async fn fresh_table(endpoint: &str, purpose: &str, clock: SharedClock) -> HttpStore<ReqwestTransport> {
    let config = HttpConfig {
        endpoint: endpoint.to_owned(),
        region: "us-east-1".into(),
        table: format!("omnicanal-{purpose}-{}", std::process::id()),
        access_key_id: "bench".into(),
        secret_access_key: "bench".into(),
        session_token: None,
    };
    let store = HttpStore::new(ReqwestTransport::new().expect("an HTTP client"), config, clock);
    ensure_table(&store).await.expect("the table is created");
    store
}
