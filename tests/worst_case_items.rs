//! The largest item of every record that could grow with traffic
//! (`omnicanal_domain::worst_case`), written to the DynamoDB-compatible server and read back
//! whole: the stated bounds hold where DynamoDB's 400 KB limit is enforced, not only in our
//! own count. Needs the server (`OMNICANAL_TEST_DYNAMODB_ENDPOINT`), so `#[ignore]`d as the
//! other server tests are; `scripts/test` runs it with `--include-ignored`.

use std::sync::Arc;

use omnicanal_domain::worst_case;
use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_dynamodb::table::ensure_table;
use omnicanal_platform::clock::SystemClock;
use omnicanal_store::{Item, Key, Store, WriteOp};

#[tokio::test]
#[ignore = "needs a DynamoDB-compatible server: scripts/test starts one"]
async fn every_worst_case_item_is_written_and_read_back_whole() {
    let endpoint = std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT")
        .expect("OMNICANAL_TEST_DYNAMODB_ENDPOINT: scripts/test starts the server");
    let config = HttpConfig {
        endpoint,
        region: "us-east-1".into(),
        table: "omnicanal-worst-case".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        session_token: None,
    };
    let store = HttpStore::new(ReqwestTransport::new().expect("a client"), config, Arc::new(SystemClock));
    ensure_table(&store).await.expect("the table");
    let items: [(&str, Item); 6] = [
        ("account", worst_case::account_item().expect("an account")),
        ("level", worst_case::level_item()),
        ("cart", worst_case::cart_item().expect("a cart")),
        ("wishlist", worst_case::wishlist_item().expect("a wishlist")),
        ("profile", worst_case::profile_item().expect("a profile")),
        ("order", worst_case::order_item().expect("an order")),
    ];
    for (what, item) in items {
        let key = Key::of(&item).expect("keys");
        store.transact(vec![WriteOp::Put { item: item.clone(), condition: None }]).await.unwrap_or_else(|e| {
            panic!("the largest {what} ({} bytes) is refused: {e}", omnicanal_store::size::item_size(&item))
        });
        let back = store.get(&key).await.expect("a read").expect("the item");
        assert_eq!(back, item, "the {what} comes back whole");
    }
}
