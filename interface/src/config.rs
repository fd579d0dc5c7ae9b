use crate::{Extensions, SecretString, Text};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// What the admin pastes (CorpID, AgentID, Secret) plus the host's own settings that WeCom must know.
/// Values are taken as pasted: the plugin normalises them and reports what it changed.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionSettings {
    /// 企业ID (CorpID), from 管理后台 → 我的企业 → 企业信息.
    pub corp_id: RString,
    /// The self-built app's AgentID, as pasted (a number once trimmed).
    pub agent_id: RString,
    /// The self-built app's Secret. Never logged, never returned.
    pub secret: SecretString,
    /// WeCom API base URL; empty means `https://qyapi.weixin.qq.com`.
    pub api_base_url: RString,
    /// Base of WeCom's in-client OAuth page (网页授权); empty means `https://open.weixin.qq.com`.
    /// Set it only where members reach that page through another address.
    pub authorize_base_url: RString,
    /// Base of WeCom's web (QR / desktop client) login page; empty means
    /// `https://login.work.weixin.qq.com`.
    pub web_login_base_url: RString,
    /// The app's web-login callback domain (企业微信授权登录 → Web网页 → 授权回调域), which
    /// `agent/get` does not report; empty when it is the trusted domain. Browser logins may
    /// redirect to it or to the trusted domain; in-client logins only to the trusted domain.
    pub web_login_domain: RString,
    /// The platform's homepage, which the WeCom app's 应用主页 must point to.
    pub homepage_url: RString,
    /// The platform's OAuth redirect URL; its host must be the app's 可信域名.
    pub redirect_url: RString,
    /// The platform's URL for WeCom contact-change callbacks (may be empty).
    pub callback_url: RString,
    /// Outbound proxy for WeCom calls (e.g. `http://proxy.corp:3128`); empty for direct.
    pub proxy_url: RString,
    /// Accept plain `http://` for a non-loopback base URL (an internal gateway). Reported as a warning.
    pub allow_plain_http: bool,
    /// Callback Token (letters and digits, at most 32), for contact-change callbacks; may be empty.
    pub callback_token: SecretString,
    /// Callback EncodingAESKey (43 characters); may be empty.
    pub callback_aes_key: SecretString,
    /// How far a callback's timestamp may be from the server's clock, in seconds; 0 = 300.
    /// (The window is the plugin's guard against replays, not WeCom's rule.)
    pub callback_timestamp_window_secs: u32,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// A configuration the host stored after an earlier `configure` accepted it, to activate without
/// asking WeCom (a restart while WeCom is unreachable). `app` is the report's `app` as stored; the
/// callback receiver needs only `corp_id`, `callback_token` and `callback_aes_key`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activation {
    /// The settings as the host stored them.
    pub settings: ConnectionSettings,
    /// The app as WeCom last described it, when known (its trusted domain bounds login redirects).
    pub app: ROption<AppInfo>,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// How serious a configuration finding is.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// The check passed.
    Ok,
    /// Something was corrected automatically (e.g. pasted whitespace removed).
    Notice,
    /// It works, but something the platform needs is not set as it should be.
    Warning,
    /// It does not work until fixed; the configuration is not accepted.
    Error,
}

/// One line of the connection checklist.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Ok, notice, warning or error.
    pub status: FindingStatus,
    /// Stable code, e.g. `config.secret_invalid`, `config.trusted_ip_missing`.
    pub code: RString,
    /// The field concerned (`corp_id`, `agent_id`, `secret`, `homepage_url`, `redirect_url`, ...).
    pub field: ROption<RString>,
    /// WeCom's errcode when WeCom's answer produced this finding.
    pub wecom_errcode: ROption<i64>,
    /// What was found.
    pub message: Text,
    /// What to do (empty for `ok`).
    pub fix: Text,
}

/// The part of the directory a WeCom app may see (its 可见范围), from `agent/get`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisibleRange {
    /// Departments in range (their sub-departments are included).
    pub department_ids: RVec<u32>,
    /// Members put in range one by one.
    pub user_ids: RVec<RString>,
    /// Tags in range.
    pub tag_ids: RVec<u32>,
}

/// The WeCom app as WeCom describes it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// AgentID.
    pub agent_id: i64,
    /// App name.
    pub name: RString,
    /// Square logo URL.
    pub logo_url: RString,
    /// False when the app is disabled (停用) in the console.
    pub enabled: bool,
    /// The app's homepage (应用主页) as set in WeCom.
    pub home_url: RString,
    /// The app's trusted domain (可信域名) as set in WeCom.
    pub redirect_domain: RString,
    /// Who the app can see.
    pub visible: VisibleRange,
}

/// What the host shows the admin before they go to the WeCom console (the guide's steps 3 to 5).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupSheet {
    /// Paste into 应用主页 (app homepage).
    pub homepage_url: RString,
    /// Set as 网页授权及JS-SDK → 可信域名, and as 企业微信授权登录 → 授权回调域.
    pub trusted_domain: RString,
    /// The web-login callback domain, when it differs from the trusted domain (企业微信授权登录 →
    /// Web网页 → 授权回调域); empty otherwise.
    pub web_login_domain: RString,
    /// The platform's OAuth redirect URL (for reference).
    pub redirect_url: RString,
    /// The contact-change callback URL: set it as 通讯录同步 → 设置接收事件服务器 (delivers leavers),
    /// or as the app's 接收消息 → 设置API接收 (fewer events; the reconcile covers the rest).
    pub callback_url: RString,
    /// The server's egress IP as WeCom saw it, once WeCom has revealed it; add it to 企业可信IP.
    pub egress_ip: ROption<RString>,
    /// True when calls go through the configured proxy (the egress IP is then the proxy's).
    pub via_proxy: bool,
}

/// The answer of `configure`: the checklist, the app, and the setup sheet. The Secret is never in it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigReport {
    /// True when no finding is an error; the plugin instance then uses this configuration.
    pub accepted: bool,
    /// The CorpID after normalisation (what the host should store).
    pub corp_id: RString,
    /// The AgentID after normalisation (0 when it is not a number).
    pub agent_id: i64,
    /// The app, when WeCom described it.
    pub app: ROption<AppInfo>,
    /// Every check, in the order they ran.
    pub findings: RVec<Finding>,
    /// What to set in the WeCom console.
    pub setup: SetupSheet,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}
