//! The WeCom callback URL ([`CALLBACK_PATH`]): `GET` verifies the URL (answered with the
//! decrypted `echostr` at once, well inside WeCom's 1 s), `POST` delivers an event (answered with
//! an empty 200 at once, inside WeCom's 5 s, once the change is written to the store's journal;
//! the work happens after the answer, in arrival order on the follower's worker thread:
//! `complete_change` may read WeCom, then the change is decided and applied from the journal).
//! A store locked by another process for longer than [`crate::host::callbacks::follow::JOURNAL_WAIT`]
//! gets 503, never a 200 for a change that is not written down: WeCom delivers it again. Verifying and decrypting run on `spawn_blocking`, as every hook does here.
//!
//! A request the plugin refuses (bad signature, stale or replayed timestamp, wrong receiver,
//! broken base64, padding or XML) gets 403 (signature) or 400 and its error, and changes nothing.

use super::rejection::read_body;
use super::state::Platform;
use crate::host::callbacks::Outcome;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use interface::{CallbackKind, CallbackReply, CallbackRequest, PluginError};
use std::sync::Arc;

/// Where the platform receives WeCom's callbacks (通讯录同步 → 设置接收事件服务器 first, or the app's
/// 接收消息 → 设置API接收).
pub const CALLBACK_PATH: &str = "/wecom/callback";

/// `GET`: URL verification.
pub async fn verify(State(platform): State<Arc<Platform>>, RawQuery(query): RawQuery) -> Response {
    answer(platform, "GET", query.unwrap_or_default(), String::new()).await
}

/// `POST`: an event. The body is read within the server's body timeout and at most a little
/// over the plugin's own limit (the plugin refuses anything larger anyway).
pub async fn event(State(platform): State<Arc<Platform>>, RawQuery(query): RawQuery, body: Body) -> Response {
    let body = match read_body(body, MAX_CALLBACK_BODY, platform.limits.body_timeout).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    answer(platform, "POST", query.unwrap_or_default(), body).await
}

/// The largest callback body read (the plugin accepts up to 1 MiB; one byte more lets it say so).
const MAX_CALLBACK_BODY: usize = 1024 * 1024 + 1;

async fn answer(platform: Arc<Platform>, method: &str, query: String, body: String) -> Response {
    let request = CallbackRequest {
        method: method.into(),
        query: query.into(),
        body: body.into(),
        now_unix: 0,
        ..Default::default()
    };
    let plugin = platform.plugin.clone();
    let handled = tokio::task::spawn_blocking(move || plugin.handle_callback(&request).into_result()).await;
    match handled {
        Ok(Ok(reply)) => {
            if let Some(change) =
                reply.change.as_ref().into_option().filter(|_| reply.kind == CallbackKind::ContactChange)
            {
                // Journaled before the answer; after it, complete_change may read WeCom, then
                // the change is decided and applied from the journal.
                let follower = platform.follower.clone();
                let change = change.clone();
                let journaled = tokio::task::spawn_blocking(move || follower.accept(change)).await;
                match journaled {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::error!(target: "callback", "could not journal a change, answered 503 so WeCom delivers it again: {error}");
                        return plain(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "数据库繁忙，请稍后重试 / the store is busy, deliver again later".into(),
                        );
                    }
                    Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "内部错误 / internal error".into()),
                }
            }
            plain(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK), body_of(&reply))
        }
        Ok(Err(error)) => refuse(&error),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "内部错误 / internal error".into()),
    }
}

/// Exactly what the plugin says to answer: the echo for a verification, nothing for an event.
fn body_of(reply: &CallbackReply) -> String {
    reply.body.to_string()
}

fn refuse(error: &PluginError) -> Response {
    // Plugin errors carry no key material and no plaintext (the plugin's invariant).
    tracing::warn!(target: "callback", "refused: {error}");
    let status = if error.code.as_str() == "callback.signature_mismatch" {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    plain(status, format!("{error}"))
}

fn plain(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

impl Platform {
    /// Runs the reconcile now (the follower signs out whom it unbinds); nothing when one is
    /// running already (it runs once more instead).
    pub fn reconcile(&self) -> Vec<Outcome> {
        self.follower.reconcile()
    }

    /// The callback URL.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.base_url)
    }
}
