//! `host-sim demo`: the whole integration guide on the embedded defaults — configure, scope,
//! fetch, the binding table, commit with its summary, a one-click login, and finally the member
//! leaving in WeCom: the contact-change callback disables the account and the login is refused.

use crate::cli::login_flow;
use crate::cli::serve::open_platform_with;
use crate::cli::session::WecomArgs;
use crate::render::table::{self, Lang};
use crate::store::Store;
use crate::term::printable;
use anyhow::{bail, Context};
use interface::{CommitInput, RowKind, RowQuery, ScopeSelection};
use std::io::Write;
use std::path::PathBuf;

/// Demo options.
#[derive(clap::Args, Clone, Debug)]
pub struct DemoArgs {
    /// Connection options (default: the built-in fake WeCom).
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// SQLite file for the platform's accounts (default: in memory).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// The WeCom member who logs in at the end.
    #[arg(long, default_value = "wangxiaokai")]
    pub login_as: String,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
}

/// What the demo did, for tests.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// Row kinds shown in the table.
    pub row_kinds: Vec<RowKind>,
    /// The commit summary.
    pub summary: interface::CommitSummary,
    /// The platform account signed in at step 5.
    pub signed_in_account: String,
    /// Step 6 (built-in fake only): the leaver's account after the callback was followed.
    pub leaver_account: Option<interface::PlatformAccount>,
    /// Step 6: how the leaver's next login ended (`refused`, `unbound`, …).
    pub leaver_login: Option<String>,
}

