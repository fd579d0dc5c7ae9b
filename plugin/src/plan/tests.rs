use super::plan;
use crate::binding::testkit::{account, bind, platform_dept};
use interface::{
    ChangeKind, ChangePolicy, DirectoryChange, MemberStatus, OnLeave, PlanInput, PlanVerdict, RemovalGuard,
    ScopeSelection,
};

fn change(kind: ChangeKind, userid: &str) -> DirectoryChange {
    DirectoryChange {
        kind,
        change_type: format!("{kind:?}").into(),
        event_time_unix: 0,
        dedup_key: format!("k-{userid}").into(),
        userid: userid.into(),
        new_userid: Default::default(),
        name: None.into(),
        department_ids: None.into(),
        status: None.into(),
        department_id: 0,
        department_name: None.into(),
        parent_id: None.into(),
        order: None.into(),
        tag_id: 0,
        added_userids: Default::default(),
        removed_userids: Default::default(),
        added_department_ids: Default::default(),
        removed_department_ids: Default::default(),
        ext: Default::default(),
    }
}

fn created(userid: &str, name: &str, departments: &[u32]) -> DirectoryChange {
    DirectoryChange {
        name: Some(name.into()).into(),
        department_ids: Some(departments.to_vec().into()).into(),
        status: Some(MemberStatus::Active).into(),
        ..change(ChangeKind::MemberCreated, userid)
    }
}

fn state(changes: Vec<DirectoryChange>) -> PlanInput {
    PlanInput {
        changes: changes.into(),
        accounts: vec![account("a-wang", "王 晓楷", &[]), account("a-li", "李雷", &[])].into(),
        bindings: vec![bind("lilei", "a-li")].into(),
        departments: vec![platform_dept(1, "万象科技", 0, 0), platform_dept(2, "研发", 1, 1)].into(),
        scope: ScopeSelection { department_ids: vec![1].into(), ..Default::default() },
        ..Default::default()
    }
}

#[test]
fn a_new_member_whose_normalised_name_an_unbound_account_carries_is_left_to_the_operator() {
    // Ideographic space in WeCom, ASCII space on the platform: one name under the binding rule.
    let p = plan(&state(vec![created("wangxk", "王　晓楷", &[2])])).expect("plan");
    assert!(p.changes.create_accounts.is_empty(), "no second account behind the operator's back");
    assert_eq!(p.events[0].verdict, PlanVerdict::Operator);
    let p = plan(&state(vec![created("zhaoliu", "赵六", &[2])])).expect("plan");
    assert_eq!(p.changes.create_accounts.len(), 1);
    assert_eq!(p.changes.create_accounts[0].departments[0].as_str(), "研发");
}

#[test]
fn a_new_member_whose_name_an_unbound_account_carries_with_a_space_is_left_to_the_operator() {
    // "王 晓楷" on the platform, 王晓楷 in WeCom: the binding table's candidate, so no second account.
    let p = plan(&state(vec![created("wangxk", "王晓楷", &[2])])).expect("plan");
    assert!(p.changes.create_accounts.is_empty(), "{:?}", p.changes.create_accounts);
    assert_eq!(p.events[0].verdict, PlanVerdict::Operator);
    assert!(p.events[0].reason.en.contains("only by spacing"), "{:?}", p.events[0].reason);
    // Latin names keep their spaces: a different name, a new account.
    let mut input = state(vec![created("ww", "Wangxiao", &[2])]);
    input.accounts.push(account("a-w", "Wang Xiao", &[]));
    assert_eq!(plan(&input).expect("plan").changes.create_accounts.len(), 1);
    // A spaced account held by a binding is nobody's candidate.
    let mut input = state(vec![created("wangxk", "王晓楷", &[2])]);
    input.bindings.push(bind("other", "a-wang"));
    assert_eq!(plan(&input).expect("plan").changes.create_accounts.len(), 1);
}

#[test]
fn a_leaver_is_unbound_and_disabled_by_policy_at_once() {
    let p = plan(&state(vec![change(ChangeKind::MemberDeleted, "LiLei")])).expect("plan");
    assert_eq!(p.changes.remove_bindings.len(), 1);
    assert!(p.changes.remove_bindings[0].disable_account);
    let mut input = state(vec![change(ChangeKind::MemberDeleted, "lilei")]);
    input.policy = ChangePolicy { on_leave: OnLeave::Unbind, ..Default::default() };
    let p = plan(&input).expect("plan");
    assert!(!p.changes.remove_bindings[0].disable_account);
}

