//! The platform's password page attacked over real HTTP, as the security review did (its probes
//! asserted the vulnerable behaviour; these assert the fixed one), on the sample organisation
//! where 张旭 (`zhangxu`) waits on two accounts of his name (u-1006, u-1007) and u-1003 is bound
//! to another member:
//! - only the offered accounts are checked; a wrong password and an account not offered answer
//!   alike; the pending proof ends after five wrong answers, and an account after ten across
//!   sessions is not checked for a cool-down;
//! - a pending proof lives five minutes from the WeCom login whatever is posted meanwhile;
//! - a POST from another origin or without the page's token is refused.

use crate::util;
use host_sim::cli::login_flow::IN_CLIENT_UA;
use host_sim::cli::serve::{open_platform, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::platform::LoginSessions;
use host_sim::store::Store;

fn platform() -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Drives a login over HTTP up to the platform's first page: (cookie, html).
async fn to_password_page(base: &str, userid: &str) -> (String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r =
        client.get(format!("{base}/oauth/wecom/start")).header("user-agent", IN_CLIENT_UA).send().await.expect("start");
    let mut cookie =
        r.headers()["set-cookie"].to_str().expect("cookie").split(';').next().unwrap_or_default().to_string();
    let mut next = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
    for _ in 0..8 {
        let to_platform = next.as_str().starts_with(base);
        let mut req = client.get(next.clone()).header("user-agent", IN_CLIENT_UA);
        if to_platform {
            req = req.header("cookie", cookie.as_str());
        }
        let resp = req.send().await.expect("get");
        if to_platform {
            if let Some(c) = resp.headers().get("set-cookie") {
                cookie = c.to_str().expect("cookie").split(';').next().unwrap_or_default().to_string();
            }
        }
        if resp.status().is_redirection() {
            next = next.join(resp.headers()["location"].to_str().expect("location")).expect("url");
            continue;
        }
        let html = resp.text().await.expect("html");
        if to_platform {
            return (cookie, html);
        }
        // WeCom's confirm form: its action and hidden fields, plus the member.
        let action =
            html.split("action=\"").nth(1).and_then(|r| r.split('"').next()).expect("action").replace("&amp;", "&");
        let mut fields: Vec<(String, String)> = Vec::new();
        for part in html.split("<input").skip(1) {
            if !part.contains("type=\"hidden\"") {
                continue;
            }
            let attr = |a: &str| {
                part.split(&format!("{a}=\"")).nth(1).and_then(|v| v.split('"').next()).map(|v| v.replace("&amp;", "&"))
            };
            if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
                fields.push((n, v));
            }
        }
        fields.push(("userid".into(), userid.into()));
        let action = next.join(&action).expect("action url");
        let confirmed =
            client.post(action.clone()).header("user-agent", IN_CLIENT_UA).form(&fields).send().await.expect("confirm");
        next = action.join(confirmed.headers()["location"].to_str().expect("location")).expect("url");
    }
    panic!("no platform page");
}

/// The password form's token.
fn csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
}

/// POSTs the password form (with the given extra headers): (status, body).
async fn post(base: &str, cookie: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> (u16, String) {
    let mut req = reqwest::Client::new().post(format!("{base}/oauth/wecom/password")).header("cookie", cookie);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.form(fields).send().await.expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

const DEMO: &str = host_sim::host::sample::DEMO_PASSWORD;

#[test]
fn only_offered_accounts_are_checked_and_guesses_are_limited() {
    let open = platform();
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let (cookie, html) = to_password_page(&base, "zhangxu").await;
        assert!(html.contains("needs-password") && !html.contains("u-1003"), "{html}");
        let token = csrf(&html);
        // A wrong password for an offered account and the right one for an account not offered
        // answer the same.
        let wrong =
            post(&base, &cookie, &[], &[("account_id", "u-1006"), ("password", "guess"), ("csrf", &token)]).await;
        let foreign =
            post(&base, &cookie, &[], &[("account_id", "u-1003"), ("password", DEMO), ("csrf", &token)]).await;
        assert_eq!(wrong.0, 403);
        assert_eq!(wrong, foreign, "an account not offered answers like a wrong password");
        assert!(wrong.1.contains("平台密码不正确") && wrong.1.contains("not correct"), "{}", wrong.1);
        for i in 0..2 {
            let r = post(
                &base,
                &cookie,
                &[],
                &[("account_id", "u-1003"), ("password", &format!("g{i}")), ("csrf", &token)],
            )
            .await;
            assert_eq!(r, wrong);
        }
        // The fifth wrong answer ends the pending proof (bilingual); the right one then does nothing.
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "u-1006"), ("password", "g5"), ("csrf", &token)]).await;
        assert_eq!(status, 403);
        assert!(page.contains("次数过多") && page.contains("Too many wrong passwords"), "{page}");
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "u-1006"), ("password", DEMO), ("csrf", &token)]).await;
        assert_eq!(status, 403);
        assert!(!page.contains("signed-in") && page.contains("No login awaits"), "{page}");
    });
}

