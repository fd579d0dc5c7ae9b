//! Settings after cleaning, and the accepted configuration the instance works with. `configure`
//! makes them; `connect`, `login`, `callback` and `directory` read them without importing `configure`.

use crate::wecom;
use interface::AppInfo;
use url::Url;

/// Settings after pasted-value cleaning and format checks.
#[derive(Debug, Clone)]
pub struct CleanSettings {
    /// CorpID.
    pub corp_id: String,
    /// AgentID.
    pub agent_id: i64,
    /// App Secret (masked in Debug).
    pub secret: wecom::Secret,
    /// API base URL.
    pub api_base_url: String,
    /// Base of the in-client OAuth page (defaulted to WeCom's).
    pub authorize_base_url: String,
    /// Base of the web login page (defaulted to WeCom's).
    pub web_login_base_url: String,
    /// The web-login callback domain (`host` or `host:port`), empty when not set.
    pub web_login_domain: String,
    /// Callback timestamp window in seconds.
    pub callback_window_secs: u32,
    /// Platform homepage (may be empty).
    pub homepage_url: Option<Url>,
    /// Platform OAuth redirect URL (may be empty).
    pub redirect_url: Option<Url>,
    /// Platform callback URL (may be empty).
    pub callback_url: Option<Url>,
    /// Outbound proxy.
    pub proxy_url: Option<String>,
    /// Plain http to a non-loopback gateway allowed.
    pub allow_plain_http: bool,
    /// Callback Token (通讯录同步 → 设置接收事件服务器, or the app's 接收消息 → 设置API接收), when callbacks are set up (masked in Debug).
    pub callback_token: Option<wecom::Secret>,
    /// Callback EncodingAESKey, when callbacks are set up (masked in Debug).
    pub callback_aes_key: Option<wecom::Secret>,
}

impl CleanSettings {
    /// True when a Secret and an AgentID are set, so WeCom can be called (an activation for the
    /// callback receiver alone has neither).
    pub fn can_call_wecom(&self) -> bool {
        !self.secret.expose().is_empty() && self.agent_id != 0
    }
}

/// Whether the app credentials must be present: `configure` needs them; `activate` accepts a
/// configuration without both (the callback receiver alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// CorpID, AgentID and Secret are required.
    Required,
    /// AgentID and Secret may both be missing.
    Optional,
}

/// A configuration WeCom accepted, with the client bound to it.
#[derive(Clone)]
pub struct Accepted {
    /// The settings.
    pub settings: CleanSettings,
    /// The app as WeCom described it.
    pub app: AppInfo,
    /// The client (token cache inside).
    pub client: wecom::Client,
}

/// `host` or `host:port` of a URL, as WeCom compares trusted domains (exact, port included).
pub fn domain_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => String::new(),
    }
}
