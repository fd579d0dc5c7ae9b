//! Staying below WeCom's limits, and backing off when we hit them anyway (wecom-api.md §9).
//!
//! WeCom limits each API per corp (10 000/min and 150 000/hour in the 2023 doc; 2 000/min in
//! older ones) and blocks for the length of the window that was exceeded. Other programs of the
//! same corp share those quotas, so we pace well below them: per endpoint, a sliding window for the
//! minute and one for the hour, and a bounded number of requests in flight. The in-flight bound
//! halves on 45033 (concurrency limit) and grows back one step per run of successes.
//!
//! When 45009 comes anyway (other programs share the quota, or it is lower than documented), the
//! endpoint is paused for everyone, with growing delays, and probed by ONE call at a time until a
//! call succeeds, so a block costs a handful of refused calls instead of one per waiting task.
//! The minute window then keeps to 90 % of what got through before the block, and creeps back up
//! after ten quiet minutes. When the pauses of one episode add up to more than the budget, the
//! endpoint gives up for a while: its calls fail at once, and a read ends clearly instead of
//! hammering.
//!
//! The bound on requests in flight is fixed ([`Pacer::new`]) or adaptive ([`Pacer::adaptive`],
//! what the plugin uses): it then grows while answers come as fast as the floor latency and the
//! bound is what holds requests back (doubling at first, as TCP's slow start), and shrinks on
//! 45009, -1, 45033, timeouts and queueing (see [`adaptive`]). Either way each call is also held to the per-minute and per-hour windows.

pub mod adaptive;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Default fixed bound on requests in flight (far below the old 300-per-corp concurrency figure).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
/// Where the adaptive bound starts: twice the old fixed bound, one slow-start round less.
///
/// Why 32 is still conservative against a real corp whose other apps share its concurrency limit
/// (`wecom-api.md` §9, "Frequency limits"): the current doc gives no figure per corp, the old one
/// ≤ 300 at once, and exceeding it answers 45033. 32 is about a ninth of that old figure, and the
/// slow start reached 32 anyway after one flat round of 16 (one latency later), so the only
/// exposure added is that first round. A refusal in it (45033, 45009, -1 or a timeout) halves
/// the bound to 16, the old fixed bound, at once, and halves again on the next; growth after a
/// refusal is one at a time. Measured 2026-12-03 (README, "The snapshot after the last answer,
/// and a start at 32"): a 50,000-member read 14 ms faster at 20 ms and 40 ms faster at 40 ms
/// (medians of builds alternated run by run) than from 16.
pub const ADAPTIVE_INITIAL_IN_FLIGHT: usize = 2 * DEFAULT_MAX_IN_FLIGHT;
/// The adaptive bound's ceiling: still far below the old 300-per-corp concurrency figure, and
/// 2,000 departments at 20 ms need no more than about 40 to be read in well under 2 s.
pub const ADAPTIVE_MAX_IN_FLIGHT: usize = 64;
/// Default per-endpoint pace: 80 % of the current 10 000/min quota.
pub const DEFAULT_CALLS_PER_MINUTE: u32 = 8_000;
/// WeCom's hourly quota is 15× its per-minute one (150 000 vs 10 000); the client paces the
/// hour at the same ratio to its per-minute pace (8 000/min ⇒ 120 000/hour, 80 % of the quota).
pub const HOUR_PER_MINUTE_QUOTA_RATIO: u32 = 15;

/// Successes needed before one concurrency slot taken away by a 45033 is given back.
const RECOVER_AFTER_SUCCESSES: u32 = 32;

