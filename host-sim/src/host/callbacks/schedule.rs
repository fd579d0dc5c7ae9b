//! Reconcile scheduling: what `serve --reconcile-every` runs on a timer.

use super::{Follower, Outcome};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Every `every`, queues again what the callback journal still holds ([`Follower::resume`]),
/// then runs the reconcile ([`Follower::reconcile`], which signs out whom it unbinds) and hands
/// each outcome to `report`. Runs on a thread named `reconcile` for the life of the process.
pub fn reconcile_every(
    follower: Arc<Follower>,
    every: Duration,
    report: impl Fn(Outcome) + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("reconcile".into()).spawn(move || loop {
        std::thread::sleep(every);
        if let Err(error) = follower.resume() {
            tracing::error!(target: "callback", "could not read the callback journal: {error}");
        }
        for outcome in follower.reconcile() {
            report(outcome);
        }
    })
}
