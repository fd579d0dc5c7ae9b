//! The WeCom answer envelope: HTTP 200 always, `errcode`/`errmsg` in the body, and on errors the
//! `hint: [..], from ip: .., more info at ..` tail that the real service appends.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// One WeCom call as the handlers see it.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    /// Path without `/cgi-bin/`, e.g. `user/get`.
    pub endpoint: String,
    /// The address WeCom would report as `from ip`.
    pub peer: IpAddr,
    /// Query parameters in order; the first occurrence of a name wins.
    pub query: Vec<(String, String)>,
    /// The `hint` WeCom gives each answer for its support staff.
    pub request_id: String,
}

impl Call {
    /// A query parameter; empty counts as absent, as WeCom treats `corpid=` like no corpid.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub fn error(&self, errcode: i64, text: &str) -> Rejection {
        let errmsg = format!(
            "{text}, hint: [{}], from ip: {}, more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}",
            self.request_id, self.peer
        );
        Rejection(Box::new(Json(serde_json::json!({ "errcode": errcode, "errmsg": errmsg })).into_response()))
    }
}

/// A WeCom error answer, boxed so that `Result<_, Rejection>` stays small on the happy path.
pub(crate) struct Rejection(Box<Response>);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// Looks like the real hints: epoch seconds followed by 15 digits.
pub(crate) fn new_request_id() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{secs}{:015}", fastrand::u64(..1_000_000_000_000_000))
}

/// A success answer: `errcode` 0, `errmsg` "ok", then the endpoint's fields.
pub(crate) fn ok(fields: Value) -> Response {
    let mut body = Map::new();
    body.insert("errcode".into(), Value::from(0));
    body.insert("errmsg".into(), Value::from("ok"));
    if let Value::Object(extra) = fields {
        body.extend(extra);
    }
    Json(Value::Object(body)).into_response()
}

/// A success answer already serialised (`errcode` 0 and `errmsg` "ok" included), sent as
/// [`ok`] sends its map.
pub(crate) fn ok_bytes(body: Vec<u8>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The peer as WeCom would print it: IPv4 clients on a dual-stack socket show as plain IPv4.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}
