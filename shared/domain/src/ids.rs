//! The ids callers name things by, each a type: a value of one is always well-formed, so a
//! command built from them needs no second check. Each parses from text with the message a
//! `422` shows for its field.

use std::fmt;

use serde::Serialize;

/// Declares an id type: its doc, its name, its shortest and longest length, which bytes it
/// takes, and the message a malformed one gets.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $allowed:expr, $message:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The longest accepted.
            pub const MAX_LEN: usize = $max;

            /// Parses one, or says what a well-formed one looks like.
            pub fn parse(text: &str) -> Result<Self, String> {
                let allowed: fn(u8) -> bool = $allowed;
                if ($min..=Self::MAX_LEN).contains(&text.len()) && text.bytes().all(allowed) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err($message.to_owned())
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

id_type!(
    /// An id from another system (an order id): 1–128 printable ASCII characters.
    ExternalId,
    1,
    128,
    |b| b.is_ascii_graphic(),
    "must be 1-128 printable ASCII characters"
);

id_type!(
    /// A reservation id, chosen by the caller: 1–128 of `A-Z a-z 0-9 _ -`.
    ReservationId,
    1,
    128,
    word,
    "must be 1-128 of A-Z a-z 0-9 _ -"
);

impl ReservationId {
    /// The hold of an order's checkout: `~order~<order_id>`. `~` is outside what a caller may
    /// name a reservation, so no reservation made through the stock API can take (or block)
    /// an order's hold, and the stock API cannot address it.
    pub fn of_order(order_id: &ExternalId) -> Self {
        Self(format!("~order~{}", order_id.as_str()))
    }
}

id_type!(
    /// A location id: 1–64 of `A-Z a-z 0-9 _ -`.
    LocationId,
    1,
    64,
    word,
    "must be 1-64 of A-Z a-z 0-9 _ -"
);

id_type!(
    /// A cart id, as the cart function issues them: 22 URL-safe characters (128 random bits,
    /// base64url). Anything else names no cart.
    CartId,
    22,
    22,
    |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_',
    "must be a cart id (22 of A-Z a-z 0-9 - _)"
);

id_type!(
    /// A customer id: a token's `sub`, or what a service names: 1–255 bytes.
    CustomerId,
    1,
    255,
    |_| true,
    "must be 1-255 characters"
);

/// Units of one line: 1 to 1,000,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Quantity(i64);

impl Quantity {
    /// The most units one line may ask for.
    pub const MAX: i64 = 1_000_000;

    /// Parses a line's units.
    pub fn parse(units: i64) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&units) {
            Ok(Self(units))
        } else {
            Err(format!("must be between 1 and {}", Self::MAX))
        }
    }

    /// The units.
    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_takes_its_own_alphabet_and_length() {
        assert!(ExternalId::parse("order#1/2").is_ok());
        assert!(ExternalId::parse("has space").is_err());
        assert!(ReservationId::parse("r_1-a").is_ok());
        assert!(ReservationId::parse("r#1").is_err());
        assert!(LocationId::parse(&"x".repeat(64)).is_ok());
        assert!(LocationId::parse(&"x".repeat(65)).is_err());
        assert!(ExternalId::parse("").is_err() && ReservationId::parse("").is_err() && LocationId::parse("").is_err());
        assert!(CartId::parse("AbCdEfGhIjKlMnOpQr-_01").is_ok());
        assert!(CartId::parse("AbCdEfGhIjKlMnOpQr-_0").is_err(), "21 characters");
        assert!(CartId::parse("AbCdEfGhIjKlMnOpQr-_0#").is_err());
        assert!(CustomerId::parse("carol#x ü").is_ok(), "any sub; keys escape it");
        assert!(CustomerId::parse("").is_err() && CustomerId::parse(&"c".repeat(256)).is_err());
    }

    #[test]
    fn quantities_run_from_one_to_a_million() {
        assert_eq!(Quantity::parse(1).map(Quantity::get), Ok(1));
        assert!(Quantity::parse(Quantity::MAX).is_ok());
        for bad in [0, -1, Quantity::MAX + 1, i64::MIN] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}
