//! The decision for one contact change, as a pure function: the change (as the plugin decoded
//! and completed it), the store as read, the synced scope and the host's policy in; a change set
//! of the same kind `commit` produces out, or "nothing to do", or "only a full read can tell"
//! (the reconcile). No I/O, no clock: [`super::follow`] does the reading and the writing.
//!
//! Callbacks are hints (wecom-api.md §10.1, §13.1): where an event alone cannot say whether a
//! member is in the synced scope (a tag scope, departments not sent), nothing is decided here and
//! the reconcile, which reads the whole scope, settles it. A removal never waits for that: a bound
//! member who is deleted or disabled in WeCom loses the binding at once, whatever the scope.

use super::policy::{NewMembers, OnLeave, Policy};
use crate::workflow::StoreState;
use abi_stable::std_types::{ROption, RVec};
use interface::{
    Binding, ChangeKind, ChangeSet, CommitSummary, DepartmentChange, DirectoryChange, MemberStatus, NewAccount,
    ScopeSelection, Text, Unbinding,
};
use serde::Serialize;
use std::collections::HashSet;

/// What to do with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Apply the change set (in one transaction).
    Apply,
    /// Nothing to change.
    Ignore,
    /// The event cannot be judged alone: run the reconcile (a full read of the scope).
    Reconcile,
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What to do.
    pub verdict: Verdict,
    /// The change set to apply (empty unless `Apply`).
    pub changes: ChangeSet,
    /// Why, for the log and the operator.
    pub reason: Text,
}

/// Whether a member is in the synced scope, as far as one event tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InScope {
    Yes,
    No,
    Unknown,
}

/// Decides what `change` does to the store.
pub fn decide(change: &DirectoryChange, state: &StoreState, scope: &ScopeSelection, policy: Policy) -> Decision {
    let mut decision = match change.kind {
        ChangeKind::MemberDeleted => leave(change, state, policy, "已从企业微信删除", "was deleted in WeCom"),
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated => member(change, state, scope, policy),
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted => {
            department(change, state, scope)
        }
        ChangeKind::TagMembersChanged if scope.tag_ids.contains(&change.tag_id) => reconcile(Text::new(
            format!("同步范围内的标签 {} 成员变化：需完整读取同步范围。", change.tag_id),
            format!("Members of tag {} in the synced scope changed: the scope needs a full read.", change.tag_id),
        )),
        ChangeKind::TagMembersChanged => ignore(Text::new(
            format!("标签 {} 不在同步范围内。", change.tag_id),
            format!("Tag {} is outside the synced scope.", change.tag_id),
        )),
    };
    decision.changes.snapshot_id = format!("callback:{}", change.dedup_key).into();
    decision
}

fn member(change: &DirectoryChange, state: &StoreState, scope: &ScopeSelection, policy: Policy) -> Decision {
    let old = change.userid.as_str();
    let new = change.new_userid.as_str();
    let current = if new.is_empty() { old } else { new };
    if matches!(change.status, ROption::RSome(MemberStatus::Disabled | MemberStatus::Left)) {
        return leave(change, state, policy, "已在企业微信停用或离职", "was disabled or left in WeCom");
    }
    if !new.is_empty() && new != old {
        if let Some(b) = binding_of(state, old) {
            if binding_of(state, new).is_some_and(|taken| taken.account_id != b.account_id) {
                return ignore(Text::new(
                    format!("成员 {old} 改为 {new}，但 {new} 已绑定其他账号：请管理员在绑定表中处理。"),
                    format!("{old} became {new}, but {new} is bound to another account: the operator decides."),
                ));
            }
            let mut changes = ChangeSet::default();
            changes.remove_bindings.push(Unbinding {
                userid: b.userid.clone(),
                account_id: b.account_id.clone(),
                disable_account: false,
            });
            changes.create_bindings.push(Binding { userid: new.into(), account_id: b.account_id.clone() });
            changes.summary =
                CommitSummary { wecom_users_synced: 1, bindings_made: 1, bindings_removed: 1, ..Default::default() };
            return apply(
                changes,
                Text::new(
                    format!("成员账号 {old} 改为 {new}：绑定保留（账号 {}）。", b.account_id),
                    format!("userid {old} became {new}: the binding is kept (account {}).", b.account_id),
                ),
            );
        }
    }
    let in_scope = member_in_scope(current, &change.department_ids, state, scope);
    if binding_of(state, current).is_some() {
        return match in_scope {
            InScope::No => reconcile(Text::new(
                format!("已绑定的成员 {current} 调出了同步范围：由完整读取决定是否解除绑定。"),
                format!("Bound member {current} moved out of the synced scope: a full read decides the removal."),
            )),
            _ => ignore(Text::new(
                format!("成员 {current} 已绑定，无需变更。"),
                format!("Member {current} is already bound; nothing changes."),
            )),
        };
    }
    match in_scope {
        InScope::Yes => new_member(change, current, state, policy),
        InScope::No => ignore(Text::new(
            format!("成员 {current} 不在同步范围内。"),
            format!("Member {current} is outside the synced scope."),
        )),
        InScope::Unknown => ignore(Text::new(
            format!("无法从事件判断成员 {current} 是否在同步范围内：留待定期核对。"),
            format!("The event does not tell whether {current} is in the synced scope: left to the reconcile."),
        )),
    }
}

