//! The one place where errors become HTTP answers: RFC 9457 problem JSON.
//!
//! ```json
//! {"type": "/problems/insufficient_stock", "title": "Insufficient stock", "status": 409,
//!  "code": "insufficient_stock", "detail": "…", "request_id": "…", "errors": []}
//! ```

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Builds the problem answer for `err`. A 500 carries no internal detail (it is logged).
pub fn problem_response(err: &ApiError, request_id: &str) -> http::Response<Bytes> {
    let status = err.status();
    let code = err.code();
    let detail = match err {
        // Logged by the pipeline, once, with its sources; never sent.
        ApiError::Internal { .. } => {
            "Something went wrong on our side; the request id identifies it in our logs.".to_owned()
        }
        other => other.to_string(),
    };
    let errors = match err {
        ApiError::InvalidBody(errors) | ApiError::Validation(errors) | ApiError::BadRequest { errors, .. } => {
            json!(errors)
        }
        _ => json!([]),
    };
    let mut body = Map::new();
    body.insert("type".into(), json!(format!("/problems/{code}")));
    body.insert("title".into(), json!(title(code)));
    body.insert("status".into(), json!(status.as_u16()));
    body.insert("code".into(), json!(code));
    body.insert("detail".into(), json!(detail));
    body.insert("request_id".into(), json!(request_id));
    body.insert("errors".into(), errors);
    if let ApiError::Conflict { extra, .. }
    | ApiError::PreconditionFailed { extra, .. }
    | ApiError::Unprocessable { extra, .. } = err
    {
        for (name, value) in extra {
            // The standard members always win over a domain's extras.
            body.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();

    let mut response = http::Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    match err {
        ApiError::Unauthenticated(auth) => {
            let challenge = format!("Bearer error=\"{}\"", auth.www_authenticate_error());
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(WWW_AUTHENTICATE, value);
            }
        }
        ApiError::MethodNotAllowed { allow, .. } => {
            let list = allow.iter().map(http::Method::as_str).collect::<Vec<_>>().join(", ");
            if let Ok(value) = HeaderValue::from_str(&list) {
                headers.insert(ALLOW, value);
            }
        }
        ApiError::Unavailable { retry_after_secs } | ApiError::TooManyRequests { retry_after_secs } => {
            headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        // The first request with the key is still running: try again in a moment.
        ApiError::IdempotencyInProgress => {
            headers.insert(RETRY_AFTER, HeaderValue::from(1_u32));
        }
        _ => {}
    }
    response
}

/// The human title of a problem type: its code as a sentence (`insufficient_stock` →
/// `Insufficient stock`), the same for every occurrence as RFC 9457 asks.
pub fn title(code: &str) -> String {
    let words = code.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    fn body(response: &http::Response<Bytes>) -> Value {
        serde_json::from_slice(response.body()).unwrap_or(Value::Null)
    }

    #[test]
    fn validation_lists_field_errors() {
        let err = ApiError::Validation(vec![FieldError::new("lines[2].qty", "must be between 1 and 999")]);
        let response = problem_response(&err, "req-1");
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
        let body = body(&response);
        assert_eq!(body["type"], "/problems/validation_failed");
        assert_eq!(body["title"], "Validation failed");
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["request_id"], "req-1");
        assert_eq!(body["errors"][0]["field"], "lines[2].qty");
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let response = problem_response(&ApiError::internal("db password wrong"), "r");
        assert_eq!(response.status(), 500);
        assert!(!String::from_utf8_lossy(response.body()).contains("password"));
    }

    #[test]
    fn conflicts_carry_extras_but_not_over_standard_members() {
        let mut extra = Map::new();
        extra.insert("lines".into(), json!([{"sku": "A1"}]));
        extra.insert("status".into(), json!(200));
        let err = ApiError::Conflict { code: "insufficient_stock", detail: "short".into(), extra };
        let body = body(&problem_response(&err, "r"));
        assert_eq!(body["status"], 409);
        assert_eq!(body["title"], "Insufficient stock");
        assert_eq!(body["lines"][0]["sku"], "A1");
    }

    #[test]
    fn method_not_allowed_lists_allow_and_unavailable_sets_retry_after() {
        let err =
            ApiError::MethodNotAllowed { method: "POST".into(), allow: vec![http::Method::GET, http::Method::PUT] };
        assert_eq!(problem_response(&err, "r").headers()[ALLOW], "GET, PUT");
        let err = ApiError::Unavailable { retry_after_secs: 3 };
        assert_eq!(problem_response(&err, "r").headers()[RETRY_AFTER], "3");
        let running = problem_response(&ApiError::IdempotencyInProgress, "r");
        assert_eq!(running.status().as_u16(), 409);
        assert_eq!(running.headers()[RETRY_AFTER], "1");
    }
}
