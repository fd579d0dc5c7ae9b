//! `host-sim sync`: reads the scope from WeCom through the plugin, proposes the binding table from
//! the store's accounts and bindings, keeps snapshot + proposal as the pending sync (dropping any
//! earlier edits), and shows the table the guide shows (平台用户 / 企业微信用户 / tag), optionally
//! searched (`--search`) and filtered (`--filter unbound`). The search and filter only choose the
//! rows shown; the stored proposal always has every row.

use super::{open_store, ScopeArgs, StoreState, WorkflowArgs};
use crate::plugin_host::SimHost;
use crate::session::{PlatformUrls, Session};
use crate::table::{self, Lang};
use interface::{Proposal, ProposalInput, RowFilter, RowQuery};
use std::io::Write;

/// The table filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FilterArg {
    /// Every row.
    #[default]
    All,
    /// Rows with no account bound or proposed.
    Unbound,
    /// Rows that wait for the operator: ambiguous, departments differ, renames, removals.
    ToCheck,
}

impl From<FilterArg> for RowFilter {
    fn from(f: FilterArg) -> Self {
        match f {
            FilterArg::All => RowFilter::All,
            FilterArg::Unbound => RowFilter::Unbound,
            FilterArg::ToCheck => RowFilter::ToCheck,
        }
    }
}

/// `host-sim sync`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SyncArgs {
    /// Store, connection, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// The platform's base URL (homepage; the OAuth redirect is under it).
    #[arg(long, default_value = crate::demo::DEMO_PLATFORM)]
    pub platform_url: String,
    /// What to sync.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Show only rows whose WeCom name, userid or account name contains this.
    #[arg(long, default_value = "")]
    pub search: String,
    /// Show every row, only those without an account, or only those waiting for the operator.
    #[arg(long, value_enum, default_value_t = FilterArg::All)]
    pub filter: FilterArg,
}

/// What `sync` did, for callers that want more than the text.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// The stored proposal (every row).
    pub proposal: Proposal,
    /// Indexes of the rows shown.
    pub shown: Vec<u32>,
    /// Edits of the replaced pending sync that were dropped.
    pub dropped_edits: usize,
}

/// `host-sim sync`; `Ok(false)` when the connection was not accepted.
pub fn run_sync(args: &SyncArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    Ok(sync(args, out)?.is_some())
}

/// `host-sim sync`, returning what it stored; `None` when the connection was not accepted.
pub fn sync(args: &SyncArgs, out: &mut dyn Write) -> anyhow::Result<Option<SyncOutcome>> {
    let common = &args.common;
    let lang = common.lang;
    let platform = PlatformUrls::at(&args.platform_url);
    let trusted = platform.trusted_domain();
    let homepage = platform.homepage.clone();
    let session = Session::open(&common.wecom, &platform, SimHost::default(), |fake| {
        // The fake's admin has set the app up for this platform, as the guide's console steps do.
        fake.with_org(|org| {
            if let Some(app) = org.apps.first_mut() {
                app.home_url = homepage.clone();
                app.redirect_domain = trusted.clone();
            }
        })
    })?;
    if !session.report.accepted {
        if common.json {
            writeln!(out, "{}", serde_json::json!({ "ok": false, "report": session.report }))?;
        } else {
            write!(out, "{}", table::checklist(&session.report, lang))?;
        }
        return Ok(None);
    }
    let scope = args.scope.chosen(&session);
    let mut store = open_store(&common.db)?;
    // Activated from the store at the next start of serve, login --code or reconcile.
    session.store_in(&mut store)?;
    if session.fake.is_some() && store.accounts()?.is_empty() {
        crate::sample::seed(&mut store)?;
    }
    let snapshot = session.instance.fetch_scope(&scope).into_result()?;
    let state = StoreState::read(&store)?;
    let input = ProposalInput {
        snapshot,
        accounts: state.accounts.into(),
        bindings: state.bindings.into(),
        departments: state.departments.into(),
        ..Default::default()
    };
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    // A pending sync of an older version cannot be read any more: this sync replaces it.
    let dropped_edits = match store.pending() {
        Ok(pending) => pending.map(|p| p.edits.len()).unwrap_or(0),
        Err(crate::store::StoreError::PendingOutdated(_)) => 0,
        Err(error) => return Err(error.into()),
    };
    store.set_pending(&scope, &input.snapshot, &proposal)?;
    let query = RowQuery { search: args.search.as_str().into(), filter: args.filter.into() };
    let shown: Vec<u32> = session.instance.query_rows(&proposal, &query).into_result()?.into_iter().collect();

    let snapshot = &input.snapshot;
    if common.json {
        let rows: Vec<_> = shown.iter().filter_map(|&i| proposal.rows.get(i as usize)).collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": true,
                "corp_id": snapshot.corp_id,
                "snapshot_id": snapshot.snapshot_id,
                "scope": scope,
                "complete": snapshot.complete,
                "counts": proposal.counts,
                "total_rows": proposal.rows.len(),
                "rows": rows,
                "problems": snapshot.problems,
                "dropped_edits": dropped_edits,
            }))?
        )?;
    } else {
        write_text(out, lang, &input, &proposal, &shown, dropped_edits)?;
    }
    Ok(Some(SyncOutcome { proposal, shown, dropped_edits }))
}

