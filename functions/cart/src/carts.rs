//! Creating and reading carts: `POST /cart/carts`, `GET /cart/carts/{cart_id}`, `GET /cart/me`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::plan::{self, Step};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;

use crate::access::{authorize, cart_id};
use crate::answer::respond;
use crate::repo::{MAX_ATTEMPTS, load, written};
use omnicanal_domain::cart::model::{Cart, Status};
use omnicanal_domain::cart::record::{self, pointer_key};

/// `POST /cart/carts` takes no fields; an empty body or `{}` are both fine.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {}

fn new_id() -> Result<String, ApiError> {
    omnicanal_platform::random::token().map_err(|e| ApiError::internal_because("random source", e))
}

/// Creates an anonymous cart (`201`), or with a customer token returns the customer's
/// active cart (`200`) or creates it (`201`).
pub(crate) async fn create<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    if !call.body.is_empty() {
        call.json::<CreateBody>()?;
    }
    let customer = call.caller()?.filter(|c| c.has(Role::Customer)).map(|c| c.sub.clone());
    let now = rfc3339(call.now());
    let Some(customer) = customer else {
        let cart = Cart::new(new_id()?, None, &now, Some(written(call).anonymous_expires_at));
        call.env.store.transact(vec![record::put_if_version(&cart, None)?]).await?;
        return respond(StatusCode::CREATED, &cart, None);
    };
    let (store, customer, now) = (&call.env.store, customer.as_str(), now.as_str());
    let (status, cart) = plan::run(store, MAX_ATTEMPTS, |_| async move {
        let pointer = store.get(&pointer_key(customer)).await?;
        let previous = match pointer {
            Some(item) => {
                let id = record::pointer_cart_id(item)?;
                if let Some(item) = store.get(&record::cart_key(&id)).await? {
                    let cart = record::from_item(item)?;
                    if cart.status == Status::Active {
                        return Ok(Step::Done((StatusCode::OK, cart)));
                    }
                }
                Some(id)
            }
            None => None,
        };
        // No active cart: create one and point at it, both or neither.
        let cart = Cart::new(new_id()?, Some(customer.to_owned()), now, None);
        let ops = record::open_for_customer(customer, &cart, previous.as_deref())?;
        // Another device may create it meanwhile: the next attempt then answers with theirs.
        Ok::<_, ApiError>(Step::Write { ops, then: (StatusCode::CREATED, cart) })
    })
    .await?;
    respond(status, &cart, None)
}

/// `GET /cart/carts/{cart_id}`: the cart with its `ETag`. Cost: 1 read.
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let cart = load(&call.env.store, &cart_id(call, "cart_id")?).await?;
    authorize(call, &cart)?;
    respond(StatusCode::OK, &cart, None)
}

/// `GET /cart/me`: the customer's active cart, `404` if none. Cost: 2 reads.
pub(crate) async fn me<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let caller = call.require(&[Role::Customer])?;
    let pointer = call.env.store.get(&pointer_key(&caller.sub)).await?;
    let not_found = || ApiError::not_found("you have no active cart");
    let id = record::pointer_cart_id(pointer.ok_or_else(not_found)?)?;
    let cart = load(&call.env.store, &id).await.map_err(|_| not_found())?;
    if cart.status != Status::Active {
        return Err(not_found());
    }
    respond(StatusCode::OK, &cart, None)
}
