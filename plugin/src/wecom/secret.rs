//! Values that must never reach a log, an error message or a `Debug` dump: the app Secret, access
//! tokens and OAuth `user_ticket`s. Both types print a mask; [`Secret::expose`] /
//! [`AccessToken::expose`] are the only ways to read them, and the client calls them only where the
//! value goes into a request to WeCom.

use std::fmt;

/// The self-built app's Secret (or any other credential: `user_ticket`, OAuth code).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call only where it is sent to WeCom or stored on purpose.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Telling "empty" apart helps diagnose an unset configuration without revealing anything.
        if self.0.is_empty() {
            f.write_str("Secret(<empty>)")
        } else {
            f.write_str("Secret(***)")
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// A WeCom `access_token` (up to 512 bytes). Whoever holds it can read the app's directory.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken(value.into())
    }

    /// The value itself. Call only where it is sent to WeCom or stored on purpose.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when WeCom handed out an empty token (never valid).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_masked() {
        let s = Secret::new("s3cr3t-value");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Secret::default()), "Secret(<empty>)");
        assert_eq!(s.expose(), "s3cr3t-value");

        let t = AccessToken::new("tok-abc");
        assert_eq!(format!("{t:?}"), "AccessToken(***)");
        assert_eq!(format!("{t}"), "***");
        assert_eq!(format!("{:?}", Some(&t)), "Some(AccessToken(***))");
        assert_eq!(t.expose(), "tok-abc");
    }
}
