//! The checks, in the order an admin would fix things: pasted values, then the credentials
//! (`gettoken`), then the app (`agent/get`: Secret/AgentID pairing, disabled app), then what the
//! platform needs set in the app (homepage, trusted domain, visible range), then the trusted IP,
//! proved with one directory call inside the visible range (`agent/get` may not be IP-gated).

use super::findings::{finding, has_error, ok, with_errcode};
use super::paste::{self, Malformed};
use crate::callback::crypto::{KeyProblem, TokenProblem};
use crate::host_log::Host;
use crate::settings::{domain_of, Accepted, CleanSettings, Credentials};
use crate::shown::{shown, shown_char};
use crate::wecom::{self, WecomError};
use crate::{callback, connect, wecom_text};
use interface::{
    Activation, AppInfo, ConfigReport, ConnectionSettings, Finding, FindingStatus, SetupSheet, Text, VisibleRange,
};
use url::Url;

/// The outcome of a check: the report, and the accepted configuration when there is no error.
pub struct Checked {
    /// What the host shows.
    pub report: ConfigReport,
    /// Present when accepted.
    pub accepted: Option<Accepted>,
}

const CONSOLE_APP: &str = "管理后台 → 应用管理 → 自建 → 选择应用";
const CONSOLE_APP_EN: &str = "admin console → 应用管理 (App Management) → 自建 (Self-built) → your app";

/// Activates a stored configuration without any network call: the same offline checks as
/// `configure` (pasted values, formats, the callback key), none against WeCom. The client is
/// built but makes no call until a hook needs WeCom.
pub fn activate(activation: &Activation, host: &Host) -> Checked {
    let raw = &activation.settings;
    let mut findings = Vec::new();
    let clean = clean_settings(raw, Credentials::Optional, &mut findings);
    let mut report = ConfigReport {
        accepted: false,
        corp_id: clean.as_ref().map(|c| c.corp_id.clone()).unwrap_or_default().into(),
        agent_id: clean.as_ref().map(|c| c.agent_id).unwrap_or(0),
        app: activation.app.clone(),
        findings: Default::default(),
        setup: setup_sheet(raw, clean.as_ref()),
        ext: Default::default(),
    };
    let accepted = clean.filter(|_| !has_error(&findings)).and_then(|clean| match connect::client_for(&clean, host) {
        Ok(client) => {
            // A stored description of another app (a stale store) is not this app's: the range is
            // learned again at the first read, and login redirects wait for it.
            let app = activation.app.clone().into_option().filter(|app| app.agent_id == clean.agent_id);
            Some(Accepted { app: app.unwrap_or_default(), settings: clean, client })
        }
        Err(error) => {
            findings.push(with_errcode(
                finding(
                    FindingStatus::Error,
                    "config.client",
                    Some("proxy_url"),
                    Text::new(
                        format!("无法创建企业微信客户端：{error}"),
                        format!("Could not build the WeCom client: {error}"),
                    ),
                    Text::new("检查代理地址与基础地址。", "Check the proxy and base URLs."),
                ),
                None,
            ));
            None
        }
    });
    report.accepted = accepted.is_some();
    report.findings = findings.into();
    Checked { report, accepted }
}

/// The app as `agent/get` describes it.
pub fn app_info(agent: &wecom::Agent) -> AppInfo {
    AppInfo {
        agent_id: agent.agentid,
        name: agent.name.clone().into(),
        logo_url: agent.square_logo_url.clone().into(),
        enabled: agent.close == 0,
        home_url: agent.home_url.clone().into(),
        redirect_domain: agent.redirect_domain.clone().into(),
        visible: VisibleRange {
            department_ids: agent.allow_partys.clone().into(),
            user_ids: agent.allow_userinfos.iter().map(|u| u.as_str().into()).collect(),
            tag_ids: agent.allow_tags.clone().into(),
        },
    }
}

/// Runs every check against WeCom.
pub async fn check(raw: &ConnectionSettings, host: &Host) -> Checked {
    let mut findings = Vec::new();
    let clean = clean_settings(raw, Credentials::Required, &mut findings);
    let setup = setup_sheet(raw, clean.as_ref());
    let mut report = ConfigReport {
        accepted: false,
        corp_id: clean.as_ref().map(|c| c.corp_id.clone()).unwrap_or_default().into(),
        agent_id: clean.as_ref().map(|c| c.agent_id).unwrap_or(0),
        app: None.into(),
        findings: Default::default(),
        setup,
        ext: Default::default(),
    };
    let Some(clean) = clean.filter(|_| !has_error(&findings)) else {
        report.findings = findings.into();
        return Checked { report, accepted: None };
    };

    let accepted = check_with_wecom(&clean, host, &mut findings, &mut report).await;
    report.accepted = accepted.is_some() && !has_error(&findings);
    report.findings = findings.into();
    Checked { accepted: accepted.filter(|_| report.accepted), report }
}

