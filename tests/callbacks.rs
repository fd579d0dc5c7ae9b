//! Contact-change callbacks end to end: the fake WeCom edits its organisation and pushes the
//! event over HTTP, encrypted by its own implementation of WeCom's scheme, to the platform's
//! callback URL; the loaded plugin verifies and decodes it; the host applies the change set.
//! Also the failures (nothing changes), a leaver losing access, the order of changes, the host's
//! policy, and the reconcile. WeCom's own vectors are in `callback_samples`.

use crate::util::{self, ok};
use host_sim::cli::callback_options::{CallbackOptions, NewMembers, OnLeave, PolicyArgs};
use host_sim::cli::login_flow::{drive, IN_CLIENT_UA};
use host_sim::cli::serve::{open_platform, open_platform_full, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::fake_wecom::{
    contact_events, unix_now, CallbackPusher, ContactEvent, FaultKind, FaultRule, Faults, SignedRequest, User,
};
use host_sim::host::callbacks::{Follower, Outcome, Policy, Verdict};
use host_sim::host::sync::StoreState;
use host_sim::platform::{Platform, RunningPlatform};
use host_sim::store::Store;
use interface::{Binding, ScopeSelection, SecretString};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn platform() -> (OpenPlatform, CallbackPusher) {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let open = open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts");
    let pusher = open.pusher().expect("the built-in fake pushes to the platform");
    (open, pusher)
}

/// Waits until the platform has followed every accepted change (and the reconciles they asked
/// for); the outcomes of the changes themselves, at least `count` of them.
fn followed(open: &OpenPlatform, count: usize) -> Vec<Outcome> {
    assert!(open.platform.follower.wait_idle(Duration::from_secs(20)), "the platform keeps following");
    let outcomes: Vec<Outcome> =
        open.platform.follower.journal.entries().into_iter().filter(|o| o.what != "reconcile").collect();
    assert!(outcomes.len() >= count, "only {} of {count} changes followed: {outcomes:#?}", outcomes.len());
    outcomes
}

fn state(open: &OpenPlatform) -> StoreState {
    StoreState::read(&open.platform.store.lock().expect("store")).expect("read")
}

fn account_evidence(open: &OpenPlatform, userid: &str) -> Option<String> {
    let store = open.platform.store.lock().expect("store");
    store.binding_for_userid(userid).expect("read").map(|b| b.evidence.name().unwrap_or("?").to_string())
}

fn account_of(open: &OpenPlatform, userid: &str) -> Option<(String, bool)> {
    let store = open.platform.store.lock().expect("store");
    store.account_for_userid(userid).expect("query").map(|a| (a.id.to_string(), a.enabled))
}

fn push(pusher: &CallbackPusher, event: &ContactEvent) {
    let delivery = pusher.push(event).expect("push");
    assert_eq!((delivery.status, delivery.body.as_str()), (200, ""), "acknowledged with an empty 200");
    assert!(delivery.elapsed < Duration::from_secs(1), "acknowledged at once: {:?}", delivery.elapsed);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn url_verification_answers_the_decrypted_echo_within_a_second() {
    let (_open, pusher) = platform();
    let (accepted, delivery) = pusher.verify_url().expect("verification");
    assert!(accepted, "{delivery:?}");
    assert!(delivery.elapsed < Duration::from_secs(1));
    let bad = pusher.verification_request("123", unix_now(), "1");
    let tampered = bad.query.replacen("msg_signature=", "msg_signature=0", 1);
    let delivery = pusher.send(&SignedRequest { query: tampered, ..bad }).expect("verification");
    assert_eq!(delivery.status, 403, "{delivery:?}");
}

#[test]
fn member_events_create_rename_and_remove() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");

    // create_user in the synced scope: an account, bound.
    let newbie = User { userid: "newbie".into(), name: "新同事".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, newbie)));
    let outcomes = followed(&open, 1);
    assert_eq!(outcomes[0].verdict, Verdict::Apply, "{outcomes:#?}");
    assert_eq!(account_of(&open, "newbie"), Some(("wecom-newbie".into(), true)));

    // update_user with a new userid: the binding follows, the account is the same.
    assert_eq!(account_of(&open, "wangxiaokai").map(|a| a.0).as_deref(), Some("u-1004"));
    let renamed = fake.with_org(|org| contact_events::change_userid(org, "wangxiaokai", "wangxk")).expect("member");
    push(&pusher, &renamed);
    followed(&open, 2);
    assert_eq!(account_of(&open, "wangxk"), Some(("u-1004".into(), true)));
    assert_eq!(account_of(&open, "wangxiaokai"), None);
    // The binding was a name match: the rename moves it but proves nothing, so the member still
    // confirms it once (here with the platform password) before signing in.
    assert_eq!(account_evidence(&open, "wangxk").as_deref(), Some("name_department"));
    let trace = runtime().block_on(drive(&open.server.base_url, "wangxk", IN_CLIENT_UA)).expect("login");
    assert_eq!(trace.outcome, "needs-password", "a rename is no proof: {trace:?}");
    let trace = runtime()
        .block_on(host_sim::cli::login_flow::drive_proving(
            &open.server.base_url,
            "wangxk",
            IN_CLIENT_UA,
            &host_sim::cli::login_flow::Proof::Password(host_sim::host::sample::DEMO_PASSWORD.to_string()),
        ))
        .expect("login");
    assert_eq!(
        trace.account_id.as_deref(),
        Some("u-1004"),
        "the renamed member signs in to the same account: {trace:?}"
    );

    // An id-only update (contact-sync callbacks since 2022-08-15) of a member the platform does
    // not know: complete_change reads user/get for the name, and the account is created.
    let quiet = User { userid: "quiet".into(), name: "安静".into(), departments: vec![5], ..User::default() };
    fake.with_org(|org| org.users.push(quiet));
    let id_only = ContactEvent::UpdateUser {
        userid: "quiet".into(),
        new_userid: None,
        name: None,
        departments: Some(vec![5]),
        status: None,
    };
    push(&pusher, &id_only);
    followed(&open, 3);
    assert_eq!(account_of(&open, "quiet"), Some(("wecom-quiet".into(), true)));

    // delete_user: binding removed and account disabled.
    push(&pusher, &fake.with_org(|org| contact_events::delete_member(org, "newbie")).expect("member"));
    followed(&open, 4);
    assert_eq!(account_of(&open, "newbie"), None, "binding removed");
    let disabled = state(&open).accounts.into_iter().find(|a| a.id.as_str() == "wecom-newbie").expect("kept");
    assert!(!disabled.enabled, "account disabled");
}

