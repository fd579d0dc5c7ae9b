use crate::SecretString;
use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RStr},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// Severity of a log line the plugin sends to the host.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Very detailed.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal operation.
    Info,
    /// Something the admin may want to look at.
    Warn,
    /// A failure.
    Error,
}

/// An access token kept in a host-provided store, shared by host replicas.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token.
    pub token: SecretString,
    /// When it stops being valid (Unix seconds).
    pub expires_at_unix: i64,
}

/// What the host offers a plugin instance, passed at construction. Called from the plugin's own
/// threads, so it must be `Send + Sync`. Log lines never contain secrets.
#[sabi_trait]
pub trait HostServices: Send + Sync {
    /// Receives one log line from the plugin.
    fn log(&self, level: LogLevel, message: RStr<'_>);

    /// Reports progress of a long operation (`stage` is e.g. `departments`, `members`, `tags`);
    /// `total` is 0 while unknown. Return `false` to cancel the operation.
    fn progress(&self, stage: RStr<'_>, done: u64, total: u64) -> bool;

    /// Loads a shared access token by key (`corpid:agentid`); the default keeps tokens in-process.
    fn load_token(&self, key: RStr<'_>) -> ROption<StoredToken> {
        let _ = key;
        ROption::RNone
    }

    /// Stores a shared access token by key; the default keeps tokens in-process.
    #[sabi(last_prefix_field)]
    fn save_token(&self, key: RStr<'_>, token: &StoredToken) {
        let _ = (key, token);
    }
}

/// The host services as passed across the boundary.
pub type HostServicesBox = HostServices_TO<'static, RBox<()>>;
