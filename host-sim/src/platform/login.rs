//! `/oauth/wecom/start`, `/oauth/wecom/callback`, `/oauth/wecom/password` and `POST /logout`,
//! and the session cookie.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, with a `Max-Age` (the session's absolute
//! lifetime), and `Secure` when the platform is served over https (its URL is `https://…`, or a
//! TLS-terminating proxy in front says `X-Forwarded-Proto: https`).

use super::pages::{page, Outcome};
use super::rejection::PageQuery;
use super::state::LoginSessions;
use super::state::{Platform, ProofFailure, ProofProblem, StateProblem};
use crate::host::login_decide::{self, Decided};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use interface::{AuthorizeRequest, LoginMode, LoginNeed, LoginOutcome, LoginProof, LoginRequest, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        ..Default::default()
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
    let request = LoginRequest { code: SecretString::new(code), ..Default::default() };
    let plugin = platform.plugin.clone();
    let exchanged = tokio::task::spawn_blocking(move || plugin.oauth_login(&request).into_result()).await;
    let member = match exchanged {
        Ok(Ok(member)) => member,
        Ok(Err(error)) => {
            return page(
                StatusCode::FORBIDDEN,
                Outcome::Refused(error.message.zh.to_string(), error.message.en.to_string()),
            )
        }
        Err(_) => return internal_error(),
    };
    decide_and_answer(platform, session, &headers, member, LoginProof::default(), false, Instant::now()).await
}

/// Form of the password page.
#[derive(Deserialize, Default)]
pub struct PasswordForm {
    /// The account the member proves (or declines).
    #[serde(default)]
    pub account_id: String,
    /// Its platform password.
    #[serde(default)]
    pub password: String,
    /// Set when the member says "this is not my account".
    #[serde(default)]
    pub not_mine: Option<String>,
    /// Set when a member without a binding says "none of these is mine" to every candidate.
    #[serde(default)]
    pub none_mine: Option<String>,
    /// The pending proof's anti-forgery token, from the form's hidden field.
    #[serde(default)]
    pub csrf: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordForm").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

/// `POST /oauth/wecom/password`: the platform's own credential check for an account the plugin
/// offered this member, then `decide_login` again with the proof.
///
/// Refused before anything is read: a request from another origin (`Origin`, else `Referer`,
/// when present), a session with no pending proof, one whose WeCom login is older than
/// [`super::state::LoginSessions::PROOF_WINDOW`] (log in with WeCom again), and a form without
/// the pending proof's token. Only the accounts offered are checked; a wrong password and an
/// account not offered answer the same, and count against the pending proof (it ends after
/// [`super::state::LoginSessions::MAX_PROOF_FAILURES`]) and, for an offered account, against that
/// account across sessions (not checked for a cool-down after
/// [`super::state::LoginSessions::MAX_ACCOUNT_FAILURES`]).
pub async fn password(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Response {
    if !same_origin(&platform, &headers) {
        return page(
            StatusCode::FORBIDDEN,
            Outcome::Refused(
                "请求来自其他网站，已拒绝。请在万象智维的页面上操作。".into(),
                "The request came from another site and was refused. Use the Wanxiang page itself.".into(),
            ),
        );
    }
    let Some(session) = session_id(&headers) else {
        return page(
            StatusCode::FORBIDDEN,
            Outcome::Refused("没有进行中的登录。".into(), "No login in progress.".into()),
        );
    };
    let ticket = match platform.sessions.pending_proof(&session) {
        Ok(ticket) => ticket,
        Err(ProofProblem::Missing) => {
            return page(
                StatusCode::FORBIDDEN,
                Outcome::Refused(
                    "没有待确认的登录（可能已过期）。".into(),
                    "No login awaits a confirmation (it may have expired).".into(),
                ),
            )
        }
        Err(ProofProblem::Stale) => {
            return page(
                StatusCode::FORBIDDEN,
                Outcome::Refused(
                    "确认时间已过，请重新通过企业微信登录。".into(),
                    "The time to confirm has passed; sign in with WeCom again.".into(),
                ),
            )
        }
    };
    if !ticket.token_matches(&form.csrf) {
        return page(
            StatusCode::FORBIDDEN,
            Outcome::Refused(
                "表单已失效或不是本页面提交的，请重新打开登录页面。".into(),
                "The form is stale or was not sent from this page; open the login page again.".into(),
            ),
        );
    }
    let member = ticket.member.clone();
    let account_id = form.account_id.trim().to_string();
    let offered = ticket.offered.contains(&account_id);
    let mut proof = LoginProof::default();
    if form.none_mine.is_some() {
        platform.sessions.proof_done(&session);
        return decide_and_answer(platform, Some(session), &headers, member, proof, true, ticket.since).await;
    }
    if form.not_mine.is_some() {
        if !offered {
            return page(
                StatusCode::FORBIDDEN,
                Outcome::Refused(
                    "该账号不在为您列出的账号中。".into(),
                    "That account is not one of those offered to you.".into(),
                ),
            );
        }
        proof.not_mine_account_id = account_id.as_str().into();
    } else {
        if offered && platform.sessions.account_locked(&account_id) {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                Outcome::Refused(
                    "该账号密码错误次数过多，请稍后再试。".into(),
                    "Too many wrong passwords for this account; try again later.".into(),
                ),
            );
        }
        // An account not offered is never checked, but costs the same hash (of an offered
        // account's record) so that neither the answer nor its timing tells it apart.
        let hashed_id = if offered { account_id.clone() } else { ticket.offered.first().cloned().unwrap_or_default() };
        let store = platform.store.clone();
        let given = form.password.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let hash = store.lock().ok().and_then(|s| s.password_hash(&hashed_id).ok().flatten());
            let hash = hash.unwrap_or_else(|| DUMMY_HASH.get_or_init(|| crate::host::password::hash("-")).clone());
            crate::host::password::verify(&given, &hash)
        })
        .await
        .unwrap_or(false)
            && offered;
        if !checked {
            let counted = offered.then_some(account_id.as_str());
            return match platform.sessions.proof_failed(&session, counted) {
                ProofFailure::Wrong => page(
                    StatusCode::FORBIDDEN,
                    Outcome::Refused("平台密码不正确。".into(), "The platform password is not correct.".into()),
                ),
                ProofFailure::Ended => page(
                    StatusCode::FORBIDDEN,
                    Outcome::Refused(
                        "密码错误次数过多，本次登录已结束。请重新通过企业微信登录。".into(),
                        "Too many wrong passwords; this login has ended. Sign in with WeCom again.".into(),
                    ),
                ),
            };
        }
        proof.password_account_id = account_id.as_str().into();
    }
    platform.sessions.proof_done(&session);
    decide_and_answer(platform, Some(session), &headers, member, proof, false, ticket.since).await
}

