//! Login through the loaded library: code → userid, with the member's status re-checked.

use crate::util::{self, err, ok};
use interface::{AuthorizeRequest, LoginMode, LoginRequest, SecretString};

fn login(code: String) -> LoginRequest {
    LoginRequest { code: SecretString::new(code), ..Default::default() }
}

#[test]
fn a_member_code_gives_the_userid_with_at_most_two_calls_and_no_gettoken() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    fake.reset_counts();
    let outcome = ok(plugin.oauth_login(&login(fake.mint_code(1000002, "wangxiaokai"))));
    assert_eq!(outcome.userid.as_str(), "wangxiaokai");
    assert_eq!(outcome.name.as_str(), "王晓楷");
    let counts = fake.request_counts();
    assert_eq!(counts.get("gettoken"), None, "token reused: {counts:?}");
    assert_eq!(fake.total_requests(), 2, "auth/getuserinfo + user/get: {counts:?}");
}

#[test]
fn a_reused_code_is_refused() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let code = fake.mint_code(1000002, "clear");
    ok(plugin.oauth_login(&login(code.clone())));
    let e = err(plugin.oauth_login(&login(code)));
    assert_eq!(e.code.as_str(), "login.code_invalid");
}

#[test]
fn non_members_and_disabled_or_departed_members_are_refused() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    assert_eq!(
        err(plugin.oauth_login(&login(fake.mint_code_for_non_member(1000002, "o-visitor")))).code.as_str(),
        "login.not_member"
    );
    // oauth_login says who it is and their status now; decide_login refuses them.
    let liqiang = ok(plugin.oauth_login(&login(fake.mint_code(1000002, "liqiang"))));
    assert_eq!(liqiang.status, interface::MemberStatus::Disabled);
    let refusal = util::login_refusal(&plugin, liqiang).map(|e| e.code.to_string());
    assert_eq!(refusal.as_deref(), Some("login.member_disabled"));
    let zhoumin = ok(plugin.oauth_login(&login(fake.mint_code(1000002, "zhoumin"))));
    assert_eq!(zhoumin.status, interface::MemberStatus::Left);
    let refusal = util::login_refusal(&plugin, zhoumin).map(|e| e.code.to_string());
    assert_eq!(refusal.as_deref(), Some("login.member_left"));
}

#[test]
fn the_authorize_url_follows_the_browser_and_refuses_other_domains() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let req = |redirect: &str, ua: &str| AuthorizeRequest {
        redirect_url: redirect.into(),
        state: "s1".into(),
        mode: LoginMode::Auto,
        user_agent: ua.into(),
        ..Default::default()
    };
    let in_client =
        ok(plugin.oauth_authorize_url(&req("http://127.0.0.1:18080/oauth/wecom/callback", "Mozilla/5.0 wxwork/4.1.0")));
    assert_eq!(in_client.mode, LoginMode::InClient);
    assert!(in_client.url.contains("/connect/oauth2/authorize?appid=ww8f3a1c2d4e5b6a70"));
    let browser =
        ok(plugin.oauth_authorize_url(&req("http://127.0.0.1:18080/oauth/wecom/callback", "Mozilla/5.0 Firefox")));
    assert_eq!(browser.mode, LoginMode::WebLogin);
    let e = err(plugin.oauth_authorize_url(&req("http://evil.example.com/cb", "")));
    assert_eq!(e.code.as_str(), "login.redirect_domain_untrusted");
}
