//! WeCom and network failures described for people: stable code, field, message and fix in both
//! languages, from the errcode catalogue.

use crate::wecom::{errcodes, TransportKind, WecomError};
use interface::{PluginError, Text};

/// A failure described for the boundary.
pub struct Described {
    /// Stable code (`wecom.<errcode>`, `network.<kind>`, ...).
    pub code: String,
    /// Field concerned, from the catalogue.
    pub field: Option<String>,
    /// What happened.
    pub message: Text,
    /// What to do.
    pub fix: Text,
}

/// Describes any client error. Never includes secrets: URLs carry no query string.
pub fn describe(error: &WecomError) -> Described {
    match error {
        WecomError::Api { endpoint, errcode, errmsg } => match errcodes::lookup(*errcode) {
            Some(info) => Described {
                code: format!("wecom.{errcode}"),
                field: info.field.map(str::to_string),
                message: Text::new(
                    format!("企业微信接口 {endpoint} 返回错误 {errcode}：{}（{errmsg}）", info.zh),
                    format!("WeCom {endpoint} answered errcode {errcode}: {} ({errmsg})", info.en),
                ),
                fix: Text::new(info.fix_zh, info.fix_en),
            },
            None => Described {
                code: format!("wecom.{errcode}"),
                field: None,
                message: Text::new(
                    format!("企业微信接口 {endpoint} 返回错误 {errcode}：{errmsg}"),
                    format!("WeCom {endpoint} answered errcode {errcode}: {errmsg}"),
                ),
                fix: Text::new(
                    format!("在 https://open.work.weixin.qq.com/devtool/query?e={errcode} 查询该错误码。"),
                    format!("Look the code up at https://open.work.weixin.qq.com/devtool/query?e={errcode}."),
                ),
            },
        },
        WecomError::Transport { url, kind, detail } => {
            let (code, zh, en) = match kind {
                TransportKind::Timeout => ("network.timeout", "连接企业微信超时", "timed out reaching WeCom"),
                TransportKind::Connect => ("network.connect", "无法连接企业微信", "could not connect to WeCom"),
                TransportKind::Dns => ("network.dns", "无法解析企业微信的域名", "could not resolve WeCom's host name"),
                TransportKind::Tls => (
                    "network.tls",
                    "与企业微信的 TLS 握手失败（证书校验未通过）",
                    "TLS with WeCom failed (certificate not trusted)",
                ),
                _ => ("network.error", "与企业微信通信失败", "communication with WeCom failed"),
            };
            Described {
                code: code.to_string(),
                field: Some("api_base_url".to_string()),
                message: Text::new(format!("{zh}：{url}（{detail}）"), format!("{en}: {url} ({detail})")),
                fix: Text::new(
                    "检查服务器能否访问该地址（DNS、防火墙、出口代理）；如需经代理访问，请填写代理地址。这不是 CorpID 或 Secret 的问题。",
                    "Check that the server can reach this address (DNS, firewall, outbound proxy); set the proxy URL if one is required. This is not a CorpID or Secret problem.",
                ),
            }
        }
        other => Described {
            code: other_code(other).to_string(),
            // Whatever answered was not WeCom speaking its protocol: the address (or a proxy on the
            // way) is at fault, never the credentials.
            field: (!matches!(other, WecomError::Cancelled | WecomError::RateLimitedGaveUp { .. }))
                .then(|| "api_base_url".to_string()),
            message: Text::new(format!("企业微信调用失败：{other}"), format!("WeCom call failed: {other}")),
            fix: Text::new(other_fix(other).0, other_fix(other).1),
        },
    }
}

fn other_code(error: &WecomError) -> &'static str {
    match error {
        WecomError::InsecureBaseUrl { .. } => "config.insecure_base_url",
        WecomError::InvalidBaseUrl { .. } => "config.url_invalid",
        WecomError::HttpStatus { .. } => "network.http_status",
        WecomError::Decode { .. } => "network.bad_response",
        WecomError::BodyTooLarge { .. } => "network.body_too_large",
        WecomError::RateLimitedGaveUp { .. } => "wecom.rate_limited",
        WecomError::Cancelled => "plugin.cancelled",
        _ => "network.error",
    }
}

fn other_fix(error: &WecomError) -> (&'static str, &'static str) {
    match error {
        WecomError::InsecureBaseUrl { .. } => (
            "使用 https 地址；仅内部网关可在明确允许明文 HTTP 后使用 http。",
            "Use an https URL; plain http is accepted only for an internal gateway when explicitly allowed.",
        ),
        WecomError::RateLimitedGaveUp { .. } => (
            "企业微信限制了调用频率，请稍后重试（频率封禁按分钟或小时解除）。",
            "WeCom is limiting the call rate; retry later (blocks lift after the minute or hour window).",
        ),
        WecomError::Cancelled => ("操作已取消。", "The operation was cancelled."),
        _ => (
            "确认接口地址指向企业微信（或兼容服务器），且中间没有代理改写了应答。",
            "Check that the API base URL points to WeCom (or a compatible server) and that no proxy rewrote the answer.",
        ),
    }
}

/// A client error as a boundary error.
pub fn to_plugin_error(error: &WecomError) -> PluginError {
    let d = describe(error);
    let mut e = PluginError::new(&d.code, d.message, d.fix);
    if let Some(field) = d.field {
        e = e.with_field(&field);
    }
    if let Some(code) = error.errcode() {
        e = e.with_errcode(code);
    }
    e
}
