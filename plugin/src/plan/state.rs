//! The host's state as a batch of events sees it: indexed once, changed event by event, and
//! turned into one net change set at the end.

use crate::binding::{normalize_name, SpacingIndex};
use interface::{
    Binding, ChangeSet, DepartmentChange, Evidence, NewAccount, PlanInput, PlatformDepartment, Text, Unbinding,
};
use std::collections::{HashMap, HashSet};

/// A binding as the overlay keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Bound {
    pub userid: String,
    pub account_id: String,
    pub evidence: Evidence,
}

/// Why a binding left, for the change set.
struct Removal {
    disable: bool,
    reason: Text,
}

/// The state, changed by the events planned so far.
pub(super) struct Overlay<'a> {
    input: &'a PlanInput,
    /// Bindings by lower-case userid (WeCom userids are case-insensitive).
    bindings: HashMap<String, Bound>,
    /// Accounts held by a binding.
    held: HashSet<String>,
    /// Enabled accounts that no binding holds, counted by normalised name.
    open_by_name: HashMap<String, usize>,
    /// The same accounts whose names have a space between Chinese characters, by the binding
    /// table's spacing rule.
    open_spaced: SpacingIndex<()>,
    /// Mirrored departments by WeCom id (`None`: removed in this batch).
    departments: HashMap<u32, Option<PlatformDepartment>>,
    /// Why each account lost its binding in this batch, by account id: a leaver's account stays
    /// disabled whatever the batch does to the userid afterwards.
    removals: HashMap<String, Removal>,
    created: Vec<NewAccount>,
    department_changes: Vec<DepartmentChange>,
}

impl<'a> Overlay<'a> {
    /// Indexes the input once: linear in its size.
    pub fn new(input: &'a PlanInput) -> Self {
        let mut bindings = HashMap::with_capacity(input.bindings.len());
        let mut held = HashSet::with_capacity(input.bindings.len());
        for b in input.bindings.iter() {
            held.insert(b.account_id.to_string());
            bindings.entry(b.userid.as_str().to_lowercase()).or_insert_with(|| bound(b));
        }
        let mut open_by_name: HashMap<String, usize> = HashMap::new();
        let mut open_spaced = SpacingIndex::new();
        for a in input.accounts.iter().filter(|a| a.enabled && !held.contains(a.id.as_str())) {
            let name = normalize_name(a.name.as_str());
            if !name.is_empty() {
                open_spaced.insert(&name, ());
                *open_by_name.entry(name).or_insert(0) += 1;
            }
        }
        let departments = input.departments.iter().map(|d| (d.wecom_id, Some(d.clone()))).collect();
        Overlay {
            input,
            bindings,
            held,
            open_by_name,
            open_spaced,
            departments,
            removals: HashMap::new(),
            created: Vec::new(),
            department_changes: Vec::new(),
        }
    }

    /// The binding of a userid, as changed so far.
    pub fn binding(&self, userid: &str) -> Option<&Bound> {
        if userid.is_empty() {
            return None;
        }
        self.bindings.get(&userid.to_lowercase())
    }

    /// Whether an enabled, unbound account carries this (normalised) name.
    pub fn open_account_named(&self, name: &str) -> bool {
        self.open_by_name.get(&normalize_name(name)).is_some_and(|&n| n > 0)
    }

    /// How many enabled, unbound accounts have names that differ from this one only by spaces
    /// between Chinese characters: the accounts the binding table would offer such a member as
    /// candidates (姓名仅空格不同), never as a match.
    pub fn open_accounts_spaced_from(&self, name: &str) -> usize {
        self.open_spaced.offered_to(&normalize_name(name)).len()
    }

    /// A mirrored department, as changed so far.
    pub fn department(&self, id: u32) -> Option<&PlatformDepartment> {
        self.departments.get(&id).and_then(|d| d.as_ref())
    }

