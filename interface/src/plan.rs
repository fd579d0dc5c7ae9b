use crate::{Binding, ChangeSet, DirectoryChange, DirectorySnapshot, Extensions, PlatformAccount};
use crate::{PlatformDepartment, RemovalGuard, ScopeSelection, Text};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

impl PlanInput {
    /// The `(userid, account_id)` pairs members declined at login
    /// ([`crate::ext_keys::DECLINED_PAIRS`]); empty when the host does not say.
    pub fn declined_pairs(&self) -> Vec<(String, String)> {
        self.ext.get(crate::ext_keys::DECLINED_PAIRS).unwrap_or_default()
    }

    /// Sets [`PlanInput::declined_pairs`] (nothing is written for none).
    pub fn set_declined_pairs(&mut self, pairs: &[(String, String)]) {
        if !pairs.is_empty() {
            self.ext.set(crate::ext_keys::DECLINED_PAIRS, &pairs);
        }
    }
}

crate::open_enum! {
    /// What happens to the account of a member who left, was deleted, or was disabled in WeCom.
    pub enum OnLeave {
        /// Remove the binding and disable the platform account (it can no longer sign in).
        Disable = 0 => "disable",
        /// Only remove the binding; the account stays enabled for other ways of signing in.
        Unbind = 1 => "unbind",
    }
}

impl Default for OnLeave {
    fn default() -> Self {
        OnLeave::Disable
    }
}

crate::open_enum! {
    /// What happens to a new member in the synced scope who has no account.
    pub enum NewMembers {
        /// Create an account bound to the member, unless an unbound account has the same
        /// normalised name (then the operator or the member's first login decides).
        Create = 0 => "create",
        /// Leave new members to the operator's next sync.
        Ignore = 1 => "ignore",
    }
}

impl Default for NewMembers {
    fn default() -> Self {
        NewMembers::Create
    }
}

/// The host's policy for changes that arrive without an operator.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangePolicy {
    /// Leavers.
    pub on_leave: OnLeave,
    /// Newcomers.
    pub new_members: NewMembers,
}

/// What `plan_change` decides from: a batch of contact changes (callbacks, completed, in the
/// order they arrived) or a full read (the reconcile), and the host's state.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanInput {
    /// Contact changes, in arrival order (after `complete_change`). With a snapshot: the changes
    /// the host applied while the snapshot was being read (since 0.2.x); the read may predate
    /// them, so the members and departments they name are left as the host's state has them (a
    /// plugin older than that ignores them).
    pub changes: RVec<DirectoryChange>,
    /// A full read of the synced scope (the reconcile).
    pub snapshot: ROption<DirectorySnapshot>,
    /// The platform's accounts.
    pub accounts: RVec<PlatformAccount>,
    /// Existing bindings.
    pub bindings: RVec<Binding>,
    /// Departments the platform mirrors.
    pub departments: RVec<PlatformDepartment>,
    /// The synced scope.
    pub scope: ScopeSelection,
    /// The host's policy.
    pub policy: ChangePolicy,
    /// The mass-removal safeguard.
    pub removal_guard: RemovalGuard,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

crate::open_enum! {
    /// What became of one change. A value from a newer plugin: log the reason.
    pub enum PlanVerdict {
        /// Part of the change set.
        Apply = 0 => "apply",
        /// Nothing to change.
        Ignore = 1 => "ignore",
        /// One event cannot settle it: the host runs the reconcile (a full read).
        NeedsFullRead = 2 => "needs_full_read",
        /// Left to the operator (a name match, a rename, a taken userid).
        Operator = 3 => "operator",
    }
}

/// The decision about one change, and why.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPlan {
    /// WeCom's `ChangeType` (`delete_user`, ...), or `reconcile`.
    pub change_type: RString,
    /// The event's de-duplication key (empty for a reconcile).
    pub dedup_key: RString,
    /// What it concerns: `user:<userid>`, `department:<id>`, `tag:<id>`, or empty.
    pub subject: RString,
    /// The decision.
    pub verdict: PlanVerdict,
    /// Why.
    pub reason: Text,
}

/// What `plan_change` decided: one change set for the batch, and a line per event.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Everything to apply, in one transaction.
    pub changes: ChangeSet,
    /// One line per change of the input (one for a reconcile).
    pub events: RVec<EventPlan>,
    /// True when some change needs a full read of the scope (the reconcile).
    pub needs_full_read: bool,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}
