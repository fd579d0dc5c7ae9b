//! Request accounting for tests and benchmarks (calls per path, concurrency) and WeCom's
//! per-API frequency limit.

use super::lock;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct Stats {
    counts: Mutex<BTreeMap<String, u64>>,
    total: AtomicU64,
    in_flight: AtomicU64,
    peak: AtomicU64,
    /// Sum of every finished request's time in flight, in nanoseconds: over a stretch of wall
    /// time, its growth divided by the stretch is the time-weighted average in flight.
    in_flight_nanos: AtomicU64,
}

/// Marks one request as in flight until dropped, so that a client hanging up mid-request
/// (the handler future is dropped) still leaves the gauge right.
pub(crate) struct InFlight<'a>(&'a Stats, Instant);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        let nanos = u64::try_from(self.1.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.in_flight_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Stats {
    pub fn begin(&self, endpoint: &str) -> InFlight<'_> {
        *lock(&self.counts).entry(endpoint.to_owned()).or_insert(0) += 1;
        self.total.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        InFlight(self, Instant::now())
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counts).clone()
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }

    /// Seconds of requests in flight, summed over the finished requests (not reset: callers take
    /// differences).
    pub fn in_flight_secs(&self) -> f64 {
        self.in_flight_nanos.load(Ordering::SeqCst) as f64 / 1e9
    }

    /// Clears the counters; the peak restarts from what is in flight right now.
    pub fn reset(&self) {
        let mut counts = lock(&self.counts);
        counts.clear();
        self.total.store(0, Ordering::SeqCst);
        self.peak.store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Fixed one-minute windows per API (the corp is fixed, so the API is the whole key).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    started: Instant,
    per_min: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_min: u32) -> RateLimiter {
        RateLimiter { started: Instant::now(), per_min, windows: Mutex::new(HashMap::new()) }
    }

    /// Records a call; false when it is over the limit (45009). Refused calls count too: the
    /// real limit is on calls made, not calls served.
    pub fn admit(&self, endpoint: &str) -> bool {
        let minute = self.started.elapsed().as_secs() / 60;
        let mut windows = lock(&self.windows);
        let slot = windows.entry(endpoint.to_owned()).or_insert((minute, 0));
        if slot.0 != minute {
            *slot = (minute, 0);
        }
        slot.1 = slot.1.saturating_add(1);
        slot.1 <= self.per_min
    }
}
