//! The binding table: one row per WeCom member (plus one per bound member gone from a complete
//! snapshot), each saying what commit will do and why.
//!
//! Matching is by normalised name only, because WeCom gives a self-built app no phone or email.
//! A name is weak evidence, so a pair is proposed only when it is unique in both directions: one
//! enabled, unbound account for one eligible member. Everything else is shown as ambiguous and
//! left to the operator, except where departments single out exactly one pair (see [`solve`]).
//!
//! Row order: by kind (already bound, name match, departments differ, rename, ambiguous, names
//! differing only by spacing, no match, left WeCom), then by
//! normalised member name (code-point order, so same-named members sit together), then by userid
//! (case-insensitively, then as spelled). The key is unique per row, so the order is total and
//! the same input always gives the same rows — commit relies on that to recognise its proposal.
//!
//! The work is done in three passes: decide what every row is (hash lookups, and [`solve`] per
//! name), put the decisions in row order (small records, no row moved), then build the rows in
//! that order. Building is where the time goes, since every row owns copies of its strings.

use super::fingerprint::host_state_id;
use super::listing::{self, Listing, Pool, MAX_LISTED};
use super::maps::{map, set, Map, Set};
use super::names::{normalized, SpacingIndex};
use super::reasons;
use super::rows;
use super::solve::{agrees, department_keys, departments_agree, solve, KeyLists, Outcome, PairBy};
use super::userids::{userid_key, Declined};
use interface::{
    Binding, Candidate, Member, MemberStatus, PlatformAccount, Proposal, ProposalCounts, ProposalInput, ProposalRow,
    RowKind, Text,
};
use std::borrow::Cow;
use std::collections::hash_map::Entry;

/// Where a row came from, for commit (which needs the member's department ids and the host's
/// exact spelling of the binding it removes).
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub member: Option<&'a Member>,
    pub binding: Option<&'a Binding>,
}

/// Proposes a binding table for the snapshot and the host's accounts and bindings.
pub fn propose(input: &ProposalInput) -> Proposal {
    let declined = Declined::new(input.declined_pairs());
    let (items, groups) = decide(input);
    let order = row_order(&items);
    let rows = build_rows(&items, &order, &groups, &declined, build_threads(order.len()));
    drop((items, groups));
    let mut counts = ProposalCounts { wecom_users: input.snapshot.members.len() as u64, ..Default::default() };
    let mut spacing = 0u64;
    for row in &rows {
        match row.kind {
            RowKind::AlreadyBound => counts.already_bound += 1,
            RowKind::NameMatch => counts.name_matches += 1,
            RowKind::Ambiguous => counts.ambiguous += 1,
            RowKind::NoMatch => counts.no_match += 1,
            RowKind::LeftWecom => counts.left_wecom += 1,
            RowKind::NameMatchDepartmentsDiffer => counts.name_departments_differ += 1,
            RowKind::RenameProposed => counts.renames += 1,
            RowKind::NameSpacingDiffers => spacing += 1,
            _ => {}
        }
    }
    let mut ext = interface::Extensions::new();
    if spacing > 0 {
        ext.set(interface::ext_keys::NAME_SPACING_DIFFERS, &spacing);
    }
    Proposal {
        snapshot_id: input.snapshot.snapshot_id.clone(),
        host_state_id: host_state_id(input).into(),
        rows: rows.into(),
        counts,
        ext,
    }
}

fn is_inactive(status: MemberStatus) -> bool {
    matches!(status, MemberStatus::Disabled | MemberStatus::Left)
}

