//! The host following WeCom after a callback was answered: complete the change through the
//! plugin (it may read WeCom), let the plugin decide what it does (`plan_change`, pure, given the
//! store as read, the synced scope and the policy), and apply its change set in one transaction,
//! signing out the accounts it unbinds. Every outcome goes to the [`Journal`]. Changes queue for
//! one worker thread, so they are applied in the order WeCom sent them.
//!
//! Nothing answered to WeCom is lost: [`Follower::accept`] writes the change to the store's
//! `callback_journal` before the platform answers 200 (a store that stays locked past
//! [`JOURNAL_WAIT`] gets WeCom a 503, and WeCom delivers again), and the change is marked
//! applied in the transaction that applies it. A busy store (another process holding the write
//! lock) only delays: the worker waits with backoff and tries again, without holding the store
//! while it waits. Any other failure is logged as an error with the member and the reason and
//! left in the journal; [`Follower::resume`] (at start and before each timed reconcile) queues
//! whatever the journal still holds. The journal's dedup keys are the replay guard that
//! survives restarts.
//!
//! A change the plugin cannot settle from the event alone (`plan.needs_full_read`) is followed
//! by a reconcile. Reconciles coalesce: one runs at a time, and requests made meanwhile make it
//! run once more.

use super::journal::{Journal, Outcome};
use super::reconcile;
use super::{is_empty, plan_reason, Policy, Verdict};
use crate::store::{Actor, Audit, Journaled, Store, StoreError};
use interface::{ChangeKind, DirectoryChange, PlanInput, PluginBox, RemovalGuard, ScopeSelection, Text};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long writing a callback to the journal may wait for a locked store before the platform
/// answers 503 instead (WeCom gives up on an answer after 5 s and delivers again).
pub const JOURNAL_WAIT: Duration = Duration::from_secs(4);
/// How long one attempt to apply waits for a locked store before backing off (the store is not
/// held while backing off, so the callback URL can keep journaling).
pub const APPLY_WAIT: Duration = Duration::from_millis(500);
/// Backoff between attempts: doubling from the first to the last.
pub const BACKOFF: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(5));
/// Attempts on a failure other than a busy store, before it is left in the journal for the
/// next [`Follower::resume`].
pub const MAX_ATTEMPTS: u32 = 3;
/// How long a busy store is waited for, in all, before the change is left in the journal for
/// the next [`Follower::resume`].
pub const MAX_BUSY_WAIT: Duration = Duration::from_secs(600);

/// A change to follow: its journal sequence number (none when not journaled).
type Queued = (Option<i64>, DirectoryChange);

/// Called with each account whose binding was removed (the platform signs its sessions out).
pub type OnUnbound = Box<dyn Fn(&str) + Send + Sync>;

/// What following needs: the plugin instance, the store, the synced scope and the policy.
pub struct Follower {
    /// The configured plugin instance.
    pub plugin: Arc<PluginBox>,
    /// The host's store.
    pub store: Arc<Mutex<Store>>,
    /// The synced scope when the store holds none (the store's, once a sync was committed, wins,
    /// unless `scope_given`).
    pub scope: ScopeSelection,
    /// `scope` was given for this run (`host-sim reconcile --scope-*`) and wins over the store's.
    pub scope_given: bool,
    /// The host's policy.
    pub policy: Policy,
    /// The mass-removal safeguard passed to `plan_change`.
    pub removal_guard: RemovalGuard,
    /// What was done, in order.
    pub journal: Journal,
    on_unbound: Option<OnUnbound>,
    /// Held while a reconcile runs.
    reconciling: Mutex<()>,
    /// A reconcile was asked for and has not started yet.
    reconcile_requested: AtomicBool,
    /// Changes waiting for the worker, in arrival order (started on first use).
    queue: Mutex<Option<mpsc::Sender<Queued>>>,
    /// Journal entries queued and not yet followed (so [`Follower::resume`] does not queue twice).
    queued: Mutex<HashSet<i64>>,
    /// Changes accepted and not yet followed, for [`Follower::wait_idle`].
    in_flight: Mutex<usize>,
    idle: Condvar,
}

impl Follower {
    /// A follower with an empty journal.
    pub fn new(plugin: Arc<PluginBox>, store: Arc<Mutex<Store>>, scope: ScopeSelection, policy: Policy) -> Follower {
        Follower {
            plugin,
            store,
            scope,
            scope_given: false,
            policy,
            removal_guard: RemovalGuard::default(),
            journal: Journal::default(),
            on_unbound: None,
            reconciling: Mutex::new(()),
            reconcile_requested: AtomicBool::new(false),
            queue: Mutex::new(None),
            queued: Mutex::new(HashSet::new()),
            in_flight: Mutex::new(0),
            idle: Condvar::new(),
        }
    }

