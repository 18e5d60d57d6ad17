//! `POST /offers/{offer_id}/redeem` (customer, service): counted once per (offer, customer,
//! order) within the offer's limits; the rules and the writes are the offers domain's
//! [`Redeem`] plan.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;

use crate::definitions::path_offer_id;
use crate::subject;
use omnicanal_domain::ids::ExternalId;
use omnicanal_domain::offers::redemption::{Redeem, Redeemed};
use omnicanal_domain::plan;

/// Rounds of read–decide–write before answering busy: each lost round means another
/// redemption of this offer was counted meanwhile.
const MAX_ATTEMPTS: u32 = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    order_id: String,
    #[serde(default)]
    customer_id: Option<String>,
}

/// Redeems: `201` the first time, `200` with the same redemption for a repeated order,
/// `409 offer_limit_reached` or `409 offer_not_active`. Cost: 1 batch read (the offer, this
/// order's redemption, both counters), 1 transaction (redemption + both counters, each
/// conditioned).
pub(crate) async fn redeem<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let offer_id = path_offer_id(call)?;
    let body: RedeemBody = call.json()?;
    let customer = subject::customer(call, body.customer_id.as_deref())?;
    let order_id = ExternalId::parse(&body.order_id).map_err(|m| ApiError::invalid("order_id", m))?;
    let plan = Redeem {
        offer_id,
        customer_id: customer,
        order_id: order_id.into_string(),
        now: call.now().unix_timestamp(),
        redeemed_at: rfc3339(call.now()),
    };
    let Redeemed { redemption, first } = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &plan).await?;
    json::response(if first { StatusCode::CREATED } else { StatusCode::OK }, &redemption)
}
