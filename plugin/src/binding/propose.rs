//! The binding table: one row per WeCom member (plus one per bound member gone from a complete
//! snapshot), each saying what commit will do and why.
//!
//! Matching is by normalised name only, because WeCom gives a self-built app no phone or email.
//! A name is weak evidence, so a pair is proposed only when it is unique in both directions: one
//! enabled, unbound account for one eligible member. Everything else is shown as ambiguous and
//! left to the operator, except where departments single out exactly one pair (see [`solve`]).
//!
//! Row order: by kind (already bound, name match, ambiguous, no match, left WeCom), then by
//! normalised member name (code-point order, so same-named members sit together), then by userid
//! (case-insensitively, then as spelled). The key is unique per row, so the order is total and
//! the same input always gives the same rows — commit relies on that to recognise its proposal.
//!
//! Cost: one hash lookup per member and per account, plus sorting; the per-name work in [`solve`]
//! is linear in the size of that name's group per round.

use super::fingerprint::host_state_id;
use super::names::normalized;
use super::reasons::{self, BoundAccount};
use interface::{
    Binding, Candidate, Member, MemberStatus, PlatformAccount, Proposal, ProposalCounts, ProposalInput, ProposalRow,
    RowKind, Text,
};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Where a row came from, for commit (which needs the member's department ids and the host's
/// exact spelling of the binding it removes).
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub member: Option<&'a Member>,
    pub binding: Option<&'a Binding>,
}

/// The proposal's rows with their sources, in row order.
pub(crate) struct Plan<'a> {
    pub rows: Vec<ProposalRow>,
    pub sources: Vec<Source<'a>>,
}

impl<'a> Plan<'a> {
    fn push(&mut self, (row, source): (ProposalRow, Source<'a>)) {
        self.rows.push(row);
        self.sources.push(source);
    }
}

/// Proposes a binding table for the snapshot and the host's accounts and bindings.
pub fn propose(input: &ProposalInput) -> Proposal {
    let plan = plan(input);
    let mut counts = ProposalCounts { wecom_users: input.snapshot.members.len() as u64, ..Default::default() };
    for row in &plan.rows {
        match row.kind {
            RowKind::AlreadyBound => counts.already_bound += 1,
            RowKind::NameMatch => counts.name_matches += 1,
            RowKind::Ambiguous => counts.ambiguous += 1,
            RowKind::NoMatch => counts.no_match += 1,
            RowKind::LeftWecom => counts.left_wecom += 1,
        }
    }
    Proposal {
        snapshot_id: input.snapshot.snapshot_id.clone(),
        host_state_id: host_state_id(input).into(),
        rows: plan.rows.into(),
        counts,
    }
}

/// WeCom userids are case-insensitive: `ZhangSan` and `zhangsan` are one member.
pub(crate) fn userid_key(userid: &str) -> Cow<'_, str> {
    // Most userids are lower-case ASCII already; skip the allocation for them.
    if userid.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(userid)
    } else {
        Cow::Owned(userid.to_lowercase())
    }
}

fn is_inactive(status: MemberStatus) -> bool {
    matches!(status, MemberStatus::Disabled | MemberStatus::Left)
}

/// Department names in comparison form: normalised, without empties, sorted and deduplicated
/// (so agreement is a merge, and an account listed twice under one name counts once).
fn department_keys<'s>(names: impl Iterator<Item = &'s str>) -> Keys<'s> {
    let mut keys: Keys<'s> = names.map(normalized).filter(|k| !k.is_empty()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Department names in comparison form, sorted and deduplicated.
pub(crate) type Keys<'s> = Vec<Cow<'s, str>>;

