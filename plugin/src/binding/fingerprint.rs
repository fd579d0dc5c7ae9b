//! The host-state fingerprint: a proposal names the accounts, bindings and mirrored departments it
//! was made from, so a commit after any of them changed (another admin bound someone, an account
//! was disabled) is refused instead of applying pairs nobody looked at.
//!
//! Each item (account, binding, department) is hashed on its own with FNV-1a, mixed, and the
//! items of a section are summed: stable across builds and platforms (unlike `DefaultHasher`),
//! independent of the order the host lists things in, and linear, with no sort of 100,000
//! accounts. The mix spreads every item's hash over all 64 bits, so two edits cancelling out in
//! the sum is as unlikely as any 64-bit collision.

use interface::ProposalInput;

/// FNV-1a, 64 bit.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds one field followed by a separator byte that cannot occur in UTF-8, so that
    /// ("ab", "c") and ("a", "bc") differ.
    fn field(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn count(&mut self, n: usize) {
        self.field(&(n as u64).to_le_bytes());
    }

    /// The item's hash, mixed (the SplitMix64 finaliser) so that sums of them behave.
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The order-independent hash of one section: its tag, its length and the sum of its items'.
fn section<T>(tag: &[u8], items: &[T], item: impl Fn(&mut Fnv, &T)) -> u64 {
    let sum = items.iter().fold(0u64, |sum, t| {
        let mut h = Fnv::new();
        h.field(tag);
        item(&mut h, t);
        sum.wrapping_add(h.finish())
    });
    let mut h = Fnv::new();
    h.field(tag);
    h.count(items.len());
    h.field(&sum.to_le_bytes());
    h.finish()
}

/// Fingerprint of everything on the host side a proposal depends on: the accounts (id, name,
/// departments, enabled), the bindings, and the departments the platform mirrors. 16 hex digits.
pub fn host_state_id(input: &ProposalInput) -> String {
    let accounts = section(b"accounts", &input.accounts, |h, a| {
        h.field(a.id.as_bytes());
        h.field(a.name.as_bytes());
        h.field(&[u8::from(a.enabled)]);
        h.count(a.departments.len());
        for d in a.departments.iter() {
            h.field(d.as_bytes());
        }
    });
    let bindings = section(b"bindings", &input.bindings, |h, b| {
        h.field(b.userid.as_bytes());
        h.field(b.account_id.as_bytes());
    });
    let departments = section(b"departments", &input.departments, |h, d| {
        h.field(&d.wecom_id.to_le_bytes());
        h.field(d.name.as_bytes());
        h.field(&d.parent_wecom_id.to_le_bytes());
        h.field(&d.order.to_le_bytes());
    });
    let mut h = Fnv::new();
    for part in [accounts, bindings, departments] {
        h.field(&part.to_le_bytes());
    }
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::host_state_id;
    use crate::binding::testkit::*;

    #[test]
    fn same_state_same_id_regardless_of_order() {
        let a =
            input(vec![], vec![account("a1", "张三", &["研发"]), account("a2", "李四", &[])], vec![bind("zs", "a1")]);
        let mut b = a.clone();
        b.accounts = b.accounts.into_iter().rev().collect();
        assert_eq!(host_state_id(&a), host_state_id(&b));
        assert_eq!(host_state_id(&a).len(), 16);
    }

    #[test]
    fn any_relevant_change_changes_the_id() {
        let base =
            input(vec![], vec![account("a1", "张三", &["研发"]), account("a2", "李四", &[])], vec![bind("zs", "a1")]);
        let id = host_state_id(&base);
        let mut changed = Vec::new();
        let mut x = base.clone();
        x.accounts[1].enabled = false;
        changed.push(x);
        let mut x = base.clone();
        x.accounts[1].name = "李四四".into();
        changed.push(x);
        let mut x = base.clone();
        x.accounts[0].departments = vec!["销售".into()].into();
        changed.push(x);
        let mut x = base.clone();
        x.bindings.push(bind("ls", "a2"));
        changed.push(x);
        let mut x = base.clone();
        x.departments.push(platform_dept(2, "研发", 1, 0));
        changed.push(x);
        // Changes that keep every value but move it to another item.
        let mut x = base.clone();
        x.accounts[0].enabled = false;
        x.accounts[1].enabled = true;
        let mut y = x.clone();
        y.accounts[0].enabled = true;
        y.accounts[1].enabled = false;
        assert_ne!(host_state_id(&x), host_state_id(&y), "enabled flags swapped between accounts");
        let mut x = base.clone();
        x.accounts[0].departments = Vec::new().into();
        x.accounts[1].departments = vec!["研发".into()].into();
        changed.push(x);
        let mut x = base.clone();
        x.bindings[0].account_id = "a2".into();
        changed.push(x);
        let mut x = base.clone();
        x.accounts.push(x.accounts[0].clone());
        changed.push(x);
        for x in changed {
            assert_ne!(host_state_id(&x), id);
        }
    }

    #[test]
    fn snapshot_is_not_part_of_host_state() {
        let a = input(vec![member("zs", "张三", &["研发"])], vec![], vec![]);
        let mut b = a.clone();
        b.snapshot.members.clear();
        assert_eq!(host_state_id(&a), host_state_id(&b));
    }
}
