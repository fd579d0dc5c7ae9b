//! Property tests of the OAuth inputs (issue 8): the redirect URL, state and User-Agent of the
//! authorize URL, the trusted domain WeCom reports, and the `code` query parameter. Nothing
//! panics; a redirect whose host is not the trusted domain is always refused; an accepted URL
//! carries each parameter exactly once; a code reaches WeCom as exactly one `code` parameter,
//! whatever characters it holds.
//!
//! CI case counts: 512 for the pure properties, 48 for the code sent over HTTP to a local
//! responder. `PROPTEST_CASES` overrides them (see `proptest_support`).

use super::exchange::checked_code;
use super::{authorize_url, pick_mode};
use crate::connect::DEFAULT_API_BASE;
use crate::proptest_support::{config, is_clear_text, nasty_string};
use crate::settings::CleanSettings;
use crate::wecom::{Client, ClientConfig, CodeIdentity, Secret};
use interface::{AuthorizeRequest, LoginMode, PluginError};
use proptest::prelude::*;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use url::Url;

const TRUSTED: &str = "wx.example.com";

fn settings(api_base_url: &str) -> CleanSettings {
    CleanSettings {
        corp_id: "ww8f3a1c2d4e5b6a70".into(),
        agent_id: 1000002,
        secret: Secret::new("THE-SECRET-VALUE"),
        api_base_url: api_base_url.into(),
        homepage_url: None,
        redirect_url: None,
        callback_url: None,
        proxy_url: None,
        allow_plain_http: false,
        callback_token: None,
        callback_aes_key: None,
        // Pages on the API base, as a WeCom-compatible test server serves them.
        authorize_base_url: api_base_url.into(),
        web_login_base_url: api_base_url.into(),
        web_login_domain: String::new(),
        callback_window_secs: 300,
    }
}

fn mode() -> impl Strategy<Value = LoginMode> {
    prop::sample::select(vec![LoginMode::Auto, LoginMode::InClient, LoginMode::WebLogin])
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,12}(\\.[a-z0-9-]{1,12}){0,3}",
        "[A-Za-z0-9.-]{1,30}",
        Just(TRUSTED.to_string()),
        Just("WX.Example.COM".to_string()),
        Just(format!("{TRUSTED}.")),
        Just(format!("{TRUSTED}.evil.com")),
        Just(format!("evil.{TRUSTED}")),
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
        Just("xn--fiqs8s.example.com".to_string()),
    ]
}

/// Redirect URLs: well-formed ones on random hosts, the classic confusions (userinfo, host in
/// the path, query or fragment, other schemes) and arbitrary text.
fn redirect() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(vec!["https", "http"]), host(), prop::option::of(0u32..70_000), "(/[a-z0-9?=&#%@.:-]{0,20})?")
            .prop_map(|(scheme, host, port, rest)| match port {
                Some(p) => format!("{scheme}://{host}:{p}{rest}"),
                None => format!("{scheme}://{host}{rest}"),
            }),
        2 => (host(), prop::sample::select(vec![
            "https://{T}@{H}/cb", "https://{H}/{T}/cb", "https://{H}/cb?r=https://{T}/", "https://{H}#{T}",
            "https://{T}:443@{H}/", "https://{T}\\@{H}/", "javascript://{T}/%0aalert(1)", "ftp://{T}/cb",
            "//{T}/cb", "https:/{T}/cb", "https://{T}%2F@{H}/", "wss://{T}/cb", "https://{T}{H}/",
        ])).prop_map(|(host, template)| template.replace("{T}", TRUSTED).replace("{H}", &host)),
        1 => nasty_string(),
    ]
}

