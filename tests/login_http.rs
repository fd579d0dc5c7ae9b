//! The one-click login over real HTTP: the platform's start and callback endpoints, WeCom's login
//! pages served by the fake, both modes, and the usual attacks on the state and the code.

use crate::util::{self, err, ok};
use host_sim::cli::login_flow::{drive, drive_proving, drive_visitor, Proof, Visitor, BROWSER_UA, IN_CLIENT_UA};
use host_sim::cli::serve::{open_platform, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::fake_wecom::{FakeConfig, Org};
use host_sim::store::Store;
use interface::{LoginRequest, SecretString};
use reqwest::redirect::Policy;

fn platform() -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Starts a login in a fresh browser session: (session cookie, WeCom login page URL, state).
async fn start(client: &reqwest::Client, base: &str) -> (String, String, String) {
    let r =
        client.get(format!("{base}/oauth/wecom/start")).header("user-agent", IN_CLIENT_UA).send().await.expect("start");
    assert_eq!(r.status().as_u16(), 302);
    let cookie = r.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_string();
    let location = r.headers()["location"].to_str().expect("location").to_string();
    let state = url::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .expect("state");
    (cookie, location, state)
}

async fn callback(client: &reqwest::Client, base: &str, cookie: Option<&str>, query: &str) -> (u16, String) {
    let mut req = client.get(format!("{base}/oauth/wecom/callback?{query}"));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.expect("callback");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

fn demo_password() -> Proof {
    Proof::Password(host_sim::host::sample::DEMO_PASSWORD.to_string())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

#[test]
fn both_modes_sign_a_bound_member_in_over_http() {
    let open = platform();
    let rt = runtime();
    // Bound on the name alone: not signed in silently.
    let asked = rt.block_on(drive(&open.server.base_url, "wangxiaokai", IN_CLIENT_UA)).expect("round trip");
    assert_eq!((asked.outcome.as_str(), asked.account_id.as_deref()), ("needs-password", None), "{asked:?}");
    // The member proves the account once with its platform password, and is signed in.
    let in_client = rt
        .block_on(drive_proving(&open.server.base_url, "wangxiaokai", IN_CLIENT_UA, &demo_password()))
        .expect("round trip");
    assert_eq!(
        (in_client.outcome.as_str(), in_client.account_id.as_deref()),
        ("signed-in", Some("u-1004")),
        "{in_client:?}"
    );
    // Confirmed: the next login signs in with one click.
    let again = rt.block_on(drive(&open.server.base_url, "wangxiaokai", IN_CLIENT_UA)).expect("round trip");
    assert_eq!((again.outcome.as_str(), again.account_id.as_deref()), ("signed-in", Some("u-1004")), "{again:?}");
    let wrong = rt
        .block_on(drive_proving(
            &open.server.base_url,
            "clear",
            IN_CLIENT_UA,
            &Proof::Password("not-the-password".into()),
        ))
        .expect("round trip");
    assert_ne!(wrong.outcome, "signed-in", "a wrong password signs nobody in: {wrong:?}");
    assert!(in_client.visited[1].contains("/connect/oauth2/authorize?"), "WeCom client → web authorization");

    let browser = rt.block_on(drive(&open.server.base_url, "cuncaoxin", BROWSER_UA)).expect("round trip");
    assert_eq!(browser.outcome, "signed-in", "{browser:?}");
    assert!(browser.visited[1].contains("/wwlogin/sso/login?login_type=CorpApp"), "browser → QR / web login");
    assert_eq!(browser.account_id.as_deref(), Some("wecom-cuncaoxin"), "the account created for the member at sync");
}

#[test]
fn forged_missing_replayed_and_expired_states_are_refused() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("built-in fake");
    let base = open.server.base_url.clone();
    let rt = runtime();
    let client = no_redirects();
    rt.block_on(async {
        let (cookie, _, state) = start(&client, &base).await;
        let code = fake.mint_code(1000002, "wangxiaokai");
        let (status, page) = callback(&client, &base, Some(&cookie), &format!("code={code}&state=forged123")).await;
        assert_eq!(status, 403, "forged state: {page}");
        assert!(page.contains("forged") || page.contains("does not match"), "{page}");

        let (status, _) = callback(&client, &base, Some(&cookie), &format!("code={code}")).await;
        assert_eq!(status, 403, "missing state");

        let (status, _) = callback(&client, &base, None, &format!("code={code}&state={state}")).await;
        assert_eq!(status, 403, "a state without its session cookie (another browser)");

        let (status, page) = callback(&client, &base, Some(&cookie), &format!("code={code}&state={state}")).await;
        assert_eq!(status, 200, "the genuine callback: {page}");
        let code2 = fake.mint_code(1000002, "wangxiaokai");
        let (status, _) = callback(&client, &base, Some(&cookie), &format!("code={code2}&state={state}")).await;
        assert_eq!(status, 403, "replayed state");

        let (cookie, _, state) = start(&client, &base).await;
        let session = cookie.split_once('=').map(|(_, v)| v.to_string()).expect("sid");
        open.platform
            .sessions
            .age(&session, host_sim::platform::LoginSessions::TTL + std::time::Duration::from_secs(1));
        let code3 = fake.mint_code(1000002, "wangxiaokai");
        let (status, page) = callback(&client, &base, Some(&cookie), &format!("code={code3}&state={state}")).await;
        assert_eq!(status, 403, "expired state");
        assert!(page.contains("expired"), "{page}");
    });
}

#[test]
fn a_reused_code_is_refused_over_http() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let base = open.server.base_url.clone();
    let client = no_redirects();
    runtime().block_on(async {
        let code = fake.mint_code(1000002, "clear");
        let (cookie, _, state) = start(&client, &base).await;
        assert_eq!(callback(&client, &base, Some(&cookie), &format!("code={code}&state={state}")).await.0, 200);
        let (cookie, _, state) = start(&client, &base).await;
        let (status, page) = callback(&client, &base, Some(&cookie), &format!("code={code}&state={state}")).await;
        assert_eq!(status, 403);
        assert!(page.contains("already used") || page.contains("expired"), "{page}");
    });
}

#[test]
fn an_expired_code_is_refused() {
    let fake = util::fake_with(Org::sample(), FakeConfig { code_ttl_secs: 1, ..FakeConfig::default() });
    let (plugin, _) = util::configured(&fake);
    let code = fake.mint_code(1000002, "clear");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let e = err(plugin.oauth_login(&LoginRequest { code: SecretString::new(code), ..Default::default() }));
    assert_eq!(e.code.as_str(), "login.code_invalid");
}

#[test]
fn non_members_disabled_departed_and_unbound_members_get_clear_pages() {
    let open = platform();
    let base = open.server.base_url.clone();
    let rt = runtime();
    let visitor =
        rt.block_on(drive_visitor(&base, &Visitor::NonMember("o-visitor-1".into()), IN_CLIENT_UA)).expect("trip");
    assert_eq!((visitor.outcome.as_str(), visitor.status), ("refused", 403));
    assert!(visitor.page.contains("not a member"), "{}", visitor.page);

    let disabled = rt.block_on(drive(&base, "liqiang", IN_CLIENT_UA)).expect("trip");
    assert_eq!(disabled.outcome, "refused");
    assert!(disabled.page.contains("disabled"), "{}", disabled.page);

    let departed = rt.block_on(drive(&base, "zhoumin", IN_CLIENT_UA)).expect("trip");
    assert_eq!(departed.outcome, "refused");
    assert!(departed.page.contains("left"), "{}", departed.page);

    // 张旭 was ambiguous at sync and left unbound: not signed in; the member may prove one of the
    // row's candidates (u-1006 / u-1007) instead of waiting for the operator.
    let unbound = rt.block_on(drive(&base, "zhangxu", IN_CLIENT_UA)).expect("trip");
    assert_eq!(unbound.account_id, None, "{unbound:?}");
    assert!(matches!(unbound.outcome.as_str(), "needs-password" | "unbound" | "operator"), "{unbound:?}");
}

#[test]
fn a_member_disabled_after_the_sync_is_refused_at_once() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let rt = runtime();
    assert_eq!(
        rt.block_on(drive_proving(&open.server.base_url, "wangxiaokai", IN_CLIENT_UA, &demo_password()))
            .expect("trip")
            .outcome,
        "signed-in"
    );
    fake.with_org(|org| {
        if let Some(u) = org.users.iter_mut().find(|u| u.userid == "wangxiaokai") {
            u.status = 2;
        }
    });
    let again = rt.block_on(drive(&open.server.base_url, "wangxiaokai", IN_CLIENT_UA)).expect("trip");
    assert_eq!(again.outcome, "refused", "status is re-checked at login: {again:?}");
}

