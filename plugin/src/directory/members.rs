//! Members gathered from several reads (departments, individual members, tags): each member once,
//! keyed by lower-cased userid (WeCom userids are case-insensitive), with all their departments,
//! named from the department tree.
//!
//! A read merges pages while other requests are still out, and whatever is left to do after the
//! last answer is time the user waits. So the set keeps the members in arrival order, already
//! named and each with its fingerprint (see [`Hashed`]), with a B-tree of small entries (key →
//! position) for the order; [`MemberSet::into_sorted`] then moves the members in place (linear), inside
//! memory the read already touched, and folds fingerprints instead of reading every member again.

use super::fingerprint::member_hash;
use super::tree::DeptTree;
use interface::{Member, MemberStatus};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A member with the fingerprint of its content ([`member_hash`]), computed where the member was
/// built (a page's own task, while its fields are in the cache) rather than after the read.
#[derive(Debug, Clone)]
pub struct Hashed {
    member: Member,
    hash: u64,
}

impl Hashed {
    /// Fingerprints `member`.
    pub fn new(member: Member) -> Self {
        let hash = member_hash(&member);
        Hashed { member, hash }
    }
}

impl From<Member> for Hashed {
    fn from(member: Member) -> Self {
        Hashed::new(member)
    }
}

/// Members merged by userid, in arrival order, indexed by lower-cased userid.
#[derive(Debug, Default)]
pub struct MemberSet {
    /// Lower-cased userid → position in `arrived`.
    index: BTreeMap<String, u32>,
    arrived: Vec<Member>,
    /// `hashes[i]` is `member_hash(&arrived[i])`.
    hashes: Vec<u64>,
    /// Names the members' departments. The tree is complete before any member is read (`fetch`
    /// reads it first), so a member is named when it is added, never in a pass at the end.
    tree: Arc<DeptTree>,
}

/// The members of a [`MemberSet`], sorted by lower-cased userid.
pub struct Sorted {
    /// The members.
    pub members: Vec<Member>,
    /// `hashes[i]` is the fingerprint of `members[i]` ([`member_hash`]).
    pub hashes: Vec<u64>,
    /// The index's keys, spent: the caller may free them where the time is not waited on (50,000
    /// small frees are a few milliseconds).
    pub spent_keys: Vec<String>,
}

impl MemberSet {
    /// An empty set whose members are named from `tree`.
    pub fn new(tree: Arc<DeptTree>) -> Self {
        MemberSet { tree, ..MemberSet::default() }
    }

    /// Adds a member, or merges its departments (and better-known fields) into the one already
    /// there. A member whose department names do not cover its departments is named here.
    pub fn add(&mut self, member: impl Into<Hashed>) {
        let Hashed { mut member, hash } = member.into();
        let key = member.userid.as_str().to_lowercase();
        match self.index.get(&key) {
            None => {
                if member.department_names.is_empty() && !member.department_ids.is_empty() {
                    member.department_names = self.tree.names(&member.department_ids);
                }
                let position = u32::try_from(self.arrived.len()).unwrap_or(u32::MAX);
                self.index.insert(key, position);
                self.arrived.push(member);
                self.hashes.push(hash);
            }
            Some(&position) => {
                let position = position as usize;
                let existing = &mut self.arrived[position];
                let known = existing.department_ids.len();
                for id in member.department_ids.iter() {
                    if !existing.department_ids.contains(id) {
                        existing.department_ids.push(*id);
                    }
                }
                let mut changed = existing.department_ids.len() != known;
                if changed {
                    // Sorted again, so pages that disagree about a member's departments give the
                    // same snapshot whatever order they arrive in.
                    existing.department_ids.sort_unstable();
                    existing.department_names = self.tree.names(&existing.department_ids);
                }
                if existing.status == MemberStatus::Unknown && member.status != MemberStatus::Unknown {
                    existing.status = member.status;
                    changed = true;
                }
                if existing.position.is_empty() {
                    existing.position = member.position;
                }
                if existing.name.is_empty() && !member.name.is_empty() {
                    existing.name = member.name;
                    changed = true;
                }
                if changed {
                    self.hashes[position] = member_hash(existing);
                }
            }
        }
    }

    /// True when the userid is already present.
    pub fn contains(&self, userid: &str) -> bool {
        self.index.contains_key(&userid.to_lowercase())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.arrived.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.arrived.is_empty()
    }

    /// The members sorted by lower-cased userid, with their fingerprints. The arrival-order
    /// storage is permuted in place: no second copy of every member, no fresh pages to fault in.
    pub fn into_sorted(self) -> Sorted {
        let MemberSet { index, mut arrived, mut hashes, .. } = self;
        let mut order = Vec::with_capacity(index.len());
        let mut spent_keys = Vec::with_capacity(index.len());
        for (key, position) in index {
            order.push(position);
            spent_keys.push(key);
        }
        permute(&mut arrived, &mut hashes, &mut order);
        Sorted { members: arrived, hashes, spent_keys }
    }

    /// The members, sorted by lower-cased userid.
    pub fn into_members(self) -> Vec<Member> {
        self.into_sorted().members
    }
}

