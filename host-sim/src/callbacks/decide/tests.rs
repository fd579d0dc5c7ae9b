use super::*;
use interface::PlatformDepartment;

fn state() -> StoreState {
    let dept = |id: u32, name: &str, parent: u32| PlatformDepartment {
        wecom_id: id,
        name: name.into(),
        parent_wecom_id: parent,
        order: 0,
    };
    StoreState {
        accounts: crate::sample::accounts(),
        bindings: vec![
            Binding { userid: "baikaishui".into(), account_id: "u-1003".into() },
            Binding { userid: "WangXiaoKai".into(), account_id: "u-1004".into() },
        ],
        departments: vec![dept(1, "万象科技", 0), dept(2, "研发部", 1), dept(3, "市场部门", 1)],
    }
}

fn departments_scope() -> ScopeSelection {
    ScopeSelection { department_ids: vec![1].into(), ..Default::default() }
}

fn change(kind: ChangeKind, userid: &str) -> DirectoryChange {
    DirectoryChange {
        kind,
        change_type: "".into(),
        event_time_unix: 1,
        dedup_key: "k".into(),
        userid: userid.into(),
        new_userid: "".into(),
        name: ROption::RNone,
        department_ids: ROption::RNone,
        status: ROption::RNone,
        department_id: 0,
        department_name: ROption::RNone,
        parent_id: ROption::RNone,
        order: ROption::RNone,
        tag_id: 0,
        added_userids: Default::default(),
        removed_userids: Default::default(),
        added_department_ids: Default::default(),
        removed_department_ids: Default::default(),
    }
}

fn member(kind: ChangeKind, userid: &str, name: &str, departments: &[u32]) -> DirectoryChange {
    DirectoryChange {
        name: ROption::RSome(name.into()),
        department_ids: ROption::RSome(departments.to_vec().into()),
        ..change(kind, userid)
    }
}

fn department(kind: ChangeKind, id: u32, name: Option<&str>, parent: Option<u32>) -> DirectoryChange {
    DirectoryChange {
        department_id: id,
        department_name: name.map(Into::into).into(),
        parent_id: parent.into(),
        ..change(kind, "")
    }
}

fn unbind_only() -> Policy {
    Policy { on_leave: OnLeave::Unbind, ..Policy::default() }
}