#[test]
fn wecom_refuses_a_redirect_url_outside_the_trusted_domain() {
    let open = platform();
    let fake = open.session.fake.as_ref().expect("fake");
    let client = no_redirects();
    let url = format!(
        "{}/connect/oauth2/authorize?appid=ww8f3a1c2d4e5b6a70&redirect_uri={}&response_type=code&scope=snsapi_base&state=s1&agentid=1000002",
        fake.base_url(),
        "http%3A%2F%2Fevil.example.com%2Fcb"
    );
    let (status, page) = runtime().block_on(async {
        let r = client.get(url).send().await.expect("page");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    });
    assert_ne!(status, 302, "no redirect with a code");
    assert!(page.contains("data-wecom-error=\"redirect_uri_untrusted\""), "{page}");
}

#[test]
fn a_member_outside_the_synced_scope_is_refused() {
    let fake = util::fake();
    fake.with_org(|org| org.apps[0].allow_departments = vec![2]);
    let (plugin, _) = util::configured(&fake);
    // clear is in 市场部门 (3): a corp member, but outside the app's range: WeCom itself refuses.
    let e = err(plugin.oauth_login(&LoginRequest {
        code: SecretString::new(fake.mint_code(1000002, "clear")),
        ..Default::default()
    }));
    assert_eq!(e.code.as_str(), "login.out_of_scope");

    // Inside the app's range: oauth_login says who it is; the scope the host stores decides.
    let scope = interface::ScopeSelection { department_ids: vec![4].into(), ..Default::default() };
    let facts = |member: interface::LoginOutcome| interface::LoginFacts {
        member,
        scope: scope.clone(),
        scope_department_ids: vec![4].into(),
        // The host's mirror does not list them: the scope alone decides.
        member_synced: false,
        ..Default::default()
    };
    let inside = ok(plugin.oauth_login(&LoginRequest {
        code: SecretString::new(fake.mint_code(1000002, "zhangxu")),
        ..Default::default()
    }));
    assert_eq!(inside.userid.as_str(), "zhangxu");
    let decision = ok(plugin.decide_login(&facts(inside)));
    let refusal = decision.refusal.as_ref().into_option().map(|e| e.code.to_string());
    assert_ne!(refusal.as_deref(), Some("login.out_of_scope"), "{decision:?}");
    let outside = ok(plugin.oauth_login(&LoginRequest {
        code: SecretString::new(fake.mint_code(1000002, "wangxiaokai")),
        ..Default::default()
    }));
    let decision = ok(plugin.decide_login(&facts(outside)));
    assert!(!decision.signed_in);
    let refusal = decision.refusal.as_ref().into_option().map(|e| e.code.to_string());
    assert_eq!(refusal.as_deref(), Some("login.out_of_scope"), "visible, but not in the synced scope (测试部门)");
    // An empty scope (nothing synced yet) never widens it: nobody signs in.
    let again = ok(plugin.oauth_login(&LoginRequest {
        code: SecretString::new(fake.mint_code(1000002, "zhangxu")),
        ..Default::default()
    }));
    let decision = ok(plugin.decide_login(&interface::LoginFacts { member: again, ..Default::default() }));
    assert!(!decision.signed_in, "{decision:?}");
}

