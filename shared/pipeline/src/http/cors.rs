//! CORS for browser storefronts: allowed origins from configuration, preflights answered
//! `204` by every function.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};

use crate::config::CorsOrigins;

/// Request headers a storefront may send.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Channel, X-Request-Id";
/// Response headers a storefront may read.
const EXPOSE_HEADERS: &str = "ETag, Location, Retry-After, X-Request-Id, Idempotent-Replayed";
/// Methods the API uses.
const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";

/// Whether a request is a CORS preflight.
pub fn is_preflight(method: &http::Method, headers: &HeaderMap) -> bool {
    method == http::Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The `204` answer to a preflight; it grants access only to allowed origins.
pub fn preflight(origins: &CorsOrigins, origin: Option<&str>) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    if let Some(origin) = origin.filter(|o| origins.allows(o)) {
        let headers = response.headers_mut();
        allow_origin(headers, origins, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Adds the CORS headers of an actual (non-preflight) answer.
pub fn decorate(headers: &mut HeaderMap, origins: &CorsOrigins, origin: Option<&str>) {
    if let Some(origin) = origin.filter(|o| origins.allows(o)) {
        allow_origin(headers, origins, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    if !matches!(origins, CorsOrigins::None) {
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn allow_origin(headers: &mut HeaderMap, origins: &CorsOrigins, origin: &str) {
    // Tokens travel in a header, never cookies, so `*` is safe when every origin is allowed.
    let value = match origins {
        CorsOrigins::Any => HeaderValue::from_static("*"),
        _ => match HeaderValue::from_str(origin) {
            Ok(value) => value,
            Err(_) => return,
        },
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_grants_only_allowed_origins() {
        let origins = CorsOrigins::List(vec!["https://shop.example.com".into()]);
        let ok = preflight(&origins, Some("https://shop.example.com"));
        assert_eq!(ok.status(), 204);
        assert_eq!(ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://shop.example.com");
        let denied = preflight(&origins, Some("https://evil.example.com"));
        assert_eq!(denied.status(), 204);
        assert!(!denied.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn answers_expose_headers_to_allowed_origins() {
        let mut headers = HeaderMap::new();
        decorate(&mut headers, &CorsOrigins::Any, Some("https://a.example"));
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(headers[header::ACCESS_CONTROL_EXPOSE_HEADERS].to_str().is_ok_and(|v| v.contains("ETag")));
    }
}
