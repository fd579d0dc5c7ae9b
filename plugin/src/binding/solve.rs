//! Pairing within one name: the members and accounts that share a normalised name, and what
//! their departments say about who is who.
//!
//! Department names are compared in the same normalised form as person names. Agreement is
//! evidence, never proof: it may single out one pair among several of a name, and it raises the
//! confidence shown for a pair made by name, but two agreeing candidates are never split by
//! guessing.

use super::names::normalized;
use abi_stable::std_types::RString;
use std::borrow::Cow;

/// Department names in comparison form: normalised, without empties, sorted and deduplicated
/// (so agreement is a merge, and an account listed twice under one name counts once).
pub(crate) fn department_keys<'s>(names: impl Iterator<Item = &'s str>) -> Keys<'s> {
    let mut keys: Keys<'s> = names.map(normalized).filter(|k| !k.is_empty()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Department names in comparison form, sorted and deduplicated.
pub(crate) type Keys<'s> = Vec<Cow<'s, str>>;

/// The department keys of one side of a name group (its members, or its accounts), each item's
/// keys as [`department_keys`] makes them, all in one buffer: a group of a hundred members costs
/// two allocations, not a hundred.
#[derive(Default)]
pub(crate) struct KeyLists<'s> {
    keys: Vec<Cow<'s, str>>,
    /// Item `i`'s keys are `keys[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
}

impl<'s> KeyLists<'s> {
    pub(crate) fn new<L: IntoIterator<Item = &'s str>>(lists: impl ExactSizeIterator<Item = L>) -> Self {
        // Most people and accounts sit in one or two departments.
        let mut keys: Vec<Cow<'s, str>> = Vec::with_capacity(lists.len() * 2);
        let mut ends = Vec::with_capacity(lists.len());
        for list in lists {
            let start = keys.len();
            keys.extend(list.into_iter().map(normalized).filter(|k| !k.is_empty()));
            keys[start..].sort_unstable();
            // Deduplicate within the item: keep each key that differs from the one kept before it.
            let mut kept = start;
            for i in start..keys.len() {
                if kept == start || keys[i] != keys[kept - 1] {
                    keys.swap(kept, i);
                    kept += 1;
                }
            }
            keys.truncate(kept);
            ends.push(kept);
        }
        KeyLists { keys, ends }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(crate) fn get(&self, i: usize) -> &[Cow<'s, str>] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.keys[start..self.ends[i]]
    }
}

/// True when two sorted key lists share an element.
pub(crate) fn agrees(a: &[Cow<'_, str>], b: &[Cow<'_, str>]) -> bool {
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

/// True when a member's and an account's department lists share a name, without building the
/// sorted key lists: both lists are almost always one to three names long, so comparing every
/// pair is cheaper than allocating. Long lists take the sorted merge.
pub(crate) fn departments_agree(a: &[RString], b: &[RString]) -> bool {
    if a.len().saturating_mul(b.len()) > 16 {
        return agrees(&department_keys(a.iter().map(|d| d.as_str())), &department_keys(b.iter().map(|d| d.as_str())));
    }
    a.iter().any(|x| {
        let x = normalized(x.as_str());
        !x.is_empty() && b.iter().any(|y| normalized(y.as_str()) == x)
    })
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Paired with this account (index into the group's accounts).
    Pair { account: usize, by: PairBy },
    /// The operator decides among the group's open accounts ([`Solution::open`]); `members`
    /// members compete for them.
    Ambiguous { members: usize },
    /// Every account of this name went to another member of the group by department.
    Taken,
}

/// What [`solve`] decided for a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Solution {
    /// One outcome per member, in the order the members were given.
    pub outcomes: Vec<Outcome>,
    /// The accounts left when no further pair could be found: the candidates of every ambiguous
    /// member (they are all decided in the same, last round, so they share one list).
    pub open: Vec<usize>,
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
pub(crate) fn solve(member_depts: &KeyLists<'_>, account_depts: &KeyLists<'_>) -> Solution {
    let mut out: Vec<Option<Outcome>> = vec![None; member_depts.len()];
    let mut live_m: Vec<usize> = (0..member_depts.len()).collect();
    let mut live_a: Vec<usize> = (0..account_depts.len()).collect();
    let mut after_department = false;
    let mut open = Vec::new();
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
            let Some(a) = only_agreeing(member_depts.get(m), &accounts_by_dept) else { continue };
            if only_agreeing(account_depts.get(a), &members_by_dept) == Some(m) {
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
                out[m] = Some(Outcome::Ambiguous { members: live_m.len() });
            }
            open = live_a;
            break;
        }
        live_m.retain(|&m| out[m].is_none());
        live_a.retain(|&a| !paired_account[a]);
        after_department = true;
    }
    // Every member is decided when the loop ends; `Taken` is only a fallback for the type.
    Solution { outcomes: out.into_iter().map(|o| o.unwrap_or(Outcome::Taken)).collect(), open }
}

