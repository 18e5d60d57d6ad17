//! `POST /cart/wishlist/items/{sku}/move`: a saved item onto the customer's active cart
//! (created if none) and off the list, in one transaction. Answers the cart.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::cart::model::MAX_QTY;
use omnicanal_domain::cart::record::cart_key;
use omnicanal_domain::plan::{self, Step};
use omnicanal_domain::wishlist::move_to_cart::MoveToCart;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_store::Store;
use serde::Deserialize;

use crate::answer::respond;
use crate::lines::path_sku;
use crate::repo::{MAX_ATTEMPTS, now_ns, written};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    qty: Option<u32>,
}

/// Moves the item. Cost: 1 batch read (list, cart pointer), 1 read of the cart it names, 1
/// transaction; a lost race repeats them. Already moved (off the list, on the active cart):
/// the cart, unwritten. `404` when the item is neither on the list nor on the cart.
pub(crate) async fn move_to_cart<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let sku = path_sku(call)?;
    let body: MoveBody = if call.body.is_empty() { MoveBody::default() } else { call.json()? };
    let qty = body.qty.unwrap_or(1);
    if !(1..=MAX_QTY).contains(&qty) {
        return Err(ApiError::invalid("qty", format!("must be between 1 and {MAX_QTY}")));
    }
    let new_cart_id =
        omnicanal_platform::random::token().map_err(|e| ApiError::internal_because("random source", e))?;
    let plan = MoveToCart {
        customer_id: customer,
        sku: sku.as_str().to_owned(),
        qty,
        channel: call.channel.to_string(),
        now_ns: now_ns(call),
        written: written(call),
        new_cart_id,
    };
    let (store, plan) = (&call.env.store, &plan);
    let cart = plan::run(store, MAX_ATTEMPTS, |_| async move {
        let mut read = plan::read(store, &plan.first_reads()).await?;
        let named = plan.cart_named(&read)?;
        if let Some(id) = &named
            && let Some(item) = store.get(&cart_key(id)).await?
        {
            read.insert(cart_key(id), item);
        }
        let (ops, cart) = plan.decide(&read, named.as_deref())?;
        Ok::<_, ApiError>(if ops.is_empty() { Step::Done(cart) } else { Step::Write { ops, then: cart } })
    })
    .await?;
    respond(StatusCode::OK, &cart, None)
}
