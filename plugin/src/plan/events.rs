//! One contact change at a time, in arrival order, against the overlay.

use super::state::Overlay;
use interface::{
    ChangeKind, DepartmentChange, DirectoryChange, EventPlan, MemberStatus, NewAccount, NewMembers, OnLeave, Plan,
    PlanInput, PlanVerdict, Text,
};
use std::collections::HashSet;

/// Plans a batch of changes.
pub(super) fn plan(input: &PlanInput) -> Plan {
    let mut overlay = Overlay::new(input);
    let scope = ScopeView::new(input, &overlay);
    let mut events = Vec::with_capacity(input.changes.len());
    for change in input.changes.iter() {
        let (verdict, reason) = decide(change, &mut overlay, &scope, input);
        events.push(EventPlan {
            change_type: change.change_type.clone(),
            dedup_key: change.dedup_key.clone(),
            subject: subject(change).into(),
            verdict,
            reason,
        });
    }
    let needs_full_read = events.iter().any(|e| e.verdict == PlanVerdict::NeedsFullRead);
    let changes = overlay.into_changes(batch_id(input));
    Plan { changes, events: events.into(), needs_full_read, ext: Default::default() }
}

/// The name the batch's change set carries (the audit's snapshot id): its events' keys, or for a
/// large batch the first and last with the count, so that a burst does not write kilobytes into
/// every audit row.
fn batch_id(input: &PlanInput) -> String {
    let keys: Vec<&str> = input.changes.iter().map(|c| c.dedup_key.as_str()).collect();
    match keys.as_slice() {
        [first, .., last] if keys.len() > 4 => format!("callback:{first}..{last} ({} events)", keys.len()),
        _ => format!("callback:{}", keys.join(",")),
    }
}

/// The synced scope, indexed once per batch.
struct ScopeView {
    users: HashSet<String>,
    /// Chosen departments and every department the platform mirrors (a sync mirrors exactly the
    /// scope's departments, sub-departments included).
    departments: HashSet<u32>,
    by_departments: bool,
    by_tags: bool,
}

impl ScopeView {
    fn new(input: &PlanInput, overlay: &Overlay<'_>) -> Self {
        let by_departments = !input.scope.department_ids.is_empty();
        let departments = if by_departments {
            input.scope.department_ids.iter().copied().chain(overlay.department_ids()).collect()
        } else {
            HashSet::new()
        };
        ScopeView {
            users: input.scope.user_ids.iter().map(|u| u.as_str().to_lowercase()).collect(),
            departments,
            by_departments,
            by_tags: !input.scope.tag_ids.is_empty(),
        }
    }

    /// Whether a member is in scope, as far as one event tells (`None`: it cannot tell).
    fn member(&self, userid: &str, departments: Option<&[u32]>) -> Option<bool> {
        if self.users.contains(&userid.to_lowercase()) {
            return Some(true);
        }
        let ids = departments?;
        if ids.iter().any(|d| self.departments.contains(d)) {
            Some(true)
        } else if self.by_tags {
            // A tag may still bring the member in; the tag's own event asks for the full read.
            None
        } else {
            Some(false)
        }
    }
}

type Decision = (PlanVerdict, Text);

fn decide(change: &DirectoryChange, overlay: &mut Overlay<'_>, scope: &ScopeView, input: &PlanInput) -> Decision {
    match change.kind {
        ChangeKind::MemberDeleted => leave(change, overlay, input, ("已从企业微信删除", "was deleted in WeCom")),
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated => member(change, overlay, scope, input),
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted => {
            department(change, overlay, scope)
        }
        ChangeKind::TagMembersChanged if input.scope.tag_ids.contains(&change.tag_id) => full_read(Text::new(
            format!("同步范围内的标签 {} 成员变化：需完整读取同步范围。", change.tag_id),
            format!("Members of tag {} in the synced scope changed: the scope needs a full read.", change.tag_id),
        )),
        ChangeKind::TagMembersChanged => ignore(Text::new(
            format!("标签 {} 不在同步范围内。", change.tag_id),
            format!("Tag {} is outside the synced scope.", change.tag_id),
        )),
        other => ignore(Text::new(
            format!("未知的变更类型 {other:?}：留待定期核对。"),
            format!("Unknown change kind {other:?}: left to the reconcile."),
        )),
    }
}