fn new_member(change: &DirectoryChange, userid: &str, state: &StoreState, policy: Policy) -> Decision {
    if policy.new_members == NewMembers::Ignore {
        return ignore(Text::new(
            format!("新成员 {userid}：按主机策略不自动建号，留待管理员同步。"),
            format!("New member {userid}: the host's policy leaves new members to the operator's sync."),
        ));
    }
    let name = match &change.name {
        ROption::RSome(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => {
            return ignore(Text::new(
                format!("新成员 {userid} 的姓名未知：留待定期核对。"),
                format!("New member {userid} has no known name: left to the reconcile."),
            ))
        }
    };
    let bound: HashSet<&str> = state.bindings.iter().map(|b| b.account_id.as_str()).collect();
    if state.accounts.iter().any(|a| a.enabled && a.name.trim() == name && !bound.contains(a.id.as_str())) {
        return ignore(Text::new(
            format!("新成员 {name}（{userid}）与未绑定的平台账号同名：由管理员在绑定表中确认（姓名匹配）。"),
            format!("New member {name} ({userid}) has the name of an unbound account: the operator confirms the name match."),
        ));
    }
    let (departments, department_wecom_ids): (Vec<_>, Vec<_>) = match &change.department_ids {
        ROption::RSome(ids) => ids
            .iter()
            .filter_map(|id| state.departments.iter().find(|d| d.wecom_id == *id).map(|d| (d.name.clone(), d.wecom_id)))
            .unzip(),
        ROption::RNone => (Vec::new(), Vec::new()),
    };
    let mut changes = ChangeSet::default();
    changes.create_accounts.push(NewAccount {
        userid: userid.into(),
        name: name.as_str().into(),
        departments: departments.into(),
        department_wecom_ids: department_wecom_ids.into(),
    });
    changes.summary = CommitSummary { wecom_users_synced: 1, accounts_created: 1, ..Default::default() };
    apply(
        changes,
        Text::new(
            format!("同步范围内的新成员 {name}（{userid}）：新建平台账号。"),
            format!("New member {name} ({userid}) in the synced scope: a platform account is created."),
        ),
    )
}

/// A member who is gone: the binding is removed at once, the account disabled if the policy says so.
fn leave(change: &DirectoryChange, state: &StoreState, policy: Policy, why_zh: &str, why_en: &str) -> Decision {
    let userid = change.userid.as_str();
    let found = binding_of(state, userid).or_else(|| binding_of(state, change.new_userid.as_str()));
    let Some(b) = found else {
        return ignore(Text::new(
            format!("成员 {userid} {why_zh}，但未绑定平台账号，无需变更。"),
            format!("Member {userid} {why_en} but is not bound to an account; nothing changes."),
        ));
    };
    let disable_account = policy.on_leave == OnLeave::Disable;
    let mut changes = ChangeSet::default();
    changes.remove_bindings.push(Unbinding {
        userid: b.userid.clone(),
        account_id: b.account_id.clone(),
        disable_account,
    });
    changes.summary = CommitSummary { wecom_users_synced: 1, bindings_removed: 1, ..Default::default() };
    let account = b.account_id.as_str();
    let (then_zh, then_en) = if disable_account {
        (format!("解除绑定并停用账号 {account}"), format!("unbound, account {account} disabled"))
    } else {
        (format!("解除绑定（账号 {account} 保留启用）"), format!("unbound (account {account} stays enabled)"))
    };
    apply(
        changes,
        Text::new(format!("成员 {userid} {why_zh}：{then_zh}。"), format!("Member {userid} {why_en}: {then_en}.")),
    )
}

fn department(change: &DirectoryChange, state: &StoreState, scope: &ScopeSelection) -> Decision {
    let id = change.department_id;
    if scope.department_ids.is_empty() {
        return ignore(Text::new(
            format!("部门 {id}：同步范围不含部门结构（按成员或标签同步）。"),
            format!("Department {id}: the synced scope does not include the department structure."),
        ));
    }
    let in_scope = scope_departments(state, scope);
    let mirrored = state.departments.iter().find(|d| d.wecom_id == id);
    let outside = || {
        ignore(Text::new(
            format!("部门 {id} 不在同步范围内。"),
            format!("Department {id} is outside the synced scope."),
        ))
    };
    match (change.kind, mirrored) {
        (ChangeKind::DepartmentDeleted, Some(_)) => ignore(Text::new(
            format!("部门 {id} 已在企业微信删除：平台保留该部门（企业微信只能删除空部门，成员不受影响）。"),
            format!("Department {id} was deleted in WeCom: the platform keeps it (WeCom deletes only empty departments, so no member is affected)."),
        )),
        (ChangeKind::DepartmentDeleted, None) => outside(),
        (_, Some(d)) => {
            let name = change.department_name.as_ref().into_option().cloned().filter(|n| !n.is_empty()).unwrap_or_else(|| d.name.clone());
            let parent = change.parent_id.into_option().unwrap_or(d.parent_wecom_id);
            let order = change.order.into_option().unwrap_or(d.order);
            if !scope.department_ids.contains(&id) && !in_scope.contains(&parent) {
                return reconcile(Text::new(
                    format!("部门 {id} 移出了同步范围：由完整读取决定其成员。"),
                    format!("Department {id} moved out of the synced scope: a full read decides about its members."),
                ));
            }
            let renamed = name != d.name;
            let moved = parent != d.parent_wecom_id || order != d.order;
            if !(renamed || moved) {
                return ignore(Text::new(format!("部门 {id} 无变化。"), format!("Department {id} is unchanged.")));
            }
            department_change(DepartmentChange { wecom_id: id, name, parent_wecom_id: parent, order, created: false, renamed, moved })
        }
        (ChangeKind::DepartmentCreated, None) => {
            let name = change.department_name.as_ref().into_option().cloned().filter(|n| !n.is_empty());
            match (change.parent_id.into_option(), name) {
                (Some(parent), Some(name)) if in_scope.contains(&parent) => department_change(DepartmentChange {
                    wecom_id: id,
                    name,
                    parent_wecom_id: parent,
                    order: change.order.into_option().unwrap_or(0),
                    created: true,
                    renamed: false,
                    moved: false,
                }),
                (Some(parent), _) if in_scope.contains(&parent) => reconcile(Text::new(
                    format!("新部门 {id} 的名称未知：需完整读取。"),
                    format!("New department {id} has no known name: it needs a full read."),
                )),
                _ => outside(),
            }
        }
        (_, None) => match change.parent_id.into_option() {
            Some(parent) if in_scope.contains(&parent) => reconcile(Text::new(
                format!("部门 {id} 移入了同步范围：需完整读取其成员。"),
                format!("Department {id} moved into the synced scope: its members need a full read."),
            )),
            _ => outside(),
        },
    }
}

fn department_change(d: DepartmentChange) -> Decision {
    let reason = match (d.created, d.renamed) {
        (true, _) => Text::new(
            format!("新建部门 {}（{}）。", d.name, d.wecom_id),
            format!("New department {} ({}).", d.name, d.wecom_id),
        ),
        (_, true) => Text::new(
            format!("部门 {} 改名为 {}。", d.wecom_id, d.name),
            format!("Department {} renamed to {}.", d.wecom_id, d.name),
        ),
        _ => Text::new(
            format!("部门 {}（{}）移动或调整顺序。", d.name, d.wecom_id),
            format!("Department {} ({}) moved or reordered.", d.name, d.wecom_id),
        ),
    };
    let mut changes = ChangeSet::default();
    changes.departments.push(d);
    changes.summary = CommitSummary { department_changes: 1, ..Default::default() };
    apply(changes, reason)
}

/// Departments of the synced scope: the chosen ones and every department the platform mirrors
/// (a sync mirrors exactly the scope's departments, sub-departments included).
fn scope_departments(state: &StoreState, scope: &ScopeSelection) -> HashSet<u32> {
    if scope.department_ids.is_empty() {
        return HashSet::new();
    }
    scope.department_ids.iter().copied().chain(state.departments.iter().map(|d| d.wecom_id)).collect()
}

fn member_in_scope(
    userid: &str,
    departments: &ROption<RVec<u32>>,
    state: &StoreState,
    scope: &ScopeSelection,
) -> InScope {
    if scope.user_ids.iter().any(|u| u.as_str().eq_ignore_ascii_case(userid)) {
        return InScope::Yes;
    }
    let ROption::RSome(ids) = departments else { return InScope::Unknown };
    let in_scope = scope_departments(state, scope);
    if ids.iter().any(|d| in_scope.contains(d)) {
        InScope::Yes
    } else if scope.tag_ids.is_empty() {
        InScope::No
    } else {
        // A tag may still bring the member in; the tag's own event triggers the reconcile.
        InScope::Unknown
    }
}

/// The binding of a userid (WeCom userids are case-insensitive).
fn binding_of<'a>(state: &'a StoreState, userid: &str) -> Option<&'a Binding> {
    if userid.is_empty() {
        return None;
    }
    state.bindings.iter().find(|b| b.userid.as_str().eq_ignore_ascii_case(userid))
}

fn apply(changes: ChangeSet, reason: Text) -> Decision {
    Decision { verdict: Verdict::Apply, changes, reason }
}

fn ignore(reason: Text) -> Decision {
    Decision { verdict: Verdict::Ignore, changes: ChangeSet::default(), reason }
}

fn reconcile(reason: Text) -> Decision {
    Decision { verdict: Verdict::Reconcile, changes: ChangeSet::default(), reason }
}

#[cfg(test)]
mod tests;
