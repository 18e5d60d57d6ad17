//! Reservations: all lines or none, held until a time, then committed (a sale), released,
//! or expired. The table enforces "never oversell": each line's level update carries the
//! condition `free ≥ qty + safety stock`, and all of them commit in one transaction with the
//! reservation record, whose `NotExists` condition makes `reservation_id` idempotent.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::ids::ReservationId;
use omnicanal_domain::plan::{self, Plan, Reads};
use omnicanal_domain::stock::finish::{Finish, Finished};
use omnicanal_domain::stock::records::{Reservation, ReservationStatus, ReservedLine, reservation_key};
use omnicanal_domain::stock::refusal::StockError;
use omnicanal_domain::stock::reserve::{Held, HoldRequest, Reserve, WantedLine};
use omnicanal_pipeline::auth::{Caller, Role};
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::availability::{LineBody, parse_lines};
use crate::reads::selling_locations;
use omnicanal_domain::cart::model::{Cart, Status};
use omnicanal_domain::cart::record::{cart_key, from_item as cart_from_item};
use omnicanal_domain::ids::CartId;

/// The longest hold a reservation may ask for (7 days).
pub(crate) const MAX_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// Attempts of a reservation change: a lost race, or expired holds to fold first, is decided
/// again on a fresh read.
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

/// The active cart `cart_id` names, if any.
async fn active_cart<S: Store>(store: &S, cart_id: &str) -> Result<Option<Cart>, ApiError> {
    if CartId::parse(cart_id).is_err() {
        return Ok(None);
    }
    let cart = store.get(&cart_key(cart_id)).await?.map(cart_from_item).transpose()?;
    Ok(cart.filter(|cart| cart.status == Status::Active))
}

/// Who holds stock, and so within which limits.
enum Asker {
    /// A service: the contract's limits.
    Service,
    /// A signed-in customer: the contract's limits, their own carts only.
    Customer(String),
    /// Whoever shows an anonymous cart's id: at most what the cart holds, for a short time,
    /// one live reservation at a time.
    CartHolder(Cart),
}

/// Who asks, given the cart the body names: another customer's cart is no capability, for
/// another customer (`403`) nor for a caller without a token (`401`).
fn holder(caller: Option<&Caller>, cart: Option<Cart>, named_cart: bool) -> Result<Asker, ApiError> {
    if caller.is_some_and(|c| c.has(Role::Service)) {
        return Ok(Asker::Service);
    }
    if named_cart && cart.is_none() {
        return Err(ApiError::invalid("cart_id", "no active cart with this id"));
    }
    let customer = caller.filter(|c| c.has(Role::Customer)).map(|c| c.sub.clone());
    match (customer, cart) {
        (Some(me), Some(cart)) if cart.customer_id.as_ref().is_some_and(|owner| *owner != me) => {
            Err(ApiError::forbidden("this cart belongs to another customer"))
        }
        (Some(me), _) => Ok(Asker::Customer(me)),
        (None, Some(cart)) if cart.customer_id.is_none() => Ok(Asker::CartHolder(cart)),
        (None, _) if caller.is_some() => {
            Err(ApiError::forbidden("reservations are for customers, services and cart holders"))
        }
        (None, _) => Err(ApiError::Unauthenticated(omnicanal_pipeline::auth::AuthError::Missing)),
    }
}

