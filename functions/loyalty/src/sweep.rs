//! The scheduled expiry: writes off lapsed lots of every account whose earliest lot is due,
//! found through the sparse expiry index. Reads and writes do the same lazily.

use omnicanal_domain::loyalty::account::Account;
use omnicanal_domain::loyalty::change::{AccountChange, Decision};
use omnicanal_domain::loyalty::records::EXPIRY_INDEX;
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::{Item, Store};

use crate::ledger::run;

/// Expires the lapsed lots of up to `limit` due accounts at `now`; returns how many accounts
/// it wrote.
pub async fn sweep<S: Store>(store: &S, now: time::OffsetDateTime, limit: usize) -> Result<usize, ApiError> {
    let due_before = format!("{:012}~", now.unix_timestamp());
    let mut written = 0;
    for customer in EXPIRY_INDEX.due(store, |sort_key| sort_key <= due_before.as_str(), limit).await? {
        if expire_one(store, &customer, now).await? {
            written += 1;
        }
    }
    Ok(written)
}

async fn expire_one<S: Store>(store: &S, customer: &str, now: time::OffsetDateTime) -> Result<bool, ApiError> {
    let secs = now.unix_timestamp();
    let lapse = AccountChange {
        customer_id: customer.to_owned(),
        markers: vec![],
        now,
        decide: |account: &mut Account, _: &[Option<&Item>]| -> Result<_, ApiError> {
            let entries = account.expire(secs);
            Ok(if entries.is_empty() {
                Decision::Answer(false)
            } else {
                Decision::Write { entries, markers: vec![], answer: true }
            })
        },
    };
    run(store, &lapse).await
}
