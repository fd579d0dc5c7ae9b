//! The client's one error type.
//!
//! Rule for every variant: nothing here may carry a Secret, an access token or an OAuth code.
//! URLs are reduced to `scheme://host[:port]/path` (the query carries `corpsecret`,
//! `access_token` and `code`); transport details come from `reqwest::Error::without_url`.

use super::errcodes::{self, Retry};
use std::net::IpAddr;

/// What kind of network failure happened (the host maps it to `network.<kind>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// No complete answer within the connect or request timeout.
    Timeout,
    /// TCP connection refused / reset / unreachable (or the proxy refused).
    Connect,
    /// The host name did not resolve.
    Dns,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The connection broke while the body was being read.
    Body,
    /// Anything else reqwest reports.
    Other,
}

impl TransportKind {
    /// Stable lower-case name, e.g. `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Timeout => "timeout",
            TransportKind::Connect => "connect",
            TransportKind::Dns => "dns",
            TransportKind::Tls => "tls",
            TransportKind::Body => "body",
            TransportKind::Other => "other",
        }
    }
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong talking to WeCom. `Clone` so that callers queued behind one
/// failed `gettoken` all receive its error instead of repeating the call.
#[derive(thiserror::Error, Debug, Clone)]
pub enum WecomError {
    /// WeCom answered with a non-zero `errcode`. `errmsg` is as WeCom sent it (it may end with
    /// `hint: [...]`, `from ip: ...`, `more info at ...`); it never contains our credentials.
    #[error("WeCom {endpoint} returned errcode {errcode}: {errmsg}")]
    Api {
        /// Endpoint name, e.g. `user/get`.
        endpoint: &'static str,
        /// WeCom's errcode (see [`errcodes::lookup`]).
        errcode: i64,
        /// WeCom's errmsg, verbatim.
        errmsg: String,
    },
    /// WeCom could not be reached or the connection broke.
    #[error("network error ({kind}) calling {url}: {detail}")]
    Transport {
        /// `scheme://host[:port]/path` only — never the query.
        url: String,
        /// Classification for the host's `network.*` codes.
        kind: TransportKind,
        /// reqwest's message chain, without the URL.
        detail: String,
    },
    /// A non-2xx answer whose body is not a WeCom envelope (a proxy page, a redirect, a gateway
    /// error).
    #[error("HTTP {status} from {url} (not a WeCom answer)")]
    HttpStatus {
        /// `scheme://host[:port]/path` only.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The body was not JSON or did not have the documented shape.
    #[error("unexpected answer from WeCom {endpoint}: {detail}")]
    Decode {
        /// Endpoint name.
        endpoint: &'static str,
        /// What did not fit.
        detail: String,
    },
    /// The answer was larger than `max_body_bytes`; reading stopped there.
    #[error("answer from WeCom {endpoint} exceeds {limit} bytes")]
    BodyTooLarge {
        /// Endpoint name.
        endpoint: &'static str,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// Plain `http://` to a non-loopback host without `allow_plain_http`.
    #[error("refusing plain http to {url}: use https, or allow plain http explicitly")]
    InsecureBaseUrl {
        /// The base URL, without credentials or query.
        url: String,
    },
    /// The base URL is not an absolute http(s) URL with a host and without query/credentials.
    #[error("invalid WeCom base URL: {detail}")]
    InvalidBaseUrl {
        /// Why it was refused (the URL itself is not repeated: it may hold credentials).
        detail: String,
    },
    /// The proxy URL was refused by the HTTP stack.
    #[error("invalid proxy URL: {detail}")]
    InvalidProxyUrl {
        /// Why it was refused (the URL itself is not repeated: it may hold credentials).
        detail: String,
    },
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client: {detail}")]
    ClientBuild {
        /// reqwest's message.
        detail: String,
    },
    /// Rate limited (45009) or concurrency limited (45033) longer than the retry budget allows.
    #[error("WeCom {endpoint} kept answering errcode {errcode} (rate limit); gave up after the retry budget")]
    RateLimitedGaveUp {
        /// Endpoint name.
        endpoint: &'static str,
        /// 45009 or 45033.
        errcode: i64,
    },
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
}

impl WecomError {
    /// WeCom's errcode, when the error came from WeCom.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WecomError::Api { errcode, .. } | WecomError::RateLimitedGaveUp { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// The egress IP WeCom saw, from the `from ip: …` part of an errmsg (60020 and a few others
    /// carry it). This is the address the admin must enter as 企业可信IP.
    pub fn caller_ip(&self) -> Option<String> {
        match self {
            WecomError::Api { errmsg, .. } => parse_caller_ip(errmsg),
            _ => None,
        }
    }

    /// True when the same call may succeed later without a configuration change.
    pub fn is_retryable(&self) -> bool {
        match self {
            WecomError::Api { errcode, .. } => {
                errcodes::lookup(*errcode).map(|info| info.retry != Retry::Never).unwrap_or(false)
            }
            WecomError::RateLimitedGaveUp { .. } => true,
            // A certificate problem does not heal by itself; everything else on the wire might.
            WecomError::Transport { kind, .. } => *kind != TransportKind::Tls,
            WecomError::HttpStatus { status, .. } => *status == 429 || (500..600).contains(status),
            WecomError::Decode { .. }
            | WecomError::BodyTooLarge { .. }
            | WecomError::InsecureBaseUrl { .. }
            | WecomError::InvalidBaseUrl { .. }
            | WecomError::InvalidProxyUrl { .. }
            | WecomError::ClientBuild { .. }
            | WecomError::Cancelled => false,
        }
    }
}

/// Extracts the address after `from ip:` (IPv4 or IPv6), validated as an IP address.
pub(crate) fn parse_caller_ip(errmsg: &str) -> Option<String> {
    const MARKER: &str = "from ip:";
    let lower = errmsg.to_ascii_lowercase();
    let start = lower.find(MARKER)? + MARKER.len();
    let rest = errmsg.get(start..)?.trim_start();
    let candidate: String = rest.chars().take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':').collect();
    // A sentence-ending dot is not part of the address.
    let candidate = candidate.trim_end_matches('.');
    candidate.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(errcode: i64, errmsg: &str) -> WecomError {
        WecomError::Api { endpoint: "user/get", errcode, errmsg: errmsg.to_string() }
    }

    #[test]
    fn caller_ip_from_real_60020_sample() {
        // Verbatim sample from wecom-api.md §7.1.
        let e = api(
            60020,
            "not allow to access from your ip, hint: [1655882753557010848204971], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=60020",
        );
        assert_eq!(e.caller_ip().as_deref(), Some("1.2.3.4"));
        assert_eq!(e.errcode(), Some(60020));
        assert!(!e.is_retryable());
    }

    #[test]
    fn caller_ip_variants() {
        assert_eq!(parse_caller_ip("x, from ip: 2408:8207:1234::5, more info").as_deref(), Some("2408:8207:1234::5"));
        assert_eq!(parse_caller_ip("not allow, from ip: 10.0.0.7.").as_deref(), Some("10.0.0.7"));
        assert_eq!(parse_caller_ip("From IP: 8.8.8.8").as_deref(), Some("8.8.8.8"));
        assert_eq!(parse_caller_ip("not allow to access from your ip"), None);
        assert_eq!(parse_caller_ip("from ip: nonsense"), None);
        assert_eq!(parse_caller_ip("from ip: 999.1.1.1"), None);
        assert_eq!(WecomError::Cancelled.caller_ip(), None, "only WeCom answers carry an IP");
    }

    #[test]
    fn retryable_classification() {
        assert!(api(-1, "system busy").is_retryable());
        assert!(api(45009, "api freq out of limit").is_retryable());
        assert!(api(45033, "").is_retryable());
        assert!(api(42001, "access_token expired").is_retryable());
        assert!(!api(40001, "invalid credential").is_retryable());
        assert!(!api(60011, "no privilege").is_retryable());
        assert!(!api(123_456_789, "unknown").is_retryable());
        let t = |kind| WecomError::Transport {
            url: "https://qyapi.weixin.qq.com/cgi-bin/user/get".into(),
            kind,
            detail: String::new(),
        };
        assert!(t(TransportKind::Timeout).is_retryable());
        assert!(!t(TransportKind::Tls).is_retryable());
        assert!(WecomError::HttpStatus { url: String::new(), status: 502 }.is_retryable());
        assert!(!WecomError::HttpStatus { url: String::new(), status: 302 }.is_retryable());
    }
}
