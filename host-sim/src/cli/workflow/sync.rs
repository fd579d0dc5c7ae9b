//! `host-sim sync`: reads the scope from WeCom through the plugin, proposes the binding table from
//! the store's accounts and bindings, keeps snapshot + proposal as the pending sync (dropping any
//! earlier edits), and shows the table the guide shows (平台用户 / 企业微信用户 / tag), optionally
//! searched (`--search`) and filtered (`--filter unbound`). The search and filter only choose the
//! rows shown; the stored proposal always has every row.

use super::{open_store, ScopeArgs, WorkflowArgs};
use crate::cli::session::Session;
use crate::host::plugin_host::SimHost;
use crate::host::session::PlatformUrls;
use crate::host::sync::StoreState;
use crate::render::table::{self, Lang};
use anyhow::Context;
use interface::{DirectorySnapshot, Proposal, ProposalInput, RowFilter, RowQuery};
use std::io::Write;
use std::path::PathBuf;

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
#[derive(clap::Args, Clone, Debug)]
pub struct SyncArgs {
    /// Store, connection, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// The platform's base URL (homepage; the OAuth redirect is under it).
    #[arg(long, default_value = crate::defaults::DEMO_PLATFORM)]
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
    /// Rows the text table shows (0: every row). `--json` always has every matching row.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// First row the text table shows (0-based, among the rows the search and filter keep).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Also write the whole table (every row) to this CSV file, for review in a spreadsheet.
    #[arg(long, value_name = "FILE.csv")]
    pub export: Option<PathBuf>,
}

/// Rows the text table shows when `--limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;

impl Default for SyncArgs {
    fn default() -> Self {
        SyncArgs {
            common: WorkflowArgs::default(),
            platform_url: String::new(),
            scope: ScopeArgs::default(),
            search: String::new(),
            filter: FilterArg::All,
            limit: DEFAULT_LIMIT,
            offset: 0,
            export: None,
        }
    }
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
        crate::host::sample::seed(&mut store)?;
    }
    let snapshot = session.instance.fetch_scope(&scope).into_result()?;
    let state = StoreState::read(&store)?;
    let input = state.into_proposal_input(snapshot);
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    // The accounts, bindings and departments were read for the proposal only: freed before the
    // proposal is stored, so storing and printing reuse their memory.
    let ProposalInput { snapshot, .. } = input;
    // Only the earlier edits are counted, not the earlier table read. A pending sync of an older
    // version, or a damaged one, cannot be read any more: this sync replaces it.
    let dropped_edits = match store.pending_edit_count() {
        Ok(edits) => edits.unwrap_or(0),
        Err(crate::store::StoreError::PendingOutdated(_) | crate::store::StoreError::PendingCorrupt(_)) => 0,
        Err(error) => return Err(error.into()),
    };
    store.set_pending(&scope, &snapshot, &proposal)?;
    let query = RowQuery { search: args.search.as_str().into(), filter: args.filter.into() };
    let shown: Vec<u32> = session.instance.query_rows(&proposal, &query).into_result()?.into_iter().collect();
    let exported = match &args.export {
        Some(path) => Some((path, export_csv(path, &proposal)?)),
        None => None,
    };

    let snapshot = &snapshot;
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
                "exported": exported.map(|(path, rows)| serde_json::json!({ "file": path, "rows": rows })),
            }))?
        )?;
    } else {
        let page = Page { offset: args.offset, limit: args.limit };
        write_text(out, lang, snapshot, &proposal, &shown, page, dropped_edits)?;
        if let Some((path, rows)) = exported {
            writeln!(
                out,
                "{}",
                match lang {
                    Lang::Zh => format!("已导出全部 {rows} 行到 {}（UTF-8 带 BOM，可用 Excel 打开）。", path.display()),
                    Lang::En =>
                        format!("Exported all {rows} rows to {} (UTF-8 with BOM, opens in Excel).", path.display()),
                }
            )?;
        }
    }
    Ok(Some(SyncOutcome { proposal, shown, dropped_edits }))
}

/// Writes the whole table to `path` as CSV; the rows written.
fn export_csv(path: &std::path::Path, proposal: &Proposal) -> anyhow::Result<usize> {
    let context = || format!("导出失败 / could not write {}", path.display());
    let file = std::fs::File::create(path).with_context(context)?;
    let mut writer = std::io::BufWriter::new(file);
    let rows = super::export::write_csv(&mut writer, proposal).with_context(context)?;
    writer.flush().with_context(context)?;
    Ok(rows)
}

/// Which of the matching rows the text table shows.
#[derive(Debug, Clone, Copy)]
struct Page {
    offset: usize,
    /// 0: every row.
    limit: usize,
}

impl Page {
    fn of<'a>(&self, rows: &'a [u32]) -> &'a [u32] {
        let start = self.offset.min(rows.len());
        let end = if self.limit == 0 { rows.len() } else { start.saturating_add(self.limit).min(rows.len()) };
        &rows[start..end]
    }
}

fn write_text(
    out: &mut dyn Write,
    lang: Lang,
    snapshot: &DirectorySnapshot,
    proposal: &Proposal,
    matching: &[u32],
    page: Page,
    dropped_edits: usize,
) -> anyhow::Result<()> {
    let shown = page.of(matching);
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
    write!(out, "{}", crate::render::summary::proposal_counts(proposal, lang))?;
    write!(out, "{}", table::binding_table(proposal, shown, lang))?;
    writeln!(
        out,
        "{}",
        showing_line(lang, shown.len(), page.offset.min(matching.len()), matching.len(), proposal.rows.len())
    )?;
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

/// `显示 50 / 50000 行 … / showing 50 of 50000 rows …`, with how to page and export.
pub fn showing_line(lang: Lang, shown: usize, offset: usize, matching: usize, total: usize) -> String {
    let (first, last) = if shown == 0 { (0, 0) } else { (offset + 1, offset + shown) };
    let of_total = if matching == total {
        String::new()
    } else {
        match lang {
            Lang::Zh => format!("，筛选自 {total} 行"),
            Lang::En => format!(", filtered from {total}"),
        }
    };
    let more = shown < matching;
    match lang {
        Lang::Zh => format!(
            "显示 {shown} / {matching} 行（第 {first}–{last} 行{of_total}）{}",
            if more {
                "；翻页：--offset K --limit N（--limit 0 显示全部）；全表：--export FILE.csv"
            } else {
                ""
            }
        ),
        Lang::En => format!(
            "showing {shown} of {matching} rows ({first}–{last}{of_total}){}",
            if more {
                "; page with --offset K --limit N (--limit 0 shows all); whole table: --export FILE.csv"
            } else {
                ""
            }
        ),
    }
}
