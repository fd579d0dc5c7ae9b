//! The WeCom API surface under `/cgi-bin/`: routing, per-call accounting, and the checks every
//! business call passes through before its handler (token, trusted IP, disabled app), and the
//! injected faults (`faults.rs`).

mod agent;
mod department;
mod gettoken;
mod oauth;
mod tag;
mod user;

use super::credentials::TokenProblem;
use super::org::App;
use super::reply::{canonical_ip, new_request_id, Call, Rejection};
use super::state::Shared;
use super::view::{Scope, View};
use super::wire::Peer;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

/// What every handler returns: the error arm is an already-formatted WeCom error.
pub(crate) type Answer = Result<Response, Rejection>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/cgi-bin/gettoken", get(gettoken::gettoken))
        .route("/cgi-bin/agent/get", get(agent::get))
        .route("/cgi-bin/department/list", get(department::list))
        .route("/cgi-bin/department/simplelist", get(department::simplelist))
        .route("/cgi-bin/department/get", get(department::get))
        .route("/cgi-bin/user/simplelist", get(user::simplelist))
        .route("/cgi-bin/user/list", get(user::list))
        .route("/cgi-bin/user/get", get(user::get))
        .route("/cgi-bin/user/list_id", post(user::list_id))
        .route("/cgi-bin/tag/list", get(tag::list))
        .route("/cgi-bin/tag/get", get(tag::get))
        .route("/cgi-bin/auth/getuserinfo", get(oauth::getuserinfo))
        .route("/cgi-bin/auth/getuserdetail", post(oauth::getuserdetail))
        // Only matched routes are tracked: unknown paths get a bare 404 like the real service
        // and would otherwise let any caller grow the counter map without bound.
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), track))
        .with_state(shared)
}

/// Counts the call, keeps the in-flight gauge, adds the configured latency, applies the injected
/// faults, and hands the handler its [`Call`].
async fn track(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    // Routes are literal paths, so the request path is the matched route.
    let endpoint = req.uri().path().trim_start_matches("/cgi-bin/").to_owned();
    let connection = req.extensions().get::<ConnectInfo<Peer>>().map(|c| c.0.clone());
    let peer = connection.as_ref().map(|c| canonical_ip(c.addr.ip())).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let wire = connection.as_ref().map(|c| c.wire.as_ref());
    let query =
        req.uri().query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let _in_flight = shared.stats.begin(&endpoint);
    if shared.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(shared.config.latency_ms)).await;
    }
    let verdict = shared.fault_verdict(&endpoint);
    if verdict.invalidate_tokens {
        shared.invalidate_all_tokens();
    }
    if !verdict.stall.is_zero() {
        tokio::time::sleep(verdict.stall).await;
    }
    let call = Call { endpoint, peer, query, request_id: new_request_id() };
    if let Some(replacement) = verdict.replacement {
        return replacement.respond(&call, wire);
    }
    req.extensions_mut().insert(call);
    let response = next.run(req).await;
    match verdict.delivery {
        Some(delivery) => delivery.apply(response, wire).await,
        None => response,
    }
}

/// A call that passed the common checks, with the directory as it was when it arrived.
pub(crate) struct Caller {
    pub agent_id: i64,
    pub view: Arc<View>,
}

impl Caller {
    pub fn app(&self) -> Option<&App> {
        self.view.app(self.agent_id)
    }

    pub fn scope(&self) -> &Scope {
        self.view.scope(self.agent_id)
    }
}

/// Frequency limit, then the token, then the app's trusted IPs (gettoken itself is exempt from
/// both of the latter, as on the real service).
pub(crate) fn authorize(shared: &Shared, call: &Call) -> Result<Caller, Rejection> {
    check_rate(shared, call)?;
    authorize_unmetered(shared, call)
}

pub(crate) fn check_rate(shared: &Shared, call: &Call) -> Result<(), Rejection> {
    if shared.rate.admit(&call.endpoint) {
        Ok(())
    } else {
        Err(call.error(45009, "api freq out of limit"))
    }
}

/// The checks without the frequency limit, for `auth/getuserinfo` whose valid codes are free.
pub(crate) fn authorize_unmetered(shared: &Shared, call: &Call) -> Result<Caller, Rejection> {
    let Some(token) = call.param("access_token") else {
        return Err(call.error(41001, "access_token missing"));
    };
    let agent_id = match shared.check_token(token) {
        Ok(agent_id) => agent_id,
        Err(TokenProblem::Unknown) => return Err(call.error(40014, "invalid access_token")),
        Err(TokenProblem::Expired) => return Err(call.error(42001, "access_token expired")),
    };
    let view = shared.view();
    let Some(app) = view.app(agent_id) else {
        // The app was deleted after the token was issued.
        return Err(call.error(40014, "invalid access_token"));
    };
    if !ip_trusted(app, call.peer) {
        return Err(call.error(60020, "not allow to access from your ip"));
    }
    Ok(Caller { agent_id, view })
}

/// 企业可信IP: empty = unrestricted. The console takes several addresses separated by `;`.
fn ip_trusted(app: &App, peer: IpAddr) -> bool {
    let mut entries =
        app.trusted_ips.iter().flat_map(|e| e.split(';')).map(str::trim).filter(|e| !e.is_empty()).peekable();
    if entries.peek().is_none() {
        return true;
    }
    entries.any(|e| e.parse::<IpAddr>().map(canonical_ip) == Ok(peer))
}

/// A disabled app (停用) may still authenticate, but its business calls answer 50003.
pub(crate) fn require_enabled(caller: &Caller, call: &Call) -> Result<(), Rejection> {
    match caller.app() {
        Some(app) if app.close != 0 => Err(call.error(50003, "application is disabled")),
        _ => Ok(()),
    }
}

/// A numeric query parameter: `Ok(None)` when absent, `Err(())` when present but not a number.
pub(crate) fn numeric_param<T: std::str::FromStr>(call: &Call, name: &str) -> Result<Option<T>, ()> {
    match call.param(name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| ()),
    }
}