/// `host[:port]` of a URL as the plugin compares it, computed independently.
fn domain(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

fn check_error(e: &PluginError) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(
            e.code.as_str(),
            "login.redirect_invalid" | "login.redirect_domain_untrusted" | "login.state_invalid" | "config.url_invalid"
        ),
        "{}",
        e.code
    );
    prop_assert!(e.field.is_some());
    for text in [&e.message.zh, &e.message.en, &e.fix.zh, &e.fix.en] {
        prop_assert!(!text.is_empty() && is_clear_text(text), "{text:?}");
        prop_assert!(text.chars().count() < 1_000);
        prop_assert!(!text.contains("THE-SECRET-VALUE"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// The property the login's safety rests on: a redirect not on the trusted domain is never
    /// turned into an authorize URL.
    #[test]
    fn proptest_untrusted_redirects_are_always_refused(
        redirect in redirect(),
        state in prop_oneof![4 => "[A-Za-z0-9]{1,128}", 1 => nasty_string()],
        mode in mode(),
        ua in nasty_string(),
        base in prop_oneof![Just(DEFAULT_API_BASE.to_string()), Just("http://127.0.0.1:9".to_string()), nasty_string()],
    ) {
        let request = AuthorizeRequest { redirect_url: redirect.as_str().into(), state: state.as_str().into(), mode, user_agent: ua.as_str().into(), ..Default::default() };
        let parsed = Url::parse(&redirect).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
        let on_trusted = parsed.as_ref().is_some_and(|u| domain(u).eq_ignore_ascii_case(TRUSTED));
        match authorize_url(&settings(&base), TRUSTED, &request) {
            Ok(out) => {
                prop_assert!(on_trusted, "accepted a redirect off the trusted domain: {}", redirect);
                prop_assert!(!state.is_empty() && state.len() <= 128 && state.chars().all(|c| c.is_ascii_alphanumeric()));
                prop_assert_eq!(out.mode, pick_mode(mode, &ua));
                let url = Url::parse(out.url.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                for name in ["appid", "agentid", "redirect_uri", "state"] {
                    prop_assert_eq!(pairs.iter().filter(|(k, _)| k == name).count(), 1, "{} in {}", name, out.url);
                }
                let sent = pairs.iter().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.clone()).unwrap_or_default();
                let sent = Url::parse(&sent).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(domain(&sent).eq_ignore_ascii_case(TRUSTED));
                prop_assert!(pairs.iter().any(|(k, v)| k == "state" && v == &state));
            }
            Err(e) => {
                check_error(&e)?;
                if !on_trusted {
                    prop_assert!(matches!(e.code.as_str(), "login.redirect_invalid" | "login.redirect_domain_untrusted"), "{}", e.code);
                }
            }
        }
    }

    /// Whatever WeCom reports as the trusted domain, nothing panics, and only a redirect on
    /// exactly that domain passes.
    #[test]
    fn proptest_arbitrary_trusted_domains(trusted in prop_oneof![nasty_string(), host()], redirect in redirect()) {
        let request = AuthorizeRequest { redirect_url: redirect.as_str().into(), state: "abc123".into(), mode: LoginMode::Auto, user_agent: "".into(), ..Default::default() };
        match authorize_url(&settings(DEFAULT_API_BASE), &trusted, &request) {
            Ok(_) => {
                let parsed = Url::parse(&redirect).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(!trusted.is_empty() && domain(&parsed).eq_ignore_ascii_case(&trusted));
            }
            Err(e) => check_error(&e)?,
        }
    }

    #[test]
    fn proptest_user_agent_mode(ua in prop_oneof![nasty_string(), "[ -~]{0,40}(wxwork|WXWork|wxWork)[ -~]{0,40}"], mode in mode()) {
        let picked = pick_mode(mode, &ua);
        match mode {
            LoginMode::Auto => {
                let in_client = ua.to_ascii_lowercase().contains("wxwork");
                prop_assert_eq!(picked, if in_client { LoginMode::InClient } else { LoginMode::WebLogin });
            }
            explicit => prop_assert_eq!(picked, explicit),
        }
    }

    #[test]
    fn proptest_code_parameter_checked(raw in prop_oneof![nasty_string(), "[A-Za-z0-9]{1,600}"]) {
        match checked_code(&raw) {
            Ok(code) => {
                prop_assert!(!code.is_empty() && code.len() <= 512 && code == raw.trim());
            }
            Err(e) => {
                prop_assert!(raw.trim().is_empty() || raw.trim().len() > 512);
                prop_assert_eq!(e.code.as_str(), "login.code_invalid");
                let text = format!("{e:?}");
                prop_assert!(raw.trim().chars().count() < 8 || !text.contains(raw.trim()), "the code was quoted");
            }
        }
    }
}

/// A blocking one-thread responder: records each request line's target, answers `gettoken` with a
/// token and everything else with a member.
fn responder() -> &'static (String, Arc<Mutex<Vec<String>>>) {
    static SERVER: OnceLock<(String, Arc<Mutex<Vec<String>>>)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for mut sock in listener.incoming().flatten() {
                let mut head = Vec::new();
                let mut tmp = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut tmp) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&tmp[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let target = text.split(' ').nth(1).unwrap_or("").to_string();
                let body = if target.starts_with("/cgi-bin/gettoken") {
                    r#"{"errcode":0,"access_token":"TOKEN","expires_in":7200}"#
                } else {
                    r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan"}"#
                };
                log.lock().expect("log").push(target);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes());
            }
        });
        (addr, seen)
    })
}