/// True when two sorted key lists share an element.
fn agrees(a: &[Cow<'_, str>], b: &[Cow<'_, str>]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

fn candidate(account: &PlatformAccount, department_agrees: bool) -> Candidate {
    Candidate {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        departments: account.departments.clone(),
        department_agrees,
    }
}

/// Builds the rows. Shared by [`propose`] and commit, which recomputes the table instead of
/// trusting the rows sent back.
pub(crate) fn plan(input: &ProposalInput) -> Plan<'_> {
    let snapshot = &input.snapshot;

    // First occurrence wins for duplicate ids; the host's store makes ids unique anyway.
    let mut account_by_id: HashMap<&str, &PlatformAccount> = HashMap::with_capacity(input.accounts.len());
    for a in input.accounts.iter() {
        account_by_id.entry(a.id.as_str()).or_insert(a);
    }
    // An account held by any binding is never offered again, even if its member is out of this
    // snapshot: it belongs to someone.
    let mut held: HashSet<&str> = HashSet::with_capacity(input.bindings.len());
    let mut binding_by_user: HashMap<Cow<'_, str>, &Binding> = HashMap::with_capacity(input.bindings.len());
    for b in input.bindings.iter() {
        held.insert(b.account_id.as_str());
        binding_by_user.entry(userid_key(b.userid.as_str())).or_insert(b);
    }

    let mut out =
        Plan { rows: Vec::with_capacity(snapshot.members.len()), sources: Vec::with_capacity(snapshot.members.len()) };
    let mut member_keys: HashSet<Cow<'_, str>> = HashSet::with_capacity(snapshot.members.len());
    // Members that may get a binding or a new account, by normalised name.
    let mut waiting: HashMap<Cow<'_, str>, Vec<&Member>> = HashMap::new();

    for m in snapshot.members.iter() {
        let key = userid_key(m.userid.as_str());
        // The same member twice (differing only in case) would claim one binding twice.
        if member_keys.contains(&key) {
            continue;
        }
        let binding = binding_by_user.get(key.as_ref()).copied();
        member_keys.insert(key);
        match binding {
            Some(b) => out.push(bound_row(m, b, &account_by_id)),
            None if is_inactive(m.status) => out.push((
                member_row(m, RowKind::LeftWecom, None, reasons::label_no_action(), reasons::inactive_unbound()),
                Source { member: Some(m), binding: None },
            )),
            None => waiting.entry(normalized(m.name.as_str())).or_default().push(m),
        }
    }

    // A partial read never removes a binding: a member missing from it may simply not have been read.
    if snapshot.complete {
        for (key, b) in &binding_by_user {
            if !member_keys.contains(key) {
                out.push(gone_row(b, &account_by_id));
            }
        }
    }

    // Only names some waiting member has are kept, so memory stays proportional to the members.
    let mut offered: HashMap<&str, Vec<&PlatformAccount>> = HashMap::new();
    let mut unavailable: HashSet<&str> = HashSet::new();
    for a in input.accounts.iter() {
        let is_first = account_by_id.get(a.id.as_str()).is_some_and(|first| std::ptr::eq(*first, a));
        if !is_first {
            continue;
        }
        let name = normalized(a.name.as_str());
        // An empty name is no evidence of anything.
        if name.is_empty() {
            continue;
        }
        if let Some((key, _)) = waiting.get_key_value(name.as_ref()) {
            if a.enabled && !held.contains(a.id.as_str()) {
                offered.entry(key.as_ref()).or_default().push(a);
            } else {
                unavailable.insert(key.as_ref());
            }
        }
    }

    for (name, members) in &waiting {
        match offered.get(name.as_ref()) {
            None => {
                let reason = if unavailable.contains(name.as_ref()) {
                    reasons::no_match_unavailable()
                } else {
                    reasons::no_match()
                };
                for m in members {
                    out.push((
                        member_row(m, RowKind::NoMatch, None, reasons::label_new_account(), reason.clone()),
                        Source { member: Some(*m), binding: None },
                    ));
                }
            }
            Some(accounts) => group_rows(members, accounts, &mut out),
        }
    }

    sort_rows(out)
}

