use crate::{ext_keys, DirectorySnapshot, Extensions, MemberStatus, PersonalData, Text};
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
    /// The account's mobile number, when the platform has one (personal data: never logged,
    /// shown masked). Compared with the member's consented WeCom mobile at login.
    #[serde(default, skip_serializing_if = "PersonalData::is_empty")]
    pub mobile: PersonalData,
    /// The account's email, when the platform has one (personal data, like `mobile`).
    #[serde(default, skip_serializing_if = "PersonalData::is_empty")]
    pub email: PersonalData,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

fn default_true() -> bool {
    true
}

impl Default for PlatformAccount {
    /// An enabled account with nothing else set (fill in `id` and `name`).
    fn default() -> Self {
        PlatformAccount {
            id: RString::new(),
            name: RString::new(),
            departments: RVec::new(),
            enabled: true,
            mobile: PersonalData::default(),
            email: PersonalData::default(),
            ext: Extensions::default(),
        }
    }
}

impl ProposalInput {
    /// The `(userid, account_id)` pairs members declined at login ([`ext_keys::DECLINED_PAIRS`]);
    /// empty when the host does not say.
    pub fn declined_pairs(&self) -> Vec<(String, String)> {
        self.ext.get(ext_keys::DECLINED_PAIRS).unwrap_or_default()
    }

    /// Sets [`ProposalInput::declined_pairs`] (nothing is written for none).
    pub fn set_declined_pairs(&mut self, pairs: &[(String, String)]) {
        if !pairs.is_empty() {
            self.ext.set(ext_keys::DECLINED_PAIRS, &pairs);
        }
    }
}

crate::open_enum! {
    /// How a binding was made: the evidence that the member and the account are one person.
    /// `name` and `name_department` are provisional: the plugin does not sign a member in on them
    /// alone (see `decide_login`). A value from a newer plugin: treat it as provisional.
    pub enum Evidence {
        /// Matched by name only (姓名匹配).
        Name = 0 => "name",
        /// Matched by name, and a department name agrees.
        NameDepartment = 1 => "name_department",
        /// An operator chose it (a person decided).
        Operator = 2 => "operator",
        /// The member's consented WeCom mobile or email equals the account's.
        Contact = 3 => "contact",
        /// The member proved the account with its platform credentials.
        Password = 4 => "password",
        /// From a mapping file the operator imported (`userid,account_id`).
        Imported = 5 => "imported",
        /// Followed a userid change in WeCom (the same person under a new userid).
        Rename = 6 => "rename",
        /// The account was created for this member (the host never binds an existing account this way).
        Created = 7 => "created",
    }
}

impl Default for Evidence {
    /// Bindings stored before evidence existed count as name matches: provisional.
    fn default() -> Self {
        Evidence::Name
    }
}

/// A WeCom member bound to a platform account (one to one), with the evidence it rests on.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Binding {
    /// WeCom userid.
    pub userid: RString,
    /// Platform account id.
    pub account_id: RString,
    /// How it was made.
    #[serde(default)]
    pub evidence: Evidence,
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
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

crate::open_enum! {
    /// What a row of the binding table proposes. A value from a newer plugin: show the row's
    /// label and reason, and treat it as waiting for the operator.
    pub enum RowKind {
        /// Already bound: nothing changes.
        AlreadyBound = 0 => "already_bound",
        /// 姓名匹配: exactly one unbound platform account has the same name and no department
        /// disagrees; bound at commit (provisional evidence, confirmed at first login).
        NameMatch = 1 => "name_match",
        /// Two or more candidates: the operator decides, or the member at first login; skipped at
        /// commit otherwise.
        Ambiguous = 2 => "ambiguous",
        /// No account of that name: a new platform account is created at commit.
        NoMatch = 3 => "no_match",
        /// Bound, but the member is disabled, has left, or is gone from a complete snapshot:
        /// proposed for unbinding, applied only when the operator confirms.
        LeftWecom = 4 => "left_wecom",
        /// 姓名匹配·部门不一致: one account has the name, but both sides have departments and none
        /// agrees. Not bound unless the operator accepts it.
        NameMatchDepartmentsDiffer = 5 => "name_match_departments_differ",
        /// A bound member vanished from a complete read while exactly one new member with the same
        /// name and departments appeared: probably a changed userid. The account is proposed for
        /// the new userid; applied only when the operator confirms (`confirm_rename`).
        RenameProposed = 6 => "rename_proposed",
        /// 姓名仅空格不同: no account has the member's name (or every account that has it went
        /// to another member of the name), but accounts whose name differs only by spaces between
        /// Chinese characters ("王 晓楷" for 王晓楷) are offered as `candidates` (added in 0.2.x;
        /// such accounts are also listed in the `candidates` of ambiguous rows and, as
        /// alternatives, of name-match rows of that name, never as their proposed account). Never bound by itself: the member proves one at first login (password,
        /// or consented contact), or the operator binds it; skipped at commit otherwise. Counted
        /// apart in [`Proposal::name_spacing_differs`].
        NameSpacingDiffers = 7 => "name_spacing_differs",
    }
}

