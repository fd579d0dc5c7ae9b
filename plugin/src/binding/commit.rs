//! Commit: the operator's edits applied to the proposal, checked, and turned into one change set
//! the host applies in a single transaction.
//!
//! Nothing the operator did not see is applied: the proposal must come from the current snapshot
//! and platform state, and its rows must be exactly the rows that state yields (they are
//! recomputed, never trusted). Every edit is checked before anything is decided, and the final
//! pairing is checked to be one to one, so a refused commit names the row to fix and changes
//! nothing.
//!
//! What each row does, with and without an edit:
//!
//! | row           | no edit            | Bind(a)                   | Unbind                    | Skip     | ConfirmRemoval   |
//! |---------------|--------------------|---------------------------|---------------------------|----------|------------------|
//! | already bound | nothing            | old binding off, bind `a` | old binding off, new acct | nothing  | refused          |
//! | name match    | bind proposed      | bind `a`                  | new account               | left out | refused          |
//! | ambiguous     | left out (skipped) | bind `a`                  | new account               | left out | refused          |
//! | no match      | new account        | bind `a`                  | new account               | left out | refused          |
//! | left WeCom    | nothing            | refused                   | refused                   | nothing  | unbind + disable |
//! | depts differ  | left out (skipped) | bind `a`                  | new account               | left out | refused          |
//! | rename        | left out (waits)   | bind `a`                  | new account               | left out | refused          |
//!
//! `ConfirmRename` on a rename row moves the old binding to the new userid (evidence `rename`);
//! on any other row it is refused. A bind records the edit's evidence (`operator`, or `imported`
//! for a mapping file); a proposed name match records `name` or `name_department`; a new account
//! `created`.
//!
//! Binding to the account a row is already bound to is accepted and changes nothing. Removals
//! come before creations in the change set's meaning (the host applies them first), so two bound
//! members can swap accounts in one commit.

use super::departments::{department_changes, in_scope};
use super::error::{BindingError, StalePart};
use super::fingerprint::host_state_id;
use super::maps::{map, Map};
use super::propose::{current_sources, Source};
use super::userids::userid_key;
use interface::{
    Binding, ChangeSet, CommitInput, CommitSummary, EditKind, Evidence, NewAccount, PlatformAccount, ProposalRow,
    RemovalGuard, RowKind, Text, Unbinding,
};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// What the operator decided for one row.
#[derive(Clone, Copy)]
enum Decision<'a> {
    Bind(&'a str, Evidence),
    /// Bind to the account the row is already bound to.
    Keep,
    Unbind,
    Skip,
    ConfirmRemoval,
    ConfirmRename,
}

