//! `PUT` and `DELETE /cart/carts/{cart_id}/lines/{sku}`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Store, Updated};
use serde::Deserialize;

use crate::access::cart_id;
use crate::answer::respond;
use crate::repo::{change_for, now_ns, run, written};
use omnicanal_domain::cart::line_update::{Writer, line_update};
use omnicanal_domain::cart::model::{Line, MAX_QTY, SERVER_DEVICE, Stamp, Write};
use omnicanal_domain::cart::record::from_item;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineBody {
    qty: u32,
}

/// The SKU of the path.
pub(crate) fn path_sku<S>(call: &Call<'_, S>) -> Result<Sku, ApiError> {
    Sku::parse(call.param("sku")?).map_err(|message| ApiError::BadRequest {
        code: "invalid_sku",
        detail: format!("the SKU in the path {message}"),
        errors: vec![FieldError::new("sku", message)],
    })
}

/// Sets a line's quantity (`0` removes it). Cost: 1 conditional update (see
/// [`omnicanal_domain::cart::line_update`]); when it is refused, at most 1 conditional put more.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let id = cart_id(call, "cart_id")?;
    let sku = path_sku(call)?;
    let body: LineBody = call.json()?;
    if body.qty > MAX_QTY {
        return Err(ApiError::invalid("qty", format!("must be between 0 and {MAX_QTY}")));
    }
    set(call, &id, sku.as_str(), body.qty).await
}

/// Removes a line; removing an absent line changes nothing. Cost as for `put`.
pub(crate) async fn delete<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let id = cart_id(call, "cart_id")?;
    let sku = path_sku(call)?;
    set(call, &id, sku.as_str(), 0).await
}

async fn set<S: Store>(call: &Call<'_, S>, id: &str, sku: &str, qty: u32) -> Result<http::Response<Bytes>, ApiError> {
    let updated_at = rfc3339(call.now());
    let now = now_ns(call);
    let channel = call.channel.to_string();
    let line = Line::new(Stamp { at_ns: now, device: SERVER_DEVICE.to_owned() }, qty, channel.clone(), &updated_at);
    // A bad token is refused before anything is written.
    let general = change_for(call, id, |cart: &mut Cart| {
        let live = cart.lines.get(sku).filter(|l| !l.is_tombstone()).map(|l| l.qty);
        if live == (qty > 0).then_some(qty) {
            return Ok::<_, ApiError>((false, ()));
        }
        let stamp = cart.server_stamp(sku, now);
        cart.apply(Write { sku: sku.to_owned(), qty, stamp, channel: channel.clone() }, &updated_at);
        Ok((true, ()))
    })?;
    let writer = match general.holder.customer() {
        Some(sub) => Writer::Customer(sub),
        None => Writer::Anonymous { expires_at: written(call).anonymous_expires_at },
    };
    let if_version = general.expected.as_ref().map(|(version, _)| *version);
    let write = line_update(id, sku, &line, &updated_at, writer, if_version)?;
    let current = match call.env.store.update_returning(&write.key, write.updates, write.condition).await? {
        Updated::Applied(item) => return respond(StatusCode::OK, &from_item(item)?, None),
        Updated::Refused(None) => return Err(ApiError::not_found("no such cart")),
        Updated::Refused(Some(item)) => from_item(item)?,
    };
    // Some assumption failed: the general path on the cart as it is says which, or writes.
    let (cart, ()) = run(&call.env.store, &general, Some(current)).await?;
    respond(StatusCode::OK, &cart, None)
}
