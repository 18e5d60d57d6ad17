//! Waits between attempts, one rule for every retry loop (the DynamoDB adapters' and the
//! read–decide–write plans'): "full jitter", a random wait up to a ceiling that doubles per
//! attempt from a base up to a cap, so that racing writers spread out instead of colliding
//! again in step.

use std::time::Duration;

/// A backoff schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling after the first attempt.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
}

impl Backoff {
    /// The largest wait before attempt `attempt + 1` (`attempt` ≥ 1): the base, doubling per
    /// attempt, never above the cap.
    pub fn ceiling(self, attempt: u32) -> Duration {
        self.base.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(self.cap)
    }

    /// The wait before attempt `attempt + 1`: a random time up to the [`ceiling`](Self::ceiling).
    pub fn wait(self, attempt: u32) -> Duration {
        let random = crate::random::bytes::<4>().map(u32::from_le_bytes).unwrap_or(u32::MAX / 2);
        self.ceiling(attempt).mul_f64(f64::from(random) / f64::from(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: Backoff = Backoff { base: Duration::from_millis(25), cap: Duration::from_secs(1) };

    #[test]
    fn the_ceiling_doubles_from_the_base_up_to_the_cap() {
        let ms: Vec<u128> = (1..=9).map(|attempt| SCHEDULE.ceiling(attempt).as_millis()).collect();
        assert_eq!(ms, [25, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(SCHEDULE.ceiling(u32::MAX), Duration::from_secs(1), "no overflow, still capped");
    }

    #[test]
    fn waits_are_jittered_below_their_ceiling() {
        for attempt in [1, 3, 6, 40] {
            let waits: Vec<Duration> = (0..200).map(|_| SCHEDULE.wait(attempt)).collect();
            assert!(waits.iter().all(|wait| *wait <= SCHEDULE.ceiling(attempt)), "attempt {attempt}: past the ceiling");
            let distinct: std::collections::HashSet<_> = waits.iter().collect();
            assert!(distinct.len() > 100, "attempt {attempt}: the waits are spread, not one fixed delay");
        }
    }
}
