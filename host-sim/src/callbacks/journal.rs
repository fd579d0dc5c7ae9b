//! What the host did with each change after answering WeCom, kept in memory for the operator's
//! view, the demo and the tests (which wait on it instead of sleeping).

use super::decide::Verdict;
use crate::store::Applied;
use interface::Text;
use serde::Serialize;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What became of one change (or one reconcile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// WeCom's `ChangeType` (`delete_user`, …), or `reconcile`.
    pub what: String,
    /// The member or department concerned, when there is one.
    pub subject: String,
    /// The decision.
    pub verdict: Verdict,
    /// Why.
    pub reason: Text,
    /// What the store wrote (none when nothing was applied).
    pub applied: Option<Applied>,
    /// Accounts whose binding was removed: their sessions are signed out.
    pub unbound_accounts: Vec<String>,
    /// Why applying failed, when it did (nothing was written then).
    pub error: Option<String>,
}

/// The outcomes so far, in order.
#[derive(Default)]
pub struct Journal {
    entries: Mutex<Vec<Outcome>>,
    added: Condvar,
}

impl Journal {
    /// Records an outcome and wakes waiters.
    pub fn record(&self, outcome: Outcome) {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).push(outcome);
        self.added.notify_all();
    }

    /// Every outcome so far.
    pub fn entries(&self) -> Vec<Outcome> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Waits until at least `count` outcomes are recorded or `timeout` passes; the outcomes then.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Outcome> {
        let deadline = Instant::now() + timeout;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        while entries.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            entries = self.added.wait_timeout(entries, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        entries.clone()
    }
}
