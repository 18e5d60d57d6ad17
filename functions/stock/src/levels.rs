//! Stock takes (`PUT /stock/items/{sku}/levels/{location_id}`) and movements
//! (`POST /stock/adjustments`, once per `event_id`): both a [`Movement::Count`], which sets
//! `on_hand` conditioned on the value read and keeps `free` and the reorder entry right in
//! the same write (`omnicanal_domain::stock::movement`).

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::catalog::{self, Product};
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::context::is_location_id;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{AttributeValue, Condition, Item, Store, WriteOp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::items::path_sku;
use crate::locations::path_location;
use omnicanal_domain::plan::{self, Step};
use omnicanal_domain::stock::movement::Movement;
use omnicanal_domain::stock::records::{Level, Location, event_key, level_key, location_key};
use omnicanal_domain::stock::rules;

/// The largest count accepted.
pub(crate) const MAX_COUNT: i64 = 1_000_000_000;
/// Attempts when concurrent movements keep changing `on_hand`.
const MAX_ATTEMPTS: u32 = 32;

/// The stock take or adjustment that sets a level's `on_hand` to `new_on_hand`, if it still
/// is what we read.
fn count(current: Option<&Level>, new_on_hand: i64) -> Movement {
    Movement::Count { from: current.map(|l| l.on_hand), to: new_on_hand }
}

/// A level as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct LevelView {
    sku: String,
    location_id: String,
    on_hand: i64,
    held: i64,
    available: i64,
}

fn view(sku: &str, location_id: &str, on_hand: i64, level: Option<&Level>, product: &Product, now: i64) -> LevelView {
    let live_held = level.map_or(0, |l| l.held - l.expired_held(now));
    let after = count(level, on_hand).apply(level);
    LevelView {
        sku: sku.to_owned(),
        location_id: location_id.to_owned(),
        on_hand,
        held: live_held,
        available: rules::available(Some(&after), i64::from(product.safety_stock), now),
    }
}

/// What the movement endpoints read first, in one batch: product, location, level, and the
/// event marker for adjustments.
struct Context {
    product: Product,
    level: Option<Level>,
    event: Option<Item>,
}

