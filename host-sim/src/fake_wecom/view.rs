//! An indexed, immutable snapshot of the organisation with every app's visible range worked out.
//!
//! Rebuilt once after each live edit rather than per request, so that benchmark-sized
//! directories (tens of thousands of members read one `user/get` at a time) stay cheap. Every
//! walk keeps a visited set: live edits are not validated and may contain cycles.

use super::org::{App, Department, Org, Tag, User};
use std::collections::{HashMap, HashSet};

/// What one app may see (§6 of the API notes).
#[derive(Debug, Default)]
pub(crate) struct Scope {
    /// `allow_departments` and all their descendants.
    pub depts: HashSet<u32>,
    /// Indexes into `Org::users`.
    pub users: HashSet<usize>,
}

#[derive(Debug)]
pub(crate) struct View {
    pub org: Org,
    dept_pos: HashMap<u32, usize>,
    /// Children of each department, larger `order` first as WeCom sorts them.
    children: HashMap<u32, Vec<u32>>,
    /// Departments whose parent is 0 or missing.
    roots: Vec<u32>,
    user_pos: HashMap<String, usize>,
    /// Direct members of each department, in directory order.
    members: HashMap<u32, Vec<usize>>,
    tag_pos: HashMap<u32, usize>,
    scopes: HashMap<i64, Scope>,
}

impl View {
    pub fn build(org: Org) -> View {
        let mut dept_pos = HashMap::new();
        for (i, d) in org.departments.iter().enumerate() {
            dept_pos.entry(d.id).or_insert(i);
        }
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut roots = Vec::new();
        for (i, d) in org.departments.iter().enumerate() {
            if dept_pos.get(&d.id) != Some(&i) {
                continue; // duplicate id: the first one wins everywhere
            }
            if d.parent_id != 0 && dept_pos.contains_key(&d.parent_id) {
                children.entry(d.parent_id).or_default().push(d.id);
            } else {
                roots.push(d.id);
            }
        }
        let sort_key = |id: &u32| {
            let order = dept_pos.get(id).map(|&i| org.departments[i].order).unwrap_or(0);
            (std::cmp::Reverse(order), *id)
        };
        for list in children.values_mut() {
            list.sort_by_key(sort_key);
        }
        roots.sort_by_key(sort_key);
        let mut user_pos = HashMap::new();
        let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, u) in org.users.iter().enumerate() {
            if user_pos.contains_key(&u.userid.to_lowercase()) {
                continue;
            }
            user_pos.insert(u.userid.to_lowercase(), i);
            let mut seen = HashSet::new();
            for d in &u.departments {
                if seen.insert(*d) {
                    members.entry(*d).or_default().push(i);
                }
            }
        }
        let mut tag_pos = HashMap::new();
        for (i, t) in org.tags.iter().enumerate() {
            tag_pos.entry(t.tag_id).or_insert(i);
        }
        let mut view = View { org, dept_pos, children, roots, user_pos, members, tag_pos, scopes: HashMap::new() };
        let scopes = view.org.apps.iter().map(|app| (app.agent_id, view.compute_scope(app))).collect();
        view.scopes = scopes;
        view
    }

    fn compute_scope(&self, app: &App) -> Scope {
        let mut scope = Scope::default();
        for d in &app.allow_departments {
            scope.depts.extend(self.subtree(*d));
        }
        for d in &scope.depts {
            scope.users.extend(self.members.get(d).into_iter().flatten().copied());
        }
        for u in &app.allow_users {
            scope.users.extend(self.user_index(u));
        }
        for t in &app.allow_tags {
            if let Some(tag) = self.tag(*t) {
                scope.users.extend(self.tag_members(tag));
            }
        }
        scope
    }

    /// All members of a tag: its users plus everyone in its departments' sub-trees.
    fn tag_members(&self, tag: &Tag) -> HashSet<usize> {
        let mut out: HashSet<usize> = tag.users.iter().filter_map(|u| self.user_index(u)).collect();
        for d in &tag.departments {
            for sub in self.subtree(*d) {
                out.extend(self.members.get(&sub).into_iter().flatten().copied());
            }
        }
        out
    }

    pub fn app(&self, agent_id: i64) -> Option<&App> {
        self.org.apps.iter().find(|a| a.agent_id == agent_id)
    }

    pub fn app_by_secret(&self, secret: &str) -> Option<&App> {
        self.org.apps.iter().find(|a| a.secret == secret)
    }

    /// The scope of an app; empty for an app that no longer exists.
    pub fn scope(&self, agent_id: i64) -> &Scope {
        static EMPTY: std::sync::OnceLock<Scope> = std::sync::OnceLock::new();
        self.scopes.get(&agent_id).unwrap_or_else(|| EMPTY.get_or_init(Scope::default))
    }

    pub fn department(&self, id: u32) -> Option<&Department> {
        self.dept_pos.get(&id).map(|&i| &self.org.departments[i])
    }

    /// Case-insensitive, as WeCom userids are.
    pub fn user_index(&self, userid: &str) -> Option<usize> {
        self.user_pos.get(&userid.to_lowercase()).copied()
    }

    pub fn user(&self, index: usize) -> Option<&User> {
        self.org.users.get(index)
    }

    pub fn tag(&self, tag_id: u32) -> Option<&Tag> {
        self.tag_pos.get(&tag_id).map(|&i| &self.org.tags[i])
    }

    pub fn direct_members(&self, dept: u32) -> &[usize] {
        self.members.get(&dept).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A department and its descendants, parents before children (pre-order).
    pub fn subtree(&self, id: u32) -> Vec<u32> {
        let mut out = Vec::new();
        if self.dept_pos.contains_key(&id) {
            self.walk(id, &mut HashSet::new(), &mut out, &|_| true);
        }
        out
    }

    /// Every department the scope can see, in tree order (pre-order from the roots).
    pub fn visible_departments(&self, scope: &Scope) -> Vec<u32> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let keep = |id: u32| scope.depts.contains(&id);
        for root in &self.roots {
            self.walk(*root, &mut seen, &mut out, &keep);
        }
        // Departments caught in a parent cycle are unreachable from the roots; still list them.
        let mut rest: Vec<u32> = scope.depts.iter().copied().filter(|d| !seen.contains(d)).collect();
        rest.sort_unstable();
        for d in rest {
            self.walk(d, &mut seen, &mut out, &keep);
        }
        out
    }

    fn walk(&self, id: u32, seen: &mut HashSet<u32>, out: &mut Vec<u32>, keep: &dyn Fn(u32) -> bool) {
        // Explicit stack: a 30 000-deep chain must not overflow the server thread's stack.
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if !seen.insert(cur) {
                continue;
            }
            if keep(cur) {
                out.push(cur);
            }
            if let Some(kids) = self.children.get(&cur) {
                stack.extend(kids.iter().rev().filter(|k| !seen.contains(k)));
            }
        }
    }

    /// Visible members of a tag, in directory order.
    pub fn visible_tag_users(&self, tag: &Tag, scope: &Scope) -> Vec<usize> {
        let mut list: Vec<usize> =
            self.tag_members_direct(tag).into_iter().filter(|i| scope.users.contains(i)).collect();
        list.sort_unstable();
        list
    }

    /// The users listed on a tag itself (not its departments' members), as `tag/get` returns.
    fn tag_members_direct(&self, tag: &Tag) -> HashSet<usize> {
        tag.users.iter().filter_map(|u| self.user_index(u)).collect()
    }
}
