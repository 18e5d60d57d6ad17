//! `GET /loyalty/me` and `GET /loyalty/me/transactions` (customer).

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::loyalty::account::Account;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Item, Query, Store};
use serde_json::json;

use crate::ledger::run;
use omnicanal_domain::loyalty::change::{AccountChange, Decision};
use omnicanal_domain::loyalty::records::{StoredEntry, ledger_pk};

/// How far ahead `expiring` looks.
pub(crate) const EXPIRING_DAYS: i64 = 30;

fn time_of(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs).map(rfc3339).unwrap_or_default()
}

/// The balance, tier, lifetime points, what lapses in the next 30 days, and the channels of
/// this calendar month. Lapsed lots are written off first (expire entries). Cost: 1 read,
/// + 1 transaction when something lapsed.
pub(crate) async fn me<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let now = call.now().unix_timestamp();
    let rules = &call.env.config.loyalty;
    let view = AccountChange {
        customer_id: customer,
        markers: vec![],
        now: call.now(),
        decide: |account: &mut Account, _: &[Option<&Item>]| -> Result<_, ApiError> {
            let entries = account.expire(now);
            let answer = json!({
                "balance": account.balance,
                "tier": account.tier_at(rules, now),
                "lifetime_points": account.lifetime_points,
                "expiring": account.expiring(now, EXPIRING_DAYS).into_iter()
                    .map(|(at, points)| json!({"points": points, "expires_at": time_of(at)})).collect::<Vec<_>>(),
                "channels_this_period": account.channels_in(now),
            });
            if entries.is_empty() {
                Ok(Decision::Answer(answer))
            } else {
                Ok(Decision::Write { entries, markers: vec![], answer })
            }
        },
    };
    let answer = run(&call.env.store, &view).await?;
    json::response(StatusCode::OK, &answer)
}

/// The ledger, newest first: `limit` (1-100, default 20) and an opaque `cursor`. Cost: 1
/// query.
pub(crate) async fn transactions<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let (limit, cursor) = call.paging(20, 100)?;
    let query = Query::partition(ledger_pk(&customer), limit).descending().after(cursor);
    // A foreign cursor is a 400 `invalid_cursor` (mapped with every store error).
    let page = call.env.store.query(&query).await?;
    let transactions: Vec<StoredEntry> = page
        .items
        .into_iter()
        .map(|item| serde_dynamo::from_item(item).map_err(|e| ApiError::internal_because("corrupt entry", e)))
        .collect::<Result<_, _>>()?;
    let next = page.cursor.map(|c| c.as_str().to_owned());
    json::response(StatusCode::OK, &json!({"transactions": transactions, "next_cursor": next}))
}
