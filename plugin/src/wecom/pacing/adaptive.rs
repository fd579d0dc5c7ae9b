//! The adaptive bound on requests in flight (issue 17): more requests at once while WeCom answers
//! as fast as when it was idle, fewer as soon as it refuses or slows down.
//!
//! Pure: fed latency samples and refusals with the time they happened, so the tests drive it with
//! made-up instants instead of sleeping. The [`super::Pacer`] turns its limit into semaphore
//! permits; the per-minute and per-hour windows are checked per call on top of it, so no limit
//! this controller reaches can take a read past WeCom's quotas.
//!
//! How it decides, once per *round* (as many answers as the limit, about one latency period):
//! - a round's latency is its *median* answer: a busy host's scheduler delays a few answers by
//!   several times the network latency, and one of those must not read as queueing;
//! - the *floor* is the lowest round latency of the last [`FLOOR_ROUNDS`] rounds: what an answer
//!   costs without queueing (a window, so a lasting change of network path is followed);
//! - the round's latency within [`FLAT`] × floor and the limit actually used (demand reached it):
//!   grow. First by doubling (as TCP's slow start: a read of a few seconds cannot afford seven
//!   rounds of +25 % to reach the ceiling), until the first round that is not flat or the first
//!   back-off; then by a quarter; after a refusal by one only;
//! - round latency above [`QUEUEING`] × floor: WeCom (or the path) queues, shrink by a quarter;
//! - a refusal (45009, -1, 45033, a timeout): halve at once, at most once per round (the other
//!   answers of the same overload arrive in the same round), and grow by one per round after.
//!
//! The latency it is fed is the server's part of a call (request out, answer in, envelope read),
//! not the decoding of the answer's payload: that is this process's CPU, and judging it would
//! shrink the bound when the host is busy although WeCom is not (see `Client::call`).

use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Latency ratio to the floor still counted as flat.
pub const FLAT: f64 = 1.3;
/// Latency ratio to the floor that means requests queue.
pub const QUEUEING: f64 = 2.0;
/// Rounds the floor is the minimum of.
pub const FLOOR_ROUNDS: usize = 50;

/// What one call to [`Controller::sample`] or [`Controller::refused`] did to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Unchanged.
    Kept,
    /// Raised to this.
    Grew(usize),
    /// Lowered to this.
    Shrank(usize),
}

/// The controller's state.
#[derive(Debug)]
pub struct Controller {
    limit: usize,
    min: usize,
    max: usize,
    /// Median latency of each of the last rounds, newest last.
    round_medians: VecDeque<Duration>,
    /// How a flat round grows the limit; only ever moves toward [`Growth::One`].
    growth: Growth,
    round: Round,
}

/// How much a flat round (with the limit used) adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Growth {
    /// Slow start: double, until a round is not flat or the limit backs off.
    Double,
    /// A quarter more (at least one): still no refusal, but latency has moved once.
    Quarter,
    /// One more: WeCom refused, so it is near its limit and growth probes carefully.
    One,
}

impl Growth {
    fn step(self, limit: usize) -> usize {
        match self {
            Growth::Double => limit.max(1),
            Growth::Quarter => (limit / 4).max(1),
            Growth::One => 1,
        }
    }

    /// The round was not flat, or the limit shrank: no more doubling.
    fn calmed(self) -> Growth {
        match self {
            Growth::Double => Growth::Quarter,
            other => other,
        }
    }
}

#[derive(Debug, Default)]
struct Round {
    latencies: Vec<Duration>,
    /// Most requests in flight when an answer of this round arrived.
    busiest: usize,
    /// This round already halved the limit.
    refused: bool,
    started: Option<Instant>,
}

