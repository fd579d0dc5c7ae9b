use crate::Text;
use abi_stable::{
    std_types::{ROption, RString},
    StableAbi,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The one error type at the boundary. Every hook returns it on failure.
///
/// `code` is stable and machine-readable; families:
/// - `config.*`: a configuration value is wrong (`field` names it), e.g. `config.corp_id_invalid`;
/// - `wecom.<errcode>`: WeCom answered with an error code the plugin does not map to a config field;
/// - `network.*`: WeCom could not be reached (`network.timeout`, `network.connect`, `network.tls`, ...);
/// - `binding.*`: a proposal or an edit was rejected (`binding.stale`, `binding.account_taken`, ...);
/// - `login.*`: a login was refused (`login.code_invalid`, `login.not_member`, `login.member_disabled`, ...);
/// - `plugin.*`: the plugin itself (`plugin.panic`, `plugin.not_configured`, `plugin.cancelled`,
///   `plugin.state_poisoned`, `plugin.reentrant_call`).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    /// Stable machine code, e.g. `config.secret_agent_mismatch`.
    pub code: RString,
    /// WeCom's `errcode` when the error came from WeCom.
    pub wecom_errcode: ROption<i64>,
    /// The configuration field or input row concerned, e.g. `secret`, `agent_id`, `redirect_url`,
    /// or a WeCom userid for binding errors.
    pub field: ROption<RString>,
    /// What went wrong.
    pub message: Text,
    /// What to do about it (which setting to change, where in the WeCom admin console).
    pub fix: Text,
}

impl PluginError {
    /// An error without WeCom errcode or field.
    pub fn new(code: &str, message: Text, fix: Text) -> Self {
        PluginError { code: code.into(), wecom_errcode: ROption::RNone, field: ROption::RNone, message, fix }
    }
    /// Names the field or row concerned.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = ROption::RSome(field.into());
        self
    }
    /// Records the WeCom errcode behind the error.
    pub fn with_errcode(mut self, errcode: i64) -> Self {
        self.wecom_errcode = ROption::RSome(errcode);
        self
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.code)?;
        if let ROption::RSome(field) = &self.field {
            write!(f, " ({field})")?;
        }
        if let ROption::RSome(code) = &self.wecom_errcode {
            write!(f, " errcode {code}")?;
        }
        write!(f, " {} / {}", self.message.zh, self.message.en)?;
        if !self.fix.en.is_empty() {
            write!(f, " — {} / {}", self.fix.zh, self.fix.en)?;
        }
        Ok(())
    }
}

impl std::error::Error for PluginError {}
