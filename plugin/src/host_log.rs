//! Forwards the plugin's log lines to the host. The plugin has no global logger: its output goes
//! nowhere unless sent through the host's callback. Callers never pass secrets in a message.

use interface::{HostServicesBox, LogLevel};
use std::sync::Arc;

/// The host's services, shared by the instance and its tasks.
#[derive(Clone)]
pub struct Host(Arc<HostServicesBox>);

impl Host {
    /// Wraps the services the host passed at construction.
    pub fn new(services: HostServicesBox) -> Self {
        Host(Arc::new(services))
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