async fn check_with_wecom(
    clean: &CleanSettings,
    host: &Host,
    findings: &mut Vec<Finding>,
    report: &mut ConfigReport,
) -> Option<Accepted> {
    let client = match connect::client_for(clean, host) {
        Ok(client) => client,
        Err(error) => {
            findings.push(error_finding(&error, "api_base_url"));
            return None;
        }
    };
    if clean.allow_plain_http
        && clean.api_base_url.starts_with("http://")
        && !connect::is_loopback_url(&clean.api_base_url)
    {
        findings.push(finding(
            FindingStatus::Warning,
            "config.plain_http",
            Some("api_base_url"),
            Text::new(
                format!("通过明文 HTTP 访问企业微信接口：{}", clean.api_base_url),
                format!("WeCom API reached over plain HTTP: {}", clean.api_base_url),
            ),
            Text::new(
                "仅在可信的内部网关上使用；Secret 和令牌会以明文经过网络。",
                "Use only behind a trusted internal gateway: the Secret and tokens cross the network unencrypted.",
            ),
        ));
    }

    if let Err(error) = client.access_token().await {
        findings.push(token_finding(&error, clean));
        return None;
    }
    findings.push(ok(
        "config.credentials_ok",
        Some("secret"),
        "CorpID 与 Secret 正确，已获取 access_token。",
        "CorpID and Secret are valid; an access token was issued.",
    ));

    let agent = match client.get_agent(clean.agent_id).await {
        Ok(agent) => agent,
        Err(error) => {
            if let Some(ip) = error.caller_ip() {
                report.setup.egress_ip = Some(ip.into()).into();
            }
            findings.push(agent_finding(&error, clean));
            return None;
        }
    };
    let app = app_info(&agent);
    report.app = Some(app.clone()).into();
    app_findings(&app, clean, findings);
    // A disabled app answers 50003 to every directory call: app_findings already says so.
    let probed = if app.enabled { probe_trusted_ip(&client, &app, findings).await } else { Ok(()) };
    if let Err(error) = probed {
        if let Some(ip) = error.caller_ip() {
            report.setup.egress_ip = Some(ip.into()).into();
        }
        findings.push(agent_finding(&error, clean));
        return None;
    }
    Some(Accepted { settings: clean.clone(), app, client })
}

/// Proves the egress IP with a call WeCom gates by 企业可信IP. `agent/get` passing proves nothing
/// here: whether it is IP-gated is unconfirmed (wecom-api.md §14), while the directory reads
/// (`department/list`, `user/list`, `user/get`) are confirmed gated (WecomTeam/CodeSameples#9).
/// The probe is one call inside the visible range: `user/get` of a member put in the range one
/// by one, else `department/list` of the first department in it (falling back to
/// `department/simplelist` if `department/list` is refused for another reason, see
/// `directory::fetch`), else `tag/get` of the first tag. Unconfirmed: that
/// `department/simplelist` and `tag/get` are gated too; they are used only when no confirmed call
/// fits the range. `Err` carries the 60020 to report; any other refusal leaves the IP
/// unconfirmed (a warning) rather than blaming it.
async fn probe_trusted_ip(
    client: &wecom::Client,
    app: &AppInfo,
    findings: &mut Vec<Finding>,
) -> Result<(), WecomError> {
    enum Probe<'a> {
        User(&'a str),
        Department(u32),
        Tag(u32),
    }
    let visible = &app.visible;
    let probes: Vec<Probe<'_>> = visible
        .user_ids
        .first()
        .map(|u| Probe::User(u.as_str()))
        .into_iter()
        .chain(visible.department_ids.first().map(|&id| Probe::Department(id)))
        .chain(visible.tag_ids.first().map(|&id| Probe::Tag(id)))
        .collect();
    if probes.is_empty() {
        findings.push(finding(
            FindingStatus::Warning,
            "config.trusted_ip_unconfirmed",
            Some("trusted_ip"),
            Text::new(
                "可见范围为空，无法用通讯录接口确认服务器出口 IP 是否在企业可信IP中。",
                "The visible range is empty, so no directory call could confirm that the server's egress IP is in the app's trusted IPs.",
            ),
            Text::new(
                format!("先在 {CONSOLE_APP} → 可见范围 中添加部门、成员或标签，再重新校验。"),
                format!("Add departments, members or tags under 可见范围 (visible range) in {CONSOLE_APP_EN}, then check again."),
            ),
        ));
        return Ok(());
    }
    // The next kind of probe is tried when one is refused for another reason (a member put in the
    // range but deleted since, a refused department list): only 60020 or a success decides.
    let mut outcome = None;
    for probe in probes {
        let (endpoint, result) = match probe {
            Probe::User(userid) => ("user/get", client.get_user(userid).await.map(drop)),
            Probe::Department(id) => match client.list_departments(Some(id)).await {
                Err(error) if error.errcode().is_some_and(|code| code != 60020) => {
                    ("department/simplelist", client.simple_list_departments(Some(id)).await.map(drop))
                }
                other => ("department/list", other.map(drop)),
            },
            Probe::Tag(id) => ("tag/get", client.get_tag(id).await.map(drop)),
        };
        let decided = !matches!(&result, Err(error) if error.errcode() != Some(60020));
        outcome = Some((endpoint, result));
        if decided {
            break;
        }
    }
    let Some((endpoint, result)) = outcome else {
        return Ok(());
    };
    match result {
        Ok(()) => {
            findings.push(ok(
                "config.trusted_ip_ok",
                Some("trusted_ip"),
                format!("服务器出口 IP 在应用的企业可信IP中（已用通讯录接口 {endpoint} 验证）。"),
                format!(
                    "The server's egress IP is in the app's trusted IPs (proved with the directory call {endpoint})."
                ),
            ));
            Ok(())
        }
        Err(error) if error.errcode() == Some(60020) => Err(error),
        Err(error) => {
            let described = wecom_text::describe(&error);
            findings.push(with_errcode(
                finding(
                    FindingStatus::Warning,
                    "config.trusted_ip_unconfirmed",
                    Some("trusted_ip"),
                    Text::new(
                        format!("无法确认服务器出口 IP 是否在企业可信IP中：通讯录接口 {endpoint} 失败：{}", described.message.zh),
                        format!("Could not confirm that the server's egress IP is in the app's trusted IPs: the directory call {endpoint} failed: {}", described.message.en),
                    ),
                    described.fix,
                ),
                error.errcode(),
            ));
            Ok(())
        }
    }
}

