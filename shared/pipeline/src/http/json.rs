//! JSON in and out. Bodies are parsed strictly (types declare `deny_unknown_fields`), and a
//! failure says which field is wrong: `lines[2].qty`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Parses a request body into `T`: `400 malformed_json` when it is not JSON, `400
/// invalid_request` with the field path when the shape is wrong (unknown field, wrong type,
/// missing field, number out of range for its type).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson(None));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        classify(inner, path)
    })?;
    // Trailing bytes after the value are a malformed body, not something to ignore.
    deserializer.end().map_err(|e| ApiError::MalformedJson(Some(e)))?;
    Ok(value)
}

fn classify(err: serde_json::Error, path: String) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson(Some(err)),
        Category::Data => {
            // serde_json appends " at line L column C": useful for syntax, noise for fields.
            let message = err.to_string();
            let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(head, _)| head).to_owned();
            let field = if path == "." { String::new() } else { path };
            ApiError::InvalidBody(vec![FieldError::new(field, message)])
        }
    }
}

/// A JSON answer with `status`.
pub fn response<T: Serialize>(status: http::StatusCode, value: &T) -> Result<http::Response<Bytes>, ApiError> {
    let bytes = serde_json::to_vec(value).map_err(|e| ApiError::internal_because("serializing the answer", e))?;
    let mut response = http::Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Whether a `Content-Type` names JSON (`application/json`, `application/x+json`) in UTF-8:
/// JSON between systems is UTF-8 (RFC 8259), so a `charset` other than UTF-8 is refused
/// rather than misread.
pub fn is_json_content_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
    let utf8 = parts.all(|parameter| match parameter.split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
            matches!(charset.trim().trim_matches('"').to_ascii_lowercase().as_str(), "utf-8" | "utf8")
        }
        _ => true,
    });
    json && utf8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        qty: u16,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        lines: Vec<Line>,
    }

    fn field_of(err: ApiError) -> (u16, String, String) {
        let status = err.status().as_u16();
        let code = err.code().to_owned();
        let field = match err {
            ApiError::InvalidBody(errors) => errors[0].field.clone(),
            _ => String::new(),
        };
        (status, code, field)
    }

    #[test]
    fn malformed_json_is_400_malformed_json() {
        for body in [&b"{"[..], b"", b"  ", b"{\"lines\": []} trailing", b"nope"] {
            let err = parse::<Body>(body).expect_err("malformed");
            assert_eq!((err.status().as_u16(), err.code()), (400, "malformed_json"), "{body:?}");
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        let wrong_type = br#"{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":"two"}]}"#;
        assert_eq!(
            field_of(parse::<Body>(wrong_type).expect_err("type")),
            (400, "invalid_request".into(), "lines[1].qty".into())
        );
        let unknown = br#"{"lines":[],"coupon":"X"}"#;
        let (status, code, _) = field_of(parse::<Body>(unknown).expect_err("unknown"));
        assert_eq!((status, code.as_str()), (400, "invalid_request"));
        let out_of_range = br#"{"lines":[{"sku":"A","qty":70000}]}"#;
        assert_eq!(field_of(parse::<Body>(out_of_range).expect_err("range")).2, "lines[0].qty");
        let missing = br#"{"lines":[{"sku":"A"}]}"#;
        assert_eq!(field_of(parse::<Body>(missing).expect_err("missing")).2, "lines[0]");
    }

    #[test]
    fn recognises_json_media_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/json; charset=utf-16"));
        assert!(is_json_content_type("application/json; charset=\"UTF-8\""));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }
}
