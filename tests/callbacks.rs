//! Contact-change callbacks end to end: the fake WeCom edits its organisation and pushes the
//! event over HTTP, encrypted by its own implementation of WeCom's scheme, to the platform's
//! callback URL; the loaded plugin verifies and decodes it; the host applies the change set.
//! Also the failures (nothing changes), the official sample vectors through `host-sim callback`,
//! and a leaver losing access.

use crate::util::{self, ok};
use host_sim::callbacks::command::{callback, CallbackArgs, CallbackOutcome};
use host_sim::callbacks::{CallbackOptions, Follower, NewMembers, OnLeave, Outcome, Policy, PolicyArgs, Verdict};
use host_sim::fake_wecom::{
    contact_events, unix_now, CallbackPusher, ContactEvent, FaultKind, FaultRule, Faults, SignedRequest, User,
};
use host_sim::login_flow::{drive, IN_CLIENT_UA};
use host_sim::platform::{Platform, RunningPlatform};
use host_sim::serve_cmd::{open_platform, open_platform_full, OpenPlatform};
use host_sim::session::WecomArgs;
use host_sim::store::Store;
use host_sim::table::Lang;
use host_sim::workflow::StoreState;
use interface::{Binding, CallbackKind, ChangeKind, ScopeSelection, SecretString};
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
    let trace = runtime().block_on(drive(&open.server.base_url, "wangxk", IN_CLIENT_UA)).expect("login");
    assert_eq!(trace.account_id.as_deref(), Some("u-1004"), "the renamed member signs in as before: {trace:?}");

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

    let before = state(&open);
    push(&pusher, &fake.with_org(|org| contact_events::delete_department(org, 6)).expect("department"));
    let outcomes = followed(&open, 3);
    assert_eq!(outcomes[2].what, "delete_party");
    assert_eq!(outcomes[2].verdict, Verdict::Ignore, "no member is affected: {outcomes:#?}");
    assert_eq!(state(&open).departments, before.departments, "the platform keeps its department");

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
    let key = host_sim::callbacks::setup::random_encoding_aes_key();
    let plugin = Arc::new(util::instance());
    let mut settings = util::settings(fake);
    settings.callback_token = SecretString::new(token);
    settings.callback_aes_key = SecretString::new(key.as_str());
    assert!(ok(plugin.configure(&settings)).accepted);
    let mut store = Store::in_memory().expect("store");
    store.import_accounts(&host_sim::sample::accounts()).expect("accounts");
    store.import_bindings(&[Binding { userid: "xiaoyueyue".into(), account_id: "u-1002".into() }]).expect("bind");
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
    assert_eq!((outcomes[0].what.as_str(), outcomes[0].verdict), ("update_tag", Verdict::Reconcile));
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
        assert_eq!(r.status().as_u16(), 200, "signed in");
        cookie
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
    assert_eq!(trace.outcome, "unbound", "{trace:?}");
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

const OFFICIAL_TOKEN: &str = "QDG6eK";
const OFFICIAL_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const OFFICIAL_CORP: &str = "wx5823bf96d3bd56c7";

fn sample_args(signature: &str, timestamp: &str, nonce: &str) -> CallbackArgs {
    CallbackArgs {
        wecom: WecomArgs {
            plugin: Some(util::plugin_path()),
            corp_id: Some(OFFICIAL_CORP.into()),
            ..Default::default()
        },
        token: OFFICIAL_TOKEN.into(),
        aes_key: OFFICIAL_KEY.into(),
        msg_signature: signature.into(),
        timestamp: timestamp.into(),
        nonce: nonce.into(),
        echostr: None,
        body: None,
        now: timestamp.parse().ok(),
        lang: Lang::En,
        json: false,
    }
}

fn run_callback(args: &CallbackArgs) -> (CallbackOutcome, String) {
    let mut out = Vec::new();
    let outcome = callback(args, &mut out).unwrap_or_else(|e| panic!("host-sim callback failed: {e:#}"));
    (outcome, String::from_utf8(out).expect("utf-8"))
}

fn body_file(name: &str, content: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("wecom-callback-{}-{name}.xml", std::process::id()));
    std::fs::write(&path, content).expect("write body");
    path
}

