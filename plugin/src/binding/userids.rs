//! Userids as keys: WeCom compares them case-insensitively, so the binding table and the commit
//! do too, and the pairs members declined are looked up the same way.

use super::maps::{map, Map};
use std::borrow::Cow;

/// WeCom userids are case-insensitive: `ZhangSan` and `zhangsan` are one member.
pub(crate) fn userid_key(userid: &str) -> Cow<'_, str> {
    // Most userids are lower-case ASCII already; skip the allocation for them.
    if userid.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(userid)
    } else {
        Cow::Owned(userid.to_lowercase())
    }
}

/// The accounts each member declined at login ([`interface::ext_keys::DECLINED_PAIRS`]): never
/// proposed to that member, never listed to them. Usually none; each "none of these is mine"
/// adds the accounts offered (at most ten).
#[derive(Default)]
pub(crate) struct Declined {
    by_user: Map<String, Vec<String>>,
}

impl Declined {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        let mut by_user: Map<String, Vec<String>> = map(pairs.len());
        for (userid, account) in pairs {
            by_user.entry(userid_key(&userid).into_owned()).or_default().push(account);
        }
        Declined { by_user }
    }

    /// The accounts `userid` declined (usually none), in the order the host gave them.
    pub(crate) fn of(&self, userid: &str) -> &[String] {
        if self.by_user.is_empty() {
            return &[];
        }
        self.by_user.get(userid_key(userid).as_ref()).map_or(&[], |a| a.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declines_are_found_whatever_the_userid_case() {
        let d =
            Declined::new(vec![("WXK".into(), "a1".into()), ("wxk".into(), "a2".into()), ("zs".into(), "b".into())]);
        assert_eq!(d.of("Wxk"), ["a1", "a2"]);
        assert_eq!(d.of("zs"), ["b"]);
        assert!(d.of("other").is_empty());
    }
}
