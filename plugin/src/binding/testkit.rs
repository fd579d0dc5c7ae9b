//! Test fixtures: small builders for members, accounts and inputs, and a simulated host "apply".

use interface::{
    Binding, ChangeSet, CommitInput, Department, DirectorySnapshot, Edit, EditKind, Member, MemberStatus,
    PlatformAccount, PlatformDepartment, Proposal, ProposalInput, ProposalRow, RowKind,
};
use std::collections::HashSet;

pub fn member(userid: &str, name: &str, departments: &[&str]) -> Member {
    Member {
        userid: userid.into(),
        name: name.into(),
        department_ids: Vec::new().into(),
        department_names: departments.iter().map(|d| (*d).into()).collect(),
        position: "".into(),
        status: MemberStatus::Active,
    }
}

pub fn member_in(userid: &str, name: &str, departments: &[(u32, &str)]) -> Member {
    let mut m = member(userid, name, &[]);
    m.department_ids = departments.iter().map(|(id, _)| *id).collect();
    m.department_names = departments.iter().map(|(_, n)| (*n).into()).collect();
    m
}

pub fn with_status(mut m: Member, status: MemberStatus) -> Member {
    m.status = status;
    m
}

pub fn account(id: &str, name: &str, departments: &[&str]) -> PlatformAccount {
    PlatformAccount {
        id: id.into(),
        name: name.into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        enabled: true,
        mobile: Default::default(),
        email: Default::default(),
        ext: Default::default(),
    }
}

pub fn disabled(mut a: PlatformAccount) -> PlatformAccount {
    a.enabled = false;
    a
}

pub fn bind(userid: &str, account_id: &str) -> Binding {
    Binding { userid: userid.into(), account_id: account_id.into(), evidence: Default::default() }
}

pub fn dept(id: u32, name: &str, parent_id: u32, order: u64) -> Department {
    Department { id, name: name.into(), parent_id, order }
}

pub fn platform_dept(wecom_id: u32, name: &str, parent_wecom_id: u32, order: u64) -> PlatformDepartment {
    PlatformDepartment { wecom_id, name: name.into(), parent_wecom_id, order }
}

/// A complete snapshot of `members` (sorted by userid, as the directory reader delivers them).
pub fn input(mut members: Vec<Member>, accounts: Vec<PlatformAccount>, bindings: Vec<Binding>) -> ProposalInput {
    members.sort_by(|a, b| a.userid.as_str().cmp(b.userid.as_str()));
    ProposalInput {
        snapshot: DirectorySnapshot {
            snapshot_id: "snap-1".into(),
            corp_id: "ww0000".into(),
            complete: true,
            members: members.into(),
            ..Default::default()
        },
        accounts: accounts.into(),
        bindings: bindings.into(),
        departments: Vec::new().into(),
        ext: Default::default(),
    }
}

pub fn edit(kind: EditKind, userid: &str, account_id: Option<&str>) -> Edit {
    Edit {
        kind,
        userid: userid.into(),
        account_id: account_id.map(Into::into).into(),
        evidence: interface::Evidence::Operator,
    }
}

pub fn commit_input(input: &ProposalInput, proposal: &Proposal, edits: Vec<Edit>) -> CommitInput {
    CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: edits.into(),
        removal_guard: Default::default(),
        ext: Default::default(),
    }
}

pub fn row<'a>(p: &'a Proposal, userid: &str) -> &'a ProposalRow {
    match p.rows.iter().find(|r| r.userid.as_str() == userid) {
        Some(r) => r,
        None => panic!("no row {userid} in {:#?}", p.rows),
    }
}

pub fn kind_of(p: &Proposal, userid: &str) -> RowKind {
    row(p, userid).kind
}

pub fn account_of(p: &Proposal, userid: &str) -> Option<String> {
    row(p, userid).account.as_ref().into_option().map(|c| c.account_id.to_string())
}

/// What the host does with a change set, the way host-sim's store does it: removals first, then
/// departments, new accounts (bound at creation, id `new-<userid>`), then bindings.
pub fn apply(input: &ProposalInput, changes: &ChangeSet) -> ProposalInput {
    let mut next = input.clone();
    let removed: HashSet<(String, String)> =
        changes.remove_bindings.iter().map(|u| (u.userid.as_str().to_lowercase(), u.account_id.to_string())).collect();
    let disabled: HashSet<&str> =
        changes.remove_bindings.iter().filter(|u| u.disable_account).map(|u| u.account_id.as_str()).collect();
    next.bindings.retain(|b| !removed.contains(&(b.userid.as_str().to_lowercase(), b.account_id.to_string())));
    for a in next.accounts.iter_mut() {
        if disabled.contains(a.id.as_str()) {
            a.enabled = false;
        }
    }
    for d in changes.departments.iter() {
        next.departments.retain(|p| p.wecom_id != d.wecom_id);
        next.departments.push(platform_dept(d.wecom_id, d.name.as_str(), d.parent_wecom_id, d.order));
    }
    for n in changes.create_accounts.iter() {
        let id = format!("new-{}", n.userid.as_str().to_lowercase());
        next.accounts.push(PlatformAccount {
            id: id.as_str().into(),
            name: n.name.clone(),
            departments: n.departments.clone(),
            enabled: true,
            mobile: Default::default(),
            email: Default::default(),
            ext: Default::default(),
        });
        next.bindings.push(bind(n.userid.as_str(), &id));
    }
    for b in changes.create_bindings.iter() {
        next.bindings.push(b.clone());
    }
    next
}

/// The kinds as bare names, for tables of test cases (open enums cannot be glob-imported).
#[allow(non_upper_case_globals)]
pub mod kinds {
    use interface::{EditKind, MemberStatus, RowKind};
    pub const Bind: EditKind = EditKind::Bind;
    pub const Unbind: EditKind = EditKind::Unbind;
    pub const Skip: EditKind = EditKind::Skip;
    pub const ConfirmRemoval: EditKind = EditKind::ConfirmRemoval;
    pub const ConfirmRename: EditKind = EditKind::ConfirmRename;
    pub const AlreadyBound: RowKind = RowKind::AlreadyBound;
    pub const NameMatch: RowKind = RowKind::NameMatch;
    pub const Ambiguous: RowKind = RowKind::Ambiguous;
    pub const NoMatch: RowKind = RowKind::NoMatch;
    pub const LeftWecom: RowKind = RowKind::LeftWecom;
    pub const NameMatchDepartmentsDiffer: RowKind = RowKind::NameMatchDepartmentsDiffer;
    pub const RenameProposed: RowKind = RowKind::RenameProposed;
    pub const Active: MemberStatus = MemberStatus::Active;
    pub const Disabled: MemberStatus = MemberStatus::Disabled;
    pub const Inactive: MemberStatus = MemberStatus::Inactive;
    pub const Left: MemberStatus = MemberStatus::Left;
    pub const Unknown: MemberStatus = MemberStatus::Unknown;
}