/// A hash checked when no stored one applies, so every check costs the same.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// False when the request says it comes from another origin: `Origin` when sent, else `Referer`.
/// A request with neither (some clients send none) is judged by the session and the form token.
fn same_origin(platform: &Platform, headers: &HeaderMap) -> bool {
    let own = origin_of(&platform.base_url);
    let header_value = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or("").to_string());
    match (header_value(header::ORIGIN), header_value(header::REFERER)) {
        (Some(origin), _) => origin_of(origin.trim()).is_some_and(|o| Some(o) == own),
        (None, Some(referer)) => origin_of(referer.trim()).is_some_and(|o| Some(o) == own),
        (None, None) => true,
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, default ports dropped.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Asks the plugin whether and where the member signs in, applies its changes, and answers.
async fn decide_and_answer(
    platform: Arc<Platform>,
    session: Option<String>,
    headers: &HeaderMap,
    member: LoginOutcome,
    proof: LoginProof,
    declines_candidates: bool,
    since: Instant,
) -> Response {
    let p = platform.clone();
    let m = member.clone();
    let decided = tokio::task::spawn_blocking(move || {
        let mut store = p.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        login_decide::decide_answering(
            &p.plugin,
            &mut store,
            m,
            &p.scope,
            p.follower.policy,
            proof,
            declines_candidates,
        )
    })
    .await;
    let decided: Decided = match decided {
        Ok(Ok(decided)) => decided,
        Ok(Err(error)) => {
            tracing::warn!("login decision failed: {error:#}");
            return internal_error();
        }
        Err(_) => return internal_error(),
    };
    let decision = &decided.decision;
    let reason = (decision.reason.zh.to_string(), decision.reason.en.to_string());
    if decided.applied.is_some_and(|a| a.bindings_removed > 0) {
        // A binding the decision suspended or removed: that account's sessions end.
        for u in decision.changes.remove_bindings.iter() {
            platform.sessions.sign_out_account(u.account_id.as_str());
        }
    }
    if let (Some(account), Some(session)) = (&decided.account, &session) {
        // A new id at login: whoever knew the id the login started under gains nothing.
        let signed_in = platform.sessions.sign_in(session, account.id.as_str());
        let cookie = session_cookie(&platform, headers, &signed_in, platform.sessions.limits().absolute);
        let mut response = page(
            StatusCode::OK,
            Outcome::SignedIn {
                account_id: account.id.to_string(),
                account_name: account.name.to_string(),
                userid: member.userid.to_string(),
            },
        );
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    if let Some(error) = decision.refusal.as_ref().into_option() {
        return page(
            StatusCode::FORBIDDEN,
            Outcome::Refused(error.message.zh.to_string(), error.message.en.to_string()),
        );
    }
    match decision.needs {
        LoginNeed::Consent => {
            let Some(session) = session else { return internal_error() };
            // The second hop: the same login page, now asking the member to share mobile and email.
            let Some(state) = platform.sessions.restart(&session) else { return internal_error() };
            let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let request = AuthorizeRequest {
                redirect_url: platform.redirect_url().into(),
                state: state.into(),
                mode: LoginMode::Auto,
                user_agent: user_agent.into(),
                consent: true,
                ..Default::default()
            };
            let plugin = platform.plugin.clone();
            match tokio::task::spawn_blocking(move || plugin.oauth_authorize_url(&request).into_result()).await {
                Ok(Ok(url)) => (StatusCode::FOUND, [(header::LOCATION, url.url.to_string())]).into_response(),
                Ok(Err(error)) => page(
                    StatusCode::BAD_REQUEST,
                    Outcome::Refused(error.message.zh.to_string(), error.message.en.to_string()),
                ),
                Err(_) => internal_error(),
            }
        }
        LoginNeed::Password => {
            let Some(session) = session else { return internal_error() };
            let mut account_ids: Vec<String> = decision.candidate_account_ids.iter().map(|a| a.to_string()).collect();
            if let Some(id) = decision.account_id.as_ref().into_option() {
                if !account_ids.iter().any(|a| a == id.as_str()) {
                    account_ids.insert(0, id.to_string());
                }
            }
            let Some(token) = platform.sessions.await_proof(&session, member.clone(), account_ids.clone(), since)
            else {
                return internal_error();
            };
            let declinable = decision.account_id.is_none();
            page(
                StatusCode::OK,
                Outcome::NeedsPassword { userid: member.userid.to_string(), account_ids, reason, declinable, token },
            )
        }
        LoginNeed::Operator => {
            page(StatusCode::FORBIDDEN, Outcome::Operator { userid: member.userid.to_string(), reason })
        }
        LoginNeed::Nothing if decision.binding_missing() => page(
            StatusCode::FORBIDDEN,
            Outcome::Unbound { userid: member.userid.to_string(), name: member.name.to_string() },
        ),
        // The member's answer made them an account ("none of these is mine"): say so, not "refused".
        LoginNeed::Nothing if !decision.changes.create_accounts.is_empty() && decided.applied.is_some() => {
            page(StatusCode::OK, Outcome::AccountCreated(reason.0, reason.1))
        }
        // Not signed in, nothing the host can do (a value from a newer plugin included).
        _ => page(StatusCode::FORBIDDEN, Outcome::Refused(reason.0, reason.1)),
    }
}

/// Decision helpers for the pages.
trait DecisionExt {
    /// Not signed in, no account named and none created by the decision: the member has no
    /// platform account yet. (A decision that created one says so in its reason: sign in again.)
    fn binding_missing(&self) -> bool;
}

impl DecisionExt for interface::LoginDecision {
    fn binding_missing(&self) -> bool {
        !self.signed_in && self.account_id.is_none() && self.changes.create_accounts.is_empty()
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

fn internal_error() -> Response {
    page(StatusCode::INTERNAL_SERVER_ERROR, Outcome::Refused("内部错误".into(), "internal error".into()))
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