/// Validates the edits against the current state and builds the change set.
pub fn build_change_set(input: &CommitInput) -> Result<ChangeSet, BindingError> {
    let state = &input.input;
    let snapshot = &state.snapshot;
    if input.proposal.snapshot_id != snapshot.snapshot_id {
        return Err(BindingError::Stale { part: StalePart::Snapshot });
    }
    if input.proposal.host_state_id.as_str() != host_state_id(state) {
        return Err(BindingError::Stale { part: StalePart::HostState });
    }
    let rows = input.proposal.rows.as_slice();
    let Some(sources) = current_sources(state, rows) else {
        return Err(BindingError::Stale { part: StalePart::Rows });
    };

    let mut row_by_user: Map<Cow<'_, str>, usize> = map(rows.len());
    row_by_user.extend(rows.iter().enumerate().map(|(i, r)| (userid_key(r.userid.as_str()), i)));
    let decisions = validate_edits(input, rows, &sources, &row_by_user)?;
    let syncs_departments = snapshot.syncs_departments;
    let scope = in_scope(snapshot);

    // Pairs members declined at login since the table was made: a name match on one is left for
    // the operator, never bound by the commit (see `ext_keys::DECLINED_PAIRS`).
    let declined_pairs = state.declined_pairs();
    let declined: HashSet<(Cow<'_, str>, &str)> =
        declined_pairs.iter().map(|(u, a)| (userid_key(u), a.as_str())).collect();
    let mut skipped = 0u64;
    let mut new_bindings: Vec<(usize, &str, Evidence)> = Vec::new();
    let mut new_accounts: Vec<usize> = Vec::new();
    let mut removals: Vec<(usize, bool)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let decision = decisions.get(i).copied().flatten();
        let binding = sources[i].binding;
        match (row.kind, decision) {
            (RowKind::AlreadyBound | RowKind::LeftWecom, None | Some(Decision::Keep | Decision::Skip)) => {}
            (_, Some(Decision::Skip)) => skipped += 1,
            (RowKind::AlreadyBound, Some(Decision::Bind(account, evidence))) => {
                if binding.is_some() {
                    removals.push((i, false));
                }
                new_bindings.push((i, account, evidence));
            }
            (RowKind::AlreadyBound, Some(Decision::Unbind)) => {
                if binding.is_some() {
                    removals.push((i, false));
                }
                new_accounts.push(i);
            }
            (RowKind::NameMatch, None) => match row.account.as_ref().into_option() {
                Some(c) if declined.contains(&(userid_key(row.userid.as_str()), c.account_id.as_str())) => skipped += 1,
                Some(c) => new_bindings.push((i, c.account_id.as_str(), row.evidence)),
                // A name match always carries its account; without one there is nothing to bind.
                None => skipped += 1,
            },
            (RowKind::RenameProposed, Some(Decision::ConfirmRename)) => {
                if let (Some(c), Some(b)) = (row.account.as_ref().into_option(), binding) {
                    removals.push((i, false));
                    new_bindings.push((i, c.account_id.as_str(), super::evidence::after_rename(b.evidence)));
                }
            }
            // An accepted name match (`decide --accept`) the member declined since: skipped, as
            // without the edit. Only an operator's own bind pairs a declined account.
            (_, Some(Decision::Bind(account, Evidence::Name | Evidence::NameDepartment)))
                if declined.contains(&(userid_key(row.userid.as_str()), account)) =>
            {
                skipped += 1
            }
            (_, Some(Decision::Bind(account, evidence))) => new_bindings.push((i, account, evidence)),
            (RowKind::NameMatch | RowKind::Ambiguous | RowKind::NoMatch, Some(Decision::Unbind))
            | (
                RowKind::NameMatchDepartmentsDiffer | RowKind::RenameProposed | RowKind::NameSpacingDiffers,
                Some(Decision::Unbind),
            )
            | (RowKind::NoMatch, None) => new_accounts.push(i),
            (RowKind::LeftWecom, Some(Decision::ConfirmRemoval)) => {
                if binding.is_some() {
                    removals.push((i, true));
                }
            }
            // Waiting rows without a decision (ambiguous, departments differ, rename, names differing
            // only by spacing) are left out.
            (_, None) => skipped += 1,
            // Refused during validation; nothing to do if they were not.
            (_, Some(Decision::Keep | Decision::Unbind | Decision::ConfirmRemoval | Decision::ConfirmRename)) => {}
        }
    }

    check_one_to_one(input, rows, &sources, &row_by_user, &decisions, &new_bindings, &removals)?;

    let create_bindings: Vec<Binding> = new_bindings
        .iter()
        .map(|&(i, account, evidence)| Binding { userid: rows[i].userid.clone(), account_id: account.into(), evidence })
        .collect();
    let create_accounts: Vec<NewAccount> = new_accounts
        .iter()
        .map(|&i| {
            let row = &rows[i];
            let (departments, department_wecom_ids) = match sources[i].member {
                // Only departments the platform mirrors: the member may also sit in departments
                // outside the chosen scope.
                Some(m) if syncs_departments => {
                    m.department_ids.iter().filter_map(|id| scope.get(id).map(|d| (d.name.clone(), d.id))).unzip()
                }
                _ => (Vec::new(), Vec::new()),
            };
            NewAccount {
                userid: row.userid.clone(),
                name: row.member_name.clone(),
                departments: departments.into(),
                department_wecom_ids: department_wecom_ids.into(),
            }
        })
        .collect();
    let remove_bindings: Vec<Unbinding> = removals
        .iter()
        .filter_map(|&(i, disable_account)| {
            // The host's own spelling of the binding, so it finds the record it stores.
            sources[i].binding.map(|b| Unbinding {
                userid: b.userid.clone(),
                account_id: b.account_id.clone(),
                disable_account,
                reason: removal_reason(rows[i].kind, disable_account),
            })
        })
        .collect();
    let departments = department_changes(snapshot, &state.departments);

    let summary = CommitSummary {
        wecom_users_synced: snapshot.members.len() as u64,
        bindings_made: create_bindings.len() as u64,
        accounts_created: create_accounts.len() as u64,
        skipped,
        bindings_removed: remove_bindings.len() as u64,
        department_changes: departments.len() as u64,
        accounts_disabled: remove_bindings.iter().filter(|u| u.disable_account).count() as u64,
        bindings_updated: 0,
    };
    let changes = ChangeSet {
        snapshot_id: snapshot.snapshot_id.clone(),
        departments: departments.into(),
        create_accounts: create_accounts.into(),
        create_bindings: create_bindings.into(),
        remove_bindings: remove_bindings.into(),
        summary,
        ext: Default::default(),
    };
    check_removals(&changes, state.bindings.len() as u64, input.removal_guard)?;
    Ok(changes)
}

