//! Reservations: all lines or none, held until a time, then committed (a sale), released,
//! or expired. The table enforces "never oversell": each line's level update carries the
//! condition `free ≥ qty + safety stock`, and all of them commit in one transaction with the
//! reservation record, whose `NotExists` condition makes `reservation_id` idempotent.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::{Caller, Role};
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Condition, GSI1PK, GSI1SK, Store, Update, WriteOp, s};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::availability::{LineBody, check_lines};
use crate::reads::{Stock, selling_locations};
use omnicanal_domain::plan::{self, Step};
use omnicanal_domain::stock::movement::Movement;
use omnicanal_domain::stock::records::{
    Hold, Reservation, ReservationStatus, ReservedLine, hold_attr, hold_value, reservation_key,
};
use omnicanal_domain::stock::rules::{choose_location, sum_lines};

/// The longest hold a reservation may ask for (7 days).
pub(crate) const MAX_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// Rounds of "release expired holds in the way, then try again".
const MAX_ATTEMPTS: u32 = 8;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ReserveBody {
    reservation_id: String,
    cart_id: Option<String>,
    location_id: Option<String>,
    lines: Vec<LineBody>,
    ttl_seconds: i64,
}

/// A reservation as the API shows it.
#[derive(Serialize)]
struct ReservationView<'a> {
    reservation_id: &'a str,
    status: ReservationStatus,
    location_id: &'a str,
    lines: &'a [ReservedLine],
    expires_at: String,
    cart_id: Option<&'a str>,
}

fn respond(status: StatusCode, reservation: &Reservation, now: i64) -> Result<http::Response<Bytes>, ApiError> {
    let expires_at = time::OffsetDateTime::from_unix_timestamp(reservation.until).map(rfc3339).unwrap_or_default();
    let shown = ReservationView {
        reservation_id: &reservation.reservation_id,
        status: reservation.status_at(now),
        location_id: &reservation.location_id,
        lines: &reservation.lines,
        expires_at,
        cart_id: reservation.cart_id.as_deref(),
    };
    json::response(status, &shown)
}