fn sort_rows(mut plan: Plan<'_>) -> Plan<'_> {
    fn rank(kind: RowKind) -> u8 {
        match kind {
            RowKind::AlreadyBound => 0,
            RowKind::NameMatch => 1,
            RowKind::Ambiguous => 2,
            RowKind::NoMatch => 3,
            RowKind::LeftWecom => 4,
        }
    }
    // Sorting indices, then permuting in place: a row is large, and moving 100,000 of them
    // through a sort (or into a second table) costs more than the comparisons. The userid as
    // spelled comes last so the order is total even for userids differing only in case (not
    // produced, but cheap to rule out).
    let order: Vec<usize> = {
        let keys: Vec<(u8, Cow<'_, str>, Cow<'_, str>, &str)> = plan
            .rows
            .iter()
            .map(|row| {
                let userid = row.userid.as_str();
                (rank(row.kind), normalized(row.member_name.as_str()), userid_key(userid), userid)
            })
            .collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
        order
    };
    permute(&mut plan.rows, &mut plan.sources, &order);
    plan
}

/// Reorders both slices so that position `i` holds what was at `order[i]`, following each cycle
/// of the permutation once (no second copy of the table).
fn permute<A, B>(a: &mut [A], b: &mut [B], order: &[usize]) {
    let mut done = vec![false; order.len()];
    for start in 0..order.len() {
        if done[start] {
            continue;
        }
        let mut at = start;
        loop {
            done[at] = true;
            let from = order[at];
            if from == start || from >= a.len() || from >= b.len() {
                break;
            }
            a.swap(at, from);
            b.swap(at, from);
            at = from;
        }
    }
}

fn member_row(m: &Member, kind: RowKind, account: Option<Candidate>, label: Text, reason: Text) -> ProposalRow {
    ProposalRow {
        userid: m.userid.clone(),
        member_name: m.name.clone(),
        member_departments: m.department_names.clone(),
        member_status: m.status,
        kind,
        account: account.into(),
        candidates: Vec::new().into(),
        label,
        reason,
    }
}

fn bound_account<'a>(b: &'a Binding, account: Option<&'a PlatformAccount>) -> BoundAccount<'a> {
    match account {
        Some(a) if a.enabled => BoundAccount::Enabled { id: a.id.as_str(), name: a.name.as_str() },
        Some(a) => BoundAccount::Disabled { id: a.id.as_str(), name: a.name.as_str() },
        None => BoundAccount::Missing { id: b.account_id.as_str() },
    }
}

/// The candidate shown for an existing binding; an account the host did not list is shown by id.
fn bound_candidate(b: &Binding, account: Option<&PlatformAccount>, department_agrees: bool) -> Candidate {
    match account {
        Some(a) => candidate(a, department_agrees),
        None => Candidate {
            account_id: b.account_id.clone(),
            account_name: "".into(),
            departments: Vec::new().into(),
            department_agrees: false,
        },
    }
}

fn bound_row<'a>(
    m: &'a Member,
    b: &'a Binding,
    account_by_id: &HashMap<&str, &'a PlatformAccount>,
) -> (ProposalRow, Source<'a>) {
    let account = account_by_id.get(b.account_id.as_str()).copied();
    let agree = account.is_some_and(|a| {
        agrees(
            &department_keys(m.department_names.iter().map(|d| d.as_str())),
            &department_keys(a.departments.iter().map(|d| d.as_str())),
        )
    });
    let shown = bound_account(b, account);
    let (kind, label, reason) = if is_inactive(m.status) {
        (RowKind::LeftWecom, reasons::label_to_unbind(), reasons::left_wecom(m.status, &shown))
    } else {
        (RowKind::AlreadyBound, reasons::label_bound(), reasons::already_bound(&shown))
    };
    let row = member_row(m, kind, Some(bound_candidate(b, account, agree)), label, reason);
    (row, Source { member: Some(m), binding: Some(b) })
}

/// A binding whose member a complete snapshot no longer has. The member's name is unknown, so the
/// account's name stands in (the userid when the account is unknown too).
fn gone_row<'a>(b: &'a Binding, account_by_id: &HashMap<&str, &'a PlatformAccount>) -> (ProposalRow, Source<'a>) {
    let account = account_by_id.get(b.account_id.as_str()).copied();
    let name = account.map_or_else(|| b.userid.clone(), |a| a.name.clone());
    let row = ProposalRow {
        userid: b.userid.clone(),
        member_name: name,
        member_departments: Vec::new().into(),
        member_status: MemberStatus::Unknown,
        kind: RowKind::LeftWecom,
        account: Some(bound_candidate(b, account, false)).into(),
        candidates: Vec::new().into(),
        label: reasons::label_to_unbind(),
        reason: reasons::gone_from_scope(&bound_account(b, account)),
    };
    (row, Source { member: None, binding: Some(b) })
}

