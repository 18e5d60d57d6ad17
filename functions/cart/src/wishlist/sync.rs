//! `POST /cart/wishlist/sync`: a batch of offline saves and removes from one device, by the
//! cart sync's rules and limits.

use bytes::Bytes;
use omnicanal_domain::cart::model::MAX_SYNC_OPS;
use omnicanal_domain::plan;
use omnicanal_domain::registers::Stamp;
use omnicanal_domain::values::Sku;
use omnicanal_domain::wishlist::change::{WishOp, WishlistChange};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;
use serde_json::{Map, json};

use super::shown::{respond, selling};
use crate::offline::{SyncBody, client_time, device_problem};
use crate::repo::{MAX_ATTEMPTS, now_ns};

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum OpKind {
    Add,
    Remove,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpBody {
    op: OpKind,
    sku: String,
    at: String,
}

/// Checks the batch and turns it into the list's writes, or lists every field problem.
fn ops(body: &SyncBody<OpBody>, now_ns: i64) -> Result<Vec<WishOp>, ApiError> {
    let mut errors: Vec<FieldError> = device_problem(&body.device_id).into_iter().collect();
    if body.ops.len() > MAX_SYNC_OPS {
        errors.push(FieldError::new("ops", format!("at most {MAX_SYNC_OPS} operations per sync")));
    }
    let mut ops = Vec::with_capacity(body.ops.len());
    for (i, op) in body.ops.iter().enumerate() {
        let field = format!("ops[{i}].sku");
        let sku = Sku::parse(&op.sku).map_err(|m| FieldError::new(field.clone(), m));
        match (sku, client_time(i, &op.at, now_ns)) {
            (Ok(sku), Ok(at_ns)) => ops.push(WishOp {
                field,
                sku,
                remove: op.op == OpKind::Remove,
                stamp: Some(Stamp { at_ns, device: body.device_id.clone() }),
            }),
            (sku, at) => errors.extend([sku.err(), at.err()].into_iter().flatten()),
        }
    }
    if errors.is_empty() { Ok(ops) } else { Err(ApiError::Validation(errors)) }
}

/// Applies the batch: each op wins or loses against its item's register; a save of a SKU
/// without a product refuses the batch. Answers the list plus `applied` and `ignored`. Cost:
/// the list and the saved SKUs' products beside the locations query, 1 conditional put
/// (none if nothing won), then the products and levels.
pub(crate) async fn apply<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let body: SyncBody<OpBody> = call.json()?;
    let batch = ops(&body, now_ns(call))?;
    let count = batch.len();
    let plan = WishlistChange {
        customer_id: customer,
        ops: batch,
        channel: call.channel.to_string(),
        now_ns: now_ns(call),
        at: rfc3339(call.now()),
    };
    let (changed, locations) =
        futures::join!(plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &plan), selling(call));
    let (list, applied) = changed?;
    let mut counts = Map::new();
    counts.insert("applied".into(), json!(applied));
    counts.insert("ignored".into(), json!(count - applied));
    respond(call, &list, &locations?, Some(counts)).await
}
