//! What a sync batch from an offline device carries, checked the same way for the cart and
//! the wishlist: the device's id and each operation's client time.

use omnicanal_domain::cart::model::{SERVER_DEVICE, clamp};
use omnicanal_pipeline::error::FieldError;
use omnicanal_platform::clock::parse_rfc3339;
use serde::Deserialize;

/// A sync body: one device's operations (`Op` is the cart's or the wishlist's).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncBody<Op> {
    /// The device that made them.
    pub device_id: String,
    /// Its operations, in order.
    pub ops: Vec<Op>,
}

/// The device id's problem, if it is not 1-64 printable ASCII characters (the server's own
/// name excluded).
pub(crate) fn device_problem(device_id: &str) -> Option<FieldError> {
    let ok = (1..=64).contains(&device_id.len())
        && device_id.bytes().all(|b| b.is_ascii_graphic())
        && device_id != SERVER_DEVICE;
    (!ok).then(|| FieldError::new("device_id", "must be 1-64 printable ASCII characters"))
}

/// Operation `i`'s client time in nanoseconds, clamped when too far ahead of `now_ns`. Any
/// RFC 3339 time is taken: one past what nanoseconds in an i64 reach (1677–2262) saturates,
/// and a future one is clamped to now anyway.
pub(crate) fn client_time(i: usize, at: &str, now_ns: i64) -> Result<i64, FieldError> {
    let at = parse_rfc3339(at)
        .map(|t| saturating_nanos(t.unix_timestamp_nanos()))
        .ok_or_else(|| FieldError::new(format!("ops[{i}].at"), "must be an RFC 3339 time"))?;
    Ok(clamp(at, now_ns))
}

/// Nanoseconds since the epoch as an i64, saturating at its ends.
fn saturating_nanos(nanos: i128) -> i64 {
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}