/// A cart holder's limits: a hold of at most `max_ttl` seconds, of no more than the cart
/// holds, line by line (quantities summed per SKU).
fn within_cart(cart: &Cart, lines: &[WantedLine], ttl: i64, max_ttl: i64) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if ttl > max_ttl {
        errors.push(FieldError::new(
            "ttl_seconds",
            format!("a cart's holder may hold stock for at most {max_ttl} seconds"),
        ));
    }
    let mut asked: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let total = asked.entry(line.sku.as_str()).or_insert(0);
        *total += line.qty.get();
        let in_cart = cart.live_lines().find(|(sku, _)| *sku == line.sku.as_str()).map_or(0, |(_, l)| i64::from(l.qty));
        if *total > in_cart {
            errors.push(FieldError::new(format!("lines[{i}].qty"), format!("more than the cart holds ({in_cart})")));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// The parts of a reservation request every check passed: its id and lines.
fn parse(body: &ReserveBody) -> Result<(ReservationId, Vec<WantedLine>), ApiError> {
    let mut errors = Vec::new();
    let id =
        ReservationId::parse(&body.reservation_id).map_err(|m| errors.push(FieldError::new("reservation_id", m))).ok();
    if !(1..=MAX_TTL_SECONDS).contains(&body.ttl_seconds) {
        errors.push(FieldError::new("ttl_seconds", format!("must be between 1 and {MAX_TTL_SECONDS}")));
    }
    if let Some(id) = &body.location_id
        && !omnicanal_pipeline::context::is_location_id(id)
    {
        errors.push(FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    match (id, errors.is_empty()) {
        (Some(id), true) => Ok((id, parse_lines(&body.lines)?)),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// `POST /stock/reservations` (cart holder, customer, service): holds every line at one
/// location, or nothing (`409 insufficient_stock` with the short lines); the stock domain's
/// [`Reserve`] plan decides. Cost: 1 query of the locations, 1 batch read (products, levels,
/// the reservation's own id), 1 transaction; a cart holder's cart is 1 read more.
pub(crate) async fn create<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: ReserveBody = call.json()?;
    let (reservation_id, lines) = parse(&body)?;
    let caller = call.caller()?.cloned();
    let cart = match &body.cart_id {
        Some(cart_id) => active_cart(&call.env.store, cart_id).await?,
        None => None,
    };
    let holder = holder(caller.as_ref(), cart, body.cart_id.is_some())?;
    if let Asker::CartHolder(cart) = &holder {
        within_cart(cart, &lines, body.ttl_seconds, call.env.config.cart_hold_seconds)?;
    }
    let customer_id = match &holder {
        Asker::Customer(me) => Some(me.clone()),
        Asker::Service | Asker::CartHolder(_) => None,
    };
    let store = &call.env.store;
    let now = call.now().unix_timestamp();
    let channel = call.channel.to_string();
    let locations = selling_locations(store, &channel, None).await?;
    let candidates: Vec<String> = locations
        .into_iter()
        .map(|l| l.location_id)
        .filter(|id| body.location_id.as_ref().is_none_or(|only| only == id))
        .collect();
    if let Some(only) = &body.location_id
        && candidates.is_empty()
    {
        return Err(ApiError::invalid("location_id", format!("no location {only} sells to channel {channel}")));
    }
    let request = HoldRequest {
        fingerprint: fingerprint(&body, customer_id.as_deref(), &channel),
        reservation_id,
        lines,
        ttl_seconds: body.ttl_seconds,
        cart_id: body.cart_id.clone(),
        customer_id,
        channel,
        created_at: rfc3339(call.now()),
        cart_hold: matches!(holder, Asker::CartHolder(_)),
    };
    let reserve = Reserve { request, candidates, now };
    let held: Held = plan::execute::<_, _, ApiError>(store, MAX_ATTEMPTS, &reserve).await?;
    let Held { reservation, first } = held;
    respond(if first { StatusCode::CREATED } else { StatusCode::OK }, &reservation, now)
}

fn fingerprint(body: &ReserveBody, customer: Option<&str>, channel: &str) -> String {
    let canonical = json!({"body": body, "customer": customer, "channel": channel});
    Sha256::digest(canonical.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Ends reservation `id` as `target` (the stock domain's [`Finish`] plan). `known` is the
/// reservation when the caller has just read it; otherwise it is read first. A release or
/// expiry decides its first attempt on that read alone; a commit reads the reservation again
/// with its products and levels. Returns the reservation as it now stands.
pub(crate) async fn finish<S: Store>(
    store: &S,
    id: &str,
    target: ReservationStatus,
    now: i64,
    known: Option<Reservation>,
) -> Result<(Finished, Reservation), ApiError> {
    let reservation = match known {
        Some(reservation) => reservation,
        None => Reservation::from_item(store.get(&reservation_key(id)).await?.ok_or(StockError::NoSuchReservation)?)?,
    };
    let plan = &Finish { reservation, target, now };
    let mut first = if plan.needs_stock() { None } else { Some(plan.reservation.to_item()?) };
    let keys = &plan.reads();
    plan::run(store, MAX_ATTEMPTS, |_| {
        // What the caller read serves the first attempt only.
        let known = first.take();
        async move {
            let read = match known {
                Some(item) => Reads::of([(reservation_key(id), item)]),
                None => plan::read(store, keys).await?,
            };
            Ok(plan.decide(&read)?)
        }
    })
    .await
}

fn reservation_id<S>(call: &Call<'_, S>) -> Result<String, ApiError> {
    let id = ReservationId::parse(call.param("reservation_id")?).map_err(|_| StockError::NoSuchReservation)?;
    Ok(id.into_string())
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
    // A cart id is the capability of an anonymous cart's holds only: a customer's hold is
    // theirs, whoever knows the cart's id.
    let shown_cart = call.query_value("cart_id")?;
    if reservation.customer_id.is_none()
        && reservation.cart_id.is_some()
        && shown_cart == reservation.cart_id.as_deref()
    {
        return Ok(());
    }
    match caller {
        None => Err(ApiError::Unauthenticated(omnicanal_pipeline::auth::AuthError::Missing)),
        Some(_) => Err(ApiError::forbidden("this reservation is not yours")),
    }
}

async fn load<S: Store>(call: &Call<'_, S>) -> Result<Reservation, ApiError> {
    let id = reservation_id(call)?;
    let item = call.env.store.get(&reservation_key(&id)).await?.ok_or(StockError::NoSuchReservation)?;
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
