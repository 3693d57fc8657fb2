//! Send rates per channel account (and per recipient where the provider limits that),
//! shared by everything that sends: the inbox, the API and campaigns all go through the
//! dispatcher, which asks here before every call.
//!
//! Each key is a GCRA (a token bucket kept as the theoretical time of the next send) with a
//! tenth of a second of burst. A provider's "slow down" (HTTP 429, WhatsApp 130429 and
//! 131056) halves the key's rate and pauses it for the time the provider asked; the rate
//! then recovers by a tenth of the configured rate per second without complaints.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BURST: Duration = Duration::from_millis(100);
const MIN_FACTOR: f64 = 1.0 / 64.0;
const RECOVERY_PER_SEC: f64 = 0.1;

#[derive(Debug)]
struct Bucket {
    next: Instant,
    factor: f64,
    factor_at: Instant,
}

impl Bucket {
    fn factor(&self, now: Instant) -> f64 {
        let secs = now.saturating_duration_since(self.factor_at).as_secs_f64();
        (self.factor + RECOVERY_PER_SEC * secs).min(1.0)
    }
}

#[derive(Debug, Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    /// Reserves the next send on `key` at up to `rate` per second and says how long to
    /// wait before it. Reservations space out concurrent senders.
    pub fn reserve(&self, key: &str, rate: u32) -> Duration {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            next: now,
            factor: 1.0,
            factor_at: now,
        });
        let rate = f64::from(rate.max(1)) * bucket.factor(now);
        let interval = Duration::from_secs_f64(1.0 / rate);
        let start = bucket.next.max(now);
        bucket.next = start + interval;
        start.saturating_duration_since(now + BURST)
    }

    /// Gives back a reservation that will not be used (the message was put off).
    pub fn release(&self, key: &str, rate: u32) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = buckets.get_mut(key) {
            let rate = f64::from(rate.max(1)) * bucket.factor(now);
            let interval = Duration::from_secs_f64(1.0 / rate);
            bucket.next = bucket.next.checked_sub(interval).unwrap_or(now).max(now);
        }
    }

    /// The provider asked us to slow down: halve the rate and pause for `pause`.
    pub fn slow_down(&self, key: &str, pause: Duration) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            next: now,
            factor: 1.0,
            factor_at: now,
        });
        bucket.factor = (bucket.factor(now) / 2.0).max(MIN_FACTOR);
        bucket.factor_at = now;
        bucket.next = bucket.next.max(now + pause);
    }

    /// The share of its configured rate `key` may use now (1.0 unless slowed down).
    pub fn factor(&self, key: &str) -> f64 {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.get(key).map_or(1.0, |b| b.factor(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_spaced_at_the_rate_after_a_small_burst() {
        let t = Throttle::default();
        let waits: Vec<Duration> = (0..30).map(|_| t.reserve("ch", 10)).collect();
        // A tenth of a second of burst at 10/s is the first two sends.
        assert_eq!(waits[0], Duration::ZERO);
        assert_eq!(waits[1], Duration::ZERO);
        assert!(waits[20] >= Duration::from_millis(1_850), "{:?}", waits[20]);
        assert!(waits[29] > waits[20]);
        // Other keys are not affected.
        assert_eq!(t.reserve("other", 10), Duration::ZERO);
    }

    #[test]
    fn a_slow_down_halves_the_rate_and_pauses() {
        let t = Throttle::default();
        t.slow_down("ch", Duration::from_secs(2));
        assert!((t.factor("ch") - 0.5).abs() < 0.01);
        assert!(t.reserve("ch", 100) >= Duration::from_millis(1_800));
        t.slow_down("ch", Duration::ZERO);
        assert!(t.factor("ch") < 0.3);
    }
}
