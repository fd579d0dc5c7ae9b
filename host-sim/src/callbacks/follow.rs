//! The host following WeCom after a callback was answered: complete the change through the
//! plugin (it may read WeCom), decide ([`mod@super::decide`], pure), and apply the change set in one
//! transaction. Every outcome goes to the [`Journal`]. Changes queue for one worker thread, so
//! they are applied in the order WeCom sent them.
//!
//! A change that created an account or moved a binding is followed by a reconcile: the full
//! read confirms the hint, and it refreshes the plugin's view of the synced scope, which its
//! login check uses (a member created or renamed by a callback can then sign in). Reconciles
//! coalesce: one runs at a time, and requests made meanwhile make it run once more.

use super::decide::{decide, Verdict};
use super::journal::{Journal, Outcome};
use super::policy::Policy;
use super::reconcile;
use crate::store::Store;
use crate::workflow::StoreState;
use interface::{ChangeKind, DirectoryChange, PluginBox, ScopeSelection, Text};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Called with each account whose binding was removed (the platform signs its sessions out).
pub type OnUnbound = Box<dyn Fn(&str) + Send + Sync>;

/// What following needs: the plugin instance, the store, the synced scope and the policy.
pub struct Follower {
    /// The configured plugin instance.
    pub plugin: Arc<PluginBox>,
    /// The host's store.
    pub store: Arc<Mutex<Store>>,
    /// The synced scope.
    pub scope: ScopeSelection,
    /// The host's policy.
    pub policy: Policy,
    /// What was done, in order.
    pub journal: Journal,
    on_unbound: Option<OnUnbound>,
    /// Held while a reconcile runs.
    reconciling: Mutex<()>,
    /// A reconcile was asked for and has not started yet.
    reconcile_requested: AtomicBool,
    /// Changes waiting for the worker, in arrival order (started on first use).
    queue: Mutex<Option<mpsc::Sender<DirectoryChange>>>,
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
            policy,
            journal: Journal::default(),
            on_unbound: None,
            reconciling: Mutex::new(()),
            reconcile_requested: AtomicBool::new(false),
            queue: Mutex::new(None),
            in_flight: Mutex::new(0),
            idle: Condvar::new(),
        }
    }

    /// Calls `f` with every account whose binding is removed, before the outcome is recorded.
    pub fn on_unbound(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Follower {
        self.on_unbound = Some(Box::new(f));
        self
    }

    /// Queues `change` to be followed after the answer, on the follower's own worker thread
    /// (blocking work, off the async runtime). One worker, so changes are applied in the order
    /// WeCom sent them: a member's create and delete arriving together must not swap. Counted as
    /// in flight from now, so [`Follower::wait_idle`] waits for it even before it starts.
    pub fn spawn_follow(self: &Arc<Self>, change: DirectoryChange) {
        *self.in_flight.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.is_none() {
            *queue = self.start_worker();
        }
        let sent = queue.as_ref().map(|q| q.send(change));
        if !matches!(sent, Some(Ok(()))) {
            *queue = None;
            tracing::error!(target: "callback", "the follower's worker is gone; the change is left to the reconcile");
            self.done_one();
        }
    }

    /// The worker: follows queued changes one by one until the follower is dropped.
    fn start_worker(self: &Arc<Self>) -> Option<mpsc::Sender<DirectoryChange>> {
        let (sender, changes) = mpsc::channel::<DirectoryChange>();
        // Weak: the worker must not keep the follower (and its queue) alive forever.
        let follower = Arc::downgrade(self);
        let started = std::thread::Builder::new().name("callback-follower".into()).spawn(move || {
            for change in changes {
                let Some(follower) = follower.upgrade() else { break };
                follower.follow(&change);
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

    /// Completes, decides and applies one change; then runs the reconcile when the change
    /// alone could not be judged, or created an account or a binding. Blocking.
    pub fn follow(&self, change: &DirectoryChange) -> Vec<Outcome> {
        let completed = match self.plugin.complete_change(change).into_result() {
            Ok(completed) => completed,
            Err(error) => {
                // The event itself is still worth applying (a delete needs nothing more); what
                // is missing makes the decision an "ignore", and the reconcile settles it.
                tracing::warn!("complete_change failed, deciding with the event as sent: {error}");
                change.clone()
            }
        };
        let (outcome, created) = self.decide_and_apply(&completed);
        let wants_reconcile = outcome.verdict == Verdict::Reconcile || created;
        self.journal.record(outcome.clone());
        let mut outcomes = vec![outcome];
        if wants_reconcile {
            outcomes.extend(self.reconcile());
        }
        outcomes
    }

    /// The outcome, and whether an account or a binding was created.
    fn decide_and_apply(&self, change: &DirectoryChange) -> (Outcome, bool) {
        let mut outcome = Outcome {
            what: change.change_type.to_string(),
            subject: subject(change),
            verdict: Verdict::Ignore,
            reason: Text::default(),
            applied: None,
            unbound_accounts: Vec::new(),
            error: None,
        };
        let mut decided = None;
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        // Read, decided and written in one transaction: the decision fits the store it changes.
        let result = store.apply_decided(|contents| {
            let state = StoreState {
                accounts: contents.accounts,
                bindings: contents.bindings,
                departments: contents.departments,
            };
            let decision = decide(change, &state, &self.scope, self.policy);
            let apply = (decision.verdict == Verdict::Apply).then(|| decision.changes.clone());
            decided = Some(decision);
            ((), apply)
        });
        let mut created = false;
        if let Some(decision) = decided {
            outcome.verdict = decision.verdict;
            outcome.reason = decision.reason;
            match result {
                Ok((_, Some(applied))) => {
                    outcome.applied = Some(applied);
                    outcome.unbound_accounts =
                        decision.changes.remove_bindings.iter().map(|u| u.account_id.to_string()).collect();
                    created = applied.accounts_created + applied.bindings_created > 0;
                }
                Ok((_, None)) => {}
                Err(error) => outcome.error = Some(error.to_string()),
            }
        } else if let Err(error) = result {
            outcome.error = Some(error.to_string());
        }
        drop(store);
        self.signed_out(&outcome);
        (outcome, created)
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
                let outcome = reconcile::run(&self.plugin, &self.store, &self.scope, self.policy);
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
    }
}
