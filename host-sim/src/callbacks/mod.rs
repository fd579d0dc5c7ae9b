//! WeCom contact-change callbacks (通讯录回调) on the host side: the platform serves the callback
//! URL (`platform::callback`), the plugin verifies, decrypts and decodes each request
//! (`handle_callback`), fills in what an id-only event left out (`complete_change`) and decides
//! what the change does to the platform (`plan_change`, under the host's policy); here the host
//! only applies the plugin's change set in one transaction and signs leavers out ([`follow`]),
//! and runs the full read that catches what callbacks missed ([`reconcile`]). No rule about what
//! a change does lives in host-sim.
//!
//! `host-sim callback` ([`command`]) runs one request through the plugin, for WeCom's samples;
//! `host-sim reconcile` ([`reconcile_cmd`]) runs one reconcile.

pub mod batch;
pub mod command;
pub mod follow;
pub mod journal;
pub mod reconcile;
pub mod reconcile_cmd;
pub mod setup;

pub use follow::Follower;
pub use journal::{Journal, Outcome};
pub use setup::{CallbackOptions, CallbackSecrets, NewMembers, OnLeave, PolicyArgs};

/// The policy a host passes to `plan_change` and `decide_login`.
pub type Policy = interface::ChangePolicy;
/// What became of one change: `apply`, `ignore`, `needs_full_read`, `operator` (the plugin's).
pub type Verdict = interface::PlanVerdict;
