//! The department part of a change set: what the platform's mirrored tree needs so that it equals
//! the snapshot's departments. Only with a department scope; a members/tags scope does not sync
//! the structure.
//!
//! The platform mirrors only the departments in scope, so a department whose WeCom parent is
//! outside the snapshot is a top department there (parent 0): pointing it at a parent the
//! platform does not have would leave the host a dangling reference.
//!
//! A department the platform mirrors but a **complete** snapshot lacks is removed (deleted in
//! WeCom, or no longer in the synced scope: the mirror equals the scope). Removals come last,
//! children before parents, so a removal never leaves a child pointing at a missing parent (any
//! child still in scope was moved up in the same change set). An incomplete snapshot removes
//! nothing. Members keep their accounts; the host drops the department from them.

use interface::{Department, DepartmentChange, DirectorySnapshot, PlatformDepartment};
use std::collections::HashMap;

/// The parent a department gets on the platform.
pub(crate) fn platform_parent(d: &Department, in_scope: &HashMap<u32, &Department>) -> u32 {
    if d.parent_id != d.id && in_scope.contains_key(&d.parent_id) {
        d.parent_id
    } else {
        0
    }
}

/// The snapshot's departments by id (first wins on a duplicate id).
pub(crate) fn in_scope(snapshot: &DirectorySnapshot) -> HashMap<u32, &Department> {
    let mut map = HashMap::with_capacity(snapshot.departments.len());
    for d in snapshot.departments.iter() {
        map.entry(d.id).or_insert(d);
    }
    map
}

/// Departments to create, rename or move, parents before children. Empty unless the snapshot
/// syncs departments.
pub(crate) fn department_changes(
    snapshot: &DirectorySnapshot,
    platform: &[PlatformDepartment],
) -> Vec<DepartmentChange> {
    if !snapshot.syncs_departments {
        return Vec::new();
    }
    let scope = in_scope(snapshot);
    let current: HashMap<u32, &PlatformDepartment> = platform.iter().map(|p| (p.wecom_id, p)).collect();

    let mut changes: Vec<(usize, DepartmentChange)> = Vec::new();
    for (&id, d) in &scope {
        let parent = platform_parent(d, &scope);
        let change = match current.get(&id) {
            None => DepartmentChange {
                wecom_id: id,
                name: d.name.clone(),
                parent_wecom_id: parent,
                order: d.order,
                created: true,
                renamed: false,
                moved: false,
                removed: false,
            },
            Some(p) => {
                // Exact comparison: a rename that only changes case or width is still a rename
                // the operator made in WeCom.
                let renamed = p.name.as_str() != d.name.as_str();
                let moved = p.parent_wecom_id != parent || p.order != d.order;
                if !renamed && !moved {
                    continue;
                }
                DepartmentChange {
                    wecom_id: id,
                    name: d.name.clone(),
                    parent_wecom_id: parent,
                    order: d.order,
                    created: false,
                    renamed,
                    moved,
                    removed: false,
                }
            }
        };
        changes.push((depth(d, &scope), change));
    }
    // Depth first, so every parent in the list precedes its children; then larger order first
    // (WeCom's sibling rule) and id, for a readable, deterministic list.
    changes.sort_by(|(da, a), (db, b)| da.cmp(db).then(b.order.cmp(&a.order)).then(a.wecom_id.cmp(&b.wecom_id)));
    let mut changes: Vec<DepartmentChange> = changes.into_iter().map(|(_, c)| c).collect();
    if snapshot.complete {
        changes.extend(removals(platform, |id| scope.contains_key(&id)));
    }
    changes
}

/// Mirrored departments that are gone (`kept` says which stay), children before parents.
pub(crate) fn removals(platform: &[PlatformDepartment], kept: impl Fn(u32) -> bool) -> Vec<DepartmentChange> {
    let by_id: HashMap<u32, &PlatformDepartment> = platform.iter().map(|p| (p.wecom_id, p)).collect();
    let mut gone: Vec<(usize, &PlatformDepartment)> =
        platform.iter().filter(|p| !kept(p.wecom_id)).map(|p| (platform_depth(p, &by_id), p)).collect();
    gone.sort_by(|(da, a), (db, b)| db.cmp(da).then(a.wecom_id.cmp(&b.wecom_id)));
    gone.dedup_by_key(|(_, p)| p.wecom_id);
    gone.into_iter().map(|(_, p)| removal(p)).collect()
}

/// The change that removes one mirrored department.
pub fn removal(p: &PlatformDepartment) -> DepartmentChange {
    DepartmentChange {
        wecom_id: p.wecom_id,
        name: p.name.clone(),
        parent_wecom_id: p.parent_wecom_id,
        order: p.order,
        created: false,
        renamed: false,
        moved: false,
        removed: true,
    }
}

