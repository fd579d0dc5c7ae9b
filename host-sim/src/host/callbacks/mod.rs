//! WeCom contact-change callbacks (通讯录回调) on the host side: the platform serves the callback
//! URL (`platform::callback`), the plugin verifies, decrypts and decodes each request
//! (`handle_callback`), fills in what an id-only event left out (`complete_change`) and decides
//! what the change does to the platform (`plan_change`, under the host's policy); here the host
//! only applies the plugin's change set in one transaction and signs leavers out ([`follow`]),
//! and runs the full read that catches what callbacks missed ([`reconcile`]), on a timer
//! ([`schedule`]). No rule about what a change does lives in host-sim.
//!
//! `host-sim callback` ([`crate::cli::callback`]) runs one request through the plugin, for
//! WeCom's samples; `host-sim reconcile` ([`crate::cli::reconcile`]) runs one reconcile; the
//! command-line options are [`crate::cli::callback_options`].

pub mod batch;
pub mod follow;
pub mod journal;
pub mod reconcile;
pub mod schedule;

pub use follow::Follower;
pub use journal::{Journal, Outcome};

use interface::{ChangeSet, Text};

/// The policy a host passes to `plan_change` and `decide_login`.
pub type Policy = interface::ChangePolicy;
/// What became of one change: `apply`, `ignore`, `needs_full_read`, `operator` (the plugin's).
pub type Verdict = interface::PlanVerdict;

/// The plan's reasons, for the audit trail: each event's, joined.
pub fn plan_reason(plan: &interface::Plan) -> Text {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for event in plan.events.iter().filter(|e| e.verdict == Verdict::Apply) {
        zh.push(event.reason.zh.to_string());
        en.push(event.reason.en.to_string());
    }
    Text::new(zh.join("；"), en.join("; "))
}

/// True when a change set changes nothing.
pub fn is_empty(c: &ChangeSet) -> bool {
    c.departments.is_empty()
        && c.create_accounts.is_empty()
        && c.create_bindings.is_empty()
        && c.remove_bindings.is_empty()
}
