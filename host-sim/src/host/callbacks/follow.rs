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
//! The worker takes every change ready in the queue as one batch ([`super::batch`]): completed
//! together, planned with one `plan_change`, applied in one transaction (so the mass-removal
//! safeguard judges a burst as a whole). A change whose member WeCom does not show yet is
//! completed again later with backoff, never planned into a full read.
//!
//! A change the plugin cannot settle from the event alone (`plan.needs_full_read`) asks for a
//! reconcile, which runs on its own thread, off the apply path: the worker goes on applying the
//! changes behind it (a leaver never waits behind a read), and the reconcile leaves the members
//! those changes name as the store has them. Reconciles coalesce: one runs at a time, and every
//! request made meanwhile makes it run once more, once.

use super::batch::{self, MAX_BATCH, RETRY_ATTEMPTS};
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

/// A change to follow: its journal sequence number (none when not journaled), and how many
/// times it was completed already.
struct Queued {
    seq: Option<i64>,
    change: DirectoryChange,
    tries: u32,
}

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
    /// The first wait before completing again a change whose member WeCom does not show yet
    /// (doubling after each try; [`batch::RETRY_FIRST`]).
    pub retry_first: Duration,
    /// What was done, in order.
    pub journal: Journal,
    on_unbound: Option<OnUnbound>,
    /// Held while a reconcile runs.
    reconciling: Mutex<()>,
    /// A reconcile was asked for and has not started yet.
    reconcile_requested: AtomicBool,
    /// While a reconcile reads: the changes applied since it started (see [`reconcile::run`]).
    applied_meanwhile: Mutex<Option<Vec<DirectoryChange>>>,
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
            retry_first: batch::RETRY_FIRST,
            journal: Journal::default(),
            on_unbound: None,
            reconciling: Mutex::new(()),
            reconcile_requested: AtomicBool::new(false),
            applied_meanwhile: Mutex::new(None),
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
        let sent = queue.as_ref().map(|q| q.send(Queued { seq, change, tries: 0 }));
        if !matches!(sent, Some(Ok(()))) {
            *queue = None;
            tracing::error!(target: "callback", "the follower's worker is gone; the change stays in the journal for the next start");
            if let Some(seq) = seq {
                self.queued.lock().unwrap_or_else(PoisonError::into_inner).remove(&seq);
            }
            self.done_one();
        }
    }

    /// The worker: follows queued changes batch by batch until the follower is dropped; changes
    /// WeCom cannot show yet wait here for their next completion.
    fn start_worker(self: &Arc<Self>) -> Option<mpsc::Sender<Queued>> {
        let (sender, changes) = mpsc::channel::<Queued>();
        // Weak: the worker must not keep the follower (and its queue) alive forever.
        let follower = Arc::downgrade(self);
        let started = std::thread::Builder::new().name("callback-follower".into()).spawn(move || {
            let mut waiting: Vec<(Instant, Queued)> = Vec::new();
            loop {
                let first = match waiting.iter().map(|(due, _)| *due).min() {
                    None => match changes.recv() {
                        Ok(item) => Some(item),
                        Err(_) => break,
                    },
                    Some(due) => match changes.recv_timeout(due.saturating_duration_since(Instant::now())) {
                        Ok(item) => Some(item),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    },
                };
                // The changes due again first (they arrived earlier), then everything ready.
                let now = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|(at, _)| *at <= now);
                waiting = later;
                let mut items: Vec<Queued> = due.into_iter().map(|(_, item)| item).collect();
                items.sort_by_key(|item| item.seq);
                items.extend(first);
                while items.len() < MAX_BATCH {
                    match changes.try_recv() {
                        Ok(item) => items.push(item),
                        Err(_) => break,
                    }
                }
                if items.is_empty() {
                    continue;
                }
                // A member's delete makes their earlier changes still waiting for WeCom moot.
                let leaving: HashSet<String> = items.iter().filter_map(leaver).collect();
                let (moot, still): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|(_, item)| {
                    !leaving.is_empty() && member_of(&item.change).is_some_and(|m| leaving.contains(&m))
                });
                waiting = still;
                let Some(follower) = follower.upgrade() else { break };
                let mut done = follower.supersede(moot.into_iter().map(|(_, item)| item).collect());
                let (followed, again) = follower.follow_batch(items);
                done.extend(followed);
                let now = Instant::now();
                let first = follower.retry_first;
                waiting.extend(again.into_iter().map(|item| (now + batch::retry_delay(first, item.tries), item)));
                for seq in done {
                    if let Some(seq) = seq {
                        follower.queued.lock().unwrap_or_else(PoisonError::into_inner).remove(&seq);
                    }
                    follower.done_one();
                }
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
    /// reconcile (on this thread) when the plugin asks for a full read. Blocking. Not journaled:
    /// the platform's changes go through [`Follower::accept`].
    pub fn follow(&self, change: &DirectoryChange) -> Vec<Outcome> {
        let completed = batch::complete_all(&self.plugin, &[change]);
        let (mut outcomes, needs_full_read) = self.apply_batch(&[None], &completed);
        if needs_full_read {
            outcomes.extend(self.reconcile());
        }
        outcomes
    }

    /// Follows a batch from the queue: completes every change, sets aside those WeCom does not
    /// show yet (returned to be completed again, or after [`RETRY_ATTEMPTS`] left in the journal
    /// for the timed reconcile with a warning), applies the rest as one batch and asks for a
    /// reconcile in the background when the plan needs a full read. Returns the entries done
    /// with, and those to complete again.
    fn follow_batch(self: &Arc<Self>, items: Vec<Queued>) -> (Vec<Option<i64>>, Vec<Queued>) {
        let sent: Vec<&DirectoryChange> = items.iter().map(|item| &item.change).collect();
        let completed = batch::complete_all(&self.plugin, &sent);
        let mut done = Vec::new();
        let mut again = Vec::new();
        let mut seqs = Vec::new();
        let mut ready = Vec::new();
        // Where each member leaves in this batch: their earlier changes WeCom cannot show are moot.
        let mut leaves_at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(userid) = leaver(item) {
                leaves_at.insert(userid, i);
            }
        }
        let mut moot = Vec::new();
        for (i, (mut item, completed)) in items.into_iter().zip(completed).enumerate() {
            item.tries += 1;
            let left_later = member_of(&item.change).and_then(|m| leaves_at.get(&m)).is_some_and(|at| *at > i);
            match completed.unresolved() {
                Some(unresolved) if unresolved.retry && left_later => moot.push(item),
                Some(unresolved) if unresolved.retry && item.tries < RETRY_ATTEMPTS => again.push(item),
                Some(unresolved) if unresolved.retry => {
                    self.leave_for_reconcile(&item, unresolved.errcode);
                    done.push(item.seq);
                }
                _ => {
                    seqs.push(item.seq);
                    ready.push(completed);
                }
            }
        }
        done.extend(self.supersede(moot));
        if !ready.is_empty() {
            let (_, needs_full_read) = self.apply_batch(&seqs, &ready);
            if needs_full_read {
                self.request_reconcile();
            }
        }
        done.extend(seqs);
        (done, again)
    }

    /// Changes WeCom never completed whose member has since left (`delete_user` arrived after
    /// them): done with, marked in the journal, nothing applied (the delete is newer, and
    /// completing them could only fail again). Returns their entries.
    fn supersede(&self, items: Vec<Queued>) -> Vec<Option<i64>> {
        if items.is_empty() {
            return Vec::new();
        }
        let seqs: Vec<i64> = items.iter().filter_map(|item| item.seq).collect();
        if !seqs.is_empty() {
            let reason = "superseded by a later delete_user";
            if let Err(error) =
                self.store.lock().unwrap_or_else(PoisonError::into_inner).journal_superseded(&seqs, reason)
            {
                // Left pending: the next resume completes it again, which fails again harmlessly.
                tracing::warn!(target: "callback", "could not mark superseded callbacks: {error}");
            }
        }
        for item in &items {
            let who = subject(&item.change);
            self.journal.record(Outcome {
                what: item.change.change_type.to_string(),
                subject: who.clone(),
                verdict: Verdict::Ignore,
                reason: Text::new(
                    format!("成员 {who} 随后已离职（delete_user）：企业微信未显示的这次变更不再需要。"),
                    format!("Member {who} left afterwards (delete_user): this change WeCom never showed is moot."),
                ),
                applied: None,
                unbound_accounts: Vec::new(),
                error: None,
            });
        }
        items.into_iter().map(|item| item.seq).collect()
    }

    /// A change whose member WeCom still does not show after every completion: left in the
    /// journal (not applied, not dropped) for the timed reconcile, which reads the member once
    /// WeCom shows it, and for the next [`Follower::resume`].
    fn leave_for_reconcile(&self, item: &Queued, errcode: i64) {
        let who = subject(&item.change);
        tracing::warn!(
            target: "callback",
            "{} {who}: 企业微信尝试 {RETRY_ATTEMPTS} 次仍未显示该成员（{errcode}），留待定期核对 / WeCom still does not show \
             the member after {RETRY_ATTEMPTS} tries ({errcode}); left for the timed reconcile",
            item.change.change_type
        );
        if let Some(seq) = item.seq {
            let reason = format!("member not shown by WeCom after {RETRY_ATTEMPTS} tries ({errcode})");
            // Best effort: the entry stays pending whether or not the reason is written.
            let _ = self.store.lock().unwrap_or_else(PoisonError::into_inner).journal_failed(seq, &reason);
        }
        self.journal.record(Outcome {
            what: item.change.change_type.to_string(),
            subject: who.clone(),
            verdict: Verdict::NeedsFullRead,
            reason: Text::new(
                format!("企业微信尚未显示成员 {who}（已尝试 {RETRY_ATTEMPTS} 次）：保留在日志中，留待定期核对。"),
                format!("WeCom does not show member {who} yet ({RETRY_ATTEMPTS} tries): kept in the journal for the timed reconcile."),
            ),
            applied: None,
            unbound_accounts: Vec::new(),
            error: None,
        });
    }

    /// Plans and applies completed changes (journal entries `seqs`, in the same order) as one
    /// batch: retried with backoff while the store is busy, up to [`MAX_ATTEMPTS`] on other
    /// failures, and left in the journal when it cannot be applied (logged as an error with
    /// the members and the reason). One outcome per change, in order; and whether the plan asks
    /// for a full read.
    fn apply_batch(&self, seqs: &[Option<i64>], completed: &[DirectoryChange]) -> (Vec<Outcome>, bool) {
        let started = Instant::now();
        let mut delay = BACKOFF.0;
        let mut failures = 0u32;
        let (outcomes, needs_full_read) = loop {
            let (mut outcomes, held, needs_full_read, busy) = self.plan_and_apply_changes(seqs, completed);
            // The held changes' outcomes are the held batch's (see `retry_held`); these are ours.
            let outcomes: Vec<Outcome> = outcomes.drain(held.min(outcomes.len())..).collect();
            let Some(error) = outcomes.iter().find_map(|o| o.error.clone()) else { break (outcomes, needs_full_read) };
            if error.contains(interface::codes::BINDING_MASS_REMOVAL) {
                // Held in the store for a confirmed run: trying again now would only be refused again.
                break (outcomes, false);
            }
            let gave_up = if busy {
                started.elapsed() >= MAX_BUSY_WAIT
            } else {
                failures += 1;
                failures >= MAX_ATTEMPTS
            };
            if let Ok(mut store) = self.store.try_lock() {
                for seq in seqs.iter().flatten() {
                    // Best effort: a busy store may refuse this too; the entry stays pending anyway.
                    let _ = store.journal_failed(*seq, &error);
                }
            }
            let subjects = outcomes.iter().map(|o| format!("{} {}", o.what, o.subject)).collect::<Vec<_>>().join(", ");
            if gave_up {
                tracing::error!(
                    target: "callback",
                    "{subjects}: not applied, left in the journal for the next attempt / 未能应用，保留在日志中待下次重试: {error}"
                );
                break (outcomes, false);
            }
            tracing::warn!(
                target: "callback",
                "{subjects}: {} (retry in {} ms)",
                if busy { "store busy / 数据库忙" } else { "failed / 失败" },
                delay.as_millis()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(BACKOFF.1);
        };
        for outcome in &outcomes {
            self.journal.record(outcome.clone());
        }
        (outcomes, needs_full_read)
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
        held.last()?;
        let (outcomes, _, _, _) = self.plan_and_apply_changes(&[], &[]);
        let mut outcome = outcomes.last()?.clone();
        outcome.what = format!("held:{}", outcome.what);
        outcome.error = outcomes.iter().find_map(|o| o.error.clone());
        outcome.unbound_accounts = outcomes.iter().flat_map(|o| o.unbound_accounts.iter().cloned()).collect();
        outcome.applied = outcomes.iter().find_map(|o| o.applied);
        self.journal.record(outcome.clone());
        Some(outcome)
    }

    /// Plans the held batch followed by `changes` (journal entries `seqs`, in the same order) as
    /// one batch and applies it, the entries marked applied in the same transaction. Holds the
    /// store for one attempt (waiting at most [`APPLY_WAIT`] for another connection's lock). A
    /// batch the mass-removal safeguard refuses is held in the store (not dropped) until a
    /// confirmed run applies it. Returns an outcome per change (the held ones first, then
    /// `changes`), how many of them were held ones, whether the plan asks for a full read, and
    /// whether it failed only because the store was busy.
    fn plan_and_apply_changes(
        &self,
        seqs: &[Option<i64>],
        changes: &[DirectoryChange],
    ) -> (Vec<Outcome>, usize, bool, bool) {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let scope = self.synced_scope(&store);
        // A batch the removal safeguard held back goes first, then these changes: arrival order.
        let held = store.held_changes().unwrap_or_else(|error| {
            tracing::error!(target: "callback", "读取暂缓的回调失败 / could not read the held callbacks: {error}");
            Vec::new()
        });
        let held_count = held.len();
        let mut batch = held;
        batch.extend(changes.iter().cloned());
        let mut outcomes: Vec<Outcome> = batch
            .iter()
            .map(|change| Outcome {
                what: change.change_type.to_string(),
                subject: subject(change),
                verdict: Verdict::Ignore,
                reason: Text::default(),
                applied: None,
                unbound_accounts: Vec::new(),
                error: None,
            })
            .collect();
        if batch.is_empty() {
            return (outcomes, 0, false, false);
        }
        let journaled: Vec<i64> = seqs.iter().flatten().copied().collect();
        let mut planned = None;
        let mut refused = None;
        let _ = store.set_busy_timeout(APPLY_WAIT);
        // Read, planned and written in one transaction: the plan fits the store it changes.
        let plan_here = |contents: crate::store::Contents| {
            let mut input = PlanInput {
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
            input.set_declined_pairs(&contents.declined);
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
        let result = store.apply_journaled_batch(&journaled, plan_here);
        let busy = result.as_ref().err().is_some_and(StoreError::is_busy);
        let mut needs_full_read = false;
        match (&result, &refused, &planned) {
            (_, Some(error), _) if error.code.as_str() == interface::codes::BINDING_MASS_REMOVAL => {
                // Not dropped: kept until a confirmed run (serve --confirm-removals N) applies it.
                match store.hold_journaled_batch(&journaled, &batch) {
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
                for outcome in &mut outcomes {
                    outcome.error = Some(error.to_string());
                    outcome.verdict = Verdict::Operator;
                    outcome.reason = Text::new(
                        "大规模解除保护：批次已暂存，需用 --confirm-removals 确认确切数量",
                        "mass-removal safeguard: the batch is held until its exact count is confirmed with --confirm-removals",
                    );
                }
            }
            (_, Some(error), _) => outcomes.iter_mut().for_each(|o| o.error = Some(error.to_string())),
            (Ok((_, applied)), None, Some(plan)) => {
                if held_count > 0 {
                    if let Err(e) = store.hold_changes(&[]) {
                        tracing::error!(target: "callback", "清除暂缓的回调失败 / could not clear the held callbacks: {e}");
                    }
                }
                needs_full_read = plan.needs_full_read;
                // Decided while a reconcile reads (applied or not: a delete of an unbound member
                // changes nothing, yet an older read must not give that member an account).
                if let Some(meanwhile) = self.applied_meanwhile.lock().unwrap_or_else(PoisonError::into_inner).as_mut()
                {
                    meanwhile.extend(batch.iter().cloned());
                }
                for (outcome, event) in outcomes.iter_mut().zip(plan.events.iter()) {
                    outcome.verdict = event.verdict;
                    outcome.reason = event.reason.clone();
                }
                if let Some(applied) = applied {
                    // The batch's counts go with its last applied change.
                    let last = outcomes.iter().rposition(|o| o.verdict == Verdict::Apply).unwrap_or(outcomes.len() - 1);
                    outcomes[last].applied = Some(*applied);
                    for unbound in plan.changes.remove_bindings.iter() {
                        let userid = unbound.userid.as_str();
                        let owner = outcomes
                            .iter()
                            .rposition(|o| {
                                o.subject.eq_ignore_ascii_case(userid) || o.subject.ends_with(&format!("→ {userid}"))
                            })
                            .unwrap_or(last);
                        outcomes[owner].unbound_accounts.push(unbound.account_id.to_string());
                    }
                }
            }
            (Ok(_), None, None) => {}
            (Err(error), None, _) => outcomes.iter_mut().for_each(|o| o.error = Some(error.to_string())),
        }
        let _ = store.set_busy_timeout(crate::store::DEFAULT_BUSY_WAIT);
        drop(store);
        outcomes.iter().for_each(|outcome| self.signed_out(outcome));
        (outcomes, held_count, needs_full_read, busy)
    }

    fn signed_out(&self, outcome: &Outcome) {
        if let Some(hook) = &self.on_unbound {
            outcome.unbound_accounts.iter().for_each(|account| hook(account));
        }
    }

    /// Asks for a reconcile off the apply path: it runs on its own thread (coalesced with any
    /// running one, see [`Follower::reconcile`]) while the worker goes on applying changes.
    /// Counted in flight, so [`Follower::wait_idle`] waits for it.
    fn request_reconcile(self: &Arc<Self>) {
        self.reconcile_requested.store(true, Ordering::SeqCst);
        if self.reconciling.try_lock().is_err() {
            // The running one sees the request when it ends and runs once more.
            return;
        }
        *self.in_flight.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        let follower = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("callback-reconcile".into()).spawn(move || {
            follower.reconcile();
            follower.done_one();
        });
        if spawned.is_err() {
            tracing::error!(target: "callback", "could not start the reconcile thread; the timed reconcile will run it");
            self.done_one();
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
                *self.applied_meanwhile.lock().unwrap_or_else(PoisonError::into_inner) = Some(Vec::new());
                // Taken under the store's lock, in the reconcile's transaction: nothing is applied
                // between taking them and writing the reconcile.
                let meanwhile =
                    || self.applied_meanwhile.lock().unwrap_or_else(PoisonError::into_inner).take().unwrap_or_default();
                let outcome =
                    reconcile::run(&self.plugin, &self.store, &scope, self.policy, self.removal_guard, &meanwhile);
                *self.applied_meanwhile.lock().unwrap_or_else(PoisonError::into_inner) = None;
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

/// The member a member event is about (lower-cased; the new userid after a rename).
fn member_of(change: &DirectoryChange) -> Option<String> {
    match change.kind {
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated | ChangeKind::MemberDeleted => {
            let userid = if change.new_userid.is_empty() { &change.userid } else { &change.new_userid };
            (!userid.is_empty()).then(|| userid.as_str().to_lowercase())
        }
        _ => None,
    }
}

/// The member a `delete_user` in the queue is about.
fn leaver(item: &Queued) -> Option<String> {
    (item.change.kind == ChangeKind::MemberDeleted).then(|| member_of(&item.change)).flatten()
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
