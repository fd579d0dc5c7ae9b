//! Reading the directory through the loaded library.

use crate::util::{self, ok};
use interface::{MemberStatus, ProblemKind, ScopeSelection};

#[test]
fn a_department_scope_reads_the_subtree_with_each_member_once() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snap = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![2].into(), ..Default::default() }));
    assert!(snap.complete);
    assert!(snap.syncs_departments);
    let mut depts: Vec<u32> = snap.departments.iter().map(|d| d.id).collect();
    depts.sort();
    assert_eq!(depts, vec![2, 4, 5], "研发部 with 测试部门 and 平台组");
    let wang: Vec<_> = snap.members.iter().filter(|m| m.userid.as_str() == "wangxiaokai").collect();
    assert_eq!(wang.len(), 1, "a member of two chosen departments appears once");
    assert_eq!(wang[0].department_ids.as_slice(), &[2, 5]);
    assert_eq!(wang[0].department_names.iter().map(|n| n.as_str()).collect::<Vec<_>>(), vec!["研发部", "平台组"]);
    assert!(snap.members.iter().all(|m| m.userid.as_str() != "clear"), "市场部门 is not in scope");
}

#[test]
fn a_members_scope_syncs_no_department_structure() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snap = ok(plugin.fetch_scope(&ScopeSelection {
        user_ids: vec!["clear".into(), "LiQiang".into()].into(),
        ..Default::default()
    }));
    assert!(!snap.syncs_departments);
    assert!(snap.departments.is_empty());
    assert_eq!(snap.members.len(), 2);
    let liqiang = snap.members.iter().find(|m| m.userid.as_str().eq_ignore_ascii_case("liqiang")).expect("liqiang");
    assert_eq!(liqiang.status, MemberStatus::Disabled);
    assert_eq!(
        snap.members.iter().find(|m| m.userid.as_str() == "clear").map(|m| m.department_names[0].to_string()),
        Some("市场部门".to_string())
    );
}

#[test]
fn a_tag_scope_includes_the_members_of_its_departments() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snap = ok(plugin.fetch_scope(&ScopeSelection { tag_ids: vec![1].into(), ..Default::default() }));
    let mut ids: Vec<&str> = snap.members.iter().map(|m| m.userid.as_str()).collect();
    ids.sort();
    // Tag 骨干: wangxiaokai, clear, and department 平台组 (wangxiaokai, xiaoyueyue).
    assert_eq!(ids, vec!["clear", "wangxiaokai", "xiaoyueyue"]);
    assert!(snap.departments.is_empty());
    assert_eq!(snap.tags.len(), 1);
}

#[test]
fn picks_outside_the_visible_range_are_reported_not_dropped() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snap = ok(plugin.fetch_scope(&ScopeSelection {
        department_ids: vec![3, 99].into(),
        user_ids: vec!["nobody".into()].into(),
        ..Default::default()
    }));
    let subjects: Vec<(ProblemKind, &str)> = snap.problems.iter().map(|p| (p.kind, p.subject.as_str())).collect();
    assert!(subjects.contains(&(ProblemKind::OutOfRange, "department:99")), "{subjects:?}");
    assert!(subjects.contains(&(ProblemKind::NotFound, "user:nobody")), "{subjects:?}");
}

#[test]
fn the_access_token_is_fetched_once_and_reused_across_hooks() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    for _ in 0..3 {
        ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    }
    assert_eq!(fake.request_counts().get("gettoken").copied(), Some(1), "{:?}", fake.request_counts());
}

#[test]
fn an_expired_token_mid_session_is_refreshed_once() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    fake.expire_all_tokens();
    let snap = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert!(snap.complete);
    assert_eq!(fake.request_counts().get("gettoken").copied(), Some(2), "{:?}", fake.request_counts());
}