fn member(change: &DirectoryChange, overlay: &mut Overlay<'_>, scope: &ScopeView, input: &PlanInput) -> Decision {
    let old = change.userid.as_str();
    let new = change.new_userid.as_str();
    let current = if new.is_empty() { old } else { new };
    if matches!(change.status, abi_stable::std_types::ROption::RSome(MemberStatus::Disabled | MemberStatus::Left)) {
        return leave(change, overlay, input, ("已在企业微信停用或离职", "was disabled or left in WeCom"));
    }
    if !new.is_empty() && !new.eq_ignore_ascii_case(old) {
        if let Some(b) = overlay.binding(old).cloned() {
            if overlay.binding(new).is_some_and(|taken| taken.account_id != b.account_id) {
                return (
                    PlanVerdict::Operator,
                    Text::new(
                        format!("成员 {old} 改为 {new}，但 {new} 已绑定其他账号：请管理员在绑定表中处理。"),
                        format!("{old} became {new}, but {new} is bound to another account: the operator decides."),
                    ),
                );
            }
            overlay.unbind(old, false, Text::new(format!("成员账号改为 {new}"), format!("userid became {new}")));
            overlay.bind(new, &b.account_id, crate::binding::evidence::after_rename(b.evidence));
            return apply(Text::new(
                format!("成员账号 {old} 改为 {new}：绑定保留（账号 {}）。", b.account_id),
                format!("userid {old} became {new}: the binding is kept (account {}).", b.account_id),
            ));
        }
    }
    let departments = change.department_ids.as_ref().into_option().map(|d| d.as_slice());
    let in_scope = scope.member(current, departments);
    if overlay.binding(current).is_some() {
        return match in_scope {
            Some(false) => full_read(Text::new(
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
        Some(true) => new_member(change, current, overlay, input),
        Some(false) => ignore(Text::new(
            format!("成员 {current} 不在同步范围内。"),
            format!("Member {current} is outside the synced scope."),
        )),
        None => full_read(Text::new(
            format!("无法从事件判断成员 {current} 是否在同步范围内：需完整读取。"),
            format!("The event does not tell whether {current} is in the synced scope: a full read decides."),
        )),
    }
}

fn new_member(change: &DirectoryChange, userid: &str, overlay: &mut Overlay<'_>, input: &PlanInput) -> Decision {
    if input.policy.new_members != NewMembers::Create {
        return (
            PlanVerdict::Operator,
            Text::new(
                format!("新成员 {userid}：按主机策略不自动建号，留待管理员同步。"),
                format!("New member {userid}: the host's policy leaves new members to the operator's sync."),
            ),
        );
    }
    let name = match change.name.as_ref().into_option().map(|n| n.trim()) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => {
            return full_read(Text::new(
                format!("新成员 {userid} 的姓名未知：需完整读取。"),
                format!("New member {userid} has no known name: a full read decides."),
            ))
        }
    };
    if overlay.open_account_named(&name) {
        return (
            PlanVerdict::Operator,
            Text::new(
                format!("新成员 {name}（{userid}）与未绑定的平台账号同名：由管理员在绑定表中确认（姓名匹配）。"),
                format!("New member {name} ({userid}) has the name of an unbound account: the operator confirms the name match."),
            ),
        );
    }
    // The binding table's spacing rule: such accounts are its candidates for this member, so no
    // account is created beside them; the operator's next sync offers them (姓名仅空格不同).
    let spaced = overlay.open_accounts_spaced_from(&name);
    if spaced > 0 {
        return (
            PlanVerdict::Operator,
            Text::new(
                format!(
                    "新成员 {userid}：有 {spaced} 个未绑定的平台账号姓名与其仅空格不同（如「王 晓楷」与「王晓楷」）：不新建账号，由管理员在下次同步的绑定表中确认（姓名仅空格不同）。"
                ),
                format!(
                    "New member {userid}: {spaced} unbound platform accounts have names that differ from theirs only by \
                     spacing (e.g. \"王 晓楷\" for \"王晓楷\"): no account is created; the operator confirms one in the \
                     next sync's binding table (names differ only by spacing)."
                ),
            ),
        );
    }
    let (departments, department_wecom_ids): (Vec<_>, Vec<_>) = match change.department_ids.as_ref().into_option() {
        Some(ids) => ids.iter().filter_map(|id| overlay.department(*id).map(|d| (d.name.clone(), d.wecom_id))).unzip(),
        None => (Vec::new(), Vec::new()),
    };
    overlay.create_account(NewAccount {
        userid: userid.into(),
        name: name.as_str().into(),
        departments: departments.into(),
        department_wecom_ids: department_wecom_ids.into(),
    });
    apply(Text::new(
        format!("同步范围内的新成员 {name}（{userid}）：新建平台账号。"),
        format!("New member {name} ({userid}) in the synced scope: a platform account is created."),
    ))
}

/// A member who is gone: the binding is removed at once, the account disabled if the policy says so.
fn leave(change: &DirectoryChange, overlay: &mut Overlay<'_>, input: &PlanInput, why: (&str, &str)) -> Decision {
    let (why_zh, why_en) = why;
    let userid = change.userid.as_str();
    let found = overlay.binding(userid).or_else(|| overlay.binding(change.new_userid.as_str())).cloned();
    let Some(b) = found else {
        return ignore(Text::new(
            format!("成员 {userid} {why_zh}，但未绑定平台账号，无需变更。"),
            format!("Member {userid} {why_en} but is not bound to an account; nothing changes."),
        ));
    };
    let disable = input.policy.on_leave == OnLeave::Disable;
    let account = b.account_id.as_str();
    let (then_zh, then_en) = if disable {
        (format!("解除绑定并停用账号 {account}"), format!("unbound, account {account} disabled"))
    } else {
        (format!("解除绑定（账号 {account} 保留启用）"), format!("unbound (account {account} stays enabled)"))
    };
    let reason =
        Text::new(format!("成员 {userid} {why_zh}：{then_zh}。"), format!("Member {userid} {why_en}: {then_en}."));
    overlay.unbind(&b.userid, disable, reason.clone());
    apply(reason)
}

fn department(change: &DirectoryChange, overlay: &mut Overlay<'_>, scope: &ScopeView) -> Decision {
    let id = change.department_id;
    if !scope.by_departments {
        return ignore(Text::new(
            format!("部门 {id}：同步范围不含部门结构（按成员或标签同步）。"),
            format!("Department {id}: the synced scope does not include the department structure."),
        ));
    }
    let outside = || {
        ignore(Text::new(
            format!("部门 {id} 不在同步范围内。"),
            format!("Department {id} is outside the synced scope."),
        ))
    };
    let mirrored = overlay.department(id).cloned();
    match (change.kind, mirrored) {
        (ChangeKind::DepartmentDeleted, Some(d)) if overlay.has_children(id) => full_read(Text::new(
            format!("部门 {}（{id}）已在企业微信删除，但平台上仍有子部门：由完整读取移除。", d.name),
            format!(
                "Department {} ({id}) was deleted in WeCom but still has sub-departments here: a full read removes it.",
                d.name
            ),
        )),
        (ChangeKind::DepartmentDeleted, Some(d)) => {
            overlay.change_department(crate::binding::department_removal(&d));
            apply(Text::new(
                format!("部门 {}（{id}）已在企业微信删除：从平台部门树移除（成员保留账号）。", d.name),
                format!("Department {} ({id}) was deleted in WeCom: removed from the platform's tree (members keep their accounts).", d.name),
            ))
        }
        (ChangeKind::DepartmentDeleted, None) => outside(),
        (_, Some(d)) => {
            let name = change
                .department_name
                .as_ref()
                .into_option()
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| d.name.clone());
            let parent = change.parent_id.into_option().unwrap_or(d.parent_wecom_id);
            let order = change.order.into_option().unwrap_or(d.order);
            if !scope.departments.contains(&parent) && !scope.departments.contains(&id) {
                return full_read(Text::new(
                    format!("部门 {id} 移出了同步范围：由完整读取决定其成员。"),
                    format!("Department {id} moved out of the synced scope: a full read decides about its members."),
                ));
            }
            let renamed = name != d.name;
            let moved = parent != d.parent_wecom_id || order != d.order;
            if !(renamed || moved) {
                return ignore(Text::new(format!("部门 {id} 无变化。"), format!("Department {id} is unchanged.")));
            }
            let reason = if renamed {
                Text::new(format!("部门 {id} 改名为 {name}。"), format!("Department {id} renamed to {name}."))
            } else {
                Text::new(
                    format!("部门 {name}（{id}）移动或调整顺序。"),
                    format!("Department {name} ({id}) moved or reordered."),
                )
            };
            overlay.change_department(DepartmentChange {
                wecom_id: id,
                name,
                parent_wecom_id: parent,
                order,
                created: false,
                renamed,
                moved,
                removed: false,
            });
            apply(reason)
        }
        (ChangeKind::DepartmentCreated, None) => {
            let name = change.department_name.as_ref().into_option().filter(|n| !n.is_empty()).cloned();
            match (change.parent_id.into_option(), name) {
                (Some(parent), Some(name))
                    if scope.departments.contains(&parent) || overlay.department(parent).is_some() =>
                {
                    let reason =
                        Text::new(format!("新建部门 {name}（{id}）。"), format!("New department {name} ({id})."));
                    overlay.change_department(DepartmentChange {
                        wecom_id: id,
                        name,
                        parent_wecom_id: parent,
                        order: change.order.into_option().unwrap_or(0),
                        created: true,
                        renamed: false,
                        moved: false,
                        removed: false,
                    });
                    apply(reason)
                }
                (Some(parent), _) if scope.departments.contains(&parent) => full_read(Text::new(
                    format!("新部门 {id} 的名称未知：需完整读取。"),
                    format!("New department {id} has no known name: it needs a full read."),
                )),
                _ => outside(),
            }
        }
        (_, None) => match change.parent_id.into_option() {
            Some(parent) if scope.departments.contains(&parent) => full_read(Text::new(
                format!("部门 {id} 移入了同步范围：需完整读取其成员。"),
                format!("Department {id} moved into the synced scope: its members need a full read."),
            )),
            _ => outside(),
        },
    }
}

fn subject(change: &DirectoryChange) -> String {
    match change.kind {
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated | ChangeKind::MemberDeleted => {
            format!("user:{}", change.userid)
        }
        ChangeKind::TagMembersChanged => format!("tag:{}", change.tag_id),
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted => {
            format!("department:{}", change.department_id)
        }
        _ => String::new(),
    }
}

fn apply(reason: Text) -> Decision {
    (PlanVerdict::Apply, reason)
}

fn ignore(reason: Text) -> Decision {
    (PlanVerdict::Ignore, reason)
}

fn full_read(reason: Text) -> Decision {
    (PlanVerdict::NeedsFullRead, reason)
}
