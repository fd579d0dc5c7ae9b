//! WeCom errcodes the plugin meets, as data: meaning, the configuration field to blame, what to do
//! in the WeCom admin console (管理后台, https://work.weixin.qq.com/wework_admin), and whether a
//! retry can help. Sources: wecom-api.md §2, §3, §5, §6, §7, §8 (official global errcode page via
//! go-workwx's generated table). Codes not listed here are reported by number (`wecom.<errcode>`).

/// Whether repeating the call can succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retry {
    /// A configuration, permission or data problem: retrying changes nothing.
    Never,
    /// Transient (busy / rate / concurrency): retry with backoff.
    Backoff,
    /// The token is stale or missing: fetch a new token and retry once.
    RefreshToken,
}

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrcodeInfo {
    /// WeCom's errcode.
    pub code: i64,
    /// The configuration field to blame: `corp_id`, `secret`, `agent_id`, `redirect_url`,
    /// `trusted_ip`, `code` (the OAuth code of a login), or `None` (data / scope / transient).
    pub field: Option<&'static str>,
    /// What it means (Simplified Chinese).
    pub zh: &'static str,
    /// What it means (English).
    pub en: &'static str,
    /// What to do (Simplified Chinese).
    pub fix_zh: &'static str,
    /// What to do (English).
    pub fix_en: &'static str,
    /// Whether a retry can help.
    pub retry: Retry,
}

const fn entry(
    code: i64,
    field: Option<&'static str>,
    retry: Retry,
    zh: &'static str,
    en: &'static str,
    fix_zh: &'static str,
    fix_en: &'static str,
) -> ErrcodeInfo {
    ErrcodeInfo { code, field, zh, en, fix_zh, fix_en, retry }
}

const CORP: Option<&str> = Some("corp_id");
const SECRET: Option<&str> = Some("secret");
const AGENT: Option<&str> = Some("agent_id");
const REDIRECT: Option<&str> = Some("redirect_url");
const TRUSTED_IP: Option<&str> = Some("trusted_ip");
const CODE: Option<&str> = Some("code");

use Retry::{Backoff, Never, RefreshToken};