/// What one row will be, decided before any row is built.
#[derive(Clone, Copy)]
enum Work<'a> {
    /// A member with a binding.
    Bound { member: &'a Member, binding: &'a Binding, account: Option<&'a PlatformAccount> },
    /// A binding whose member a complete snapshot no longer has.
    Gone { binding: &'a Binding, account: Option<&'a PlatformAccount> },
    /// An inactive member without a binding.
    Inactive { member: &'a Member },
    /// A member no account of whose name is offered.
    NoMatch { member: &'a Member, unavailable: bool },
    /// Member `index` of name group `group`.
    Grouped { member: &'a Member, group: usize, index: usize },
    /// A new member who probably is the bound member that vanished (a changed userid).
    Rename { member: &'a Member, binding: &'a Binding, account: &'a PlatformAccount },
    /// A member no account of whose name is offered, offered group `group`'s accounts, whose
    /// names differ from theirs only by spacing.
    Spacing { member: &'a Member, group: usize },
}

impl<'a> Work<'a> {
    fn source(self) -> Source<'a> {
        match self {
            Work::Bound { member, binding, .. } => Source { member: Some(member), binding: Some(binding) },
            Work::Gone { binding, .. } => Source { member: None, binding: Some(binding) },
            Work::Rename { member, binding, .. } => Source { member: Some(member), binding: Some(binding) },
            Work::Inactive { member }
            | Work::NoMatch { member, .. }
            | Work::Grouped { member, .. }
            | Work::Spacing { member, .. } => Source { member: Some(member), binding: None },
        }
    }
}

/// A row to be: what it is, and the strings that place it in the table.
struct Item<'a> {
    kind: RowKind,
    /// The normalised name shown on the row.
    name: Cow<'a, str>,
    userid_key: Cow<'a, str>,
    userid: &'a str,
    work: Work<'a>,
}

impl<'a> Item<'a> {
    fn new(kind: RowKind, shown_name: &'a str, userid: &'a str, work: Work<'a>) -> Self {
        Item { kind, name: normalized(shown_name), userid_key: userid_key(userid), userid, work }
    }

    fn order_key(&self) -> (&str, &str, &str) {
        (&self.name, &self.userid_key, self.userid)
    }
}

/// The members and accounts of one name, and what [`solve`] made of them, with the accounts whose
/// names differ from it only by spacing beside them; or (made by [`Group::spacing`]) only those,
/// when no account has the exact name, with no outcomes.
struct Group<'a> {
    accounts: Vec<&'a PlatformAccount>,
    /// Accounts whose names differ from the group's only by spaces between Chinese characters, in
    /// display order (by name, then id): candidates on every row of the name that offers any (an
    /// ambiguous row's extra choices, a name match's alternatives, a spacing row's only ones),
    /// never a proposed pair. Usually empty.
    spacing: Pool<'a>,
    /// Department keys of the members and of the accounts; empty for a group of one member and
    /// one account, which needs no solving.
    member_depts: KeyLists<'a>,
    account_depts: KeyLists<'a>,
    outcomes: Vec<Outcome>,
    /// The open accounts in display order (by name, then id), shared by the ambiguous members.
    open: Pool<'a>,
    /// The reason shown on each ambiguous row of a member without declines (the same for all).
    ambiguous_reason: Option<Text>,
}

impl<'a> Group<'a> {
    fn new(members: &[&'a Member], accounts: Vec<&'a PlatformAccount>, spacing: Vec<&'a PlatformAccount>) -> Self {
        let spacing = Pool::new(by_name_and_id(spacing));
        if members.len() == 1 && accounts.len() == 1 {
            return Group {
                accounts,
                spacing,
                member_depts: KeyLists::default(),
                account_depts: KeyLists::default(),
                outcomes: vec![Outcome::Pair { account: 0, by: PairBy::Name { after_department: false } }],
                open: Pool::default(),
                ambiguous_reason: None,
            };
        }
        let member_depts = KeyLists::new(members.iter().map(|m| m.department_names.iter().map(|d| d.as_str())));
        let account_depts = KeyLists::new(accounts.iter().map(|a| a.departments.iter().map(|d| d.as_str())));
        let solution = solve(&member_depts, &account_depts);
        let ambiguous = solution.outcomes.iter().find_map(|o| match o {
            Outcome::Ambiguous { members } => Some(*members),
            _ => None,
        });
        let open = match ambiguous {
            Some(_) => Pool::new(by_name_and_id(solution.open.iter().map(|&a| accounts[a]).collect())),
            None => Pool::default(),
        };
        let ambiguous_reason = ambiguous.map(|members| ambiguous_reason(open.len(), spacing.len(), members));
        Group { accounts, spacing, member_depts, account_depts, outcomes: solution.outcomes, open, ambiguous_reason }
    }

    /// The accounts whose names differ from a name group's only by spacing, in display order (by
    /// name, then id). Nothing is solved: they are candidates for every member of that name.
    fn spacing(accounts: Vec<&'a PlatformAccount>) -> Self {
        Group {
            accounts: Vec::new(),
            spacing: Pool::new(by_name_and_id(accounts)),
            member_depts: KeyLists::default(),
            account_depts: KeyLists::default(),
            outcomes: Vec::new(),
            open: Pool::default(),
            ambiguous_reason: None,
        }
    }

    /// A spacing row for `member`, offered the accounts whose names differ only by spacing:
    /// because no account has the exact name (`taken` false), or because every account that has
    /// it went to another member of the name (`taken`).
    fn spacing_row(&self, member: &Member, taken: bool, declined: &[String]) -> ProposalRow {
        let (candidates, total) = self.offer(&[&self.spacing], member, None, declined);
        with_total(rows::name_spacing_differs(member, candidates, taken, total), total)
    }

    /// The likeliest of `pools` for `member` (member `index` of the group, when it has one), at
    /// most [`MAX_LISTED`], without the accounts the member declined; and how many there were.
    fn offer(
        &self,
        pools: &[&Pool<'_>],
        member: &Member,
        index: Option<usize>,
        declined: &[String],
    ) -> (Vec<Candidate>, usize) {
        let computed;
        let keys: &[Cow<'_, str>] = match index {
            Some(i) if !self.member_depts.is_empty() => self.member_depts.get(i),
            _ => {
                computed = department_keys(member.department_names.iter().map(|d| d.as_str()));
                &computed
            }
        };
        let mut listing = Listing::new(declined);
        listing::offer(pools, keys, &mut listing);
        let total = pools.iter().map(|p| p.len() - p.declined_in(&listing)).sum();
        (listing.into_candidates(), total)
    }

    /// Whether member `index`'s and account `account`'s departments share a name.
    fn agree(&self, member: &Member, index: usize, account: usize) -> bool {
        if self.member_depts.is_empty() {
            departments_agree(&member.department_names, &self.accounts[account].departments)
        } else {
            agrees(self.member_depts.get(index), self.account_depts.get(account))
        }
    }

    /// Member `index`'s row; `declined` are the accounts the member declined at login.
    fn row(&self, member: &Member, index: usize, declined: &[String]) -> ProposalRow {
        match self.outcomes[index] {
            Outcome::Pair { account, .. }
                if declined.iter().any(|d| d.as_str() == self.accounts[account].id.as_str()) =>
            {
                self.declined_pair_row(member, index, account, declined)
            }
            Outcome::Pair { account, by } => {
                let mut row = rows::pair(member, self.accounts[account], self.agree(member, index, account), by);
                if !self.spacing.is_empty() {
                    // Alternatives only: the proposed pair (and what commit does) is unchanged; a
                    // member who says "not mine" to it is offered these at login.
                    let (candidates, total) = self.offer(&[&self.spacing], member, Some(index), declined);
                    row.candidates = candidates.into();
                    row.set_candidates_total(total as u64);
                }
                row
            }
            Outcome::Ambiguous { members } => {
                // A member whose own account was typed with a space is offered it beside the
                // namesakes' accounts of its tier.
                let (candidates, total) = self.offer(&[&self.open, &self.spacing], member, Some(index), declined);
                let reason = match (&self.ambiguous_reason, declined.is_empty()) {
                    (Some(reason), true) => reason.clone(),
                    // The member's declines change the counts the reason gives.
                    _ => {
                        let open = self.open.len() - self.open.declined_in(&Listing::new(declined));
                        ambiguous_reason(open, total - open, members)
                    }
                };
                with_total(rows::ambiguous(member, candidates, reason), total)
            }
            Outcome::Taken if !self.spacing.is_empty() => self.spacing_row(member, true, declined),
            Outcome::Taken => rows::taken(member),
        }
    }

    /// A name match on an account the member declined at login: never proposed again, the row
    /// waits for the operator (the account stays off the member's list; alternatives remain).
    fn declined_pair_row(&self, member: &Member, index: usize, account: usize, declined: &[String]) -> ProposalRow {
        let agree = self.agree(member, index, account);
        let mut row = rows::pair(member, self.accounts[account], agree, PairBy::Name { after_department: false });
        let (candidates, total) = self.offer(&[&self.spacing], member, Some(index), declined);
        row.kind = RowKind::Ambiguous;
        row.account = None.into();
        row.label = reasons::label_ambiguous();
        row.reason = reasons::declined_at_login(self.accounts[account].id.as_str());
        row.candidates = candidates.into();
        with_total(row, total)
    }
}

/// The reason of an ambiguous row offering `open` accounts of the name and `spacing` whose names
/// differ only by spacing to `members` members.
fn ambiguous_reason(open: usize, spacing: usize, members: usize) -> Text {
    reasons::ambiguous(open, members, (open + spacing > MAX_LISTED).then_some(MAX_LISTED))
}

/// `row` with its count of offerable accounts recorded when it lists fewer.
fn with_total(mut row: ProposalRow, total: usize) -> ProposalRow {
    row.set_candidates_total(total as u64);
    row
}

/// Accounts in display order: by name, then id.
fn by_name_and_id(mut accounts: Vec<&PlatformAccount>) -> Vec<&PlatformAccount> {
    accounts.sort_by(|x, y| x.name.as_str().cmp(y.name.as_str()).then_with(|| x.id.as_str().cmp(y.id.as_str())));
    accounts
}

/// The sources of `rows` (in row order) when they are exactly the rows `input` yields now, else
/// none. Commit recomputes the table instead of trusting the rows sent back; each row is built,
/// compared and dropped in turn, so checking a proposal never holds a second table.
pub(crate) fn current_sources<'a>(input: &'a ProposalInput, rows: &[ProposalRow]) -> Option<Vec<Source<'a>>> {
    let declined = Declined::new(input.declined_pairs());
    let (items, groups) = decide(input);
    let order = row_order(&items);
    if order.len() != rows.len() {
        return None;
    }
    for (&i, row) in order.iter().zip(rows) {
        // Declines made since the table was made change only that member's row, and the table is
        // still current (commit skips a declined pair itself): the row may have been built with
        // any first part of the member's declines, in the order the host recorded them.
        let mine = member_declines(&items[i], &declined);
        let current = (0..=mine.len()).rev().any(|n| build_row_declining(&items[i], &groups, &mine[..n]) == *row);
        if !current {
            return None;
        }
    }
    Some(order.iter().map(|&i| items[i].work.source()).collect())
}

/// The accounts the member of `item` declined at login, in the order the host gave them.
fn member_declines<'d>(item: &Item<'_>, declined: &'d Declined) -> &'d [String] {
    item.work.source().member.map_or(&[], |m| declined.of(m.userid.as_str()))
}

/// Decides what every row is, without building any. A name match the member declined keeps its
/// place among the name matches (the row is built as ambiguous: see
/// [`Group::declined_pair_row`]), so a table made before the decline and one made after it list
/// the same rows in the same order.
fn decide(input: &ProposalInput) -> (Vec<Item<'_>>, Vec<Group<'_>>) {
    let snapshot = &input.snapshot;

    // First occurrence wins for duplicate ids; the host's store makes ids unique anyway. The
    // others are shadowed: never offered, never shown.
    let mut account_by_id: Map<&str, &PlatformAccount> = map(input.accounts.len());
    let mut shadowed: Vec<bool> = Vec::new();
    for (i, a) in input.accounts.iter().enumerate() {
        if let Entry::Vacant(e) = account_by_id.entry(a.id.as_str()) {
            e.insert(a);
        } else {
            shadowed.resize(input.accounts.len(), false);
            shadowed[i] = true;
        }
    }
    // An account held by any binding is never offered again, even if its member is out of this
    // snapshot: it belongs to someone.
    let mut held: Set<&str> = set(input.bindings.len());
    let mut binding_by_user: Map<Cow<'_, str>, &Binding> = map(input.bindings.len());
    for b in input.bindings.iter() {
        held.insert(b.account_id.as_str());
        binding_by_user.entry(userid_key(b.userid.as_str())).or_insert(b);
    }

    // One item per member, plus at most one per binding whose member is gone.
    let mut items: Vec<Item<'_>> = Vec::with_capacity(snapshot.members.len() + input.bindings.len());
    let mut seen_users: Set<Cow<'_, str>> = set(snapshot.members.len());
    // Members that may get a binding or a new account, numbered by normalised name.
    let mut name_group: Map<Cow<'_, str>, usize> = map(snapshot.members.len());
    let mut waiting: Vec<(usize, &Member)> = Vec::new();

    for m in snapshot.members.iter() {
        let key = userid_key(m.userid.as_str());
        let binding = binding_by_user.get(key.as_ref()).copied();
        // The same member twice (differing only in case) would claim one binding twice.
        if !seen_users.insert(key) {
            continue;
        }
        let (name, userid) = (m.name.as_str(), m.userid.as_str());
        match binding {
            Some(b) => {
                let kind = if is_inactive(m.status) { RowKind::LeftWecom } else { RowKind::AlreadyBound };
                let account = account_by_id.get(b.account_id.as_str()).copied();
                items.push(Item::new(kind, name, userid, Work::Bound { member: m, binding: b, account }));
            }
            None if is_inactive(m.status) => {
                items.push(Item::new(RowKind::LeftWecom, name, userid, Work::Inactive { member: m }));
            }
            None => {
                let next = name_group.len();
                waiting.push((*name_group.entry(normalized(name)).or_insert(next), m));
            }
        }
    }

    // A partial read never removes a binding: a member missing from it may simply not have been read.
    if snapshot.complete {
        let mut gone: Vec<(&Binding, Option<&PlatformAccount>)> = binding_by_user
            .iter()
            .filter(|(key, _)| !seen_users.contains(*key))
            .map(|(_, b)| (*b, account_by_id.get(b.account_id.as_str()).copied()))
            .collect();
        let renamed = renames(&gone, &mut waiting, &name_group);
        for (member, binding, account) in renamed {
            gone.retain(|(b, _)| !std::ptr::eq(*b, binding));
            let work = Work::Rename { member, binding, account };
            items.push(Item::new(RowKind::RenameProposed, member.name.as_str(), member.userid.as_str(), work));
        }
        for (b, account) in gone {
            let work = Work::Gone { binding: b, account };
            items.push(Item::new(RowKind::LeftWecom, rows::gone_name(b, account), b.userid.as_str(), work));
        }
    }

    // Only names some waiting member has are looked at, so memory stays proportional to the members.
    let mut offered: Vec<(usize, &PlatformAccount)> = Vec::new();
    // The weaker key: offerable accounts no waiting member has the exact name of, whose name
    // differs from its spacing-insensitive form (a space between Chinese characters), by that form.
    // Usually a small share of the accounts.
    let mut spaced: SpacingIndex<&PlatformAccount> = SpacingIndex::new();
    let mut unavailable = vec![false; name_group.len()];
    for (i, a) in input.accounts.iter().enumerate() {
        if shadowed.get(i).copied().unwrap_or(false) {
            continue;
        }
        let name = normalized(a.name.as_str());
        // An empty name is no evidence of anything.
        if name.is_empty() {
            continue;
        }
        if let Some(&group) = name_group.get(name.as_ref()) {
            if a.enabled && !held.contains(a.id.as_str()) {
                offered.push((group, a));
            } else {
                unavailable[group] = true;
            }
        } else if a.enabled && !held.contains(a.id.as_str()) {
            spaced.insert(&name, a);
        }
    }
    drop((account_by_id, held, binding_by_user, seen_users, name_group));

    // Each name's members and accounts side by side (stable: in the order they were given).
    waiting.sort_by_key(|&(group, _)| group);
    offered.sort_by_key(|&(group, _)| group);
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut members_of_name: Vec<&Member> = Vec::new();
    let mut offered_rest = offered.as_slice();
    for run in waiting.chunk_by(|x, y| x.0 == y.0) {
        let name = run[0].0;
        // A name whose only waiting member was taken by a rename has accounts and no members left.
        let orphaned = offered_rest.iter().take_while(|(group, _)| *group < name).count();
        offered_rest = &offered_rest[orphaned..];
        let taken = offered_rest.iter().take_while(|(group, _)| *group == name).count();
        let (accounts, rest) = offered_rest.split_at(taken);
        offered_rest = rest;
        members_of_name.clear();
        members_of_name.extend(run.iter().map(|&(_, m)| m));
        // Accounts whose names differ from this one only by spacing: candidates, never pairs.
        let near = spaced.offered_to(&normalized(members_of_name[0].name.as_str()));
        if accounts.is_empty() {
            // No account has the exact name: those differing only by spacing are the only candidates.
            if !near.is_empty() {
                let group = groups.len();
                for m in &members_of_name {
                    let work = Work::Spacing { member: m, group };
                    items.push(Item::new(RowKind::NameSpacingDiffers, m.name.as_str(), m.userid.as_str(), work));
                }
                groups.push(Group::spacing(near.to_vec()));
                continue;
            }
            for m in &members_of_name {
                let work = Work::NoMatch { member: m, unavailable: unavailable[name] };
                items.push(Item::new(RowKind::NoMatch, m.name.as_str(), m.userid.as_str(), work));
            }
            continue;
        }
        let spacing = near.to_vec();
        let group = Group::new(&members_of_name, accounts.iter().map(|&(_, a)| a).collect(), spacing);
        for (index, (m, outcome)) in members_of_name.iter().zip(&group.outcomes).enumerate() {
            let kind = match *outcome {
                Outcome::Pair { account, .. }
                    if rows::departments_differ(m, group.accounts[account], group.agree(m, index, account)) =>
                {
                    RowKind::NameMatchDepartmentsDiffer
                }
                Outcome::Pair { .. } => RowKind::NameMatch,
                Outcome::Ambiguous { .. } => RowKind::Ambiguous,
                // Every account of the name went to another member: a spacing variant is still theirs
                // to claim, so no new account is made for them by commit.
                Outcome::Taken if !group.spacing.is_empty() => RowKind::NameSpacingDiffers,
                Outcome::Taken => RowKind::NoMatch,
            };
            let work = Work::Grouped { member: m, group: groups.len(), index };
            items.push(Item::new(kind, m.name.as_str(), m.userid.as_str(), work));
        }
        groups.push(group);
    }
    (items, groups)
}

/// Indices of `items` in row order (see the module documentation).
fn row_order(items: &[Item<'_>]) -> Vec<usize> {
    fn rank(kind: RowKind) -> u8 {
        match kind {
            RowKind::AlreadyBound => 0,
            RowKind::NameMatch => 1,
            RowKind::NameMatchDepartmentsDiffer => 2,
            RowKind::RenameProposed => 3,
            RowKind::Ambiguous => 4,
            RowKind::NameSpacingDiffers => 5,
            RowKind::NoMatch => 6,
            RowKind::LeftWecom => 7,
            _ => 8,
        }
    }
    // Most comparisons are settled by the kind and the name's first eight bytes (a Chinese name
    // is six or nine), compared as one integer held next to the index; only ties read the
    // strings, which lie scattered over the heap.
    let mut order: Vec<(u8, u64, usize)> =
        items.iter().enumerate().map(|(i, item)| (rank(item.kind), prefix(&item.name), i)).collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| items[a.2].order_key().cmp(&items[b.2].order_key()))
    });
    order.into_iter().map(|(_, _, i)| i).collect()
}