/// A platform account offered for a WeCom member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Platform account id.
    pub account_id: RString,
    /// Its display name.
    pub account_name: RString,
    /// Its departments on the platform.
    pub departments: RVec<RString>,
    /// True when one of its departments has the same name as one of the member's.
    pub department_agrees: bool,
    /// True when the account's mobile or email is known (a login can then confirm it by contact).
    #[serde(default)]
    pub has_contact: bool,
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
    /// The candidates, never one picked silently: on ambiguous rows the name's accounts (and
    /// those differing only by spacing), on `name_spacing_differs` rows the spacing variants, on
    /// a name match its alternatives (spacing variants; the proposed account is `account`). A
    /// name shared by many accounts lists only the likeliest (agreeing departments first);
    /// [`ProposalRow::candidates_total`] says how many there were.
    pub candidates: RVec<Candidate>,
    /// The tag shown in the table, e.g. 姓名匹配 / name match; empty when none.
    pub label: Text,
    /// Why the row is what it is.
    pub reason: Text,
    /// The evidence the row's binding has (bound rows) or will have when committed as proposed.
    #[serde(default)]
    pub evidence: Evidence,
    /// For a rename row: the userid the account is bound to now; empty otherwise.
    #[serde(default)]
    pub previous_userid: RString,
    /// Fields added in later 0.2.x releases: [`ext_keys::CANDIDATES_TOTAL`].
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

impl ProposalRow {
    /// How many accounts the row could offer: more than `candidates` lists when the plugin listed
    /// only the likeliest ([`ext_keys::CANDIDATES_TOTAL`]); otherwise the length of `candidates`.
    pub fn candidates_total(&self) -> u64 {
        let listed = self.candidates.len() as u64;
        self.ext.get::<u64>(ext_keys::CANDIDATES_TOTAL).map_or(listed, |total| total.max(listed))
    }

    /// Sets [`ProposalRow::candidates_total`]; nothing is written when `candidates` lists them all.
    pub fn set_candidates_total(&mut self, total: u64) {
        if total > self.candidates.len() as u64 {
            self.ext.set(ext_keys::CANDIDATES_TOTAL, &total);
        }
    }
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
    /// Name matches whose departments disagree (counted apart: to check).
    #[serde(default)]
    pub name_departments_differ: u64,
    /// Probable userid renames waiting for the operator.
    #[serde(default)]
    pub renames: u64,
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
    /// Fields added in later 0.2.x releases: [`ext_keys::NAME_SPACING_DIFFERS`].
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

impl Proposal {
    /// Rows whose account names differ from the member's only by spacing
    /// ([`RowKind::NameSpacingDiffers`], ext key [`ext_keys::NAME_SPACING_DIFFERS`]); 0 from a
    /// plugin that predates it.
    pub fn name_spacing_differs(&self) -> u64 {
        self.ext.get(ext_keys::NAME_SPACING_DIFFERS).unwrap_or(0)
    }
}

crate::open_enum! {
    /// The table filter of the guide. A value from a newer host: the plugin answers every row.
    pub enum RowFilter {
        /// Every row.
        All = 0 => "all",
        /// Rows with no account bound or proposed (ambiguous and no-match rows).
        Unbound = 1 => "unbound",
        /// Rows that wait for the operator: ambiguous, departments differ, renames, removals.
        ToCheck = 2 => "to_check",
    }
}

impl Default for RowFilter {
    fn default() -> Self {
        RowFilter::All
    }
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

crate::open_enum! {
    /// What the operator did to a row. A value the plugin does not know is refused
    /// (`binding.edit_unknown`), never ignored.
    pub enum EditKind {
        /// Bind the member to `account_id` (rebind, resolve an ambiguous row, accept a name match
        /// whose departments differ).
        Bind = 0 => "bind",
        /// Remove the proposed pair: the member gets a new account instead.
        Unbind = 1 => "unbind",
        /// Leave the member out of this commit (no binding, no new account).
        Skip = 2 => "skip",
        /// Confirm a proposed removal (left-WeCom row).
        ConfirmRemoval = 3 => "confirm_removal",
        /// Confirm a proposed rename: the account moves to the new userid (evidence `rename`).
        ConfirmRename = 4 => "confirm_rename",
    }
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
    /// The evidence a `bind` records: `operator` (a person chose it), or `imported` for a
    /// mapping file. Other values are refused for edits.
    #[serde(default = "operator_evidence")]
    pub evidence: Evidence,
}

fn operator_evidence() -> Evidence {
    Evidence::Operator
}

/// The mass-removal safeguard (Okta's import safeguard, Entra's deletion threshold): a change that
/// would unbind or disable more than 10 % of the current bindings (and at least 20), or more than
/// `max_removals` when that is set, is refused unless `confirmed_removals` equals its exact count.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RemovalGuard {
    /// A fixed limit instead of the 10 % rule; 0 = the 10 % rule.
    pub max_removals: u64,
    /// The exact number of removals the operator confirmed (`--confirm-removals N`); 0 = none.
    pub confirmed_removals: u64,
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
    /// The mass-removal safeguard.
    #[serde(default)]
    pub removal_guard: RemovalGuard,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
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
    /// Why (for the audit trail and the log).
    #[serde(default)]
    pub reason: Text,
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
    /// Department removed from the platform's tree (gone from a complete read, or a
    /// `delete_party` event). A removal waits while a mirrored department still names it as
    /// parent (WeCom deletes only empty departments; children are removed first, in the same
    /// change set). Members keep their accounts; the host drops the department from them.
    #[serde(default)]
    pub removed: bool,
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
    /// Departments created, renamed, moved or removed.
    pub department_changes: u64,
    /// Accounts disabled (leavers under the `disable` policy).
    #[serde(default)]
    pub accounts_disabled: u64,
    /// Existing bindings whose evidence changed (confirmed at login, renamed).
    #[serde(default)]
    pub bindings_updated: u64,
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
    /// Bindings to existing accounts. A binding whose userid is already bound replaces it (same
    /// account: new evidence; the host keeps one binding per userid and per account).
    pub create_bindings: RVec<Binding>,
    /// Bindings to remove. Applied before `create_bindings`.
    pub remove_bindings: RVec<Unbinding>,
    /// Counts.
    pub summary: CommitSummary,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}
