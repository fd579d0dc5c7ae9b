//! Fault injection for hardening tests of WeCom clients: what the faults make of one API call.
//!
//! Faults apply to `/cgi-bin/…` calls only, after the call is counted and the configured latency
//! has passed. A [`Faults`] is a list of rules; each rule counts the calls it matches and fires
//! on some of them. When several rules fire on one call, stalls add up, and the first firing
//! rule that replaces the answer (`http_500`, `close_connection`, `garbage`, `errcode`) and the
//! first that alters its delivery (`slow_body`, `truncated_body`) win.

use super::reply::Call;
use super::wire::{Plan, Wire};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The faults in force; the default is none. Body of `POST /_sim/faults`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub rules: Vec<FaultRule>,
}

impl From<FaultRule> for Faults {
    fn from(rule: FaultRule) -> Faults {
        Faults { rules: vec![rule] }
    }
}

impl From<Vec<FaultRule>> for Faults {
    fn from(rules: Vec<FaultRule>) -> Faults {
        Faults { rules }
    }
}

/// One fault and the calls it hits: e.g. `{"kind": "http_500", "endpoint": "user/list", "times": 2}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub kind: FaultKind,
    /// Only calls to this API (path without `/cgi-bin/`, e.g. `user/list`); `None` = every API.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Fire on the next N matching calls, then the rule is spent; `None` = no limit.
    #[serde(default)]
    pub times: Option<u32>,
    /// Fire on every n-th matching call only (the n-th, 2n-th, …); `None`, 0 or 1 = every one.
    /// With `times`, the limit counts the calls actually hit.
    #[serde(default)]
    pub every_nth: Option<u32>,
}

impl FaultRule {
    /// `kind` on every call to every API.
    pub fn new(kind: FaultKind) -> FaultRule {
        FaultRule { kind, endpoint: None, times: None, every_nth: None }
    }

    /// Only calls to `endpoint` (e.g. `"user/list"`).
    pub fn on(mut self, endpoint: &str) -> FaultRule {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// Only the next `n` matching calls.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.times = Some(n);
        self
    }

    /// Only every `n`-th matching call.
    pub fn every_nth(mut self, n: u32) -> FaultRule {
        self.every_nth = Some(n);
        self
    }
}

/// What goes wrong. In JSON a unit kind is a string (`"garbage"`), the others an object
/// (`{"stall": {"ms": 500}}`, `{"errcode": {"errcode": -1, "errmsg": "system busy"}}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// HTTP 500 with an HTML body, as from a failing gateway.
    #[serde(rename = "http_500")]
    Http500,
    /// The connection is dropped without any answer.
    CloseConnection,
    /// The answer comes after `ms` more milliseconds (provokes client timeouts).
    Stall { ms: u64 },
    /// The headers and the first half of the body, then `ms` milliseconds, then the rest.
    SlowBody { ms: u64 },
    /// `Content-Length` of the whole body but only its first half, then the connection closes.
    TruncatedBody,
    /// HTTP 200 with a body that is not JSON.
    Garbage,
    /// HTTP 200 with `{}`: JSON, no errcode, none of the answer's fields (a proxy or a stub
    /// answering in WeCom's place).
    EmptyObject,
    /// A WeCom error envelope with the real `hint`/`from ip` tail, e.g. -1 system busy, 45009,
    /// 45033. An empty `errmsg` gets WeCom's text for the well-known codes.
    Errcode {
        errcode: i64,
        #[serde(default)]
        errmsg: String,
    },
    /// After `calls` more matching calls have been answered, every token is revoked (40014 until
    /// a new `gettoken`). Fires once; `times` and `every_nth` do not apply.
    InvalidateTokensAfter { calls: u32 },
}

/// An answer that replaces the handler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Replacement {
    Http500,
    Close,
    Garbage,
    EmptyObject,
    Errcode(i64, String),
}

/// A change to how the handler's answer is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Slow(Duration),
    Truncated,
}

/// What the faults make of one call.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub stall: Duration,
    pub invalidate_tokens: bool,
    pub replacement: Option<Replacement>,
    pub delivery: Option<Delivery>,
}

