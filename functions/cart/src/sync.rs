//! `POST /cart/carts/{cart_id}/sync`: a batch of offline operations from one device.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;
use serde_json::{Map, json};

use crate::access::cart_id;
use crate::answer::respond;
use crate::offline::{SyncBody, client_time, device_problem};
use crate::repo::{change_for, now_ns, run};
use omnicanal_domain::cart::model::{Cart, MAX_QTY, MAX_SYNC_OPS, Stamp, Write};

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum OpKind {
    Set,
    Remove,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpBody {
    op: OpKind,
    sku: String,
    qty: Option<u32>,
    at: String,
}

/// Checks the batch and turns it into writes (client times clamped), or lists every field
/// problem.
fn writes(body: &SyncBody<OpBody>, now_ns: i64, channel: &str) -> Result<Vec<Write>, ApiError> {
    let mut errors: Vec<FieldError> = device_problem(&body.device_id).into_iter().collect();
    if body.ops.len() > MAX_SYNC_OPS {
        errors.push(FieldError::new("ops", format!("at most {MAX_SYNC_OPS} operations per sync")));
    }
    let mut writes = Vec::with_capacity(body.ops.len());
    for (i, op) in body.ops.iter().enumerate() {
        let sku = Sku::parse(&op.sku).map_err(|m| FieldError::new(format!("ops[{i}].sku"), m));
        let qty = match (op.op, op.qty) {
            (OpKind::Set, Some(qty)) if (1..=MAX_QTY).contains(&qty) => Ok(qty),
            (OpKind::Set, _) => Err(FieldError::new(format!("ops[{i}].qty"), format!("a set needs qty 1-{MAX_QTY}"))),
            (OpKind::Remove, None) => Ok(0),
            (OpKind::Remove, Some(_)) => Err(FieldError::new(format!("ops[{i}].qty"), "a remove takes no qty")),
        };
        let at = client_time(i, &op.at, now_ns);
        match (sku, qty, at) {
            (Ok(sku), Ok(qty), Ok(at)) => writes.push(Write {
                sku: sku.as_str().to_owned(),
                qty,
                stamp: Stamp { at_ns: at, device: body.device_id.clone() },
                channel: channel.to_owned(),
            }),
            (sku, qty, at) => errors.extend([sku.err(), qty.err(), at.err()].into_iter().flatten()),
        }
    }
    if errors.is_empty() { Ok(writes) } else { Err(ApiError::Validation(errors)) }
}

/// Applies the batch: each op wins or loses against its line's register. Answers the cart
/// plus `applied` and `ignored`. Cost: 1 read + 1 conditional put (none if nothing won).
pub(crate) async fn apply<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let id = cart_id(call, "cart_id")?;
    let body: SyncBody<OpBody> = call.json()?;
    let batch = writes(&body, now_ns(call), &call.channel.to_string())?;
    let updated_at = rfc3339(call.now());
    let change = change_for(call, &id, |cart: &mut Cart| {
        let applied = batch.iter().filter(|w| cart.apply((*w).clone(), &updated_at)).count();
        Ok::<_, ApiError>((applied > 0, applied))
    })?;
    let (cart, applied) = run(&call.env.store, &change, None).await?;
    let mut counts = Map::new();
    counts.insert("applied".into(), json!(applied));
    counts.insert("ignored".into(), json!(batch.len() - applied));
    respond(StatusCode::OK, &cart, Some(counts))
}
