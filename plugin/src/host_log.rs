//! Forwards the plugin's log lines to the host. The plugin has no global logger: its output goes
//! nowhere unless sent through the host's callback. Callers never pass secrets in a message.

use crate::failpoints::Failpoints;
use interface::{HostServicesBox, LogLevel};
use std::sync::Arc;

/// The host's services, shared by the instance and its tasks, with the failpoints the host armed
/// (test builds only; see `failpoints`).
#[derive(Clone)]
pub struct Host(Arc<HostServicesBox>, Arc<Failpoints>);

impl Host {
    /// Wraps the services the host passed at construction.
    pub fn new(services: HostServicesBox) -> Self {
        let failpoints = Failpoints::from_services(&services);
        Host(Arc::new(services), Arc::new(failpoints))
    }
    /// The failpoints armed for this instance (none outside test builds).
    pub fn failpoints(&self) -> &Failpoints {
        &self.1
    }
    /// Sends a log line to the host.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.0.log(level, message.into());
    }
    /// Info-level line.
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, message)
    }
    /// Debug-level line.
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message)
    }
    /// Warn-level line.
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message)
    }
    /// Reports progress; false means the host asked to cancel.
    pub fn progress(&self, stage: &str, done: u64, total: u64) -> bool {
        self.0.progress(stage.into(), done, total)
    }
    /// The host's services, for the token store.
    pub fn services(&self) -> &HostServicesBox {
        &self.0
    }
}
