//! Bursts of callbacks (issue 17): the follower plans every change ready in its queue as one
//! batch, a leaver is applied while a full read is still running, a member WeCom does not show
//! yet is completed again later instead of read about, and a batch the mass-removal safeguard
//! refuses is held whole, nothing dropped. Orderings and counts are asserted, never timings.

use crate::util;
use host_sim::cli::serve::{open_platform, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::fake_wecom::{contact_events, ContactEvent, DirectoryLag, FaultKind, FaultRule, Faults, User};
use host_sim::host::callbacks::{Follower, Outcome, Verdict};
use host_sim::store::{Actor, Audit, Store};
use interface::{ChangeKind, DirectoryChange, ScopeSelection};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn platform() -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts")
}

fn stall(endpoint: &str, ms: u64) -> Faults {
    Faults { rules: vec![FaultRule { endpoint: Some(endpoint.into()), ..FaultRule::new(FaultKind::Stall { ms }) }] }
}

fn bound(open: &OpenPlatform, userid: &str) -> bool {
    open.platform.store.lock().expect("store").binding_for_userid(userid).expect("read").is_some()
}

fn idle(open: &OpenPlatform) -> Vec<Outcome> {
    assert!(open.platform.follower.wait_idle(Duration::from_secs(60)), "the platform keeps following");
    open.platform.follower.journal.entries()
}

fn newcomer(n: usize) -> User {
    User { userid: format!("burst{n:02}"), name: format!("新人{n:02}"), departments: vec![3], ..User::default() }
}

#[test]
fn a_burst_of_creates_is_planned_as_one_batch() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let pusher = open.pusher().expect("pusher");
    // The worker is busy completing an id-only event (a slow user/get) while 30 creates arrive.
    fake.set_faults(stall("user/get", 3000));
    let slow = User { userid: "slowpoke".into(), name: "慢".into(), departments: vec![3], ..User::default() };
    let event = fake.with_org(|org| contact_events::add_member(org, slow));
    assert_eq!(pusher.clone().with_ids_only(true).push(&event).expect("push").status, 200);
    for n in 0..30 {
        let event = fake.with_org(|org| contact_events::add_member(org, newcomer(n)));
        assert_eq!(pusher.push(&event).expect("push").status, 200);
    }
    let outcomes = idle(&open);
    let created = outcomes.iter().filter(|o| o.subject.starts_with("burst") && o.verdict == Verdict::Apply).count();
    assert_eq!(created, 30, "{outcomes:#?}");
    let trail = open.platform.store.lock().expect("store").audit(&Default::default()).expect("audit");
    let plans: BTreeSet<&str> =
        trail.iter().filter(|e| e.userid.starts_with("burst")).map(|e| e.snapshot_id.as_str()).collect();
    assert_eq!(plans.len(), 1, "the 30 creates waiting behind the slow one were planned together: {plans:?}");
    assert!(plans.iter().all(|p| p.ends_with("(30 events)")), "{plans:?}");
}

#[test]
fn a_leaver_is_applied_while_a_full_read_is_still_running() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let pusher = open.pusher().expect("pusher");
    assert!(bound(&open, "wangxiaokai") && bound(&open, "baikaishui"));
    // Every department's member list takes 4 s to answer: a full read is slow.
    fake.set_faults(stall("user/list", 4000));
    // A bound member's event names a department outside the synced scope: only a full read can
    // say whether to remove them, so the plan asks for one.
    let moved = ContactEvent::UpdateUser {
        userid: "baikaishui".into(),
        new_userid: None,
        name: None,
        departments: Some(vec![999]),
        status: None,
    };
    assert_eq!(pusher.push(&moved).expect("push").status, 200);
    // Right behind it, a leaver.
    assert_eq!(pusher.member_leaves(fake, "wangxiaokai").expect("push").status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    while bound(&open, "wangxiaokai") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!bound(&open, "wangxiaokai"), "the leaver is applied");
    let seen = open.platform.follower.journal.entries();
    assert!(
        seen.iter().any(|o| o.what == "update_user" && o.verdict == Verdict::NeedsFullRead),
        "the read was asked for first: {seen:#?}"
    );
    assert!(!seen.iter().any(|o| o.what == "reconcile"), "the leaver did not wait for the read: {seen:#?}");
    let outcomes = idle(&open);
    let order: Vec<&str> = outcomes.iter().map(|o| o.what.as_str()).collect();
    assert_eq!(order, ["update_user", "delete_user", "reconcile"], "{outcomes:#?}");
    assert!(outcomes[2].error.is_none(), "{outcomes:#?}");
    assert!(!bound(&open, "wangxiaokai"), "the read, older than the delete, did not bring the leaver back");
    assert!(bound(&open, "baikaishui"), "still in scope in WeCom: kept");
}