#[derive(Debug)]
struct Armed {
    rule: FaultRule,
    /// Matching calls seen.
    seen: u64,
    /// Times fired.
    fired: u32,
}

impl Armed {
    fn matches(&self, endpoint: &str) -> bool {
        match &self.rule.endpoint {
            None => true,
            Some(e) => e.trim_start_matches('/').trim_start_matches("cgi-bin/") == endpoint,
        }
    }

    /// Counts a matching call; true when the rule fires on it.
    fn hit(&mut self) -> bool {
        self.seen += 1;
        let fires = match self.rule.kind {
            FaultKind::InvalidateTokensAfter { calls } => self.fired == 0 && self.seen == u64::from(calls) + 1,
            _ => {
                let nth = u64::from(self.rule.every_nth.unwrap_or(1).max(1));
                self.seen % nth == 0 && self.rule.times.is_none_or(|limit| self.fired < limit)
            }
        };
        if fires {
            self.fired = self.fired.saturating_add(1);
        }
        fires
    }
}

/// The rules in force with their counters.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<Armed>,
}

impl FaultBook {
    /// Replaces the rules; counting starts afresh.
    pub fn set(&mut self, faults: Faults) {
        self.rules = faults.rules.into_iter().map(|rule| Armed { rule, seen: 0, fired: 0 }).collect();
    }

    pub fn verdict(&mut self, endpoint: &str) -> Verdict {
        let mut verdict = Verdict::default();
        for armed in self.rules.iter_mut().filter(|a| a.matches(endpoint)) {
            if !armed.hit() {
                continue;
            }
            match &armed.rule.kind {
                FaultKind::Stall { ms } => verdict.stall = verdict.stall.saturating_add(Duration::from_millis(*ms)),
                FaultKind::InvalidateTokensAfter { .. } => verdict.invalidate_tokens = true,
                FaultKind::SlowBody { ms } => {
                    verdict.delivery.get_or_insert(Delivery::Slow(Duration::from_millis(*ms)));
                }
                FaultKind::TruncatedBody => {
                    verdict.delivery.get_or_insert(Delivery::Truncated);
                }
                FaultKind::Http500 => {
                    verdict.replacement.get_or_insert(Replacement::Http500);
                }
                FaultKind::CloseConnection => {
                    verdict.replacement.get_or_insert(Replacement::Close);
                }
                FaultKind::Garbage => {
                    verdict.replacement.get_or_insert(Replacement::Garbage);
                }
                FaultKind::EmptyObject => {
                    verdict.replacement.get_or_insert(Replacement::EmptyObject);
                }
                FaultKind::Errcode { errcode, errmsg } => {
                    verdict.replacement.get_or_insert_with(|| Replacement::Errcode(*errcode, errmsg.clone()));
                }
            }
        }
        verdict
    }
}

const GATEWAY_500: &str = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n\
<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn html(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// WeCom's wording for the codes a fault is likely to use.
fn known_text(errcode: i64) -> &'static str {
    match errcode {
        -1 => "system busy",
        45009 => "api freq out of limit",
        45033 => "api concurrent out of limit",
        40014 => "invalid access_token",
        42001 => "access_token expired",
        _ => "system error",
    }
}

