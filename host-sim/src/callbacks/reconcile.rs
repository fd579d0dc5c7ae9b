//! The reconcile: callbacks can be lost (the URL was down, WeCom gave up after three tries, an
//! event type never reaches a self-built app), so the host reads the whole synced scope now and
//! then and compares it with the store, through the same hooks as the operator's sync and commit
//! (`fetch_scope` → `propose_bindings` → `commit`), with the operator's edits chosen by the
//! policy ([`edits`], pure):
//!
//! - a member who left, is disabled, or is gone from a **complete** snapshot: removal confirmed
//!   (the plugin proposes no removal from an incomplete one, and none is confirmed then);
//! - a member without an account: a new account when the policy creates them, else left out;
//! - a name match: left out, since binding by name without the operator could hand one person's
//!   account to a namesake; ambiguous rows are left out by `commit` itself;
//! - bound members: nothing.
//!
//! It keeps an existing sync in step and never performs the first one: with no binding at all
//! in the store it does nothing.

use super::decide::Verdict;
use super::journal::Outcome;
use super::policy::{NewMembers, OnLeave, Policy};
use crate::store::{Contents, Store};
use crate::workflow::dry_commit;
use interface::{
    ChangeSet, CommitInput, Edit, EditKind, PluginBox, Proposal, ProposalInput, RowKind, ScopeSelection, Text,
};
use std::sync::{Mutex, PoisonError};

/// The operator's edits the policy stands in for.
pub fn edits(proposal: &Proposal, complete: bool, policy: Policy) -> Vec<Edit> {
    proposal
        .rows
        .iter()
        .filter_map(|row| {
            let kind = match row.kind {
                // A disabled member who was never bound is a left row too, with nothing to remove.
                RowKind::LeftWecom if complete && row.account.is_some() => EditKind::ConfirmRemoval,
                RowKind::NameMatch => EditKind::Skip,
                RowKind::NoMatch if policy.new_members == NewMembers::Ignore => EditKind::Skip,
                _ => return None,
            };
            Some(Edit { kind, userid: row.userid.clone(), account_id: None.into() })
        })
        .collect()
}

/// An outcome of a reconcile that wrote nothing.
pub fn outcome(verdict: Verdict, reason: Text) -> Outcome {
    Outcome {
        what: "reconcile".into(),
        subject: String::new(),
        verdict,
        reason,
        applied: None,
        unbound_accounts: Vec::new(),
        error: None,
    }
}

fn failed(error: impl std::fmt::Display) -> Outcome {
    Outcome {
        error: Some(error.to_string()),
        ..outcome(Verdict::Ignore, Text::new("核对失败，未写入任何数据。", "The reconcile failed; nothing written."))
    }
}

/// Reads the scope, compares, applies in one transaction.
pub fn run(plugin: &PluginBox, store: &Mutex<Store>, scope: &ScopeSelection, policy: Policy) -> Outcome {
    // The WeCom read runs without the store lock: it can take a while.
    let snapshot = match plugin.fetch_scope(scope).into_result() {
        Ok(snapshot) => snapshot,
        Err(error) => return failed(error),
    };
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    // Compared and applied in one transaction: the change set fits the store it is applied to.
    let planned = store.apply_decided(|contents| match plan(plugin, snapshot, contents, policy) {
        Ok((changes, reason)) => {
            let apply = (!is_empty(&changes)).then(|| changes.clone());
            (Ok((changes, reason)), apply)
        }
        Err(outcome) => (Err(outcome), None),
    });
    match planned {
        Ok((Err(outcome), _)) => outcome,
        Ok((Ok((_, reason)), None)) => outcome(Verdict::Ignore, reason),
        Ok((Ok((changes, reason)), Some(applied))) => Outcome {
            applied: Some(applied),
            unbound_accounts: changes.remove_bindings.iter().map(|u| u.account_id.to_string()).collect(),
            ..outcome(Verdict::Apply, reason)
        },
        Err(error) => failed(error),
    }
}

