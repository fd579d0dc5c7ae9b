//! WeCom's OAuth web pages, on the fake's base URL under their real paths: the in-client web
//! authorization page (`/connect/oauth2/authorize`, really on open.weixin.qq.com) and the browser
//! web login (`/wwlogin/sso/login`, really on login.work.weixin.qq.com).
//!
//! They check their parameters as WeCom does and show an error page (HTTP 200, never a redirect)
//! when one is wrong. Where WeCom would ask the phone to confirm, the page asks which member logs
//! in: its one form posts to `/_sim/oauth/authorize`, which mints the code and redirects to the
//! app the way WeCom does.

use super::credentials::CodeSubject;
use super::org::App;
use super::state::Shared;
use super::view::View;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/connect/oauth2/authorize", get(in_client_page))
        .route("/wwlogin/sso/login", get(web_login_page))
        .route("/_sim/oauth/authorize", post(authorize))
        .with_state(shared)
}

/// Which WeCom login the member went through; web login adds `appid` to the redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    InClient,
    WebLogin,
}

impl Flow {
    fn name(self) -> &'static str {
        match self {
            Flow::InClient => "in_client",
            Flow::WebLogin => "web_login",
        }
    }

    /// The key the page request is counted under.
    fn endpoint(self) -> &'static str {
        match self {
            Flow::InClient => "connect/oauth2/authorize",
            Flow::WebLogin => "wwlogin/sso/login",
        }
    }
}

/// Form or query fields in order; the first occurrence of a name wins, empty counts as absent.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(text: &[u8]) -> Fields {
        Fields(url::form_urlencoded::parse(text).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// Why WeCom shows its error page: a short code for scripts, and the text in both languages.
struct Refusal {
    code: &'static str,
    zh: String,
    en: String,
}

fn refusal(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
    Refusal { code, zh: zh.into(), en: en.into() }
}

fn bad_param(name: &str, zh_expected: &str, en_expected: &str) -> Refusal {
    refusal("bad_request", format!("{name} 参数错误：{zh_expected}"), format!("{name} is invalid: {en_expected}"))
}

async fn in_client_page(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    page(&shared, Flow::InClient, &uri).await
}

async fn web_login_page(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    page(&shared, Flow::WebLogin, &uri).await
}

/// Counted like an API call and given the same latency: these are WeCom requests too.
async fn page(shared: &Shared, flow: Flow, uri: &Uri) -> Response {
    let _in_flight = shared.stats.begin(flow.endpoint());
    if shared.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(shared.config.latency_ms)).await;
    }
    let fields = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let view = shared.view();
    match check_page(&view, flow, &fields) {
        Ok(app) => login_form(&view, app, flow, &fields),
        Err(refused) => error_page(StatusCode::OK, &refused, fields.get("lang")),
    }
}

/// The checks of the page, request shape first, then the corp, the app and the redirect.
fn check_page<'a>(view: &'a View, flow: Flow, fields: &Fields) -> Result<&'a App, Refusal> {
    match flow {
        Flow::InClient => {
            if fields.get("response_type") != Some("code") {
                return Err(bad_param("response_type", "须为 code", "must be code"));
            }
            if !matches!(fields.get("scope"), Some("snsapi_base" | "snsapi_privateinfo")) {
                return Err(bad_param(
                    "scope",
                    "须为 snsapi_base 或 snsapi_privateinfo",
                    "must be snsapi_base or snsapi_privateinfo",
                ));
            }
        }
        Flow::WebLogin => {
            if fields.get("login_type") != Some("CorpApp") {
                return Err(bad_param("login_type", "自建应用须为 CorpApp", "must be CorpApp for a self-built app"));
            }
        }
    }
    if fields.get("appid") != Some(view.org.corp_id.as_str()) {
        return Err(refusal(
            "invalid_appid",
            "appid 参数错误：须为企业的 CorpID",
            "appid is invalid: it must be the corp's CorpID",
        ));
    }
    let app = check_app(view, fields.get("agentid"))?;
    check_redirect(app, fields.get("redirect_uri"))?;
    Ok(app)
}