#[test]
fn an_account_with_too_many_wrong_passwords_across_sessions_cools_down() {
    let open = platform();
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let mut guesses = 0;
        while guesses < LoginSessions::MAX_ACCOUNT_FAILURES {
            let (cookie, html) = to_password_page(&base, "zhangxu").await;
            let token = csrf(&html);
            for _ in 1..LoginSessions::MAX_PROOF_FAILURES {
                if guesses == LoginSessions::MAX_ACCOUNT_FAILURES {
                    break;
                }
                let (status, _) =
                    post(&base, &cookie, &[], &[("account_id", "u-1007"), ("password", "nope"), ("csrf", &token)])
                        .await;
                assert_eq!(status, 403);
                guesses += 1;
            }
        }
        let (cookie, html) = to_password_page(&base, "zhangxu").await;
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "u-1007"), ("password", DEMO), ("csrf", &csrf(&html))]).await;
        assert_eq!(status, 429, "the right password is not checked during the cool-down: {page}");
        assert!(page.contains("请稍后再试") && page.contains("try again later"), "{page}");
    });
}

#[test]
fn a_pending_proof_lives_five_minutes_from_the_wecom_login_whatever_is_posted() {
    let open = platform();
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let (cookie, html) = to_password_page(&base, "zhangxu").await;
        let sid = cookie.split_once('=').map(|(_, v)| v.to_string()).expect("sid");
        // "Not mine" for an account never offered keeps nothing alive.
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "whatever"), ("not_mine", "1"), ("csrf", &csrf(&html))]).await;
        assert_eq!(status, 403, "{page}");
        // "Not mine" for an offered one asks again under the same deadline.
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "u-1006"), ("not_mine", "1"), ("csrf", &csrf(&html))]).await;
        assert_eq!(status, 200, "{page}");
        let html = if page.contains("needs-password") { page } else { html };
        open.platform.sessions.age(&sid, LoginSessions::PROOF_WINDOW);
        let (status, page) =
            post(&base, &cookie, &[], &[("account_id", "u-1007"), ("password", DEMO), ("csrf", &csrf(&html))]).await;
        assert_eq!(status, 403);
        assert!(page.contains("重新通过企业微信登录") && page.contains("sign in with WeCom again"), "{page}");
    });
}

#[test]
fn a_post_from_another_origin_or_without_the_pages_token_is_refused() {
    let open = platform();
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let (cookie, html) = to_password_page(&base, "zhangxu").await;
        let token = csrf(&html);
        let fields = [("account_id", "u-1006"), ("password", DEMO), ("csrf", token.as_str())];
        for headers in [
            vec![("origin", "https://evil.example")],
            vec![("origin", "null")],
            vec![("referer", "https://evil.example/page")],
            vec![("origin", "https://sub.127.0.0.1.nip.io")],
        ] {
            let (status, page) = post(&base, &cookie, &headers, &fields).await;
            assert_eq!(status, 403, "{headers:?}: {page}");
            assert!(page.contains("其他网站") && page.contains("another site"), "{page}");
        }
        for bad in ["", "forged", &token[..token.len() - 1]] {
            let (status, page) =
                post(&base, &cookie, &[], &[("account_id", "u-1006"), ("password", DEMO), ("csrf", bad)]).await;
            assert_eq!(status, 403, "token {bad:?}: {page}");
            assert!(page.contains("表单已失效") && page.contains("stale"), "{page}");
        }
        let own = base.trim_end_matches('/').to_string();
        let (status, page) = post(&base, &cookie, &[("origin", own.as_str())], &fields).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("signed-in"), "{page}");
    });
}

/// Review L1: a login decision is applied only to the bindings it was decided on. 张旭 proves
/// u-1006; between the facts being read and the decision applied, an operator (another
/// process's `bind`) binds him to u-1007: the decision is refused ("changed, sign in again")
/// and the operator's binding stays.
#[test]
fn a_login_decision_does_not_overwrite_a_binding_made_since_its_facts() {
    use host_sim::host::login_decide;
    use host_sim::store::{Actor, Audit};
    use interface::{Binding, ChangeSet, Evidence, LoginProof, LoginRequest, SecretString, Text};
    let open = platform();
    let fake = open.session.fake.as_ref().expect("the built-in fake");
    let p = &open.platform;
    let code = fake.mint_code(1000002, "zhangxu");
    let member = p
        .plugin
        .oauth_login(&LoginRequest { code: SecretString::new(code), ..Default::default() })
        .into_result()
        .expect("login");
    let mut store = p.store.lock().expect("store");
    let proof = LoginProof { password_account_id: "u-1006".into(), ..Default::default() };
    let facts = login_decide::facts(&store, member, &p.scope, p.follower.policy, proof).expect("facts");
    assert!(facts.binding.is_none(), "he waits");
    let operator = ChangeSet {
        create_bindings: vec![Binding {
            userid: "zhangxu".into(),
            account_id: "u-1007".into(),
            evidence: Evidence::Operator,
        }]
        .into(),
        ..Default::default()
    };
    let audit =
        Audit { actor: Actor::Operator, reason: Text::new("管理员绑定", "operator bind"), suspends: false };
    store.apply(&operator, &audit).expect("operator binds");
    let decided = login_decide::decide_on(&p.plugin, &mut store, facts).expect("decided");
    assert!(decided.account.is_none(), "not signed in: {:?}", decided.decision);
    let refusal = decided.decision.refusal.as_ref().into_option().expect("refused");
    assert_eq!(refusal.code.as_str(), "login.bindings_changed");
    assert!(refusal.message.zh.contains("重新登录") && refusal.message.en.contains("sign in again"));
    let binding = store.binding_for_userid("zhangxu").expect("q").expect("bound");
    assert_eq!(
        (binding.account_id.as_str(), binding.evidence),
        ("u-1007", Evidence::Operator),
        "the operator's binding stays"
    );
}
