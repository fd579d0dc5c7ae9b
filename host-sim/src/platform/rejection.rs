//! The framework's refusals in the platform's own words: a query string that does not parse, an
//! unknown path, a wrong method, a body too slow or too large become [`error_page`]s in zh-CN
//! and en, never axum's English-only plain text ("Failed to deserialize query string ...").

use super::pages::error_page;
use axum::body::Body;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// `Query<T>` whose refusal is the platform's bilingual page (the parser's English detail is
/// not shown: it may echo the attacker's input).
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(PageQuery(value)),
            Err(_) => Err(error_page(
                StatusCode::BAD_REQUEST,
                "查询参数无法解析（格式不正确或重复）。",
                "The query string could not be read (malformed or repeated parameters).",
            )),
        }
    }
}

/// Any path the platform does not serve.
pub async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "页面不存在。", "No such page.")
}

/// A path served, with another method.
pub async fn method_not_allowed() -> Response {
    error_page(StatusCode::METHOD_NOT_ALLOWED, "此地址不接受该请求方法。", "This address does not accept that method.")
}

/// Reads a request body of at most `limit` bytes within `timeout`, as UTF-8; the refusal is a
/// bilingual page (413, 408 or 400).
pub async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<String, Response> {
    let bytes = match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err(error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "请求体过大或读取失败。",
                "The request body is too large or could not be read.",
            ))
        }
        Err(_) => {
            return Err(error_page(
                StatusCode::REQUEST_TIMEOUT,
                "请求体发送过慢，已断开。",
                "The request body arrived too slowly; the request was dropped.",
            ))
        }
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        error_page(StatusCode::BAD_REQUEST, "请求体不是 UTF-8 文本。", "The request body is not UTF-8 text.")
    })
}
