//! `host-sim demo`: the whole integration guide on the embedded defaults — configure, scope,
//! fetch, the binding table, commit with its summary, then a one-click login.

use crate::login_flow;
use crate::serve_cmd::open_platform_with;
use crate::session::WecomArgs;
use crate::store::Store;
use crate::table::{self, Lang};
use anyhow::{bail, Context};
use interface::{CommitInput, ProposalInput, RowKind, RowQuery, ScopeSelection};
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
    /// The platform account signed in at the end.
    pub signed_in_account: String,
}

/// The platform's address in the demo (served for real once the login server exists).
pub const DEMO_PLATFORM: &str = "http://127.0.0.1:18080";

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
    let mut store = open.platform.store.lock().map_err(|_| anyhow::anyhow!("store lock"))?;
    if store.accounts()?.is_empty() {
        store.import_accounts(&crate::sample::accounts())?;
        store.import_bindings(&crate::sample::bindings())?;
    }
    let input = ProposalInput {
        snapshot: snapshot.clone(),
        accounts: store.accounts()?.into(),
        bindings: store.bindings()?.into(),
        departments: store.departments()?.into(),
    };
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    let all = session.instance.query_rows(&proposal, &RowQuery::default()).into_result()?;
    let c = proposal.counts;
    writeln!(
        out,
        "{} {}，{} {}，{} {}，{} {}，{} {}",
        lang.pick("同步企业微信用户", "WeCom users"),
        c.wecom_users,
        lang.pick("已绑定", "bound"),
        c.already_bound,
        lang.pick("姓名匹配", "name matches"),
        c.name_matches,
        lang.pick("待确认", "ambiguous"),
        c.ambiguous,
        lang.pick("新建", "new"),
        c.no_match
    )?;
    write!(out, "{}", table::binding_table(&proposal, all.as_slice(), lang))?;
    write!(out, "{}", table::reasons(&proposal, all.as_slice(), lang))?;

    writeln!(out, "\n-- 4. {} --", lang.pick("提交", "Commit"))?;
    let commit = CommitInput { input, proposal: proposal.clone(), edits: Default::default() };
    let changes = session.instance.commit(&commit).into_result()?;
    store.apply(&changes)?;
    let s = changes.summary;
    writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "同步企业微信用户 {} 个，绑定用户 {} 个，新建组织用户 {} 个（跳过 {} 个待确认，解除绑定 {} 个）",
                s.wecom_users_synced, s.bindings_made, s.accounts_created, s.skipped, s.bindings_removed
            ),
            Lang::En => format!(
                "WeCom users synced {}, bindings made {}, new accounts created {} (skipped {} awaiting a decision, {} unbound)",
                s.wecom_users_synced, s.bindings_made, s.accounts_created, s.skipped, s.bindings_removed
            ),
        }
    )?;

    writeln!(out, "\n-- 5. {} --", lang.pick("企业微信一键登录", "One-click login from WeCom"))?;
    drop(store);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let trace = runtime.block_on(login_flow::drive(&open.server.base_url, &args.login_as, login_flow::IN_CLIENT_UA))?;
    for url in &trace.visited {
        writeln!(out, "  → {url}")?;
    }
    let signed_in = trace.account_id.clone().unwrap_or_default();
    let store = open.platform.store.lock().map_err(|_| anyhow::anyhow!("store lock"))?;
    match store.accounts()?.into_iter().find(|a| a.id.as_str() == signed_in) {
        Some(a) => writeln!(
            out,
            "{} <{}> → {} {} ({})",
            lang.pick("企业微信成员", "WeCom member"),
            args.login_as,
            lang.pick("已登录平台账号", "signed in as platform account"),
            a.name,
            a.id
        )?,
        None => writeln!(out, "{}: {}", lang.pick("登录结果", "Login outcome"), trace.page)?,
    }
    Ok(DemoOutcome {
        row_kinds: proposal.rows.iter().map(|r| r.kind).collect(),
        summary: s,
        signed_in_account: signed_in,
    })
}
