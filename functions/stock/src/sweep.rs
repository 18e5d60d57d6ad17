//! The sweep: releases holds past their time for real (availability already ignores them).
//! Hosts run [`sweep`] on a schedule (an EventBridge rule on Lambda, a cron trigger on
//! Workers) and devops can run `omnicanal sweep`. Cost: one GSI query per shard and page,
//! then one transaction per expired reservation.

use omnicanal_pipeline::error::ApiError;
use omnicanal_store::{AttributeValue, Query, Store};

use crate::reservations::finish;
use omnicanal_domain::stock::finish::Finished;
use omnicanal_domain::stock::records::{HELD_SHARDS, held_sort_key};
use omnicanal_store::GSI1SK;

use omnicanal_domain::stock::records::ReservationStatus;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Reservations released because their time was up.
    pub expired: usize,
    /// Reservations another writer ended first.
    pub skipped: usize,
}

/// Releases every reservation held past `now` (epoch seconds), at most `limit`.
pub async fn sweep<S: Store>(store: &S, now: i64, limit: usize) -> Result<SweepReport, ApiError> {
    let mut report = SweepReport::default();
    let due_before = held_sort_key(now, "");
    for shard in 0..HELD_SHARDS {
        let mut query = Query::gsi1(format!("HELD#{shard}"), 100);
        'pages: loop {
            let page = store.query(&query).await?;
            for item in &page.items {
                let Some(AttributeValue::S(sort_key)) = item.get(GSI1SK) else { continue };
                // Sorted by expiry: the first one still running ends this shard.
                if sort_key.as_str() >= due_before.as_str() {
                    break 'pages;
                }
                let Some(AttributeValue::S(id)) = item.get("reservation_id") else { continue };
                match finish(store, id, ReservationStatus::Expired, now, None).await {
                    Ok((Finished::Done, _)) => report.expired += 1,
                    Ok((Finished::Already, _)) | Err(ApiError::Conflict { .. }) => report.skipped += 1,
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
