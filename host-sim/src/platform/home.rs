//! The platform's own pages: the homepage, `/me` and the trusted-domain verification file.

use super::login::signed_in;
use super::pages::escape;
use super::state::Platform;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

/// `/`: the homepage (the WeCom app's 应用主页).
pub async fn home(State(platform): State<Arc<Platform>>, headers: HeaderMap) -> Response {
    let who = signed_in(&platform, &headers).await;
    let body = match who {
        Some(account) => format!("<p data-account=\"{0}\">已登录 / signed in: {0}</p><form method=\"post\" action=\"/logout\"><button>退出登录 / Log out</button></form>", escape(&account)),
        None => "<p><a href=\"/oauth/wecom/start\">企业微信登录 / Log in with WeCom</a></p>".to_string(),
    };
    Html(format!("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>万象智维</title><body><h1>万象智维</h1>{body}</body></html>")).into_response()
}

/// `/me`: the signed-in account of this session, as JSON.
pub async fn me(State(platform): State<Arc<Platform>>, headers: HeaderMap) -> Response {
    let account = signed_in(&platform, &headers).await;
    axum::Json(serde_json::json!({ "account_id": account })).into_response()
}

/// `/WW_verify_<code>.txt`: the trusted-domain verification file, served so the admin need not
/// touch a web server.
pub async fn verify_file(State(platform): State<Arc<Platform>>, Path(file): Path<String>) -> Response {
    match &platform.verify_file {
        Some(v) if v.name == file => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], v.content.clone()).into_response()
        }
        _ => super::rejection::not_found().await,
    }
}
