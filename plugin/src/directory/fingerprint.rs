//! A content fingerprint for snapshots: proposals and commits name the snapshot they came from,
//! so a commit against a newer read is refused as stale. FNV-1a over the content; stable across
//! builds and platforms (unlike `DefaultHasher`).

use interface::{Department, Member};

/// FNV-1a, 64 bit.
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Fnv {
    /// Starts a hash.
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    /// Feeds bytes, followed by a separator so that ("ab","c") and ("a","bc") differ.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// The hash as 16 hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

/// Fingerprint of a snapshot's content (corp, departments, members), independent of read order.
pub fn snapshot_id(corp_id: &str, departments: &[Department], members: &[Member]) -> String {
    let mut h = Fnv::new();
    h.write(corp_id.as_bytes());
    let mut depts: Vec<&Department> = departments.iter().collect();
    depts.sort_by_key(|d| d.id);
    for d in depts {
        h.write(&d.id.to_le_bytes());
        h.write(d.name.as_bytes());
        h.write(&d.parent_id.to_le_bytes());
        h.write(&d.order.to_le_bytes());
    }
    for m in members {
        h.write(m.userid.as_bytes());
        h.write(m.name.as_bytes());
        for id in m.department_ids.iter() {
            h.write(&id.to_le_bytes());
        }
        h.write(&[m.status.raw()]);
    }
    h.hex()
}