fn check_app<'a>(view: &'a View, agentid: Option<&str>) -> Result<&'a App, Refusal> {
    let Some(app) = agentid.and_then(|a| a.trim().parse::<i64>().ok()).and_then(|id| view.app(id)) else {
        return Err(refusal(
            "invalid_agentid",
            "agentid 参数错误：企业没有这个应用",
            "agentid is invalid: the corp has no such app",
        ));
    };
    if app.close != 0 {
        return Err(refusal("app_disabled", "应用已停用", "the app is disabled"));
    }
    Ok(app)
}

/// The redirect must be an absolute http(s) URL whose host (with its port, when it has one)
/// is exactly the app's trusted domain (可信域名); the host compares case-insensitively.
fn check_redirect(app: &App, redirect_uri: Option<&str>) -> Result<url::Url, Refusal> {
    let parsed = redirect_uri
        .and_then(|raw| url::Url::parse(raw).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let Some(parsed) = parsed else {
        return Err(bad_param("redirect_uri", "须为完整的 http(s) 地址", "it must be an absolute http(s) URL"));
    };
    let host = parsed.host_str().unwrap_or("");
    let authority = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let trusted = app.redirect_domain.trim();
    if trusted.is_empty() || !authority.eq_ignore_ascii_case(trusted) {
        let configured = if trusted.is_empty() { "（未配置 / none configured）" } else { trusted };
        return Err(refusal(
            "redirect_uri_untrusted",
            format!("redirect_uri 需使用应用可信域名（{authority} 不是可信域名 {configured}）"),
            format!("redirect_uri must be on the app's trusted domain ({authority} is not {configured})"),
        ));
    }
    Ok(parsed)
}

/// Escapes text for HTML content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_lang(lang: Option<&str>) -> &'static str {
    if lang == Some("en") {
        "en"
    } else {
        "zh-CN"
    }
}

fn error_page(status: StatusCode, refused: &Refusal, lang: Option<&str>) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>企业微信 / WeCom</title></head>\n\
         <body>\n<div class=\"weui-msg\" data-wecom-error=\"{code}\">\n<h2>出错了 / Something went wrong</h2>\n\
         <p lang=\"zh-CN\">{zh}</p>\n<p lang=\"en\">{en}</p>\n</div>\n</body>\n</html>\n",
        lang = html_lang(lang),
        code = refused.code,
        zh = escape(&refused.zh),
        en = escape(&refused.en),
    );
    (status, Html(body)).into_response()
}

/// The stand-in for the phone's confirmation: pick a visible member, post back to the simulator.
fn login_form(view: &View, app: &App, flow: Flow, fields: &Fields) -> Response {
    let mut members: Vec<usize> = view.scope(app.agent_id).users.iter().copied().collect();
    members.sort_unstable();
    let mut options = String::new();
    for user in members.into_iter().filter_map(|i| view.user(i)) {
        let _ = writeln!(
            options,
            "<option value=\"{id}\">{name} ({id})</option>",
            id = escape(&user.userid),
            name = escape(&user.name)
        );
    }
    let mut hidden = vec![
        ("agentid", app.agent_id.to_string()),
        ("redirect_uri", fields.get("redirect_uri").unwrap_or("").to_owned()),
        ("state", fields.get("state").unwrap_or("").to_owned()),
        ("flow", flow.name().to_owned()),
    ];
    if flow == Flow::InClient {
        // The in-client page's scope: with snsapi_privateinfo the member consents on this page.
        hidden.push(("scope", fields.get("scope").unwrap_or("").to_owned()));
    }
    let mut inputs = String::new();
    for (name, value) in hidden {
        let _ = writeln!(inputs, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(&value));
    }
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>企业微信登录 / WeCom login</title></head>\n\
         <body>\n<h1>{app}</h1>\n<p>{corp}</p>\n\
         <p>模拟企业微信：选择登录的成员 / Simulated WeCom: choose the member who logs in</p>\n\
         <form method=\"post\" action=\"/_sim/oauth/authorize\">\n{inputs}<select name=\"userid\">\n{options}</select>\n\
         <button type=\"submit\">确认登录 / Log in</button>\n</form>\n</body>\n</html>\n",
        lang = html_lang(fields.get("lang")),
        app = escape(&app.name),
        corp = escape(&view.org.corp_name),
    );
    Html(body).into_response()
}

