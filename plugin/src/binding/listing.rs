//! The candidates one row lists: at most [`MAX_LISTED`], the likeliest first, never an account
//! the member declined.
//!
//! A name many people share gives each member of the name every account of the name. Listed in
//! full, the table grows with the square of the name's size: at 100,000 members of the bench's
//! organisation, 242,220 candidates, against 51,869 at 50,000. A row therefore lists the
//! likeliest accounts and says how many there were
//! ([`interface::ProposalRow::candidates_total`]). The operator can bind any account by its id;
//! a member is offered at login only what the row listed.
//!
//! Likeliest, by [`Tier`]: for a member with departments, the accounts sharing one of them, then
//! those naming no department (nothing says they are someone else's), then those naming other
//! departments; within each tier the exact names in display order (name, then id), then the
//! names differing only by spacing. Each is a [`Pool`] with an index, so choosing a row's
//! candidates costs what the row lists (and the member's declines), not the name's size.

use super::rows;
use super::solve::department_keys;
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
}

/// One row's candidates, in the order offered, until [`MAX_LISTED`].
pub(crate) struct Listing {
    candidates: Vec<Candidate>,
    /// The accounts the member declined, sorted and deduplicated.
    declined: Vec<String>,
}

impl Listing {
    /// An empty listing that will skip the accounts in `declined`.
    pub(crate) fn new(declined: &[String]) -> Self {
        let mut declined = declined.to_vec();
        declined.sort_unstable();
        declined.dedup();
        Listing { candidates: Vec::new(), declined }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.candidates.len() >= MAX_LISTED
    }

    /// Lists `account` unless the listing is full or the member declined it.
    fn offer(&mut self, account: &PlatformAccount, department_agrees: bool) {
        if self.is_full() || self.is_declined(account.id.as_str()) {
            return;
        }
        if self.candidates.capacity() == 0 {
            self.candidates.reserve_exact(MAX_LISTED);
        }
        self.candidates.push(rows::candidate(account, department_agrees));
    }

    fn is_declined(&self, id: &str) -> bool {
        !self.declined.is_empty() && self.declined.binary_search_by(|d| d.as_str().cmp(id)).is_ok()
    }

    pub(crate) fn into_candidates(mut self) -> Vec<Candidate> {
        self.candidates.shrink_to_fit();
        self.candidates
    }
}

/// Accounts a row may offer, in display order, indexed by department key: which agree with a
/// member is a few binary searches, not a pass over every account of the name for every member.
#[derive(Default)]
pub(crate) struct Pool<'a> {
    accounts: Vec<&'a PlatformAccount>,
    /// (department key, position), sorted.
    by_key: Vec<(Cow<'a, str>, usize)>,
    /// Positions of the accounts that name no department, ascending.
    without_departments: Vec<usize>,
    /// The accounts' ids, sorted: how many of a member's declines fall in the pool.
    ids: Vec<&'a str>,
}

/// Where a pool's accounts fall for one member: the first agreeing positions and whether the
/// member names departments (without them, no account is likelier than another).
pub(crate) struct Tiers {
    agreeing: Vec<usize>,
    member_names_departments: bool,
}

impl<'a> Pool<'a> {
    /// A pool of `accounts`, already in display order.
    pub(crate) fn new(accounts: Vec<&'a PlatformAccount>) -> Self {
        let mut by_key = Vec::new();
        let mut without_departments = Vec::new();
        for (p, a) in accounts.iter().enumerate() {
            let keys = department_keys(a.departments.iter().map(|d| d.as_str()));
            if keys.is_empty() {
                without_departments.push(p);
            }
            by_key.extend(keys.into_iter().map(|k| (k, p)));
        }
        by_key.sort_unstable();
        let mut ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        ids.sort_unstable();
        Pool { accounts, by_key, without_departments, ids }
    }