fn app_findings(app: &AppInfo, clean: &CleanSettings, findings: &mut Vec<Finding>) {
    if app.enabled {
        findings.push(ok(
            "config.agent_ok",
            Some("agent_id"),
            format!("Secret 与 AgentID {} 属于同一应用「{}」。", app.agent_id, app.name),
            format!("Secret and AgentID {} belong to the same app \"{}\".", app.agent_id, app.name),
        ));
    } else {
        findings.push(finding(
            FindingStatus::Error,
            "config.app_disabled",
            Some("agent_id"),
            Text::new(format!("应用「{}」已停用。", app.name), format!("The app \"{}\" is disabled.", app.name)),
            Text::new(format!("在 {CONSOLE_APP} 中点击「启用」。"), format!("Enable it in {CONSOLE_APP_EN}.")),
        ));
    }

    if let Some(home) = &clean.homepage_url {
        let set = app.home_url.as_str();
        if set.trim_end_matches('/') == home.as_str().trim_end_matches('/') {
            findings.push(ok(
                "config.homepage_ok",
                Some("homepage_url"),
                "应用主页已指向平台。",
                "The app homepage points to the platform.",
            ));
        } else {
            let (zh, en) = if set.is_empty() {
                ("应用主页未设置。".to_string(), "The app homepage is not set.".to_string())
            } else {
                (format!("应用主页是 {set}，不是平台地址。"), format!("The app homepage is {set}, not the platform's."))
            };
            findings.push(finding(
                FindingStatus::Warning,
                "config.homepage_mismatch",
                Some("homepage_url"),
                Text::new(zh, en),
                Text::new(
                    format!("在 {CONSOLE_APP} → 应用主页 中填写 {home}"),
                    format!("Set 应用主页 (app homepage) to {home} in {CONSOLE_APP_EN}."),
                ),
            ));
        }
    }

    if let Some(redirect) = &clean.redirect_url {
        let expected = domain_of(redirect);
        let set = app.redirect_domain.as_str();
        if set.eq_ignore_ascii_case(&expected) {
            findings.push(ok(
                "config.trusted_domain_ok",
                Some("redirect_url"),
                format!("可信域名 {set} 与平台的登录回调地址一致。"),
                format!("The trusted domain {set} matches the platform's login redirect URL."),
            ));
        } else {
            let (zh, en) = if set.is_empty() {
                (
                    "应用未设置可信域名，企业微信一键登录将无法使用。".to_string(),
                    "The app has no trusted domain: one-click login from WeCom will fail.".to_string(),
                )
            } else {
                (
                    format!("可信域名是 {set}，与平台登录回调地址的域名 {expected} 不一致（须完全相同，含端口）。"),
                    format!("The trusted domain is {set}, but the platform's redirect URL is on {expected} (must match exactly, port included)."),
                )
            };
            findings.push(finding(
                FindingStatus::Warning,
                "config.trusted_domain_mismatch",
                Some("redirect_url"),
                Text::new(zh, en),
                Text::new(
                    format!("在 {CONSOLE_APP} → 网页授权及JS-SDK → 可信域名 中填写 {expected}（按提示下载 WW_verify_*.txt 并上传到平台），并在 企业微信授权登录 → 授权回调域 中填写同一域名。"),
                    format!("Set 网页授权及JS-SDK → 可信域名 (trusted domain) to {expected} in {CONSOLE_APP_EN} (download the WW_verify_*.txt file it offers and upload it to the platform), and the same domain as 企业微信授权登录 → 授权回调域."),
                ),
            ));
        }
    }

    if clean.callback_token.is_some() && clean.callback_aes_key.is_some() {
        findings.push(callback_receivers(clean));
    }

    let visible = &app.visible;
    let count = visible.department_ids.len() + visible.user_ids.len() + visible.tag_ids.len();
    if count == 0 {
        findings.push(finding(
            FindingStatus::Warning,
            "config.visible_range_empty",
            Some("agent_id"),
            Text::new(
                "应用的可见范围为空：无人可同步，也无人能登录。",
                "The app's visible range is empty: nobody can be synced or log in.",
            ),
            Text::new(
                format!("在 {CONSOLE_APP} → 可见范围 中添加需要同步的部门、成员或标签。"),
                format!(
                    "Add the departments, members or tags to sync under 可见范围 (visible range) in {CONSOLE_APP_EN}."
                ),
            ),
        ));
    } else {
        findings.push(ok(
            "config.visible_range_ok",
            Some("agent_id"),
            format!(
                "可见范围：{} 个部门、{} 名成员、{} 个标签。",
                visible.department_ids.len(),
                visible.user_ids.len(),
                visible.tag_ids.len()
            ),
            format!(
                "Visible range: {} departments, {} members, {} tags.",
                visible.department_ids.len(),
                visible.user_ids.len(),
                visible.tag_ids.len()
            ),
        ));
    }
}