/// The member confirmed: a fresh code, and WeCom's redirect to the app. Not counted as a WeCom
/// call. Malformed posts (a simulator caller's mistake) are a 400 error page; refusals WeCom
/// itself would make are its 200 error page.
async fn authorize(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    let flow = match fields.get("flow") {
        Some("in_client") => Flow::InClient,
        Some("web_login") => Flow::WebLogin,
        _ => {
            let refused = bad_param("flow", "须为 in_client 或 web_login", "must be in_client or web_login");
            return error_page(StatusCode::BAD_REQUEST, &refused, None);
        }
    };
    let subject = match (fields.get("userid"), fields.get("openid")) {
        (Some(userid), None) => CodeSubject::Member(userid.to_owned()),
        (None, Some(openid)) => CodeSubject::NonMember(openid.to_owned()),
        _ => {
            let refused = refusal(
                "bad_request",
                "须给出 userid（成员）或 openid（非成员）之一",
                "give exactly one of userid (a member) or openid (not a member)",
            );
            return error_page(StatusCode::BAD_REQUEST, &refused, None);
        }
    };
    let view = shared.view();
    let checked = check_app(&view, fields.get("agentid")).and_then(|app| {
        let parsed = check_redirect(app, fields.get("redirect_uri"))?;
        Ok((app, parsed))
    });
    let (app, parsed) = match checked {
        Ok(found) => found,
        Err(refused) => return error_page(StatusCode::OK, &refused, None),
    };
    let consented = flow == Flow::InClient && fields.get("scope") == Some("snsapi_privateinfo");
    let code = shared.mint_code_with_consent(app.agent_id, subject, consented);
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = fields.get("state") {
        pairs.push(("state", state));
    }
    if flow == Flow::WebLogin {
        pairs.push(("appid", view.org.corp_id.as_str()));
    }
    // The redirect as given when it is plain ASCII, else as the URL parser spelled it.
    let raw = fields.get("redirect_uri").unwrap_or("");
    let location =
        [raw, parsed.as_str()].into_iter().find_map(|base| HeaderValue::from_str(&with_query(base, &pairs)).ok());
    match location {
        Some(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        None => {
            let refused = bad_param("redirect_uri", "无法用作跳转地址", "it cannot be used as a redirect");
            error_page(StatusCode::OK, &refused, None)
        }
    }
}

/// Appends URL-encoded pairs to the query of `url`, before any fragment.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let mut out = base.to_owned();
    if !base.contains('?') {
        out.push('?');
    } else if !base.ends_with('?') && !base.ends_with('&') {
        out.push('&');
    }
    out.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish());
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_join_the_query_before_the_fragment() {
        let pairs = [("code", "a b"), ("state", "s&t")];
        assert_eq!(with_query("https://a.example/cb", &pairs), "https://a.example/cb?code=a+b&state=s%26t");
        assert_eq!(with_query("https://a.example/cb?x=1", &pairs[..1]), "https://a.example/cb?x=1&code=a+b");
        assert_eq!(with_query("https://a.example/cb?", &pairs[..1]), "https://a.example/cb?code=a+b");
        assert_eq!(with_query("https://a.example/#/login?x", &pairs[..1]), "https://a.example/?code=a+b#/login?x");
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
