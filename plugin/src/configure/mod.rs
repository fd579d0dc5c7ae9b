//! `configure`: the connection check. Cleans what the admin pasted, then asks WeCom for real
//! (`gettoken`, `agent/get`) and turns every answer into a checklist line with the field, the
//! reason and the fix. Nothing is stored here; the instance adopts an accepted configuration and
//! the host stores it.

mod checks;
mod findings;
pub mod paste;

#[cfg(test)]
mod proptests;

pub use crate::settings::{domain_of as domain_of_url, Accepted, CleanSettings, Credentials};
pub use checks::{activate, app_info, check, Checked};