/// Runs the demo, writing what a person would read to `out`.
pub fn run(args: &DemoArgs, out: &mut dyn Write) -> anyhow::Result<DemoOutcome> {
    let lang = args.lang;
    let store = match &args.db {
        Some(path) => Store::open(path).with_context(|| format!("open {}", path.display()))?,
        None => Store::in_memory()?,
    };
    // The platform's web server runs from the start; with the built-in fake, its app is set up as
    // the setup sheet says (guide steps 3-5), as the admin would in the WeCom console.
    let open = open_platform_with(&args.wecom, 0, store, None, false)?;
    let session = &open.session;
    let info = session.plugin.info();
    writeln!(out, "== {} ==", lang.pick("万象智维 × 企业微信 对接演示", "Wanxiang × WeCom integration demo"))?;
    writeln!(
        out,
        "{}: {} {} ({})",
        lang.pick("插件", "Plugin"),
        info.display_name,
        info.version,
        session.plugin.path.display()
    )?;
    writeln!(out, "{}: {}", lang.pick("企业微信接口", "WeCom API"), session.settings.api_base_url)?;

    writeln!(out, "\n-- 1. {} --", lang.pick("对接信息校验", "Connection check"))?;
    write!(out, "{}", table::checklist(&session.report, lang))?;
    if !session.report.accepted {
        bail!("{}", lang.pick("对接信息未通过校验", "the connection settings were not accepted"));
    }

    writeln!(out, "\n-- 2. {} --", lang.pick("同步范围与读取通讯录", "Sync scope and directory read"))?;
    let visible = session.report.app.as_ref().into_option().map(|a| a.visible.clone()).unwrap_or_default();
    let scope = ScopeSelection {
        department_ids: visible.department_ids.clone(),
        user_ids: visible.user_ids.clone(),
        tag_ids: visible.tag_ids.clone(),
    };
    writeln!(out, "{}: {:?}", lang.pick("同步范围（部门）", "Scope (departments)"), scope.department_ids.as_slice())?;
    let snapshot = session.instance.fetch_scope(&scope).into_result()?;
    writeln!(
        out,
        "{} {} {}, {} {}, {} {} ({})",
        lang.pick("读取", "Read"),
        snapshot.members.len(),
        lang.pick("名成员", "members"),
        snapshot.departments.len(),
        lang.pick("个部门", "departments"),
        snapshot.api_calls,
        lang.pick("次接口调用", "API calls"),
        if snapshot.complete { lang.pick("完整", "complete") } else { lang.pick("不完整", "incomplete") }
    )?;

    writeln!(out, "\n-- 3. {} --", lang.pick("账号绑定", "Account binding"))?;
    let mut store =
        open.platform.store.lock().map_err(|_| anyhow::anyhow!("数据库不可用 / the store is unavailable"))?;
    if store.accounts()?.is_empty() {
        crate::host::sample::seed(&mut store)?;
    }
    let input = crate::host::sync::proposal_input(&store, snapshot.clone())?;
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    let all = session.instance.query_rows(&proposal, &RowQuery::default()).into_result()?;
    write!(out, "{}", crate::render::summary::proposal_counts(&proposal, lang))?;
    write!(out, "{}", table::binding_table(&proposal, all.as_slice(), lang))?;
    write!(out, "{}", table::reasons(&proposal, all.as_slice(), lang))?;

    writeln!(out, "\n-- 4. {} --", lang.pick("提交", "Commit"))?;
    let commit = CommitInput { input, proposal: proposal.clone(), edits: Default::default(), ..Default::default() };
    let changes = session.instance.commit(&commit).into_result()?;
    store.apply(
        &changes,
        &crate::store::Audit::new(
            crate::store::Actor::Operator,
            interface::Text::new("演示：提交同步", "demo: sync committed"),
        ),
    )?;
    // What a login later asks of the store: the synced scope and whom this sync listed.
    store.set_synced_scope(&scope)?;
    store.set_roster(&crate::store::roster_of(&proposal))?;
    let s = changes.summary;
    writeln!(out, "{}", crate::render::summary::summary_line(&s, lang))?;

    writeln!(out, "\n-- 5. {} --", lang.pick("企业微信一键登录", "One-click login from WeCom"))?;
    drop(store);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // A binding made on the name alone is confirmed at the first login: the member proves the
    // account with its platform password (the sample's demo password) once.
    let proof = login_flow::Proof::Password(crate::host::sample::DEMO_PASSWORD.to_string());
    let trace = runtime.block_on(login_flow::drive_proving(
        &open.server.base_url,
        &args.login_as,
        login_flow::IN_CLIENT_UA,
        &proof,
    ))?;
    for url in &trace.visited {
        writeln!(out, "  → {url}")?;
    }
    if trace.visited.iter().any(|u| u.ends_with("/oauth/wecom/password")) {
        writeln!(
            out,
            "  {}",
            match lang {
                Lang::Zh => format!(
                    "仅凭姓名匹配不会直接登录：成员用平台密码确认了一次本人账号（演示密码 {}）。",
                    crate::host::sample::DEMO_PASSWORD
                ),
                Lang::En => format!(
                    "A name match alone signs nobody in: the member confirmed the account once with its platform password (demo password {}).",
                    crate::host::sample::DEMO_PASSWORD
                ),
            }
        )?;
    }
    let signed_in = trace.account_id.clone().unwrap_or_default();
    let store = open.platform.store.lock().map_err(|_| anyhow::anyhow!("数据库不可用 / the store is unavailable"))?;
    match store.accounts()?.into_iter().find(|a| a.id.as_str() == signed_in) {
        Some(a) => writeln!(
            out,
            "{} <{}> → {} {} ({})",
            lang.pick("企业微信成员", "WeCom member"),
            args.login_as,
            lang.pick("已登录平台账号", "signed in as platform account"),
            printable(&a.name),
            printable(&a.id)
        )?,
        None => writeln!(out, "{}: {}", lang.pick("登录结果", "Login outcome"), printable(&trace.page))?,
    }
    drop(store);

    writeln!(
        out,
        "\n-- 6. {} --",
        lang.pick("成员离职：企业微信实时回调", "A member leaves: WeCom's real-time callback")
    )?;
    let (leaver_account, leaver_login) = match open.pusher() {
        Some(pusher) => {
            let left = leave(&open, &pusher, &args.login_as, &signed_in, lang, out)?;
            let again =
                runtime.block_on(login_flow::drive(&open.server.base_url, &args.login_as, login_flow::IN_CLIENT_UA))?;
            writeln!(
                out,
                "{} <{}> {}{}",
                lang.pick("企业微信成员", "WeCom member"),
                args.login_as,
                lang.pick("再次登录：", "logs in again: "),
                match again.outcome.as_str() {
                    "signed-in" => lang.pick("已登录（不应发生）", "signed in (should not happen)"),
                    _ => lang.pick("已拒绝", "refused"),
                }
            )?;
            (left, Some(again.outcome))
        }
        None => {
            writeln!(
                out,
                "{}",
                lang.pick(
                    "（仅在内置模拟企业微信上演示：真实企业微信由管理员在后台删除成员后推送。）",
                    "(Shown with the built-in fake WeCom only: real WeCom pushes when the admin deletes the member.)"
                )
            )?;
            (None, None)
        }
    };
    Ok(DemoOutcome {
        row_kinds: proposal.rows.iter().map(|r| r.kind).collect(),
        summary: s,
        signed_in_account: signed_in,
        leaver_account,
        leaver_login,
    })
}