/// Reorders `members` and `hashes` in place so that the new `i`-th item is the old `order[i]`-th,
/// following each cycle of the permutation with swaps (`order` is spent as the visited marks).
/// `order` must be a permutation of `0..members.len()`.
fn permute(members: &mut [Member], hashes: &mut [u64], order: &mut [u32]) {
    debug_assert_eq!(members.len(), order.len());
    for start in 0..order.len() {
        let mut i = start;
        while order[i] as usize != start {
            let from = order[i] as usize;
            if from == i {
                break;
            }
            members.swap(i, from);
            hashes.swap(i, from);
            order[i] = i as u32;
            i = from;
        }
        order[i] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::tree::DeptNode;

    fn member(userid: &str, depts: &[u32], status: MemberStatus) -> Member {
        Member {
            userid: userid.into(),
            name: "张旭".into(),
            department_ids: depts.to_vec().into(),
            department_names: Default::default(),
            position: "".into(),
            status,
        }
    }

    fn tree() -> Arc<DeptTree> {
        let node = |name: &str| DeptNode { name: name.into(), parent_id: 1, order: 0 };
        Arc::new(DeptTree::new([(2, node("研发")), (3, node("销售")), (4, node("市场"))]))
    }

    fn names(m: &Member) -> Vec<&str> {
        m.department_names.iter().map(|n| n.as_str()).collect()
    }

    #[test]
    fn a_member_in_several_departments_appears_once_with_all_of_them() {
        let mut set = MemberSet::new(tree());
        set.add(member("ZhangXu", &[2], MemberStatus::Unknown));
        set.add(member("zhangxu", &[4, 2], MemberStatus::Active));
        set.add(member("other", &[3], MemberStatus::Active));
        let members = set.into_members();
        assert_eq!(members.len(), 2);
        let zx = members.iter().find(|m| m.userid.as_str() == "ZhangXu").expect("kept as first seen");
        assert_eq!(zx.department_ids.as_slice(), &[2, 4]);
        assert_eq!(zx.status, MemberStatus::Active);
    }

    #[test]
    fn members_are_named_when_added_and_renamed_when_a_merge_adds_departments() {
        let named = |userid: &str, depts: &[u32], names: &[&str]| Member {
            department_names: names.iter().map(|n| (*n).into()).collect(),
            ..member(userid, depts, MemberStatus::Active)
        };
        let mut set = MemberSet::new(tree());
        set.add(named("zx", &[2], &["研发"]));
        set.add(named("zx", &[2], &["研发"]));
        set.add(named("other", &[3], &["销售"]));
        set.add(named("other", &[4], &["市场"]));
        set.add(member("single", &[4, 9], MemberStatus::Active));
        let members = set.into_members();
        assert_eq!(members[0].department_ids.as_slice(), &[3, 4]);
        assert_eq!(names(&members[0]), ["销售", "市场"], "a new department: named in the merge");
        assert_eq!(names(&members[1]), ["市场"], "read without names: named from the tree (9 is not in it)");
        assert_eq!(names(&members[2]), ["研发"], "same departments: names kept");
    }

    /// Pages that disagree about a member's departments (the directory changed during the read)
    /// give the same member and fingerprint whatever order they arrive in.
    #[test]
    fn pages_disagreeing_about_departments_merge_alike_in_any_order() {
        let read = |pages: &[&[u32]]| {
            let mut set = MemberSet::new(tree());
            for depts in pages {
                set.add(member("zx", depts, MemberStatus::Active));
            }
            let Sorted { members, hashes, .. } = set.into_sorted();
            (members, hashes)
        };
        let (a, ha) = read(&[&[3], &[2, 4]]);
        let (b, hb) = read(&[&[2, 4], &[3]]);
        assert_eq!(a[0].department_ids.as_slice(), &[2, 3, 4]);
        assert_eq!((a, ha), (b, hb));
    }

    #[test]
    fn sorted_output_matches_a_sort_and_every_hash_its_member() {
        let mut set = MemberSet::new(tree());
        let ids = ["m07", "A02", "m03", "z10", "b05", "M01", "c04", "a09", "y06", "x08", "m03"];
        for (i, id) in ids.iter().enumerate() {
            let status = if i % 2 == 0 { MemberStatus::Unknown } else { MemberStatus::Active };
            set.add(member(id, &[2 + (i as u32 % 3)], status));
        }
        let Sorted { members, hashes, spent_keys } = set.into_sorted();
        let got: Vec<String> = members.iter().map(|m| m.userid.as_str().to_lowercase()).collect();
        let mut expected: Vec<String> = ids.iter().map(|id| id.to_lowercase()).collect();
        expected.sort();
        expected.dedup();
        assert_eq!(got, expected);
        assert_eq!(spent_keys, expected);
        for (m, h) in members.iter().zip(&hashes) {
            assert_eq!(*h, member_hash(m), "{}: the hash follows its member, merges included", m.userid);
        }
    }

    #[test]
    fn every_permutation_of_four_is_applied() {
        let mut perm = [0u32, 1, 2, 3];
        let mut seen = 0;
        // Heap's algorithm, iteratively.
        let mut c = [0usize; 4];
        let mut check = |p: &[u32; 4]| {
            let mut members: Vec<Member> =
                (0..4).map(|i| member(&format!("u{i}"), &[], MemberStatus::Active)).collect();
            let mut hashes: Vec<u64> = (0..4).collect();
            let mut order = p.to_vec();
            permute(&mut members, &mut hashes, &mut order);
            for i in 0..4 {
                assert_eq!(members[i].userid.as_str(), format!("u{}", p[i]), "{p:?}");
                assert_eq!(hashes[i], u64::from(p[i]), "{p:?}");
            }
            seen += 1;
        };
        check(&perm);
        let mut i = 0;
        while i < 4 {
            if c[i] < i {
                if i % 2 == 0 {
                    perm.swap(0, i);
                } else {
                    perm.swap(c[i], i);
                }
                check(&perm);
                c[i] += 1;
                i = 0;
            } else {
                c[i] = 0;
                i += 1;
            }
        }
        assert_eq!(seen, 24);
    }
}
