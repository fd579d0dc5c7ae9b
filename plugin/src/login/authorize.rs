//! Builds WeCom's login URLs. The pages live on WeCom's web hosts, not on the API host; each is
//! an explicit setting with the real default (`authorize_base_url`, `web_login_base_url`), never
//! derived from the API base URL: a deployment behind an internal API gateway still sends members
//! to WeCom's real pages.

use crate::settings::CleanSettings;
use crate::shown::shown;
use interface::{AuthorizeRequest, AuthorizeUrl, LoginMode, PluginError, Text};
use url::Url;

/// WeCom's in-client OAuth page (网页授权), on its real host.
pub const DEFAULT_AUTHORIZE_BASE: &str = "https://open.weixin.qq.com";
/// WeCom's web (QR / desktop client) login page, on its real host.
pub const DEFAULT_WEB_LOGIN_BASE: &str = "https://login.work.weixin.qq.com";

/// Where the two login pages are.
pub struct LoginPages {
    /// In-client web authorization page.
    pub in_client: String,
    /// Browser QR / desktop-client login page.
    pub web_login: String,
}

impl LoginPages {
    /// The pages for the configured bases (already defaulted when empty).
    pub fn for_settings(settings: &CleanSettings) -> Self {
        LoginPages {
            in_client: format!("{}/connect/oauth2/authorize", settings.authorize_base_url.trim_end_matches('/')),
            web_login: format!("{}/wwlogin/sso/login", settings.web_login_base_url.trim_end_matches('/')),
        }
    }
}

/// Inside the WeCom client (its User-Agent carries `wxwork`) web authorization works; elsewhere
/// the QR / desktop-client web login does.
pub fn pick_mode(requested: LoginMode, user_agent: &str) -> LoginMode {
    match requested {
        LoginMode::Auto if user_agent.to_ascii_lowercase().contains("wxwork") => LoginMode::InClient,
        LoginMode::Auto => LoginMode::WebLogin,
        explicit => explicit,
    }
}

/// The URL to send the member to. Refuses a redirect URL outside the app's trusted domain before
/// the member ever sees WeCom's error page, and a state WeCom would not carry back intact.
pub fn authorize_url(
    settings: &CleanSettings,
    trusted_domain: &str,
    request: &AuthorizeRequest,
) -> Result<AuthorizeUrl, PluginError> {
    // Only http(s): `javascript://trusted.example.com/…` or `ftp://…` on the trusted host would
    // pass the domain comparison below but is no page the member can be sent back to.
    let parsed = Url::parse(request.redirect_url.as_str())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()));
    let redirect = parsed.ok_or_else(|| {
        let shown_url = shown(request.redirect_url.as_str(), 200);
        PluginError::new(
            "login.redirect_invalid",
            Text::new(format!("登录回调地址无效：{shown_url}"), format!("Invalid login redirect URL: {shown_url}")),
            Text::new("使用平台的完整 http(s) 回调地址。", "Use the platform's full http(s) redirect URL."),
        )
        .with_field("redirect_url")
    })?;
    let mode = pick_mode(request.mode, request.user_agent.as_str());
    check_domain(&redirect, mode, trusted_domain, &settings.web_login_domain)?;
    let state = request.state.as_str();
    if state.is_empty() || state.len() > 128 || !state.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PluginError::new(
            "login.state_invalid",
            Text::new("state 必须为 1 到 128 位字母或数字。", "state must be 1 to 128 letters or digits."),
            Text::new(
                "由主机生成随机的字母数字 state 并保存在会话中。",
                "Have the host generate a random alphanumeric state and keep it in the session.",
            ),
        )
        .with_field("state"));
    }

    let pages = LoginPages::for_settings(settings);
    // The consent page (snsapi_privateinfo) exists only inside the client; a browser login has
    // no consent step, so `consent` there is ignored and the host falls back to a password proof.
    let scope = if request.consent { "snsapi_privateinfo" } else { "snsapi_base" };
    let agent_id = settings.agent_id.to_string();
    let url = match mode {
        LoginMode::InClient => {
            let mut url = Url::parse(&pages.in_client).map_err(|_| base_error())?;
            url.query_pairs_mut()
                .append_pair("appid", &settings.corp_id)
                .append_pair("redirect_uri", redirect.as_str())
                .append_pair("response_type", "code")
                .append_pair("scope", scope)
                .append_pair("state", state)
                .append_pair("agentid", &agent_id);
            url.set_fragment(Some("wechat_redirect"));
            url
        }
        LoginMode::WebLogin => {
            let mut url = Url::parse(&pages.web_login).map_err(|_| base_error())?;
            url.query_pairs_mut()
                .append_pair("login_type", "CorpApp")
                .append_pair("appid", &settings.corp_id)
                .append_pair("agentid", &agent_id)
                .append_pair("redirect_uri", redirect.as_str())
                .append_pair("state", state);
            url
        }
        other => return Err(unknown_mode(other)),
    };
    Ok(AuthorizeUrl { url: url.to_string().into(), mode, ext: Default::default() })
}