/// What each callback receiver carries, said when callbacks are set up. The plugin cannot tell
/// from the settings which console page the Token and EncodingAESKey came from (both receivers
/// sign and encrypt alike), so the line states both. The app receiver's share rests on doc
/// 96302/96303/96304 not listing self-built apps and on a WeCom staff answer about `update_user`;
/// unconfirmed (wecom-api.md §13.1, §14), hence "reported".
fn callback_receivers(clean: &CleanSettings) -> Finding {
    let url = clean.callback_url.as_ref().map(|u| u.to_string());
    let (url_zh, url_en) = match &url {
        Some(url) => (format!("回调地址 {url}"), format!("the callback URL {url}")),
        None => ("平台的回调地址".to_string(), "the platform's callback URL".to_string()),
    };
    finding(
        FindingStatus::Notice,
        "config.callback_receivers",
        Some("callback_token"),
        Text::new(
            "通讯录变更回调由接收它的页面决定送达哪些事件：「通讯录同步 → 设置接收事件服务器」收到成员、部门和标签的全部变更，包括成员离职（delete_user）；应用的「接收消息 → 设置API接收」据报只在成员账号（UserID）变更时收到 update_user，收不到离职（企业微信文档 96302 未把自建应用列为接收方，未确认）。两种情况下，平台的定时完整核对（reconcile）都会补上回调未送达的变更。",
            "Which contact changes arrive depends on where the callback is set: 通讯录同步 → 设置接收事件服务器 (Contact Sync → event receiving server) receives every member, department and tag change, leavers (delete_user) included; the app's own 接收消息 → 设置API接收 (Set API receiving) is reported to receive only update_user when a member's UserID changes, and no leavers (WeCom doc 96302 does not list self-built apps as receivers; unconfirmed). Either way, the platform's timed full reconcile catches what no callback delivered.",
        ),
        Text::new(
            format!("在 管理后台 → 管理工具 → 通讯录同步 → 设置接收事件服务器 中填写{url_zh}，以及与平台相同的 Token 和 EncodingAESKey（只用于接收事件；通讯录同步的 Secret 不需要填入平台）；并保持平台的定时核对开启。"),
            format!("Set {url_en} with the same Token and EncodingAESKey as the platform under admin console → 管理工具 (Management Tools) → 通讯录同步 (Contact Sync) → 设置接收事件服务器 (only to receive events: the platform never needs the contact-sync Secret), and keep the platform's timed reconcile on."),
        ),
    )
}

