//! `host-sim commit [--dry-run]`: turns the pending sync and its edits into a change set through
//! the plugin, prints the guide's summary, and (unless `--dry-run`) applies it and clears the
//! pending sync in one transaction. With nothing pending it says so and succeeds, so running it
//! twice is harmless.

use super::{check_corp, is_stale, open_existing_store, pure_instance, write_refusal, WorkflowArgs};
use crate::host::sync::{dry_commit, owned_commit_input, StoreState};
use crate::render::summary::{nothing_pending, summary_line};
use crate::render::table::Lang;
use crate::store::{new_account_id, Actor, Applied, Audit, Basis, PendingApplied};
use interface::{ChangeSet, Proposal};
use std::collections::HashMap;
use std::io::Write;

/// `host-sim commit`.
#[derive(clap::Args, Clone, Debug)]
pub struct CommitArgs {
    /// Store, plugin, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// Compute and print the change set without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The mass-removal safeguard.
    #[command(flatten)]
    pub removals: super::RemovalArgs,
    /// Changes listed after the summary (the rest are counted); `--verbose` lists every one.
    #[arg(long, default_value_t = super::sync::DEFAULT_LIMIT)]
    pub limit: usize,
    /// List every change.
    #[arg(long)]
    pub verbose: bool,
}

impl Default for CommitArgs {
    fn default() -> Self {
        CommitArgs {
            common: WorkflowArgs::default(),
            dry_run: false,
            limit: super::sync::DEFAULT_LIMIT,
            verbose: false,
            removals: Default::default(),
        }
    }
}

/// What `commit` did, for callers that want more than the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// No pending sync.
    NothingPending,
    /// The plugin refused (its error code, e.g. `binding.stale`); nothing written.
    Refused(String),
    /// The store changed while the change set was computed; nothing written.
    Changed,
    /// `--dry-run`: the change set, not written.
    DryRun(ChangeSet),
    /// Applied.
    Applied(ChangeSet, Applied),
}

/// `host-sim commit`; `Ok(false)` when the commit was refused.
pub fn run_commit(args: &CommitArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    Ok(!matches!(commit(args, out)?, CommitOutcome::Refused(_) | CommitOutcome::Changed))
}

/// `host-sim commit`, returning what happened.
pub fn commit(args: &CommitArgs, out: &mut dyn Write) -> anyhow::Result<CommitOutcome> {
    let common = &args.common;
    let lang = common.lang;
    let mut store = open_existing_store(&common.db)?;
    let Some(pending) = store.pending()? else {
        if common.json {
            writeln!(out, "{}", serde_json::json!({ "ok": true, "pending": false }))?;
        } else {
            writeln!(out, "{}", nothing_pending(lang))?;
        }
        return Ok(CommitOutcome::NothingPending);
    };
    check_corp(&common.wecom, &pending)?;
    let plugin = pure_instance(&common.wecom)?;
    let state = StoreState::read(&store)?;
    let (revision, mut input) = owned_commit_input(pending, state, args.removals.into());
    let changes = match dry_commit(&plugin.instance, &input) {
        Ok(changes) => changes,
        Err(error) => {
            if common.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "ok": false, "pending": true, "error": error, "stale": is_stale(&error) })
                    )?
                )?;
            } else {
                write_refusal(out, &error, lang)?;
            }
            return Ok(CommitOutcome::Refused(error.code.to_string()));
        }
    };
    if args.dry_run {
        if common.json {
            write_json(out, true, &changes, None)?;
        } else {
            write_changes(out, &changes, &input.proposal, listed(args), lang)?;
            writeln!(out, "{}", lang.pick("试运行：未写入任何数据。", "Dry run: nothing written."))?;
        }
        return Ok(CommitOutcome::DryRun(changes));
    }
    // The snapshot is not needed to apply: its memory goes before the transaction's.
    input.input.snapshot = Default::default();
    let basis = Basis {
        revision,
        accounts: &input.input.accounts,
        bindings: &input.input.bindings,
        departments: &input.input.departments,
    };
    let audit = Audit::new(
        Actor::Operator,
        interface::Text::new("操作员提交绑定表", "the operator committed the binding table"),
    );
    match store.apply_pending(&changes, basis, &audit)? {
        PendingApplied::Applied(applied) => {
            if common.json {
                write_json(out, false, &changes, Some(&applied))?;
            } else {
                write_changes(out, &changes, &input.proposal, listed(args), lang)?;
                write_applied(out, &applied, lang)?;
            }
            Ok(CommitOutcome::Applied(changes, applied))
        }
        PendingApplied::Changed => {
            let message = lang.pick(
                "提交期间数据被其他操作修改，未写入任何数据：请重新运行 host-sim commit（或 sync）。",
                "The store changed while committing; nothing written: run host-sim commit (or sync) again.",
            );
            if common.json {
                writeln!(out, "{}", serde_json::json!({ "ok": false, "pending": true, "changed": true }))?;
            } else {
                writeln!(out, "{message}")?;
            }
            Ok(CommitOutcome::Changed)
        }
    }
}

