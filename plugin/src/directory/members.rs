//! Members gathered from several reads (departments, individual members, tags): each member once,
//! keyed by lower-cased userid (WeCom userids are case-insensitive), with all their departments.

use interface::{Member, MemberStatus};
use std::collections::BTreeMap;

/// Members merged by userid.
#[derive(Debug, Default)]
pub struct MemberSet {
    by_key: BTreeMap<String, Member>,
}

impl MemberSet {
    /// Adds a member, or merges its departments (and better-known fields) into the one already there.
    pub fn add(&mut self, member: Member) {
        let key = member.userid.as_str().to_lowercase();
        match self.by_key.get_mut(&key) {
            None => {
                self.by_key.insert(key, member);
            }
            Some(existing) => {
                let known = existing.department_ids.len();
                for id in member.department_ids.iter() {
                    if !existing.department_ids.contains(id) {
                        existing.department_ids.push(*id);
                    }
                }
                if existing.department_ids.len() != known {
                    // The names no longer cover every department: dropped, for the caller to
                    // name them all again once every page is merged.
                    existing.department_names = Default::default();
                }
                if existing.status == MemberStatus::Unknown {
                    existing.status = member.status;
                }
                if existing.position.is_empty() {
                    existing.position = member.position;
                }
                if existing.name.is_empty() {
                    existing.name = member.name;
                }
            }
        }
    }

    /// True when the userid is already present.
    pub fn contains(&self, userid: &str) -> bool {
        self.by_key.contains_key(&userid.to_lowercase())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The members, sorted by lower-cased userid.
    pub fn into_members(self) -> Vec<Member> {
        self.by_key.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_member_in_several_departments_appears_once_with_all_of_them() {
        let mut set = MemberSet::default();
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
    fn names_are_dropped_when_a_merge_adds_departments_and_kept_otherwise() {
        let named = |depts: &[u32], names: &[&str]| Member {
            department_names: names.iter().map(|n| (*n).into()).collect(),
            ..member("zx", depts, MemberStatus::Active)
        };
        let mut set = MemberSet::default();
        set.add(named(&[2], &["研发"]));
        set.add(named(&[2], &["研发"]));
        set.add(Member { userid: "other".into(), ..named(&[3], &["销售"]) });
        set.add(Member { userid: "other".into(), ..named(&[4], &["市场"]) });
        let members = set.into_members();
        assert_eq!(members[1].department_names.len(), 1, "same departments: names still cover them");
        assert!(members[0].department_names.is_empty(), "a new department: named again by the caller");
        assert_eq!(members[0].department_ids.as_slice(), &[3, 4]);
    }
}
