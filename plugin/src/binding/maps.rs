//! The hash maps of the binding table and the commit: keyed by names and ids that come from WeCom
//! and the host, 100,000 of them and several lookups each.
//!
//! foldhash instead of the standard SipHash: several times faster on short keys, and still seeded
//! per process, so crafted names cannot be aimed at its buckets in advance.

use std::collections::{HashMap, HashSet};

pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type Set<K> = HashSet<K, foldhash::fast::RandomState>;

pub(crate) fn map<K, V>(capacity: usize) -> Map<K, V> {
    Map::with_capacity_and_hasher(capacity, Default::default())
}

pub(crate) fn set<K>(capacity: usize) -> Set<K> {
    Set::with_capacity_and_hasher(capacity, Default::default())
}