/// Rows for the members of one name that has at least one offered account.
fn group_rows<'a>(members: &[&'a Member], accounts: &[&PlatformAccount], out: &mut Plan<'a>) {
    let member_depts: Vec<Keys<'_>> =
        members.iter().map(|m| department_keys(m.department_names.iter().map(|d| d.as_str()))).collect();
    let account_depts: Vec<Keys<'_>> =
        accounts.iter().map(|a| department_keys(a.departments.iter().map(|d| d.as_str()))).collect();
    let outcomes = solve(&member_depts, &account_depts);
    for (mi, (m, outcome)) in members.iter().zip(outcomes).enumerate() {
        let source = Source { member: Some(*m), binding: None };
        let row = match outcome {
            Outcome::Pair { account, by } => {
                let agree = agrees(&member_depts[mi], &account_depts[account]);
                let reason = match by {
                    PairBy::Name { after_department } => reasons::name_match(agree, after_department),
                    PairBy::Department { accounts, members } => reasons::resolved_by_department(accounts, members),
                };
                let shown = candidate(accounts[account], agree);
                member_row(m, RowKind::NameMatch, Some(shown), reasons::label_name_match(), reason)
            }
            Outcome::Ambiguous { accounts: open, members: open_members } => {
                let mut candidates: Vec<Candidate> = open
                    .iter()
                    .map(|&a| candidate(accounts[a], agrees(&member_depts[mi], &account_depts[a])))
                    .collect();
                // Agreeing departments first: the likeliest choice on top, the rest by name and id.
                candidates.sort_by(|x, y| {
                    y.department_agrees
                        .cmp(&x.department_agrees)
                        .then_with(|| x.account_name.as_str().cmp(y.account_name.as_str()))
                        .then_with(|| x.account_id.as_str().cmp(y.account_id.as_str()))
                });
                let reason = reasons::ambiguous(open.len(), open_members);
                let mut row = member_row(m, RowKind::Ambiguous, None, reasons::label_ambiguous(), reason);
                row.candidates = candidates.into();
                row
            }
            Outcome::Taken => {
                member_row(m, RowKind::NoMatch, None, reasons::label_new_account(), reasons::no_match_taken())
            }
        };
        out.push((row, source));
    }
}

/// How a pair was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairBy {
    /// The only member and the only account of this name (after department pairs, if any, were
    /// taken out).
    Name { after_department: bool },
    /// Departments singled the pair out among `accounts` accounts and `members` members.
    Department { accounts: usize, members: usize },
}

/// What one member of a name group gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Paired with this account (index into the group's accounts).
    Pair { account: usize, by: PairBy },
    /// The operator decides among these accounts; `members` members compete for them.
    Ambiguous { accounts: Vec<usize>, members: usize },
    /// Every account of this name went to another member of the group by department.
    Taken,
}

/// Pairs the members and accounts of one name, given each side's department keys.
///
/// A pair by name alone needs exactly one member and one account. Otherwise departments may
/// single out a pair: member `m` and account `a` pair when `a` is the only account whose
/// department agrees with `m`'s and `m` the only member whose department agrees with `a`'s.
/// Paired members and accounts are taken out and the rest is looked at again, until nothing
/// changes. Repeating is what makes commit idempotent: once the pairs found are applied, the
/// next proposal sees exactly the rest, and it must find nothing new there.
///
/// Each round is linear in the group (department lists are short and the uniqueness checks stop
/// at the second hit); a round that finds no pair ends the loop.
pub(crate) fn solve(member_depts: &[Keys<'_>], account_depts: &[Keys<'_>]) -> Vec<Outcome> {
    let mut out: Vec<Option<Outcome>> = vec![None; member_depts.len()];
    let mut live_m: Vec<usize> = (0..member_depts.len()).collect();
    let mut live_a: Vec<usize> = (0..account_depts.len()).collect();
    let mut after_department = false;
    loop {
        if live_m.is_empty() {
            break;
        }
        if live_a.is_empty() {
            for &m in &live_m {
                out[m] = Some(Outcome::Taken);
            }
            break;
        }
        if let ([m], [a]) = (live_m.as_slice(), live_a.as_slice()) {
            out[*m] = Some(Outcome::Pair { account: *a, by: PairBy::Name { after_department } });
            break;
        }
        let accounts_by_dept = index_by_dept(&live_a, account_depts);
        let members_by_dept = index_by_dept(&live_m, member_depts);
        let mut paired_account = vec![false; account_depts.len()];
        let mut progress = false;
        for &m in &live_m {
            let Some(a) = only_agreeing(&member_depts[m], &accounts_by_dept) else { continue };
            if only_agreeing(&account_depts[a], &members_by_dept) == Some(m) {
                out[m] = Some(Outcome::Pair {
                    account: a,
                    by: PairBy::Department { accounts: live_a.len(), members: live_m.len() },
                });
                paired_account[a] = true;
                progress = true;
            }
        }
        if !progress {
            for &m in &live_m {
                out[m] = Some(Outcome::Ambiguous { accounts: live_a.clone(), members: live_m.len() });
            }
            break;
        }
        live_m.retain(|&m| out[m].is_none());
        live_a.retain(|&a| !paired_account[a]);
        after_department = true;
    }
    // Every member is decided when the loop ends; `Taken` is only a fallback for the type.
    out.into_iter().map(|o| o.unwrap_or(Outcome::Taken)).collect()
}

