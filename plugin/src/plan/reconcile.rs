//! The reconcile: callbacks can be lost (the URL was down, WeCom gave up after three tries, an
//! event type never reaches a self-built app), so the host reads the whole synced scope now and
//! then, and this compares it with the state through the same rules as the operator's sync and
//! commit, with the operator's edits chosen by the policy ([`edits`]):
//!
//! - a member who left, is disabled, or is gone from a **complete** snapshot: removal confirmed
//!   (no removal is proposed from an incomplete one, and none is confirmed then);
//! - a member without an account: a new account when the policy creates them, else left out;
//! - a name match (with or without agreeing departments), an ambiguous row, a probable rename:
//!   left to the operator, since binding by name without a person could hand one person's account
//!   to a namesake;
//! - bound members: nothing.
//!
//! It keeps an existing sync in step and never performs the first one: with no binding at all
//! it does nothing.

use crate::binding::{build_change_set, propose};
use interface::{
    ChangeKind, CommitInput, DirectorySnapshot, Edit, EditKind, EventPlan, NewMembers, OnLeave, Plan, PlanInput,
    PlanVerdict, PluginError, Proposal, ProposalInput, RowKind, Text,
};

/// Plans the reconcile for a full read.
pub(super) fn plan(input: &PlanInput, snapshot: &DirectorySnapshot) -> Result<Plan, PluginError> {
    if input.bindings.is_empty() {
        return Ok(one(
            PlanVerdict::Ignore,
            Text::new(
                "尚无任何绑定：首次同步由管理员完成，核对不代劳。",
                "No binding yet: the first sync is the operator's; the reconcile does not do it.",
            ),
            Default::default(),
        ));
    }
    let mut state = ProposalInput {
        snapshot: snapshot.clone(),
        accounts: input.accounts.clone(),
        bindings: input.bindings.clone(),
        departments: input.departments.clone(),
        ext: Default::default(),
    };
    // A pair a member declined at login is never proposed, so never bound by the reconcile.
    state.set_declined_pairs(&input.declined_pairs());
    let proposal = propose(&state);
    let edits = edits(&proposal, snapshot.complete, input);
    let commit = CommitInput {
        input: state,
        proposal,
        edits: edits.into(),
        // The plan is checked against the safeguard as a whole by the caller.
        removal_guard: interface::RemovalGuard { max_removals: u64::MAX, confirmed_removals: 0 },
        ext: Default::default(),
    };
    let mut changes = build_change_set(&commit).map_err(|e| e.to_plugin_error())?;
    // Departments the changes applied during the read name are left as the state has them too.
    let newer_departments: std::collections::HashSet<u32> = input
        .changes
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted
            )
        })
        .map(|c| c.department_id)
        .collect();
    if !newer_departments.is_empty() {
        changes.departments.retain(|d| !newer_departments.contains(&d.wecom_id));
        changes.summary.department_changes = changes.departments.len() as u64;
    }
    let disable = input.policy.on_leave == OnLeave::Disable;
    for removal in changes.remove_bindings.iter_mut() {
        removal.disable_account = disable;
    }
    changes.summary.accounts_disabled = changes.remove_bindings.iter().filter(|u| u.disable_account).count() as u64;
    let (held_zh, held_en) = if snapshot.complete {
        ("", "")
    } else {
        ("（读取不完整：本次不解除任何绑定）", " (incomplete read: no binding is removed this time)")
    };
    let s = changes.summary;
    let nothing = changes.departments.is_empty()
        && changes.create_accounts.is_empty()
        && changes.create_bindings.is_empty()
        && changes.remove_bindings.is_empty();
    let (verdict, reason) = if nothing {
        (
            PlanVerdict::Ignore,
            Text::new(
                format!("与企业微信一致，无需变更{held_zh}。"),
                format!("In step with WeCom; nothing to change{held_en}."),
            ),
        )
    } else {
        (
            PlanVerdict::Apply,
            Text::new(
                format!(
                    "核对：新建账号 {} 个，解除绑定 {} 个，部门变更 {} 个{held_zh}。",
                    s.accounts_created, s.bindings_removed, s.department_changes
                ),
                format!(
                    "Reconcile: {} accounts created, {} bindings removed, {} department changes{held_en}.",
                    s.accounts_created, s.bindings_removed, s.department_changes
                ),
            ),
        )
    };
    Ok(one(verdict, reason, changes))
}

/// The operator's edits the policy stands in for.
///
/// Members named by `input.changes` (what the host applied while the snapshot was read) are left
/// as the state has them: the read may predate their event, and a stale read must neither bring
/// back a leaver nor remove a newcomer.
pub(super) fn edits(proposal: &Proposal, complete: bool, input: &PlanInput) -> Vec<Edit> {
    let newer = newer_than_snapshot(input);
    proposal
        .rows
        .iter()
        .filter_map(|row| {
            if newer.contains(&row.userid.as_str().to_lowercase()) {
                return matches!(row.kind, RowKind::NoMatch | RowKind::NameMatch).then(|| Edit {
                    kind: EditKind::Skip,
                    userid: row.userid.clone(),
                    account_id: None.into(),
                    evidence: Default::default(),
                });
            }
            let kind = match row.kind {
                // A disabled member who was never bound is a left row too, with nothing to remove.
                RowKind::LeftWecom if complete && row.account.is_some() => EditKind::ConfirmRemoval,
                RowKind::NameMatch => EditKind::Skip,
                RowKind::NoMatch if input.policy.new_members != NewMembers::Create => EditKind::Skip,
                _ => return None,
            };
            Some(Edit { kind, userid: row.userid.clone(), account_id: None.into(), evidence: Default::default() })
        })
        .collect()
}

/// The members the changes applied during the read name (lower-cased userids, old and new).
fn newer_than_snapshot(input: &PlanInput) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for change in input.changes.iter() {
        for userid in [&change.userid, &change.new_userid] {
            if !userid.is_empty() {
                out.insert(userid.as_str().to_lowercase());
            }
        }
    }
    out
}

fn one(verdict: PlanVerdict, reason: Text, changes: interface::ChangeSet) -> Plan {
    let event = EventPlan {
        change_type: "reconcile".into(),
        dedup_key: Default::default(),
        subject: Default::default(),
        verdict,
        reason,
    };
    Plan { changes, events: vec![event].into(), needs_full_read: false, ext: Default::default() }
}
