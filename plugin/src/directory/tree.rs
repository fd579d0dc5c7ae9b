//! The visible department tree, and the subtree arithmetic scope resolution needs.

use abi_stable::std_types::{RString, RVec};
use std::collections::{HashMap, HashSet, VecDeque};

/// One department as the tree keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeptNode {
    /// Name.
    pub name: String,
    /// Parent id (0 for the root).
    pub parent_id: u32,
    /// Sibling order.
    pub order: u64,
}

/// The departments an app can see, indexed for subtree queries.
#[derive(Debug, Default, Clone)]
pub struct DeptTree {
    nodes: HashMap<u32, DeptNode>,
    children: HashMap<u32, Vec<u32>>,
}

impl DeptTree {
    /// Builds the tree from `(id, node)` pairs; the input order does not matter.
    pub fn new(departments: impl IntoIterator<Item = (u32, DeptNode)>) -> Self {
        let mut tree = DeptTree::default();
        for (id, node) in departments {
            tree.children.entry(node.parent_id).or_default().push(id);
            tree.nodes.insert(id, node);
        }
        for kids in tree.children.values_mut() {
            kids.sort_unstable();
        }
        tree
    }

    /// True when the app can see this department.
    pub fn contains(&self, id: u32) -> bool {
        self.nodes.contains_key(&id)
    }

    /// A department by id.
    pub fn get(&self, id: u32) -> Option<&DeptNode> {
        self.nodes.get(&id)
    }

    /// Name of a department, when visible.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.nodes.get(&id).map(|n| n.name.as_str())
    }

    /// The names of `ids` (those the tree knows), in their order, for display.
    pub fn names(&self, ids: &[u32]) -> RVec<RString> {
        ids.iter().filter_map(|id| self.name(*id)).map(Into::into).collect()
    }

    /// The department and all its descendants, parents before children. Empty when not visible.
    pub fn subtree(&self, root: u32) -> Vec<u32> {
        if !self.contains(root) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([root]);
        while let Some(id) = queue.pop_front() {
            // A malformed answer could contain a cycle; never loop on it.
            if !seen.insert(id) {
                continue;
            }
            out.push(id);
            if let Some(kids) = self.children.get(&id) {
                queue.extend(kids.iter().copied());
            }
        }
        out
    }

    /// The union of several subtrees, each department once, parents before children.
    pub fn union_of_subtrees(&self, roots: &[u32]) -> Vec<u32> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for &root in roots {
            for id in self.subtree(root) {
                if seen.insert(id) {
                    out.push(id);
                }
            }
        }
        out
    }

    /// Number of departments.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> DeptTree {
        let node = |name: &str, parent| DeptNode { name: name.into(), parent_id: parent, order: 0 };
        DeptTree::new([
            (1, node("root", 0)),
            (2, node("研发部", 1)),
            (3, node("市场部门", 1)),
            (4, node("测试部门", 2)),
            (5, node("平台组", 2)),
        ])
    }

    #[test]
    fn subtrees_include_all_descendants_parents_first() {
        let t = tree();
        assert_eq!(t.subtree(2), vec![2, 4, 5]);
        assert_eq!(t.subtree(1), vec![1, 2, 3, 4, 5]);
        assert!(t.subtree(9).is_empty());
        assert_eq!(t.union_of_subtrees(&[4, 2, 3]), vec![4, 2, 5, 3]);
    }

    #[test]
    fn a_cycle_in_a_bad_answer_terminates() {
        let node = |parent| DeptNode { name: "x".into(), parent_id: parent, order: 0 };
        let t = DeptTree::new([(1, node(2)), (2, node(1))]);
        assert_eq!(t.subtree(1), vec![1, 2]);
    }
}
