//! Simulator-only controls under `/_sim/`, for a fake running in another process (the
//! `host-sim wecom-sim` command). They mirror the in-process methods of `FakeWecom`, are not
//! counted as WeCom calls and get no added latency.

use super::credentials::CodeSubject;
use super::faults::Faults;
use super::state::Shared;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/stats", get(stats))
        .route("/_sim/stats/reset", post(reset_stats))
        .route("/_sim/oauth/code", post(mint_code))
        .route("/_sim/tokens/expire", post(expire_tokens))
        .route("/_sim/tokens/invalidate", post(invalidate_tokens))
        .route("/_sim/faults", post(set_faults).delete(clear_faults))
        .with_state(shared)
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({
        "requests": shared.stats.counts(),
        "total": shared.stats.total(),
        "peak_in_flight": shared.stats.peak(),
        "in_flight_secs": shared.stats.in_flight_secs(),
    }))
    .into_response()
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Response {
    shared.stats.reset();
    Json(json!({ "ok": true })).into_response()
}

/// `{"agent_id": 1000002, "userid": "zhangsan"}` for a member's tap, or `"openid"` instead of
/// `"userid"` for someone outside the corp.
#[derive(Deserialize)]
struct CodeRequest {
    agent_id: i64,
    #[serde(default)]
    userid: Option<String>,
    #[serde(default)]
    openid: Option<String>,
}

/// Parses the body whatever its Content-Type says, so a bare `curl -d` works.
async fn mint_code(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: CodeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(&format!("expected {{\"agent_id\": <int>, \"userid\": \"...\"}}: {e}")),
    };
    let subject = match (request.userid, request.openid) {
        (Some(userid), None) if !userid.is_empty() => CodeSubject::Member(userid),
        (None, Some(openid)) if !openid.is_empty() => CodeSubject::NonMember(openid),
        _ => return bad_request("give exactly one of \"userid\" (a member) or \"openid\" (not a member)"),
    };
    let code = shared.mint_code(request.agent_id, subject);
    Json(json!({ "code": code })).into_response()
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Response {
    shared.expire_all_tokens();
    Json(json!({ "ok": true })).into_response()
}

async fn invalidate_tokens(State(shared): State<Arc<Shared>>) -> Response {
    shared.invalidate_all_tokens();
    Json(json!({ "ok": true })).into_response()
}

/// Replaces the faults in force with the posted [`Faults`] (JSON, whatever the Content-Type).
async fn set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            let rules = faults.rules.len();
            shared.set_faults(faults);
            Json(json!({ "ok": true, "rules": rules })).into_response()
        }
        Err(e) => bad_request(&format!("expected {{\"rules\": [{{\"kind\": \"http_500\", …}}]}}: {e}")),
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.set_faults(Faults::default());
    Json(json!({ "ok": true })).into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}