/// The pre-network part: cleaning and format checks. `pub(super)` for the property tests.
pub(super) fn clean_settings(
    raw: &ConnectionSettings,
    credentials: Credentials,
    findings: &mut Vec<Finding>,
) -> Option<CleanSettings> {
    let corp = paste::clean(raw.corp_id.as_str());
    let agent = paste::clean(raw.agent_id.as_str());
    let secret = paste::clean(raw.secret.expose());
    let callback_token = paste::clean(raw.callback_token.expose());
    let callback_aes_key = paste::clean(raw.callback_aes_key.expose());
    let without_app = credentials == Credentials::Optional && agent.value.is_empty() && secret.value.is_empty();
    for (field, cleaned, zh, en) in [
        ("corp_id", &corp, "CorpID", "CorpID"),
        ("agent_id", &agent, "AgentID", "AgentID"),
        ("secret", &secret, "Secret", "Secret"),
        ("callback_token", &callback_token, "回调 Token", "callback Token"),
        ("callback_aes_key", &callback_aes_key, "回调 EncodingAESKey", "callback EncodingAESKey"),
    ] {
        if cleaned.changed {
            findings.push(finding(
                FindingStatus::Notice,
                "config.pasted_whitespace_removed",
                Some(field),
                Text::new(
                    format!("已去除 {zh} 中粘贴带入的空格、换行或不可见字符。"),
                    format!("Removed pasted spaces, line breaks or invisible characters from the {en}."),
                ),
                Text::default(),
            ));
        }
    }

    let mut valid = true;
    if let Err(m) = paste::check_corp_id(&corp.value) {
        valid = false;
        findings.push(malformed(
            "corp_id",
            "CorpID",
            &m,
            "管理后台 → 我的企业 → 企业信息 → 企业ID",
            "admin console → 我的企业 (My Company) → 企业信息 → 企业ID",
        ));
    } else if !(corp.value.starts_with("ww") || corp.value.starts_with("wx")) {
        findings.push(finding(
            FindingStatus::Warning,
            "config.corp_id_unusual",
            Some("corp_id"),
            Text::new(
                "CorpID 通常以 ww 或 wx 开头，请确认没有填成 AgentID 或 Secret。",
                "A CorpID usually starts with ww or wx; make sure this is not the AgentID or the Secret.",
            ),
            Text::new(
                "在 管理后台 → 我的企业 → 企业信息 中复制「企业ID」。",
                "Copy 企业ID from admin console → 我的企业 → 企业信息.",
            ),
        ));
    }
    let agent_id = match paste::parse_agent_id(&agent.value) {
        _ if without_app => 0,
        Ok(id) => id,
        Err(m) => {
            valid = false;
            findings.push(malformed(
                "agent_id",
                "AgentID",
                &m,
                &format!("{CONSOLE_APP} → AgentId"),
                &format!("{CONSOLE_APP_EN} → AgentId"),
            ));
            0
        }
    };
    if let Err(m) = if without_app { Ok(()) } else { paste::check_secret(&secret.value) } {
        valid = false;
        findings.push(malformed(
            "secret",
            "Secret",
            &m,
            &format!("{CONSOLE_APP} → Secret → 查看"),
            &format!("{CONSOLE_APP_EN} → Secret → View"),
        ));
    }

    let mut url_field = |field: &str, raw: &str, label_zh: &str, label_en: &str| -> Option<Url> {
        let value = paste::clean(raw).value;
        if value.is_empty() {
            return None;
        }
        match Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Some(url),
            _ => {
                valid = false;
                findings.push(finding(
                    FindingStatus::Error,
                    "config.url_invalid",
                    Some(field),
                    Text::new(
                        format!("{label_zh}不是有效的 http(s) 地址：{}", shown(&value, 200)),
                        format!("The {label_en} is not a valid http(s) URL: {}", shown(&value, 200)),
                    ),
                    Text::new(
                        "填写完整地址，例如 https://wanxiang.example.com/",
                        "Enter a full URL such as https://wanxiang.example.com/",
                    ),
                ));
                None
            }
        }
    };
    let homepage_url = url_field("homepage_url", raw.homepage_url.as_str(), "平台主页", "platform homepage");
    let redirect_url = url_field("redirect_url", raw.redirect_url.as_str(), "登录回调地址", "login redirect URL");
    let callback_url = url_field("callback_url", raw.callback_url.as_str(), "回调地址", "callback URL");
    let authorize_base =
        url_field("authorize_base_url", raw.authorize_base_url.as_str(), "网页授权地址", "OAuth page base URL");
    let web_login_base =
        url_field("web_login_base_url", raw.web_login_base_url.as_str(), "网页登录地址", "web login base URL");
    let web_login_domain = web_login_domain(raw.web_login_domain.as_str(), &mut valid, findings);
    let (callback_token, callback_aes_key) =
        callback_secrets(callback_token.value, callback_aes_key.value, &mut valid, findings);
    let api = paste::clean(raw.api_base_url.as_str()).value;
    let proxy = paste::clean(raw.proxy_url.as_str()).value;

    valid.then(|| CleanSettings {
        corp_id: corp.value,
        agent_id,
        secret: wecom::Secret::new(secret.value),
        api_base_url: if api.is_empty() {
            connect::DEFAULT_API_BASE.to_string()
        } else {
            api.trim_end_matches('/').to_string()
        },
        authorize_base_url: base_or(authorize_base, crate::login::DEFAULT_AUTHORIZE_BASE),
        web_login_base_url: base_or(web_login_base, crate::login::DEFAULT_WEB_LOGIN_BASE),
        web_login_domain,
        callback_window_secs: match raw.callback_timestamp_window_secs {
            0 => crate::callback::DEFAULT_TIMESTAMP_WINDOW_SECS,
            n => n,
        },
        homepage_url,
        redirect_url,
        callback_url,
        proxy_url: (!proxy.is_empty()).then_some(proxy),
        allow_plain_http: raw.allow_plain_http,
        callback_token,
        callback_aes_key,
    })
}

use crate::callback::{CONSOLE_RECEIVERS as CONSOLE_CALLBACK, CONSOLE_RECEIVERS_EN as CONSOLE_CALLBACK_EN};

/// A configured page base without its trailing slash, or the real default.
fn base_or(url: Option<Url>, default: &str) -> String {
    url.map(|u| u.as_str().trim_end_matches('/').to_string()).unwrap_or_else(|| default.to_string())
}

