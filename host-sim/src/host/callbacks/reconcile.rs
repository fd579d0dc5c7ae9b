//! The reconcile: callbacks can be lost (the URL was down, WeCom gave up after three tries, an
//! event type never reaches a self-built app), so the host reads the whole synced scope now and
//! then (`fetch_scope`) and hands the snapshot with the store's state to the plugin's
//! `plan_change`, which decides what differs (leavers removed only from a complete read, name
//! matches and renames left to the operator, departments gone removed, new members by policy);
//! the host applies the plan in one transaction.
//!
//! It keeps an existing sync in step and never performs the first one: with no binding at all
//! in the store it does nothing.

use super::journal::Outcome;
use super::{is_empty, Policy, Verdict};
use crate::store::{Actor, Audit, Store};
use interface::{DirectoryChange, PlanInput, PluginBox, RemovalGuard, ScopeSelection, Text};
use std::sync::{Mutex, PoisonError};

/// An outcome of a reconcile that wrote nothing.
pub fn outcome(verdict: Verdict, reason: Text) -> Outcome {
    Outcome {
        what: "reconcile".into(),
        subject: String::new(),
        verdict,
        reason,
        applied: None,
        unbound_accounts: Vec::new(),
        error: None,
    }
}

fn failed(error: impl std::fmt::Display) -> Outcome {
    Outcome {
        error: Some(error.to_string()),
        ..outcome(Verdict::Ignore, Text::new("核对失败，未写入任何数据。", "The reconcile failed; nothing written."))
    }
}

/// Reads the scope, has the plugin plan the difference, applies it in one transaction.
/// `applied_meanwhile` gives, under the store's lock, the changes the follower applied while the
/// scope was read: the plugin leaves the members they name as the store has them, since the read
/// may predate their events (callbacks keep being applied while a read runs).
pub fn run(
    plugin: &PluginBox,
    store: &Mutex<Store>,
    scope: &ScopeSelection,
    policy: Policy,
    removal_guard: RemovalGuard,
    applied_meanwhile: &dyn Fn() -> Vec<DirectoryChange>,
) -> Outcome {
    // The WeCom read runs without the store lock: it can take a while.
    let snapshot = match plugin.fetch_scope(scope).into_result() {
        Ok(snapshot) => snapshot,
        Err(error) => return failed(error),
    };
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    // Planned and applied in one transaction: the change set fits the store it is applied to.
    let planned = store.apply_decided(|contents| {
        if contents.bindings.is_empty() {
            let reason = Text::new(
                "尚无任何绑定：首次同步由管理员完成（host-sim sync / commit），核对不代劳。",
                "No binding yet: the first sync is the operator's (host-sim sync / commit); the reconcile does not do it.",
            );
            return (Err(outcome(Verdict::Ignore, reason)), None);
        }
        let mut input = PlanInput {
            changes: applied_meanwhile().into(),
            snapshot: Some(snapshot).into(),
            accounts: contents.accounts.into(),
            bindings: contents.bindings.into(),
            departments: contents.departments.into(),
            scope: scope.clone(),
            policy,
            removal_guard,
            ext: Default::default(),
        };
        input.set_declined_pairs(&contents.declined);
        match plugin.plan_change(&input).into_result() {
            Ok(plan) => {
                let apply = (!is_empty(&plan.changes)).then(|| {
                    (plan.changes.clone(), Audit::new(Actor::Reconcile, super::plan_reason(&plan)))
                });
                (Ok(plan), apply)
            }
            Err(error) => {
                if error.code.as_str() == interface::codes::BINDING_MASS_REMOVAL {
                    tracing::error!(target: "callback", "核对被大规模解除保护拦截，未做任何更改 / the reconcile was refused by the mass-removal safeguard; nothing changed: {error}");
                }
                (Err(failed(error)), None)
            }
        }
    });
    match planned {
        Ok((Err(outcome), _)) => outcome,
        Ok((Ok(plan), applied)) => {
            let (verdict, reason) = match plan.events.first() {
                Some(event) => (event.verdict, event.reason.clone()),
                // The plugin gives one line per reconcile; a plan without one still applied.
                None if applied.is_some() => (Verdict::Apply, Text::new("核对已应用。", "Reconcile applied.")),
                None => {
                    (Verdict::Ignore, Text::new("与企业微信一致，无需变更。", "In step with WeCom; nothing to change."))
                }
            };
            Outcome {
                applied,
                unbound_accounts: match applied {
                    Some(_) => plan.changes.remove_bindings.iter().map(|u| u.account_id.to_string()).collect(),
                    None => Vec::new(),
                },
                ..outcome(verdict, reason)
            }
        }
        Err(error) => failed(error),
    }
}
