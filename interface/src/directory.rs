use crate::{Extensions, Text};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// What the admin chose to sync. Any mix is the union. When only members or tags are chosen,
/// the department structure is not synced.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScopeSelection {
    /// Departments, each with all its sub-departments.
    pub department_ids: RVec<u32>,
    /// Individual members by WeCom userid.
    pub user_ids: RVec<RString>,
    /// Tags: their members, and the members of departments attached to them.
    pub tag_ids: RVec<u32>,
}

crate::open_enum! {
    /// A WeCom member's account status (`status` of `user/get`). A value from a newer plugin:
    /// treat the member as not active.
    pub enum MemberStatus {
        /// 1: activated.
        Active = 0 => "active",
        /// 2: disabled by the admin (已禁用).
        Disabled = 1 => "disabled",
        /// 4: invited, not yet activated (未激活).
        Inactive = 2 => "inactive",
        /// 5: left the corp (退出企业).
        Left = 3 => "left",
        /// Not reported, or a value this version does not know.
        Unknown = 4 => "unknown",
    }
}

impl Default for MemberStatus {
    fn default() -> Self {
        MemberStatus::Unknown
    }
}

/// A WeCom department.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Department id (1 is the root).
    pub id: u32,
    /// Name.
    pub name: RString,
    /// Parent id (0 for the root).
    pub parent_id: u32,
    /// Sibling order; larger sorts first (WeCom's rule).
    pub order: u64,
}

/// A WeCom member. WeCom gives a self-built app no phone, email or avatar, so none is carried.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// WeCom userid (case-insensitive in WeCom; kept as WeCom returned it).
    pub userid: RString,
    /// Display name (not unique).
    pub name: RString,
    /// Departments the app may see, by id.
    pub department_ids: RVec<u32>,
    /// The same departments by name, for display in the binding table.
    pub department_names: RVec<RString>,
    /// Job title, when WeCom gives it.
    pub position: RString,
    /// Account status.
    pub status: MemberStatus,
}

/// A WeCom tag.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag id.
    pub id: u32,
    /// Tag name.
    pub name: RString,
}

crate::open_enum! {
    /// Why part of the chosen scope is missing from a snapshot. A value from a newer plugin: show
    /// the problem's message; the snapshot's `complete` flag says whether removals may follow.
    pub enum ProblemKind {
        /// Chosen, but outside the app's visible range (可见范围).
        OutOfRange = 0 => "out_of_range",
        /// Chosen, but WeCom does not know it (deleted department, member or tag).
        NotFound = 1 => "not_found",
        /// WeCom could not be read for this part (error, timeout, rate limit): incomplete.
        ReadFailed = 2 => "read_failed",
        /// Read, but some fields were not available to this app.
        FieldsUnavailable = 3 => "fields_unavailable",
    }
}

/// One part of the scope that the snapshot does not fully cover.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeProblem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What it concerns, e.g. `department:7`, `user:zhangsan`, `tag:3`.
    pub subject: RString,
    /// A readable name for the subject when known (department or tag name).
    pub subject_name: RString,
    /// WeCom's errcode when there was one.
    pub wecom_errcode: ROption<i64>,
    /// Explanation and fix.
    pub message: Text,
}

/// The WeCom directory inside a scope, as read at one moment.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySnapshot {
    /// Content fingerprint: proposals and commits name the snapshot they were made from.
    pub snapshot_id: RString,
    /// CorpID the snapshot was read from.
    pub corp_id: RString,
    /// When the read finished (Unix seconds).
    pub taken_at_unix: i64,
    /// The scope that was asked for.
    pub scope: ScopeSelection,
    /// True when the department structure is part of the sync (a department scope was chosen).
    pub syncs_departments: bool,
    /// Departments in scope (empty unless `syncs_departments`).
    pub departments: RVec<Department>,
    /// Members in scope, each once, sorted by userid.
    pub members: RVec<Member>,
    /// The chosen tags.
    pub tags: RVec<Tag>,
    /// True only when every part of the scope was read. An incomplete snapshot never drives removals.
    pub complete: bool,
    /// What is missing or could not be read, and why.
    pub problems: RVec<ScopeProblem>,
    /// WeCom API calls the read made (including `gettoken` when one was needed).
    pub api_calls: u64,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}
