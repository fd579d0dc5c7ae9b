//! What the host did with each change after answering WeCom, kept in memory (the most recent
//! [`CAPACITY`]) for the operator's view, the demo and the tests. (The durable record of the
//! changes themselves, written before WeCom is answered, is the store's `callback_journal`; see
//! [`super::follow`].)

use super::Verdict;
use crate::store::Applied;
use interface::Text;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

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

/// Outcomes kept; older ones are dropped, so a long-running platform does not grow without bound.
pub const CAPACITY: usize = 10_000;

/// The outcomes so far, in order.
#[derive(Default)]
pub struct Journal {
    entries: Mutex<VecDeque<(Instant, Outcome)>>,
}

impl Journal {
    /// Records an outcome, also as a log line (outcomes carry ids and reasons, never secrets).
    pub fn record(&self, outcome: Outcome) {
        // Names in the reason come from WeCom: escaped, so a log read on a terminal stays intact.
        let line = format!("{} {}: {:?} {}", outcome.what, outcome.subject, outcome.verdict, outcome.reason.en);
        tracing::info!(target: "callback", "{}", crate::term::printable(&line));
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.pop_front();
        }
        entries.push_back((Instant::now(), outcome));
    }

    /// Every outcome so far.
    pub fn entries(&self) -> Vec<Outcome> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|(_, o)| o.clone()).collect()
    }

    /// Every outcome so far, with when it was recorded (for the benchmark's arrival-to-applied).
    pub fn entries_timed(&self) -> Vec<(Instant, Outcome)> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}