/// Why a binding is removed, for the audit trail.
fn removal_reason(kind: RowKind, disable: bool) -> Text {
    match (kind, disable) {
        (RowKind::LeftWecom, true) => Text::new(
            "成员已离开企业微信或不在同步范围内：管理员确认解绑并停用账号",
            "the member left WeCom or the synced scope: the operator confirmed unbinding and disabling the account",
        ),
        (RowKind::RenameProposed, _) => Text::new(
            "成员账号改名：绑定转移到新账号（管理员确认）",
            "userid renamed: the binding moves to the new userid (confirmed by the operator)",
        ),
        _ => Text::new("管理员改绑或解绑", "the operator rebound or unbound the member"),
    }
}

/// The mass-removal safeguard: pure removals (a userid that keeps no binding) and disabled
/// accounts count; above the limit, nothing is applied unless the operator confirmed the exact
/// count.
pub fn check_removals(changes: &ChangeSet, bindings: u64, guard: RemovalGuard) -> Result<(), BindingError> {
    let rebound: std::collections::HashSet<Cow<'_, str>> =
        changes.create_bindings.iter().map(|b| userid_key(b.userid.as_str())).collect();
    let count = changes
        .remove_bindings
        .iter()
        .filter(|u| u.disable_account || !rebound.contains(&userid_key(u.userid.as_str())))
        .count() as u64;
    let limit = removal_limit(bindings, guard);
    if count > limit && guard.confirmed_removals != count {
        return Err(BindingError::MassRemoval { count, limit, bindings });
    }
    Ok(())
}

/// The most removals allowed without confirmation: `max_removals` when set, else 10 % of the
/// current bindings but never fewer than 19 (the safeguard starts at 20 removals).
pub fn removal_limit(bindings: u64, guard: RemovalGuard) -> u64 {
    if guard.max_removals > 0 {
        guard.max_removals
    } else {
        (bindings / 10).max(19)
    }
}

