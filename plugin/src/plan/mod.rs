//! `plan_change`: what contact changes (callbacks) or a full read (the reconcile) do to the
//! platform, as pure functions over the host's state. The host only completes events, applies
//! the change set and signs out the accounts it unbinds.
//!
//! Callbacks are hints (wecom-api.md §10.1, §13.1): where an event alone cannot say whether a
//! member is in the synced scope (a tag scope, departments not sent), nothing is decided and the
//! plan asks for a full read. A removal never waits for that: a bound member who is deleted or
//! disabled in WeCom loses the binding at once, whatever the scope. Names are compared with the
//! binding table's one rule ([`crate::binding::normalize_name`]), so a new member whose name an
//! unbound account carries is never given a second account behind the operator's back; nor is one
//! whose name an unbound account carries with a space between Chinese characters (the table's
//! spacing rule, `binding::SpacingIndex`, shared, not copied: that account is the table's
//! candidate for them).
//!
//! A batch is planned in arrival order against an overlay of the state, indexed once
//! ([`state::Overlay`]): each event costs a few hash lookups, and the change set is the net
//! difference at the end, so a create followed by a delete in one batch leaves nothing behind.

mod events;
mod reconcile;
mod state;

#[cfg(test)]
mod tests;

use crate::binding::{check_removals, BindingError};
use interface::{Plan, PlanInput, PluginError};

/// Plans a batch of changes, or a reconcile when the input carries a snapshot.
pub fn plan(input: &PlanInput) -> Result<Plan, PluginError> {
    let plan = match input.snapshot.as_ref().into_option() {
        Some(snapshot) => reconcile::plan(input, snapshot)?,
        None => events::plan(input),
    };
    check_removals(&plan.changes, input.bindings.len() as u64, input.removal_guard)
        .map_err(|e: BindingError| e.to_plugin_error())?;
    Ok(plan)
}
