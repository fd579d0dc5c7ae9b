use abi_stable::{std_types::RString, StableAbi};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A user-facing text in both languages the admins read: Simplified Chinese first, English beside it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// Simplified Chinese (zh-CN).
    pub zh: RString,
    /// English.
    pub en: RString,
}

impl Text {
    /// Builds a text from its two translations.
    pub fn new(zh: impl Into<RString>, en: impl Into<RString>) -> Self {
        Text { zh: zh.into(), en: en.into() }
    }
}

/// A string that must never be shown: the app Secret, an access token, an OAuth code, an
/// EncodingAESKey. `Debug` and `Display` print a mask; only [`SecretString::expose`] reveals it.
/// It serialises in the clear, because the host stores the accepted configuration it asked for.
#[repr(transparent)]
#[derive(StableAbi, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(RString);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<RString>) -> Self {
        SecretString(value.into())
    }
    /// The secret value itself: call only where it is sent to WeCom or stored on purpose.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("SecretString(<empty>)")
        } else {
            f.write_str("SecretString(***)")
        }
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString::new(value)
    }
}

/// Personal data (a mobile number, an email): never logged. `Debug` and `Display` print a mask;
/// only [`PersonalData::expose`] reveals it (to compare, to store, or for an export the operator
/// asked for). It serialises in the clear, because the host stores it.
#[repr(transparent)]
#[derive(StableAbi, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalData(RString);

impl PersonalData {
    /// Wraps a value.
    pub fn new(value: impl Into<RString>) -> Self {
        PersonalData(value.into())
    }
    /// The value itself: call only to compare, store, or export on request.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
    /// True when no value is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("PersonalData(<empty>)")
        } else {
            f.write_str("PersonalData(***)")
        }
    }
}

impl fmt::Display for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for PersonalData {
    fn from(value: &str) -> Self {
        PersonalData::new(value)
    }
}