/// The catalogue, sorted by code.
static CATALOGUE: &[ErrcodeInfo] = &[
    entry(
        -1,
        None,
        Backoff,
        "企业微信系统繁忙",
        "WeCom is busy",
        "稍后自动重试；若持续出现，请稍后再试或联系企业微信客服。",
        "Retried automatically; if it persists, try again later or contact WeCom support.",
    ),
    entry(
        40001,
        SECRET,
        Never,
        "Secret 不正确（与企业ID不匹配、已被重置，或应用已停用）",
        "The Secret is wrong (does not match the CorpID, was reset, or the app is disabled)",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → Secret「查看」，在企业微信中接收后完整复制粘贴；重置后旧 Secret 立即失效。",
        "Admin console → App Management → Self-built → this app → Secret \"View\": receive it in WeCom and paste it completely; after a reset the old Secret stops working.",
    ),
    entry(
        40003,
        None,
        Never,
        "UserID 不合法或不存在",
        "Invalid or unknown UserID",
        "UserID 为 1–64 位字母、数字、-、_、.；在 管理后台 → 通讯录 中打开该成员核对「账号」。",
        "A UserID has 1–64 letters, digits, -, _ or .; check the member's Account in Admin console → Contacts.",
    ),
    entry(
        40013,
        CORP,
        Never,
        "企业ID (CorpID) 不正确",
        "The CorpID is wrong",
        "管理后台 → 我的企业 → 企业信息 → 页面底部「企业ID」，完整复制（不要带空格）。",
        "Admin console → My Company → Company Information → \"Corporate ID\" at the bottom; copy it without spaces.",
    ),
    entry(
        40014,
        None,
        RefreshToken,
        "access_token 无效",
        "The access token is invalid",
        "插件会自动获取新 token 并重试；若持续出现，确认 Secret 属于本应用（管理后台 → 应用管理 → 自建应用 → 选择本应用）。",
        "The plugin fetches a new token and retries; if it persists, check that the Secret belongs to this app (Admin console → App Management → Self-built → this app).",
    ),
    entry(
        40029,
        CODE,
        Never,
        "登录授权码 (code) 无效：已使用、超过 5 分钟，或属于其他应用",
        "Invalid login code: already used, older than 5 minutes, or issued for another app",
        "请重新登录；若每次都失败，确认登录链接中的 agentid 与本应用的 AgentId 一致。",
        "Log in again; if it fails every time, check that the login link's agentid is this app's AgentId.",
    ),
    entry(
        40056,
        AGENT,
        Never,
        "AgentID 不正确（不是数字或企业内没有该应用）",
        "The AgentID is wrong (not a number, or no such app in this company)",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 复制「AgentId」数字。",
        "Admin console → App Management → Self-built → this app → copy the \"AgentId\" number.",
    ),
    entry(
        40068,
        None,
        Never,
        "标签ID 不正确",
        "Invalid tag id",
        "在 管理后台 → 通讯录 → 标签 中确认该标签仍然存在，然后重新同步。",
        "Check in Admin console → Contacts → Tags that the tag still exists, then sync again.",
    ),
    entry(
        40091,
        SECRET,
        Never,
        "Secret 不合法（可能是其他企业的 Secret）",
        "The Secret is not valid (it may belong to another company)",
        "确认企业ID与 Secret 来自同一企业：管理后台 → 应用管理 → 自建应用 → 选择本应用 → Secret「查看」。",
        "Make sure the CorpID and the Secret come from the same company: Admin console → App Management → Self-built → this app → Secret \"View\".",
    ),
    entry(
        40163,
        CODE,
        Never,
        "登录授权码 (code) 已被使用",
        "The login code was already used",
        "请重新登录（每个 code 只能使用一次）。",
        "Log in again (each code can be used only once).",
    ),
    entry(
        41001,
        None,
        RefreshToken,
        "请求缺少 access_token",
        "The request carried no access token",
        "插件会重新获取 token 并重试；若持续出现，请向插件维护者报告。",
        "The plugin fetches a token and retries; if it persists, report it to the plugin maintainers.",
    ),
    entry(
        41002,
        CORP,
        Never,
        "缺少企业ID (CorpID)",
        "The CorpID is missing",
        "填写企业ID：管理后台 → 我的企业 → 企业信息 → 「企业ID」。",
        "Enter the CorpID: Admin console → My Company → Company Information → \"Corporate ID\".",
    ),
    entry(
        41004,
        SECRET,
        Never,
        "缺少 Secret",
        "The Secret is missing",
        "填写 Secret：管理后台 → 应用管理 → 自建应用 → 选择本应用 → Secret「查看」。",
        "Enter the Secret: Admin console → App Management → Self-built → this app → Secret \"View\".",
    ),
    entry(
        41008,
        CODE,
        Never,
        "缺少登录授权码 (code)",
        "The login code is missing",
        "请重新登录；若用户在授权页点了拒绝，回调地址不会带 code。",
        "Log in again; if the user refused on the consent page, the redirect carries no code.",
    ),
    entry(
        41011,
        AGENT,
        Never,
        "缺少 AgentID",
        "The AgentID is missing",
        "填写 AgentID：管理后台 → 应用管理 → 自建应用 → 选择本应用 → 「AgentId」。",
        "Enter the AgentID: Admin console → App Management → Self-built → this app → \"AgentId\".",
    ),
    entry(
        41017,
        None,
        Never,
        "缺少标签ID",
        "The tag id is missing",
        "请向插件维护者报告。",
        "Report this to the plugin maintainers.",
    ),
    entry(
        42001,
        None,
        RefreshToken,
        "access_token 已过期",
        "The access token expired",
        "插件会自动获取新 token 并重试，无需操作。",
        "The plugin fetches a new token and retries; nothing to do.",
    ),
    entry(
        42003,
        CODE,
        Never,
        "登录授权码 (code) 已过期（超过 5 分钟）",
        "The login code expired (older than 5 minutes)",
        "请重新登录。",
        "Log in again.",
    ),
    entry(
        42022,
        CODE,
        Never,
        "登录授权码 (code) 已被使用",
        "The login code was already used",
        "请重新登录（每个 code 只能使用一次）。",
        "Log in again (each code can be used only once).",
    ),
    entry(
        45009,
        None,
        Backoff,
        "接口调用超过频率限制",
        "WeCom's call-frequency limit was exceeded",
        "插件会降速并稍后重试；若因多次 Secret 错误导致本机 IP 被封禁（1 小时），先改正 Secret 再等待，或在 https://open.work.weixin.qq.com/wwopen/devtool/checkCorpSpamBlock 自助解封。",
        "The plugin slows down and retries later; if this IP was blocked (1 hour) after repeated wrong Secrets, fix the Secret and wait, or unblock at https://open.work.weixin.qq.com/wwopen/devtool/checkCorpSpamBlock.",
    ),
    entry(
        45033,
        None,
        Backoff,
        "接口并发调用超过限制",
        "WeCom's concurrent-call limit was exceeded",
        "插件会减少并发并重试；若持续出现，检查是否还有其他程序同时调用本企业的接口。",
        "The plugin lowers its concurrency and retries; if it persists, check for other programs calling this company's API at the same time.",
    ),
    entry(
        46004,
        None,
        Never,
        "按手机号或邮箱未找到成员",
        "No member with this mobile number or email",
        "确认该成员在通讯录中，且在本应用的可见范围内。",
        "Check that the member is in the directory and in this app's visible range.",
    ),
    entry(
        48002,
        SECRET,
        Never,
        "此 Secret 无权调用该接口",
        "This Secret is not allowed to call this API",
        "请使用本自建应用的 Secret（管理后台 → 应用管理 → 自建应用 → 选择本应用 → Secret），不要使用「通讯录同步」或其他应用的 Secret。",
        "Use this self-built app's Secret (Admin console → App Management → Self-built → this app → Secret), not the Contacts Sync Secret or another app's.",
    ),
    entry(
        48009,
        SECRET,
        Never,
        "通讯录同步助手的 Secret 不能从新 IP 读取通讯录详情",
        "The Contacts Sync Secret may not read directory details from a new IP",
        "改用本自建应用的 Secret：管理后台 → 应用管理 → 自建应用 → 选择本应用 → Secret；不要使用「管理工具 → 通讯录同步」的 Secret。",
        "Use this self-built app's Secret instead: Admin console → App Management → Self-built → this app → Secret, not the one under Management Tools → Contacts Sync.",
    ),
    entry(
        50001,
        REDIRECT,
        Never,
        "登录回调地址的域名不是本应用的可信域名",
        "The login redirect URL's domain is not a trusted domain of this app",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 开发者接口 → 网页授权及JS-SDK → 设置可信域名；浏览器扫码登录还需 企业微信授权登录 → Web网页 → 授权回调域。域名须与回调地址完全一致（含端口）。",
        "Admin console → App Management → Self-built → this app → Developer API → Web Authorization and JS-SDK → trusted domain; for browser QR login also WeCom Login Authorization → Web → callback domain. It must match the redirect URL's host exactly (port included).",
    ),
    entry(
        50002,
        None,
        Never,
        "成员不在本应用的可见范围内",
        "The member is outside this app's visible range",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围 → 添加该成员或其部门。",
        "Admin console → App Management → Self-built → this app → Visible range → add the member or their department.",
    ),
    entry(
        50003,
        AGENT,
        Never,
        "应用已停用",
        "The app is disabled",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 点「启用」。",
        "Admin console → App Management → Self-built → this app → click \"Enable\".",
    ),
    entry(
        50100,
        None,
        Never,
        "分页游标无效",
        "Invalid paging cursor",
        "从第一页重新读取。",
        "Start reading again from the first page.",
    ),
    entry(
        60003,
        None,
        Never,
        "部门不存在",
        "The department does not exist",
        "该部门可能已被删除；重新同步通讯录。",
        "The department was probably deleted; sync the directory again.",
    ),
    entry(
        60011,
        None,
        Never,
        "无权限访问该成员/部门/标签（不在本应用的可见范围内）",
        "No access to this member/department/tag (outside this app's visible range)",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围 → 添加相应的部门、成员或标签。",
        "Admin console → App Management → Self-built → this app → Visible range → add the department, member or tag.",
    ),
    entry(
        60020,
        TRUSTED_IP,
        Never,
        "本服务器的出口 IP 不在本应用的企业可信IP中",
        "This server's outgoing IP is not in the app's trusted IP list",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 开发者接口 → 企业可信IP → 配置，填入错误信息中「from ip」后的地址（多个用 ; 分隔，约 1 分钟后生效；需先设置可信域名或接收消息服务器）。",
        "Admin console → App Management → Self-built → this app → Developer API → Trusted IPs → Configure, and add the address shown after \"from ip\" (separate several with ;; takes about a minute; a trusted domain or a message-receiving server must be set first).",
    ),
    entry(
        60021,
        None,
        Never,
        "该 UserID 不在本应用的可见范围内",
        "This UserID is outside this app's visible range",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围 → 添加该成员或其部门。",
        "Admin console → App Management → Self-built → this app → Visible range → add the member or their department.",
    ),
    entry(
        60111,
        None,
        Never,
        "找不到该 UserID，或该成员不在本应用的可见范围内（也包括互联企业成员的 CorpId/userid 形式）",
        "UserID not found, or the member is outside this app's visible range (also a linked corp's CorpId/userid form)",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围 → 添加该成员或其部门；若成员已离职或被删除，则无需处理。",
        "Admin console → App Management → Self-built → this app → Visible range → add the member or their department; if the member left or was deleted, nothing needs doing.",
    ),
    entry(
        60123,
        None,
        Never,
        "部门ID 无效",
        "Invalid department id",
        "该部门可能已被删除；重新同步通讯录。",
        "The department was probably deleted; sync the directory again.",
    ),
    entry(
        80001,
        REDIRECT,
        Never,
        "可信域名不正确，或未完成 ICP 备案",
        "The trusted domain is wrong or has no ICP filing",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 开发者接口 → 网页授权及JS-SDK：使用本企业主体（或关联主体）已备案的域名，并完成域名归属验证。",
        "Admin console → App Management → Self-built → this app → Developer API → Web Authorization and JS-SDK: use an ICP-filed domain of your company (or a related entity) and complete the ownership check.",
    ),
    entry(
        81011,
        None,
        Never,
        "无权限访问该标签",
        "No permission on this tag",
        "管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围 → 添加该标签。",
        "Admin console → App Management → Self-built → this app → Visible range → add the tag.",
    ),
    entry(
        81013,
        None,
        Never,
        "所给的成员、部门、标签全部无效或不在可见范围内",
        "All given members, departments and tags are invalid or outside the visible range",
        "检查 管理后台 → 应用管理 → 自建应用 → 选择本应用 → 可见范围。",
        "Check Admin console → App Management → Self-built → this app → Visible range.",
    ),
    entry(
        84014,
        CODE,
        Never,
        "user_ticket 已过期",
        "The user_ticket expired",
        "请重新登录。",
        "Log in again.",
    ),
    entry(
        84015,
        CODE,
        Never,
        "user_ticket 无效",
        "Invalid user_ticket",
        "请重新登录。",
        "Log in again.",
    ),
    entry(
        84090,
        None,
        Never,
        "缺少 user_ticket",
        "The user_ticket is missing",
        "请向插件维护者报告。",
        "Report this to the plugin maintainers.",
    ),
    entry(
        301002,
        AGENT,
        Never,
        "Secret 与 AgentID 不属于同一个应用",
        "The Secret and the AgentID belong to different apps",
        "在同一个应用的详情页复制 AgentId 和 Secret：管理后台 → 应用管理 → 自建应用 → 选择本应用。",
        "Copy the AgentId and the Secret from the same app page: Admin console → App Management → Self-built → this app.",
    ),
    entry(
        301007,
        None,
        Never,
        "企业已解散或不可用",
        "The company has been dissolved or is unavailable",
        "请联系企业微信管理员或企业微信客服。",
        "Contact your WeCom administrator or WeCom support.",
    ),
    entry(
        301042,
        TRUSTED_IP,
        Never,
        "IP 白名单限制",
        "Blocked by an IP allow-list",
        "检查 管理后台 → 应用管理 → 自建应用 → 选择本应用 → 开发者接口 → 企业可信IP 及相关功能的 IP 白名单。",
        "Check Admin console → App Management → Self-built → this app → Developer API → Trusted IPs and the feature's IP allow-list.",
    ),
];