/// The change set for the store as it is (pure apart from the plugin's pure hooks), and why; an
/// outcome instead when there is nothing to compare or a hook refused.
fn plan(
    plugin: &PluginBox,
    snapshot: interface::DirectorySnapshot,
    contents: Contents,
    policy: Policy,
) -> Result<(ChangeSet, Text), Outcome> {
    if contents.bindings.is_empty() {
        return Err(outcome(
            Verdict::Ignore,
            Text::new(
                "尚无任何绑定：首次同步由管理员完成（host-sim sync / commit），核对不代劳。",
                "No binding yet: the first sync is the operator's (host-sim sync / commit); the reconcile does not do it.",
            ),
        ));
    }
    let complete = snapshot.complete;
    let input = ProposalInput {
        snapshot,
        accounts: contents.accounts.into(),
        bindings: contents.bindings.into(),
        departments: contents.departments.into(),
    };
    let proposal = plugin.propose_bindings(&input).into_result().map_err(failed)?;
    let edits = edits(&proposal, complete, policy);
    let mut changes = dry_commit(plugin, &CommitInput { input, proposal, edits: edits.into() }).map_err(failed)?;
    for removal in changes.remove_bindings.iter_mut() {
        removal.disable_account = policy.on_leave == OnLeave::Disable;
    }
    let held_back = if complete { "" } else { "（读取不完整：本次不解除任何绑定）" };
    let held_back_en = if complete { "" } else { " (incomplete read: no binding is removed this time)" };
    if is_empty(&changes) {
        let reason = Text::new(
            format!("与企业微信一致，无需变更{held_back}。"),
            format!("In step with WeCom; nothing to change{held_back_en}."),
        );
        return Ok((changes, reason));
    }
    let s = changes.summary;
    let reason = Text::new(
        format!(
            "核对：新建账号 {} 个，解除绑定 {} 个，部门变更 {} 个{held_back}。",
            s.accounts_created, s.bindings_removed, s.department_changes
        ),
        format!(
            "Reconcile: {} accounts created, {} bindings removed, {} department changes{held_back_en}.",
            s.accounts_created, s.bindings_removed, s.department_changes
        ),
    );
    Ok((changes, reason))
}

fn is_empty(c: &ChangeSet) -> bool {
    c.departments.is_empty()
        && c.create_accounts.is_empty()
        && c.create_bindings.is_empty()
        && c.remove_bindings.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use interface::{Candidate, MemberStatus, ProposalRow};

    fn row(userid: &str, kind: RowKind) -> ProposalRow {
        ProposalRow {
            userid: userid.into(),
            member_name: userid.into(),
            member_departments: Default::default(),
            member_status: MemberStatus::Active,
            kind,
            account: None.into(),
            candidates: Default::default(),
            label: Text::default(),
            reason: Text::default(),
        }
    }

    fn candidate() -> Candidate {
        Candidate {
            account_id: "u-1".into(),
            account_name: "leaver".into(),
            departments: Default::default(),
            department_agrees: false,
        }
    }

    fn proposal() -> Proposal {
        Proposal {
            rows: vec![
                row("bound", RowKind::AlreadyBound),
                row("namesake", RowKind::NameMatch),
                row("twins", RowKind::Ambiguous),
                row("newbie", RowKind::NoMatch),
                ProposalRow { account: Some(candidate()).into(), ..row("leaver", RowKind::LeftWecom) },
                row("never-bound", RowKind::LeftWecom),
            ]
            .into(),
            ..Default::default()
        }
    }

    fn kinds(edits: &[Edit]) -> Vec<(&str, EditKind)> {
        edits.iter().map(|e| (e.userid.as_str(), e.kind)).collect()
    }

    #[test]
    fn leavers_are_removed_only_from_a_complete_read() {
        let all = edits(&proposal(), true, Policy::default());
        assert_eq!(kinds(&all), [("namesake", EditKind::Skip), ("leaver", EditKind::ConfirmRemoval)]);
        let partial = edits(&proposal(), false, Policy::default());
        assert_eq!(kinds(&partial), [("namesake", EditKind::Skip)], "no removal from an incomplete read");
    }

    #[test]
    fn new_members_follow_the_policy() {
        let policy = Policy { new_members: NewMembers::Ignore, ..Policy::default() };
        let edits = edits(&proposal(), true, policy);
        assert!(kinds(&edits).contains(&("newbie", EditKind::Skip)));
    }
}