    /// Calls `f` with every account whose binding is removed, before the outcome is recorded.
    pub fn on_unbound(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Follower {
        self.on_unbound = Some(Box::new(f));
        self
    }

    /// Writes `change` to the store's journal and queues it to be followed. Ok once it is
    /// journaled (or was already: a repeat of an event, by its dedup key, is not queued again);
    /// the platform answers WeCom 200 only then. Blocking (waits up to [`JOURNAL_WAIT`] for a
    /// locked store).
    pub fn accept(self: &Arc<Self>, change: DirectoryChange) -> Result<Journaled, StoreError> {
        let journaled = {
            let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
            store.set_busy_timeout(JOURNAL_WAIT)?;
            let journaled = store.journal_callback(&change, now_unix());
            let _ = store.set_busy_timeout(crate::store::DEFAULT_BUSY_WAIT);
            journaled?
        };
        match journaled {
            Journaled::New(seq) => self.enqueue(Some(seq), change),
            Journaled::Duplicate => {
                tracing::info!(target: "callback", "{} {}: already received, not applied again", change.change_type, subject(&change));
            }
        }
        Ok(journaled)
    }

    /// Queues `change` without journaling it (it is lost if the process stops first); the
    /// platform uses [`Follower::accept`].
    pub fn spawn_follow(self: &Arc<Self>, change: DirectoryChange) {
        self.enqueue(None, change);
    }

    /// Queues what the journal still holds (changes that failed, or were received before a
    /// restart), in arrival order; how many were queued.
    pub fn resume(self: &Arc<Self>) -> Result<usize, StoreError> {
        let pending = self.store.lock().unwrap_or_else(PoisonError::into_inner).journal_pending()?;
        let mut queued = 0;
        for entry in pending {
            // Checked and marked in one step: two resumes at once cannot queue an entry twice.
            if !self.queued.lock().unwrap_or_else(PoisonError::into_inner).insert(entry.seq) {
                continue;
            }
            self.enqueue(Some(entry.seq), entry.change);
            queued += 1;
        }
        Ok(queued)
    }

    /// Queues a change for the worker. One worker, so changes are applied in the order WeCom
    /// sent them: a member's create and delete arriving together must not swap. Counted as in
    /// flight from now, so [`Follower::wait_idle`] waits for it even before it starts.
    fn enqueue(self: &Arc<Self>, seq: Option<i64>, change: DirectoryChange) {
        *self.in_flight.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        if let Some(seq) = seq {
            self.queued.lock().unwrap_or_else(PoisonError::into_inner).insert(seq);
        }
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.is_none() {
            *queue = self.start_worker();
        }
        let sent = queue.as_ref().map(|q| q.send((seq, change)));
        if !matches!(sent, Some(Ok(()))) {
            *queue = None;
            tracing::error!(target: "callback", "the follower's worker is gone; the change stays in the journal for the next start");
            if let Some(seq) = seq {
                self.queued.lock().unwrap_or_else(PoisonError::into_inner).remove(&seq);
            }
            self.done_one();
        }
    }

    /// The worker: follows queued changes one by one until the follower is dropped.
    fn start_worker(self: &Arc<Self>) -> Option<mpsc::Sender<Queued>> {
        let (sender, changes) = mpsc::channel::<Queued>();
        // Weak: the worker must not keep the follower (and its queue) alive forever.
        let follower = Arc::downgrade(self);
        let started = std::thread::Builder::new().name("callback-follower".into()).spawn(move || {
            for (seq, change) in changes {
                let Some(follower) = follower.upgrade() else { break };
                follower.follow_entry(seq, &change);
                if let Some(seq) = seq {
                    follower.queued.lock().unwrap_or_else(PoisonError::into_inner).remove(&seq);
                }
                follower.done_one();
            }
        });
        started.ok().map(|_| sender)
    }

    fn done_one(&self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        *in_flight = in_flight.saturating_sub(1);
        self.idle.notify_all();
    }

    /// Waits until every spawned change is followed (reconciles included); false on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        while *in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            in_flight = self.idle.wait_timeout(in_flight, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }

    /// Completes one change, has the plugin plan it and applies the plan; then runs the
    /// reconcile when the plugin asks for a full read. Blocking. Not journaled: the platform's
    /// changes go through [`Follower::accept`].
    pub fn follow(&self, change: &DirectoryChange) -> Vec<Outcome> {
        self.follow_entry(None, change)
    }

    /// As [`Follower::follow`], for journal entry `seq`: retried with backoff while the store is
    /// busy, up to [`MAX_ATTEMPTS`] on other failures, and left in the journal when it cannot be
    /// applied (logged as an error with the member and the reason).
    fn follow_entry(&self, seq: Option<i64>, change: &DirectoryChange) -> Vec<Outcome> {
        let completed = match self.plugin.complete_change(change).into_result() {
            Ok(completed) => completed,
            Err(error) => {
                // The event itself is still worth planning (a delete needs nothing more); what is
                // missing makes the plugin ask for the reconcile.
                tracing::warn!("complete_change failed, planning with the event as sent: {error}");
                change.clone()
            }
        };
        let started = Instant::now();
        let mut delay = BACKOFF.0;
        let mut failures = 0u32;
        let (outcome, needs_full_read) = loop {
            let (outcome, needs_full_read, busy) = self.plan_and_apply(seq, &completed);
            let Some(error) = outcome.error.clone() else { break (outcome, needs_full_read) };
            if error.contains(interface::codes::BINDING_MASS_REMOVAL) {
                // Held in the store for a confirmed run: trying again now would only be refused again.
                break (outcome, false);
            }
            let gave_up = if busy {
                started.elapsed() >= MAX_BUSY_WAIT
            } else {
                failures += 1;
                failures >= MAX_ATTEMPTS
            };
            if let Some(seq) = seq {
                if let Ok(mut store) = self.store.try_lock() {
                    // Best effort: a busy store may refuse this too; the entry stays pending anyway.
                    let _ = store.journal_failed(seq, &error);
                }
            }
            if gave_up {
                tracing::error!(
                    target: "callback",
                    "{} {}: not applied, left in the journal for the next attempt / 未能应用，保留在日志中待下次重试: {error}",
                    outcome.what,
                    outcome.subject
                );
                break (outcome, false);
            }
            tracing::warn!(
                target: "callback",
                "{} {}: {} (retry in {} ms)",
                outcome.what,
                outcome.subject,
                if busy { "store busy / 数据库忙" } else { "failed / 失败" },
                delay.as_millis()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(BACKOFF.1);
        };
        let wants_reconcile = outcome.error.is_none() && needs_full_read;
        self.journal.record(outcome.clone());
        let mut outcomes = vec![outcome];
        if wants_reconcile {
            outcomes.extend(self.reconcile());
        }
        outcomes
    }

    /// The synced scope: the store's, else the one this follower was given.
    pub fn synced_scope(&self, store: &Store) -> ScopeSelection {
        if self.scope_given {
            return self.scope.clone();
        }
        store.synced_scope().ok().flatten().unwrap_or_else(|| self.scope.clone())
    }

    /// Plans and applies the batch the removal safeguard held back (after a restart with
    /// `--confirm-removals N`); nothing when none is held.
    pub fn retry_held(&self) -> Option<Outcome> {
        let held = self.store.lock().unwrap_or_else(PoisonError::into_inner).held_changes().ok()?;
        let last = held.last()?.clone();
        let mut outcome = self.plan_and_apply_batch(None, &last, None).0;
        outcome.what = format!("held:{}", outcome.what);
        self.journal.record(outcome.clone());
        Some(outcome)
    }

    /// The outcome, whether the plugin asked for a full read, and whether it failed only
    /// because the store was busy.
    fn plan_and_apply(&self, seq: Option<i64>, change: &DirectoryChange) -> (Outcome, bool, bool) {
        self.plan_and_apply_batch(seq, change, Some(change))
    }

    /// Plans the held batch followed by `change` (when given) as one batch and applies it, the
    /// journal entry `seq` marked applied in the same transaction. Holds the store for one attempt
    /// (waiting at most [`APPLY_WAIT`] for another connection's lock). A batch the mass-removal
    /// safeguard refuses is held in the store (not dropped) until a confirmed run applies it.
    fn plan_and_apply_batch(
        &self,
        seq: Option<i64>,
        described: &DirectoryChange,
        change: Option<&DirectoryChange>,
    ) -> (Outcome, bool, bool) {
        let mut outcome = Outcome {
            what: described.change_type.to_string(),
            subject: subject(described),
            verdict: Verdict::Ignore,
            reason: Text::default(),
            applied: None,
            unbound_accounts: Vec::new(),
            error: None,
        };
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let scope = self.synced_scope(&store);
        // A batch the removal safeguard held back goes first, then this change: arrival order.
        let held = store.held_changes().unwrap_or_else(|error| {
            tracing::error!(target: "callback", "读取暂缓的回调失败 / could not read the held callbacks: {error}");
            Vec::new()
        });
        let had_held = !held.is_empty();
        let mut batch = held;
        if let Some(change) = change {
            batch.push(change.clone());
        }
        if batch.is_empty() {
            return (outcome, false, false);
        }
        let mut planned = None;
        let mut refused = None;
        let _ = store.set_busy_timeout(APPLY_WAIT);
        // Read, planned and written in one transaction: the plan fits the store it changes.
        let plan_here = |contents: crate::store::Contents| {
            let input = PlanInput {
                changes: batch.clone().into(),
                snapshot: None.into(),
                accounts: contents.accounts.into(),
                bindings: contents.bindings.into(),
                departments: contents.departments.into(),
                scope,
                policy: self.policy,
                removal_guard: self.removal_guard,
                ext: Default::default(),
            };
            match self.plugin.plan_change(&input).into_result() {
                Ok(plan) => {
                    let apply = (!is_empty(&plan.changes))
                        .then(|| (plan.changes.clone(), Audit::new(Actor::Callback, plan_reason(&plan))));
                    planned = Some(plan);
                    (true, apply)
                }
                Err(error) => {
                    refused = Some(error);
                    (false, None)
                }
            }
        };
        let result = match seq {
            Some(seq) => store.apply_journaled(seq, plan_here),
            None => store.apply_decided(plan_here),
        };
        let busy = result.as_ref().err().is_some_and(StoreError::is_busy);
        let mut needs_full_read = false;
        match (&result, &refused, &planned) {
            (_, Some(error), _) if error.code.as_str() == interface::codes::BINDING_MASS_REMOVAL => {
                // Not dropped: kept until a confirmed run (serve --confirm-removals N) applies it.
                match store.hold_journaled(seq, &batch) {
                    Ok(()) => tracing::error!(
                        target: "callback",
                        "回调批次（{} 个变更）被大规模解除保护拦截，已暂存，未做任何更改 / a callback batch of {} changes was \
                         held by the mass-removal safeguard; nothing changed: {error} (host-sim serve --confirm-removals)",
                        batch.len(),
                        batch.len()
                    ),
                    Err(e) => {
                        tracing::error!(target: "callback", "暂存回调失败 / could not hold the callbacks: {e}; {error}")
                    }
                }
                outcome.error = Some(error.to_string());
                outcome.verdict = Verdict::Operator;
                outcome.reason = Text::new(
                    "大规模解除保护：批次已暂存，需用 --confirm-removals 确认确切数量",
                    "mass-removal safeguard: the batch is held until its exact count is confirmed with --confirm-removals",
                );
            }
            (_, Some(error), _) => outcome.error = Some(error.to_string()),
            (Ok((_, applied)), None, Some(plan)) => {
                if had_held {
                    if let Err(e) = store.hold_changes(&[]) {
                        tracing::error!(target: "callback", "清除暂缓的回调失败 / could not clear the held callbacks: {e}");
                    }
                }
                needs_full_read = plan.needs_full_read;
                if let Some(event) = plan.events.last() {
                    outcome.verdict = event.verdict;
                    outcome.reason = event.reason.clone();
                } else if needs_full_read {
                    outcome.verdict = Verdict::NeedsFullRead;
                }
                if let Some(applied) = applied {
                    outcome.applied = Some(*applied);
                    outcome.unbound_accounts =
                        plan.changes.remove_bindings.iter().map(|u| u.account_id.to_string()).collect();
                }
            }
            (Ok(_), None, None) => {}
            (Err(error), None, _) => outcome.error = Some(error.to_string()),
        }
        let _ = store.set_busy_timeout(crate::store::DEFAULT_BUSY_WAIT);
        drop(store);
        self.signed_out(&outcome);
        (outcome, needs_full_read, busy)
    }

    fn signed_out(&self, outcome: &Outcome) {
        if let Some(hook) = &self.on_unbound {
            outcome.unbound_accounts.iter().for_each(|account| hook(account));
        }
    }

    /// A full read of the scope compared with the store ([`reconcile::run`]). When one is already
    /// running, it is asked to run once more and this returns at once with nothing. Each run is
    /// recorded in the journal.
    pub fn reconcile(&self) -> Vec<Outcome> {
        self.reconcile_requested.store(true, Ordering::SeqCst);
        let mut outcomes = Vec::new();
        loop {
            let Ok(running) = self.reconciling.try_lock() else { return outcomes };
            while self.reconcile_requested.swap(false, Ordering::SeqCst) {
                let scope = self.synced_scope(&self.store.lock().unwrap_or_else(PoisonError::into_inner));
                let outcome = reconcile::run(&self.plugin, &self.store, &scope, self.policy, self.removal_guard);
                self.signed_out(&outcome);
                self.journal.record(outcome.clone());
                outcomes.push(outcome);
            }
            drop(running);
            // A request made between the last check and the unlock found the lock held.
            if !self.reconcile_requested.load(Ordering::SeqCst) {
                return outcomes;
            }
        }
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

fn subject(change: &DirectoryChange) -> String {
    match change.kind {
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated | ChangeKind::MemberDeleted => {
            if change.new_userid.is_empty() {
                change.userid.to_string()
            } else {
                format!("{} → {}", change.userid, change.new_userid)
            }
        }
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted => {
            format!("department:{}", change.department_id)
        }
        ChangeKind::TagMembersChanged => format!("tag:{}", change.tag_id),
        _ => String::new(),
    }
}