/// The catalogue entry for `code`, if the plugin knows it.
pub fn lookup(code: i64) -> Option<&'static ErrcodeInfo> {
    CATALOGUE.binary_search_by_key(&code, |info| info.code).ok().and_then(|i| CATALOGUE.get(i))
}

/// Every known entry, sorted by code.
pub fn all() -> &'static [ErrcodeInfo] {
    CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_covers_the_reference() {
        let required = [
            -1, 40001, 40003, 40013, 40014, 40029, 40056, 40068, 40091, 40163, 41001, 41002, 41004, 41008, 41011,
            41017, 42001, 42003, 42022, 45009, 45033, 46004, 48002, 48009, 50001, 50002, 50003, 50100, 60003, 60011,
            60020, 60021, 60111, 60123, 80001, 81011, 81013, 84014, 84015, 84090, 301002, 301007, 301042,
        ];
        for code in required {
            let info = lookup(code).unwrap_or_else(|| panic!("errcode {code} missing"));
            assert_eq!(info.code, code);
            for text in [info.zh, info.en, info.fix_zh, info.fix_en] {
                assert!(!text.trim().is_empty(), "errcode {code} has an empty text");
            }
        }
        assert!(lookup(0).is_none());
        assert!(lookup(99_999_999).is_none());
    }

    #[test]
    fn catalogue_is_sorted_and_unique() {
        for pair in CATALOGUE.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} before {}", pair[0].code, pair[1].code);
        }
        // Every entry must be reachable through the binary search.
        for info in all() {
            assert_eq!(lookup(info.code), Some(info));
        }
    }

    #[test]
    fn fields_and_retry_classes() {
        let allowed = ["corp_id", "secret", "agent_id", "redirect_url", "trusted_ip", "code"];
        for info in all() {
            if let Some(f) = info.field {
                assert!(allowed.contains(&f), "{}: field {f}", info.code);
            }
        }
        let field = |c| lookup(c).and_then(|i| i.field);
        assert_eq!(field(40013), Some("corp_id"));
        assert_eq!(field(40001), Some("secret"));
        assert_eq!(field(40091), Some("secret"));
        assert_eq!(field(40056), Some("agent_id"));
        assert_eq!(field(301002), Some("agent_id"));
        assert_eq!(field(60020), Some("trusted_ip"));
        assert_eq!(field(50001), Some("redirect_url"));
        assert_eq!(field(40029), Some("code"));
        let retry = |c| lookup(c).map(|i| i.retry);
        assert_eq!(retry(-1), Some(Retry::Backoff));
        assert_eq!(retry(45009), Some(Retry::Backoff));
        assert_eq!(retry(45033), Some(Retry::Backoff));
        assert_eq!(retry(40014), Some(Retry::RefreshToken));
        assert_eq!(retry(42001), Some(Retry::RefreshToken));
        let backoff_or_refresh: Vec<i64> = all().iter().filter(|i| i.retry != Retry::Never).map(|i| i.code).collect();
        assert_eq!(backoff_or_refresh, vec![-1, 40014, 41001, 42001, 45009, 45033]);
    }
}
