//! The follower's batches: every change ready in the queue (at most [`MAX_BATCH`]) is completed
//! at once (`complete_change` may call `user/get`; up to [`COMPLETE_THREADS`] at a time, so a
//! burst of id-only events does not queue one round trip behind another), then planned with one
//! `plan_change` and applied in one transaction. A change whose member WeCom does not show yet
//! (the plugin marks it [`interface::Unresolved`] with `retry`) is completed again later
//! ([`retry_delay`]), at most [`RETRY_ATTEMPTS`] times, instead of being planned into a full read.

use interface::{DirectoryChange, PluginBox};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The most changes planned together: one `plan_change` reads the whole store once, so a burst
/// costs a few plans instead of one per event, and a plan stays small enough to be quick.
pub const MAX_BATCH: usize = 500;
/// `complete_change` calls in flight at once for a batch.
pub const COMPLETE_THREADS: usize = 16;
/// Times a change whose member WeCom does not show yet is completed, the first included, before
/// it is left in the journal for the timed reconcile.
pub const RETRY_ATTEMPTS: u32 = 6;
/// The wait before the second completion; it doubles each time (1, 2, 4, 8, 16 s: about 31 s in all).
pub const RETRY_FIRST: Duration = Duration::from_secs(1);

/// How long to wait before completing a change again after `tries` completions, the first wait
/// being `first` ([`RETRY_FIRST`] unless a test shortens it).
pub fn retry_delay(first: Duration, tries: u32) -> Duration {
    first * 2u32.saturating_pow(tries.saturating_sub(1).min(10))
}

/// `complete_change` of each change, in the same order, up to [`COMPLETE_THREADS`] at once. A
/// failed completion keeps the change as sent (a delete needs nothing more; what is missing makes
/// the plugin ask for a read).
pub fn complete_all(plugin: &PluginBox, changes: &[&DirectoryChange]) -> Vec<DirectoryChange> {
    let results: Mutex<Vec<Option<DirectoryChange>>> = Mutex::new(vec![None; changes.len()]);
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(change) = changes.get(i) else { break };
        let completed = complete_one(plugin, change);
        if let Ok(mut results) = results.lock() {
            results[i] = Some(completed);
        }
    };
    // Only what needs a read is worth a thread: a batch of deletes is completed in place.
    let threads = COMPLETE_THREADS.min(changes.len());
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
    let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    results.into_iter().zip(changes).map(|(done, sent)| done.unwrap_or_else(|| (*sent).clone())).collect()
}

fn complete_one(plugin: &PluginBox, change: &DirectoryChange) -> DirectoryChange {
    match plugin.complete_change(change).into_result() {
        Ok(completed) => completed,
        Err(error) => {
            tracing::warn!(target: "callback", "complete_change failed, planning with the event as sent: {error}");
            change.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_by_doubling_and_stay_bounded() {
        let waits: Vec<u64> = (1..RETRY_ATTEMPTS).map(|t| retry_delay(RETRY_FIRST, t).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16]);
        assert!(retry_delay(RETRY_FIRST, u32::MAX) <= Duration::from_secs(1024));
    }
}