    /// Whether the platform mirrors any department (a department scope was synced).
    pub fn department_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.departments.iter().filter(|(_, d)| d.is_some()).map(|(id, _)| *id)
    }

    /// Whether any mirrored department names `id` as its parent.
    pub fn has_children(&self, id: u32) -> bool {
        self.departments.values().flatten().any(|d| d.parent_wecom_id == id && d.wecom_id != id)
    }

    /// Removes a binding (the account disabled or not).
    pub fn unbind(&mut self, userid: &str, disable: bool, reason: Text) {
        let key = userid.to_lowercase();
        if let Some(b) = self.bindings.remove(&key) {
            self.held.remove(&b.account_id);
            let disable = disable || self.removals.get(&b.account_id).is_some_and(|r| r.disable);
            self.removals.insert(b.account_id, Removal { disable, reason });
        }
    }

    /// Binds `userid` to `account_id` (a userid rename keeps the account).
    pub fn bind(&mut self, userid: &str, account_id: &str, evidence: Evidence) {
        self.held.insert(account_id.to_string());
        let key = userid.to_lowercase();
        self.bindings.insert(key, Bound { userid: userid.to_string(), account_id: account_id.to_string(), evidence });
    }

    /// A new account for a member, bound at creation.
    pub fn create_account(&mut self, account: NewAccount) {
        self.created.push(account);
    }

    /// A department created, changed or removed.
    pub fn change_department(&mut self, change: DepartmentChange) {
        let mirrored = (!change.removed).then(|| PlatformDepartment {
            wecom_id: change.wecom_id,
            name: change.name.clone(),
            parent_wecom_id: change.parent_wecom_id,
            order: change.order,
        });
        self.departments.insert(change.wecom_id, mirrored);
        let mut change = change;
        if let Some(at) = self.department_changes.iter().position(|c| c.wecom_id == change.wecom_id) {
            let earlier = self.department_changes.remove(at);
            if earlier.created && change.removed {
                return; // created and deleted in one batch: the platform never sees it
            }
            // One change per department: what this batch did to it, as a whole.
            change.created |= earlier.created;
            change.renamed |= earlier.renamed;
            change.moved |= earlier.moved;
        }
        self.department_changes.push(change);
    }

    /// The net change set: bindings that are gone or different, bindings that are new or
    /// different, accounts created, departments changed.
    pub fn into_changes(self, snapshot_id: String) -> ChangeSet {
        let mut changes = ChangeSet { snapshot_id: snapshot_id.into(), ..Default::default() };
        let created: HashSet<String> = self.created.iter().map(|a| a.userid.as_str().to_lowercase()).collect();
        for b in self.input.bindings.iter() {
            let key = b.userid.as_str().to_lowercase();
            let now = self.bindings.get(&key);
            if now.is_some_and(|n| n.account_id == b.account_id.as_str()) {
                continue;
            }
            let removal = self.removals.get(b.account_id.as_str());
            changes.remove_bindings.push(Unbinding {
                userid: b.userid.clone(),
                account_id: b.account_id.clone(),
                disable_account: removal.is_some_and(|r| r.disable),
                reason: removal.map(|r| r.reason.clone()).unwrap_or_else(moved_reason),
            });
        }
        let original: HashMap<String, &Binding> =
            self.input.bindings.iter().map(|b| (b.userid.as_str().to_lowercase(), b)).collect();
        let mut added: Vec<&Bound> = self
            .bindings
            .iter()
            .filter(|(key, now)| !created.contains(*key) && original.get(*key).is_none_or(|b| bound(b) != **now))
            .map(|(_, now)| now)
            .collect();
        added.sort_by(|a, b| a.userid.cmp(&b.userid));
        for b in added {
            let same_account =
                original.get(&b.userid.to_lowercase()).is_some_and(|o| o.account_id.as_str() == b.account_id);
            if same_account {
                changes.summary.bindings_updated += 1;
            } else {
                changes.summary.bindings_made += 1;
            }
            changes.create_bindings.push(Binding {
                userid: b.userid.as_str().into(),
                account_id: b.account_id.as_str().into(),
                evidence: b.evidence,
            });
        }
        changes.summary.accounts_created = self.created.len() as u64;
        changes.create_accounts = self.created.into();
        changes.summary.bindings_removed = changes.remove_bindings.len() as u64;
        changes.summary.accounts_disabled = changes.remove_bindings.iter().filter(|u| u.disable_account).count() as u64;
        changes.summary.department_changes = self.department_changes.len() as u64;
        changes.departments = self.department_changes.into();
        changes
    }
}

fn bound(b: &Binding) -> Bound {
    Bound { userid: b.userid.to_string(), account_id: b.account_id.to_string(), evidence: b.evidence }
}

fn moved_reason() -> Text {
    Text::new("绑定转移到新的成员账号", "the binding moved to a new userid")
}
