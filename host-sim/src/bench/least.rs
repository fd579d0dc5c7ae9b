//! The least number of WeCom calls a scope needs, worked out from the organisation alone, and the
//! members a complete read must return.
//!
//! What the plugin cannot avoid (see `plugin/src/directory/fetch.rs`):
//!
//! | endpoint | calls | why |
//! |---|---|---|
//! | `gettoken` | 1 | one token for the whole run (configure and read) |
//! | `agent/get` | 1 | configure's self-test, which also yields the visible range |
//! | configure's trusted-IP probe | 1 | one directory call that WeCom gates by 企业可信IP: `user/get` when members are in the range one by one, else `department/list` of the first department, else `tag/get` of the first tag |
//! | `department/list` | 1, 0 for a range without departments | the whole visible tree in one answer; a range of members or tags has no tree to read |
//! | `user/list` | one per listed department | it returns direct members only; listed = the chosen departments' sub-trees plus the sub-trees of the chosen tags' (visible) departments, each once |
//! | `tag/get` | one per chosen tag | the only way to learn a tag's members and departments |
//! | `user/get` | one per member chosen one by one or listed on a chosen tag, who is in no listed department | nothing else returns that member |
//!
//! A department with no direct members still costs its `user/list`: nothing in
//! `department/list` says it is empty.

use crate::fake_wecom::Org;
use interface::ScopeSelection;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Calls per endpoint a scope needs at the least, and the members a complete read holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Least {
    /// Calls per endpoint (path below `/cgi-bin/`).
    pub calls: BTreeMap<String, u64>,
    /// Lower-cased userids a complete read must return.
    #[serde(skip)]
    pub members: HashSet<String>,
    /// Departments whose members are listed.
    pub listed_departments: u64,
}

impl Least {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }
}

