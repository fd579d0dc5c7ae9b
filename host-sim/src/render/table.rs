//! The binding table as the guide shows it: 平台用户 / 企业微信用户 / tag, plus the checklist and
//! summaries, for a terminal. Chinese text is two columns wide, so widths are measured, not counted.

use crate::term::printable;
use interface::{ConfigReport, FindingStatus, Proposal, ProposalRow, RowKind};
use unicode_width::UnicodeWidthStr;

/// Output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// 中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks one of two texts.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// The tag column of a row.
pub fn row_tag(row: &ProposalRow, lang: Lang) -> String {
    match row.kind {
        RowKind::AlreadyBound => lang.pick("已绑定", "bound").to_string(),
        RowKind::NameMatch => {
            let label = lang.pick(row.label.zh.as_str(), row.label.en.as_str());
            if label.is_empty() {
                lang.pick("姓名匹配", "name match").to_string()
            } else {
                label.to_string()
            }
        }
        RowKind::Ambiguous => format!("{} ({})", lang.pick("同名待确认", "ambiguous"), row.candidates_total()),
        RowKind::NoMatch => lang.pick("新建账号", "new account").to_string(),
        RowKind::LeftWecom => lang.pick("已离开企业微信", "left WeCom").to_string(),
        RowKind::NameMatchDepartmentsDiffer => {
            label_or(row, lang, "姓名匹配·部门不一致", "name match, departments differ")
        }
        RowKind::RenameProposed => {
            let label = label_or(row, lang, "疑似改名", "rename proposed");
            format!("{label} ({} →)", row.previous_userid)
        }
        // A kind from a newer plugin: its own label; it waits for the operator.
        _ => label_or(row, lang, "待确认", "to check"),
    }
}

fn label_or(row: &ProposalRow, lang: Lang, zh: &str, en: &str) -> String {
    let label = lang.pick(row.label.zh.as_str(), row.label.en.as_str());
    if label.is_empty() {
        lang.pick(zh, en).to_string()
    } else {
        label.to_string()
    }
}

fn account_cell(row: &ProposalRow, lang: Lang) -> String {
    match (row.account.as_ref().into_option(), row.kind) {
        (Some(a), _) => {
            let depts: Vec<&str> = a.departments.iter().map(|d| d.as_str()).collect();
            if depts.is_empty() {
                a.account_name.to_string()
            } else {
                format!("{} ({})", a.account_name, depts.join("/"))
            }
        }
        // Ambiguous rows, and rows of a newer kind that offer candidates (names differing only by
        // spacing): the candidates listed (the likeliest, with how many more), never one picked.
        (None, _) if !row.candidates.is_empty() => {
            let names: Vec<String> = row
                .candidates
                .iter()
                .map(|c| {
                    format!(
                        "{}({})",
                        c.account_name,
                        c.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("/")
                    )
                })
                .collect();
            let more = row.candidates_total().saturating_sub(row.candidates.len() as u64);
            match more {
                0 => format!("? {}", names.join(" / ")),
                _ => format!(
                    "? {} {}",
                    names.join(" / "),
                    lang.pick(&format!("（另有 {more} 个候选账号）"), &format!("(+{more} more candidates)"))
                ),
            }
        }
        (None, RowKind::NoMatch) => lang.pick("（将新建）", "(new)").to_string(),
        (None, _) => "—".to_string(),
    }
}

/// Renders the rows at `indexes` of a proposal.
pub fn binding_table(proposal: &Proposal, indexes: &[u32], lang: Lang) -> String {
    let header =
        [lang.pick("平台用户", "Platform user"), lang.pick("企业微信用户", "WeCom user"), lang.pick("标签", "Tag")];
    let rows: Vec<[String; 3]> = indexes
        .iter()
        .filter_map(|&i| proposal.rows.get(i as usize))
        .map(|r| {
            // Names come from WeCom and from imports: control characters are escaped.
            let member = printable(&format!("{} <{}>", r.member_name, r.userid)).into_owned();
            [printable(&account_cell(r, lang)).into_owned(), member, row_tag(r, lang)]
        })
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(UnicodeWidthStr::width(cell.as_str()));
        }
    }
    let line = |cells: [&str; 3]| {
        format!("| {} | {} | {} |\n", pad(cells[0], widths[0]), pad(cells[1], widths[1]), pad(cells[2], widths[2]))
    };
    let rule = format!("|{}|{}|{}|\n", "-".repeat(widths[0] + 2), "-".repeat(widths[1] + 2), "-".repeat(widths[2] + 2));
    let mut out = line(header);
    out.push_str(&rule);
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2]]));
    }
    out
}