/// A newcomer arriving by callback beside an unbound account whose name differs from theirs only
/// by a space ("新 同事" for 新同事) gets no second account: the plugin's plan applies the binding
/// table's spacing rule and leaves the member to the operator, as `propose` offers the account as
/// a candidate. A newcomer with no such account still gets one.
#[test]
fn a_newcomer_beside_an_account_whose_name_differs_only_by_spacing_gets_no_second_account() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let spaced = interface::PlatformAccount { id: "u-2001".into(), name: "新 同事".into(), ..Default::default() };
    open.platform.store.lock().expect("store").import_accounts(&[spaced]).expect("import");

    let newbie = User { userid: "newbie".into(), name: "新同事".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, newbie)));
    let outcomes = followed(&open, 1);
    assert_eq!(outcomes[0].verdict, Verdict::Operator, "{outcomes:#?}");
    assert!(outcomes[0].reason.en.contains("only by spacing"), "{outcomes:#?}");
    assert_eq!(account_of(&open, "newbie"), None, "no account created beside the candidate");
    assert!(state(&open).accounts.iter().all(|a| a.id.as_str() != "wecom-newbie"));
    assert!(!open.platform.store.lock().expect("store").account_is_bound("u-2001").expect("q"), "never bound by name");

    let other = User { userid: "other".into(), name: "另一位".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, other)));
    let outcomes = followed(&open, 2);
    assert_eq!(outcomes[1].verdict, Verdict::Apply, "{outcomes:#?}");
    assert_eq!(account_of(&open, "other"), Some(("wecom-other".into(), true)));
}