impl Controller {
    /// Starts at `initial`, never below `min` nor above `max` (all at least 1).
    pub fn new(initial: usize, min: usize, max: usize) -> Controller {
        let max = max.max(1);
        let min = min.clamp(1, max);
        Controller {
            limit: initial.clamp(min, max),
            min,
            max,
            round_medians: VecDeque::new(),
            growth: Growth::Double,
            round: Round::default(),
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The ceiling.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The floor latency, once a round has ended.
    pub fn floor(&self) -> Option<Duration> {
        self.round_medians.iter().min().copied()
    }

    /// A call was answered after `latency`, with `in_flight` requests out (itself included).
    pub fn sample(&mut self, latency: Duration, in_flight: usize, now: Instant) -> Change {
        let r = &mut self.round;
        r.started.get_or_insert(now);
        r.latencies.push(latency);
        r.busiest = r.busiest.max(in_flight);
        if r.latencies.len() < self.limit {
            return Change::Kept;
        }
        self.end_round()
    }

    /// WeCom refused or did not answer in time: halve, once per round.
    pub fn refused(&mut self, now: Instant) -> Change {
        self.growth = Growth::One;
        if self.round.refused {
            return Change::Kept;
        }
        // The refusal opens a fresh round, so the answers of the same overload count once.
        self.round = Round { refused: true, started: Some(now), ..Round::default() };
        self.set((self.limit / 2).max(self.min))
    }

    fn end_round(&mut self) -> Change {
        let mut round = std::mem::take(&mut self.round);
        if round.latencies.is_empty() {
            return Change::Kept;
        }
        let middle = round.latencies.len() / 2;
        let median = *round.latencies.select_nth_unstable(middle).1;
        self.round_medians.push_back(median);
        while self.round_medians.len() > FLOOR_ROUNDS {
            self.round_medians.pop_front();
        }
        let floor = self.floor().unwrap_or(median).as_secs_f64().max(1e-6);
        let ratio = median.as_secs_f64() / floor;
        if round.refused {
            // The round a refusal opened only tells that the lower limit held.
            return Change::Kept;
        }
        if ratio > FLAT {
            // Latency moved: whatever comes next, doubling again could overshoot by a whole limit.
            self.growth = self.growth.calmed();
        }
        if ratio > QUEUEING {
            return self.set(self.limit.saturating_sub((self.limit / 4).max(1)).max(self.min));
        }
        // Grow only when the limit was what held the requests back.
        if ratio <= FLAT && round.busiest >= self.limit {
            let step = self.growth.step(self.limit);
            return self.set(self.limit.saturating_add(step).min(self.max));
        }
        Change::Kept
    }

    fn set(&mut self, limit: usize) -> Change {
        let limit = limit.clamp(self.min, self.max);
        let before = self.limit;
        self.limit = limit;
        match limit.cmp(&before) {
            std::cmp::Ordering::Greater => Change::Grew(limit),
            std::cmp::Ordering::Less => Change::Shrank(limit),
            std::cmp::Ordering::Equal => Change::Kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A fake clock: `at(n)` is n milliseconds after a fixed start.
    struct Clock(Instant);

    impl Clock {
        fn new() -> Clock {
            Clock(Instant::now())
        }
        fn at(&self, ms: u64) -> Instant {
            self.0 + MS * u32::try_from(ms).expect("small")
        }
    }

    /// Feeds one full round of answers of `latency` with the limit fully used.
    fn round(c: &mut Controller, latency: Duration, clock: &Clock, t: &mut u64) -> Change {
        let mut last = Change::Kept;
        for _ in 0..c.limit() {
            *t += 1;
            last = c.sample(latency, c.limit(), clock.at(*t));
        }
        last
    }

    #[test]
    fn doubles_while_latency_stays_flat_up_to_the_ceiling() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(16, 1, 100);
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(32), "slow start: doubled");
        let mut limits = vec![c.limit()];
        for _ in 0..4 {
            round(&mut c, 21 * MS, &clock, &mut t);
            limits.push(c.limit());
        }
        assert_eq!(limits, [32, 64, 100, 100, 100], "clamped to the ceiling, never past it");
        assert_eq!(c.floor(), Some(20 * MS));
    }

    #[test]
    fn after_a_round_that_is_not_flat_growth_is_a_quarter_again() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(16, 1, 100);
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(32));
        assert_eq!(round(&mut c, 30 * MS, &clock, &mut t), Change::Kept, "1.5 x the floor: not flat");
        let mut limits = Vec::new();
        for _ in 0..4 {
            round(&mut c, 20 * MS, &clock, &mut t);
            limits.push(c.limit());
        }
        assert_eq!(limits, [40, 50, 62, 77], "a quarter per flat round, no more doubling");
    }

