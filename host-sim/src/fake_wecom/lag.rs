//! The directory lagging behind its events: WeCom pushes `create_user` as the admin saves the
//! member, and `user/get` and the member lists may not show the member for a moment (the issue-17
//! trial saw it). [`super::FakeWecom::lag_member`] hides a member from `user/get` (60111 "userid
//! not found", as for an unknown userid) and from `user/list` / `user/simplelist` until a time
//! has passed or until `user/get` has been refused a number of times.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How long a member stays out of sight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryLag {
    /// Until this moment.
    Until(Instant),
    /// For this many `user/get` calls about the member (each answered 60111).
    Reads(u32),
}

/// The members hidden now, by lower-cased userid.
#[derive(Default)]
pub(crate) struct LagBook {
    hidden: Mutex<HashMap<String, DirectoryLag>>,
}

impl LagBook {
    pub fn hide(&self, userid: &str, lag: DirectoryLag) {
        super::lock(&self.hidden).insert(userid.to_lowercase(), lag);
    }

    pub fn clear(&self) {
        super::lock(&self.hidden).clear();
    }

    /// Whether `user/get` of `userid` is refused now; counts the read against a [`DirectoryLag::Reads`].
    pub fn refuses_get(&self, userid: &str) -> bool {
        self.check(userid, true)
    }

    /// Whether the lists leave `userid` out now.
    pub fn hides(&self, userid: &str) -> bool {
        self.check(userid, false)
    }

    /// True when nothing is hidden (the lists skip the per-member check).
    pub fn is_empty(&self) -> bool {
        super::lock(&self.hidden).is_empty()
    }

    fn check(&self, userid: &str, read: bool) -> bool {
        let mut hidden = super::lock(&self.hidden);
        if hidden.is_empty() {
            return false;
        }
        let key = userid.to_lowercase();
        let Some(lag) = hidden.get_mut(&key) else { return false };
        let still = match lag {
            DirectoryLag::Until(at) => Instant::now() < *at,
            DirectoryLag::Reads(0) => false,
            DirectoryLag::Reads(left) => {
                if read {
                    *left -= 1;
                }
                true
            }
        };
        if !still {
            hidden.remove(&key);
        }
        still
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_member_shows_after_the_reads_or_the_time() {
        let book = LagBook::default();
        book.hide("New", DirectoryLag::Reads(2));
        assert!(book.hides("new") && book.hides("NEW"), "lists do not count as reads");
        assert!(book.refuses_get("new"));
        assert!(book.refuses_get("new"));
        assert!(!book.refuses_get("new"), "shown after two refused reads");
        assert!(!book.hides("new"));
        book.hide("later", DirectoryLag::Until(Instant::now() + Duration::from_secs(3600)));
        assert!(book.refuses_get("later") && book.refuses_get("later"));
        book.hide("past", DirectoryLag::Until(Instant::now()));
        assert!(!book.refuses_get("past"));
        book.clear();
        assert!(book.is_empty());
    }
}
