//! The candidates one row lists: at most [`MAX_LISTED`], the likeliest first, never an account
//! the member declined.
//!
//! A name many people share gives each member of the name every account of the name. Listed in
//! full, the table grows with the square of the name's size: at 100,000 members of the bench's
//! organisation, 242,220 candidates, against 51,869 at 50,000. A row therefore lists the
//! likeliest accounts and says how many there were ([`interface::ProposalRow::candidates_total`]). The operator can bind any account by its
//! id; a member is offered at login only what was listed, which also keeps the accounts a
//! namesake may try a password on to a handful.
//!
//! Likeliest, by [`Tier`]: for a member with departments, the accounts sharing one of them, then
//! those naming no department (nothing says they are someone else's), then those naming other
//! departments; within each tier the exact names in display order (name, then id), then the
//! names differing only by spacing.

use super::rows;
use interface::{Candidate, PlatformAccount};
use std::borrow::Cow;

/// Most candidates a row lists. Ten: what a person reads at a glance on a login page, and beyond
/// what departments leave plausible for one member (the agreeing accounts come first).
pub(crate) const MAX_LISTED: usize = 10;

/// How likely an account is a member's by departments, likeliest first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tier {
    /// One of its departments is one of the member's.
    Agrees,
    /// It names no department (and the member names some): nothing says it is someone else's.
    NamesNone,
    /// It names only other departments, or the member names none.
    Other,
}

impl Tier {
    pub(crate) const ALL: [Tier; 3] = [Tier::Agrees, Tier::NamesNone, Tier::Other];

    pub(crate) fn of(agrees: bool, member_names_departments: bool, account_names_departments: bool) -> Tier {
        if agrees {
            Tier::Agrees
        } else if member_names_departments && !account_names_departments {
            Tier::NamesNone
        } else {
            Tier::Other
        }
    }
}

/// One row's candidates, in the order offered, until [`MAX_LISTED`].
pub(crate) struct Listing<'d> {
    candidates: Vec<Candidate>,
    declined: &'d [String],
}

impl<'d> Listing<'d> {
    /// An empty listing that will skip the accounts in `declined`.
    pub(crate) fn new(declined: &'d [String]) -> Self {
        Listing { candidates: Vec::new(), declined }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.candidates.len() >= MAX_LISTED
    }

    /// Lists `account` unless the listing is full or the member declined it.
    pub(crate) fn offer(&mut self, account: &PlatformAccount, department_agrees: bool) {
        if self.is_full() || self.is_declined(account) {
            return;
        }
        if self.candidates.capacity() == 0 {
            self.candidates.reserve_exact(MAX_LISTED);
        }
        self.candidates.push(rows::candidate(account, department_agrees));
    }

    /// How many accounts the listing may skip as declined (so a caller picking the first
    /// candidates picks enough).
    pub(crate) fn skips(&self) -> usize {
        self.declined.len()
    }

    pub(crate) fn is_declined(&self, account: &PlatformAccount) -> bool {
        self.declined.iter().any(|d| d.as_str() == account.id.as_str())
    }

    /// How many of `accounts` the member declined: what the row's total leaves out.
    pub(crate) fn declined_among<'a>(&self, accounts: impl Iterator<Item = &'a PlatformAccount>) -> usize {
        if self.declined.is_empty() {
            return 0;
        }
        accounts.filter(|a| self.is_declined(a)).count()
    }

    pub(crate) fn into_candidates(mut self) -> Vec<Candidate> {
        self.candidates.shrink_to_fit();
        self.candidates
    }
}

/// The department keys of a name's open accounts, by key: which accounts agree with a member is
/// a few binary searches, not a pass over every account of the name for every member.
#[derive(Default)]
pub(crate) struct AgreeIndex<'k> {
    /// (department key, position in the listed accounts), sorted.
    by_key: Vec<(Cow<'k, str>, usize)>,
    /// Positions of the listed accounts that name no department, ascending.
    without_departments: Vec<usize>,
}

impl<'k> AgreeIndex<'k> {
    /// `keys_of(p)` are the department keys of listed account `p` (sorted and deduplicated).
    pub(crate) fn new<'s>(listed: usize, keys_of: impl Fn(usize) -> &'s [Cow<'k, str>]) -> Self
    where
        'k: 's,
    {
        let mut by_key: Vec<(Cow<'k, str>, usize)> =
            (0..listed).flat_map(|p| keys_of(p).iter().map(move |k| (k.clone(), p))).collect();
        by_key.sort_unstable();
        let without_departments = (0..listed).filter(|&p| keys_of(p).is_empty()).collect();
        AgreeIndex { by_key, without_departments }
    }

    /// Positions (ascending) of the listed accounts that name no department: for a member with
    /// departments, likelier than an account naming another department, which says it is someone
    /// else's.
    pub(crate) fn without_departments(&self) -> &[usize] {
        &self.without_departments
    }

    /// The first `limit` positions (in listed order) of the accounts sharing a department key
    /// with `member_keys`; all of them when there are no more than `limit`.
    pub(crate) fn agreeing(&self, member_keys: &[Cow<'_, str>], limit: usize) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        for key in member_keys {
            let key = key.as_ref();
            let start = self.by_key.partition_point(|(k, _)| k.as_ref() < key);
            let run = self.by_key[start..].iter().take_while(|(k, _)| k.as_ref() == key).take(limit);
            found.extend(run.map(|(_, p)| *p));
        }
        found.sort_unstable();
        found.dedup();
        found.truncate(limit);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::testkit::account;

    #[test]
    fn a_listing_stops_at_the_most_and_skips_declined_accounts() {
        let declined = vec!["a1".to_string()];
        let mut listing = Listing::new(&declined);
        for i in 0..(MAX_LISTED + 5) {
            listing.offer(&account(&format!("a{i}"), "张伟", &[]), false);
        }
        let ids: Vec<String> = listing.into_candidates().iter().map(|c| c.account_id.to_string()).collect();
        assert_eq!(ids.len(), MAX_LISTED);
        assert_eq!(ids[..2], ["a0".to_string(), "a2".to_string()], "a1 was declined");
    }

    #[test]
    fn the_index_finds_the_first_agreeing_accounts_in_listed_order() {
        let keys: Vec<Vec<Cow<'static, str>>> = vec![
            vec!["研发".into()],
            vec!["市场".into()],
            vec!["市场".into(), "研发".into()],
            vec!["销售".into()],
            vec!["研发".into()],
        ];
        let index = AgreeIndex::new(keys.len(), |p| keys[p].as_slice());
        let member: Vec<Cow<'_, str>> = vec!["市场".into(), "研发".into()];
        assert_eq!(index.agreeing(&member, 10), [0, 1, 2, 4]);
        assert_eq!(index.agreeing(&member, 2), [0, 1], "the first two in listed order");
        assert!(index.agreeing(&["财务".into()], 10).is_empty());
    }
}
