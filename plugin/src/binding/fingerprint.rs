//! The host-state fingerprint: a proposal names the accounts, bindings and mirrored departments it
//! was made from, so a commit after any of them changed (another admin bound someone, an account
//! was disabled) is refused instead of applying pairs nobody looked at.
//!
//! FNV-1a over a canonical form: stable across builds and platforms (unlike `DefaultHasher`), and
//! independent of the order the host lists things in, so only a real change makes it differ.

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
}

/// Fingerprint of everything on the host side a proposal depends on: the accounts (id, name,
/// departments, enabled), the bindings, and the departments the platform mirrors. 16 hex digits.
pub fn host_state_id(input: &ProposalInput) -> String {
    let mut h = Fnv::new();

    let mut accounts: Vec<_> = input.accounts.iter().collect();
    accounts.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()).then_with(|| a.name.as_str().cmp(b.name.as_str())));
    // Section counts keep an account list that ends where the bindings begin unambiguous.
    h.count(accounts.len());
    for a in accounts {
        h.field(a.id.as_bytes());
        h.field(a.name.as_bytes());
        h.field(&[u8::from(a.enabled)]);
        h.count(a.departments.len());
        for d in a.departments.iter() {
            h.field(d.as_bytes());
        }
    }

    let mut bindings: Vec<_> = input.bindings.iter().collect();
    bindings.sort_by(|a, b| {
        a.userid.as_str().cmp(b.userid.as_str()).then_with(|| a.account_id.as_str().cmp(b.account_id.as_str()))
    });
    h.count(bindings.len());
    for b in bindings {
        h.field(b.userid.as_bytes());
        h.field(b.account_id.as_bytes());
    }

    let mut departments: Vec<_> = input.departments.iter().collect();
    departments.sort_by_key(|d| d.wecom_id);
    h.count(departments.len());
    for d in departments {
        h.field(&d.wecom_id.to_le_bytes());
        h.field(d.name.as_bytes());
        h.field(&d.parent_wecom_id.to_le_bytes());
        h.field(&d.order.to_le_bytes());
    }

    format!("{:016x}", h.0)
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
