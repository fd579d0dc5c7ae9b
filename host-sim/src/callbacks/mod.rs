//! WeCom contact-change callbacks (通讯录回调) on the host side: the platform serves the callback
//! URL (`platform::callback`), the plugin verifies, decrypts and decodes each request
//! (`handle_callback`) and fills in what an id-only event left out (`complete_change`), and here
//! the host turns the change into a change set ([`mod@decide`], pure), applies it in one transaction
//! ([`follow`]), and catches what callbacks missed with a full read ([`reconcile`]).
//!
//! `host-sim callback` ([`command`]) runs one request through the plugin, for WeCom's samples;
//! `host-sim reconcile` ([`reconcile_cmd`]) runs one reconcile.

pub mod command;
pub mod decide;
pub mod follow;
pub mod journal;
pub mod policy;
pub mod reconcile;
pub mod reconcile_cmd;
pub mod setup;

pub use decide::{decide, Decision, Verdict};
pub use follow::Follower;
pub use journal::{Journal, Outcome};
pub use policy::{NewMembers, OnLeave, Policy, PolicyArgs};
pub use setup::{CallbackOptions, CallbackSecrets};
