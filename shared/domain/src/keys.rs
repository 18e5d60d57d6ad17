//! Ids as key material: the one rule every key of the table follows.
//!
//! Keys join their parts with `#` (`CUSTOMER#<sub>#LEDGER`, `REDEMPTION#<sub>#<order_id>`).
//! An id that carries a `#` itself could otherwise reach into the next part and name another
//! item: `customer_id: "victim#LEDGER"` would address the victim's ledger, and carol's order
//! `x#y` the order `y` of the customer `carol#x`. So every id passes through [`part`] before it
//! goes into a key: `%`, `#` and control characters are percent-escaped, which keeps ids
//! without them unchanged (the items already written keep their keys) and makes the escaped
//! form unambiguous.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// What is escaped: control characters, the separator `#`, and `%` itself.
const ESCAPED: &AsciiSet = &CONTROLS.add(b'#').add(b'%');

/// `id` as one part of a key.
pub fn part(id: &str) -> Cow<'_, str> {
    utf8_percent_encode(id, ESCAPED).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    #[test]
    fn plain_ids_stay_as_they_are_and_separators_are_escaped() {
        assert_eq!(part("alice-42_x.y@example.com"), "alice-42_x.y@example.com");
        assert_eq!(part("victim#LEDGER"), "victim%23LEDGER");
        assert_eq!(part("100%#"), "100%25%23");
        assert_eq!(part("a\nb"), "a%0Ab");
    }

    proptest! {
        #[test]
        fn a_part_never_holds_a_separator_and_distinct_ids_stay_distinct(a in ".{0,12}", b in ".{0,12}") {
            prop_assert!(!part(&a).contains('#'));
            if a != b {
                prop_assert_ne!(part(&a), part(&b));
            }
        }

        #[test]
        fn joined_parts_never_collide(a in "[a#%]{0,6}", b in "[a#%]{0,6}", c in "[a#%]{0,6}", d in "[a#%]{0,6}") {
            let left = format!("{}#{}", part(&a), part(&b));
            let right = format!("{}#{}", part(&c), part(&d));
            prop_assert_eq!(left == right, (a, b) == (c, d));
        }
    }
}