#[test]
fn a_deleted_member_loses_the_binding_and_by_default_the_account() {
    let gone = change(ChangeKind::MemberDeleted, "wangxiaokai");
    let d = decide(&gone, &state(), &departments_scope(), Policy::default());
    assert_eq!(d.verdict, Verdict::Apply, "{:?}", d.reason);
    let removal = Unbinding { userid: "WangXiaoKai".into(), account_id: "u-1004".into(), disable_account: true };
    assert_eq!(d.changes.remove_bindings.as_slice(), std::slice::from_ref(&removal), "the store's own spelling");
    assert_eq!(d.changes.summary.bindings_removed, 1);
    assert_eq!(d.changes.snapshot_id.as_str(), "callback:k");

    let d = decide(&gone, &state(), &departments_scope(), unbind_only());
    assert_eq!(d.changes.remove_bindings.as_slice(), [Unbinding { disable_account: false, ..removal }]);

    // Scope does not matter for a removal: a bound member must lose access wherever they were.
    let members_only = ScopeSelection { user_ids: vec!["someone".into()].into(), ..Default::default() };
    assert_eq!(decide(&gone, &state(), &members_only, Policy::default()).verdict, Verdict::Apply);

    let unbound = change(ChangeKind::MemberDeleted, "renshengruxi");
    assert_eq!(decide(&unbound, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);
}

#[test]
fn disabled_or_left_in_an_update_is_a_leave() {
    for status in [MemberStatus::Disabled, MemberStatus::Left] {
        let update =
            DirectoryChange { status: ROption::RSome(status), ..change(ChangeKind::MemberUpdated, "baikaishui") };
        let d = decide(&update, &state(), &departments_scope(), Policy::default());
        assert_eq!(d.verdict, Verdict::Apply);
        assert!(d.changes.remove_bindings[0].disable_account, "{status:?}");
    }
}

#[test]
fn a_changed_userid_keeps_its_binding() {
    let renamed = DirectoryChange { new_userid: "wangxk".into(), ..change(ChangeKind::MemberUpdated, "wangxiaokai") };
    let d = decide(&renamed, &state(), &departments_scope(), Policy::default());
    assert_eq!(d.verdict, Verdict::Apply, "{:?}", d.reason);
    assert_eq!(
        d.changes.remove_bindings.as_slice(),
        [Unbinding { userid: "WangXiaoKai".into(), account_id: "u-1004".into(), disable_account: false }]
    );
    assert_eq!(
        d.changes.create_bindings.as_slice(),
        [Binding { userid: "wangxk".into(), account_id: "u-1004".into() }]
    );
    assert!(d.changes.create_accounts.is_empty());

    // Delivered again after it was applied: the binding is already under the new userid.
    let mut after = state();
    after.bindings[1].userid = "wangxk".into();
    assert_eq!(decide(&renamed, &after, &departments_scope(), Policy::default()).verdict, Verdict::Ignore);

    // The new userid is bound to another account: never resolved silently.
    let clash = DirectoryChange { new_userid: "baikaishui".into(), ..renamed };
    assert_eq!(decide(&clash, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);
}

#[test]
fn a_new_member_in_scope_gets_an_account_when_the_policy_says_so() {
    let joined = member(ChangeKind::MemberCreated, "newbie", "新人", &[2, 9]);
    let d = decide(&joined, &state(), &departments_scope(), Policy::default());
    assert_eq!(d.verdict, Verdict::Apply, "{:?}", d.reason);
    let account = &d.changes.create_accounts[0];
    assert_eq!((account.userid.as_str(), account.name.as_str()), ("newbie", "新人"));
    assert_eq!(account.departments.as_slice(), ["研发部"], "only mirrored departments");
    assert_eq!(account.department_wecom_ids.as_slice(), [2]);
    assert_eq!(d.changes.summary.accounts_created, 1);

    let policy = Policy { new_members: NewMembers::Ignore, ..Policy::default() };
    assert_eq!(decide(&joined, &state(), &departments_scope(), policy).verdict, Verdict::Ignore);

    // An unbound account with the same name: the operator confirms the name match.
    let namesake = member(ChangeKind::MemberCreated, "zhang", "张旭", &[2]);
    assert_eq!(decide(&namesake, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);

    // No name known (an id-only event that could not be completed).
    let nameless = DirectoryChange { name: ROption::RNone, ..joined.clone() };
    assert_eq!(decide(&nameless, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);

    // A disabled newcomer gets nothing.
    let disabled = DirectoryChange { status: ROption::RSome(MemberStatus::Disabled), ..joined };
    assert_eq!(decide(&disabled, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);
}

#[test]
fn members_outside_the_scope_are_ignored() {
    let scope = ScopeSelection { department_ids: vec![3].into(), ..Default::default() };
    let mut st = state();
    st.departments.retain(|d| d.wecom_id == 3);
    let elsewhere = member(ChangeKind::MemberCreated, "newbie", "新人", &[2]);
    assert_eq!(decide(&elsewhere, &st, &scope, Policy::default()).verdict, Verdict::Ignore);

    let listed = ScopeSelection { user_ids: vec!["NewBie".into()].into(), ..Default::default() };
    assert_eq!(decide(&elsewhere, &st, &listed, Policy::default()).verdict, Verdict::Apply);

    // A bound member who moved out of a department scope: only a full read decides the removal.
    let moved = member(ChangeKind::MemberUpdated, "baikaishui", "白开水", &[2]);
    assert_eq!(decide(&moved, &st, &scope, Policy::default()).verdict, Verdict::Reconcile);

    // With a tag in the scope, an event alone cannot tell.
    let tagged = ScopeSelection { tag_ids: vec![1].into(), ..scope };
    assert_eq!(decide(&elsewhere, &st, &tagged, Policy::default()).verdict, Verdict::Ignore);
}

#[test]
fn departments_follow_when_the_structure_is_synced() {
    let created = department(ChangeKind::DepartmentCreated, 7, Some("运维部"), Some(2));
    let d = decide(&created, &state(), &departments_scope(), Policy::default());
    assert_eq!(d.verdict, Verdict::Apply, "{:?}", d.reason);
    let c = &d.changes.departments[0];
    assert_eq!((c.wecom_id, c.name.as_str(), c.parent_wecom_id, c.created), (7, "运维部", 2, true));

    let renamed = department(ChangeKind::DepartmentUpdated, 3, Some("市场部"), None);
    let d = decide(&renamed, &state(), &departments_scope(), Policy::default());
    let c = &d.changes.departments[0];
    assert_eq!((c.name.as_str(), c.parent_wecom_id, c.renamed, c.moved), ("市场部", 1, true, false));

    let moved = department(ChangeKind::DepartmentUpdated, 3, None, Some(2));
    let c = decide(&moved, &state(), &departments_scope(), Policy::default()).changes.departments[0].clone();
    assert_eq!((c.name.as_str(), c.parent_wecom_id, c.renamed, c.moved), ("市场部门", 2, false, true));

    let same = department(ChangeKind::DepartmentUpdated, 3, Some("市场部门"), Some(1));
    assert_eq!(decide(&same, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);

    let outside = department(ChangeKind::DepartmentCreated, 8, Some("外部"), Some(99));
    assert_eq!(decide(&outside, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);

    let moved_out = department(ChangeKind::DepartmentUpdated, 3, None, Some(99));
    assert_eq!(decide(&moved_out, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Reconcile);

    let moved_in = department(ChangeKind::DepartmentUpdated, 50, None, Some(2));
    assert_eq!(decide(&moved_in, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Reconcile);

    let deleted = department(ChangeKind::DepartmentDeleted, 3, None, None);
    let d = decide(&deleted, &state(), &departments_scope(), Policy::default());
    assert_eq!((d.verdict, d.changes.departments.len()), (Verdict::Ignore, 0), "the platform keeps it");

    let members_only = ScopeSelection { user_ids: vec!["a".into()].into(), ..Default::default() };
    assert_eq!(decide(&created, &state(), &members_only, Policy::default()).verdict, Verdict::Ignore);
}

#[test]
fn a_tag_change_in_scope_asks_for_a_full_read() {
    let tag = DirectoryChange { tag_id: 1, ..change(ChangeKind::TagMembersChanged, "") };
    let scope = ScopeSelection { tag_ids: vec![1].into(), ..Default::default() };
    assert_eq!(decide(&tag, &state(), &scope, Policy::default()).verdict, Verdict::Reconcile);
    assert_eq!(decide(&tag, &state(), &departments_scope(), Policy::default()).verdict, Verdict::Ignore);
}
