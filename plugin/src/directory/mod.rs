//! `fetch_scope`: reads the WeCom directory inside the chosen scope. The pure parts (the
//! department tree, merging members, the snapshot fingerprint) are plain functions; `fetch` is the
//! only part that talks to WeCom.

mod fetch;
mod fingerprint;
mod members;
mod tree;

pub use fetch::{fetch, status_from as fetch_status};
pub use fingerprint::snapshot_id;
pub use members::MemberSet;
pub use tree::DeptTree;
