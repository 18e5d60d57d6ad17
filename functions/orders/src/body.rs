//! The checkout's body, parsed into the orders domain's command: every field problem at
//! once as a `422`, and who may check the cart out.

use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::ids::{CartId, ExternalId};
use omnicanal_domain::orders::checkout::{CheckoutRequest, ExpectedTotal, Wanted};
use omnicanal_domain::values::{Currency, Money};
use omnicanal_pipeline::auth::{AuthError, Caller, Role};
use omnicanal_pipeline::error::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long a checkout holds stock by default, and at most (seconds).
pub(crate) const DEFAULT_TTL_SECONDS: i64 = 900;
/// The longest hold a checkout may ask for: a day.
pub(crate) const MAX_TTL_SECONDS: i64 = 86_400;
/// The most points one checkout may name (a balance never comes near it).
const MAX_POINTS: i64 = 1_000_000_000;
/// The order id a quote's plans are judged with: a quote writes nothing.
const QUOTE_ORDER_ID: &str = "~quote";

/// `POST /orders` and `POST /orders/quote`.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckoutBody {
    #[serde(default)]
    order_id: Option<String>,
    cart_id: String,
    fulfilment: FulfilmentBody,
    #[serde(default)]
    offer_id: Option<String>,
    #[serde(default)]
    points: Option<i64>,
    #[serde(default)]
    expected_total: Option<TotalBody>,
    #[serde(default)]
    cart_version: Option<u64>,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FulfilmentBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    location_id: Option<String>,
}

/// The total a caller expects: money, or its minor units in the order's currency.
#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum TotalBody {
    Money(Money),
    Minor(i64),
}

impl CheckoutBody {
    /// The cart it names: malformed, it names no cart (`404`).
    pub(crate) fn cart_id(&self) -> Result<CartId, ApiError> {
        CartId::parse(&self.cart_id).map_err(|_| ApiError::not_found("no such cart"))
    }

    /// The key of the order it names, when it names a well-formed one.
    pub(crate) fn order_key(&self) -> Option<omnicanal_store::Key> {
        let id = ExternalId::parse(self.order_id.as_deref()?).ok()?;
        Some(omnicanal_domain::orders::record::order_key(id.as_str()))
    }

    /// Whether it asks for what only a signed-in customer has: an offer or points.
    fn needs_customer(&self) -> bool {
        self.offer_id.is_some() || self.points.is_some_and(|p| p > 0)
    }

    /// The command, once every field is checked (`order_id` required unless `quote`).
    pub(crate) fn command(
        &self,
        quote: bool,
        customer_id: Option<String>,
        channel: String,
    ) -> Result<CheckoutRequest, ApiError> {
        let mut errors = Vec::new();
        let order_id = match (&self.order_id, quote) {
            (_, true) => ExternalId::parse(QUOTE_ORDER_ID).ok(),
            (None, false) => {
                errors.push(FieldError::new("order_id", "is required"));
                None
            }
            (Some(id), false) => ExternalId::parse(id).map_err(|m| errors.push(FieldError::new("order_id", m))).ok(),
        };
        let fulfilment = match (self.fulfilment.kind.as_str(), &self.fulfilment.location_id) {
            ("ship", None) => Some(Wanted::Ship),
            ("ship", Some(_)) => {
                errors.push(FieldError::new("fulfilment.location_id", "a shipment's location is chosen, not named"));
                None
            }
            ("pickup", Some(id)) if omnicanal_domain::channel::is_location_id(id) => Some(Wanted::Pickup(id.clone())),
            ("pickup", Some(_)) => {
                errors.push(FieldError::new("fulfilment.location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
                None
            }
            ("pickup", None) => {
                errors.push(FieldError::new("fulfilment.location_id", "a pickup names its store"));
                None
            }
            _ => {
                errors.push(FieldError::new("fulfilment.type", "must be ship or pickup"));
                None
            }
        };
        if let Some(offer_id) = &self.offer_id
            && !((1..=64).contains(&offer_id.len())
                && offer_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            errors.push(FieldError::new("offer_id", "an offer id is 1-64 of A-Z a-z 0-9 _ -"));
        }
        let points = self.points.unwrap_or(0);
        if !(0..=MAX_POINTS).contains(&points) {
            errors.push(FieldError::new("points", format!("must be between 0 and {MAX_POINTS}")));
        }
        let ttl_seconds = self.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
        if !(1..=MAX_TTL_SECONDS).contains(&ttl_seconds) {
            errors.push(FieldError::new("ttl_seconds", format!("must be between 1 and {MAX_TTL_SECONDS}")));
        }
        let cart_id = self.cart_id()?;
        let (Some(order_id), Some(fulfilment), true) = (order_id, fulfilment, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        let expected_total = self.expected_total.as_ref().map(|t| match t {
            TotalBody::Money(m) => ExpectedTotal { amount: m.amount, currency: Some(m.currency) },
            TotalBody::Minor(amount) => ExpectedTotal { amount: *amount, currency: None::<Currency> },
        });
        let fingerprint = fingerprint(self, customer_id.as_deref(), &channel);
        Ok(CheckoutRequest {
            order_id,
            cart_id,
            fulfilment,
            offer_id: self.offer_id.clone(),
            points,
            expected_total,
            cart_version: self.cart_version,
            ttl_seconds,
            customer_id,
            channel,
            fingerprint,
        })
    }
}

/// Who checks out, given the cart: a customer (their own cart, or an anonymous one they
/// hold) or a guest holding an anonymous cart, without offers or points. Another customer's
/// cart is no capability: `403` with a token, `401` without.
pub(crate) fn checker(caller: Option<&Caller>, cart: &Cart, body: &CheckoutBody) -> Result<Option<String>, ApiError> {
    let customer = caller.filter(|c| c.has(Role::Customer)).map(|c| c.sub.clone());
    match (&customer, &cart.customer_id) {
        (Some(me), Some(owner)) if me != owner => Err(ApiError::forbidden("this cart belongs to another customer")),
        (Some(_), _) => Ok(customer),
        (None, _) if caller.is_some() => Err(ApiError::forbidden("checkouts are for customers and cart holders")),
        (None, Some(_)) => Err(ApiError::Unauthenticated(AuthError::Missing)),
        (None, None) if body.needs_customer() => Err(ApiError::Unauthenticated(AuthError::Missing)),
        (None, None) => Ok(None),
    }
}

fn fingerprint(body: &CheckoutBody, customer: Option<&str>, channel: &str) -> String {
    let canonical = json!({"body": body, "customer": customer, "channel": channel});
    Sha256::digest(canonical.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