#[test]
fn the_official_samples_pass_through_host_sim_callback() {
    // §11.1 (a): URL verification.
    let mut args = sample_args("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780");
    args.echostr =
        Some("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==".into());
    let (outcome, text) = run_callback(&args);
    match outcome {
        CallbackOutcome::Reply(reply) => {
            assert_eq!((reply.kind, reply.body.as_str()), (CallbackKind::UrlVerification, "1616140317555161061"))
        }
        other => panic!("{other:?}\n{text}"),
    }
    assert!(text.contains("1616140317555161061"), "{text}");

    // Without --now, the sample's 2014 timestamp is stale.
    let (outcome, text) = run_callback(&CallbackArgs { now: None, ..args.clone() });
    assert!(matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.stale_timestamp"), "{text}");

    assert!(!format!("{args:?}").contains(OFFICIAL_KEY), "Debug masks the key");

    // §11.1 (b): a valid POST of a text message: decrypted, acknowledged, not a contact change.
    let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
    let body = format!(
        "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    );
    let mut args = sample_args("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149");
    args.body = Some(body_file("official", &body));
    let (outcome, text) = run_callback(&args);
    assert!(matches!(&outcome, CallbackOutcome::Reply(r) if r.kind == CallbackKind::OtherEvent), "{outcome:?}\n{text}");

    // §11.4: a change_contact event with a changed userid.
    let encrypt = "sKqRbbiSUnDhFHOvPjtUMU7PQ9TlPGz58MfN2PRnefTgAiGuZs4K+bohrAgEHdk1CQhY5d8TEw85qKjAb/YbjTQsodp2qQcoJTjWkcD0nAIXApP4lrR5nOkRrS+ceEr8QX6CeoFFXLEaRYt/OkXLYWTjYA0EbcHzUv3KM2825XqgL5PWIHUwB07RkMrQe979LkgOQrBqsU7sOkLb2BPA8BXGN+jZEjZekjc2Y8f3XC7ZS5t8KEOx7I68o0/XrmdG+SRptZnRGWjt+b9uewtJwcE0LIzYqgYI/SEJrONYg7RVFgRk1FVU+Ux4ZK0cUDaThQOFividxBSzINt3mdDBfRNVq4Z7CaiNuA2mdOvmGj+kAGOeB9sgb3D0xiUX24W1JfVSdQ7vdlLCqlCTqqTRNqMKob8axciS0mkoqVgEAPtp0DLeudgO57SEYY3Cg++uNe4Fkqjb9xs7WMG8lui5GLA/wlDYZ7CeTco0qDSKfT3i2MVoyeEIysZ3Uru9uUbiLHNHxOoxsTZdPUzLe6fjhn2d8CZVXrLM9zJuzcQoiKdkD6Zto0SUIopAyuu/Yl1d9SMPOiczmkNmNWX0koQd6w==";
    let body = format!(
        "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    let mut args = sample_args("d401266b317d97ead229b8566c650485cc775fe4", "1700000000", "1234567890");
    args.body = Some(body_file("change", &body));
    args.json = true;
    let (outcome, text) = run_callback(&args);
    let CallbackOutcome::Reply(reply) = outcome else { panic!("{text}") };
    let change = reply.change.into_option().expect("a change");
    assert_eq!(change.kind, ChangeKind::MemberUpdated);
    assert_eq!((change.userid.as_str(), change.new_userid.as_str()), ("zhangsan", "zhangsan001"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("--json prints JSON");
    assert_eq!(json["reply"]["change"]["new_userid"], "zhangsan001");

    // The same request with one digit of the nonce changed: refused, as the samples require.
    let mut args = sample_args("d401266b317d97ead229b8566c650485cc775fe4", "1700000000", "1234567891");
    args.body = Some(body_file("change", &body));
    let (outcome, text) = run_callback(&args);
    assert!(
        matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.signature_mismatch"),
        "{text}"
    );
    assert!(!text.contains(OFFICIAL_KEY) && !text.contains(OFFICIAL_TOKEN), "no secret in the output: {text}");

    // §11.2 (a): wechatpy's verification vector (another corp).
    let mut args = sample_args("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425");
    args.token = "123456".into();
    args.aes_key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR".into();
    args.wecom.corp_id = Some("wx49f0ab532d5d035a".into());
    args.echostr =
        Some("4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==".into());
    let (outcome, text) = run_callback(&args);
    assert!(matches!(&outcome, CallbackOutcome::Reply(r) if r.body.as_str() == "5927782489442352469"), "{text}");

    // The official vector checked against the wrong corp: the receiver id does not match.
    let mut args = sample_args("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780");
    args.wecom.corp_id = Some("ww8f3a1c2d4e5b6a70".into());
    args.echostr =
        Some("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==".into());
    let (outcome, text) = run_callback(&args);
    assert!(
        matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.receiver_mismatch"),
        "{text}"
    );
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

    // A read that fails part-way proves nothing about who left: nothing is removed.
    fake.set_faults(Faults {
        rules: vec![FaultRule {
            endpoint: Some("user/list".into()),
            ..FaultRule::new(FaultKind::Errcode { errcode: 60011, errmsg: String::new() })
        }],
    });
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
    assert_eq!(outcomes[1].verdict, Verdict::Ignore, "left to the operator: {outcomes:#?}");
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
            (r.status().as_u16(), r.json::<serde_json::Value>().await.expect("json"))
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