/// Step 6: WeCom verifies the callback URL, the admin deletes `userid`, WeCom pushes the event,
/// the platform answers at once and then unbinds and disables the account. Returns the account.
fn leave(
    open: &crate::cli::serve::OpenPlatform,
    pusher: &crate::fake_wecom::CallbackPusher,
    userid: &str,
    account_id: &str,
    lang: Lang,
    out: &mut dyn Write,
) -> anyhow::Result<Option<interface::PlatformAccount>> {
    let fake = open.session.fake.as_ref().context("需要内置模拟企业微信 / the built-in fake WeCom is needed")?;
    let (verified, check) = pusher.verify_url()?;
    writeln!(
        out,
        "{} {} → {} ({} ms)",
        lang.pick("企业微信验证回调 URL", "WeCom verifies the callback URL"),
        pusher.url(),
        if verified { "✓" } else { "✗" },
        check.elapsed.as_millis()
    )?;
    let delivery = pusher.member_leaves(fake, userid)?;
    let (status, ms) = (delivery.status, delivery.elapsed.as_millis());
    writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "管理员在企业微信删除成员 {userid}；企业微信推送加密事件 delete_user → 平台立即应答 HTTP {status} ({ms} ms)"
            ),
            Lang::En => format!(
                "The admin deletes member {userid} in WeCom; WeCom pushes the encrypted delete_user event → the platform answers at once: HTTP {status} ({ms} ms)"
            ),
        }
    )?;
    if !open.platform.follower.wait_idle(std::time::Duration::from_secs(30)) {
        bail!("{}", lang.pick("平台未能及时处理回调", "the platform did not follow the callback in time"));
    }
    for o in open.platform.follower.journal.entries() {
        writeln!(out, "  {}", lang.pick(o.reason.zh.as_str(), o.reason.en.as_str()))?;
    }
    let store = open.platform.store.lock().map_err(|_| anyhow::anyhow!("数据库不可用 / the store is unavailable"))?;
    let account = store.accounts()?.into_iter().find(|a| a.id.as_str() == account_id);
    let bound = store.account_for_userid(userid)?.is_some();
    if let Some(a) = &account {
        writeln!(
            out,
            "{} {} ({}): {}{}{}",
            lang.pick("平台账号", "Platform account"),
            a.name,
            a.id,
            if a.enabled { lang.pick("仍启用", "still enabled") } else { lang.pick("已停用", "disabled") },
            lang.pick("，", ", "),
            if bound { lang.pick("仍绑定", "still bound") } else { lang.pick("绑定已解除", "binding removed") }
        )?;
    }
    Ok(account)
}
