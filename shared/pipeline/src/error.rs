//! The API's errors as values. Each variant knows its HTTP status and stable `code`;
//! [`crate::problem`] turns any of them into RFC 9457 problem JSON in one place.

use serde_json::{Map, Value};

pub use omnicanal_domain::field::FieldError;

use crate::auth::AuthError;
use omnicanal_store::StoreError;

/// Every way a request can fail. Function crates add their domain conflicts through
/// [`ApiError::Conflict`] and [`ApiError::PreconditionFailed`] with their own `code`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (400 `malformed_json`): the parser's error, or none when
    /// there was no body.
    #[error("the request body is not valid JSON: {}", .0.as_ref().map_or_else(|| "the request needs a JSON body".to_owned(), ToString::to_string))]
    MalformedJson(#[source] Option<serde_json::Error>),
    /// The JSON does not have the expected shape: unknown fields, wrong types, missing
    /// fields, numbers out of range for their type (400 `invalid_request`).
    #[error("the request body does not match the expected shape")]
    InvalidBody(Vec<FieldError>),
    /// A header, path segment or query parameter is malformed (400, with its own code).
    #[error("{detail}")]
    BadRequest {
        /// Stable code, e.g. `invalid_channel`.
        code: &'static str,
        /// Human explanation.
        detail: String,
        /// Field problems, if any.
        errors: Vec<FieldError>,
    },
    /// Well-formed but semantically invalid values (422 `validation_failed`).
    #[error("the request has invalid values")]
    Validation(Vec<FieldError>),
    /// No valid token where one is needed (401 with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthenticated(#[from] AuthError),
    /// A valid token without the needed role, or someone else's resource (403).
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist (404 `not_found`).
    #[error("{0}")]
    NotFound(String),
    /// No route has this path (404 `route_not_found`).
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// The path exists, the method does not (405 with `Allow`).
    #[error("method {method} is not allowed here")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The methods the path accepts.
        allow: Vec<http::Method>,
    },
    /// The body is over the limit (413 `payload_too_large`).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not `application/json` (415 `unsupported_media_type`).
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// A domain conflict (409): `insufficient_stock`, `offer_limit_reached`, …
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human explanation.
        detail: String,
        /// Extra members of the problem object (e.g. the short lines).
        extra: Map<String, Value>,
    },
    /// Well-formed, but a rule of the domain refuses it as asked (422 with its own code:
    /// `empty_cart`, `mixed_currencies`, `order_too_large`, …).
    #[error("{detail}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Human explanation.
        detail: String,
        /// Extra members of the problem object (e.g. every problem found).
        extra: Map<String, Value>,
    },
    /// A failed precondition such as a stale `If-Match` (412).
    #[error("{detail}")]
    PreconditionFailed {
        /// Stable code, e.g. `version_mismatch`.
        code: &'static str,
        /// Human explanation.
        detail: String,
        /// Extra members of the problem object (e.g. the current cart).
        extra: Map<String, Value>,
    },
    /// The same `Idempotency-Key` was used with another request (422).
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still running (409).
    #[error("a request with this Idempotency-Key is still in progress; retry shortly")]
    IdempotencyInProgress,
    /// The caller sent more than its share (429 `rate_limited` with `Retry-After`).
    #[error("too many requests from this client; retry after {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after_secs: u32,
    },
    /// The table is busy or unreachable (503 with `Retry-After`).
    #[error("the service is busy, retry after {retry_after_secs} s")]
    Unavailable {
        /// Seconds to wait.
        retry_after_secs: u32,
    },
    /// Anything else (500): what failed, and why when another error says so. Logged with
    /// its sources, never sent.
    #[error("internal error: {what}")]
    Internal {
        /// What failed.
        what: String,
        /// The error behind it.
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ApiError {
    /// A 500 for a failure no other error describes.
    pub fn internal(what: impl Into<String>) -> Self {
        Self::Internal { what: what.into(), cause: None }
    }

    /// A 500 caused by `cause`, kept as its source.
    pub fn internal_because(what: impl Into<String>, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal { what: what.into(), cause: Some(Box::new(cause)) }
    }

    /// A 422 with one field error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A 409 with a code and no extra members.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into(), extra: Map::new() }
    }

    /// A 403 for a caller without any of the needed roles.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(detail.into())
    }

    /// A 404 for a missing resource.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(detail.into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::MalformedJson(_) | Self::InvalidBody(_) | Self::BadRequest { .. } => S::BAD_REQUEST,
            Self::Validation(_) | Self::IdempotencyKeyReused | Self::Unprocessable { .. } => S::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) => S::UNAUTHORIZED,
            Self::Forbidden(_) => S::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound(_) => S::NOT_FOUND,
            Self::MethodNotAllowed { .. } => S::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
            Self::Conflict { .. } | Self::IdempotencyInProgress => S::CONFLICT,
            Self::PreconditionFailed { .. } => S::PRECONDITION_FAILED,
            Self::Unavailable { .. } => S::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => S::TOO_MANY_REQUESTS,
            Self::Internal { .. } => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidBody(_) => "invalid_request",
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated(err) => err.code(),
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RouteNotFound(_) => "route_not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Conflict { code, .. } | Self::PreconditionFailed { code, .. } | Self::Unprocessable { code, .. } => {
                code
            }
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::Unavailable { .. } => "service_unavailable",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Internal { .. } => "internal_error",
        }
    }
}

impl From<omnicanal_domain::plan::Contended> for ApiError {
    /// Every attempt of a read–decide–write lost its race: busy, retry shortly.
    fn from(_: omnicanal_domain::plan::Contended) -> Self {
        Self::Unavailable { retry_after_secs: 1 }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Self::Unavailable { retry_after_secs: 1 },
            StoreError::Throttled { retry_after_secs } => Self::Unavailable { retry_after_secs },
            err @ StoreError::Unavailable { .. } => {
                tracing::error!(error = %chain(&err), "store unavailable");
                Self::Unavailable { retry_after_secs: 2 }
            }
            StoreError::InvalidCursor => Self::BadRequest {
                code: "invalid_cursor",
                detail: "the cursor is not valid for this listing".to_owned(),
                errors: vec![FieldError::new("cursor", "not a cursor from this listing")],
            },
            // A condition the handler did not expect to fail, or a request that breaks the
            // table's rules: both are our bugs, never the client's.
            other @ (StoreError::ConditionFailed { .. } | StoreError::Invalid(_)) => {
                Self::internal_because("the table refused a write", other)
            }
        }
    }
}

/// An error and its sources, outermost first: `store unavailable: GetItem answer: EOF while
/// parsing`.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_keeps_its_cause_as_its_source() {
        let parse = serde_json::from_str::<u8>("not json").expect_err("not a number");
        let err = StoreError::because("GetItem answer", parse);
        let source = std::error::Error::source(&err).expect("the cause is the source");
        assert!(source.to_string().contains("line 1 column"), "{source}");
        assert_eq!(chain(&err), format!("store unavailable: GetItem answer: {source}"));
        assert_eq!(ApiError::from(err).status(), http::StatusCode::SERVICE_UNAVAILABLE);
    }
}
