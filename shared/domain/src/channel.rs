//! The channels a shopper buys through: web, app, marketplace, or a store by location id.
//! Locations sell to channels, offers target them, availability is per channel.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest location id accepted (in `store:<location_id>` and in paths).
pub const MAX_LOCATION_ID_LEN: usize = crate::ids::LocationId::MAX_LEN;

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
    crate::ids::LocationId::parse(text).is_ok()
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
}