/// Checks every edit on its own, in the order given, and returns one decision per row.
fn validate_edits<'a>(
    input: &'a CommitInput,
    rows: &[ProposalRow],
    sources: &[Source<'_>],
    row_by_user: &Map<Cow<'_, str>, usize>,
) -> Result<Vec<Option<Decision<'a>>>, BindingError> {
    let mut account_by_id: Map<&str, &PlatformAccount> = map(input.input.accounts.len());
    for a in input.input.accounts.iter() {
        account_by_id.entry(a.id.as_str()).or_insert(a);
    }
    let mut decisions: Vec<Option<Decision<'a>>> = vec![None; rows.len()];
    for edit in input.edits.iter() {
        let userid = edit.userid.as_str();
        let Some(&i) = row_by_user.get(userid_key(userid).as_ref()) else {
            return Err(BindingError::UnknownRow { userid: userid.into() });
        };
        if decisions[i].is_some() {
            return Err(BindingError::DuplicateEdit { userid: userid.into() });
        }
        let row = &rows[i];
        let decision = match edit.kind {
            EditKind::Bind => {
                let account = edit.account_id.as_ref().into_option().map(|a| a.as_str()).unwrap_or_default();
                if account.is_empty() {
                    return Err(BindingError::MissingAccount { userid: userid.into() });
                }
                if row.kind == RowKind::LeftWecom {
                    return Err(BindingError::MemberInactive { userid: userid.into() });
                }
                if sources[i].binding.is_some_and(|b| b.account_id.as_str() == account) {
                    Decision::Keep
                } else {
                    match account_by_id.get(account) {
                        None => {
                            return Err(BindingError::UnknownAccount {
                                userid: userid.into(),
                                account_id: account.into(),
                            })
                        }
                        Some(a) if !a.enabled => {
                            return Err(BindingError::AccountDisabled {
                                userid: userid.into(),
                                account_id: account.into(),
                            })
                        }
                        // Accepting a row's proposed name match (`decide --accept`) keeps its
                        // provisional evidence, so a bulk accept never lets anyone sign in on a
                        // name alone: only the row's own account and evidence are accepted.
                        Some(_)
                            if matches!(edit.evidence, Evidence::Name | Evidence::NameDepartment)
                                && matches!(row.kind, RowKind::NameMatch | RowKind::NameMatchDepartmentsDiffer)
                                && edit.evidence == row.evidence
                                && row
                                    .account
                                    .as_ref()
                                    .into_option()
                                    .is_some_and(|c| c.account_id.as_str() == account) =>
                        {
                            Decision::Bind(account, edit.evidence)
                        }
                        Some(_) if !matches!(edit.evidence, Evidence::Operator | Evidence::Imported) => {
                            return Err(BindingError::EvidenceRefused { userid: userid.into() })
                        }
                        Some(_) => Decision::Bind(account, edit.evidence),
                    }
                }
            }
            EditKind::Unbind => {
                if row.kind == RowKind::LeftWecom {
                    return Err(BindingError::MemberInactive { userid: userid.into() });
                }
                Decision::Unbind
            }
            EditKind::Skip => Decision::Skip,
            EditKind::ConfirmRename => {
                if row.kind != RowKind::RenameProposed || sources[i].binding.is_none() {
                    return Err(BindingError::NotARename { userid: userid.into() });
                }
                Decision::ConfirmRename
            }
            EditKind::ConfirmRemoval => {
                // A member missing from a partial read may just not have been read.
                if !input.input.snapshot.complete {
                    return Err(BindingError::IncompleteSnapshot { userid: userid.into() });
                }
                if row.kind != RowKind::LeftWecom || sources[i].binding.is_none() {
                    return Err(BindingError::NotRemovable { userid: userid.into() });
                }
                Decision::ConfirmRemoval
            }
            _ => return Err(BindingError::EditUnknown { userid: userid.into() }),
        };
        decisions[i] = Some(decision);
    }
    Ok(decisions)
}