async fn read_context<S: Store>(
    store: &S,
    sku: &Sku,
    location_id: &str,
    event_id: Option<&str>,
) -> Result<Context, ApiError> {
    let mut keys = vec![catalog::product_key(sku), location_key(location_id), level_key(sku.as_str(), location_id)];
    keys.extend(event_id.map(event_key));
    let mut found = store.batch_get(&keys).await?.into_iter();
    let product = found.next().flatten().ok_or_else(|| ApiError::not_found(format!("no product with SKU {sku}")))?;
    found
        .next()
        .flatten()
        .map(Location::from_item)
        .transpose()?
        .ok_or_else(|| ApiError::not_found(format!("no location {location_id}")))?;
    let level = found.next().flatten().map(Level::from_item).transpose()?;
    Ok(Context { product: Product::from_item(product)?, level, event: found.next().flatten() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockTake {
    on_hand: i64,
}

/// Sets the counted `on_hand` (staff / service). Cost: 1 batch read + 1 conditional update.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let sku = path_sku(call)?;
    let location_id = path_location(call)?;
    let body: StockTake = call.json()?;
    if !(0..=MAX_COUNT).contains(&body.on_hand) {
        return Err(ApiError::invalid("on_hand", format!("must be between 0 and {MAX_COUNT}")));
    }
    let now = call.now().unix_timestamp();
    let (store, sku, location_id, on_hand) = (&call.env.store, &sku, &location_id, body.on_hand);
    let shown = plan::run(store, MAX_ATTEMPTS, |_| async move {
        let ctx = read_context(store, sku, location_id, None).await?;
        let reorder_point = i64::from(ctx.product.reorder_point);
        let write = count(ctx.level.as_ref(), on_hand).write(sku.as_str(), location_id, reorder_point, vec![], None);
        let shown = view(sku.as_str(), location_id, on_hand, ctx.level.as_ref(), &ctx.product, now);
        Ok::<_, ApiError>(Step::Write { ops: vec![write], then: shown })
    })
    .await?;
    json::response(StatusCode::OK, &shown)
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    event_id: String,
    sku: String,
    location_id: String,
    delta: i64,
    reason: String,
}

#[derive(Deserialize, Serialize)]
struct EventRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    result: LevelView,
}

fn check(body: &Adjustment) -> Result<Sku, ApiError> {
    let mut errors = Vec::new();
    if !(1..=128).contains(&body.event_id.len()) || !body.event_id.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push(FieldError::new("event_id", "must be 1-128 printable ASCII characters"));
    }
    let sku = Sku::parse(&body.sku).map_err(|m| FieldError::new("sku", m));
    if !is_location_id(&body.location_id) {
        errors.push(FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    if body.delta == 0 || body.delta.abs() > MAX_COUNT {
        errors.push(FieldError::new("delta", format!("must be non-zero, between -{MAX_COUNT} and {MAX_COUNT}")));
    }
    if !(1..=200).contains(&body.reason.chars().count()) {
        errors.push(FieldError::new("reason", "must be 1-200 characters"));
    }
    match sku {
        Ok(sku) if errors.is_empty() => Ok(sku),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(e) => {
            errors.insert(0, e);
            Err(ApiError::Validation(errors))
        }
    }
}

/// Applies a movement once per `event_id` (staff / service): `201` the first time, `200`
/// with the same result on a repeat, `409 event_id_reused` for another movement under the
/// same id. Cost: 1 batch read + 1 transaction (marker + level).
pub(crate) async fn adjust<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let body: Adjustment = call.json()?;
    let sku = check(&body)?;
    let fingerprint = hex_digest(&serde_json::to_vec(&body).unwrap_or_default());
    let now = call.now().unix_timestamp();
    let (store, sku, body, fingerprint, applied_at) = (&call.env.store, &sku, &body, &fingerprint, rfc3339(call.now()));
    let applied_at = &applied_at;
    plan::run(store, MAX_ATTEMPTS, |_| async move {
        let ctx = read_context(store, sku, &body.location_id, Some(&body.event_id)).await?;
        if let Some(event) = ctx.event {
            return Ok(Step::Done(replay(event, fingerprint)?));
        }
        let on_hand = ctx.level.as_ref().map_or(0, |l| l.on_hand) + body.delta;
        if on_hand < 0 {
            return Err(ApiError::conflict("insufficient_stock", format!("only {} on hand", on_hand - body.delta)));
        }
        let result = view(sku.as_str(), &body.location_id, on_hand, ctx.level.as_ref(), &ctx.product, now);
        let key = event_key(&body.event_id);
        let record = EventRecord { pk: key.pk, sk: key.sk, fingerprint: fingerprint.clone(), result: result.clone() };
        let mut marker: Item =
            serde_dynamo::to_item(&record).map_err(|e| ApiError::internal_because("record mapping", e))?;
        marker.insert("applied_at".into(), AttributeValue::S(applied_at.clone()));
        let ops = vec![
            WriteOp::Put { item: marker, condition: Some(Condition::NotExists) },
            count(ctx.level.as_ref(), on_hand).write(
                sku.as_str(),
                &body.location_id,
                i64::from(ctx.product.reorder_point),
                vec![],
                None,
            ),
        ];
        Ok(Step::Write { ops, then: json::response(StatusCode::CREATED, &result)? })
    })
    .await
}

fn replay(event: Item, fingerprint: &str) -> Result<http::Response<Bytes>, ApiError> {
    let record: EventRecord =
        serde_dynamo::from_item(event).map_err(|e| ApiError::internal_because("corrupt event record", e))?;
    if record.fingerprint != fingerprint {
        return Err(ApiError::conflict("event_id_reused", "this event_id was applied to another movement"));
    }
    json::response(StatusCode::OK, &record.result)
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