/// The redirect's domain must be one WeCom accepts for this mode: the app's trusted domain (可信域名,
/// from `agent/get`) always; for a browser login also the web-login callback domain (企业微信授权登录
/// → Web网页 → 授权回调域, doc 98171), which `agent/get` does not report and the admin sets. Unconfirmed:
/// whether WeCom still accepts the trusted domain for web login when a separate web-login domain is
/// set; both are accepted here, so either setup works.
fn check_domain(redirect: &Url, mode: LoginMode, trusted: &str, web_login: &str) -> Result<(), PluginError> {
    let domain = crate::settings::domain_of(redirect);
    let matches = |allowed: &str| !allowed.is_empty() && domain.eq_ignore_ascii_case(allowed);
    if matches(trusted) || (mode == LoginMode::WebLogin && matches(web_login)) {
        return Ok(());
    }
    let (also_zh, also_en) = if mode == LoginMode::WebLogin && !web_login.is_empty() {
        (
            format!("或网页登录授权回调域（{}）", shown(web_login, 200)),
            format!(" or the web-login domain ({})", shown(web_login, 200)),
        )
    } else {
        (String::new(), String::new())
    };
    Err(PluginError::new(
        "login.redirect_domain_untrusted",
        Text::new(
            format!("回调地址的域名 {domain} 不是应用的可信域名（{}）{also_zh}，企业微信会拒绝登录。", display_or_none_zh(trusted)),
            format!("The redirect URL's domain {domain} is not the app's trusted domain ({}){also_en}; WeCom would refuse the login.", display_or_none_en(trusted)),
        ),
        Text::new(
            format!("在 应用管理 → 自建应用 → 网页授权及JS-SDK → 可信域名 中设置 {domain}（网页登录也可设置 企业微信授权登录 → Web网页 → 授权回调域），或使用该域名下的回调地址。"),
            format!("Set {domain} as the app's 可信域名 (trusted domain) (for browser login, or as 企业微信授权登录 → Web网页 → 授权回调域), or use a redirect URL on that domain."),
        ),
    )
    .with_field("redirect_url"))
}

fn unknown_mode(mode: LoginMode) -> PluginError {
    PluginError::new(
        "login.mode_unknown",
        Text::new(format!("未知的登录方式 {mode:?}。"), format!("Unknown login mode {mode:?}.")),
        Text::new("使用 auto、in_client 或 web_login。", "Use auto, in_client or web_login."),
    )
    .with_field("mode")
}

/// The trusted domain comes from WeCom's `agent/get`: shown bounded and escaped.
fn display_or_none_zh(domain: &str) -> String {
    if domain.is_empty() {
        "未设置".to_string()
    } else {
        shown(domain, 200)
    }
}

fn display_or_none_en(domain: &str) -> String {
    if domain.is_empty() {
        "not set".to_string()
    } else {
        shown(domain, 200)
    }
}

