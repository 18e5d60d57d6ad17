//! The orders sweep: expires `placed` orders past their time for real (their holds stopped
//! counting at once), giving back their points and their offer's use. Hosts run [`sweep`] on
//! a schedule (the Lambda sweep's EventBridge rule, the orders Worker's cron trigger) and
//! devops can run `omnicanal sweep`. Cost: one GSI query per shard and page, then per due
//! order one batch read and one transaction.

use omnicanal_domain::loyalty::rules::LoyaltyRules;
use omnicanal_domain::orders::record::{DUE_SHARDS, Order, due_sort_key, order_key};
use omnicanal_domain::orders::settle::{Change, Settle, Settled};
use omnicanal_domain::plan;
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::{AttributeValue, GSI1SK, Query, Store};

/// Attempts per order: a lost race means someone else just touched it.
const MAX_ATTEMPTS: u32 = 8;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Orders that expired in this run.
    pub expired: usize,
    /// Orders another writer ended first.
    pub skipped: usize,
}

/// Expires every `placed` order past its time at `now`, at most `limit`.
pub async fn sweep<S: Store>(
    store: &S,
    rules: &LoyaltyRules,
    now: time::OffsetDateTime,
    limit: usize,
) -> Result<SweepReport, ApiError> {
    let mut report = SweepReport::default();
    // Due means past its time: a placed order is still good through its last second.
    let due_before = due_sort_key(now.unix_timestamp(), "");
    for shard in 0..DUE_SHARDS {
        let mut query = Query::gsi1(format!("ORDERS_DUE#{shard}"), 100);
        'pages: loop {
            let page = store.query(&query).await?;
            for item in &page.items {
                let Some(AttributeValue::S(sort_key)) = item.get(GSI1SK) else { continue };
                if sort_key.as_str() >= due_before.as_str() {
                    break 'pages;
                }
                let Some(AttributeValue::S(id)) = item.get("order_id") else { continue };
                let Some(found) = store.get(&order_key(id)).await? else { continue };
                let plan = Settle { order: Order::from_item(found)?, change: Change::Expire, rules, now };
                match plan::execute::<_, _, ApiError>(store, MAX_ATTEMPTS, &plan).await {
                    Ok(Settled { changed: true, .. }) => report.expired += 1,
                    Ok(Settled { changed: false, .. }) | Err(ApiError::Conflict { .. }) => report.skipped += 1,
                    Err(other) => return Err(other),
                }
                if report.expired + report.skipped >= limit {
                    return Ok(report);
                }
            }
            match page.cursor {
                Some(cursor) => query = query.after(Some(cursor)),
                None => break,
            }
        }
    }
    Ok(report)
}
