//! `host-sim demo`: the whole integration guide on the embedded defaults — configure, scope,
//! fetch, the binding table, commit with its summary, then a one-click login.

use crate::plugin_host::SimHost;
use crate::session::{PlatformUrls, Session, WecomArgs};
use crate::store::Store;
use crate::table::{self, Lang};
use anyhow::{bail, Context};
use interface::{
    AuthorizeRequest, CommitInput, LoginMode, LoginRequest, ProposalInput, RowKind, RowQuery, ScopeSelection,
    SecretString,
};
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
    let platform = PlatformUrls::at(DEMO_PLATFORM);
    let trusted = platform.trusted_domain();
    let homepage = platform.homepage.clone();
    let session = Session::open(&args.wecom, &platform, SimHost::default(), |fake| {
        // The admin followed the setup sheet in the WeCom console (guide steps 3-5).
        fake.with_org(|org| {
            if let Some(app) = org.apps.first_mut() {
                app.home_url = homepage.clone();
                app.redirect_domain = trusted.clone();
            }
        });
    })?;
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
    let mut store = match &args.db {
        Some(path) => Store::open(path).with_context(|| format!("open {}", path.display()))?,
        None => Store::in_memory()?,
    };
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
    let authorize = session
        .instance
        .oauth_authorize_url(&AuthorizeRequest {
            redirect_url: platform.redirect.as_str().into(),
            state: "demo1state".into(),
            mode: LoginMode::Auto,
            user_agent: "Mozilla/5.0 wxwork/4.1".into(),
        })
        .into_result()?;
    writeln!(out, "{}: {}", lang.pick("授权地址", "Authorize URL"), authorize.url)?;
    let fake = session
        .fake
        .as_ref()
        .context("the login step of the demo needs the built-in fake WeCom (it taps for the member)")?;
    let agent_id = session.report.agent_id;
    let code = fake.mint_code(agent_id, &args.login_as);
    let outcome = session.instance.oauth_login(&LoginRequest { code: SecretString::new(code), scope }).into_result()?;
    let account = store.account_for_userid(outcome.userid.as_str())?;
    let signed_in = match account {
        Some(a) => {
            writeln!(
                out,
                "{} {} <{}> → {} {} ({})",
                lang.pick("企业微信成员", "WeCom member"),
                outcome.name,
                outcome.userid,
                lang.pick("已登录平台账号", "signed in as platform account"),
                a.name,
                a.id
            )?;
            a.id.to_string()
        }
        None => {
            writeln!(
                out,
                "{} {} <{}> {}",
                lang.pick("企业微信成员", "WeCom member"),
                outcome.name,
                outcome.userid,
                lang.pick("未绑定平台账号，请联系管理员同步。", "has no platform account; ask the admin to sync.")
            )?;
            String::new()
        }
    };
    Ok(DemoOutcome {
        row_kinds: proposal.rows.iter().map(|r| r.kind).collect(),
        summary: s,
        signed_in_account: signed_in,
    })
}