fn base_error() -> PluginError {
    PluginError::new(
        "config.url_invalid",
        Text::new("接口地址无效。", "The API base URL is invalid."),
        Text::new("检查接口地址配置。", "Check the API base URL setting."),
    )
    .with_field("api_base_url")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wecom::Secret;

    const REAL: &str = "";

    /// Settings whose login pages are at `pages` (`REAL`: WeCom's own hosts).
    fn settings(pages: &str) -> CleanSettings {
        let (authorize, web_login) = if pages.is_empty() {
            (DEFAULT_AUTHORIZE_BASE.to_string(), DEFAULT_WEB_LOGIN_BASE.to_string())
        } else {
            (pages.to_string(), pages.to_string())
        };
        CleanSettings {
            corp_id: "ww8f3a1c2d4e5b6a70".into(),
            agent_id: 1000002,
            secret: Secret::new("s".to_string()),
            api_base_url: "https://qyapi.weixin.qq.com".into(),
            authorize_base_url: authorize,
            web_login_base_url: web_login,
            web_login_domain: String::new(),
            callback_window_secs: 300,
            homepage_url: None,
            redirect_url: None,
            callback_url: None,
            proxy_url: None,
            allow_plain_http: false,
            callback_token: None,
            callback_aes_key: None,
        }
    }

    fn request(redirect: &str, mode: LoginMode, ua: &str) -> AuthorizeRequest {
        AuthorizeRequest {
            redirect_url: redirect.into(),
            state: "abc123".into(),
            mode,
            user_agent: ua.into(),
            ..Default::default()
        }
    }

    #[test]
    fn in_client_url_is_wecoms_oauth_page() {
        let got = authorize_url(
            &settings(REAL),
            "wx.example.com",
            &request("https://wx.example.com/cb?x=1", LoginMode::Auto, "Mozilla/5.0 wxwork/4.1"),
        )
        .expect("valid");
        assert_eq!(got.mode, LoginMode::InClient);
        assert_eq!(
            got.url.as_str(),
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww8f3a1c2d4e5b6a70&redirect_uri=https%3A%2F%2Fwx.example.com%2Fcb%3Fx%3D1&response_type=code&scope=snsapi_base&state=abc123&agentid=1000002#wechat_redirect"
        );
    }

    #[test]
    fn browsers_get_the_web_login_page() {
        let got = authorize_url(
            &settings(REAL),
            "wx.example.com",
            &request("https://wx.example.com/cb", LoginMode::Auto, "Mozilla/5.0 Chrome"),
        )
        .expect("valid");
        assert_eq!(got.mode, LoginMode::WebLogin);
        assert!(got.url.starts_with("https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww8f3a1c2d4e5b6a70&agentid=1000002&redirect_uri="));
    }

    #[test]
    fn an_api_gateway_does_not_move_the_login_pages() {
        let mut s = settings(REAL);
        s.api_base_url = "https://wecom-gateway.corp.internal".into();
        let got = authorize_url(&s, "wx.example.com", &request("https://wx.example.com/cb", LoginMode::InClient, ""))
            .expect("valid");
        assert!(got.url.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?"), "{}", got.url);
    }

    #[test]
    fn consent_asks_for_private_info_in_the_client_only() {
        let mut r = request("https://wx.example.com/cb", LoginMode::InClient, "");
        r.consent = true;
        let got = authorize_url(&settings(REAL), "wx.example.com", &r).expect("valid");
        assert!(got.url.contains("scope=snsapi_privateinfo"), "{}", got.url);
    }

    #[test]
    fn the_web_login_domain_is_accepted_for_browsers_only() {
        let mut s = settings(REAL);
        s.web_login_domain = "login.example.com".into();
        let web = request("https://login.example.com/cb", LoginMode::WebLogin, "");
        assert!(authorize_url(&s, "wx.example.com", &web).is_ok());
        let in_client = request("https://login.example.com/cb", LoginMode::InClient, "");
        let err = authorize_url(&s, "wx.example.com", &in_client).expect_err("in-client needs the trusted domain");
        assert_eq!(err.code.as_str(), "login.redirect_domain_untrusted");
        let trusted = request("https://wx.example.com/cb", LoginMode::WebLogin, "");
        assert!(authorize_url(&s, "wx.example.com", &trusted).is_ok(), "the trusted domain still works for browsers");
    }

    #[test]
    fn a_custom_base_serves_the_pages_under_the_same_paths() {
        let got = authorize_url(
            &settings("http://127.0.0.1:9"),
            "127.0.0.1:8",
            &request("http://127.0.0.1:8/cb", LoginMode::WebLogin, ""),
        )
        .expect("valid");
        assert!(got.url.starts_with("http://127.0.0.1:9/wwlogin/sso/login?"));
    }

    #[test]
    fn redirects_off_the_trusted_domain_and_bad_states_are_refused() {
        let s = settings(REAL);
        let err = authorize_url(&s, "wx.example.com", &request("https://evil.example.com/cb", LoginMode::Auto, ""))
            .expect_err("untrusted");
        assert_eq!(err.code.as_str(), "login.redirect_domain_untrusted");
        let err = authorize_url(&s, "wx.example.com", &request("https://wx.example.com:8443/cb", LoginMode::Auto, ""))
            .expect_err("port differs");
        assert_eq!(err.code.as_str(), "login.redirect_domain_untrusted");
        let mut r = request("https://wx.example.com/cb", LoginMode::Auto, "");
        r.state = "a b".into();
        assert_eq!(authorize_url(&s, "wx.example.com", &r).expect_err("state").code.as_str(), "login.state_invalid");
    }
}