    pub(crate) fn len(&self) -> usize {
        self.accounts.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Where this pool's accounts fall for a member with department keys `member_keys` (sorted,
    /// deduplicated), enough for a listing that skips `skips` declined accounts.
    pub(crate) fn tiers(&self, member_keys: &[Cow<'_, str>], skips: usize) -> Tiers {
        let agreeing = if self.is_empty() { Vec::new() } else { self.agreeing(member_keys, MAX_LISTED + skips) };
        Tiers { agreeing, member_names_departments: !member_keys.is_empty() }
    }

    /// Offers `listing` this pool's accounts of one tier, in display order, until it is full.
    pub(crate) fn offer_tier(&self, tiers: &Tiers, tier: Tier, listing: &mut Listing) {
        let neutral: &[usize] = if tiers.member_names_departments { &self.without_departments } else { &[] };
        match tier {
            Tier::Agrees => {
                for &p in &tiers.agreeing {
                    listing.offer(self.accounts[p], true);
                }
            }
            Tier::NamesNone => {
                for &p in neutral {
                    if listing.is_full() {
                        return;
                    }
                    listing.offer(self.accounts[p], false);
                }
            }
            Tier::Other => {
                // Stops once full: at most the agreeing and neutral positions are skipped, and
                // those are few unless the listing is already full.
                for (p, a) in self.accounts.iter().enumerate() {
                    if listing.is_full() {
                        return;
                    }
                    if tiers.agreeing.binary_search(&p).is_err() && neutral.binary_search(&p).is_err() {
                        listing.offer(a, false);
                    }
                }
            }
        }
    }

    /// How many of this pool's accounts `listing`'s member declined: what the row's total leaves
    /// out. One search per decline.
    pub(crate) fn declined_in(&self, listing: &Listing) -> usize {
        listing.declined.iter().filter(|d| self.ids.binary_search(&d.as_str()).is_ok()).count()
    }

    /// The first `limit` positions (in display order) of the accounts sharing a department key
    /// with `member_keys`; all of them when there are no more than `limit`.
    fn agreeing(&self, member_keys: &[Cow<'_, str>], limit: usize) -> Vec<usize> {
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

/// Offers `listing` the likeliest of `pools` for a member with department keys `member_keys`:
/// tier by tier, each pool in turn within a tier, until full.
pub(crate) fn offer(pools: &[&Pool<'_>], member_keys: &[Cow<'_, str>], listing: &mut Listing) {
    let tiers: Vec<Tiers> = pools.iter().map(|p| p.tiers(member_keys, listing.declined.len())).collect();
    for tier in Tier::ALL {
        for (pool, t) in pools.iter().zip(&tiers) {
            if listing.is_full() {
                return;
            }
            pool.offer_tier(t, tier, listing);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::testkit::account;

    fn ids(listing: Listing) -> Vec<String> {
        listing.into_candidates().iter().map(|c| c.account_id.to_string()).collect()
    }

    #[test]
    fn a_listing_stops_at_the_most_and_skips_declined_accounts() {
        let accounts: Vec<_> = (0..(MAX_LISTED + 5)).map(|i| account(&format!("a{i:02}"), "张伟", &[])).collect();
        let pool = Pool::new(accounts.iter().collect());
        let mut listing = Listing::new(&["a01".to_string(), "a01".to_string(), "zz".to_string()]);
        offer(&[&pool], &[], &mut listing);
        assert_eq!(pool.declined_in(&listing), 1, "a declined id counted once, one outside the pool not at all");
        let ids = ids(listing);
        assert_eq!(ids.len(), MAX_LISTED);
        assert_eq!(ids[..2], ["a00".to_string(), "a02".to_string()], "a01 was declined");
    }

    #[test]
    fn tiers_go_agreeing_then_naming_none_then_the_rest_across_pools() {
        let exact = [
            account("e1", "王伟", &["市场"]),
            account("e2", "王伟", &[]),
            account("e3", "王伟", &["研发", "市场"]),
            account("e4", "王伟", &["销售"]),
        ];
        let spaced =
            [account("s1", "王 伟", &["销售"]), account("s2", "王 伟", &["研发"]), account("s3", "王 伟", &[])];
        let (exact, spaced) = (Pool::new(exact.iter().collect()), Pool::new(spaced.iter().collect()));
        let member: Vec<Cow<'_, str>> = vec!["研发".into()];
        let mut listing = Listing::new(&[]);
        offer(&[&exact, &spaced], &member, &mut listing);
        let listed = listing.into_candidates();
        let order: Vec<&str> = listed.iter().map(|c| c.account_id.as_str()).collect();
        assert_eq!(order, ["e3", "s2", "e2", "s3", "e1", "e4", "s1"]);
        let agrees: Vec<bool> = listed.iter().map(|c| c.department_agrees).collect();
        assert_eq!(agrees, [true, true, false, false, false, false, false]);
        // A member naming no department: display order, exact names first.
        let mut listing = Listing::new(&[]);
        offer(&[&exact, &spaced], &[], &mut listing);
        assert_eq!(ids(listing), ["e1", "e2", "e3", "e4", "s1", "s2", "s3"]);
    }

    #[test]
    fn the_first_agreeing_accounts_are_found_in_display_order() {
        let accounts: Vec<_> = ["研发", "市场", "研发", "销售", "研发"]
            .iter()
            .enumerate()
            .map(|(i, d)| account(&format!("a{i}"), "张伟", &[d]))
            .collect();
        let pool = Pool::new(accounts.iter().collect());
        let member: Vec<Cow<'_, str>> = vec!["市场".into(), "研发".into()];
        assert_eq!(pool.agreeing(&member, 10), [0, 1, 2, 4]);
        assert_eq!(pool.agreeing(&member, 2), [0, 1], "the first two in display order");
        assert!(pool.agreeing(&["财务".into()], 10).is_empty());
    }
}
