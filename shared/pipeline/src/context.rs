//! What a request says about itself: its channel (`X-Channel`) and its request id
//! (`X-Request-Id`). The caller (the token's subject and roles) is in [`crate::auth`].

pub use omnicanal_domain::channel::{Channel, MAX_LOCATION_ID_LEN, is_location_id};

use crate::error::{ApiError, FieldError};

/// The header naming the channel.
pub const CHANNEL_HEADER: &str = "x-channel";
/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The channel of a request from its `X-Channel` header (`web` when absent).
pub fn channel(value: Option<&http::HeaderValue>) -> Result<Channel, ApiError> {
    let Some(value) = value else {
        return Ok(Channel::Web);
    };
    let text = value.to_str().unwrap_or("\u{fffd}");
    Channel::parse(text.trim()).map_err(|message| ApiError::BadRequest {
        code: "invalid_channel",
        detail: message.clone(),
        errors: vec![FieldError::new("X-Channel", message)],
    })
}

/// The request id: the client's `X-Request-Id` when it is sane (1–128 visible ASCII
/// characters), a fresh random one otherwise.
pub fn request_id(value: Option<&http::HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| omnicanal_platform::random::token().unwrap_or_else(|_| "no-random-source".to_owned()))
}

/// The client's network address as the host saw it (the TCP peer, API Gateway's
/// `sourceIp`, Cloudflare's `CF-Connecting-IP`), never a header the client chose. Hosts put
/// it in the request's extensions; it scopes an anonymous caller's idempotency keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// The name of the Workers' rate-limit binding (`[[ratelimits]]` in `wrangler.toml`) that
/// counts anonymous writes per client address.
pub const ANONYMOUS_WRITES_BINDING: &str = "ANONYMOUS_WRITES";

/// Whether a request is a write an anonymous caller may make: creating a cart, holding stock
/// with a cart's id (and, with the orders function, a guest's checkout). Where the platform
/// gives a per-client limiter (Workers' rate-limit binding) these are limited per client;
/// everything else needs a token.
pub fn is_anonymous_write(method: &http::Method, path: &str, headers: &http::HeaderMap) -> bool {
    const ANONYMOUS_WRITES: [&str; 3] = ["/cart/carts", "/stock/reservations", "/orders"];
    method == http::Method::POST
        && !headers.contains_key(http::header::AUTHORIZATION)
        && ANONYMOUS_WRITES.contains(&path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_header_is_web_and_bad_header_is_400() {
        assert_eq!(channel(None).ok(), Some(Channel::Web));
        let bad = http::HeaderValue::from_static("fax");
        let err = channel(Some(&bad)).expect_err("unknown channel");
        assert_eq!(err.status(), 400);
        assert_eq!(err.code(), "invalid_channel");
    }

    #[test]
    fn request_ids_are_echoed_when_sane() {
        let sent = http::HeaderValue::from_static("abc-123");
        assert_eq!(request_id(Some(&sent)), "abc-123");
        let generated = request_id(None);
        assert_eq!(generated.len(), 22);
        let spaced = http::HeaderValue::from_static("has space");
        assert_ne!(request_id(Some(&spaced)), "has space");
    }

    #[test]
    fn anonymous_writes_are_the_posts_a_stranger_may_make() {
        let none = http::HeaderMap::new();
        let mut signed = http::HeaderMap::new();
        signed.insert(http::header::AUTHORIZATION, http::HeaderValue::from_static("Bearer t"));
        assert!(is_anonymous_write(&http::Method::POST, "/cart/carts", &none));
        assert!(is_anonymous_write(&http::Method::POST, "/stock/reservations/", &none));
        assert!(is_anonymous_write(&http::Method::POST, "/orders", &none), "a guest's checkout");
        assert!(!is_anonymous_write(&http::Method::POST, "/orders/quote", &none), "a quote writes nothing");
        assert!(!is_anonymous_write(&http::Method::POST, "/cart/carts", &signed));
        assert!(!is_anonymous_write(&http::Method::GET, "/cart/carts", &none));
        assert!(!is_anonymous_write(&http::Method::POST, "/cart/carts/x/sync", &none));
    }
}
