//! What a request says about itself: its channel (`X-Channel`) and its request id
//! (`X-Request-Id`). The caller (the token's subject and roles) is in [`crate::auth`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ApiError, FieldError};

/// The header naming the channel.
pub const CHANNEL_HEADER: &str = "x-channel";
/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest location id accepted (in `store:<location_id>` and in paths).
pub const MAX_LOCATION_ID_LEN: usize = 64;

/// The channel a request comes through.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Channel {
    /// The web storefront (the default).
    #[default]
    Web,
    /// The mobile app.
    App,
    /// A marketplace.
    Marketplace,
    /// A physical store, by location id.
    Store(String),
}

impl Channel {
    /// Parses `web`, `app`, `marketplace` or `store:<location_id>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "web" => Ok(Self::Web),
            "app" => Ok(Self::App),
            "marketplace" => Ok(Self::Marketplace),
            other => match other.strip_prefix("store:") {
                Some(location) if is_location_id(location) => Ok(Self::Store(location.to_owned())),
                _ => Err(format!(
                    "`{}` is not a channel: use web, app, marketplace or store:<location_id>",
                    other.chars().take(80).collect::<String>()
                )),
            },
        }
    }

    /// The channel of a request from its `X-Channel` header (`web` when absent).
    pub fn from_header(value: Option<&http::HeaderValue>) -> Result<Self, ApiError> {
        let Some(value) = value else {
            return Ok(Self::Web);
        };
        let text = value.to_str().unwrap_or("\u{fffd}");
        Self::parse(text.trim()).map_err(|message| ApiError::BadRequest {
            code: "invalid_channel",
            detail: message.clone(),
            errors: vec![FieldError::new("X-Channel", message)],
        })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Web => f.write_str("web"),
            Self::App => f.write_str("app"),
            Self::Marketplace => f.write_str("marketplace"),
            Self::Store(location) => write!(f, "store:{location}"),
        }
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether `text` is a valid location id: 1–64 of `A-Z a-z 0-9 _ -`.
pub fn is_location_id(text: &str) -> bool {
    (1..=MAX_LOCATION_ID_LEN).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The request id: the client's `X-Request-Id` when it is sane (1–128 visible ASCII
/// characters), a fresh random one otherwise.
pub fn request_id(value: Option<&http::HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| crate::random::token().unwrap_or_else(|_| "no-random-source".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_channel_form() {
        assert_eq!(Channel::parse("web"), Ok(Channel::Web));
        assert_eq!(Channel::parse("app"), Ok(Channel::App));
        assert_eq!(Channel::parse("marketplace"), Ok(Channel::Marketplace));
        assert_eq!(Channel::parse("store:PAR-01"), Ok(Channel::Store("PAR-01".into())));
        assert_eq!(Channel::Store("PAR-01".into()).to_string(), "store:PAR-01");
        for bad in ["", "WEB", "store:", "store:a b", "kiosk", "store:x/y"] {
            assert!(Channel::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn missing_header_is_web_and_bad_header_is_400() {
        assert_eq!(Channel::from_header(None).ok(), Some(Channel::Web));
        let bad = http::HeaderValue::from_static("fax");
        let err = Channel::from_header(Some(&bad)).expect_err("unknown channel");
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
}