#[test]
fn a_userid_rename_keeps_the_account_and_records_the_evidence() {
    let mut c = change(ChangeKind::MemberUpdated, "lilei");
    c.new_userid = "li.lei".into();
    let mut input = state(vec![c]);
    input.bindings[0].evidence = interface::Evidence::Operator;
    let p = plan(&input).expect("plan");
    assert_eq!(p.changes.remove_bindings[0].userid.as_str(), "lilei");
    let b = &p.changes.create_bindings[0];
    assert_eq!((b.userid.as_str(), b.account_id.as_str(), b.evidence), ("li.lei", "a-li", interface::Evidence::Rename));
    // A name-only binding moves with the userid but stays name-only: a rename proves nothing.
    input.bindings[0].evidence = interface::Evidence::Name;
    let p = plan(&input).expect("plan");
    assert_eq!(p.changes.create_bindings[0].evidence, interface::Evidence::Name);
}

#[test]
fn a_leavers_account_stays_disabled_whatever_the_batch_does_to_the_userid() {
    // Renamed, then deleted under the new userid, in one batch.
    let mut renamed = change(ChangeKind::MemberUpdated, "lilei");
    renamed.new_userid = "li.lei".into();
    let p = plan(&state(vec![renamed, change(ChangeKind::MemberDeleted, "li.lei")])).expect("plan");
    let removals: Vec<_> =
        p.changes.remove_bindings.iter().map(|u| (u.account_id.as_str(), u.disable_account)).collect();
    assert_eq!(removals, [("a-li", true)]);
    assert!(p.changes.create_bindings.is_empty());
    // Deleted, then the userid created again (WeCom lets it be reused): a new account, the old one disabled.
    let p =
        plan(&state(vec![change(ChangeKind::MemberDeleted, "lilei"), created("lilei", "李雷", &[2])])).expect("plan");
    assert!(p.changes.remove_bindings[0].disable_account);
    assert_eq!(p.changes.create_accounts.len(), 1);
}

#[test]
fn a_department_created_then_changed_in_one_batch_arrives_as_one_creation() {
    let mut create = change(ChangeKind::DepartmentCreated, "");
    create.department_id = 9;
    create.parent_id = Some(1).into();
    create.department_name = Some("新部门".into()).into();
    let mut rename = change(ChangeKind::DepartmentUpdated, "");
    rename.department_id = 9;
    rename.department_name = Some("更名部门".into()).into();
    let p = plan(&state(vec![create.clone(), rename])).expect("plan");
    assert_eq!(p.changes.departments.len(), 1);
    let d = &p.changes.departments[0];
    assert!(d.created && d.name.as_str() == "更名部门", "{d:?}");
    let mut delete = change(ChangeKind::DepartmentDeleted, "");
    delete.department_id = 9;
    let p = plan(&state(vec![create, delete])).expect("plan");
    assert!(p.changes.departments.is_empty(), "created and deleted: nothing for the platform");
}

#[test]
fn a_batch_is_planned_in_order_and_only_the_net_change_remains() {
    let p = plan(&state(vec![created("zhaoliu", "赵六", &[2]), change(ChangeKind::MemberDeleted, "zhaoliu")]))
        .expect("plan");
    // The new account exists (WeCom may re-add the member); it was never bound elsewhere.
    assert_eq!(p.changes.create_accounts.len(), 1);
    assert!(p.changes.remove_bindings.is_empty());
    assert_eq!(p.events.len(), 2);
}

#[test]
fn a_deleted_department_is_removed_unless_it_still_has_children() {
    let mut leaf = change(ChangeKind::DepartmentDeleted, "");
    leaf.department_id = 2;
    let p = plan(&state(vec![leaf])).expect("plan");
    assert!(p.changes.departments[0].removed);
    let mut parent = change(ChangeKind::DepartmentDeleted, "");
    parent.department_id = 1;
    let p = plan(&state(vec![parent])).expect("plan");
    assert!(p.changes.departments.is_empty());
    assert!(p.needs_full_read);
}

