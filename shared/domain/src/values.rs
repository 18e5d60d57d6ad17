//! Small value types every function shares, parsed (not validated) at the edge: a value of
//! these types is always valid.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The longest SKU accepted.
pub const MAX_SKU_LEN: usize = 64;

/// A stock keeping unit: 1–64 of `A-Z a-z 0-9 . _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    /// Parses a SKU.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = (1..=MAX_SKU_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!("must be 1-{MAX_SKU_LEN} characters of A-Z a-z 0-9 . _ -"))
        }
    }

    /// The SKU as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sku {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An ISO 4217 currency that money can be counted in: a code of the standard's list (from
/// the `iso_currency` crate) with a minor-unit exponent, so `XXX`, `XTS` and made-up codes
/// such as `ZZZ` are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro.
    pub const EUR: Self = Self(*b"EUR");

    /// Parses a currency code (upper case, as the standard writes it).
    pub fn parse(text: &str) -> Result<Self, String> {
        let known = iso_currency::Currency::from_code(text).filter(|c| c.exponent().is_some());
        match (text.as_bytes(), known) {
            ([a, b, c], Some(_)) if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err("must be an ISO 4217 currency code such as EUR".to_owned()),
        }
    }

    /// How many decimal places its minor unit has: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u32 {
        iso_currency::Currency::from_code(self.as_str()).and_then(iso_currency::Currency::exponent).map_or(2, u32::from)
    }

    /// Minor units in one whole unit: 100 for EUR, 1 for JPY, 1000 for KWD.
    pub fn minor_per_unit(self) -> i64 {
        10_i64.pow(self.exponent())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Money: integer minor units and a currency. Never floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Minor units (cents).
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_and_currencies_parse_strictly() {
        assert!(Sku::parse("SHOE-42.black_1").is_ok());
        for bad in ["", "a b", "ü", &"x".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Currency::parse("EUR").map(|c| c.as_str().to_owned()), Ok("EUR".into()));
        for (code, per_unit) in [("EUR", 100), ("JPY", 1), ("KWD", 1000)] {
            assert_eq!(Currency::parse(code).map(Currency::minor_per_unit), Ok(per_unit), "{code}");
        }
        for bad in ["eur", "EURO", "E1R", "", "ZZZ", "XXX"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_round_trips_as_json() {
        let money: Money = serde_json::from_str(r#"{"amount":1999,"currency":"EUR"}"#).expect("valid");
        assert_eq!(money.amount, 1999);
        assert_eq!(serde_json::to_string(&money).ok().as_deref(), Some(r#"{"amount":1999,"currency":"EUR"}"#));
        assert!(serde_json::from_str::<Money>(r#"{"amount":1.5,"currency":"EUR"}"#).is_err());
    }
}