fn write_json(
    out: &mut dyn Write,
    dry_run: bool,
    changes: &ChangeSet,
    applied: Option<&Applied>,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "ok": true,
            "pending": true,
            "dry_run": dry_run,
            "change_set": changes,
            "summary": changes.summary,
            "applied": applied,
        }))?
    )?;
    Ok(())
}

/// How many changes the text lists: `--limit`, or every one with `--verbose`.
fn listed(args: &CommitArgs) -> usize {
    if args.verbose {
        usize::MAX
    } else {
        args.limit
    }
}

/// The summary line, then one line per change, at most `limit` of them and a line counting the
/// rest. Member names come from one map of the proposal's rows, built once: linear in the rows
/// and the changes.
fn write_changes(
    out: &mut dyn Write,
    changes: &ChangeSet,
    proposal: &Proposal,
    limit: usize,
    lang: Lang,
) -> anyhow::Result<()> {
    writeln!(out, "{}", summary_line(&changes.summary, lang))?;
    let total = changes.departments.len()
        + changes.remove_bindings.len()
        + changes.create_accounts.len()
        + changes.create_bindings.len();
    if limit > 0 {
        write_change_lines(out, changes, proposal, limit, lang)?;
    }
    let listed = total.min(limit);
    if listed < total {
        writeln!(
            out,
            "{}",
            match lang {
                Lang::Zh => format!("  …… 另有 {} 项变更未列出（共 {total} 项；--verbose 列出全部，--json 输出完整变更集）", total - listed),
                Lang::En => format!(
                    "  … {} more changes not listed ({total} in all; --verbose lists every one, --json prints the whole change set)",
                    total - listed
                ),
            }
        )?;
    }
    Ok(())
}

fn write_change_lines(
    out: &mut dyn Write,
    changes: &ChangeSet,
    proposal: &Proposal,
    limit: usize,
    lang: Lang,
) -> anyhow::Result<()> {
    // Keyed by the lowercased userid, as userids compare case-insensitively.
    let names: HashMap<String, &str> =
        proposal.rows.iter().map(|r| (r.userid.to_lowercase(), r.member_name.as_str())).collect();
    let name = |userid: &str| match names.get(&userid.to_lowercase()) {
        Some(member) => format!("{member} <{userid}>"),
        None => format!("<{userid}>"),
    };
    let mut left = limit;
    let mut line = |out: &mut dyn Write, text: String| -> std::io::Result<bool> {
        if left == 0 {
            return Ok(false);
        }
        left -= 1;
        writeln!(out, "{text}")?;
        Ok(true)
    };
    for d in changes.departments.iter() {
        let what = match (d.created, d.renamed, d.moved) {
            _ if d.removed => lang.pick("删除部门", "department removed"),
            (true, _, _) => lang.pick("新建部门", "new department"),
            (_, true, _) => lang.pick("部门改名", "department renamed"),
            _ => lang.pick("部门移动", "department moved"),
        };
        if !line(out, format!("  ~ {what} {} ({})", d.name, d.wecom_id))? {
            return Ok(());
        }
    }
    for u in changes.remove_bindings.iter() {
        let disable = if u.disable_account { lang.pick("，停用账号", ", account disabled") } else { "" };
        let text = format!("  - {} {} ✗ {}{disable}", lang.pick("解除绑定", "unbind"), name(&u.userid), u.account_id);
        if !line(out, text)? {
            return Ok(());
        }
    }
    for a in changes.create_accounts.iter() {
        let text =
            // The store picks the id when applying: this one, or a suffixed one if an account has it.
            format!(
                "  + {} {} → {}{}",
                lang.pick("新建账号", "new account"),
                name(&a.userid),
                new_account_id(&a.userid),
                lang.pick("（已占用时加后缀）", " (suffixed if taken)")
            );
        if !line(out, text)? {
            return Ok(());
        }
    }
    for b in changes.create_bindings.iter() {
        let evidence = b.evidence.name().unwrap_or("?");
        let text = format!("  + {} {} → {} [{evidence}]", lang.pick("绑定", "bind"), name(&b.userid), b.account_id);
        if !line(out, text)? {
            return Ok(());
        }
    }
    Ok(())
}

fn write_applied(out: &mut dyn Write, a: &Applied, lang: Lang) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "已写入（一个事务）：新建账号 {} 个，新建绑定 {} 个，解除绑定 {} 个，停用账号 {} 个，部门 {} 个，删除部门 {} 个，更新绑定 {} 个",
                a.accounts_created,
                a.bindings_created,
                a.bindings_removed,
                a.accounts_disabled,
                a.departments_written,
                a.departments_removed,
                a.bindings_updated
            ),
            Lang::En => format!(
                "Applied in one transaction: {} accounts created, {} bindings made, {} removed, {} accounts disabled, {} departments written, {} departments removed, {} bindings updated",
                a.accounts_created,
                a.bindings_created,
                a.bindings_removed,
                a.accounts_disabled,
                a.departments_written,
                a.departments_removed,
                a.bindings_updated
            ),
        }
    )?;
    Ok(())
}