#[test]
fn department_events_follow_the_mirrored_tree() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let name_of = |id: u32| state(&open).departments.into_iter().find(|d| d.wecom_id == id).map(|d| d.name.to_string());
    assert_eq!(name_of(3).as_deref(), Some("市场部门"), "the seed sync mirrored the tree");

    push(&pusher, &fake.with_org(|org| contact_events::add_department(org, 6, "运维部", 2)));
    followed(&open, 1);
    assert_eq!(name_of(6).as_deref(), Some("运维部"));

    push(&pusher, &fake.with_org(|org| contact_events::rename_department(org, 3, "市场部")).expect("department"));
    followed(&open, 2);
    assert_eq!(name_of(3).as_deref(), Some("市场部"));

    // delete_party (interface 0.2): the plugin removes the department from the mirrored tree.
    let before = state(&open);
    push(&pusher, &fake.with_org(|org| contact_events::delete_department(org, 6)).expect("department"));
    let outcomes = followed(&open, 3);
    assert_eq!(outcomes[2].what, "delete_party");
    assert_eq!(outcomes[2].verdict, Verdict::Apply, "{outcomes:#?}");
    assert_eq!(outcomes[2].applied.map(|a| a.departments_removed), Some(1), "{outcomes:#?}");
    assert_eq!(name_of(6), None, "removed from the mirrored tree");
    let kept: Vec<_> = before.departments.iter().filter(|d| d.wecom_id != 6).cloned().collect();
    assert_eq!(state(&open).departments, kept, "the rest of the tree is untouched");

    // Outside the synced tree: ignored.
    push(&pusher, &ContactEvent::CreateParty { id: 77, name: "外部".into(), parent_id: 99, order: 0 });
    let outcomes = followed(&open, 4);
    assert_eq!(outcomes[3].verdict, Verdict::Ignore);
    assert_eq!(name_of(77), None);
}

#[test]
fn a_tag_change_outside_the_scope_is_ignored() {
    let (open, pusher) = platform();
    let before = state(&open);
    let fake = open.session.fake.as_ref().expect("fake");
    push(&pusher, &fake.with_org(|org| contact_events::tag_members(org, 2, &["renshengruxi"])).expect("tag"));
    let outcomes = followed(&open, 1);
    assert_eq!((outcomes[0].what.as_str(), outcomes[0].verdict), ("update_tag", Verdict::Ignore), "{outcomes:#?}");
    assert_eq!(state(&open).bindings, before.bindings);
}

/// A platform syncing tag 2 (新员工) only, served over HTTP, with its own callback secrets.
fn tag_platform(fake: &host_sim::fake_wecom::FakeWecom) -> (RunningPlatform, Arc<Platform>, CallbackPusher) {
    let token = "TagScopeToken1";
    let key = host_sim::cli::callback_options::random_encoding_aes_key();
    let plugin = Arc::new(util::instance());
    let mut settings = util::settings(fake);
    settings.callback_token = SecretString::new(token);
    settings.callback_aes_key = SecretString::new(key.as_str());
    assert!(ok(plugin.configure(&settings)).accepted);
    let mut store = Store::in_memory().expect("store");
    store.import_accounts(&host_sim::host::sample::accounts()).expect("accounts");
    store
        .import_bindings(&[Binding {
            userid: "xiaoyueyue".into(),
            account_id: "u-1002".into(),
            evidence: Default::default(),
        }])
        .expect("bind");
    let store = Arc::new(Mutex::new(store));
    let scope = ScopeSelection { tag_ids: vec![2].into(), ..Default::default() };
    let mut made = None;
    let server = RunningPlatform::start(0, |base| {
        let follower = Follower::new(plugin.clone(), store.clone(), scope.clone(), Policy::default());
        let platform = Arc::new(Platform {
            base_url: base.to_string(),
            plugin: plugin.clone(),
            store: store.clone(),
            sessions: Default::default(),
            scope: scope.clone(),
            verify_file: None,
            follower: Arc::new(follower),
            limits: Default::default(),
        });
        made = Some(platform.clone());
        Ok(platform)
    })
    .expect("platform");
    let platform = made.expect("platform");
    let corp_id = fake.with_org(|org| org.corp_id.clone());
    let pusher = CallbackPusher::new(&platform.callback_url(), token, &key, &corp_id).expect("pusher");
    (server, platform, pusher)
}