#[test]
fn members_wecom_does_not_show_yet_are_retried_and_settled_without_a_full_read() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    // Contact-sync events set up after 2022-08-15 carry ids only: the name comes from user/get.
    let pusher = open.pusher().expect("pusher").with_ids_only(true);
    fake.reset_counts();
    for n in 0..10 {
        let user = newcomer(n);
        let userid = user.userid.clone();
        let event = fake.with_org(|org| contact_events::add_member(org, user));
        if n % 2 == 0 {
            // The directory shows the member only after two refused reads.
            fake.lag_member(&userid, DirectoryLag::Reads(2));
        }
        assert_eq!(pusher.push(&event).expect("push").status, 200);
    }
    assert_eq!(pusher.member_leaves(fake, "wangxiaokai").expect("push").status, 200);
    let outcomes = idle(&open);
    for n in 0..10 {
        assert!(bound(&open, &format!("burst{n:02}")), "burst{n:02} settled: {outcomes:#?}");
    }
    assert!(!bound(&open, "wangxiaokai"));
    let counts = fake.request_counts();
    assert!(!outcomes.iter().any(|o| o.what == "reconcile"), "no full read: {outcomes:#?}");
    assert_eq!(counts.get("user/list").copied().unwrap_or(0), 0, "no member list read: {counts:?}");
    assert_eq!(counts.get("user/get").copied(), Some(5 + 5 * 3), "one read each, three for the lagging: {counts:?}");
}

/// A follower on an in-memory store with `n` bound members `m0`.., scope department 1.
fn follower_with_bindings(n: usize, fake: &host_sim::fake_wecom::FakeWecom) -> (Arc<Follower>, Arc<Mutex<Store>>) {
    let (plugin, _) = util::configured(fake);
    let mut store = Store::in_memory().expect("store");
    let accounts: Vec<interface::PlatformAccount> = (0..n)
        .map(|i| interface::PlatformAccount {
            id: format!("a{i}").as_str().into(),
            name: format!("成员{i}").as_str().into(),
            departments: Default::default(),
            enabled: true,
            mobile: Default::default(),
            email: Default::default(),
            ext: Default::default(),
        })
        .collect();
    store.import_accounts(&accounts).expect("accounts");
    let bind = interface::ChangeSet {
        create_bindings: (0..n)
            .map(|i| interface::Binding {
                userid: format!("m{i}").as_str().into(),
                account_id: format!("a{i}").as_str().into(),
                evidence: interface::Evidence::Operator,
            })
            .collect(),
        ..Default::default()
    };
    store.apply(&bind, &Audit::new(Actor::Operator, interface::Text::default())).expect("bind");
    let store = Arc::new(Mutex::new(store));
    let scope = ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    let follower = Follower::new(Arc::new(plugin), store.clone(), scope, Default::default());
    (Arc::new(follower), store)
}