/// The first eight bytes of `s` as a big-endian integer, zero-padded: `prefix(a) < prefix(b)`
/// implies `a < b` in byte order, so it can settle a comparison before the strings are read.
fn prefix(s: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = s.len().min(8);
    bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Below this many rows the table is built on the calling thread: starting threads would cost
/// more than they save.
const PARALLEL_MIN_ROWS: usize = 20_000;
/// Most threads a build uses. Building is allocation and copying, where the allocator and page
/// faults soon set the pace rather than the cores.
const MAX_BUILD_THREADS: usize = 4;

fn build_threads(rows: usize) -> usize {
    if rows < PARALLEL_MIN_ROWS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_BUILD_THREADS)
    }
}

/// Builds the rows in `order`, split into `threads` contiguous runs. The calling thread builds the
/// first run straight into the table and appends the others' runs in order, so the table is the
/// same whatever the split; the other runs are held twice only until appended. (Measured at
/// 100,000 members on 2 cores: about 12 % faster than one thread.)
fn build_rows(
    items: &[Item<'_>],
    order: &[usize],
    groups: &[Group<'_>],
    declined: &Declined,
    threads: usize,
) -> Vec<ProposalRow> {
    let build =
        |run: &[usize]| run.iter().map(|&i| build_row(&items[i], groups, declined)).collect::<Vec<ProposalRow>>();
    if threads <= 1 || order.len() < 2 {
        return build(order);
    }
    let run_len = order.len().div_ceil(threads);
    let mut runs = order.chunks(run_len);
    let first = runs.next().unwrap_or_default();
    // A panic in a worker resurfaces on this thread when it is joined, and the hook's guard turns
    // it into an error like any other.
    std::thread::scope(|scope| {
        // A run whose thread cannot be started (a host limiting threads) is built here instead.
        let workers: Vec<_> = runs
            .map(|run| {
                (run, std::thread::Builder::new().name("wecom-rows".into()).spawn_scoped(scope, move || build(run)))
            })
            .collect();
        let mut rows = Vec::with_capacity(order.len());
        rows.extend(first.iter().map(|&i| build_row(&items[i], groups, declined)));
        for (run, worker) in workers {
            match worker.map(|w| w.join()) {
                Ok(Ok(built)) => rows.extend(built),
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => rows.extend(run.iter().map(|&i| build_row(&items[i], groups, declined))),
            }
        }
        rows
    })
}

/// Builds one row; `declined` holds the accounts members declined at login.
fn build_row(item: &Item<'_>, groups: &[Group<'_>], declined: &Declined) -> ProposalRow {
    build_row_declining(item, groups, member_declines(item, declined))
}

/// Builds one row; `mine` are the accounts its member declined at login.
fn build_row_declining(item: &Item<'_>, groups: &[Group<'_>], mine: &[String]) -> ProposalRow {
    match item.work {
        Work::Bound { member, binding, account } => {
            let agree = account.is_some_and(|a| departments_agree(&member.department_names, &a.departments));
            rows::bound(member, binding, account, agree)
        }
        Work::Gone { binding, account } => rows::gone(binding, account),
        Work::Inactive { member } => rows::inactive(member),
        Work::NoMatch { member, unavailable } => rows::no_match(member, unavailable),
        Work::Grouped { member, group, index } => groups[group].row(member, index, mine),
        Work::Rename { member, binding, account } => rows::rename(member, binding, account),
        Work::Spacing { member, group } => groups[group].spacing_row(member, false, mine),
    }
}

