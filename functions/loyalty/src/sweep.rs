//! The scheduled expiry: writes off lapsed lots of every account whose earliest lot is due,
//! found through the sparse expiry index. Reads and writes do the same lazily.

use omnicanal_domain::loyalty::account::Account;
use omnicanal_domain::loyalty::change::{AccountChange, Decision};
use omnicanal_domain::loyalty::records::EXPIRY_SHARDS;
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::{AttributeValue, GSI1SK, Item, Query, Store};

use crate::ledger::run;

/// Expires the lapsed lots of up to `limit` due accounts at `now`; returns how many accounts
/// it wrote.
pub async fn sweep<S: Store>(store: &S, now: time::OffsetDateTime, limit: usize) -> Result<usize, ApiError> {
    let secs = now.unix_timestamp();
    let due_before = format!("{secs:012}~");
    let mut written = 0;
    for shard in 0..EXPIRY_SHARDS {
        let mut query = Query::gsi1(format!("LOYALTY_EXPIRY#{shard}"), 100);
        'pages: loop {
            let page = store.query(&query).await?;
            for item in &page.items {
                let Some(AttributeValue::S(sort_key)) = item.get(GSI1SK) else { continue };
                if sort_key.as_str() > due_before.as_str() {
                    break 'pages;
                }
                let Some(AttributeValue::S(customer)) = item.get("customer_id") else { continue };
                if expire_one(store, customer, now).await? {
                    written += 1;
                }
                if written >= limit {
                    return Ok(written);
                }
            }
            match page.cursor {
                Some(cursor) => query = query.after(Some(cursor)),
                None => break,
            }
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