#[test]
fn a_tag_change_in_the_scope_runs_the_reconcile() {
    let fake = util::fake();
    let (_server, platform, pusher) = tag_platform(&fake);
    push(&pusher, &fake.with_org(|org| contact_events::tag_members(org, 2, &["renshengruxi"])).expect("tag"));
    assert!(platform.follower.wait_idle(Duration::from_secs(20)));
    let outcomes = platform.follower.journal.entries();
    assert_eq!(outcomes.len(), 2, "{outcomes:#?}");
    assert_eq!((outcomes[0].what.as_str(), outcomes[0].verdict), ("update_tag", Verdict::NeedsFullRead));
    assert_eq!((outcomes[1].what.as_str(), outcomes[1].verdict), ("reconcile", Verdict::Apply), "{outcomes:#?}");
    let store = platform.store.lock().expect("store");
    let account = store.account_for_userid("renshengruxi").expect("query").expect("the newly tagged member");
    assert_eq!(account.id.as_str(), "wecom-renshengruxi");
    assert_eq!(
        store.account_for_userid("xiaoyueyue").expect("query").map(|a| a.id.to_string()).as_deref(),
        Some("u-1002")
    );
}

#[test]
fn a_signed_in_leaver_is_signed_out_and_cannot_log_in_again() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let base = open.server.base_url.clone();
    let rt = runtime();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let me = |cookie: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let r = client.get(format!("{base}/me")).header("cookie", cookie).send().await.expect("me");
            r.json::<serde_json::Value>().await.expect("json")["account_id"].clone()
        }
    };
    // Sign 王晓楷 in, keeping the session cookie.
    let cookie = rt.block_on(async {
        let r = client
            .get(format!("{base}/oauth/wecom/start"))
            .header("user-agent", IN_CLIENT_UA)
            .send()
            .await
            .expect("start");
        let cookie = r.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_string();
        let location = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
        let state = location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string()).expect("state");
        let code = fake.mint_code(1000002, "wangxiaokai");
        let r = client
            .get(format!("{base}/oauth/wecom/callback?code={code}&state={state}"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("callback");
        // Bound on the name alone: the first login confirms it with the platform password.
        let page = r.text().await.expect("page");
        assert!(page.contains("data-outcome=\"needs-password\""), "{page}");
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf");
        let r = client
            .post(format!("{base}/oauth/wecom/password"))
            .header("cookie", &cookie)
            .form(&[("account_id", "u-1004"), ("password", host_sim::host::sample::DEMO_PASSWORD), ("csrf", csrf)])
            .send()
            .await
            .expect("password");
        assert_eq!(r.status().as_u16(), 200, "signed in");
        // Signing in issues a new session id.
        let signed_in = r.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair");
        assert_ne!(signed_in, cookie);
        signed_in.to_string()
    });
    assert_eq!(rt.block_on(me(cookie.clone())), serde_json::json!("u-1004"));

    // 王晓楷 leaves: the admin deletes the member and WeCom pushes delete_user.
    let delivery = pusher.member_leaves(fake, "wangxiaokai").expect("push");
    assert_eq!(delivery.status, 200);
    followed(&open, 1);
    assert_eq!(rt.block_on(me(cookie)), serde_json::Value::Null, "the session is signed out");
    let account = state(&open).accounts.into_iter().find(|a| a.id.as_str() == "u-1004").expect("account");
    assert!(!account.enabled, "account disabled");
    let again = rt.block_on(drive(&base, "wangxiaokai", IN_CLIENT_UA)).expect("login attempt");
    assert_ne!(again.outcome, "signed-in", "{again:?}");
}

