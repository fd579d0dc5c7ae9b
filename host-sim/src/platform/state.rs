//! Platform state: the plugin instance, the store, and login sessions. A login `state` is bound to
//! the browser session that started the login, used once, and expires.

use crate::callbacks::Follower;
use crate::store::Store;
use interface::{LoginOutcome, PluginBox, ScopeSelection};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The file WeCom fetches to verify the trusted domain (`WW_verify_<code>.txt`), as the admin
/// downloaded it from the WeCom console.
#[derive(Clone, Debug)]
pub struct VerifyFile {
    /// File name, e.g. `WW_verify_abc123.txt`.
    pub name: String,
    /// Its content.
    pub content: String,
}

/// One browser session's pending login.
#[derive(Debug, Clone)]
struct PendingLogin {
    state: String,
    started: Instant,
}

/// Login sessions: session id → pending state, and session id → signed-in account.
#[derive(Default)]
pub struct LoginSessions {
    pending: Mutex<HashMap<String, PendingLogin>>,
    signed_in: Mutex<HashMap<String, String>>,
    /// Members asked to prove a platform account (`needs: password`), by session.
    awaiting_proof: Mutex<HashMap<String, (LoginOutcome, Instant)>>,
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    /// No session cookie, or no login started in this session.
    NoSession,
    /// The state does not match the one issued to this session (forged or from another session).
    Mismatch,
    /// The state was already used, or expired.
    Expired,
    /// No state in the callback.
    Missing,
}

impl LoginSessions {
    /// How long a started login may take.
    pub const TTL: Duration = Duration::from_secs(600);

    /// Starts a login in `session`, returning the new state (replacing any earlier one).
    pub fn begin(&self, session: &str) -> String {
        let state = random_token(32);
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|_, p| p.started.elapsed() < Self::TTL);
            pending.insert(session.to_string(), PendingLogin { state: state.clone(), started: Instant::now() });
        }
        state
    }

    /// Checks and consumes the state of `session`: one use only.
    pub fn finish(&self, session: Option<&str>, state: Option<&str>) -> Result<(), StateProblem> {
        let state = state.filter(|s| !s.is_empty()).ok_or(StateProblem::Missing)?;
        let session = session.ok_or(StateProblem::NoSession)?;
        let mut pending = self.pending.lock().map_err(|_| StateProblem::NoSession)?;
        let Some(p) = pending.get(session) else {
            return Err(StateProblem::NoSession);
        };
        if !constant_time_eq(p.state.as_bytes(), state.as_bytes()) {
            return Err(StateProblem::Mismatch);
        }
        let fresh = p.started.elapsed() < Self::TTL;
        pending.remove(session);
        if fresh {
            Ok(())
        } else {
            Err(StateProblem::Expired)
        }
    }

    /// Ages a session's pending login (tests of expiry).
    pub fn age(&self, session: &str, by: Duration) {
        if let Ok(mut pending) = self.pending.lock() {
            if let Some(p) = pending.get_mut(session) {
                p.started = p.started.checked_sub(by).unwrap_or(p.started);
            }
        }
    }

    /// Keeps the member of a session who must prove a platform account next.
    pub fn await_proof(&self, session: &str, member: LoginOutcome) {
        if let Ok(mut awaiting) = self.awaiting_proof.lock() {
            awaiting.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            awaiting.insert(session.to_string(), (member, Instant::now()));
        }
    }

    /// The member of a session who was asked to prove an account, while the request is fresh.
    pub fn awaiting(&self, session: &str) -> Option<LoginOutcome> {
        let awaiting = self.awaiting_proof.lock().ok()?;
        awaiting.get(session).filter(|(_, at)| at.elapsed() < Self::TTL).map(|(m, _)| m.clone())
    }

    /// Drops a session's pending proof (done, or declined).
    pub fn proof_done(&self, session: &str) {
        if let Ok(mut awaiting) = self.awaiting_proof.lock() {
            awaiting.remove(session);
        }
    }

    /// Records the account signed in for a session.
    pub fn sign_in(&self, session: &str, account_id: &str) {
        if let Ok(mut signed) = self.signed_in.lock() {
            signed.insert(session.to_string(), account_id.to_string());
        }
    }

    /// The account signed in for a session.
    pub fn account(&self, session: &str) -> Option<String> {
        self.signed_in.lock().ok().and_then(|s| s.get(session).cloned())
    }

    /// Signs every session of an account out (the member left).
    pub fn sign_out_account(&self, account_id: &str) {
        if let Ok(mut signed) = self.signed_in.lock() {
            signed.retain(|_, a| a != account_id);
        }
    }
}

/// What the platform server needs.
pub struct Platform {
    /// This platform's base URL (`http://127.0.0.1:PORT`).
    pub base_url: String,
    /// The configured plugin instance.
    pub plugin: Arc<PluginBox>,
    /// The store.
    pub store: Arc<Mutex<Store>>,
    /// Login sessions (shared with the follower, which signs leavers out).
    pub sessions: Arc<LoginSessions>,
    /// The synced scope when the store holds none (the plugin refuses members outside it).
    pub scope: ScopeSelection,
    /// The trusted-domain verification file, if the admin uploaded one.
    pub verify_file: Option<VerifyFile>,
    /// Applies contact changes after their callback was answered, and runs the reconcile.
    pub follower: Arc<Follower>,
}

impl Platform {
    /// The OAuth redirect URL.
    pub fn redirect_url(&self) -> String {
        format!("{}/oauth/wecom/callback", self.base_url)
    }
}

/// A random alphanumeric token (WeCom carries only `a-zA-Z0-9` in `state` intact).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = fastrand::Rng::new();
    (0..len).map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_bound_to_its_session_used_once_and_expires() {
        let s = LoginSessions::default();
        let state = s.begin("sid-a");
        assert_eq!(s.finish(Some("sid-b"), Some(&state)), Err(StateProblem::NoSession), "another session");
        assert_eq!(s.finish(Some("sid-a"), Some("forged")), Err(StateProblem::Mismatch));
        assert_eq!(s.finish(Some("sid-a"), None), Err(StateProblem::Missing));
        assert_eq!(s.finish(Some("sid-a"), Some(&state)), Ok(()));
        assert_eq!(s.finish(Some("sid-a"), Some(&state)), Err(StateProblem::NoSession), "replayed");
        let state = s.begin("sid-c");
        s.age("sid-c", LoginSessions::TTL + Duration::from_secs(1));
        assert_eq!(s.finish(Some("sid-c"), Some(&state)), Err(StateProblem::Expired));
    }
}