/// Depth in the platform's mirrored tree (bounded, like [`depth`], against cycles).
fn platform_depth(p: &PlatformDepartment, by_id: &HashMap<u32, &PlatformDepartment>) -> usize {
    let mut steps = 0;
    let mut at = p;
    while steps < by_id.len() {
        match by_id.get(&at.parent_wecom_id) {
            Some(parent) if parent.wecom_id != at.wecom_id => at = parent,
            _ => break,
        }
        steps += 1;
    }
    steps
}

/// Distance from the top of the in-scope tree. A malformed tree with a cycle stops after as many
/// steps as there are departments instead of looping.
fn depth(d: &Department, scope: &HashMap<u32, &Department>) -> usize {
    let mut steps = 0;
    let mut at = d;
    while steps < scope.len() {
        if platform_parent(at, scope) == 0 {
            break;
        }
        match scope.get(&at.parent_id) {
            Some(parent) => at = parent,
            None => break,
        }
        steps += 1;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::testkit::*;

    fn snapshot(departments: Vec<Department>, syncs: bool) -> DirectorySnapshot {
        DirectorySnapshot {
            syncs_departments: syncs,
            departments: departments.into(),
            complete: true,
            ..Default::default()
        }
    }

    fn summary(c: &[DepartmentChange]) -> Vec<(u32, &str, u32, bool, bool, bool)> {
        c.iter().map(|c| (c.wecom_id, c.name.as_str(), c.parent_wecom_id, c.created, c.renamed, c.moved)).collect()
    }

    #[test]
    fn create_rename_move_parents_first() {
        let s = snapshot(
            vec![
                dept(7, "后端组", 3, 10),  // new, child of a new department
                dept(3, "研发中心", 1, 5), // new
                dept(1, "万象科技", 0, 0), // unchanged
                dept(2, "销售部", 1, 8),   // renamed
                dept(4, "市场部", 3, 1),   // moved under 3
                dept(5, "财务部", 1, 2),   // reordered
            ],
            true,
        );
        let platform = vec![
            platform_dept(1, "万象科技", 0, 0),
            platform_dept(2, "销售", 1, 8),
            platform_dept(4, "市场部", 1, 1),
            platform_dept(5, "财务部", 1, 9),
            platform_dept(9, "旧部门", 1, 0), // gone from a complete read: removed, last
        ];
        let c = department_changes(&s, &platform);
        assert_eq!(
            summary(&c),
            [
                (2, "销售部", 1, false, true, false),
                (3, "研发中心", 1, true, false, false),
                (5, "财务部", 1, false, false, true),
                (7, "后端组", 3, true, false, false),
                (4, "市场部", 3, false, false, true),
                (9, "旧部门", 1, false, false, false),
            ]
        );
        assert!(c[..5].iter().all(|c| !c.removed) && c[5].removed);
        let pos = |id: u32| c.iter().position(|x| x.wecom_id == id);
        assert!(pos(3) < pos(7) && pos(3) < pos(4), "parents before children");
    }

    #[test]
    fn gone_departments_are_removed_children_first_and_only_after_a_complete_read() {
        let s = snapshot(vec![dept(1, "万象科技", 0, 0)], true);
        let platform = vec![
            platform_dept(1, "万象科技", 0, 0),
            platform_dept(3, "研发中心", 1, 5),
            platform_dept(7, "后端组", 3, 1),
            platform_dept(8, "平台组", 7, 1),
        ];
        let c = department_changes(&s, &platform);
        let removed: Vec<u32> = c.iter().filter(|c| c.removed).map(|c| c.wecom_id).collect();
        assert_eq!(removed, [8, 7, 3], "children before parents");
        let partial = DirectorySnapshot { complete: false, ..s };
        assert!(department_changes(&partial, &platform).is_empty(), "an incomplete read removes nothing");
    }

    #[test]
    fn nothing_without_department_scope() {
        let s = snapshot(vec![dept(1, "万象科技", 0, 0)], false);
        assert!(department_changes(&s, &[]).is_empty());
    }

    #[test]
    fn parent_outside_scope_becomes_top() {
        let s = snapshot(vec![dept(5, "研发", 1, 3), dept(6, "后端", 5, 1)], true);
        let c = department_changes(&s, &[]);
        assert_eq!(summary(&c), [(5, "研发", 0, true, false, false), (6, "后端", 5, true, false, false)]);
        // Once mirrored like that, nothing changes.
        let platform = vec![platform_dept(5, "研发", 0, 3), platform_dept(6, "后端", 5, 1)];
        assert!(department_changes(&s, &platform).is_empty());
    }

    #[test]
    fn cycle_does_not_loop() {
        let s = snapshot(vec![dept(5, "a", 6, 0), dept(6, "b", 5, 0)], true);
        assert_eq!(department_changes(&s, &[]).len(), 2);
    }
}
