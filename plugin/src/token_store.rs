//! Access tokens kept through the host's store (shared by host replicas), with an in-process
//! copy in front so a hook does not cross the boundary for every call. A host without a store
//! answers "none" and the in-process copy is all there is.

use crate::host_log::Host;
use crate::wecom::{AccessToken, StoredToken, TokenStore};
use interface::{SecretString, StoredToken as AbiStoredToken};
use std::collections::HashMap;
use std::sync::Mutex;

/// Token store backed by the host, with an in-process cache.
pub struct HostTokenStore {
    host: Host,
    local: Mutex<HashMap<String, StoredToken>>,
}

impl HostTokenStore {
    /// A store for this host.
    pub fn new(host: Host) -> Self {
        HostTokenStore { host, local: Mutex::new(HashMap::new()) }
    }
}

impl TokenStore for HostTokenStore {
    fn load(&self, key: &str) -> Option<StoredToken> {
        if let Some(token) = self.local.lock().ok().and_then(|m| m.get(key).cloned()) {
            return Some(token);
        }
        let shared = self.host.services().load_token(key.into()).into_option()?;
        let token = StoredToken {
            token: AccessToken::new(shared.token.expose().to_string()),
            expires_at_unix: shared.expires_at_unix,
        };
        if let Ok(mut local) = self.local.lock() {
            local.insert(key.to_string(), token.clone());
        }
        Some(token)
    }

    fn save(&self, key: &str, token: &StoredToken) {
        if let Ok(mut local) = self.local.lock() {
            local.insert(key.to_string(), token.clone());
        }
        let shared =
            AbiStoredToken { token: SecretString::new(token.token.expose()), expires_at_unix: token.expires_at_unix };
        self.host.services().save_token(key.into(), &shared);
    }

    fn clear(&self, key: &str) {
        if let Ok(mut local) = self.local.lock() {
            local.remove(key);
        }
        // The host's copy may be stale now; overwrite it with an already-expired entry.
        let expired = AbiStoredToken { token: SecretString::default(), expires_at_unix: 0 };
        self.host.services().save_token(key.into(), &expired);
    }
}
