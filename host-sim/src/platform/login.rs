//! `/oauth/wecom/start`, `/oauth/wecom/callback` and `POST /logout`, and the session cookie.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, with a `Max-Age` (the session's absolute
//! lifetime), and `Secure` when the platform is served over https (its URL is `https://…`, or a
//! TLS-terminating proxy in front says `X-Forwarded-Proto: https`).

use super::pages::{page, Outcome};
use super::rejection::PageQuery;
use super::state::LoginSessions;
use super::state::{Platform, StateProblem};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use interface::{AuthorizeRequest, LoginMode, LoginRequest, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The session cookie.
pub const SESSION_COOKIE: &str = "wx_sid";

/// Query of the start endpoint.
#[derive(Deserialize, Default)]
pub struct StartQuery {
    /// `auto` (default), `in_client` or `web_login`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// Starts a login: a session cookie, a fresh state, and a redirect to WeCom's page.
pub async fn start(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<StartQuery>,
) -> Response {
    // Whatever cookie came with the request, the login runs in a session issued here.
    let Ok((session, state)) = platform.sessions.begin() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            Outcome::Refused(
                "登录人数过多，请稍后再试。".into(),
                "Too many logins in progress; try again later.".into(),
            ),
        );
    };
    let mode = match q.mode.as_deref() {
        Some("in_client") => LoginMode::InClient,
        Some("web_login") => LoginMode::WebLogin,
        _ => LoginMode::Auto,
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let request = AuthorizeRequest {
        redirect_url: platform.redirect_url().into(),
        state: state.into(),
        mode,
        user_agent: user_agent.into(),
    };
    let plugin = platform.plugin.clone();
    let built = tokio::task::spawn_blocking(move || plugin.oauth_authorize_url(&request).into_result()).await;
    let cookie = session_cookie(&platform, &headers, &session, LoginSessions::TTL);
    match built {
        Ok(Ok(url)) => {
            (StatusCode::FOUND, [(header::LOCATION, url.url.to_string()), (header::SET_COOKIE, cookie)]).into_response()
        }
        Ok(Err(error)) => {
            page(StatusCode::BAD_REQUEST, Outcome::Refused(error.message.zh.to_string(), error.message.en.to_string()))
        }
        Err(_) => page(StatusCode::INTERNAL_SERVER_ERROR, Outcome::Refused("内部错误".into(), "internal error".into())),
    }
}

/// Query WeCom sends back.
#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    /// The login code (absent when the member refused).
    pub code: Option<String>,
    /// The state we issued.
    pub state: Option<String>,
}

/// Finishes a login: checks the state, exchanges the code, finds the bound account.
pub async fn callback(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<CallbackQuery>,
) -> Response {
    let session = session_id(&headers);
    if let Err(problem) = platform.sessions.finish(session.as_deref(), q.state.as_deref()) {
        let (zh, en) = match problem {
            StateProblem::Missing => ("缺少 state 参数。", "The state parameter is missing."),
            StateProblem::NoSession => (
                "没有与此浏览器会话对应的登录（可能已使用过）。",
                "No login was started in this browser session (or it was already used).",
            ),
            StateProblem::Mismatch => (
                "state 与本会话发出的不一致，已拒绝（可能是伪造的请求）。",
                "The state does not match the one issued to this session; refused (possibly forged).",
            ),
            StateProblem::Expired => ("登录已过期，请重新发起。", "The login expired; start again."),
        };
        return page(StatusCode::FORBIDDEN, Outcome::Refused(zh.into(), en.into()));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return page(
            StatusCode::FORBIDDEN,
            Outcome::Refused(
                "企业微信未返回登录码（可能取消了授权）。".into(),
                "WeCom returned no code (the login was probably cancelled).".into(),
            ),
        );
    };
    let request = LoginRequest { code: SecretString::new(code), scope: platform.scope.clone() };
    let plugin = platform.plugin.clone();
    let exchanged = tokio::task::spawn_blocking(move || plugin.oauth_login(&request).into_result()).await;
    let outcome = match exchanged {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            return page(
                StatusCode::FORBIDDEN,
                Outcome::Refused(error.message.zh.to_string(), error.message.en.to_string()),
            )
        }
        Err(_) => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                Outcome::Refused("内部错误".into(), "internal error".into()),
            )
        }
    };
    let account = platform.store.lock().ok().and_then(|s| s.account_for_userid(outcome.userid.as_str()).ok().flatten());
    match (account, session) {
        (Some(account), Some(session)) if account.enabled => {
            // A new id at login: whoever knew the id the login started under gains nothing.
            let signed_in = platform.sessions.sign_in(&session, account.id.as_str());
            let cookie = session_cookie(&platform, &headers, &signed_in, platform.sessions.limits().absolute);
            let mut response = page(
                StatusCode::OK,
                Outcome::SignedIn {
                    account_id: account.id.to_string(),
                    account_name: account.name.to_string(),
                    userid: outcome.userid.to_string(),
                },
            );
            if let Ok(value) = header::HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        (Some(account), _) => page(
            StatusCode::FORBIDDEN,
            Outcome::Refused(
                format!("平台账号 {} 已停用。", account.name),
                format!("The platform account {} is disabled.", account.name),
            ),
        ),
        (None, _) => page(
            StatusCode::FORBIDDEN,
            Outcome::Unbound { userid: outcome.userid.to_string(), name: outcome.name.to_string() },
        ),
    }
}

/// `POST /logout`: ends this browser's session and clears its cookie.
pub async fn logout(State(platform): State<Arc<Platform>>, headers: HeaderMap) -> Response {
    if let Some(session) = session_id(&headers) {
        platform.sessions.sign_out(&session);
    }
    let cookie = session_cookie(&platform, &headers, "", Duration::ZERO);
    let body = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>万象智维</title><body><h1 data-outcome=\"signed-out\">已退出登录 / Signed out</h1><p><a href=\"/\">返回首页 / Home</a></p></body></html>";
    (StatusCode::OK, [(header::SET_COOKIE, cookie)], Html(body)).into_response()
}

/// The `Set-Cookie` value for `session`, living `max_age` (zero clears it).
fn session_cookie(platform: &Platform, headers: &HeaderMap, session: &str, max_age: Duration) -> String {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let secure = if platform.base_url.starts_with("https://") || forwarded_https { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={session}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}", max_age.as_secs())
}

/// The account signed in for this request's session. Every request re-checks the store: an
/// account that was disabled, unbound or removed since the login ends its sessions (also when
/// the store cannot say: a session is never kept on an unanswered check).
pub async fn signed_in(platform: &Arc<Platform>, headers: &HeaderMap) -> Option<String> {
    let session = session_id(headers)?;
    let account = platform.sessions.account(&session)?;
    let p = platform.clone();
    let id = account.clone();
    let valid = tokio::task::spawn_blocking(move || {
        let store = p.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        store.account_enabled_and_bound(&id)
    })
    .await;
    if matches!(valid, Ok(Ok(true))) {
        Some(account)
    } else {
        platform.sessions.sign_out(&session);
        None
    }
}

/// The session id from the cookie header.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric()))
}