/// The final pairing must be one to one: no account may end up with two members, counting the
/// existing bindings that stay. Proposed pairs are placed first and the operator's binds after,
/// in edit order, so a conflict is reported on the row the operator edited.
fn check_one_to_one(
    input: &CommitInput,
    rows: &[ProposalRow],
    sources: &[Source<'_>],
    row_by_user: &Map<Cow<'_, str>, usize>,
    decisions: &[Option<Decision<'_>>],
    new_bindings: &[(usize, &str, Evidence)],
    removals: &[(usize, bool)],
) -> Result<(), BindingError> {
    let mut removed: HashSet<(Cow<'_, str>, &str)> = HashSet::new();
    let mut disabled_by: HashMap<&str, usize> = HashMap::new();
    for &(i, disable) in removals {
        if let Some(b) = sources[i].binding {
            removed.insert((userid_key(b.userid.as_str()), b.account_id.as_str()));
            if disable {
                disabled_by.insert(b.account_id.as_str(), i);
            }
        }
    }
    // Owner of each account after the removals, by the owner's userid as spelled.
    let mut owner: Map<&str, &str> = map(input.input.bindings.len());
    for b in input.input.bindings.iter() {
        if !removed.contains(&(userid_key(b.userid.as_str()), b.account_id.as_str())) {
            owner.entry(b.account_id.as_str()).or_insert(b.userid.as_str());
        }
    }

    let edit_rank: HashMap<usize, usize> = input
        .edits
        .iter()
        .enumerate()
        .filter_map(|(rank, e)| row_by_user.get(userid_key(e.userid.as_str()).as_ref()).map(|&i| (i, rank)))
        .collect();
    let mut ordered: Vec<(usize, &str)> = new_bindings.iter().map(|&(i, account, _)| (i, account)).collect();
    ordered.sort_by_key(|&(i, _)| match decisions.get(i).copied().flatten() {
        Some(Decision::Bind(..)) => (1, edit_rank.get(&i).copied().unwrap_or(0), i),
        _ => (0, 0, i),
    });

    for (i, account) in ordered {
        let userid = rows[i].userid.as_str();
        if let Some(&from) = disabled_by.get(account) {
            return Err(BindingError::AccountBeingDisabled {
                userid: userid.into(),
                account_id: account.into(),
                removed_from: rows[from].userid.to_string(),
            });
        }
        match owner.get(account) {
            Some(other) if userid_key(other) != userid_key(userid) => {
                return Err(BindingError::AccountTaken {
                    userid: userid.into(),
                    account_id: account.into(),
                    other_userid: (*other).into(),
                });
            }
            _ => {
                owner.insert(account, userid);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::propose;
    use crate::binding::testkit::kinds::*;
    use crate::binding::testkit::*;
    use interface::{MemberStatus, ProposalInput};

    fn commit(i: &ProposalInput, edits: Vec<interface::Edit>) -> Result<ChangeSet, BindingError> {
        build_change_set(&commit_input(i, &propose(i), edits))
    }

    fn bindings(c: &ChangeSet) -> Vec<(String, String)> {
        c.create_bindings.iter().map(|b| (b.userid.to_string(), b.account_id.to_string())).collect()
    }

    fn new_accounts(c: &ChangeSet) -> Vec<String> {
        c.create_accounts.iter().map(|a| a.userid.to_string()).collect()
    }

    fn removals(c: &ChangeSet) -> Vec<(String, String, bool)> {
        c.remove_bindings.iter().map(|u| (u.userid.to_string(), u.account_id.to_string(), u.disable_account)).collect()
    }

    #[test]
    fn a_pair_declined_after_the_table_was_made_is_not_bound() {
        let mut i = input(vec![member("wxk", "王晓楷", &[])], vec![account("a1", "王晓楷", &[])], vec![]);
        let table = propose(&i);
        i.set_declined_pairs(&[("WXK".into(), "a1".into())]);
        let c = build_change_set(&commit_input(&i, &table, vec![])).expect("commit");
        assert!(bindings(&c).is_empty() && new_accounts(&c).is_empty());
        assert_eq!(c.summary.skipped, 1);
        // The operator may still bind it: a person decided.
        let c = build_change_set(&commit_input(&i, &table, vec![edit(Bind, "wxk", Some("a1"))])).expect("bind");
        assert_eq!(bindings(&c), [("wxk".to_string(), "a1".to_string())]);
    }

    /// A table made after a member declined an account is the table commit recognises: the
    /// declined pair is withheld in both, so the commit is applied, not refused as stale.
    #[test]
    fn a_table_made_after_a_decline_commits() {
        let mut i = input(
            vec![member("wxk", "王晓楷", &[]), member("zx1", "张旭", &["研发"]), member("zx2", "张旭", &["市场"])],
            vec![account("a1", "王晓楷", &[]), account("b1", "张旭", &[]), account("b2", "张旭", &[])],
            vec![],
        );
        i.set_declined_pairs(&[("WXK".into(), "a1".into()), ("zx1".into(), "b2".into())]);
        let table = propose(&i);
        assert_eq!(kind_of(&table, "wxk"), Ambiguous);
        let c = build_change_set(&commit_input(&i, &table, vec![])).expect("the table commit recognises");
        assert!(bindings(&c).is_empty());
        assert_eq!(c.summary.skipped, 3);
        let c = build_change_set(&commit_input(&i, &table, vec![edit(Bind, "zx1", Some("b1"))])).expect("bind");
        assert_eq!(bindings(&c), [("zx1".to_string(), "b1".to_string())]);
    }

    /// A bulk accept of a name match (`decide --accept`, the row's own provisional evidence) the
    /// member declined after the table was made is skipped like the match itself; an operator's
    /// own bind of that account still goes through.
    #[test]
    fn an_accepted_name_match_declined_since_is_not_bound() {
        let mut i = input(vec![member("wxk", "王晓楷", &[])], vec![account("a1", "王晓楷", &[])], vec![]);
        let table = propose(&i);
        i.set_declined_pairs(&[("wxk".into(), "a1".into())]);
        let mut accept = edit(Bind, "wxk", Some("a1"));
        accept.evidence = row(&table, "wxk").evidence;
        assert_eq!(accept.evidence, interface::Evidence::Name);
        let c = build_change_set(&commit_input(&i, &table, vec![accept])).expect("commit");
        assert!(bindings(&c).is_empty(), "{:?}", bindings(&c));
        assert_eq!(c.summary.skipped, 1);
    }

    /// A table made between two of a member's declines is recognised (it holds the first, not the
    /// second), and one made before or after both.
    #[test]
    fn a_table_made_between_two_declines_commits() {
        let members = (0..12).map(|n| member(&format!("zw{n:02}"), "张伟", &[])).collect();
        let accounts = (0..12).map(|n| account(&format!("a{n:02}"), "张伟", &[])).collect();
        let mut i = input(members, accounts, vec![]);
        let before = propose(&i);
        i.set_declined_pairs(&[("zw00".into(), "a00".into())]);
        let between = propose(&i);
        i.ext = Default::default();
        i.set_declined_pairs(&[("zw00".into(), "a00".into()), ("zw00".into(), "a01".into())]);
        let after = propose(&i);
        for table in [&before, &between, &after] {
            let c = build_change_set(&commit_input(&i, table, vec![])).expect("recognised");
            assert!(bindings(&c).is_empty());
        }
        // A table for declines the host never recorded is not this state's.
        let mut other = i.clone();
        other.ext = Default::default();
        other.set_declined_pairs(&[("zw00".into(), "a01".into())]);
        let foreign = propose(&other);
        assert!(matches!(
            build_change_set(&commit_input(&i, &foreign, vec![])),
            Err(BindingError::Stale { part: StalePart::Rows })
        ));
    }

    /// The operator may bind an account the row did not list (a name with more accounts than a row
    /// lists): the listing narrows what is shown and offered, never what a person may decide.
    #[test]
    fn the_operator_binds_an_account_the_row_did_not_list() {
        let members = (0..15).map(|n| member(&format!("zw{n:02}"), "张伟", &[])).collect();
        let accounts = (0..15).map(|n| account(&format!("a{n:02}"), "张伟", &[])).collect();
        let i = input(members, accounts, vec![]);
        let table = propose(&i);
        let listed = &table.rows.iter().find(|r| r.userid.as_str() == "zw00").expect("row").candidates;
        assert!(listed.iter().all(|c| c.account_id.as_str() != "a14"), "a14 is beyond the list");
        let c = build_change_set(&commit_input(&i, &table, vec![edit(Bind, "zw00", Some("a14"))])).expect("bind");
        assert_eq!(bindings(&c), [("zw00".to_string(), "a14".to_string())]);
    }

    #[test]
    fn a_spacing_variant_is_never_bound_or_replaced_by_commit_alone() {
        let i = input(vec![member("wxk", "王晓楷", &[])], vec![account("a1", "王 晓楷", &[])], vec![]);
        let c = commit(&i, vec![]).expect("commit");
        assert!(bindings(&c).is_empty(), "a spacing variant is a candidate, never bound by commit");
        assert!(new_accounts(&c).is_empty(), "the member waits to claim it: no new account either");
        assert_eq!(c.summary.skipped, 1);
        // The operator may bind it (a person decided), or unbind the row for a new account.
        let c = commit(&i, vec![edit(Bind, "wxk", Some("a1"))]).expect("operator bind");
        assert_eq!(bindings(&c), [("wxk".to_string(), "a1".to_string())]);
        assert_eq!(c.create_bindings[0].evidence, interface::Evidence::Operator);
        let c = commit(&i, vec![edit(Unbind, "wxk", None)]).expect("unbind");
        assert_eq!(new_accounts(&c), ["wxk"]);
    }

    /// Every row kind at once: bound, name match, ambiguous, no match, left (bound), left (unbound),
    /// gone from the snapshot.
    fn population() -> ProposalInput {
        input(
            vec![
                member("bound", "甲", &[]),
                member("nm", "乙", &[]),
                member("amb", "丙", &[]),
                member("new", "丁", &[]),
                with_status(member("left", "戊", &[]), MemberStatus::Left),
                with_status(member("off", "己", &[]), MemberStatus::Disabled),
            ],
            vec![
                account("b", "甲", &[]),
                account("n", "乙", &[]),
                account("c1", "丙", &[]),
                account("c2", "丙", &[]),
                account("l", "戊", &[]),
                account("g", "庚", &[]),
                account("spare", "辛", &[]),
                disabled(account("dis", "壬", &[])),
            ],
            vec![bind("bound", "b"), bind("left", "l"), bind("gone", "g")],
        )
    }

    #[test]
    fn no_edits() {
        let c = commit(&population(), vec![]).expect("commit");
        assert_eq!(bindings(&c), [("nm".to_string(), "n".to_string())]);
        assert_eq!(new_accounts(&c), ["new"]);
        assert!(c.remove_bindings.is_empty(), "removals need the operator's confirmation");
        assert!(c.departments.is_empty());
        assert_eq!(
            c.summary,
            CommitSummary {
                wecom_users_synced: 6,
                bindings_made: 1,
                accounts_created: 1,
                skipped: 1,
                bindings_removed: 0,
                department_changes: 0,
                accounts_disabled: 0,
                bindings_updated: 0,
            }
        );
        assert_eq!(c.snapshot_id.as_str(), "snap-1");
        let a = &c.create_accounts[0];
        assert_eq!(a.name.as_str(), "丁");
        assert!(a.departments.is_empty() && a.department_wecom_ids.is_empty());
    }

    #[test]
    fn edits_applied() {
        let c = commit(
            &population(),
            vec![
                edit(Bind, "amb", Some("c2")),
                edit(Unbind, "nm", None),
                edit(Skip, "new", None),
                edit(ConfirmRemoval, "left", None),
                edit(ConfirmRemoval, "GONE", None), // userids are case-insensitive
                edit(Bind, "bound", Some("spare")),
            ],
        )
        .expect("commit");
        assert_eq!(bindings(&c), [("bound".to_string(), "spare".to_string()), ("amb".to_string(), "c2".to_string())]);
        assert_eq!(new_accounts(&c), ["nm"]);
        assert_eq!(
            removals(&c),
            [
                ("bound".to_string(), "b".to_string(), false),
                ("gone".to_string(), "g".to_string(), true),
                ("left".to_string(), "l".to_string(), true),
            ]
        );
        assert_eq!((c.summary.skipped, c.summary.bindings_removed, c.summary.bindings_made), (1, 3, 2));
    }

    #[test]
    fn unbind_already_bound_creates_a_new_account_and_removes_the_binding() {
        let c = commit(&population(), vec![edit(Unbind, "bound", None)]).expect("commit");
        assert_eq!(new_accounts(&c), ["bound", "new"]);
        assert_eq!(removals(&c), [("bound".to_string(), "b".to_string(), false)]);
    }

    #[test]
    fn bind_to_current_account_is_a_no_op_even_if_disabled() {
        let i =
            input(vec![member("zs", "张三", &[])], vec![disabled(account("a1", "张三", &[]))], vec![bind("zs", "a1")]);
        let c = commit(&i, vec![edit(Bind, "zs", Some("a1"))]).expect("commit");
        assert!(c.create_bindings.is_empty() && c.remove_bindings.is_empty() && c.create_accounts.is_empty());
    }

    #[test]
    fn swap_two_bound_members() {
        let i = input(
            vec![member("x", "甲", &[]), member("y", "乙", &[])],
            vec![account("ax", "甲", &[]), account("ay", "乙", &[])],
            vec![bind("x", "ax"), bind("y", "ay")],
        );
        let c = commit(&i, vec![edit(Bind, "x", Some("ay")), edit(Bind, "y", Some("ax"))]).expect("swap");
        assert_eq!(removals(&c).len(), 2);
        assert_eq!(bindings(&c).len(), 2);
    }

    #[test]
    fn rejected_edits_name_the_row() {
        let mut incomplete = population();
        incomplete.snapshot.complete = false;
        let cases: Vec<(ProposalInput, Vec<interface::Edit>, &str, &str)> = vec![
            (population(), vec![edit(Skip, "nobody", None)], "binding.unknown_row", "nobody"),
            (population(), vec![edit(Bind, "amb", None)], "binding.missing_account", "amb"),
            (population(), vec![edit(Bind, "amb", Some(""))], "binding.missing_account", "amb"),
            (population(), vec![edit(Bind, "amb", Some("zzz"))], "binding.unknown_account", "amb"),
            (population(), vec![edit(Bind, "amb", Some("dis"))], "binding.account_disabled", "amb"),
            (
                population(),
                vec![edit(Skip, "amb", None), edit(Bind, "AMB", Some("c1"))],
                "binding.duplicate_edit",
                "AMB",
            ),
            (population(), vec![edit(ConfirmRemoval, "nm", None)], "binding.not_removable", "nm"),
            (population(), vec![edit(ConfirmRemoval, "off", None)], "binding.not_removable", "off"),
            (incomplete, vec![edit(ConfirmRemoval, "left", None)], "binding.incomplete_snapshot", "left"),
            (population(), vec![edit(Bind, "left", Some("spare"))], "binding.member_inactive", "left"),
            (population(), vec![edit(Unbind, "gone", None)], "binding.member_inactive", "gone"),
            // Account held by an existing binding that stays.
            (population(), vec![edit(Bind, "amb", Some("b"))], "binding.account_taken", "amb"),
            // Account proposed for another member by name.
            (population(), vec![edit(Bind, "amb", Some("n"))], "binding.account_taken", "amb"),
            // Two edits for one account.
            (
                population(),
                vec![edit(Bind, "amb", Some("spare")), edit(Bind, "new", Some("spare"))],
                "binding.account_taken",
                "new",
            ),
            // The account is disabled by a removal confirmed in the same commit.
            (
                population(),
                vec![edit(ConfirmRemoval, "left", None), edit(Bind, "amb", Some("l"))],
                "binding.account_being_disabled",
                "amb",
            ),
        ];
        for (i, edits, code, userid) in cases {
            let what = format!("{edits:?}");
            let e = match commit(&i, edits) {
                Err(e) => e,
                Ok(c) => panic!("{what} accepted: {c:?}"),
            };
            assert_eq!(e.code(), code, "{what}");
            assert_eq!(e.row(), Some(userid), "{what}");
            assert!(e.message_zh().contains(userid) && e.message_en().contains(userid), "{what}: {e}");
            assert!(!e.fix_zh().is_empty() && !e.fix_en().is_empty());
            let pe = e.to_plugin_error();
            assert_eq!(pe.code.as_str(), code);
            assert_eq!(pe.field.as_ref().into_option().map(|f| f.as_str()), Some(userid));
        }
    }

    #[test]
    fn account_taken_names_both_members() {
        let e = commit(&population(), vec![edit(Bind, "amb", Some("b"))]).err();
        assert!(matches!(&e, Some(BindingError::AccountTaken { userid, other_userid, account_id })
            if userid == "amb" && other_userid == "bound" && account_id == "b"));
        // Freed by unbinding its member in the same commit, the account may be taken.
        let c = commit(&population(), vec![edit(Unbind, "bound", None), edit(Bind, "amb", Some("b"))]).expect("ok");
        assert!(bindings(&c).contains(&("amb".to_string(), "b".to_string())));
        // And an operator's bind wins over the name match once that is unbound.
        let c = commit(&population(), vec![edit(Unbind, "nm", None), edit(Bind, "amb", Some("n"))]).expect("ok");
        assert!(bindings(&c).contains(&("amb".to_string(), "n".to_string())));
    }

    #[test]
    fn stale_proposals_are_refused() {
        let i = population();
        let p = propose(&i);
        let mut newer_snapshot = i.clone();
        newer_snapshot.snapshot.snapshot_id = "snap-2".into();
        let mut new_binding = i.clone();
        new_binding.bindings.push(bind("nm", "n"));
        let mut altered = p.clone();
        altered.rows[0].kind = RowKind::NameMatch;
        let cases = [
            (commit_input(&newer_snapshot, &p, vec![]), StalePart::Snapshot),
            (commit_input(&new_binding, &p, vec![]), StalePart::HostState),
            (commit_input(&i, &altered, vec![]), StalePart::Rows),
        ];
        for (ci, part) in cases {
            let e = build_change_set(&ci).err();
            assert_eq!(e, Some(BindingError::Stale { part }));
            let e = BindingError::Stale { part };
            assert_eq!((e.code(), e.row()), ("binding.stale", None));
        }
    }

    #[test]
    fn operator_resolves_two_members_for_one_account() {
        let i = input(
            vec![member("zs1", "张三", &[]), member("zs2", "张三", &[])],
            vec![account("a1", "张三", &[])],
            vec![],
        );
        let c = commit(&i, vec![edit(Bind, "zs2", Some("a1")), edit(Unbind, "zs1", None)]).expect("resolved");
        assert_eq!(bindings(&c), [("zs2".to_string(), "a1".to_string())]);
        assert_eq!(new_accounts(&c), ["zs1"]);
        assert_eq!(c.summary.skipped, 0);
        let e = commit(&i, vec![edit(Bind, "zs1", Some("a1")), edit(Bind, "zs2", Some("a1"))]).err();
        assert!(matches!(e, Some(BindingError::AccountTaken { userid, other_userid, .. })
            if userid == "zs2" && other_userid == "zs1"));
    }
}