/// Every (department key, item) of the live items, sorted by key: a lookup is a binary search.
fn index_by_dept<'k>(live: &[usize], depts: &'k KeyLists<'_>) -> Vec<(&'k str, usize)> {
    let mut index: Vec<(&str, usize)> =
        live.iter().flat_map(|&i| depts.get(i).iter().map(move |d| (d.as_ref(), i))).collect();
    index.sort_unstable();
    index
}

/// The one item (of the other side) sharing a department with `depts`, or none when there are
/// zero or several. Stops at the second distinct hit.
fn only_agreeing(depts: &[Cow<'_, str>], index: &[(&str, usize)]) -> Option<usize> {
    let mut found = None;
    for d in depts {
        let d = d.as_ref();
        let start = index.partition_point(|(k, _)| *k < d);
        for &(_, i) in index[start..].iter().take_while(|(k, _)| *k == d) {
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

    #[test]
    fn solve_rounds() {
        let k = |v: &[&[&'static str]]| KeyLists::new(v.iter().map(|l| l.iter().copied()));
        // 1 member x 1 account: by name.
        let out = solve(&k(&[&[]]), &k(&[&[]]));
        assert_eq!(out.outcomes, [Outcome::Pair { account: 0, by: PairBy::Name { after_department: false } }]);
        assert!(out.open.is_empty());
        // Chain: m0 pairs with a0 by department; then m1 and a1 are the only ones left.
        let out = solve(&k(&[&["x"], &["y"]]), &k(&[&["x"], &["z"]])).outcomes;
        assert_eq!(out[0], Outcome::Pair { account: 0, by: PairBy::Department { accounts: 2, members: 2 } });
        assert_eq!(out[1], Outcome::Pair { account: 1, by: PairBy::Name { after_department: true } });
        // Nothing singles out anyone.
        let out = solve(&k(&[&["x"], &["x"]]), &k(&[&["x"], &["x"]]));
        assert!(out.outcomes.iter().all(|o| *o == Outcome::Ambiguous { members: 2 }));
        assert_eq!(out.open, [0, 1]);
        // One pair by department, then the rest is open: the open list leaves the paired account out.
        let out = solve(&k(&[&["x"], &["y"], &["y"]]), &k(&[&["x"], &["y"], &["y"]]));
        assert_eq!(out.outcomes[0], Outcome::Pair { account: 0, by: PairBy::Department { accounts: 3, members: 3 } });
        assert_eq!(out.outcomes[1..], [Outcome::Ambiguous { members: 2 }, Outcome::Ambiguous { members: 2 }]);
        assert_eq!(out.open, [1, 2]);
        // More members than accounts, all singled out: the one left over is `Taken`.
        let out = solve(&k(&[&["x"], &["y"]]), &k(&[&["x"]])).outcomes;
        assert_eq!(out[0], Outcome::Pair { account: 0, by: PairBy::Department { accounts: 1, members: 2 } });
        assert_eq!(out[1], Outcome::Taken);
    }

    #[test]
    fn departments_agree_matches_the_sorted_merge() {
        let pool = ["研发", "Ｒ＆Ｄ", "r&d", "销售", " ", "", "市场 ", "市场"];
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..5_000 {
            let mut list = || -> Vec<RString> {
                let n = rng.usize(0..6);
                (0..n).map(|_| pool[rng.usize(..pool.len())].into()).collect()
            };
            let (a, b) = (list(), list());
            let merged =
                agrees(&department_keys(a.iter().map(|d| d.as_str())), &department_keys(b.iter().map(|d| d.as_str())));
            assert_eq!(departments_agree(&a, &b), merged, "{a:?} {b:?}");
        }
    }

    #[test]
    fn key_lists_hold_each_items_department_keys() {
        let pool = ["研发", "Ｒ＆Ｄ", "r&d", "销售", " ", "", "市场 ", "市场"];
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..2_000 {
            let lists: Vec<Vec<&str>> = (0..rng.usize(0..5))
                .map(|_| (0..rng.usize(0..5)).map(|_| pool[rng.usize(..pool.len())]).collect())
                .collect();
            let flat = KeyLists::new(lists.iter().map(|l| l.iter().copied()));
            assert_eq!(flat.len(), lists.len());
            for (i, l) in lists.iter().enumerate() {
                assert_eq!(flat.get(i), department_keys(l.iter().copied()).as_slice(), "{lists:?}");
            }
        }
    }
}
