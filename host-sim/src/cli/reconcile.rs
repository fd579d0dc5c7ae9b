//! `host-sim reconcile`: one reconcile now (a full read of the synced scope compared with the
//! store, see [`crate::host::callbacks::reconcile`]), for a scheduler that is not `host-sim serve
//! --reconcile-every`, or to catch up after the callback URL was down.

use crate::cli::callback_options::PolicyArgs;
use crate::cli::session::Session;
use crate::cli::workflow::{open_store, ScopeArgs, WorkflowArgs};
use crate::host::callbacks::{Follower, Verdict};
use crate::host::plugin_host::SimHost;
use crate::host::session::PlatformUrls;
use crate::render::table;
use crate::term::printable;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// `host-sim reconcile`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ReconcileArgs {
    /// Store, connection, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// The synced scope.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// What happens to leavers and newcomers.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The mass-removal safeguard.
    #[command(flatten)]
    pub removals: crate::cli::workflow::RemovalArgs,
}

/// Runs one reconcile; `Ok(false)` when it failed (nothing written then).
pub fn run(args: &ReconcileArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let common = &args.common;
    let lang = common.lang;
    let mut store = open_store(&common.db)?;
    // The stored configuration is activated without a WeCom call (the read itself then needs
    // WeCom); configure runs only when nothing is stored.
    let session = Session::start(
        &common.wecom,
        &PlatformUrls::at(crate::defaults::DEMO_PLATFORM),
        SimHost::default(),
        &mut store,
        |_| {},
        |_| {},
    )?;
    if !session.report.accepted {
        write!(out, "{}", table::checklist(&session.report, lang))?;
        return Ok(false);
    }
    // The scope given, else the synced scope the store holds, else the app's visible range.
    let given = args.scope.given();
    let scope_given = given.is_some();
    let scope = match given {
        Some(scope) => scope,
        None => match store.synced_scope()? {
            Some(scope) => scope,
            None => args.scope.chosen(&session),
        },
    };
    let store = Arc::new(Mutex::new(store));
    let mut follower = Follower::new(session.instance.clone(), store, scope, args.policy.into());
    follower.removal_guard = args.removals.into();
    follower.scope_given = scope_given;
    let outcomes = follower.reconcile();
    if common.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&outcomes)?)?;
    } else {
        for o in &outcomes {
            writeln!(out, "{}", printable(lang.pick(o.reason.zh.as_str(), o.reason.en.as_str())))?;
            if let Some(error) = &o.error {
                writeln!(out, "  {}", printable(error))?;
            }
        }
    }
    Ok(outcomes.iter().all(|o| o.error.is_none() && o.verdict != Verdict::NeedsFullRead))
}