/// Probable userid changes: a binding gone from a complete read whose account has the normalised
/// name of exactly one waiting member, with the same (non-empty) departments, and no other gone binding of
/// that name. Each such member leaves `waiting` and is returned with the binding it takes over.
/// Linear: one pass over the gone bindings, one over the waiting members.
fn renames<'a>(
    gone: &[(&'a Binding, Option<&'a PlatformAccount>)],
    waiting: &mut Vec<(usize, &'a Member)>,
    name_group: &Map<Cow<'a, str>, usize>,
) -> Vec<(&'a Member, &'a Binding, &'a PlatformAccount)> {
    // Per name group: the one gone binding with that name, or None when there are several.
    let mut gone_by_group: Map<usize, Option<(&Binding, &PlatformAccount)>> = map(gone.len());
    for &(b, account) in gone {
        let Some(account) = account else { continue };
        if let Some(&group) = name_group.get(normalized(account.name.as_str()).as_ref()) {
            gone_by_group.entry(group).and_modify(|slot| *slot = None).or_insert(Some((b, account)));
        }
    }
    if gone_by_group.is_empty() {
        return Vec::new();
    }
    let mut waiting_per_group: Map<usize, usize> = map(gone_by_group.len());
    for (group, _) in waiting.iter() {
        if gone_by_group.contains_key(group) {
            *waiting_per_group.entry(*group).or_insert(0) += 1;
        }
    }
    let mut found = Vec::new();
    waiting.retain(|&(group, member)| {
        let Some(Some((b, account))) = gone_by_group.get(&group).copied() else { return true };
        let alone = waiting_per_group.get(&group).copied() == Some(1);
        if alone && member.status == MemberStatus::Active && same_departments(member, account) {
            found.push((member, b, account));
            false
        } else {
            true
        }
    });
    found
}

