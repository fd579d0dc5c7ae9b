//! `host-sim bind USERID ACCOUNT_ID`, `unbind USERID`, `skip USERID`, `confirm-removal USERID`:
//! the operator's decisions on rows of the pending sync.
//!
//! An edit replaces an earlier edit of the same row (userids compare case-insensitively, as WeCom
//! treats them). Before it is stored, the plugin's `commit` runs on the pending sync with all the
//! edits (nothing is applied); a refusal is printed with the plugin's code, row and message, the
//! command exits non-zero and the edit is not recorded.

use super::{check_corp, open_existing_store, pure_instance, write_rejected, WorkflowArgs};
use crate::host::sync::{commit_input, dry_commit, StoreState};
use crate::render::edits::{describe_named, member_names};
use crate::render::summary::summary_line;
use crate::term::printable;
use interface::{ChangeSet, Edit, EditKind, Evidence, Proposal};
use std::io::Write;

/// `host-sim bind`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct BindArgs {
    /// Store, plugin, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// The row's WeCom userid.
    #[arg(required_unless_present = "file", default_value = "")]
    pub userid: String,
    /// The platform account to bind it to.
    #[arg(required_unless_present = "file", default_value = "")]
    pub account_id: String,
    /// A mapping file instead: `userid,account_id` lines (UTF-8 with or without BOM, optional
    /// header line). Every line is checked; all are recorded or none (evidence `imported`).
    #[arg(long, conflicts_with_all = ["userid", "account_id"])]
    pub file: Option<std::path::PathBuf>,
}

/// `host-sim unbind`, `skip` and `confirm-removal`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RowArgs {
    /// Store, plugin, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// The row's WeCom userid.
    pub userid: String,
}

/// Bind the member to an account (rebind, or resolve an ambiguous row); with `--file`, every
/// pair of a mapping file.
pub fn run_bind(args: &BindArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    if let Some(file) = &args.file {
        return super::bulk::bind_file(&args.common, file, out);
    }
    let edit = Edit {
        kind: EditKind::Bind,
        userid: args.userid.trim().into(),
        account_id: Some(args.account_id.trim().into()).into(),
        evidence: Evidence::Operator,
    };
    record(&args.common, edit, out)
}

/// Remove the proposed or existing pair: the member gets a new account instead.
pub fn run_unbind(args: &RowArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    record(&args.common, row_edit(EditKind::Unbind, args), out)
}

/// Leave the member out of this commit.
pub fn run_skip(args: &RowArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    record(&args.common, row_edit(EditKind::Skip, args), out)
}

/// Confirm a proposed removal (a member who left WeCom): unbind and disable the account.
pub fn run_confirm_removal(args: &RowArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    record(&args.common, row_edit(EditKind::ConfirmRemoval, args), out)
}

/// Confirm a proposed rename: the account moves to the new userid (evidence `rename`).
pub fn run_confirm_rename(args: &RowArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    record(&args.common, row_edit(EditKind::ConfirmRename, args), out)
}

fn row_edit(kind: EditKind, args: &RowArgs) -> Edit {
    Edit { kind, userid: args.userid.trim().into(), account_id: None.into(), evidence: Evidence::Operator }
}

/// The edits with `edit` in place of any earlier edit of its row, spelt as the row spells its userid.
pub fn with_edit(edits: &[Edit], proposal: &Proposal, mut edit: Edit) -> Vec<Edit> {
    let key = edit.userid.to_lowercase();
    if let Some(row) = proposal.rows.iter().find(|r| r.userid.to_lowercase() == key) {
        edit.userid = row.userid.clone();
    }
    let mut out = edits.to_vec();
    match out.iter_mut().find(|e| e.userid.to_lowercase() == key) {
        Some(earlier) => *earlier = edit,
        None => out.push(edit),
    }
    out
}

fn record(common: &WorkflowArgs, edit: Edit, out: &mut dyn Write) -> anyhow::Result<bool> {
    let mut store = open_existing_store(&common.db)?;
    let Some(pending) = super::pending_or_say_none(&store, common, out)? else { return Ok(false) };
    check_corp(&common.wecom, &pending)?;
    let plugin = pure_instance(&common.wecom)?;
    let edits = with_edit(&pending.edits, &pending.proposal, edit.clone());
    let state = StoreState::read(&store)?;
    let checked = dry_commit(&plugin.instance, &commit_input(&pending, &state, &edits, super::preview_guard()));
    let preview = match checked {
        Ok(changes) => changes,
        Err(error) => {
            write_rejected(common, out, &error, &pending.edits)?;
            return Ok(false);
        }
    };
    if store.set_pending_edits(pending.revision, &edits)?.is_none() {
        anyhow::bail!(
            "待提交的同步在此期间被改写，编辑未记录，请重试 / the pending sync was rewritten meanwhile; the edit was not recorded, try again"
        );
    }
    write_recorded(common, out, &edit, &edits, &preview, &pending.proposal)?;
    Ok(true)
}

fn write_recorded(
    common: &WorkflowArgs,
    out: &mut dyn Write,
    edit: &Edit,
    edits: &[Edit],
    preview: &ChangeSet,
    proposal: &Proposal,
) -> anyhow::Result<()> {
    let lang = common.lang;
    if common.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": true,
                "recorded": edit,
                "edits": edits,
                "preview": preview.summary,
            }))?
        )?;
        return Ok(());
    }
    let names = member_names(proposal);
    writeln!(out, "{}{}", lang.pick("已记录：", "Recorded: "), printable(&describe_named(edit, &names, lang)))?;
    writeln!(out, "{} ({}){}", lang.pick("待提交的编辑", "Pending edits"), edits.len(), lang.pick("：", ":"))?;
    // The latest edits (a bulk decision may have recorded tens of thousands); --json lists all.
    let listed = super::LISTED;
    if edits.len() > listed {
        writeln!(
            out,
            "  … {} {}",
            edits.len() - listed,
            lang.pick("个较早的编辑未列出（--json 列出全部）", "earlier edits not listed (--json lists them all)")
        )?;
    }
    for e in &edits[edits.len().saturating_sub(listed)..] {
        writeln!(out, "  {}", printable(&describe_named(e, &names, lang)))?;
    }
    writeln!(out, "{}{}", lang.pick("提交后：", "On commit: "), summary_line(&preview.summary, lang))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(kind: EditKind, userid: &str) -> Edit {
        Edit { kind, userid: userid.into(), account_id: None.into(), evidence: Evidence::Operator }
    }

    #[test]
    fn a_new_edit_replaces_the_earlier_one_of_its_row() {
        let edits = vec![edit(EditKind::Skip, "zhangxu"), edit(EditKind::Unbind, "clear")];
        let after = with_edit(&edits, &Proposal::default(), edit(EditKind::Unbind, "ZhangXu"));
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].kind, EditKind::Unbind, "replaced in place");
        assert_eq!(after[1], edits[1]);
        let added = with_edit(&after, &Proposal::default(), edit(EditKind::Skip, "liqiang"));
        assert_eq!(added.len(), 3);
    }
}