    #[test]
    fn after_a_shrink_for_queueing_growth_is_a_quarter_again() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(16, 1, 100);
        round(&mut c, 20 * MS, &clock, &mut t);
        assert_eq!(round(&mut c, 50 * MS, &clock, &mut t), Change::Shrank(24), "queueing: a quarter less");
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(30));
    }

    #[test]
    fn does_not_grow_when_the_limit_is_not_what_holds_requests_back() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(16, 1, 64);
        for _ in 0..5 {
            for _ in 0..16 {
                t += 1;
                // Only 3 requests were ever out at once: more permits would change nothing.
                c.sample(20 * MS, 3, clock.at(t));
            }
        }
        assert_eq!(c.limit(), 16);
    }

    #[test]
    fn holds_when_latency_rises_a_little_and_shrinks_when_requests_queue() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(32, 1, 64);
        round(&mut c, 20 * MS, &clock, &mut t);
        assert_eq!(c.limit(), 64);
        assert_eq!(round(&mut c, 30 * MS, &clock, &mut t), Change::Kept, "1.5 x the floor: neither flat nor queueing");
        assert_eq!(round(&mut c, 45 * MS, &clock, &mut t), Change::Shrank(48), "2.25 x the floor: a quarter less");
        assert_eq!(round(&mut c, 45 * MS, &clock, &mut t), Change::Shrank(36));
    }

    #[test]
    fn a_few_slow_answers_from_a_busy_host_do_not_read_as_queueing() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(16, 1, 64);
        round(&mut c, 20 * MS, &clock, &mut t);
        assert_eq!(c.limit(), 32);
        // 8 of 32 answers delayed tenfold (the scheduler, not WeCom): the median is still flat.
        for i in 0..32u64 {
            t += 1;
            let latency = if i % 4 == 0 { 200 * MS } else { 21 * MS };
            c.sample(latency, 32, clock.at(t));
        }
        assert_eq!(c.limit(), 64, "grew on the median");
        // Most answers slow: that is queueing.
        for i in 0..64u64 {
            t += 1;
            let latency = if i % 4 == 0 { 21 * MS } else { 60 * MS };
            c.sample(latency, 64, clock.at(t));
        }
        assert_eq!(c.limit(), 48);
    }

    #[test]
    fn a_refusal_halves_once_per_round_and_growth_is_then_one_at_a_time() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(40, 1, 64);
        assert_eq!(c.refused(clock.at(1)), Change::Shrank(20));
        // The rest of the same overload's answers (45009 from every request out) change nothing.
        for ms in 2..30 {
            assert_eq!(c.refused(clock.at(ms)), Change::Kept);
        }
        t += 30;
        // The round the refusal opened ends without a change, then growth is additive.
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Kept);
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(21));
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(22));
        // A refusal in a later round halves again.
        assert_eq!(c.refused(clock.at(t + 1)), Change::Shrank(11));
    }

    #[test]
    fn the_plugins_start_is_one_doubling_of_the_old_fixed_bound_and_a_first_refusal_returns_to_it() {
        use super::super::{ADAPTIVE_INITIAL_IN_FLIGHT, ADAPTIVE_MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT};
        // wecom-api.md §9: the old per-corp figure is 300 at once; the start stays a ninth of it.
        const OLD_PER_CORP: usize = 300;
        const { assert!(ADAPTIVE_INITIAL_IN_FLIGHT * 9 <= OLD_PER_CORP) };
        const { assert!(ADAPTIVE_MAX_IN_FLIGHT * 4 <= OLD_PER_CORP) };
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(ADAPTIVE_INITIAL_IN_FLIGHT, 1, ADAPTIVE_MAX_IN_FLIGHT);
        // 45033 (or 45009, -1, a timeout) in the very first round: back to the old fixed bound.
        assert_eq!(c.refused(clock.at(1)), Change::Shrank(DEFAULT_MAX_IN_FLIGHT));
        t += 1;
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Kept, "the round the refusal opened");
        assert_eq!(c.refused(clock.at(t + 1)), Change::Shrank(DEFAULT_MAX_IN_FLIGHT / 2), "and halves again");
        // Unrefused and flat, the first round reaches the ceiling.
        let mut c = Controller::new(ADAPTIVE_INITIAL_IN_FLIGHT, 1, ADAPTIVE_MAX_IN_FLIGHT);
        assert_eq!(round(&mut c, 20 * MS, &clock, &mut t), Change::Grew(ADAPTIVE_MAX_IN_FLIGHT));
    }

    #[test]
    fn never_leaves_its_bounds() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(100, 2, 8);
        assert_eq!(c.limit(), 8, "the start is clamped to the ceiling");
        for _ in 0..10 {
            c.refused(clock.at(t));
            t += 1;
            round(&mut c, 20 * MS, &clock, &mut t);
        }
        assert_eq!(c.limit(), 2, "never below the minimum");
        let mut c = Controller::new(0, 0, 0);
        assert_eq!((c.limit(), c.max()), (1, 1), "at least one request");
        assert_eq!(c.refused(clock.at(0)), Change::Kept);
    }

    #[test]
    fn the_floor_follows_a_lasting_change_of_path_after_a_window_of_rounds() {
        let (clock, mut t) = (Clock::new(), 0);
        let mut c = Controller::new(4, 1, 4);
        round(&mut c, 5 * MS, &clock, &mut t);
        // The path now costs 40 ms: queueing at first sight, so the limit goes down...
        assert_eq!(round(&mut c, 40 * MS, &clock, &mut t), Change::Shrank(3));
        for _ in 0..FLOOR_ROUNDS {
            round(&mut c, 40 * MS, &clock, &mut t);
        }
        // ...but once the 5 ms round has left the window, 40 ms is the floor and growth resumes.
        assert_eq!(c.floor(), Some(40 * MS));
        let before = c.limit();
        round(&mut c, 40 * MS, &clock, &mut t);
        round(&mut c, 40 * MS, &clock, &mut t);
        assert!(c.limit() > before, "{} after {before}", c.limit());
    }
}
