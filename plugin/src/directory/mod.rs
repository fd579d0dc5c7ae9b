//! `fetch_scope`: reads the WeCom directory inside the chosen scope. The pure parts (the
//! department tree, merging members, the snapshot fingerprint) are plain functions; `fetch` is the
//! only part that talks to WeCom.

mod fetch;
mod fingerprint;
mod members;
mod tree;

pub use fetch::{fetch, status_from as fetch_status};
pub use fingerprint::{member_hash, snapshot_id, snapshot_id_of_hashes};
pub use members::{Hashed, MemberSet, Sorted};
pub use tree::DeptTree;
