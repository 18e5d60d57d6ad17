//! The table, defined once: `omnicanal table create` builds it from here, and a test checks
//! that `template.yaml` declares the same keys, index and TTL.

use serde_json::{Value, json};

use omnicanal_store::{EXPIRES_AT, GSI1_NAME, GSI1PK, GSI1SK, PK, SK, Store as _};

/// The key attributes (all strings): table hash and range, GSI hash and range.
pub const KEY_ATTRIBUTES: [&str; 4] = [PK, SK, GSI1PK, GSI1SK];

/// `CreateTable` for the single table: `pk`/`sk` strings, GSI `gsi1` on `gsi1pk`/`gsi1sk`
/// projecting every attribute, on-demand billing.
pub fn create_table_request(table: &str) -> Value {
    json!({
        "TableName": table,
        "AttributeDefinitions": KEY_ATTRIBUTES
            .iter()
            .map(|name| json!({"AttributeName": name, "AttributeType": "S"}))
            .collect::<Vec<_>>(),
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"}
        ],
        "GlobalSecondaryIndexes": [{
            "IndexName": GSI1_NAME,
            "KeySchema": [
                {"AttributeName": GSI1PK, "KeyType": "HASH"},
                {"AttributeName": GSI1SK, "KeyType": "RANGE"}
            ],
            "Projection": {"ProjectionType": "ALL"}
        }],
        "BillingMode": "PAY_PER_REQUEST"
    })
}

/// `UpdateTimeToLive`: DynamoDB deletes items some time after their `expires_at`.
pub fn enable_ttl_request(table: &str) -> Value {
    json!({
        "TableName": table,
        "TimeToLiveSpecification": {"AttributeName": EXPIRES_AT, "Enabled": true}
    })
}

/// Creates the table (keys, GSI, on-demand), waits until it is active, and enables TTL on
/// `expires_at`. An existing table is left as it is, so this can run every time.
pub async fn ensure_table<T: super::http::Transport>(
    store: &super::http::HttpStore<T>,
) -> Result<(), omnicanal_store::StoreError> {
    let table = store.table();
    let describe = json!({"TableName": table});
    match store.call_json("DescribeTable", &describe).await {
        Ok(_) => {}
        Err(err) if err.to_string().contains("ResourceNotFoundException") => {
            match store.call_json("CreateTable", &create_table_request(table)).await {
                // Someone else created it meanwhile: as good.
                Err(err) if !err.to_string().contains("ResourceInUseException") => return Err(err),
                _ => {}
            }
        }
        Err(err) => return Err(err),
    }
    for _ in 0..120 {
        let answer = store.call_json("DescribeTable", &describe).await?;
        let status = answer["Table"]["TableStatus"].as_str().unwrap_or_default().to_owned();
        let gsi_active = answer["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .is_none_or(|all| all.iter().all(|gsi| gsi["IndexStatus"].as_str().is_none_or(|s| s == "ACTIVE")));
        if status == "ACTIVE" && gsi_active {
            break;
        }
        store.pause(std::time::Duration::from_millis(500)).await;
    }
    let ttl = store.call_json("DescribeTimeToLive", &describe).await?;
    let ttl_status = ttl["TimeToLiveDescription"]["TimeToLiveStatus"].as_str().unwrap_or_default();
    if ttl_status != "ENABLED" && ttl_status != "ENABLING" {
        store.call_json("UpdateTimeToLive", &enable_ttl_request(table)).await?;
    }
    Ok(())
}