fn write_text(
    out: &mut dyn Write,
    lang: Lang,
    input: &ProposalInput,
    proposal: &Proposal,
    shown: &[u32],
    dropped_edits: usize,
) -> anyhow::Result<()> {
    let snapshot = &input.snapshot;
    writeln!(
        out,
        "{} {}: {} {}, {} {} ({})",
        lang.pick("企业", "Corp"),
        snapshot.corp_id,
        snapshot.members.len(),
        lang.pick("名成员", "members"),
        snapshot.departments.len(),
        lang.pick("个部门", "departments"),
        if snapshot.complete { lang.pick("完整", "complete") } else { lang.pick("不完整", "incomplete") }
    )?;
    let c = proposal.counts;
    let sep = lang.pick("，", ", ");
    writeln!(
        out,
        "{} {}{sep}{} {}{sep}{} {}{sep}{} {}{sep}{} {}{sep}{} {}",
        lang.pick("同步企业微信用户", "WeCom users"),
        c.wecom_users,
        lang.pick("已绑定", "bound"),
        c.already_bound,
        lang.pick("姓名匹配", "name matches"),
        c.name_matches,
        lang.pick("待确认", "ambiguous"),
        c.ambiguous,
        lang.pick("新建", "new"),
        c.no_match,
        lang.pick("已离开", "left"),
        c.left_wecom
    )?;
    if c.name_departments_differ + c.renames > 0 {
        writeln!(
            out,
            "{} {}{sep}{} {}",
            lang.pick("姓名匹配·部门不一致（待确认）", "name matches with departments that differ (to check)"),
            c.name_departments_differ,
            lang.pick("疑似改名（待确认）", "probable userid renames (to check)"),
            c.renames
        )?;
    }
    write!(out, "{}", table::binding_table(proposal, shown, lang))?;
    if shown.len() != proposal.rows.len() {
        writeln!(out, "{} {} / {}", lang.pick("显示", "showing"), shown.len(), proposal.rows.len())?;
    }
    write!(out, "{}", table::reasons(proposal, shown, lang))?;
    for p in snapshot.problems.iter() {
        writeln!(
            out,
            "! {} {}: {}",
            p.subject,
            p.subject_name,
            lang.pick(p.message.zh.as_str(), p.message.en.as_str())
        )?;
    }
    if dropped_edits > 0 {
        writeln!(
            out,
            "{}",
            match lang {
                Lang::Zh => format!("已丢弃上次同步的 {dropped_edits} 个编辑（表格已重新生成）。"),
                Lang::En =>
                    format!("Dropped {dropped_edits} edits of the previous sync (the table was proposed anew)."),
            }
        )?;
    }
    writeln!(
        out,
        "{}",
        lang.pick(
            "已保存为待提交的同步。编辑：host-sim bind / unbind / skip / confirm-removal / confirm-rename；提交：host-sim commit（--dry-run 预览）。",
            "Saved as the pending sync. Edit: host-sim bind / unbind / skip / confirm-removal / confirm-rename; apply: host-sim commit (--dry-run to preview)."
        )
    )?;
    Ok(())
}