/// The least calls for reading `scope` as app `agent_id` of `org`, configure included.
pub fn least_calls(org: &Org, agent_id: i64, scope: &ScopeSelection) -> Least {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for d in &org.departments {
        if d.parent_id != 0 {
            children.entry(d.parent_id).or_default().push(d.id);
        }
    }
    let exists: HashSet<u32> = org.departments.iter().map(|d| d.id).collect();
    let subtree = |root: u32, out: &mut HashSet<u32>| {
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            if exists.contains(&d) && out.insert(d) {
                stack.extend(children.get(&d).into_iter().flatten().copied());
            }
        }
    };
    let Some(app) = org.apps.iter().find(|a| a.agent_id == agent_id) else {
        return Least::default();
    };

    // The app's visible range: departments with their sub-trees; members of those, the members
    // allowed one by one, and the members of allowed tags (tag users and tag departments' trees).
    let mut visible_depts = HashSet::new();
    for &d in &app.allow_departments {
        subtree(d, &mut visible_depts);
    }
    let mut members_of: HashMap<u32, Vec<String>> = HashMap::new();
    for u in &org.users {
        for d in &u.departments {
            members_of.entry(*d).or_default().push(u.userid.to_lowercase());
        }
    }
    let members_in = |depts: &HashSet<u32>| -> HashSet<String> {
        depts.iter().flat_map(|d| members_of.get(d).into_iter().flatten().cloned()).collect()
    };
    let mut visible_users = members_in(&visible_depts);
    visible_users.extend(app.allow_users.iter().map(|u| u.to_lowercase()));
    for t in org.tags.iter().filter(|t| app.allow_tags.contains(&t.tag_id)) {
        visible_users.extend(t.users.iter().map(|u| u.to_lowercase()));
        let mut tree = HashSet::new();
        for &d in &t.departments {
            subtree(d, &mut tree);
        }
        visible_users.extend(members_in(&tree));
    }

    // Departments to list: chosen sub-trees, then the chosen tags' visible departments' sub-trees.
    let mut listed = HashSet::new();
    for &d in scope.department_ids.iter().filter(|d| visible_depts.contains(d)) {
        subtree(d, &mut listed);
    }
    let mut tag_users = Vec::new();
    let mut tag_calls = 0u64;
    for &tag_id in scope.tag_ids.iter() {
        tag_calls += 1;
        let Some(tag) = org.tags.iter().find(|t| t.tag_id == tag_id) else { continue };
        for &d in tag.departments.iter().filter(|d| visible_depts.contains(d)) {
            subtree(d, &mut listed);
        }
        tag_users.extend(tag.users.iter().map(|u| u.to_lowercase()).filter(|u| visible_users.contains(u)));
    }
    listed.retain(|d| visible_depts.contains(d));
    let mut members = members_in(&listed);

    // user/get for members known only by id: chosen ones (asked for even when invisible: only
    // WeCom's answer tells) and tag users, each once.
    let mut singles = HashSet::new();
    for u in scope.user_ids.iter().map(|u| u.as_str().to_lowercase()) {
        if !members.contains(&u) {
            singles.insert(u);
        }
    }
    for u in tag_users {
        if !members.contains(&u) {
            singles.insert(u);
        }
    }
    let user_get = singles.len() as u64;
    let known: HashSet<String> = org.users.iter().map(|u| u.userid.to_lowercase()).collect();
    members.extend(singles.into_iter().filter(|u| visible_users.contains(u) && known.contains(u)));

    let has_tree = !app.allow_departments.is_empty();
    let mut calls: BTreeMap<String, u64> = [
        ("gettoken", 1),
        ("agent/get", 1),
        ("department/list", u64::from(has_tree)),
        ("user/list", listed.len() as u64),
        ("tag/get", tag_calls),
        ("user/get", user_get),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let probe = if !app.allow_users.is_empty() {
        Some("user/get")
    } else if has_tree {
        Some("department/list")
    } else if !app.allow_tags.is_empty() {
        Some("tag/get")
    } else {
        None
    };
    if let Some(probe) = probe.filter(|_| app.close == 0) {
        *calls.entry(probe.to_string()).or_insert(0) += 1;
    }
    Least { calls, members, listed_departments: listed.len() as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(departments: &[u32], users: &[&str], tags: &[u32]) -> ScopeSelection {
        ScopeSelection {
            department_ids: departments.to_vec().into(),
            user_ids: users.iter().map(|u| (*u).into()).collect(),
            tag_ids: tags.to_vec().into(),
        }
    }

    fn call(l: &Least, endpoint: &str) -> u64 {
        l.calls.get(endpoint).copied().unwrap_or(0)
    }

    #[test]
    fn sample_org_whole_tree() {
        // 1 ⊃ {2 ⊃ {4, 5}, 3}; nine members, all in the tree.
        let l = least_calls(&Org::sample(), 1000002, &scope(&[1], &[], &[]));
        assert_eq!(call(&l, "user/list"), 5);
        assert_eq!(call(&l, "user/get"), 0);
        assert_eq!(l.total(), 3 + 1 + 5, "gettoken, agent/get, the probe, department/list, 5 user/list");
        assert_eq!(call(&l, "department/list"), 2);
        assert_eq!(l.members.len(), 9);
    }

    #[test]
    fn sample_org_tags_and_singles() {
        // Tag 1: users wangxiaokai (in 5), clear (in 3); department 5. Tag 2: xiaoyueyue (in 5).
        // Listed: 5. Singles: clear (tag user outside 5) and zhangxu (chosen, in 4).
        let l = least_calls(&Org::sample(), 1000002, &scope(&[], &["ZhangXu"], &[1, 2]));
        assert_eq!(call(&l, "user/list"), 1);
        assert_eq!(call(&l, "tag/get"), 2);
        assert_eq!(call(&l, "user/get"), 2);
        let mut members: Vec<_> = l.members.iter().cloned().collect();
        members.sort();
        assert_eq!(members, ["clear", "wangxiaokai", "xiaoyueyue", "zhangxu"]);
    }

    #[test]
    fn app_with_a_narrow_range_lists_only_what_it_sees() {
        // App 1000003 sees department 3 only.
        let l = least_calls(&Org::sample(), 1000003, &scope(&[1, 3], &[], &[]));
        assert_eq!(call(&l, "user/list"), 1);
        assert_eq!(l.members.len(), 3);
    }
}