/// The web-login callback domain as WeCom compares it (`host` or `host:port`); a pasted URL is
/// reduced to its domain.
fn web_login_domain(raw: &str, valid: &mut bool, findings: &mut Vec<Finding>) -> String {
    let value = paste::clean(raw).value;
    if value.is_empty() {
        return String::new();
    }
    let with_scheme = if value.contains("://") { value.clone() } else { format!("https://{value}") };
    match Url::parse(&with_scheme) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) && (url.path() == "/" || url.path().is_empty()) => {
            domain_of(&url)
        }
        _ => {
            *valid = false;
            findings.push(finding(
                FindingStatus::Error,
                "config.url_invalid",
                Some("web_login_domain"),
                Text::new(
                    format!("网页登录授权回调域不是有效的域名：{}", shown(&value, 200)),
                    format!("The web-login domain is not a valid domain: {}", shown(&value, 200)),
                ),
                Text::new(
                    "填写 企业微信授权登录 → Web网页 → 授权回调域 中的域名，例如 wanxiang.example.com",
                    "Enter the domain set in 企业微信授权登录 → Web网页 → 授权回调域, e.g. wanxiang.example.com",
                ),
            ));
            String::new()
        }
    }
}

/// The callback Token and EncodingAESKey (optional, but only together). Format errors are caught
/// here so that a typo shows up in the checklist rather than as a signature failure when WeCom
/// first calls back. Values never appear in findings.
fn callback_secrets(
    token: String,
    key: String,
    valid: &mut bool,
    findings: &mut Vec<Finding>,
) -> (Option<wecom::Secret>, Option<wecom::Secret>) {
    if token.is_empty() && key.is_empty() {
        return (None, None);
    }
    let mut push = |code: &str, field: &str, message: Text, fix: Text| {
        *valid = false;
        findings.push(finding(FindingStatus::Error, code, Some(field), message, fix));
    };
    let key_fix = Text::new(
        format!("从设置回调的页面（{CONSOLE_CALLBACK}）重新复制 EncodingAESKey，或点击「随机获取」后同时保存到企业微信和平台。"),
        format!("Copy the EncodingAESKey again from the page where the callback is set ({CONSOLE_CALLBACK_EN}), or click 随机获取 (random) and save the new key in both WeCom and the platform."),
    );
    let token_fix = Text::new(
        format!("从设置回调的页面（{CONSOLE_CALLBACK}）重新复制 Token，或点击「随机获取」后同时保存到企业微信和平台。"),
        format!("Copy the Token again from the page where the callback is set ({CONSOLE_CALLBACK_EN}), or click 随机获取 (random) and save the new token in both WeCom and the platform."),
    );
    if key.is_empty() {
        push(
            "config.missing",
            "callback_aes_key",
            Text::new(
                "填写了回调 Token 但未填写 EncodingAESKey；两者须同时填写。",
                "The callback Token is set but the EncodingAESKey is not; both are needed.",
            ),
            key_fix.clone(),
        );
    } else if let Err(problem) = callback::crypto::check_encoding_aes_key(&key) {
        let (zh, en) = match problem {
            KeyProblem::Length(n) => (
                format!("回调 EncodingAESKey 应为 43 个字符，实际为 {n} 个。"),
                format!("The callback EncodingAESKey must be 43 characters long, not {n}."),
            ),
            KeyProblem::BadCharacter(c) => (
                format!("回调 EncodingAESKey 含有不应出现的字符「{}」。", shown_char(c)),
                format!("The callback EncodingAESKey contains a character it cannot have: '{}'.", shown_char(c)),
            ),
        };
        push("config.callback_aes_key_invalid", "callback_aes_key", Text::new(zh, en), key_fix);
    }
    if token.is_empty() {
        push(
            "config.missing",
            "callback_token",
            Text::new(
                "填写了回调 EncodingAESKey 但未填写 Token；两者须同时填写。",
                "The callback EncodingAESKey is set but the Token is not; both are needed.",
            ),
            token_fix,
        );
    } else if let Err(problem) = callback::crypto::check_token(&token) {
        let (zh, en) = match problem {
            TokenProblem::TooLong(n) => (
                format!("回调 Token 最多 32 个字符，实际为 {n} 个。"),
                format!("The callback Token has at most 32 characters, not {n}."),
            ),
            TokenProblem::BadCharacter(c) => (
                format!("回调 Token 只能包含英文字母和数字，却含有「{}」。", shown_char(c)),
                format!("The callback Token may contain only letters and digits, not '{}'.", shown_char(c)),
            ),
            TokenProblem::Empty => ("回调 Token 未填写。".to_string(), "The callback Token is empty.".to_string()),
        };
        push("config.callback_token_invalid", "callback_token", Text::new(zh, en), token_fix);
    }
    ((!token.is_empty()).then(|| wecom::Secret::new(token)), (!key.is_empty()).then(|| wecom::Secret::new(key)))
}

