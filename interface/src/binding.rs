use crate::{DirectorySnapshot, MemberStatus, Text};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// An existing account on the Wanxiang platform.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformAccount {
    /// The platform's account id.
    pub id: RString,
    /// Display name.
    pub name: RString,
    /// Names of the account's departments on the platform.
    #[serde(default)]
    pub departments: RVec<RString>,
    /// Disabled accounts are never proposed for a new binding.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_true() -> bool {
    true
}

/// A WeCom member bound to a platform account (one to one).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Binding {
    /// WeCom userid.
    pub userid: RString,
    /// Platform account id.
    pub account_id: RString,
}

/// A department the platform already mirrors from WeCom (by WeCom id).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformDepartment {
    /// WeCom department id it mirrors.
    pub wecom_id: u32,
    /// Current name on the platform.
    pub name: RString,
    /// WeCom id of its parent (0 for a top department).
    pub parent_wecom_id: u32,
    /// Current sibling order.
    pub order: u64,
}

/// Everything `propose_bindings` needs: the snapshot and the host's current state.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalInput {
    /// The WeCom directory in scope.
    pub snapshot: DirectorySnapshot,
    /// The platform's accounts.
    pub accounts: RVec<PlatformAccount>,
    /// Existing bindings.
    pub bindings: RVec<Binding>,
    /// Departments the platform already mirrors from WeCom.
    pub departments: RVec<PlatformDepartment>,
}

/// What a row of the binding table proposes.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// Already bound: nothing changes.
    AlreadyBound,
    /// 姓名匹配: exactly one unbound platform account has the same name; bound at commit.
    NameMatch,
    /// Two or more candidates: the operator decides; skipped at commit otherwise.
    Ambiguous,
    /// No account of that name: a new platform account is created at commit.
    NoMatch,
    /// Bound, but the member is disabled, has left, or is gone from a complete snapshot:
    /// proposed for unbinding, applied only when the operator confirms.
    LeftWecom,
}

/// A platform account offered for a WeCom member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Platform account id.
    pub account_id: RString,
    /// Its display name.
    pub account_name: RString,
    /// Its departments on the platform.
    pub departments: RVec<RString>,
    /// True when one of its departments has the same name as one of the member's.
    pub department_agrees: bool,
}

/// One row of the binding table: one WeCom member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRow {
    /// WeCom userid.
    pub userid: RString,
    /// WeCom display name.
    pub member_name: RString,
    /// The member's WeCom department names.
    pub member_departments: RVec<RString>,
    /// The member's WeCom status.
    pub member_status: MemberStatus,
    /// What the row proposes.
    pub kind: RowKind,
    /// The account it is or will be bound to (none for ambiguous and no-match rows).
    pub account: ROption<Candidate>,
    /// For ambiguous rows: every candidate, never one picked silently.
    pub candidates: RVec<Candidate>,
    /// The tag shown in the table, e.g. 姓名匹配 / name match; empty when none.
    pub label: Text,
    /// Why the row is what it is.
    pub reason: Text,
}

/// The counts the guide shows above the table.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalCounts {
    /// WeCom members in the snapshot (同步企业微信用户).
    pub wecom_users: u64,
    /// Rows already bound.
    pub already_bound: u64,
    /// Rows matched by name.
    pub name_matches: u64,
    /// Rows waiting for the operator.
    pub ambiguous: u64,
    /// Rows that will get a new account.
    pub no_match: u64,
    /// Rows proposed for unbinding.
    pub left_wecom: u64,
}

/// The binding table proposed to the operator.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The snapshot it was made from.
    pub snapshot_id: RString,
    /// Fingerprint of the accounts and bindings it was made from (stale detection).
    pub host_state_id: RString,
    /// One row per WeCom member, plus one per bound member gone from a complete snapshot.
    pub rows: RVec<ProposalRow>,
    /// Counts for the table's header.
    pub counts: ProposalCounts,
}

/// The table filter of the guide.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowFilter {
    /// Every row.
    #[default]
    All,
    /// Rows with no account bound or proposed (ambiguous and no-match rows).
    Unbound,
}

/// Search and filter over a proposal's rows.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowQuery {
    /// Matches the WeCom name, the userid, or the account name (normalised, substring); empty = all.
    pub search: RString,
    /// All rows or unbound rows only.
    pub filter: RowFilter,
}

/// What the operator did to a row.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    /// Bind the member to `account_id` (rebind, or resolve an ambiguous row).
    Bind,
    /// Remove the proposed pair: the member gets a new account instead.
    Unbind,
    /// Leave the member out of this commit (no binding, no new account).
    Skip,
    /// Confirm a proposed removal (left-WeCom row).
    ConfirmRemoval,
}

/// One operator edit, naming its row by userid.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// The kind of edit.
    pub kind: EditKind,
    /// The row's WeCom userid.
    pub userid: RString,
    /// The account, for `bind`.
    #[serde(default)]
    pub account_id: ROption<RString>,
}

/// Everything `commit` needs: the state the proposal was made from, the proposal, and the edits.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInput {
    /// The snapshot and host state as they are now.
    pub input: ProposalInput,
    /// The proposal the operator worked on.
    pub proposal: Proposal,
    /// The operator's edits.
    pub edits: RVec<Edit>,
}

/// A platform account to create for a WeCom member left unbound.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The WeCom member it is for; the host binds it at creation.
    pub userid: RString,
    /// Display name (the WeCom name).
    pub name: RString,
    /// Department names (with a department scope; empty otherwise).
    pub departments: RVec<RString>,
    /// The same departments by WeCom id (with a department scope; empty otherwise).
    pub department_wecom_ids: RVec<u32>,
}

/// A binding to remove, and whether to disable the account.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unbinding {
    /// WeCom userid.
    pub userid: RString,
    /// Platform account id.
    pub account_id: RString,
    /// Also disable the platform account.
    pub disable_account: bool,
}

/// A change to the platform's department tree (department scope only).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentChange {
    /// WeCom department id.
    pub wecom_id: u32,
    /// Name to set.
    pub name: RString,
    /// WeCom id of the parent to set (0 for a top department).
    pub parent_wecom_id: u32,
    /// Order to set (WeCom's).
    pub order: u64,
    /// New department.
    pub created: bool,
    /// Existing department renamed.
    pub renamed: bool,
    /// Existing department moved under another parent (or reordered).
    pub moved: bool,
}

/// The summary the guide shows after commit.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSummary {
    /// WeCom members in the snapshot (同步企业微信用户).
    pub wecom_users_synced: u64,
    /// New bindings to existing platform accounts (绑定用户).
    pub bindings_made: u64,
    /// New platform accounts, each bound to its member (新建组织用户).
    pub accounts_created: u64,
    /// Members left out (ambiguous without a decision, or skipped by the operator).
    pub skipped: u64,
    /// Bindings removed: confirmed removals, and the old binding of a rebound or unbound member.
    pub bindings_removed: u64,
    /// Departments created, renamed or moved.
    pub department_changes: u64,
}

/// A validated change set for the host to apply in one transaction.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The snapshot it derives from.
    pub snapshot_id: RString,
    /// Department tree changes, parents before children (department scope only).
    pub departments: RVec<DepartmentChange>,
    /// Accounts to create (each bound to its member).
    pub create_accounts: RVec<NewAccount>,
    /// Bindings to existing accounts.
    pub create_bindings: RVec<Binding>,
    /// Bindings to remove.
    pub remove_bindings: RVec<Unbinding>,
    /// Counts.
    pub summary: CommitSummary,
}