proptest! {
    #![proptest_config(config(48))]

    /// Any code that passes the check reaches WeCom as exactly one `code` parameter equal to it:
    /// `&`, `#`, `=`, `%`, spaces and non-ASCII cannot add or change parameters.
    #[test]
    fn proptest_code_reaches_wecom_as_one_parameter(
        raw in prop_oneof![nasty_string(), "[A-Za-z0-9]{1,64}", "([A-Za-z0-9]|&|=|#|%|\\+|\\?|/| |&access_token=X|&code=Y){1,20}"],
    ) {
        let Ok(code) = checked_code(&raw) else { return Ok(()) };
        let (addr, seen) = responder();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let client = Client::new(ClientConfig { base_url: format!("http://{addr}"), ..ClientConfig::new("wwcorp", 1, Secret::new("S")) })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let before = seen.lock().map(|s| s.len()).unwrap_or(0);
        let who = rt.block_on(client.user_info_by_code(code)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(who, CodeIdentity::Member { userid: "zhangsan".into(), user_ticket: None });
        let targets: Vec<String> = seen.lock().map(|s| s[before..].to_vec()).unwrap_or_default();
        let exchange = targets.iter().find(|t| t.starts_with("/cgi-bin/auth/getuserinfo?"));
        let exchange = exchange.ok_or_else(|| TestCaseError::fail(format!("{targets:?}")))?;
        let url = Url::parse(&format!("http://h{exchange}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        prop_assert_eq!(pairs.len(), 2, "{:?}", pairs);
        prop_assert!(pairs.contains(&("access_token".to_string(), "TOKEN".to_string())));
        prop_assert!(pairs.contains(&("code".to_string(), code.to_string())));
        prop_assert!(url.fragment().is_none());
    }
}

/// Regression: `javascript://` and `ftp://` URLs on the trusted host passed the domain check and
/// became authorize URLs.
#[test]
fn non_http_redirects_on_the_trusted_host_are_refused() {
    for redirect in ["javascript://wx.example.com/%0aalert(1)", "ftp://wx.example.com/cb", "wss://wx.example.com/cb"] {
        let request = AuthorizeRequest {
            redirect_url: redirect.into(),
            state: "abc123".into(),
            mode: LoginMode::Auto,
            user_agent: "".into(),
            ..Default::default()
        };
        let e = authorize_url(&settings(DEFAULT_API_BASE), TRUSTED, &request).expect_err(redirect);
        assert_eq!(e.code.as_str(), "login.redirect_invalid", "{redirect}");
    }
}

/// Regression: a redirect URL with a control character was echoed raw into the message.
#[test]
fn invalid_redirects_are_shown_escaped() {
    let request = AuthorizeRequest {
        redirect_url: "not a url \u{1B}[2K".into(),
        state: "abc123".into(),
        mode: LoginMode::Auto,
        user_agent: "".into(),
        ..Default::default()
    };
    let e = authorize_url(&settings(DEFAULT_API_BASE), TRUSTED, &request).expect_err("invalid");
    assert!(is_clear_text(&e.message.en) && e.message.en.contains("\\u{001B}"), "{:?}", e.message.en);
}
