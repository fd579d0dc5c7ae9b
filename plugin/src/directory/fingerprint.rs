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

/// Fingerprint of one member's content (userid, name, departments, status): FNV-1a from the
/// offset basis, each field followed by the separator.
pub fn member_hash(m: &Member) -> u64 {
    let mut h = Fnv::new();
    h.write(m.userid.as_bytes());
    h.write(m.name.as_bytes());
    for id in m.department_ids.iter() {
        h.write(&id.to_le_bytes());
    }
    h.write(&[m.status.raw()]);
    h.0
}

/// Fingerprint of a snapshot's content (corp, departments, members), independent of read order.
/// `members` must be in the snapshot's order (sorted by userid).
pub fn snapshot_id(corp_id: &str, departments: &[Department], members: &[Member]) -> String {
    snapshot_id_of_hashes(corp_id, departments, members.iter().map(member_hash))
}

/// [`snapshot_id`] from the members' [`member_hash`]es, in the snapshot's order: a read computes
/// each member's hash where the member is built, while other requests are out, so that the
/// fingerprint after the last answer reads 8 bytes per member, not every member's fields again.
pub fn snapshot_id_of_hashes(
    corp_id: &str,
    departments: &[Department],
    member_hashes: impl IntoIterator<Item = u64>,
) -> String {
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
    for member in member_hashes {
        h.write(&member.to_le_bytes());
    }
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use interface::MemberStatus;

    fn member(userid: &str, depts: &[u32]) -> Member {
        Member {
            userid: userid.into(),
            name: "张旭".into(),
            department_ids: depts.to_vec().into(),
            department_names: Default::default(),
            position: "".into(),
            status: MemberStatus::Active,
        }
    }

    #[test]
    fn the_fingerprint_covers_each_members_fields_and_their_order() {
        let a = [member("a", &[2]), member("b", &[3])];
        let id = snapshot_id("corp", &[], &a);
        assert_eq!(id, snapshot_id_of_hashes("corp", &[], a.iter().map(member_hash)));
        assert_ne!(id, snapshot_id("corp", &[], &[member("a", &[2]), member("b", &[4])]));
        assert_ne!(id, snapshot_id("corp", &[], &[member("b", &[3]), member("a", &[2])]));
        assert_ne!(
            id,
            snapshot_id("corp", &[], &[Member { name: "张 旭".into(), ..member("a", &[2]) }, member("b", &[3])])
        );
        assert_ne!(id, snapshot_id("corp2", &[], &a));
        let renamed =
            Member {
                department_names: vec!["研发".into()].into(), position: "工程师".into(), ..member("a", &[2])
            };
        assert_eq!(
            id,
            snapshot_id("corp", &[], &[renamed, member("b", &[3])]),
            "names and position are not content here"
        );
    }
}