fn member_change(kind: ChangeKind, userid: &str, departments: Option<Vec<u32>>) -> DirectoryChange {
    DirectoryChange {
        kind,
        change_type: match kind {
            ChangeKind::MemberDeleted => "delete_user",
            _ => "create_user",
        }
        .into(),
        event_time_unix: 1,
        dedup_key: format!("test|{kind:?}|{userid}").as_str().into(),
        userid: userid.into(),
        new_userid: Default::default(),
        name: None.into(),
        department_ids: departments.map(Into::into).into(),
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

#[test]
fn a_member_wecom_never_shows_is_tried_a_bounded_number_of_times_and_kept_in_the_journal() {
    let fake = util::fake();
    let (follower, store) = follower_with_bindings(2, &fake);
    let follower = {
        let mut f = Arc::into_inner(follower).expect("one owner");
        f.retry_first = Duration::from_millis(10);
        Arc::new(f)
    };
    fake.reset_counts();
    fake.lag_member("ghost", DirectoryLag::Reads(1000));
    fake.with_org(|org| org.users.push(User { userid: "ghost".into(), name: "幽灵".into(), ..User::default() }));
    follower.accept(member_change(ChangeKind::MemberCreated, "ghost", Some(vec![3]))).expect("journaled");
    assert!(follower.wait_idle(Duration::from_secs(30)));
    let outcomes = follower.journal.entries();
    assert_eq!(outcomes.len(), 1, "no reconcile asked for: {outcomes:#?}");
    assert_eq!((outcomes[0].subject.as_str(), outcomes[0].verdict), ("ghost", Verdict::NeedsFullRead));
    let gets = fake.request_counts().get("user/get").copied();
    assert_eq!(gets, Some(u64::from(host_sim::host::callbacks::batch::RETRY_ATTEMPTS)), "bounded");
    let pending = store.lock().expect("store").journal_pending().expect("journal");
    assert_eq!(pending.len(), 1, "kept in the journal for the timed reconcile, not dropped");
    assert_eq!(pending[0].change.userid.as_str(), "ghost");
}

#[test]
fn a_burst_refused_by_the_safeguard_is_held_whole_and_nothing_is_dropped() {
    let fake = util::fake();
    let (follower, store) = follower_with_bindings(5, &fake);
    let follower = {
        let mut f = Arc::into_inner(follower).expect("one owner");
        f.removal_guard = interface::RemovalGuard { max_removals: 1, confirmed_removals: 0 };
        Arc::new(f)
    };
    // The worker completes a slow id-only event while four leavers arrive: they are one batch,
    // and four removals at once are more than the one allowed. The leavers are sent once the
    // worker is inside that slow call, so a loaded machine cannot put one of them in the create's
    // batch (where one removal is allowed).
    fake.reset_counts();
    fake.set_faults(stall("user/get", 3000));
    follower.accept(member_change(ChangeKind::MemberCreated, "wangxiaokai", None)).expect("journaled");
    let asked = Instant::now();
    while fake.request_counts().get("user/get").copied().unwrap_or(0) == 0 {
        assert!(asked.elapsed() < Duration::from_secs(20), "the worker never asked WeCom");
        std::thread::sleep(Duration::from_millis(5));
    }
    for i in 0..4 {
        follower.accept(member_change(ChangeKind::MemberDeleted, &format!("m{i}"), None)).expect("journaled");
    }
    assert!(follower.wait_idle(Duration::from_secs(30)));
    {
        let store = store.lock().expect("store");
        // The slow create may have been a batch of its own (applied: a new account) when the worker
        // took it before the leavers arrived; no leaver is applied either way.
        let bound: Vec<String> = store.bindings().expect("bindings").iter().map(|b| b.userid.to_string()).collect();
        let leavers_bound: Vec<&str> = bound.iter().map(String::as_str).filter(|u| u.starts_with('m')).collect();
        assert_eq!(leavers_bound, ["m0", "m1", "m2", "m3", "m4"], "no removal applied");
        let held: Vec<String> = store.held_changes().expect("held").iter().map(|c| c.userid.to_string()).collect();
        // The slow event is in the held batch too when the worker had not started it yet.
        let leavers: Vec<&str> = held.iter().map(String::as_str).filter(|u| *u != "wangxiaokai").collect();
        assert_eq!(leavers, ["m0", "m1", "m2", "m3"], "held whole, in arrival order: {held:?}");
        assert!(store.journal_pending().expect("journal").is_empty(), "taken over by the held batch");
    }
    let mut confirmed =
        Follower::new(follower.plugin.clone(), store.clone(), follower.scope.clone(), Default::default());
    confirmed.removal_guard = interface::RemovalGuard { max_removals: 1, confirmed_removals: 4 };
    let outcome = confirmed.retry_held().expect("a held batch");
    assert!(outcome.error.is_none(), "{outcome:?}");
    let left: Vec<String> = store
        .lock()
        .expect("store")
        .bindings()
        .expect("b")
        .iter()
        .map(|b| b.userid.to_string())
        .filter(|u| u.starts_with('m'))
        .collect();
    assert_eq!(left, ["m4"]);
}

#[test]
fn a_change_wecom_never_showed_is_moot_once_its_member_leaves() {
    let fake = util::fake();
    let (follower, store) = follower_with_bindings(1, &fake);
    let follower = {
        let mut f = Arc::into_inner(follower).expect("one owner");
        f.retry_first = Duration::from_millis(300);
        Arc::new(f)
    };
    fake.lag_member("brief", DirectoryLag::Reads(1000));
    fake.with_org(|org| org.users.push(User { userid: "brief".into(), name: "短暂".into(), ..User::default() }));
    follower.accept(member_change(ChangeKind::MemberCreated, "brief", Some(vec![3]))).expect("journaled");
    follower.accept(member_change(ChangeKind::MemberDeleted, "brief", None)).expect("journaled");
    assert!(follower.wait_idle(Duration::from_secs(30)));
    let outcomes = follower.journal.entries();
    let create = outcomes.iter().find(|o| o.what == "create_user").expect("the create's outcome");
    assert_eq!(create.verdict, Verdict::Ignore, "{outcomes:#?}");
    assert!(create.reason.en.contains("moot"), "{outcomes:#?}");
    assert!(!outcomes.iter().any(|o| o.what == "reconcile"), "{outcomes:#?}");
    assert!(store.lock().expect("store").journal_pending().expect("journal").is_empty(), "nothing left pending");
    let gets = fake.request_counts().get("user/get").copied().unwrap_or(0);
    assert!(gets < u64::from(host_sim::host::callbacks::batch::RETRY_ATTEMPTS), "not tried to the end: {gets}");
}