/// The member's and the account's department names are the same non-empty set (normalised): a
/// name alone is too weak to suggest that two userids are one person.
fn same_departments(member: &Member, account: &PlatformAccount) -> bool {
    if member.department_names.is_empty() || account.departments.is_empty() {
        return false;
    }
    let mut a: Vec<Cow<'_, str>> = member.department_names.iter().map(|d| normalized(d.as_str())).collect();
    let mut b: Vec<Cow<'_, str>> = account.departments.iter().map(|d| normalized(d.as_str())).collect();
    a.sort_unstable();
    a.dedup();
    b.sort_unstable();
    b.dedup();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::testkit::kinds::*;
    use crate::binding::testkit::*;
    use std::collections::HashSet;

    #[test]
    fn single_name_match() {
        let p = propose(&input(vec![member("wxk", "王晓楷", &["研发"])], vec![account("a1", "王晓楷", &[])], vec![]));
        assert_eq!(kind_of(&p, "wxk"), NameMatch);
        assert_eq!(account_of(&p, "wxk").as_deref(), Some("a1"));
        let r = row(&p, "wxk");
        assert_eq!(r.label.zh.as_str(), "姓名匹配");
        assert_eq!(r.label.en.as_str(), "name match");
        assert!(!r.reason.en.contains("department agree"));
        assert!(r.candidates.is_empty());
    }

    #[test]
    fn a_declined_pair_is_never_proposed_nor_listed() {
        let mut i = input(
            vec![member("WXK", "王晓楷", &["研发"]), member("zx", "张旭", &[])],
            vec![account("a1", "王晓楷", &[]), account("z1", "张旭", &[]), account("z2", "张旭", &[])],
            vec![],
        );
        i.set_declined_pairs(&[("wxk".into(), "a1".into()), ("zx".into(), "z1".into())]);
        let p = propose(&i);
        assert_eq!(kind_of(&p, "WXK"), Ambiguous);
        assert!(account_of(&p, "WXK").is_none());
        assert!(row(&p, "WXK").reason.en.contains("not theirs") && row(&p, "WXK").reason.zh.contains("不是本人"));
        assert_eq!(kind_of(&p, "zx"), Ambiguous);
        let listed: Vec<&str> = row(&p, "zx").candidates.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(listed, ["z2"]);
        assert_eq!((p.counts.name_matches, p.counts.ambiguous), (0, 2));
        // Nothing declined: as before.
        i.ext = Default::default();
        assert_eq!(kind_of(&propose(&i), "WXK"), NameMatch);
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
    fn names_differing_only_by_spacing_are_candidates_never_matches() {
        let i = input(
            vec![member("wxk", "王晓楷", &["研发"]), member("zs", "张三", &[])],
            vec![
                account("a2", "王\u{3000}晓楷", &[]),
                account("a1", "王 晓楷", &["研发"]),
                account("z1", "张三", &[]),
                account("z2", "张 三", &[]),
                disabled(account("a3", "王晓 楷", &[])),
            ],
            vec![],
        );
        let p = propose(&i);
        assert_eq!(kind_of(&p, "wxk"), RowKind::NameSpacingDiffers);
        assert_eq!(account_of(&p, "wxk"), None, "never a proposed pair");
        let r = row(&p, "wxk");
        let ids: Vec<&str> = r.candidates.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"], "agreeing department first; the disabled one never offered");
        assert!(r.candidates[0].department_agrees);
        assert_eq!(r.label.zh.as_str(), "姓名仅空格不同");
        assert!(r.reason.en.contains("differ from it only by spacing"), "{:?}", r.reason);
        // A member with an exact-name account is proposed that one; the spaced one is only listed
        // beside it as an alternative.
        assert_eq!(kind_of(&p, "zs"), NameMatch);
        assert_eq!(account_of(&p, "zs").as_deref(), Some("z1"));
        let alternatives: Vec<&str> = row(&p, "zs").candidates.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(alternatives, ["z2"]);
        assert_eq!(p.name_spacing_differs(), 1, "counted apart in the header");
        // Held by a binding: never offered.
        let held =
            input(vec![member("wxk", "王晓楷", &[])], vec![account("a1", "王 晓楷", &[])], vec![bind("o", "a1")]);
        assert_eq!(kind_of(&propose(&held), "wxk"), NoMatch);
        // Spaces between Latin words stay different names.
        let latin = input(vec![member("w", "Wangxiao", &[])], vec![account("a1", "Wang Xiao", &[])], vec![]);
        assert_eq!(kind_of(&propose(&latin), "w"), NoMatch);
    }

    #[test]
    fn spacing_variants_are_candidates_beside_exact_names_never_pairs() {
        let i = input(
            vec![
                // Two members, two exact accounts: ambiguous; the spaced account is a third choice.
                member("w1", "王晓楷", &[]),
                member("w2", "王晓楷", &[]),
                // One member, one exact account: still the name match; the spaced one an alternative.
                member("zs", "张三", &[]),
                // Two members, one exact account that departments give to l1: l2 is not made a new
                // account, the spaced one is theirs to claim.
                member("l1", "李伟", &["研发"]),
                member("l2", "李伟", &["市场"]),
            ],
            vec![
                account("a1", "王晓楷", &[]),
                account("a2", "王晓楷", &[]),
                account("s1", "王 晓楷", &[]),
                account("z1", "张三", &[]),
                account("z2", "张\u{3000}三", &[]),
                account("la", "李伟", &["研发"]),
                account("ls", "李 伟", &["市场"]),
            ],
            vec![],
        );
        let p = propose(&i);
        let ids = |u: &str| row(&p, u).candidates.iter().map(|c| c.account_id.to_string()).collect::<Vec<_>>();
        for u in ["w1", "w2"] {
            assert_eq!(kind_of(&p, u), Ambiguous);
            assert_eq!(account_of(&p, u), None);
            assert_eq!(ids(u), ["a1", "a2", "s1"], "exact names first, then the spacing variant");
        }
        assert_eq!(kind_of(&p, "zs"), NameMatch);
        assert_eq!(account_of(&p, "zs").as_deref(), Some("z1"), "a unique exact match stays what it is");
        assert_eq!(ids("zs"), ["z2"]);
        assert_eq!(kind_of(&p, "l1"), NameMatch);
        assert_eq!(account_of(&p, "l1").as_deref(), Some("la"));
        assert_eq!(ids("l1"), ["ls"]);
        assert_eq!(kind_of(&p, "l2"), RowKind::NameSpacingDiffers, "taken, but a spacing variant is left");
        assert_eq!(account_of(&p, "l2"), None);
        assert_eq!(ids("l2"), ["ls"]);
        assert!(row(&p, "l2").reason.en.contains("went to other members"), "{:?}", row(&p, "l2").reason);
        assert_eq!(p.name_spacing_differs(), 1);
        // Commit binds only the exact pairs, by name; no spacing variant, and no new account for l2.
        let c = crate::binding::build_change_set(&commit_input(&i, &p, vec![])).expect("commit");
        let mut bound: Vec<(&str, &str)> =
            c.create_bindings.iter().map(|b| (b.userid.as_str(), b.account_id.as_str())).collect();
        bound.sort();
        assert_eq!(bound, [("l1", "la"), ("zs", "z1")]);
        assert!(c.create_accounts.is_empty(), "{:?}", c.create_accounts);
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

    /// A name many share: 30 members and 31 accounts of 张伟. Each row lists the ten likeliest
    /// (the two sharing the member's department first, though last in display order, then the one
    /// naming no department, then those naming another), says there were 31, and the reason says
    /// only the likeliest are listed.
    #[test]
    fn a_large_name_lists_the_likeliest_and_counts_the_rest() {
        let members: Vec<_> = (0..30).map(|n| member(&format!("zw{n:02}"), "张伟", &["研发"])).collect();
        let mut accounts: Vec<_> = (0..28).map(|n| account(&format!("a{n:02}"), "张伟", &["市场"])).collect();
        accounts.push(account("a98", "张伟", &["研发"]));
        accounts.push(account("a99", "张伟", &["研发"]));
        accounts.push(account("a50", "张伟", &[]));
        let p = propose(&input(members, accounts, vec![]));
        for n in 0..30 {
            let r = row(&p, &format!("zw{n:02}"));
            assert_eq!(r.kind, Ambiguous);
            let ids: Vec<&str> = r.candidates.iter().map(|c| c.account_id.as_str()).collect();
            assert_eq!(ids.len(), MAX_LISTED);
            assert_eq!(ids[..4], ["a98", "a99", "a50", "a00"], "agreeing, no department, then the rest");
            assert!(r.candidates[0].department_agrees && r.candidates[1].department_agrees);
            assert!(!r.candidates[2].department_agrees);
            assert_eq!(r.candidates_total(), 31);
            assert!(r.reason.en.contains("likeliest") && r.reason.zh.contains("最可能"), "{:?}", r.reason);
        }
        // A small name lists everything and records no total.
        let p = propose(&input(
            vec![member("zs", "张三", &[])],
            vec![account("b1", "张三", &[]), account("b2", "张三", &[])],
            vec![],
        ));
        assert_eq!((row(&p, "zs").candidates.len(), row(&p, "zs").candidates_total()), (2, 2));
        assert!(row(&p, "zs").ext.is_empty() && !row(&p, "zs").reason.en.contains("likeliest"));
    }

    /// A declined account leaves the list and the next one takes its place; the total drops by one.
    #[test]
    fn a_declined_account_makes_room_for_the_next() {
        let members: Vec<_> = (0..12).map(|n| member(&format!("zw{n:02}"), "张伟", &[])).collect();
        let accounts: Vec<_> = (0..12).map(|n| account(&format!("a{n:02}"), "张伟", &[])).collect();
        let mut i = input(members, accounts, vec![]);
        i.set_declined_pairs(&[("ZW00".into(), "a00".into())]);
        let p = propose(&i);
        let ids: Vec<&str> = row(&p, "zw00").candidates.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(ids.len(), MAX_LISTED);
        assert_eq!((ids[0], ids[MAX_LISTED - 1]), ("a01", "a10"));
        assert_eq!(row(&p, "zw00").candidates_total(), 11);
        assert_eq!(row(&p, "zw01").candidates[0].account_id.as_str(), "a00", "only the member who declined it");
    }

    /// The table stays proportional to the members however large a name grows: 400 members and
    /// 400 accounts of one name give 400 rows of at most ten candidates, not 160,000.
    #[test]
    fn candidates_grow_with_the_members_not_with_the_square_of_a_name() {
        let members: Vec<_> =
            (0..400).map(|n| member(&format!("w{n:03}"), "王伟", &[&format!("部门{}", n % 7)])).collect();
        let accounts: Vec<_> =
            (0..400).map(|n| account(&format!("a{n:03}"), "王伟", &[&format!("部门{}", n % 5)])).collect();
        let p = propose(&input(members, accounts, vec![]));
        let listed: usize = p.rows.iter().map(|r| r.candidates.len()).sum();
        assert!(listed <= 400 * MAX_LISTED, "{listed}");
        assert!(p.rows.iter().all(|r| r.kind != Ambiguous || r.candidates_total() == 400));
        // The same with every account typed with a space ("王 伟"): spacing rows, as bounded.
        let members: Vec<_> = (0..400).map(|n| member(&format!("w{n:03}"), "王伟", &[])).collect();
        let spaced: Vec<_> = (0..400).map(|n| account(&format!("s{n:03}"), "王 伟", &[])).collect();
        let q = propose(&input(members, spaced, vec![]));
        assert!(q.rows.iter().all(|r| r.kind == RowKind::NameSpacingDiffers && r.candidates.len() == MAX_LISTED));
        assert!(q.rows.iter().all(|r| r.candidates_total() == 400));
        // Members of 部门0..部门4 see agreeing accounts first; those of 部门5 and 部门6 none.
        let r = row(&p, "w000");
        assert!(r.candidates.iter().all(|c| c.department_agrees));
        assert!(row(&p, "w005").candidates.iter().all(|c| !c.department_agrees));
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
        // The third member of that name is the only one left for the only account left, but their
        // departments disagree: offered to the operator, never bound by elimination alone.
        assert_eq!(kind_of(&p, "zs3"), NameMatchDepartmentsDiffer);
        assert_eq!(account_of(&p, "zs3").as_deref(), Some("a3"));
        assert!(row(&p, "zs3").reason.en.contains("none of the departments agree"));
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
                left_wecom: 2,
                ..Default::default()
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
    fn the_table_is_the_same_built_on_one_thread_or_several() {
        let names = ["张三", "李四", "王五", "Clear", "ｃｌｅａｒ"];
        let depts = ["研发", "销售", "市场"];
        let mut rng = fastrand::Rng::with_seed(21);
        let members = (0..400)
            .map(|i| member(&format!("u{i}"), names[rng.usize(..names.len())], &[depts[rng.usize(..3)]]))
            .collect();
        let accounts = (0..300)
            .map(|i| account(&format!("a{i}"), names[rng.usize(..names.len())], &[depts[rng.usize(..3)]]))
            .collect();
        let bindings = (0..40).map(|i| bind(&format!("u{}", i * 7), &format!("a{}", i * 5))).collect();
        let mut i = input(members, accounts, bindings);
        // Names only one member and one account have: name matches.
        for n in 0..20 {
            i.snapshot.members.push(member(&format!("solo{n}"), &format!("独{n}"), &[]));
            i.accounts.push(account(&format!("s{n}"), &format!("独{n}"), &[]));
        }
        let declined = Declined::default();
        let (items, groups) = decide(&i);
        let order = row_order(&items);
        let one = build_rows(&items, &order, &groups, &declined, 1);
        assert!(one.iter().any(|r| r.kind == Ambiguous) && one.iter().any(|r| r.kind == NameMatch));
        for threads in [2, 3, 4, 7] {
            assert_eq!(build_rows(&items, &order, &groups, &declined, threads), one, "{threads} threads");
        }
        assert_eq!(propose(&i).rows.as_slice(), one.as_slice());
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