#[test]
fn the_platform_refuses_a_leaver_even_while_wecom_still_knows_them() {
    // The member is only pushed as deleted, not removed from the fake: what refuses the login is
    // the platform's own change (binding removed, account disabled), not WeCom's user/get.
    let (open, pusher) = platform();
    push(&pusher, &ContactEvent::DeleteUser { userid: "baikaishui".into() });
    followed(&open, 1);
    let trace = runtime().block_on(drive(&open.server.base_url, "baikaishui", IN_CLIENT_UA)).expect("login");
    // No binding any more: the member has no account to sign in to (the plugin leaves it to the
    // operator's next sync).
    assert!(matches!(trace.outcome.as_str(), "unbound" | "operator"), "{trace:?}");
}

#[test]
fn refused_requests_change_nothing() {
    let (open, pusher) = platform();
    let before = state(&open);
    let now = unix_now();
    let xml = ContactEvent::DeleteUser { userid: "baikaishui".into() }.to_xml(pusher_corp(&open).as_str(), now);
    let good = pusher.event_request(&xml, now, "1001");
    let tampered = SignedRequest { query: good.query.replacen("msg_signature=", "msg_signature=f", 1), ..good.clone() };
    let delivery = pusher.send(&tampered).expect("send");
    assert_eq!(delivery.status, 403, "bad signature: {delivery:?}");
    assert!(delivery.body.contains("callback.signature_mismatch"), "{}", delivery.body);
    let refusals = [
        ("stale timestamp", pusher.event_request(&xml, now - 3600, "1002"), "callback.stale_timestamp"),
        (
            "wrong receiver",
            pusher.event_request_for(&xml, "wwsomeoneelse00000", now, "1003"),
            "callback.receiver_mismatch",
        ),
        ("broken base64", pusher.raw_request("@@not*base64@@", now, "1004"), "callback.bad_base64"),
        ("broken padding", pusher.raw_request(&"A".repeat(64), now, "1005"), "callback."),
        ("broken XML", pusher.event_request("<xml><ChangeType>delete_user", now, "1006"), "callback.bad_xml"),
        ("missing Encrypt", SignedRequest { body: "<xml></xml>".into(), ..good.clone() }, "callback."),
    ];
    for (what, request, code) in refusals {
        let delivery = pusher.send(&request).expect("send");
        assert_eq!(delivery.status, 400, "{what}: {delivery:?}");
        assert!(delivery.body.contains(code), "{what}: {}", delivery.body);
    }
    assert!(open.platform.follower.wait_idle(Duration::from_secs(5)));
    assert!(open.platform.follower.journal.entries().is_empty(), "nothing was followed");
    let after = state(&open);
    assert_eq!(
        (after.accounts, after.bindings, after.departments),
        (before.accounts, before.bindings, before.departments)
    );

    // The good request goes through once; its replay is acknowledged and not applied again.
    assert_eq!(pusher.send(&good).expect("send").status, 200);
    followed(&open, 1);
    assert_eq!(pusher.send(&good).expect("send").status, 200, "a replay is acknowledged");
    assert_eq!(followed(&open, 1).len(), 1, "and not followed again");
}

fn pusher_corp(open: &OpenPlatform) -> String {
    open.session.fake.as_ref().expect("fake").with_org(|org| org.corp_id.clone())
}

