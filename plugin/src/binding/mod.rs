//! Binding WeCom members to platform accounts: pure functions over plain data (no I/O, no clock).
//!
//! WeCom gives a self-built app no phone or email, so a member and an account are paired by
//! identical name only ([`normalize_name`] says what "identical" means). A wrong pair hands a
//! person someone else's account, so the rules are strict and every row explains itself:
//!
//! 1. [`propose`] builds the binding table: one row per member — already bound, name match (one
//!    enabled, unbound account for one member), ambiguous (several candidates or several members:
//!    the operator decides), no match (a new account), left WeCom (a binding proposed for removal,
//!    or an inactive member that gets nothing). [`host_state_id`] fingerprints the platform state
//!    the table was made from.
//! 2. [`query_rows`] searches and filters the table for display.
//! 3. [`build_change_set`] checks the operator's edits against the current state and returns the
//!    change set the host applies in one transaction, or a [`BindingError`] naming the row.
//!
//! Applying a change set and proposing again yields a change set with nothing to do.

mod commit;
mod departments;
mod error;
pub mod evidence;
mod fingerprint;
mod listing;
mod maps;
mod names;
mod propose;
mod query;
mod reasons;
mod rows;
mod solve;
mod userids;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub use commit::{build_change_set, check_removals, removal_limit};
pub use departments::removal as department_removal;
pub use error::{BindingError, StalePart};
pub use fingerprint::host_state_id;
pub use names::normalize_name;
pub(crate) use names::SpacingIndex;
pub use propose::propose;
pub use query::query_rows;
