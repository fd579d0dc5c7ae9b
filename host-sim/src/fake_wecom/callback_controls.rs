//! Simulator controls for callbacks, for a fake running in another process (`host-sim
//! wecom-sim`): set the app's callback URL, Token and EncodingAESKey as the admin does in the
//! console (WeCom verifies the URL at once), then have a member leave (the admin deletes them,
//! WeCom pushes `delete_user`). The in-process way is [`super::CallbackPusher`].

use super::callback_push::{CallbackPusher, Receiver};
use super::contact_events;
use super::lock;
use super::state::Shared;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex};

struct Controls {
    shared: Arc<Shared>,
    target: Mutex<Option<CallbackPusher>>,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/callback/target", post(set_target))
        .route("/_sim/callback/member-left", post(member_left))
        .with_state(Arc::new(Controls { shared, target: Mutex::new(None) }))
}

/// `{"url": "...", "token": "...", "aes_key": "...", "receiver": "contact_sync"}`; `receiver` is
/// optional: `contact_sync` (通讯录同步 → 设置接收事件服务器, the default), `app` (the app's own
/// 接收消息 → 设置API接收: only userid changes) or `app_all_events`; `agent_id` (default 1000002)
/// goes with the app receivers.
#[derive(Deserialize)]
struct Target {
    url: String,
    token: String,
    aes_key: String,
    #[serde(default)]
    receiver: Option<String>,
    #[serde(default)]
    agent_id: Option<i64>,
}

fn receiver_of(target: &Target) -> Result<Receiver, String> {
    let agent_id = target.agent_id.unwrap_or(1000002);
    match target.receiver.as_deref().unwrap_or("contact_sync") {
        "contact_sync" => Ok(Receiver::ContactSync),
        "app" => Ok(Receiver::App { agent_id }),
        "app_all_events" => Ok(Receiver::AppAllEvents { agent_id }),
        other => Err(format!("unknown receiver {other:?}: contact_sync, app or app_all_events")),
    }
}

async fn set_target(State(controls): State<Arc<Controls>>, body: Bytes) -> Response {
    let target: Target = match serde_json::from_slice(&body) {
        Ok(t) => t,
        Err(e) => return bad_request(&format!("expected {{\"url\", \"token\", \"aes_key\"}}: {e}")),
    };
    let receiver = match receiver_of(&target) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let corp_id = controls.shared.with_org(|org| org.corp_id.clone());
    let pusher = match CallbackPusher::new(&target.url, &target.token, &target.aes_key, &corp_id) {
        Ok(p) => p.with_receiver(receiver),
        Err(e) => return bad_request(&format!("{e:#}")),
    };
    *lock(&controls.target) = Some(pusher.clone());
    // Saving the setting in the console makes WeCom verify the URL at once.
    match tokio::task::spawn_blocking(move || pusher.verify_url()).await {
        Ok(Ok((verified, delivery))) => {
            Json(json!({ "ok": true, "verified": verified, "status": delivery.status })).into_response()
        }
        Ok(Err(e)) => Json(json!({ "ok": true, "verified": false, "error": format!("{e:#}") })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `{"userid": "..."}`.
#[derive(Deserialize)]
struct Leaver {
    userid: String,
}

async fn member_left(State(controls): State<Arc<Controls>>, body: Bytes) -> Response {
    let leaver: Leaver = match serde_json::from_slice(&body) {
        Ok(l) => l,
        Err(e) => return bad_request(&format!("expected {{\"userid\": \"...\"}}: {e}")),
    };
    let Some(pusher) = lock(&controls.target).clone() else {
        return (
            StatusCode::CONFLICT,
            Json(json!({ "error": "no callback target: POST /_sim/callback/target first" })),
        )
            .into_response();
    };
    let Some(event) = controls.shared.with_org(|org| contact_events::delete_member(org, &leaver.userid)) else {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no member {}", leaver.userid) })))
            .into_response();
    };
    match tokio::task::spawn_blocking(move || pusher.push(&event)).await {
        Ok(Ok(d)) => {
            Json(json!({ "ok": d.accepted(), "status": d.status, "elapsed_ms": d.elapsed.as_millis() as u64 }))
                .into_response()
        }
        Ok(Err(e)) => Json(json!({ "ok": false, "error": format!("{e:#}") })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(body: &str) -> Target {
        serde_json::from_str(body).expect("target")
    }

    #[test]
    fn the_receiver_defaults_to_contact_sync() {
        let base = r#""url": "http://x", "token": "t", "aes_key": "k""#;
        assert_eq!(receiver_of(&target(&format!("{{{base}}}"))), Ok(Receiver::ContactSync));
        assert_eq!(
            receiver_of(&target(&format!(r#"{{{base}, "receiver": "app"}}"#))),
            Ok(Receiver::App { agent_id: 1000002 })
        );
        assert_eq!(
            receiver_of(&target(&format!(r#"{{{base}, "receiver": "app_all_events", "agent_id": 1000003}}"#))),
            Ok(Receiver::AppAllEvents { agent_id: 1000003 })
        );
        assert!(receiver_of(&target(&format!(r#"{{{base}, "receiver": "nope"}}"#))).is_err());
    }
}
