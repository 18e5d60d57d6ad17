//! `POST /cart/carts/{cart_id}/merge`: folds a cart (the anonymous one a shopper filled before
//! logging in) into the customer's cart, and closes it, in one transaction.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::plan::{self, Step};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_store::Store;
use serde::Deserialize;

use crate::access::cart_id;
use crate::answer::respond;
use crate::repo::{MAX_ATTEMPTS, now_ns, written};
use omnicanal_domain::cart::model::{SERVER_DEVICE, Stamp, Status, Strategy, merge_writes};
use omnicanal_domain::cart::record::{cart_key, from_item, put_if_version};
use omnicanal_domain::ids::CartId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    source_cart_id: String,
    strategy: Strategy,
}

/// Merges. Cost: 1 batch read of both carts + 1 transaction of two conditional puts; a
/// retried merge (the source already merged into this cart) reads and changes nothing.
pub(crate) async fn merge<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let caller = call.require(&[Role::Customer])?.sub.clone();
    let target_id = cart_id(call, "cart_id")?;
    let body: MergeBody = call.json()?;
    if CartId::parse(&body.source_cart_id).is_err() || body.source_cart_id == target_id {
        return Err(ApiError::invalid("source_cart_id", "must name another cart"));
    }
    let written = &written(call);
    let (store, target_id, body, caller) = (&call.env.store, &target_id, &body, caller.as_str());
    let merged = plan::run(store, MAX_ATTEMPTS, |_| async move {
        let found = store.batch_get(&[cart_key(target_id), cart_key(&body.source_cart_id)]).await?;
        let [Some(target), Some(source)] = <[_; 2]>::try_from(found).unwrap_or([None, None]) else {
            return Err(ApiError::not_found("no such cart"));
        };
        let (target, source) = (from_item(target)?, from_item(source)?);
        if target.customer_id.as_deref() != Some(caller) {
            return Err(ApiError::forbidden("merge into your own cart"));
        }
        if source.customer_id.as_deref().is_some_and(|owner| owner != caller) {
            return Err(ApiError::forbidden("the source cart belongs to another customer"));
        }
        if source.status == Status::Merged && source.merged_into.as_deref() == Some(target_id.as_str()) {
            // A retry of a merge that already happened.
            return Ok(Step::Done(target));
        }
        target.ensure_active()?;
        source.ensure_active()?;

        let now = now_ns(call);
        // After every register of both carts and the target's horizon: the merge's writes win.
        let registers = target.lines.values().chain(source.lines.values()).map(|l| &l.stamp);
        let newest = registers.chain(target.horizon.as_ref()).map(|stamp| stamp.at_ns).max();
        let stamp = Stamp { at_ns: now.max(newest.map_or(now, |n| n.saturating_add(1))), device: SERVER_DEVICE.into() };
        let updated_at = &written.at;
        let mut merged = target.clone();
        for write in merge_writes(&target, &source, body.strategy, &stamp, &call.channel.to_string()) {
            merged.apply(write, updated_at);
        }
        merged.settle()?;
        written.stamp(&mut merged, target.version);
        let mut closed = source.clone();
        closed.status = Status::Merged;
        closed.merged_into = Some(target_id.to_owned());
        closed.version = source.version + 1;
        closed.updated_at.clone_from(updated_at);
        let ops = vec![put_if_version(&merged, Some(target.version))?, put_if_version(&closed, Some(source.version))?];
        Ok(Step::Write { ops, then: merged })
    })
    .await?;
    respond(StatusCode::OK, &merged, None)
}