#[test]
fn login_code_exchanges_against_any_wecom_compatible_server() {
    let fake = util::fake();
    let dir = std::env::temp_dir().join(format!("wx-login-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("host-sim.db");
    let _ = std::fs::remove_file(&db);
    let settings = util::settings(&fake);
    let args = |code: String| host_sim::cli::login::LoginArgs {
        wecom: WecomArgs {
            wecom_base_url: Some(fake.base_url()),
            corp_id: Some(settings.corp_id.to_string()),
            agent_id: Some("1000002".into()),
            secret: Some(settings.secret.expose().to_string()),
            plugin: Some(util::plugin_path()),
            ..Default::default()
        },
        as_user: None,
        code: Some(code),
        via: host_sim::cli::login::Via::InClient,
        db: Some(db.clone()),
        port: 0,
        json: true,
        password: None,
        not_mine: false,
        policy: Default::default(),
    };
    let code = fake.mint_code(1000002, "wangxiaokai");
    let mut out = Vec::new();
    // Nothing synced into this store: WeCom says who it is, and nobody is signed in.
    assert!(!host_sim::cli::login::run(&args(code.clone()), &mut out).expect("runs"));
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(json["member"]["userid"], "wangxiaokai");
    assert_eq!(
        (json["signed_in"].clone(), json["account"].clone()),
        (serde_json::json!(false), serde_json::Value::Null)
    );
    assert!(!String::from_utf8_lossy(&out).contains(&code), "the code is not echoed");

    let mut out = Vec::new();
    assert!(!host_sim::cli::login::run(&args(code), &mut out).expect("runs"), "a reused code is refused");
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(json["error"]["code"], "login.code_invalid");
}