fn is_reservation_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `cart_id` names an active cart (the holder's capability).
async fn active_cart<S: Store>(store: &S, cart_id: &str) -> Result<bool, ApiError> {
    if !omnicanal_domain::cart::record::is_cart_id(cart_id) {
        return Ok(false);
    }
    match store.get(&omnicanal_domain::cart::record::cart_key(cart_id)).await? {
        Some(item) => {
            Ok(omnicanal_domain::cart::record::from_item(item)?.status == omnicanal_domain::cart::model::Status::Active)
        }
        None => Ok(false),
    }
}

fn validate(body: &ReserveBody) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if !is_reservation_id(&body.reservation_id) {
        errors.push(FieldError::new("reservation_id", "must be 1-128 of A-Z a-z 0-9 _ -"));
    }
    if !(1..=MAX_TTL_SECONDS).contains(&body.ttl_seconds) {
        errors.push(FieldError::new("ttl_seconds", format!("must be between 1 and {MAX_TTL_SECONDS}")));
    }
    if let Some(id) = &body.location_id
        && !omnicanal_pipeline::context::is_location_id(id)
    {
        errors.push(FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_lines(&body.lines)
}

/// `POST /stock/reservations` (cart holder, customer, service): holds every line at one
/// location, or nothing (`409 insufficient_stock` with the short lines). Cost: 1 query of
/// the locations, 1 batch read (products, levels, the reservation's own id), 1 transaction;
/// a cart holder's cart is 1 read more.
pub(crate) async fn create<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: ReserveBody = call.json()?;
    validate(&body)?;
    let caller = call.caller()?.cloned();
    let customer_id = caller.as_ref().filter(|c| c.has(Role::Customer)).map(|c| c.sub.clone());
    let is_service = caller.as_ref().is_some_and(|c| c.has(Role::Service));
    let holds_cart = match &body.cart_id {
        Some(cart_id) => active_cart(&call.env.store, cart_id).await?,
        None => false,
    };
    if body.cart_id.is_some() && !holds_cart && !is_service {
        return Err(ApiError::invalid("cart_id", "no active cart with this id"));
    }
    if customer_id.is_none() && !is_service && !holds_cart {
        return Err(ApiError::Unauthenticated(omnicanal_pipeline::auth::AuthError::Missing));
    }
    let store = &call.env.store;
    let now = call.now().unix_timestamp();
    let channel = call.channel.to_string();
    let fingerprint = fingerprint(&body, customer_id.as_deref(), &channel);
    let wanted = sum_lines(body.lines.iter().map(|l| (l.sku.as_str(), l.qty)));
    let skus: Vec<String> = wanted.keys().cloned().collect();

    let (body, wanted, skus, channel, fingerprint, customer_id) =
        (&body, &wanted, &skus, &channel, &fingerprint, &customer_id);
    let created_at = &rfc3339(call.now());
    let response = plan::run(store, MAX_ATTEMPTS, |tried| async move {
        let locations = selling_locations(store, channel, None).await?;
        let candidates: Vec<String> = locations
            .iter()
            .map(|l| l.location_id.clone())
            .filter(|id| body.location_id.as_ref().is_none_or(|only| only == id))
            .collect();
        // The reservation's own record comes in the same batch read: a retry is answered
        // from it, whatever the stock is now.
        let id_key = reservation_key(&body.reservation_id);
        let (stock, existing) = Stock::read_along(store, skus, &candidates, Some(&id_key)).await?;
        if let Some(item) = existing {
            return Ok(Step::Done(replay(Reservation::from_item(item)?, fingerprint, now)?));
        }
        // The last attempt lost a race. Availability counts expired holds back in, but `free`
        // lacks their units until they are released: release them (the decision below stays
        // the same, the write's conditions can now hold). Any other lost race (for the units,
        // for the id) is decided again on this fresh read.
        let released = if tried > 1 { Some(release_expired(store, &stock, now).await?) } else { None };
        if let Some(only) = &body.location_id
            && candidates.is_empty()
        {
            return Err(ApiError::invalid("location_id", format!("no location {only} sells to channel {channel}")));
        }
        let named: Vec<(String, String)> =
            body.lines.iter().enumerate().map(|(i, l)| (format!("lines[{i}].sku"), l.sku.clone())).collect();
        stock.require_products(&named)?;
        let offer: BTreeMap<String, BTreeMap<String, i64>> = candidates
            .iter()
            .map(|loc| (loc.clone(), skus.iter().map(|sku| (sku.clone(), stock.available(sku, loc, now))).collect()))
            .collect();
        let Some(location_id) = choose_location(&offer, wanted) else {
            // Release what expired in the way (once per read); if nothing did, the stock is
            // really short.
            let released = match released {
                Some(released) => released,
                None => release_expired(store, &stock, now).await?,
            };
            if released > 0 {
                return Ok(Step::Again);
            }
            return Err(insufficient(wanted, &offer));
        };
        let reservation = Reservation {
            reservation_id: body.reservation_id.clone(),
            status: ReservationStatus::Held,
            location_id: location_id.clone(),
            lines: wanted.iter().map(|(sku, qty)| ReservedLine { sku: sku.clone(), qty: *qty }).collect(),
            until: now + body.ttl_seconds,
            cart_id: body.cart_id.clone(),
            customer_id: customer_id.clone(),
            channel: channel.clone(),
            fingerprint: fingerprint.clone(),
            created_at: created_at.clone(),
        };
        let mut ops = vec![WriteOp::Put { item: reservation.to_item()?, condition: Some(Condition::NotExists) }];
        for line in &reservation.lines {
            let safety = stock.products.get(&line.sku).map_or(0, |p| i64::from(p.safety_stock));
            let hold = Hold { qty: line.qty, until: reservation.until };
            let own = vec![Update::set(hold_attr(&reservation.reservation_id), hold_value(&hold)?)];
            let movement = Movement::Hold { qty: line.qty, safety_stock: safety };
            // A hold leaves on_hand, so the reorder point plays no part.
            ops.push(movement.write(&line.sku, &location_id, 0, own, None));
        }
        Ok(Step::Write { ops, then: respond(StatusCode::CREATED, &reservation, now)? })
    })
    .await?;
    Ok(response)
}

fn fingerprint(body: &ReserveBody, customer: Option<&str>, channel: &str) -> String {
    let canonical = json!({"body": body, "customer": customer, "channel": channel});
    Sha256::digest(canonical.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A repeat of a reservation: the same request answers `200` with it; another request under
/// the same id is `409 reservation_id_reused`. Never holds stock twice.
fn replay(existing: Reservation, fingerprint: &str, now: i64) -> Result<http::Response<Bytes>, ApiError> {
    if existing.fingerprint != fingerprint {
        return Err(ApiError::conflict(
            "reservation_id_reused",
            "this reservation_id was used for another reservation",
        ));
    }
    respond(StatusCode::OK, &existing, now)
}

/// `409 insufficient_stock`, listing each short line with the most any one location has.
fn insufficient(wanted: &BTreeMap<String, i64>, offer: &BTreeMap<String, BTreeMap<String, i64>>) -> ApiError {
    let best = |sku: &str| offer.values().map(|have| have.get(sku).copied().unwrap_or(0)).max().unwrap_or(0);
    let short: Vec<Value> = wanted
        .iter()
        .map(|(sku, qty)| (sku, qty, best(sku)))
        .filter(|(_, qty, available)| available < qty)
        .map(|(sku, qty, available)| json!({"sku": sku, "qty": qty, "available": available}))
        .collect();
    let mut extra = Map::new();
    let detail = if short.is_empty() {
        "no single location can serve every line".to_owned()
    } else {
        format!("{} line(s) cannot be served", short.len())
    };
    extra.insert("lines".into(), Value::Array(short));
    ApiError::Conflict { code: "insufficient_stock", detail, extra }
}

/// Releases the expired reservations found on these levels. Returns how many it released.
async fn release_expired<S: Store>(store: &S, stock: &Stock, now: i64) -> Result<usize, ApiError> {
    let mut ids: Vec<String> = stock.levels.values().flat_map(|l| l.expired_reservations(now)).collect();
    ids.sort();
    ids.dedup();
    let mut released = 0;
    for id in ids {
        if matches!(finish(store, &id, ReservationStatus::Expired, now, None).await, Ok((Finished::Done, _))) {
            released += 1;
        }
    }
    Ok(released)
}

/// The outcome of ending a hold.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Finished {
    /// It ended now.
    Done,
    /// It had already ended this way (a repeat).
    Already,
}

/// Ends a held reservation as `target` (committed, released or expired): one transaction of
/// the reservation's status change and each line's level update, all conditioned on the
/// hold still being there. Committing sells the units (`on_hand` goes down, the reorder
/// entry follows); releasing and expiring give them back to `free`. `known` is the
/// reservation when the caller has just read it (its first attempt then reads nothing).
/// Returns the reservation as it now stands.
pub(crate) async fn finish<S: Store>(
    store: &S,
    id: &str,
    target: ReservationStatus,
    now: i64,
    mut known: Option<Reservation>,
) -> Result<(Finished, Reservation), ApiError> {
    plan::run(store, MAX_ATTEMPTS, |_| {
        // The caller's read serves the first attempt only.
        let known = known.take();
        async move {
            let mut reservation = match known {
                Some(reservation) => reservation,
                None => Reservation::from_item(
                    store.get(&reservation_key(id)).await?.ok_or_else(|| ApiError::not_found("no such reservation"))?,
                )?,
            };
            let shown = reservation.status_at(now);
            if reservation.status == target || (shown == target && target != ReservationStatus::Expired) {
                return Ok(Step::Done((Finished::Already, reservation)));
            }
            let allowed = match target {
                ReservationStatus::Committed => shown == ReservationStatus::Held,
                ReservationStatus::Released => reservation.status == ReservationStatus::Held,
                ReservationStatus::Expired => shown == ReservationStatus::Expired,
                ReservationStatus::Held => false,
            };
            if !allowed {
                let code = if shown == ReservationStatus::Expired {
                    "reservation_expired"
                } else {
                    "invalid_reservation_state"
                };
                return Err(ApiError::conflict(
                    code,
                    format!("the reservation is {shown:?}, it cannot become {target:?}").to_lowercase(),
                ));
            }
            let mut ops = vec![WriteOp::Update {
                key: reservation_key(id),
                updates: vec![
                    Update::set(
                        "status",
                        serde_dynamo::to_attribute_value(target)
                            .map_err(|e| ApiError::internal_because("record mapping", e))?,
                    ),
                    Update::remove(GSI1PK),
                    Update::remove(GSI1SK),
                ],
                condition: Some(Condition::eq("status", s("held"))),
            }];
            let attr = hold_attr(id);
            if target == ReservationStatus::Committed {
                let skus: Vec<String> = reservation.lines.iter().map(|l| l.sku.clone()).collect();
                let stock = Stock::read(store, &skus, std::slice::from_ref(&reservation.location_id)).await?;
                for line in &reservation.lines {
                    let level = stock.levels.get(&(line.sku.clone(), reservation.location_id.clone()));
                    let product =
                        stock.products.get(&line.sku).ok_or_else(|| ApiError::internal("product vanished"))?;
                    let sale = Movement::Sell { from: level.map_or(0, |l| l.on_hand), qty: line.qty };
                    let own = vec![Update::remove(attr.clone())];
                    let reorder_point = i64::from(product.reorder_point);
                    ops.push(sale.write(
                        &line.sku,
                        &reservation.location_id,
                        reorder_point,
                        own,
                        Some(Condition::has(attr.clone())),
                    ));
                }
            } else {
                for line in &reservation.lines {
                    let own = vec![Update::remove(attr.clone())];
                    let release = Movement::Release { qty: line.qty };
                    ops.push(release.write(
                        &line.sku,
                        &reservation.location_id,
                        0,
                        own,
                        Some(Condition::has(attr.clone())),
                    ));
                }
            }
            reservation.status = target;
            Ok(Step::Write { ops, then: (Finished::Done, reservation) })
        }
    })
    .await
}

fn reservation_id<S>(call: &Call<'_, S>) -> Result<String, ApiError> {
    let id = call.param("reservation_id")?;
    if is_reservation_id(id) { Ok(id.to_owned()) } else { Err(ApiError::not_found("no such reservation")) }
}

/// The caller may see and release this reservation: a service, its customer, or whoever
/// shows its cart id (`?cart_id=`).
fn authorize<S>(call: &Call<'_, S>, reservation: &Reservation) -> Result<(), ApiError> {
    let caller: Option<&Caller> = call.caller()?;
    if caller.is_some_and(|c| c.has(Role::Service)) {
        return Ok(());
    }
    if let (Some(owner), Some(c)) = (&reservation.customer_id, caller)
        && c.has(Role::Customer)
        && &c.sub == owner
    {
        return Ok(());
    }
    let shown_cart = call.query_value("cart_id")?;
    if reservation.cart_id.is_some() && shown_cart == reservation.cart_id.as_deref() {
        return Ok(());
    }
    match caller {
        None => Err(ApiError::Unauthenticated(omnicanal_pipeline::auth::AuthError::Missing)),
        Some(_) => Err(ApiError::forbidden("this reservation is not yours")),
    }
}

async fn load<S: Store>(call: &Call<'_, S>) -> Result<Reservation, ApiError> {
    let id = reservation_id(call)?;
    let item =
        call.env.store.get(&reservation_key(&id)).await?.ok_or_else(|| ApiError::not_found("no such reservation"))?;
    Ok(Reservation::from_item(item)?)
}

/// `GET /stock/reservations/{id}` (holder, service). Cost: 1 read.
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let reservation = load(call).await?;
    authorize(call, &reservation)?;
    respond(StatusCode::OK, &reservation, call.now().unix_timestamp())
}

/// `POST /stock/reservations/{id}/commit` (service): the hold becomes a sale. Idempotent;
/// an expired or released hold is `409`. Cost: 1 read of the reservation, 1 batch read of its
/// products and levels (the reorder entry follows on-hand), 1 transaction.
pub(crate) async fn commit<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let id = reservation_id(call)?;
    let now = call.now().unix_timestamp();
    let (_, reservation) = finish(&call.env.store, &id, ReservationStatus::Committed, now, None).await?;
    respond(StatusCode::OK, &reservation, now)
}

/// `DELETE /stock/reservations/{id}` (holder, service): gives the units back. Idempotent; a
/// committed reservation is `409`. Cost: 1 read, 1 transaction.
pub(crate) async fn release<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let reservation = load(call).await?;
    authorize(call, &reservation)?;
    let now = call.now().unix_timestamp();
    let target = if reservation.status_at(now) == ReservationStatus::Expired {
        ReservationStatus::Expired
    } else {
        ReservationStatus::Released
    };
    if reservation.status == ReservationStatus::Expired || reservation.status == ReservationStatus::Released {
        return respond(StatusCode::OK, &reservation, now);
    }
    let id = reservation.reservation_id.clone();
    let (_, now_standing) = finish(&call.env.store, &id, target, now, Some(reservation)).await?;
    respond(StatusCode::OK, &now_standing, now)
}