#[test]
fn a_batch_removing_too_many_bindings_is_refused_unless_the_exact_count_is_confirmed() {
    let accounts: Vec<_> = (0..30).map(|i| account(&format!("a{i}"), &format!("n{i}"), &[])).collect();
    let bindings: Vec<_> = (0..30).map(|i| bind(&format!("u{i}"), &format!("a{i}"))).collect();
    let leavers: Vec<_> = (0..25).map(|i| change(ChangeKind::MemberDeleted, &format!("u{i}"))).collect();
    let mut input = PlanInput { accounts: accounts.into(), bindings: bindings.into(), ..state(leavers) };
    let error = plan(&input).expect_err("25 of 30 is a mass removal");
    assert_eq!(error.code.as_str(), "binding.mass_removal");
    input.removal_guard = RemovalGuard { confirmed_removals: 25, ..Default::default() };
    assert_eq!(plan(&input).expect("confirmed").changes.remove_bindings.len(), 25);
}

#[test]
fn a_read_older_than_the_changes_applied_meanwhile_neither_brings_back_a_leaver_nor_removes_a_newcomer() {
    use crate::binding::testkit::{input, member};
    // The read saw "gone" still in WeCom and did not see "newbie" yet; meanwhile the host applied
    // gone's delete (unbound) and newbie's create (a bound account).
    let read = input(
        vec![member("gone", "离开", &[]), member("kept", "留下", &[]), member("fresh", "新人", &[])],
        vec![],
        vec![],
    )
    .snapshot;
    let base = PlanInput {
        snapshot: Some(read).into(),
        accounts: vec![account("a-gone", "离开", &[]), account("a-new", "新同事", &[]), account("a-kept", "留下", &[])]
            .into(),
        bindings: vec![bind("newbie", "a-new"), bind("kept", "a-kept")].into(),
        policy: ChangePolicy::default(),
        removal_guard: RemovalGuard { max_removals: u64::MAX, confirmed_removals: 0 },
        ..Default::default()
    };
    let meanwhile = PlanInput {
        changes: vec![change(ChangeKind::MemberDeleted, "gone"), created("newbie", "新同事", &[1])].into(),
        ..base.clone()
    };
    let p = plan(&meanwhile).expect("plan");
    assert!(p.changes.remove_bindings.is_empty(), "newbie keeps the binding: {:?}", p.changes.remove_bindings);
    let created: Vec<&str> = p.changes.create_accounts.iter().map(|a| a.userid.as_str()).collect();
    assert_eq!(created, ["fresh"], "gone gets no account back, a member no change names still does");
    // Without the changes, the same read would do both.
    let stale = plan(&base).expect("plan");
    assert!(stale.changes.remove_bindings.iter().any(|u| u.userid.as_str() == "newbie"));
}

#[test]
fn a_read_older_than_a_department_created_meanwhile_does_not_remove_it() {
    use crate::binding::testkit::{dept, input, member};
    let mut read = input(vec![member("kept", "留下", &[])], vec![], vec![]).snapshot;
    read.syncs_departments = true;
    read.departments = vec![dept(1, "万象科技", 0, 0)].into();
    let base = PlanInput {
        snapshot: Some(read).into(),
        accounts: vec![account("a-kept", "留下", &[])].into(),
        bindings: vec![bind("kept", "a-kept")].into(),
        departments: vec![platform_dept(1, "万象科技", 0, 0), platform_dept(7, "新部门", 1, 0)].into(),
        scope: ScopeSelection { department_ids: vec![1].into(), ..Default::default() },
        removal_guard: RemovalGuard { max_removals: u64::MAX, confirmed_removals: 0 },
        ..Default::default()
    };
    let stale = plan(&base).expect("plan");
    assert!(stale.changes.departments.iter().any(|d| d.wecom_id == 7 && d.removed), "{:?}", stale.changes.departments);
    let created = DirectoryChange { department_id: 7, ..change(ChangeKind::DepartmentCreated, "") };
    let p = plan(&PlanInput { changes: vec![created].into(), ..base }).expect("plan");
    assert!(p.changes.departments.iter().all(|d| d.wecom_id != 7), "{:?}", p.changes.departments);
}
