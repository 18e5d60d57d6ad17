//! The orders sweep: expires `placed` orders past their time for real (their holds stopped
//! counting at once), giving back their points and their offer's use. Hosts run [`sweep`] on
//! a schedule (the Lambda sweep's EventBridge rule, the orders Worker's cron trigger) and
//! devops can run `omnicanal sweep`. Cost: one GSI query per shard and page, then per due
//! order one batch read and one transaction.

use omnicanal_domain::loyalty::rules::LoyaltyRules;
use omnicanal_domain::orders::record::{DUE_INDEX, Order, due_sort_key, order_key};
use omnicanal_domain::orders::settle::{Change, Settle, Settled};
use omnicanal_domain::plan;
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::Store;

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
    for id in DUE_INDEX.due(store, |sort_key| sort_key < due_before.as_str(), limit).await? {
        let Some(found) = store.get(&order_key(&id)).await? else { continue };
        let plan = Settle { order: Order::from_item(found)?, change: Change::Expire, rules, now };
        match plan::execute::<_, _, ApiError>(store, MAX_ATTEMPTS, &plan).await {
            Ok(Settled { changed: true, .. }) => report.expired += 1,
            Ok(Settled { changed: false, .. }) | Err(ApiError::Conflict { .. }) => report.skipped += 1,
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}