impl Replacement {
    /// The answer sent instead of the handler's; `Close` arms the connection to drop.
    pub fn respond(self, call: &Call, wire: Option<&Wire>) -> Response {
        match self {
            Replacement::Http500 => html(StatusCode::INTERNAL_SERVER_ERROR, GATEWAY_500),
            Replacement::Garbage => html(StatusCode::OK, "<html>gateway error</html>"),
            Replacement::EmptyObject => {
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{}").into_response()
            }
            Replacement::Errcode(errcode, errmsg) => {
                let text = if errmsg.is_empty() { known_text(errcode) } else { errmsg.as_str() };
                call.error(errcode, text).into_response()
            }
            Replacement::Close => {
                if let Some(wire) = wire {
                    wire.arm(Plan::Drop);
                }
                // Never written when the wire is armed.
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl Delivery {
    /// Buffers the answer so its length is known (`Content-Length`), and arms the connection
    /// to cut or pause it after the first half of the body.
    pub async fn apply(self, response: Response, wire: Option<&Wire>) -> Response {
        let (parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if let (Some(wire), false) = (wire, bytes.is_empty()) {
            let keep = bytes.len() / 2;
            wire.arm(match self {
                Delivery::Slow(pause) => Plan::Pause { keep, pause },
                Delivery::Truncated => Plan::Cut { keep },
            });
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(book: &mut FaultBook, endpoint: &str, calls: usize) -> Vec<bool> {
        (0..calls).map(|_| book.verdict(endpoint) != Verdict::default()).collect()
    }

    #[test]
    fn rules_fire_on_the_calls_they_select() {
        let mut book = FaultBook::default();
        book.set(FaultRule::new(FaultKind::Garbage).times(2).into());
        assert_eq!(fired(&mut book, "user/get", 4), [true, true, false, false]);
        book.set(FaultRule::new(FaultKind::Garbage).every_nth(3).into());
        assert_eq!(fired(&mut book, "user/get", 6), [false, false, true, false, false, true]);
        book.set(FaultRule::new(FaultKind::Garbage).every_nth(2).times(1).into());
        assert_eq!(fired(&mut book, "user/get", 4), [false, true, false, false]);
        book.set(FaultRule::new(FaultKind::Garbage).on("/cgi-bin/user/list").into());
        assert_eq!(fired(&mut book, "user/get", 2), [false, false]);
        assert_eq!(fired(&mut book, "user/list", 2), [true, true]);
        book.set(FaultRule::new(FaultKind::InvalidateTokensAfter { calls: 2 }).times(9).into());
        assert_eq!(fired(&mut book, "user/get", 5), [false, false, true, false, false]);
        book.set(Faults::default());
        assert_eq!(fired(&mut book, "user/get", 1), [false]);
    }

    #[test]
    fn combined_rules_add_stalls_and_the_first_answer_wins() {
        let mut book = FaultBook::default();
        book.set(
            vec![
                FaultRule::new(FaultKind::Stall { ms: 5 }),
                FaultRule::new(FaultKind::Errcode { errcode: -1, errmsg: String::new() }),
                FaultRule::new(FaultKind::Http500),
                FaultRule::new(FaultKind::Stall { ms: 7 }),
                FaultRule::new(FaultKind::TruncatedBody),
                FaultRule::new(FaultKind::SlowBody { ms: 1 }),
            ]
            .into(),
        );
        let verdict = book.verdict("tag/list");
        assert_eq!(verdict.stall, Duration::from_millis(12));
        assert_eq!(verdict.replacement, Some(Replacement::Errcode(-1, String::new())));
        assert_eq!(verdict.delivery, Some(Delivery::Truncated));
        assert!(!verdict.invalidate_tokens);
    }

    #[test]
    fn the_json_form_is_snake_case() {
        let faults: Faults = serde_json::from_str(
            r#"{"rules": [{"kind": "http_500"}, {"kind": "close_connection", "endpoint": "user/list", "times": 1},
                {"kind": {"stall": {"ms": 20}}, "every_nth": 2}, {"kind": {"errcode": {"errcode": 45033}}},
                {"kind": {"invalidate_tokens_after": {"calls": 3}}}, {"kind": "truncated_body"},
                {"kind": {"slow_body": {"ms": 1}}}, {"kind": "garbage"}]}"#,
        )
        .expect("parses");
        assert_eq!(faults.rules.len(), 8);
        assert_eq!(faults.rules[0], FaultRule::new(FaultKind::Http500));
        assert_eq!(faults.rules[1], FaultRule::new(FaultKind::CloseConnection).on("user/list").times(1));
        assert_eq!(faults.rules[3].kind, FaultKind::Errcode { errcode: 45033, errmsg: String::new() });
        let again: Faults = serde_json::from_value(serde_json::to_value(&faults).expect("to json")).expect("back");
        assert_eq!(again, faults);
        assert!(serde_json::from_str::<Faults>(r#"{"rules": [{"kind": "http500"}]}"#).is_err());
    }
}