fn malformed(field: &str, label: &str, problem: &Malformed, where_zh: &str, where_en: &str) -> Finding {
    let (code, zh, en) = match problem {
        Malformed::Empty => ("config.missing", format!("{label} 未填写。"), format!("The {label} is empty.")),
        Malformed::InnerSpace => (
            "config.inner_space",
            format!("{label} 中间有空格，可能粘贴了多余内容。"),
            format!("The {label} has a space inside; something extra was probably pasted."),
        ),
        Malformed::BadCharacter(c) => (
            "config.bad_character",
            format!("{label} 含有不应出现的字符「{}」。", shown_char(*c)),
            format!("The {label} contains a character it cannot have: '{}'.", shown_char(*c)),
        ),
        Malformed::NotANumber => {
            ("config.not_a_number", format!("{label} 应为纯数字。"), format!("The {label} must be a whole number."))
        }
    };
    finding(
        FindingStatus::Error,
        code,
        Some(field),
        Text::new(zh, en),
        Text::new(format!("从 {where_zh} 重新复制。"), format!("Copy it again from {where_en}.")),
    )
}

fn token_finding(error: &WecomError, clean: &CleanSettings) -> Finding {
    let code = error.errcode();
    let (status_code, field, message, fix) = match code {
        Some(40013) => (
            "config.corp_id_invalid",
            "corp_id",
            Text::new(format!("企业微信不认识 CorpID {}。", clean.corp_id), format!("WeCom does not know the CorpID {}.", clean.corp_id)),
            Text::new("在 管理后台 → 我的企业 → 企业信息 中复制「企业ID」。", "Copy 企业ID from admin console → 我的企业 (My Company) → 企业信息."),
        ),
        Some(40001) | Some(40091) => (
            "config.secret_invalid",
            "secret",
            Text::new(
                "Secret 不正确：可能填错、已被重置，或属于其他企业。",
                "The Secret is wrong: mistyped, reset since, or from another corp.",
            ),
            Text::new(
                format!("在 {CONSOLE_APP} → Secret → 查看 中获取当前 Secret（会发送到管理员的企业微信）后重新粘贴。"),
                format!("Get the current Secret in {CONSOLE_APP_EN} → Secret → View (WeCom sends it to the admin) and paste it again."),
            ),
        ),
        _ => return error_finding(error, "secret"),
    };
    with_errcode(finding(FindingStatus::Error, status_code, Some(field), message, fix), code)
}

fn agent_finding(error: &WecomError, clean: &CleanSettings) -> Finding {
    let code = error.errcode();
    let (status_code, field, message, fix) = match code {
        // 301002 is the documented answer for another app's token (doc 90313, via message/send);
        // `agent/get` has also been seen answering 60011 "no privilege to access/modify
        // contact/party/agent" for it (wecom-api.md §14). Unconfirmed which one `agent/get` gives
        // today, so both mean the same here: the token is valid (gettoken passed), and asking
        // about the app's own AgentID is the one `agent/get` a token may always make.
        Some(301002) | Some(60011) => (
            "config.secret_agent_mismatch",
            "secret",
            Text::new(
                format!("此 Secret 不属于 AgentID {} 的应用：Secret 与 AgentID 来自两个不同的应用。", clean.agent_id),
                format!("This Secret does not belong to AgentID {}: the Secret and the AgentID belong to two different apps.", clean.agent_id),
            ),
            Text::new(
                format!("在 {CONSOLE_APP} 中打开同一个应用，AgentId 和 Secret 都从该应用页面复制。"),
                format!("Open one app in {CONSOLE_APP_EN} and copy both its AgentId and its Secret from that page."),
            ),
        ),
        Some(40056) => (
            "config.agent_id_not_found",
            "agent_id",
            Text::new(
                format!("企业中没有 AgentID 为 {} 的应用。", clean.agent_id),
                format!("The corp has no app with AgentID {}.", clean.agent_id),
            ),
            Text::new(format!("在 {CONSOLE_APP} 页面复制 AgentId。"), format!("Copy AgentId from {CONSOLE_APP_EN}.")),
        ),
        Some(60020) => {
            let ip = error.caller_ip().unwrap_or_else(|| "?".to_string());
            let via = if clean.proxy_url.is_some() { "（经代理出口）" } else { "" };
            let via_en = if clean.proxy_url.is_some() { " (the proxy's egress IP)" } else { "" };
            (
                "config.trusted_ip_missing",
                "trusted_ip",
                Text::new(
                    format!("服务器出口 IP {ip}{via} 不在应用的企业可信IP中，企业微信拒绝了调用。"),
                    format!("The server's egress IP {ip}{via_en} is not in the app's trusted IPs; WeCom refused the call."),
                ),
                Text::new(
                    format!("在 {CONSOLE_APP} → 开发者接口 → 企业可信IP 中添加 {ip}（多个以 ; 分隔，约 1 分钟后生效）。需先设置可信域名或接收消息服务器。"),
                    format!("Add {ip} under 开发者接口 → 企业可信IP (trusted IPs) in {CONSOLE_APP_EN} (separate several with ;, takes about a minute). A trusted domain or callback URL must be set first."),
                ),
            )
        }
        Some(50003) => (
            "config.app_disabled",
            "agent_id",
            Text::new("应用已停用。", "The app is disabled."),
            Text::new(format!("在 {CONSOLE_APP} 中点击「启用」。"), format!("Enable it in {CONSOLE_APP_EN}.")),
        ),
        _ => return error_finding(error, "agent_id"),
    };
    with_errcode(finding(FindingStatus::Error, status_code, Some(field), message, fix), code)
}

