//! The sweep: releases holds past their time for real (availability already ignores them).
//! Hosts run [`sweep`] on a schedule (an EventBridge rule on Lambda, a cron trigger on
//! Workers) and devops can run `omnicanal sweep`. Cost: one GSI query per shard and page,
//! then one transaction per expired reservation.

use omnicanal_pipeline::error::ApiError;
use omnicanal_store::Store;

use crate::reservations::finish;
use omnicanal_domain::stock::finish::Finished;
use omnicanal_domain::stock::records::{HELD_INDEX, held_sort_key};

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
    for id in HELD_INDEX.due(store, |sort_key| sort_key < due_before.as_str(), limit).await? {
        match finish(store, &id, ReservationStatus::Expired, now, None).await {
            Ok((Finished::Done, _)) => report.expired += 1,
            Ok((Finished::Already, _)) | Err(ApiError::Conflict { .. }) => report.skipped += 1,
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}