fn index_by_dept<'k>(live: &[usize], depts: &'k [Keys<'_>]) -> HashMap<&'k str, Vec<usize>> {
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in live {
        for d in &depts[i] {
            index.entry(d.as_ref()).or_default().push(i);
        }
    }
    index
}

/// The one item (of the other side) sharing a department with `depts`, or none when there are
/// zero or several. Stops at the second distinct hit.
fn only_agreeing(depts: &[Cow<'_, str>], index: &HashMap<&str, Vec<usize>>) -> Option<usize> {
    let mut found = None;
    for d in depts {
        for &i in index.get(d.as_ref()).map(Vec::as_slice).unwrap_or_default() {
            match found {
                None => found = Some(i),
                Some(f) if f == i => {}
                Some(_) => return None,
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::testkit::*;
    use interface::MemberStatus::{Active, Disabled, Inactive, Left, Unknown};
    use interface::RowKind::*;

    #[test]
    fn single_name_match() {
        let p =
            propose(&input(vec![member("wxk", "王晓楷", &["研发"])], vec![account("a1", "王晓楷", &["销售"])], vec![]));
        assert_eq!(kind_of(&p, "wxk"), NameMatch);
        assert_eq!(account_of(&p, "wxk").as_deref(), Some("a1"));
        let r = row(&p, "wxk");
        assert_eq!(r.label.zh.as_str(), "姓名匹配");
        assert_eq!(r.label.en.as_str(), "name match");
        assert!(!r.reason.en.contains("department agree"));
        assert!(r.candidates.is_empty());
    }

    #[test]
    fn name_match_across_normalisation_and_department_agreement_noted() {
        let p = propose(&input(
            vec![member("clear", "Ｃｌｅａｒ ", &["Ｒ＆Ｄ"])],
            vec![account("a1", "clear", &["r&d"])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "clear"), NameMatch);
        let r = row(&p, "clear");
        assert!(r.reason.zh.contains("姓名与部门一致"), "{:?}", r.reason);
        assert!(r.reason.en.contains("name and department agree"));
        assert!(r.account.as_ref().into_option().is_some_and(|c| c.department_agrees));
    }

    #[test]
    fn no_match_gets_new_account() {
        let p = propose(&input(vec![member("xyy", "小岳岳", &[])], vec![account("a1", "王晓楷", &[])], vec![]));
        assert_eq!(kind_of(&p, "xyy"), NoMatch);
        assert_eq!(account_of(&p, "xyy"), None);
        assert_eq!(row(&p, "xyy").reason, reasons::no_match());
    }

    #[test]
    fn already_bound_case_insensitive_userid() {
        let p = propose(&input(
            vec![member("ZhangSan", "张三", &[])],
            vec![account("a1", "张三", &[]), account("a2", "张三", &[])],
            vec![bind("zhangsan", "a1")],
        ));
        assert_eq!(kind_of(&p, "ZhangSan"), AlreadyBound);
        assert_eq!(account_of(&p, "ZhangSan").as_deref(), Some("a1"));
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn already_bound_to_disabled_account_stays_bound() {
        let p = propose(&input(
            vec![member("zs", "张三", &[])],
            vec![disabled(account("a1", "张三", &[]))],
            vec![bind("zs", "a1")],
        ));
        assert_eq!(kind_of(&p, "zs"), AlreadyBound);
        assert!(row(&p, "zs").reason.en.contains("disabled"));
    }

    #[test]
    fn bound_member_disabled_or_left_is_proposed_for_unbinding() {
        for status in [Disabled, Left] {
            let p = propose(&input(
                vec![with_status(member("zs", "张三", &[]), status)],
                vec![account("a1", "张三", &[])],
                vec![bind("zs", "a1")],
            ));
            assert_eq!(kind_of(&p, "zs"), LeftWecom, "{status:?}");
            assert_eq!(account_of(&p, "zs").as_deref(), Some("a1"));
            assert_eq!(row(&p, "zs").label.zh.as_str(), "待解绑");
        }
    }

    #[test]
    fn unbound_inactive_member_gets_nothing() {
        for status in [Disabled, Left] {
            let p = propose(&input(
                vec![with_status(member("zs", "张三", &[]), status)],
                vec![account("a1", "张三", &[])],
                vec![],
            ));
            assert_eq!(kind_of(&p, "zs"), LeftWecom);
            assert_eq!(account_of(&p, "zs"), None);
            assert!(row(&p, "zs").reason.zh.contains("不会创建账号"));
        }
        // Invited or unknown-status members are treated as members.
        for status in [Active, Inactive, Unknown] {
            let p = propose(&input(vec![with_status(member("zs", "张三", &[]), status)], vec![], vec![]));
            assert_eq!(kind_of(&p, "zs"), NoMatch, "{status:?}");
        }
    }

    #[test]
    fn binding_of_member_missing_from_complete_snapshot_is_proposed_for_removal() {
        let mut i = input(vec![member("ls", "李四", &[])], vec![account("a1", "张三", &[])], vec![bind("zs", "a1")]);
        let p = propose(&i);
        assert_eq!(kind_of(&p, "zs"), LeftWecom);
        let r = row(&p, "zs");
        assert_eq!(r.member_name.as_str(), "张三");
        assert_eq!(r.member_status, Unknown);
        assert_eq!(account_of(&p, "zs").as_deref(), Some("a1"));
        assert_eq!(p.counts.left_wecom, 1);
        assert_eq!(p.counts.wecom_users, 1);

        i.snapshot.complete = false;
        let p = propose(&i);
        assert!(p.rows.iter().all(|r| r.userid.as_str() != "zs"), "a partial read never removes a binding");
        assert_eq!(p.counts.left_wecom, 0);
    }

    #[test]
    fn two_accounts_of_one_name_are_ambiguous() {
        let p = propose(&input(
            vec![member("zs", "张三", &["研发"])],
            vec![account("a1", "张三", &["销售"]), account("a2", "张三", &["市场"])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs"), Ambiguous);
        assert_eq!(account_of(&p, "zs"), None);
        let ids: Vec<&str> = row(&p, "zs").candidates.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"]);
        assert!(row(&p, "zs").candidates.iter().all(|c| !c.department_agrees));
    }

    #[test]
    fn two_members_for_one_account_are_both_ambiguous() {
        let p = propose(&input(
            vec![member("zs1", "张三", &["研发"]), member("zs2", "张三", &["研发"])],
            vec![account("a1", "张三", &["研发"])],
            vec![],
        ));
        for u in ["zs1", "zs2"] {
            assert_eq!(kind_of(&p, u), Ambiguous);
            let c = &row(&p, u).candidates;
            assert_eq!(c.len(), 1);
            assert!(c[0].department_agrees);
        }
    }

    #[test]
    fn department_resolves_two_accounts() {
        let p = propose(&input(
            vec![member("zs", "张三", &["研发"])],
            vec![account("a1", "张三", &["销售"]), account("a2", "张三", &["研发", "党委"])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs"), NameMatch);
        assert_eq!(account_of(&p, "zs").as_deref(), Some("a2"));
        assert!(row(&p, "zs").reason.zh.contains("按部门确定"));
        assert!(row(&p, "zs").reason.en.contains("resolved by department"));
    }

    #[test]
    fn department_resolves_two_members_and_the_other_gets_a_new_account() {
        let p = propose(&input(
            vec![member("zs1", "张三", &["研发"]), member("zs2", "张三", &["销售"])],
            vec![account("a1", "张三", &["研发"])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs1"), NameMatch);
        assert_eq!(account_of(&p, "zs1").as_deref(), Some("a1"));
        assert_eq!(kind_of(&p, "zs2"), NoMatch);
        assert_eq!(row(&p, "zs2").reason, reasons::no_match_taken());
    }

    #[test]
    fn department_does_not_resolve_when_two_agree() {
        // Two candidates agree with the member: no silent pick.
        let p = propose(&input(
            vec![member("zs", "张三", &["研发"])],
            vec![account("a1", "张三", &["研发"]), account("a2", "张三", &["研发"]), account("a3", "张三", &[])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs"), Ambiguous);
        let c = &row(&p, "zs").candidates;
        assert_eq!(c.len(), 3);
        assert_eq!(c.iter().filter(|c| c.department_agrees).count(), 2);
        assert!(c[0].department_agrees && c[1].department_agrees, "agreeing candidates first");

        // Two members agree with the one account: no silent pick either.
        let p = propose(&input(
            vec![member("zs1", "张三", &["研发"]), member("zs2", "张三", &["研发", "销售"])],
            vec![account("a1", "张三", &["研发"])],
            vec![],
        ));
        assert_eq!((kind_of(&p, "zs1"), kind_of(&p, "zs2")), (Ambiguous, Ambiguous));
    }

    #[test]
    fn many_members_many_accounts_pair_only_where_departments_single_out() {
        let p = propose(&input(
            vec![member("zs1", "张三", &["研发"]), member("zs2", "张三", &["销售"]), member("zs3", "张三", &["市场"])],
            vec![account("a1", "张三", &["研发"]), account("a2", "张三", &["销售"]), account("a3", "张三", &["财务"])],
            vec![],
        ));
        assert_eq!(account_of(&p, "zs1").as_deref(), Some("a1"));
        assert_eq!(account_of(&p, "zs2").as_deref(), Some("a2"));
        // The third member of that name is the only one left for the only account left.
        assert_eq!(kind_of(&p, "zs3"), NameMatch);
        assert_eq!(account_of(&p, "zs3").as_deref(), Some("a3"));
        assert!(row(&p, "zs3").reason.en.contains("paired by department"));
    }

    #[test]
    fn disabled_or_bound_accounts_are_never_proposed() {
        let p = propose(&input(
            vec![member("zs", "张三", &[]), member("ls", "李四", &[])],
            vec![disabled(account("a1", "张三", &[])), account("a2", "李四", &[])],
            vec![bind("someone-else", "a2")],
        ));
        assert_eq!(kind_of(&p, "zs"), NoMatch);
        assert_eq!(row(&p, "zs").reason, reasons::no_match_unavailable());
        assert_eq!(kind_of(&p, "ls"), NoMatch);
        // With one disabled and one enabled account of that name, only the enabled one counts.
        let p = propose(&input(
            vec![member("zs", "张三", &[])],
            vec![disabled(account("a1", "张三", &[])), account("a2", "张三", &[])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs"), NameMatch);
        assert_eq!(account_of(&p, "zs").as_deref(), Some("a2"));
    }

    #[test]
    fn inactive_member_does_not_compete_for_an_account() {
        let p = propose(&input(
            vec![member("zs1", "张三", &[]), with_status(member("zs2", "张三", &[]), Left)],
            vec![account("a1", "张三", &[])],
            vec![],
        ));
        assert_eq!(kind_of(&p, "zs1"), NameMatch);
        assert_eq!(kind_of(&p, "zs2"), LeftWecom);
    }

    #[test]
    fn empty_names_never_match() {
        let p = propose(&input(vec![member("x", " \u{200B}", &[])], vec![account("a1", "", &[])], vec![]));
        assert_eq!(kind_of(&p, "x"), NoMatch);
    }

    #[test]
    fn counts_ids_and_order() {
        let i = input(
            vec![
                member("nm", "乙", &[]),
                member("amb", "丙", &[]),
                member("new", "丁", &[]),
                member("bound", "甲", &[]),
                with_status(member("left", "戊", &[]), Left),
                member("new2", "Ａlice", &[]),
            ],
            vec![account("b", "甲", &[]), account("n", "乙", &[]), account("c1", "丙", &[]), account("c2", "丙", &[])],
            vec![bind("bound", "b"), bind("gone", "c9")],
        );
        let p = propose(&i);
        let order: Vec<(&str, RowKind)> = p.rows.iter().map(|r| (r.userid.as_str(), r.kind)).collect();
        assert_eq!(
            order,
            [
                ("bound", AlreadyBound),
                ("nm", NameMatch),
                ("amb", Ambiguous),
                ("new2", NoMatch), // "alice" sorts before "丁"
                ("new", NoMatch),
                ("gone", LeftWecom), // account unknown: the userid stands in for the name
                ("left", LeftWecom),
            ]
        );
        assert_eq!(
            p.counts,
            ProposalCounts {
                wecom_users: 6,
                already_bound: 1,
                name_matches: 1,
                ambiguous: 1,
                no_match: 2,
                left_wecom: 2
            }
        );
        assert_eq!(p.snapshot_id.as_str(), "snap-1");
        assert_eq!(p.host_state_id.as_str(), host_state_id(&i));
        assert_eq!(propose(&i), p, "deterministic");
    }

    #[test]
    fn one_to_one_invariants_hold_on_a_mixed_population() {
        // Names drawn from a small pool so that every situation occurs many times.
        let names = ["张三", "李四", "王五", "赵六", "Clear", "ｃｌｅａｒ"];
        let depts = ["研发", "销售", "市场"];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut members = Vec::new();
        let mut accounts = Vec::new();
        let mut bindings = Vec::new();
        for i in 0..300 {
            let status = [Active, Active, Active, Inactive, Disabled, Left, Unknown][rng.usize(..7)];
            members.push(with_status(
                member(&format!("u{i}"), names[rng.usize(..names.len())], &[depts[rng.usize(..3)]]),
                status,
            ));
        }
        for i in 0..300 {
            let mut a = account(&format!("a{i}"), names[rng.usize(..names.len())], &[depts[rng.usize(..3)]]);
            a.enabled = rng.u8(..10) > 0;
            accounts.push(a);
        }
        for i in 0..60 {
            bindings.push(bind(&format!("u{}", i * 5), &format!("a{}", i * 3)));
        }
        let i = input(members, accounts, bindings);
        let p = propose(&i);
        let mut proposed = HashSet::new();
        for r in p.rows.iter() {
            let Some(c) = r.account.as_ref().into_option() else { continue };
            if r.kind == NameMatch {
                assert!(proposed.insert(c.account_id.as_str()), "account {} proposed twice", c.account_id);
                let a = i.accounts.iter().find(|a| a.id == c.account_id).map(|a| a.enabled);
                assert_eq!(a, Some(true), "disabled account proposed");
                assert!(i.bindings.iter().all(|b| b.account_id != c.account_id), "bound account proposed");
            }
            if r.kind == Ambiguous {
                assert!(r.account.is_none());
            }
        }
        let mut users = HashSet::new();
        for r in p.rows.iter() {
            assert!(users.insert(r.userid.as_str().to_lowercase()), "member {} twice", r.userid);
        }
    }

    #[test]
    fn solve_rounds() {
        let k = |v: &[&'static str]| v.iter().map(|s| Cow::Borrowed(*s)).collect::<Keys<'static>>();
        // 1 member x 1 account: by name.
        assert_eq!(
            solve(&[k(&[])], &[k(&[])]),
            [Outcome::Pair { account: 0, by: PairBy::Name { after_department: false } }]
        );
        // Chain: m0 pairs with a0 by department; then m1 and a1 are the only ones left.
        let out = solve(&[k(&["x"]), k(&["y"])], &[k(&["x"]), k(&["z"])]);
        assert_eq!(out[0], Outcome::Pair { account: 0, by: PairBy::Department { accounts: 2, members: 2 } });
        assert_eq!(out[1], Outcome::Pair { account: 1, by: PairBy::Name { after_department: true } });
        // Nothing singles out anyone.
        let out = solve(&[k(&["x"]), k(&["x"])], &[k(&["x"]), k(&["x"])]);
        assert!(out.iter().all(|o| matches!(o, Outcome::Ambiguous { accounts, members: 2 } if accounts.len() == 2)));
    }

    #[test]
    fn permute_follows_order() {
        let mut a = vec!['a', 'b', 'c', 'd', 'e'];
        let mut b = vec![0, 1, 2, 3, 4];
        permute(&mut a, &mut b, &[3, 0, 4, 1, 2]);
        assert_eq!(a, ['d', 'a', 'e', 'b', 'c']);
        assert_eq!(b, [3, 0, 4, 1, 2]);
    }

    #[test]
    fn a_member_listed_twice_in_different_case_is_one_row() {
        let p = propose(&input(
            vec![member("ZhangSan", "张三", &[]), member("zhangsan", "张三", &[])],
            vec![account("a1", "张三", &[])],
            vec![],
        ));
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].kind, NameMatch);
    }
}