#[test]
fn the_reconcile_catches_a_lost_callback_but_never_from_a_partial_read() {
    let (open, _pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    // The first reconcile settles what the seed sync left for the operator (周敏 left earlier).
    open.platform.reconcile();
    let before = state(&open);
    assert_eq!(account_of(&open, "cuncaoxin").map(|a| a.0).as_deref(), Some("wecom-cuncaoxin"));

    // 寸草心 is deleted in WeCom and the callback never arrives.
    fake.with_org(|org| contact_events::delete_member(org, "cuncaoxin")).expect("member");

    // A read that fails part-way proves nothing about who left: nothing is removed. (The
    // user/simplelist + user/get fallback of a refused user/list is refused too.)
    let refused = |endpoint: &str| FaultRule {
        endpoint: Some(endpoint.into()),
        ..FaultRule::new(FaultKind::Errcode { errcode: 60011, errmsg: String::new() })
    };
    fake.set_faults(Faults { rules: vec![refused("user/list"), refused("user/simplelist")] });
    let partial = open.platform.reconcile();
    assert!(partial.iter().all(|o| o.unbound_accounts.is_empty()), "{partial:#?}");
    assert_eq!(state(&open).bindings, before.bindings);

    // A complete read does: the binding goes and the account is disabled.
    fake.clear_faults();
    let full = open.platform.reconcile();
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].unbound_accounts, ["wecom-cuncaoxin"], "{full:#?}");
    assert_eq!(account_of(&open, "cuncaoxin"), None);
    let account = state(&open).accounts.into_iter().find(|a| a.id.as_str() == "wecom-cuncaoxin").expect("kept");
    assert!(!account.enabled);
}

#[test]
fn the_host_policy_can_only_unbind_and_leave_newcomers_to_the_operator() {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let options = CallbackOptions {
        policy: PolicyArgs { on_leave: OnLeave::Unbind, new_members: NewMembers::Ignore },
        ..Default::default()
    };
    let store = Store::in_memory().expect("store");
    let open = open_platform_full(&args, 0, store, None, true, &options).expect("platform starts");
    let pusher = open.pusher().expect("pusher");
    let fake = open.session.fake.as_ref().expect("fake");
    assert_eq!(account_of(&open, "clear").map(|a| a.0).as_deref(), Some("u-1005"));

    // Disabled by the admin (status 2): a leave, but under this policy the account stays enabled.
    push(&pusher, &fake.with_org(|org| contact_events::set_status(org, "clear", 2)).expect("member"));
    let outcomes = followed(&open, 1);
    assert_eq!(outcomes[0].verdict, Verdict::Apply, "{outcomes:#?}");
    assert_eq!(account_of(&open, "clear"), None, "unbound");
    let account = state(&open).accounts.into_iter().find(|a| a.id.as_str() == "u-1005").expect("account");
    assert!(account.enabled, "only unbound");

    let newbie = User { userid: "newbie".into(), name: "新同事".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, newbie)));
    let outcomes = followed(&open, 2);
    assert!(matches!(outcomes[1].verdict, Verdict::Ignore | Verdict::Operator), "left to the operator: {outcomes:#?}");
    assert_eq!(account_of(&open, "newbie"), None);
}

#[test]
fn an_event_is_acknowledged_before_the_slow_work_starts() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    // WeCom is slow to answer user/get, which completing an id-only event needs.
    fake.set_faults(Faults {
        rules: vec![FaultRule { endpoint: Some("user/get".into()), ..FaultRule::new(FaultKind::Stall { ms: 1500 }) }],
    });
    let late = User { userid: "late".into(), name: "迟到".into(), departments: vec![3], ..User::default() };
    fake.with_org(|org| org.users.push(late));
    let id_only = ContactEvent::UpdateUser {
        userid: "late".into(),
        new_userid: None,
        name: None,
        departments: None,
        status: None,
    };
    push(&pusher, &id_only);
    assert!(open.platform.follower.journal.entries().is_empty(), "answered before the change was followed");
    assert_eq!(account_of(&open, "late"), None);
    followed(&open, 1);
    assert_eq!(account_of(&open, "late"), Some(("wecom-late".into(), true)), "followed after the answer");
}

