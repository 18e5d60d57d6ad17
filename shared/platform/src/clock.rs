//! Time comes in from outside: the domain never reads a clock itself.
//!
//! `SystemTime::now()` panics on `wasm32-unknown-unknown`, and tests need fixed, movable
//! time; so every host builds one [`Clock`] at start-up and passes it down.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time, UTC.
    fn now(&self) -> OffsetDateTime;

    /// The current time in whole epoch seconds (what the TTL attribute holds).
    fn epoch_secs(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

/// The operating system's clock (native hosts only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved: for tests, and for hosts that read the time once
/// per request (a Worker sets it from `worker::Date`).
#[derive(Clone, Debug)]
pub struct ManualClock {
    nanos: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self { nanos: Arc::new(AtomicI64::new(to_nanos(at))) }
    }

    /// A clock at `epoch_millis` milliseconds after the Unix epoch.
    pub fn from_epoch_millis(epoch_millis: i64) -> Self {
        Self { nanos: Arc::new(AtomicI64::new(epoch_millis.saturating_mul(1_000_000))) }
    }

    /// Shows `at` from now on (every clone moves too).
    pub fn set(&self, at: OffsetDateTime) {
        self.nanos.store(to_nanos(at), Ordering::SeqCst);
    }

    /// Moves forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let delta = i64::try_from(by.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.nanos.fetch_add(delta, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.nanos.load(Ordering::SeqCst)))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn to_nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// A shared clock, as hosts hand it to handlers and adapters.
pub type SharedClock = Arc<dyn Clock>;

/// Formats a time as RFC 3339 UTC with whole seconds (`2026-11-22T10:00:00Z`), the
/// contract's form.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.format(&format).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Parses an RFC 3339 time (any offset), for client-supplied times.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_all_clones() {
        let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
        let other = clock.clone();
        clock.advance(time::Duration::seconds(90));
        assert_eq!(rfc3339(other.now()), "2026-11-22T10:01:30Z");
        assert_eq!(other.epoch_secs(), 1_795_341_690);
    }

    #[test]
    fn parses_offsets_to_the_same_instant() {
        let a = parse_rfc3339("2026-11-22T11:00:00+01:00").expect("valid");
        assert_eq!(rfc3339(a), "2026-11-22T10:00:00Z");
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