/// The reasons of the shown rows, one line each.
pub fn reasons(proposal: &Proposal, indexes: &[u32], lang: Lang) -> String {
    indexes
        .iter()
        .filter_map(|&i| proposal.rows.get(i as usize))
        .map(|r| {
            let reason =
                format!("{} <{}>: {}", r.member_name, r.userid, lang.pick(r.reason.zh.as_str(), r.reason.en.as_str()));
            format!("  {}\n", printable(&reason))
        })
        .collect()
}

/// The setup sheet: what to enter in the WeCom console (guide steps 3 to 5).
pub fn setup_sheet(report: &ConfigReport, lang: Lang) -> String {
    let s = &report.setup;
    let mut out = format!("{}\n", lang.pick("企业微信后台需填写：", "Set in the WeCom admin console:"));
    let mut line = |zh: &str, en: &str, value: &str| {
        if !value.is_empty() {
            out.push_str(&format!("  {:<24} {value}\n", lang.pick(zh, en)));
        }
    };
    line("应用主页", "App homepage (应用主页)", s.homepage_url.as_str());
    line("可信域名（网页授权及JS-SDK）", "Trusted domain (网页授权及JS-SDK → 可信域名)", s.trusted_domain.as_str());
    // The browser (QR) login's own callback domain: 企业微信授权登录 → Web网页 → 授权回调域. It is
    // the trusted domain unless the admin set another one (--web-login-domain).
    let web_login = if s.web_login_domain.is_empty() { s.trusted_domain.as_str() } else { s.web_login_domain.as_str() };
    line(
        "网页登录授权回调域（企业微信授权登录 → Web网页）",
        "Web-login callback domain (企业微信授权登录 → Web网页 → 授权回调域)",
        web_login,
    );
    line("登录回调地址", "OAuth redirect URL", s.redirect_url.as_str());
    line("回调 URL（通讯录同步）", "Callback URL (通讯录同步)", s.callback_url.as_str());
    if let Some(ip) = s.egress_ip.as_ref().into_option() {
        let via = if s.via_proxy { lang.pick("（代理出口）", " (the proxy's)") } else { "" };
        line("企业可信IP", "Trusted IP (企业可信IP)", &format!("{ip}{via}"));
    }
    if !s.trusted_domain.is_empty() {
        out.push_str(lang.pick(
            "  设置可信域名时，把企业微信提供的 WW_verify_*.txt 交给平台（host-sim serve --verify-file FILE），无需改动网站服务器。\n",
            "  When setting the trusted domain, give the WW_verify_*.txt file WeCom offers to the platform (host-sim serve --verify-file FILE); no web server change needed.\n",
        ));
    }
    out
}

/// The configure checklist.
pub fn checklist(report: &ConfigReport, lang: Lang) -> String {
    let mut out = String::new();
    if let Some(app) = report.app.as_ref().into_option() {
        out.push_str(&format!(
            "{} {} (AgentID {}), {}\n",
            lang.pick("应用", "App"),
            app.name,
            app.agent_id,
            if app.enabled { lang.pick("已启用", "enabled") } else { lang.pick("已停用", "disabled") }
        ));
    }
    for f in report.findings.iter() {
        let mark = match f.status {
            FindingStatus::Ok => "✓",
            FindingStatus::Notice => "i",
            FindingStatus::Warning => "!",
            FindingStatus::Error => "✗",
        };
        let field = f.field.as_ref().map(|x| format!(" [{x}]")).unwrap_or_default();
        let errcode = f.wecom_errcode.map(|c| format!(" (errcode {c})")).unwrap_or_default();
        out.push_str(&format!("{mark}{field} {}{errcode}\n", lang.pick(f.message.zh.as_str(), f.message.en.as_str())));
        let fix = lang.pick(f.fix.zh.as_str(), f.fix.en.as_str());
        if !fix.is_empty() {
            out.push_str(&format!("    → {fix}\n"));
        }
    }
    out.push_str(&format!(
        "{}\n",
        if report.accepted {
            lang.pick("结果：对接信息已通过校验。", "Result: the connection is valid.")
        } else {
            lang.pick("结果：请修正以上错误后重新保存。", "Result: fix the errors above and save again.")
        }
    ));
    out
}