/// How the client retries errcodes -1, 45009 and 45033. All delays get ±25 % jitter and are
/// clamped to `[base, max]`; tests use millisecond values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after -1 (system busy). WeCom's own advice: at most 3.
    pub busy_max_retries: u32,
    /// First delay after -1.
    pub busy_base_delay: Duration,
    /// Longest delay after -1.
    pub busy_max_delay: Duration,
    /// First delay after 45009 (frequency limit); doubles on each repeat.
    pub rate_limit_base_delay: Duration,
    /// Longest single delay after 45009.
    pub rate_limit_max_delay: Duration,
    /// Total pause one endpoint may spend waiting out a run of 45009s (one episode, ended by a
    /// success) before it gives up with `RateLimitedGaveUp`. The default covers a one-minute block
    /// (2+4+8+16+32 s, then 60 s steps); an hour block cannot be waited out and is reported instead.
    pub rate_limit_budget: Duration,
    /// Retries after 45033 (concurrency limit), each after lowering our concurrency.
    pub concurrency_max_retries: u32,
    /// First delay after 45033.
    pub concurrency_base_delay: Duration,
    /// Longest delay after 45033.
    pub concurrency_max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            busy_max_retries: 3,
            busy_base_delay: Duration::from_secs(1),
            busy_max_delay: Duration::from_secs(5),
            rate_limit_base_delay: Duration::from_secs(2),
            rate_limit_max_delay: Duration::from_secs(60),
            rate_limit_budget: Duration::from_secs(180),
            concurrency_max_retries: 3,
            concurrency_base_delay: Duration::from_secs(2),
            concurrency_max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (for callers that prefer to fail fast and decide themselves).
    pub fn no_retries() -> Self {
        RetryPolicy {
            busy_max_retries: 0,
            rate_limit_budget: Duration::ZERO,
            concurrency_max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Delay before retry number `retry` (0-based) after -1.
    pub fn busy_delay(&self, retry: u32) -> Duration {
        backoff(self.busy_base_delay, self.busy_max_delay, retry)
    }

    /// Delay before retry number `retry` (0-based) after 45009.
    pub fn rate_limit_delay(&self, retry: u32) -> Duration {
        backoff(self.rate_limit_base_delay, self.rate_limit_max_delay, retry)
    }

    /// Delay before retry number `retry` (0-based) after 45033.
    pub fn concurrency_delay(&self, retry: u32) -> Duration {
        backoff(self.concurrency_base_delay, self.concurrency_max_delay, retry)
    }
}

/// `base * 2^retry` with ±25 % jitter (so that parallel callers do not retry in lockstep),
/// clamped to `[base, max]`.
fn backoff(base: Duration, max: Duration, retry: u32) -> Duration {
    let max = max.max(base);
    let exp = base.saturating_mul(1u32 << retry.min(20)).min(max);
    let factor = 0.75 + fastrand::f64() * 0.5;
    // try_from_secs_f64 instead of mul_f64: the latter panics on overflow with absurd settings.
    Duration::try_from_secs_f64(exp.as_secs_f64() * factor).unwrap_or(max).clamp(base, max)
}

/// At most `limit` calls in any interval one window long, counted in slots of 1/60 of the window.
///
/// A sliding window rather than a token bucket: WeCom counts calls per minute (and per hour), so
/// a read that fits in the quota may go at full concurrency, and a longer one is held to the
/// quota in every window. Any window-long interval spans at most 61 slots and the last 61 slots
/// never hold more than `limit` calls, so no interval does either, whether WeCom's windows are
/// fixed (calendar minutes) or sliding (the reference does not say).
#[derive(Debug)]
struct Window {
    /// The pace asked for; `limit` returns to it after a block.
    configured: u32,
    limit: u32,
    /// When `limit` last changed (creeping back up is counted from there).
    limit_changed: Instant,
    slot: Duration,
    origin: Instant,
    /// (slot index since `origin`, calls in it), oldest first, at most `SLOTS + 1` entries.
    counts: VecDeque<(u64, u32)>,
}

/// Slots per window.
const SLOTS: u64 = 60;

impl Window {
    /// `None` when `limit` is 0 (pacing off).
    fn new(limit: u32, window: Duration, now: Instant) -> Option<Window> {
        if limit == 0 {
            return None;
        }
        let slot = (window / SLOTS as u32).max(Duration::from_millis(1));
        Some(Window { configured: limit, limit, limit_changed: now, slot, origin: now, counts: VecDeque::new() })
    }

    /// WeCom refused a call: keep to 90 % of what got through in the last window. Never below
    /// a hundredth of the configured pace: when only a few calls got through, the quota was
    /// used up by someone else, and the pause (not the pace) is what helps.
    fn shrink(&mut self, now: Instant) {
        let used: u64 = self.counts.iter().map(|(_, n)| u64::from(*n)).sum();
        let kept = u32::try_from(used.min(u64::from(self.limit)) * 9 / 10).unwrap_or(self.limit);
        self.limit = kept.max(self.configured / 100).max(1);
        self.limit_changed = now;
    }

    /// After ten windows without a block, a tenth more, up to the configured pace.
    fn creep_up(&mut self, now: Instant) {
        let quiet = self.slot.saturating_mul(SLOTS as u32 * 10);
        while self.limit < self.configured && now.saturating_duration_since(self.limit_changed) >= quiet {
            self.limit = self.limit.saturating_add((self.limit / 10).max(1)).min(self.configured);
            self.limit_changed += quiet;
        }
    }

    fn slot_index(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.origin).as_nanos() / self.slot.as_nanos().max(1);
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// How long until one more call fits; zero when it fits now.
    fn wait(&mut self, now: Instant) -> Duration {
        self.creep_up(now);
        let current = self.slot_index(now);
        while self.counts.front().is_some_and(|(index, _)| index.saturating_add(SLOTS) < current) {
            self.counts.pop_front();
        }
        let used: u64 = self.counts.iter().map(|(_, n)| u64::from(*n)).sum();
        if used < u64::from(self.limit) {
            return Duration::ZERO;
        }
        // Full: wait until the oldest slot leaves the window.
        let oldest = self.counts.front().map_or(current, |(index, _)| *index);
        let free_at = self.slot.saturating_mul(u32::try_from(oldest.saturating_add(SLOTS + 1)).unwrap_or(u32::MAX));
        (self.origin + free_at).saturating_duration_since(now).max(Duration::from_millis(1))
    }

    fn record(&mut self, now: Instant) {
        let current = self.slot_index(now);
        match self.counts.back_mut() {
            Some((index, n)) if *index == current => *n += 1,
            _ => self.counts.push_back((current, 1)),
        }
    }
}

#[derive(Debug)]
struct EndpointPace {
    minute: Option<Window>,
    hour: Option<Window>,
    paused_until: Option<Instant>,
    /// 45009 pauses since the last success; while non-zero, calls go one at a time (probes).
    strikes: u32,
    /// Sum of this episode's pauses, held against `RetryPolicy::rate_limit_budget`.
    paused_total: Duration,
    /// A probe is in flight: the others wait for its outcome.
    probing: bool,
    /// Wakes the callers waiting for a probe's outcome.
    probe_done: Arc<Notify>,
    /// Gave up on this endpoint: calls fail at once until then.
    gave_up_until: Option<Instant>,
}

/// Where an endpoint stands for one more call.
enum Pace {
    /// It may go (as the probe of a 45009 episode when `probe`).
    Clear { probe: bool },
    /// Paused, or the window is full, for this long.
    Wait(Duration),
    /// A probe is out; its outcome decides.
    AwaitProbe(Arc<Notify>),
}

/// The endpoint gave up after a run of 45009s (see [`RetryPolicy::rate_limit_budget`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaveUp;

#[derive(Debug)]
struct Limits {
    /// Permits that exist in the semaphore (held or available).
    capacity: usize,
    /// What capacity should be; lower than `capacity` after a 45033 until held permits return.
    target: usize,
    max: usize,
    successes: u32,
    /// The adaptive controller; `None` for a fixed bound.
    controller: Option<adaptive::Controller>,
}

impl Limits {
    /// Moves the bound to `target`: new permits at once, fewer by forgetting free permits now
    /// and retiring held ones as their slots end.
    fn retarget(&mut self, semaphore: &Semaphore, target: usize) {
        self.target = target.max(1);
        if self.capacity < self.target {
            semaphore.add_permits(self.target - self.capacity);
            self.capacity = self.target;
        } else if self.capacity > self.target {
            let forgotten = semaphore.forget_permits(self.capacity - self.target);
            self.capacity -= forgotten;
        }
    }
}

#[derive(Debug)]
struct Shared {
    semaphore: Arc<Semaphore>,
    limits: Mutex<Limits>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    endpoints: Mutex<HashMap<&'static str, EndpointPace>>,
}

impl Shared {
    fn limits(&self) -> MutexGuard<'_, Limits> {
        // Plain counters: still consistent after a panic elsewhere.
        self.limits.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn endpoints(&self) -> MutexGuard<'_, HashMap<&'static str, EndpointPace>> {
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Concurrency bound plus per-endpoint pace. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Pacer {
    shared: Arc<Shared>,
    calls_per_minute: u32,
    calls_per_hour: u32,
}

/// One request slot; dropping it frees the slot (and ends its probe, if it was one).
#[derive(Debug)]
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    shared: Arc<Shared>,
    probe_of: Option<&'static str>,
    /// When the call got its slot: its latency is measured from here.
    started: Instant,
}

impl Slot {
    /// The call succeeded: its latency feeds the adaptive bound (with a fixed bound, a success
    /// counts toward giving back a slot taken by a 45033).
    pub fn succeeded(&self) {
        let now = Instant::now();
        let mut limits = self.shared.limits();
        let limits = &mut *limits;
        match &mut limits.controller {
            Some(controller) => {
                let in_flight = self.shared.in_flight.load(Ordering::SeqCst);
                let latency = now.saturating_duration_since(self.started);
                if let adaptive::Change::Grew(to) | adaptive::Change::Shrank(to) =
                    controller.sample(latency, in_flight, now)
                {
                    limits.retarget(&self.shared.semaphore, to);
                }
            }
            None => record_fixed_success(limits, &self.shared.semaphore),
        }
    }
}

/// With a fixed bound: after a run of successes, gives back one slot taken by a 45033.
fn record_fixed_success(limits: &mut Limits, semaphore: &Semaphore) {
    if limits.target >= limits.max {
        return;
    }
    limits.successes += 1;
    if limits.successes >= RECOVER_AFTER_SUCCESSES {
        limits.successes = 0;
        limits.target += 1;
        if limits.capacity < limits.target {
            semaphore.add_permits(1);
            limits.capacity += 1;
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(endpoint) = self.probe_of {
            if let Some(pace) = self.shared.endpoints().get_mut(endpoint) {
                pace.probing = false;
                pace.probe_done.notify_waiters();
            }
        }
        self.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut limits = self.shared.limits();
        if limits.capacity > limits.target {
            // Shrinking after a 45033: retire this permit instead of returning it.
            if let Some(permit) = self.permit.take() {
                permit.forget();
                limits.capacity -= 1;
            }
        }
    }
}

impl Pacer {
    /// `max_in_flight` requests at once (at least 1); per-endpoint pace in calls per minute and
    /// per hour (0 turns that window off).
    pub fn new(max_in_flight: usize, calls_per_minute: u32, calls_per_hour: u32) -> Pacer {
        // Semaphore::new panics above MAX_PERMITS; nobody means that many anyway.
        let max = max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        Pacer::with_limits(max, max, None, calls_per_minute, calls_per_hour)
    }

    /// An adaptive bound: starts at `initial` requests in flight and moves between 1 and `max`
    /// (see [`adaptive`]); per-endpoint pace as in [`Pacer::new`].
    pub fn adaptive(initial: usize, max: usize, calls_per_minute: u32, calls_per_hour: u32) -> Pacer {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        let controller = adaptive::Controller::new(initial, 1, max);
        Pacer::with_limits(controller.limit(), max, Some(controller), calls_per_minute, calls_per_hour)
    }

    fn with_limits(
        start: usize,
        max: usize,
        controller: Option<adaptive::Controller>,
        calls_per_minute: u32,
        calls_per_hour: u32,
    ) -> Pacer {
        Pacer {
            shared: Arc::new(Shared {
                semaphore: Arc::new(Semaphore::new(start)),
                limits: Mutex::new(Limits { capacity: start, target: start, max, successes: 0, controller }),
                in_flight: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                endpoints: Mutex::new(HashMap::new()),
            }),
            calls_per_minute,
            calls_per_hour,
        }
    }

    /// Waits for the endpoint's pace, then for a free slot. Fails at once while the endpoint has
    /// given up after a run of 45009s.
    pub async fn acquire(&self, endpoint: &'static str) -> Result<Slot, GaveUp> {
        loop {
            self.wait_for_pace(endpoint).await?;
            // `acquire_owned` fails only when the semaphore is closed, which this code never
            // does; proceeding unbounded is better than failing the call in that impossible case.
            let permit = self.shared.semaphore.clone().acquire_owned().await.ok();
            // Judged again, and counted, only now that the call can go: while it queued for a
            // slot the endpoint may have been paused, and a call counted in the window while it
            // merely waited would make the window's figures (and a learned quota) wrong.
            if let Pace::Clear { probe } = self.check(endpoint, true)? {
                let now = self.shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.shared.peak.fetch_max(now, Ordering::SeqCst);
                return Ok(Slot {
                    permit,
                    shared: self.shared.clone(),
                    probe_of: probe.then_some(endpoint),
                    started: Instant::now(),
                });
            }
        }
    }

    /// WeCom answered 45009 (it blocks the whole API for the window, not one request): pauses
    /// every call to `endpoint` and, on the first refusal of an episode, lowers its minute pace
    /// to what got through. A refusal that arrives while the endpoint is already paused belongs
    /// to the same block and changes nothing. `Err` when this episode's pauses would exceed the
    /// policy's budget: the endpoint then gives up for `rate_limit_max_delay`.
    pub fn rate_limited(&self, endpoint: &'static str, policy: &RetryPolicy) -> Result<(), GaveUp> {
        self.overloaded();
        let now = Instant::now();
        let mut map = self.shared.endpoints();
        let pace = self.pace_entry(&mut map, endpoint);
        if pace.gave_up_until.is_some_and(|until| until > now) {
            return Err(GaveUp);
        }
        if pace.paused_until.is_some_and(|until| until > now) {
            return Ok(());
        }
        let delay = policy.rate_limit_delay(pace.strikes);
        if pace.paused_total.saturating_add(delay) > policy.rate_limit_budget {
            pace.gave_up_until = Some(later(now, policy.rate_limit_max_delay));
            pace.strikes = 0;
            pace.paused_total = Duration::ZERO;
            pace.paused_until = None;
            pace.probe_done.notify_waiters();
            return Err(GaveUp);
        }
        if pace.strikes == 0 {
            if let Some(minute) = &mut pace.minute {
                minute.shrink(now);
            }
        }
        pace.strikes += 1;
        pace.paused_total += delay;
        pace.paused_until = Some(later(now, delay));
        Ok(())
    }

    /// A call to `endpoint` succeeded: a 45009 episode, if any, is over.
    pub fn endpoint_ok(&self, endpoint: &'static str) {
        let mut map = self.shared.endpoints();
        if let Some(pace) = map.get_mut(endpoint) {
            if pace.strikes > 0 {
                pace.strikes = 0;
                pace.paused_total = Duration::ZERO;
                pace.probe_done.notify_waiters();
            }
        }
    }

    /// WeCom refused (45009, -1, 45033) or did not answer in time: an adaptive bound halves,
    /// at most once per round; a fixed bound is left alone (45033 has its own rule).
    pub fn overloaded(&self) {
        let mut limits = self.shared.limits();
        let limits = &mut *limits;
        if let Some(controller) = &mut limits.controller {
            if let adaptive::Change::Shrank(to) = controller.refused(Instant::now()) {
                limits.retarget(&self.shared.semaphore, to);
            }
        }
    }

    /// Halves the concurrency bound (45033).
    pub fn reduce_concurrency(&self) {
        if self.shared.limits().controller.is_some() {
            self.overloaded();
            return;
        }
        let mut limits = self.shared.limits();
        limits.target = (limits.target / 2).max(1);
        limits.successes = 0;
        let excess = limits.capacity.saturating_sub(limits.target);
        let forgotten = self.shared.semaphore.forget_permits(excess);
        limits.capacity -= forgotten;
    }

    /// Counts a success without a slot (a fixed bound's recovery after 45033; an adaptive bound
    /// learns from [`Slot::succeeded`] instead, which knows the latency).
    pub fn record_success(&self) {
        let mut limits = self.shared.limits();
        if limits.controller.is_none() {
            record_fixed_success(&mut limits, &self.shared.semaphore);
        }
    }

    /// The current concurrency bound.
    pub fn concurrency_limit(&self) -> usize {
        self.shared.limits().target
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Most requests ever in flight at once.
    pub fn in_flight_peak(&self) -> usize {
        self.shared.peak.load(Ordering::SeqCst)
    }

    fn pace_entry<'m>(
        &self,
        map: &'m mut HashMap<&'static str, EndpointPace>,
        endpoint: &'static str,
    ) -> &'m mut EndpointPace {
        let now = Instant::now();
        map.entry(endpoint).or_insert_with(|| EndpointPace {
            minute: Window::new(self.calls_per_minute, Duration::from_secs(60), now),
            hour: Window::new(self.calls_per_hour, Duration::from_secs(3600), now),
            paused_until: None,
            strikes: 0,
            paused_total: Duration::ZERO,
            probing: false,
            probe_done: Arc::new(Notify::new()),
            gave_up_until: None,
        })
    }

    /// Where the endpoint stands for one more call; with `take`, a clear answer also counts the
    /// call in the windows and makes it the probe of a 45009 episode, if one is on.
    fn check(&self, endpoint: &'static str, take: bool) -> Result<Pace, GaveUp> {
        let mut map = self.shared.endpoints();
        let pace = self.pace_entry(&mut map, endpoint);
        let now = Instant::now();
        if pace.gave_up_until.is_some_and(|until| until > now) {
            return Err(GaveUp);
        }
        let mut wait = pace.paused_until.map_or(Duration::ZERO, |u| u.saturating_duration_since(now));
        for window in [&mut pace.minute, &mut pace.hour].into_iter().flatten() {
            wait = wait.max(window.wait(now));
        }
        if !wait.is_zero() {
            return Ok(Pace::Wait(wait));
        }
        if pace.strikes > 0 && pace.probing {
            return Ok(Pace::AwaitProbe(pace.probe_done.clone()));
        }
        let probe = pace.strikes > 0;
        if take {
            for window in [&mut pace.minute, &mut pace.hour].into_iter().flatten() {
                window.record(now);
            }
            pace.probing |= probe;
        }
        Ok(Pace::Clear { probe })
    }

    /// Waits until the endpoint looks clear for one more call.
    async fn wait_for_pace(&self, endpoint: &'static str) -> Result<(), GaveUp> {
        loop {
            match self.check(endpoint, false)? {
                Pace::Clear { .. } => return Ok(()),
                Pace::Wait(wait) => tokio::time::sleep(wait).await,
                Pace::AwaitProbe(notify) => {
                    let notified = notify.notified();
                    tokio::pin!(notified);
                    // Registered before the probe can end, so its notification is not missed;
                    // the timeout covers a probe whose end raced with the registration.
                    notified.as_mut().enable();
                    if self.probe_still_running(endpoint) {
                        let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                    }
                }
            }
        }
    }

    fn probe_still_running(&self, endpoint: &'static str) -> bool {
        self.shared.endpoints().get(endpoint).is_some_and(|p| p.strikes > 0 && p.probing)
    }
}

/// `now + delay`, saturating at a day: an absurd delay must not panic on overflow.
fn later(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay).unwrap_or(now + Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_in_bounds_and_grows() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let d = p.busy_delay(retry);
            assert!(d >= Duration::from_secs(1) && d <= Duration::from_secs(5), "{d:?}");
            let r = p.rate_limit_delay(retry);
            assert!(r >= Duration::from_secs(2) && r <= Duration::from_secs(60), "{r:?}");
            let c = p.concurrency_delay(retry);
            assert!(c >= Duration::from_secs(2) && c <= Duration::from_secs(10), "{c:?}");
        }
        // Doubling (±25 %) is visible between retry 0 and retry 3.
        assert!(p.rate_limit_delay(3) > p.rate_limit_delay(0));
        assert!(p.rate_limit_delay(30) <= Duration::from_secs(60), "no overflow at large retry counts");
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_within_the_quota_is_not_slowed_and_the_next_call_waits_for_the_window() {
        let pacer = Pacer::new(16, 600, 0);
        let start = Instant::now();
        for _ in 0..600 {
            drop(pacer.acquire("user/get").await.expect("slot"));
        }
        assert!(start.elapsed() < Duration::from_millis(1), "600 calls fit in the minute: no wait");
        drop(pacer.acquire("user/get").await.expect("slot"));
        let elapsed = start.elapsed();
        // The first slot leaves the window after 61 one-second slots.
        assert!(elapsed >= Duration::from_secs(60) && elapsed <= Duration::from_secs(62), "{elapsed:?}");
        // Another endpoint has its own window.
        let other = Instant::now();
        drop(pacer.acquire("department/list").await.expect("slot"));
        assert!(other.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn no_minute_long_interval_ever_holds_more_than_the_pace() {
        let pacer = Pacer::new(16, 600, 0);
        let start = Instant::now();
        let mut times = Vec::new();
        while start.elapsed() < Duration::from_secs(300) {
            drop(pacer.acquire("user/get").await.expect("slot"));
            times.push(start.elapsed());
            // Uneven spacing, so calls land at every offset within the slots.
            tokio::time::advance(Duration::from_millis(fastrand::u64(0..150))).await;
        }
        let minute = Duration::from_secs(60);
        let mut first = 0;
        for (last, t) in times.iter().enumerate() {
            while *t - times[first] >= minute {
                first += 1;
            }
            assert!(last - first < 600, "{} calls within a minute ending at {t:?}", last - first + 1);
        }
        // ...and the pace is used: about 600 a minute over five minutes.
        assert!(times.len() >= 2_400, "{}", times.len());
    }

    #[tokio::test(start_paused = true)]
    async fn the_hour_window_holds_across_minutes() {
        let pacer = Pacer::new(16, 0, 1_000);
        let start = Instant::now();
        for _ in 0..1_000 {
            drop(pacer.acquire("user/get").await.expect("slot"));
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        drop(pacer.acquire("user/get").await.expect("slot"));
        assert!(start.elapsed() >= Duration::from_secs(3600), "{:?}", start.elapsed());
    }

    fn fast_policy() -> RetryPolicy {
        RetryPolicy {
            rate_limit_base_delay: Duration::from_secs(2),
            rate_limit_max_delay: Duration::from_secs(60),
            rate_limit_budget: Duration::from_secs(180),
            ..RetryPolicy::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_pauses_the_endpoint_for_everyone_and_once_per_block() {
        let pacer = Pacer::new(4, 0, 0);
        let policy = fast_policy();
        pacer.rate_limited("user/get", &policy).expect("within budget");
        // The other in-flight calls of the same block change nothing.
        pacer.rate_limited("user/get", &policy).expect("same block");
        let start = Instant::now();
        drop(pacer.acquire("tag/list").await.expect("other endpoints go on"));
        assert!(start.elapsed() < Duration::from_millis(1));
        drop(pacer.acquire("user/get").await.expect("after the pause"));
        let paused = start.elapsed();
        // One strike: 2 s with jitter, never shorter than the base.
        assert!(paused >= Duration::from_secs(2) && paused <= Duration::from_millis(2_600), "{paused:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn calls_queued_for_a_slot_do_not_go_out_during_a_pause() {
        let pacer = Arc::new(Pacer::new(1, 8_000, 0));
        let first = pacer.acquire("user/list").await.expect("slot");
        let queued = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                let _slot = pacer.acquire("user/list").await.expect("slot");
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        // The first call comes back refused while the second waits for the only slot.
        let refused_at = Instant::now();
        pacer.rate_limited("user/list", &fast_policy()).expect("within budget");
        drop(first);
        let went_at = queued.await.expect("task");
        assert!(went_at - refused_at >= Duration::from_secs(2), "{:?}", went_at - refused_at);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_refusal_one_probe_goes_at_a_time_until_a_success() {
        let pacer = Arc::new(Pacer::new(16, 0, 0));
        let policy = fast_policy();
        pacer.rate_limited("user/list", &policy).expect("within budget");
        tokio::time::advance(Duration::from_secs(3)).await;
        let probe = pacer.acquire("user/list").await.expect("the probe");
        let waiting = {
            let pacer = pacer.clone();
            tokio::spawn(async move { drop(pacer.acquire("user/list").await.expect("after the probe")) })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiting.is_finished(), "a second call waits for the probe's outcome");
        assert_eq!(pacer.in_flight(), 1);
        pacer.endpoint_ok("user/list");
        drop(probe);
        tokio::time::timeout(Duration::from_millis(10), waiting).await.expect("released by the success").expect("task");
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_that_outlasts_the_budget_gives_up_and_fails_fast() {
        let pacer = Pacer::new(16, 0, 0);
        let policy = fast_policy();
        let start = Instant::now();
        let mut strikes = 0;
        loop {
            let probe = pacer.acquire("user/list").await.expect("probing while within budget");
            let outcome = pacer.rate_limited("user/list", &policy);
            drop(probe);
            if outcome.is_err() {
                break;
            }
            strikes += 1;
        }
        // 2, 4, 8, 16, 32, 60, 60 s (±25 % jitter, never below 2 s nor above 60 s): the budget of
        // 180 s holds six or seven of them.
        assert!((6..=7).contains(&strikes), "{strikes}");
        assert!(start.elapsed() < Duration::from_secs(180), "{:?}", start.elapsed());
        let failed_at = Instant::now();
        assert_eq!(pacer.acquire("user/list").await.err(), Some(GaveUp), "no more calls while given up");
        assert!(failed_at.elapsed() < Duration::from_millis(1));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(pacer.acquire("user/list").await.is_ok(), "tries again after rate_limit_max_delay");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_block_the_minute_pace_keeps_below_what_got_through_then_creeps_back() {
        let pacer = Pacer::new(16, 8_000, 0);
        let policy = fast_policy();
        for _ in 0..600 {
            drop(pacer.acquire("user/list").await.expect("slot"));
        }
        pacer.rate_limited("user/list", &policy).expect("within budget");
        pacer.endpoint_ok("user/list");
        // 90 % of the 600 that got through, per minute.
        tokio::time::advance(Duration::from_secs(62)).await;
        let start = Instant::now();
        for _ in 0..540 {
            drop(pacer.acquire("user/list").await.expect("slot"));
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        drop(pacer.acquire("user/list").await.expect("slot"));
        assert!(start.elapsed() >= Duration::from_secs(59), "the 541st waits: {:?}", start.elapsed());
        // Ten quiet minutes later the pace has grown again.
        tokio::time::advance(Duration::from_secs(600)).await;
        let start = Instant::now();
        for _ in 0..594 {
            drop(pacer.acquire("user/list").await.expect("slot"));
        }
        assert!(start.elapsed() < Duration::from_millis(1), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn concurrency_is_bounded_and_halves_on_45033() {
        let pacer = Pacer::new(4, 0, 0);
        let slots: Vec<Slot> = futures_collect(&pacer, 4).await;
        assert_eq!(pacer.in_flight(), 4);
        assert_eq!(pacer.in_flight_peak(), 4);
        // A fifth caller must wait.
        let fifth = tokio::time::timeout(Duration::from_millis(20), pacer.acquire("x")).await;
        assert!(fifth.is_err());

        pacer.reduce_concurrency();
        assert_eq!(pacer.concurrency_limit(), 2);
        drop(slots);
        assert_eq!(pacer.in_flight(), 0);
        // Only two slots are left.
        let two: Vec<Slot> = futures_collect(&pacer, 2).await;
        let third = tokio::time::timeout(Duration::from_millis(20), pacer.acquire("x")).await;
        assert!(third.is_err());
        drop(two);

        for _ in 0..RECOVER_AFTER_SUCCESSES {
            pacer.record_success();
        }
        assert_eq!(pacer.concurrency_limit(), 3);
        let three: Vec<Slot> = futures_collect(&pacer, 3).await;
        assert_eq!(three.len(), 3);
        assert_eq!(pacer.in_flight_peak(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn an_adaptive_bound_grows_on_flat_answers_and_halves_on_a_refusal() {
        let pacer = Arc::new(Pacer::adaptive(4, 16, 0, 0));
        assert_eq!(pacer.concurrency_limit(), 4);
        // Rounds of answers 20 ms after their slot, with every slot in use.
        // 4, 8, 16: doubled per round (slow start), then held at the ceiling.
        for _ in 0..3 {
            let slots = futures_collect(&pacer, pacer.concurrency_limit()).await;
            tokio::time::advance(Duration::from_millis(20)).await;
            for slot in &slots {
                slot.succeeded();
            }
        }
        assert_eq!(pacer.concurrency_limit(), 16, "grew to the ceiling");
        let all = futures_collect(&pacer, 16).await;
        assert!(tokio::time::timeout(Duration::from_millis(5), pacer.acquire("x")).await.is_err(), "never past it");
        pacer.rate_limited("x", &fast_policy()).expect("within budget");
        assert_eq!(pacer.concurrency_limit(), 8, "a 45009 halves it");
        pacer.overloaded();
        assert_eq!(pacer.concurrency_limit(), 8, "the same overload counts once");
        drop(all);
        assert_eq!(pacer.in_flight(), 0);
        // The held permits above the new bound were retired: 8 go, the ninth waits (on another
        // endpoint: "x" is paused and probed one call at a time after its 45009).
        let mut eight = Vec::new();
        for _ in 0..8 {
            eight.push(pacer.acquire("y").await.expect("slot"));
        }
        assert!(tokio::time::timeout(Duration::from_millis(5), pacer.acquire("y")).await.is_err());
        drop(eight);
    }

    #[tokio::test(start_paused = true)]
    async fn an_adaptive_bound_at_its_ceiling_still_keeps_to_the_minute_window() {
        let pacer = Arc::new(Pacer::adaptive(64, 64, 600, 0));
        let start = Instant::now();
        let mut times = Vec::new();
        while start.elapsed() < Duration::from_secs(180) {
            let slots = futures_collect(&pacer, 8).await;
            tokio::time::advance(Duration::from_millis(20)).await;
            for slot in slots {
                slot.succeeded();
                times.push(start.elapsed());
            }
        }
        let minute = Duration::from_secs(60);
        let mut first = 0;
        for (last, t) in times.iter().enumerate() {
            while *t - times[first] > minute + Duration::from_millis(20) {
                first += 1;
            }
            assert!(last - first < 600 + 8, "{} calls within a minute ending at {t:?}", last - first + 1);
        }
        assert!(times.len() <= 600 * 4, "{}", times.len());
    }

    #[tokio::test]
    async fn a_fixed_bound_ignores_overload_signals_other_than_45033() {
        let pacer = Pacer::new(8, 0, 0);
        pacer.overloaded();
        assert_eq!(pacer.concurrency_limit(), 8);
        let slot = pacer.acquire("x").await.expect("slot");
        slot.succeeded();
        assert_eq!(pacer.concurrency_limit(), 8);
    }

    async fn futures_collect(pacer: &Pacer, n: usize) -> Vec<Slot> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(pacer.acquire("x").await.expect("slot"));
        }
        v
    }
}