#[test]
fn changes_are_followed_in_the_order_they_arrived() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    // The first event needs a slow user/get; the second needs no WeCom call at all. Followed in
    // parallel, the delete would land first (nothing bound yet) and the account would survive.
    fake.set_faults(Faults {
        rules: vec![FaultRule { endpoint: Some("user/get".into()), ..FaultRule::new(FaultKind::Stall { ms: 800 }) }],
    });
    let brief = User { userid: "brief".into(), name: "短暂".into(), departments: vec![3], ..User::default() };
    fake.with_org(|org| org.users.push(brief));
    let joined = ContactEvent::UpdateUser {
        userid: "brief".into(),
        new_userid: None,
        name: None,
        departments: None,
        status: None,
    };
    push(&pusher, &joined);
    push(&pusher, &ContactEvent::DeleteUser { userid: "brief".into() });
    let outcomes = followed(&open, 2);
    let order: Vec<(&str, Verdict)> = outcomes.iter().map(|o| (o.what.as_str(), o.verdict)).collect();
    assert_eq!(order, [("update_user", Verdict::Apply), ("delete_user", Verdict::Apply)], "{outcomes:#?}");
    assert_eq!(account_of(&open, "brief"), None, "the later delete wins");
    let account = state(&open).accounts.into_iter().find(|a| a.id.as_str() == "wecom-brief").expect("created first");
    assert!(!account.enabled);
}

#[test]
fn a_fake_in_another_process_is_driven_through_its_sim_controls() {
    // As with `host-sim wecom-sim` beside `host-sim serve`: the admin saves the callback setting
    // through /_sim/callback/target, and has a member leave through /_sim/callback/member-left.
    let (open, _pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake").base_url();
    let secrets = &open.callback_secrets;
    let client = reqwest::Client::new();
    let rt = runtime();
    let post = |path: &str, body: serde_json::Value| {
        rt.block_on(async {
            let r = client.post(format!("{fake}{path}")).json(&body).send().await.expect("sim control");
            let status = r.status().as_u16();
            let text = r.text().await.expect("body");
            let json: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: HTTP {status} {text:?}: {e}"));
            (status, json)
        })
    };
    let (status, _) = post("/_sim/callback/member-left", serde_json::json!({ "userid": "baikaishui" }));
    assert_eq!(status, 409, "no target yet");
    let target = serde_json::json!({
        "url": open.platform.callback_url(),
        "token": secrets.token.expose(),
        "aes_key": secrets.aes_key.expose(),
    });
    let (status, answer) = post("/_sim/callback/target", target);
    assert_eq!((status, &answer["verified"]), (200, &serde_json::json!(true)), "{answer}");
    let (status, answer) = post("/_sim/callback/member-left", serde_json::json!({ "userid": "baikaishui" }));
    assert_eq!((status, &answer["status"]), (200, &serde_json::json!(200)), "{answer}");
    followed(&open, 1);
    assert_eq!(account_of(&open, "baikaishui"), None);
    let (status, _) = post("/_sim/callback/member-left", serde_json::json!({ "userid": "baikaishui" }));
    assert_eq!(status, 404, "already gone");
}

/// H1 through the callbacks' newcomer path: a new hire whose userid WeCom gave before to a leaver
/// (whose account `wecom-newbie` stayed, unbound) gets a new account, never the leaver's.
#[test]
fn a_newcomer_never_gets_an_existing_account_that_has_their_id() {
    let (open, pusher) = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let leaver =
        interface::PlatformAccount { id: "wecom-newbie".into(), name: "前员工".into(), ..Default::default() };
    open.platform.store.lock().expect("store").import_accounts(&[leaver]).expect("import");
    let newbie = User { userid: "newbie".into(), name: "新同事".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, newbie)));
    let outcomes = followed(&open, 1);
    assert_eq!(outcomes[0].verdict, Verdict::Apply, "{outcomes:#?}");
    let store = open.platform.store.lock().expect("store");
    let account = store.account_for_userid("newbie").expect("query").expect("an account");
    assert_ne!(account.id.as_str(), "wecom-newbie");
    assert_eq!(account.name.as_str(), "新同事");
    assert!(!store.account_is_bound("wecom-newbie").expect("query"), "the leaver's account stays unbound");
    assert_eq!(
        store.binding_for_userid("newbie").expect("q").map(|b| b.evidence.name().map(str::to_string)),
        Some(Some("created".into()))
    );
}