/// Any other WeCom or network failure, described from the errcode catalogue.
fn error_finding(error: &WecomError, field: &str) -> Finding {
    let described = wecom_text::describe(error);
    with_errcode(
        finding(
            FindingStatus::Error,
            &described.code,
            Some(described.field.as_deref().unwrap_or(field)),
            described.message,
            described.fix,
        ),
        error.errcode(),
    )
}

fn setup_sheet(raw: &ConnectionSettings, clean: Option<&CleanSettings>) -> SetupSheet {
    let redirect = clean.and_then(|c| c.redirect_url.clone());
    SetupSheet {
        homepage_url: clean.and_then(|c| c.homepage_url.as_ref()).map(|u| u.to_string()).unwrap_or_default().into(),
        trusted_domain: redirect.as_ref().map(domain_of).unwrap_or_default().into(),
        redirect_url: redirect.map(|u| u.to_string()).unwrap_or_default().into(),
        callback_url: clean.and_then(|c| c.callback_url.as_ref()).map(|u| u.to_string()).unwrap_or_default().into(),
        web_login_domain: clean.map(|c| c.web_login_domain.clone()).unwrap_or_default().into(),
        egress_ip: None.into(),
        via_proxy: !paste::clean(raw.proxy_url.as_str()).value.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    fn raw(token: &str, key: &str) -> ConnectionSettings {
        ConnectionSettings {
            corp_id: "ww8f3a1c2d4e5b6a70".into(),
            agent_id: "1000002".into(),
            secret: "s3cr3t-VALUE_x".into(),
            callback_token: token.into(),
            callback_aes_key: key.into(),
            ..ConnectionSettings::default()
        }
    }

    fn errors(findings: &[Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .filter(|f| f.status == FindingStatus::Error)
            .map(|f| (f.code.to_string(), f.field.as_ref().map(|s| s.to_string()).unwrap_or_default()))
            .collect()
    }

    #[test]
    fn callback_settings_are_optional_but_paired() {
        let mut findings = Vec::new();
        let clean = clean_settings(&raw("", ""), Credentials::Required, &mut findings).expect("valid");
        assert!(clean.callback_token.is_none() && clean.callback_aes_key.is_none());
        assert!(findings.is_empty());

        let mut findings = Vec::new();
        let clean = clean_settings(&raw(" QDG6eK\n", &format!("\u{200B}{KEY} ")), Credentials::Required, &mut findings)
            .expect("valid");
        assert_eq!(clean.callback_token.as_ref().map(|s| s.expose()), Some("QDG6eK"));
        assert_eq!(clean.callback_aes_key.as_ref().map(|s| s.expose()), Some(KEY));
        let notices: Vec<_> =
            findings.iter().filter_map(|f| f.field.as_ref().map(|s| s.to_string()).into_option()).collect();
        assert_eq!(notices, ["callback_token", "callback_aes_key"]);
        assert!(!format!("{clean:?}").contains(KEY));

        for (token, key, want) in
            [("QDG6eK", "", ("config.missing", "callback_aes_key")), ("", KEY, ("config.missing", "callback_token"))]
        {
            let mut findings = Vec::new();
            assert!(clean_settings(&raw(token, key), Credentials::Required, &mut findings).is_none());
            assert_eq!(errors(&findings), [(want.0.to_string(), want.1.to_string())]);
        }
    }

    #[test]
    fn malformed_callback_settings_are_named() {
        let bad_keys = [
            KEY[..42].to_string(),
            format!("{KEY}A"),
            format!("{}=", &KEY[..42]),
            format!("{}-", &KEY[..42]),
            format!("{}键", &KEY[..42]),
        ];
        for key in bad_keys {
            let mut findings = Vec::new();
            assert!(clean_settings(&raw("QDG6eK", &key), Credentials::Required, &mut findings).is_none(), "{key}");
            assert_eq!(
                errors(&findings),
                [("config.callback_aes_key_invalid".to_string(), "callback_aes_key".to_string())]
            );
            let error = findings.iter().find(|f| f.status == FindingStatus::Error).expect("error");
            assert!(error.fix.zh.contains("EncodingAESKey") && error.fix.zh.contains("随机获取"));
            assert!(!error.message.en.contains(&KEY[..20]));
        }
        for token in ["a".repeat(33), "tok_en".to_string(), "tok en".to_string()] {
            let mut findings = Vec::new();
            assert!(clean_settings(&raw(&token, KEY), Credentials::Required, &mut findings).is_none(), "{token}");
            assert_eq!(
                errors(&findings),
                [("config.callback_token_invalid".to_string(), "callback_token".to_string())]
            );
        }
        let mut findings = Vec::new();
        assert!(clean_settings(&raw(&"a".repeat(32), KEY), Credentials::Required, &mut findings).is_some());
    }
}
