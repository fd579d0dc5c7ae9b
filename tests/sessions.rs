//! Sessions of the platform's web server, attacked over HTTP as an attacker would: a session id
//! planted before login, an id the server never issued, a stolen pre-login id, sessions that
//! outlive their account, expiry, logout and the cookie's attributes.

use crate::util;
use host_sim::cli::login_flow::IN_CLIENT_UA;
use host_sim::cli::serve::{open_platform, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::store::Store;
use interface::PlatformAccount;
use reqwest::redirect::Policy;

fn platform() -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

fn set_cookie(r: &reqwest::Response) -> String {
    r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

/// Logs `userid` in, sending `planted` as the browser's cookie throughout when given (an
/// attacker planted it), else the cookie the server set. Returns (pre-login cookie, the
/// Set-Cookie of the signed-in page).
async fn login(open: &OpenPlatform, userid: &str, planted: Option<&str>) -> (String, String) {
    let fake = open.session.fake.as_ref().expect("fake");
    let base = &open.server.base_url;
    let c = client();
    let mut req = c.get(format!("{base}/oauth/wecom/start")).header("user-agent", IN_CLIENT_UA);
    if let Some(p) = planted {
        req = req.header("cookie", p);
    }
    let r = req.send().await.expect("start");
    assert_eq!(r.status().as_u16(), 302);
    let pre = pair(&set_cookie(&r));
    let location = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
    let state = location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string()).expect("state");
    let code = fake.mint_code(1000002, userid);
    let r = c
        .get(format!("{base}/oauth/wecom/callback?code={code}&state={state}"))
        .header("cookie", &pre)
        .send()
        .await
        .expect("callback");
    assert_eq!(r.status().as_u16(), 200, "signed in or asked for the platform password");
    let cookie = set_cookie(&r);
    let html = r.text().await.expect("page");
    if !html.contains("data-outcome=\"needs-password\"") {
        return (pre, cookie);
    }
    // A binding made by name: the member proves the account once with its platform password.
    let accounts = html.split("data-accounts=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("accounts");
    let account = accounts.split(',').next().unwrap_or_default().to_string();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("csrf");
    let form = [
        ("account_id", account),
        ("password", host_sim::host::sample::DEMO_PASSWORD.to_string()),
        ("csrf", csrf.to_string()),
    ];
    let r = c
        .post(format!("{base}/oauth/wecom/password"))
        .header("cookie", &pre)
        .form(&form)
        .send()
        .await
        .expect("password");
    assert_eq!(r.status().as_u16(), 200, "signed in after the password");
    (pre, set_cookie(&r))
}

async fn me(open: &OpenPlatform, cookie: &str) -> serde_json::Value {
    let r = client().get(format!("{}/me", open.server.base_url)).header("cookie", cookie).send().await.expect("me");
    r.json::<serde_json::Value>().await.expect("json")["account_id"].clone()
}

#[test]
fn a_session_id_planted_before_login_never_signs_the_attacker_in() {
    let open = platform();
    let rt = runtime();
    rt.block_on(async {
        let planted = "wx_sid=AttackerChosen";
        let (pre, signed) = login(&open, "wangxiaokai", Some(planted)).await;
        assert_ne!(pre, planted, "the server issues its own id at start");
        assert_eq!(me(&open, planted).await, serde_json::Value::Null, "the planted id is worth nothing");
        assert_eq!(me(&open, &pre).await, serde_json::Value::Null, "the pre-login id is dropped at login");
        let signed_pair = pair(&signed);
        assert_ne!(signed_pair, pre, "a new id at login");
        assert_eq!(me(&open, &signed_pair).await, serde_json::json!("u-1004"));
        // An id of the right shape the server never issued.
        assert_eq!(me(&open, "wx_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await, serde_json::Value::Null);
    });
}

#[test]
fn the_cookie_has_max_age_http_only_and_secure_behind_https() {
    let open = platform();
    let rt = runtime();
    rt.block_on(async {
        let (_, signed) = login(&open, "wangxiaokai", None).await;
        assert!(signed.contains("HttpOnly") && signed.contains("SameSite=Lax"), "{signed}");
        assert!(signed.contains(&format!("Max-Age={}", 8 * 3600)), "{signed}");
        assert!(!signed.contains("Secure"), "plain http on loopback: {signed}");
        let r = client()
            .get(format!("{}/oauth/wecom/start", open.server.base_url))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .expect("start");
        let cookie = set_cookie(&r);
        assert!(cookie.contains("; Secure"), "behind a TLS proxy: {cookie}");
        assert!(cookie.contains("Max-Age=600"), "{cookie}");
    });
}

#[test]
fn logout_ends_the_session_and_clears_the_cookie() {
    let open = platform();
    let rt = runtime();
    rt.block_on(async {
        let (_, signed) = login(&open, "wangxiaokai", None).await;
        let cookie = pair(&signed);
        assert_eq!(me(&open, &cookie).await, serde_json::json!("u-1004"));
        let r = client()
            .post(format!("{}/logout", open.server.base_url))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status().as_u16(), 200);
        assert!(set_cookie(&r).contains("Max-Age=0"), "{}", set_cookie(&r));
        assert_eq!(me(&open, &cookie).await, serde_json::Value::Null, "the old cookie is dead");
    });
}

#[test]
fn sessions_expire_when_idle_and_after_their_absolute_lifetime() {
    let open = platform();
    let rt = runtime();
    let limits = open.platform.sessions.limits();
    rt.block_on(async {
        let (_, signed) = login(&open, "wangxiaokai", None).await;
        let cookie = pair(&signed);
        let sid = cookie.split_once('=').map(|(_, v)| v.to_string()).expect("sid");
        open.platform.sessions.age(&sid, limits.idle + std::time::Duration::from_secs(1));
        assert_eq!(me(&open, &cookie).await, serde_json::Value::Null, "idle");

        let (_, signed) = login(&open, "wangxiaokai", None).await;
        let cookie = pair(&signed);
        let sid = cookie.split_once('=').map(|(_, v)| v.to_string()).expect("sid");
        open.platform.sessions.age(&sid, limits.idle / 2);
        assert_eq!(me(&open, &cookie).await, serde_json::json!("u-1004"), "used within the idle limit");
        open.platform.sessions.age(&sid, limits.absolute);
        assert_eq!(me(&open, &cookie).await, serde_json::Value::Null, "absolute");
    });
}

#[test]
fn a_session_ends_when_its_account_is_disabled_or_unbound() {
    let open = platform();
    let rt = runtime();
    rt.block_on(async {
        let (_, signed) = login(&open, "wangxiaokai", None).await;
        let cookie = pair(&signed);
        assert_eq!(me(&open, &cookie).await, serde_json::json!("u-1004"));
        {
            // Another admin tool disables the account directly in the store.
            let mut store = open.platform.store.lock().expect("store");
            let mut account: PlatformAccount =
                store.accounts().expect("accounts").into_iter().find(|a| a.id.as_str() == "u-1004").expect("u-1004");
            account.enabled = false;
            store.import_accounts(&[account]).expect("disable");
        }
        assert_eq!(me(&open, &cookie).await, serde_json::Value::Null, "disabled");

        let (_, signed) = login(&open, "cuncaoxin", None).await;
        let cookie = pair(&signed);
        assert_eq!(me(&open, &cookie).await, serde_json::json!("wecom-cuncaoxin"));
        {
            let mut store = open.platform.store.lock().expect("store");
            let unbind = interface::ChangeSet {
                remove_bindings: vec![interface::Unbinding {
                    userid: "cuncaoxin".into(),
                    account_id: "wecom-cuncaoxin".into(),
                    disable_account: false,
                    reason: Default::default(),
                }]
                .into(),
                ..Default::default()
            };
            store
                .apply(
                    &unbind,
                    &host_sim::store::Audit::new(host_sim::store::Actor::Operator, interface::Text::default()),
                )
                .expect("unbind");
        }
        assert_eq!(me(&open, &cookie).await, serde_json::Value::Null, "unbound");
    });
}
